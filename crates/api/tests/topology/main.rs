//! The production topology on one machine (`infra/topology.sh`): DynamoDB Local on a host of its
//! own (a network namespace), three API instances, nginx round-robin in front. Everything goes
//! through the balancer.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

#[path = "../support/payment_server.rs"]
mod payment_server;

use bookstore_client::Client;
use bookstore_model::*;
use futures::future::join_all;
use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@bookstore.local";
const ADMIN_PASSWORD: &str = "topology-admin-password";

struct Topology {
    dir: tempfile::TempDir,
    name: String,
    lb_port: u16,
}

impl Topology {
    fn script(&self, args: &[&str]) -> std::process::Output {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/topology.sh");
        Command::new("bash")
            .arg(script)
            .args(args)
            .env("TOPOLOGY_DIR", self.dir.path())
            .env("TOPOLOGY_NAME", &self.name)
            .env("LB_PORT", self.lb_port.to_string())
            .env("BOOKSTORE_BIN", env!("CARGO_BIN_EXE_bookstore"))
            .env("ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            // The instances inherit these: one payment provider for all, as in production.
            .env("BOOKSTORE__PAYMENTS__API_URL", payment_server::url())
            .env(
                "BOOKSTORE__PAYMENTS__SECRET_KEY",
                payment_server::SECRET_KEY,
            )
            .env(
                "BOOKSTORE__PAYMENTS__PUBLISHABLE_KEY",
                payment_server::PUBLISHABLE_KEY,
            )
            .output()
            .expect("run infra/topology.sh")
    }

    fn run(&self, args: &[&str]) {
        let out = self.script(args);
        assert!(
            out.status.success(),
            "topology.sh {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn up() -> Self {
        let t = Topology {
            dir: tempfile::tempdir().unwrap(),
            name: format!("bt{}", &uuid::Uuid::new_v4().simple().to_string()[..6]),
            lb_port: std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
        };
        t.run(&["up", "3"]);
        t
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.lb_port)
    }

    fn log(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        let _ = self.script(&["down"]);
    }
}

async fn customers(api: &Client, n: usize) -> Vec<Client> {
    let mut out = Vec::new();
    for i in 0..n {
        let req = RegisterRequest {
            email: Email::parse(&format!(
                "buyer{i}-{}@example.com",
                uuid::Uuid::new_v4().simple()
            ))
            .unwrap(),
            password: Password::parse("a long enough password").unwrap(),
            name: PersonName::parse("Buyer").unwrap(),
        };
        out.push(api.authed(api.register(&req).await.unwrap().token));
    }
    out
}

fn new_book(title: &str, stock: i64) -> NewBook {
    let body = format!("979{:09}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    NewBook {
        isbn: Isbn::parse(&format!("{body}{}", isbn13_check_digit(&digits))).unwrap(),
        title: Title::parse(title).unwrap(),
        authors: vec![AuthorName::parse("Topology").unwrap()],
        genre: Genre::parse("fiction").unwrap(),
        description: Description::parse("").unwrap(),
        price_cents: PriceCents::parse(500).unwrap(),
        published_year: 1900,
        stock,
    }
}

/// An order of one copy of `book`.
fn one_copy(book: BookId) -> PlaceOrder {
    let address = AddressInput {
        name: "Topology Reader".into(),
        line1: "1 Balancer Road".into(),
        line2: None,
        city: "Paris".into(),
        region: None,
        postal_code: "75001".into(),
        country: "FR".into(),
        phone: None,
    };
    PlaceOrder::shipped_to(
        vec![LineRequest {
            book_id: book,
            quantity: Quantity::parse(1).unwrap(),
        }],
        address,
        "standard",
        PaymentMethodId::parse(payment_server::CARD_OK).unwrap(),
    )
}

/// Units of `book` in every stored order of these customers.
async fn stored_units(buyers: &[Client], book: BookId) -> (u32, HashSet<OrderId>) {
    let mut units = 0;
    let mut ids = HashSet::new();
    for b in buyers {
        let mut q = PageQuery {
            limit: Some(100),
            cursor: None,
        };
        loop {
            let page = b.list_orders(&q).await.unwrap();
            for o in page.items {
                for l in o.lines.iter().filter(|l| l.book_id == book) {
                    units += l.quantity - l.returned_quantity;
                }
                ids.insert(o.id);
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
    }
    (units, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_one_database() {
    let topo = Topology::up();
    let api = Client::new(topo.url());
    let admin = api.authed(api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap().token);
    // The SPA and the API are both reached through the balancer.
    assert_eq!(
        reqwest::get(format!("{}/healthz", topo.url()))
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        !api.list_books(&BookQuery::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "catalogue seeded"
    );

    // 1. Concurrent buyers spread over three instances never oversell.
    let book = admin
        .admin_create_book(&new_book("Contended", 20))
        .await
        .unwrap();
    let buyers = customers(&api, 8).await;
    let results = join_all((0..64).map(|i| {
        let b = buyers[i % buyers.len()].clone();
        async move { b.place_order(&one_copy(book.id), None).await }
    }))
    .await;
    let sold = results.iter().filter(|r| r.is_ok()).count();
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e.code(), Some(ProblemCode::InsufficientStock), "{e}");
        }
    }
    assert_eq!(sold, 20);
    assert_eq!(api.get_book(book.id).await.unwrap().stock, 0);
    // Every instance served some of it (each counts its own requests).
    let mut served = Vec::new();
    for i in 1..=3 {
        let port = topo.log(&format!("api-{i}.port"));
        let metrics = reqwest::get(format!("http://127.0.0.1:{}/metrics", port.trim()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let orders: usize = metrics
            .lines()
            .filter(|l| {
                l.starts_with("bookstore_http_requests_total")
                    && l.contains(r#"route="/api/v1/orders""#)
                    && l.contains(r#"method="POST""#)
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<usize>().ok())
            .sum();
        served.push(orders);
    }
    assert_eq!(served.iter().sum::<usize>(), 64, "{served:?}");
    assert!(served.iter().all(|n| *n > 0), "round-robin: {served:?}");

    // 2. Killing an instance mid-run loses no acknowledged order.
    let book2 = admin
        .admin_create_book(&new_book("Survivor", 40))
        .await
        .unwrap();
    let wave = join_all((0..60).map(|i| {
        let b = buyers[i % buyers.len()].clone();
        async move {
            tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
            b.place_order(&one_copy(book2.id), None).await
        }
    }));
    let killer = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        topo.run(&["kill-api", "2"]);
    };
    let (results, ()) = tokio::join!(wave, killer);
    let acknowledged: Vec<OrderId> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|p| p.value.id)
        .collect();
    assert!(!acknowledged.is_empty());
    let (units, stored) = stored_units(&buyers, book2.id).await;
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged order {id} was lost");
    }
    // The ledger balances: nothing sold twice, nothing vanished.
    let now = api.get_book(book2.id).await.unwrap().stock;
    assert_eq!(40, now + i64::from(units));
    assert!(acknowledged.len() <= units as usize);

    // 3. With the database down: prompt 503 problems, never hangs or 500s.
    topo.run(&["db-stop"]);
    for _ in 0..4 {
        let started = Instant::now();
        let res = reqwest::get(format!("{}/api/v1/books/{}", topo.url(), book.id))
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            503,
            "{}",
            res.text().await.unwrap_or_default()
        );
        assert!(res.headers().contains_key("retry-after"));
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "bounded: {:?}",
            started.elapsed()
        );
        let err = buyers[0]
            .place_order(&one_copy(book.id), None)
            .await
            .unwrap_err();
        assert_eq!(
            (err.status(), err.code()),
            (Some(503), Some(ProblemCode::ServiceUnavailable))
        );
    }

    // 4. It comes back by itself.
    topo.run(&["db-start"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match api.get_book(book2.id).await {
            Ok(b) => {
                assert_eq!(b.stock, now);
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "no recovery: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    admin
        .admin_adjust_stock(
            book.id,
            &StockAdjustment {
                delta: 1,
                reason: None,
            },
        )
        .await
        .unwrap();
    let placed = buyers[1]
        .place_order(&one_copy(book.id), None)
        .await
        .unwrap();
    assert_eq!(placed.status, 201);
}
