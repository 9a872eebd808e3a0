//! A write acknowledged to a client survives `kill -9` of the server process.
use crate::helpers::*;
use bookstore_api::store::dynamo::DynamoSettings;
use bookstore_client::Client;
use bookstore_model::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(data: &std::path::Path, dynamo: Option<&DynamoSettings>) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bookstore"));
    if let Some(d) = dynamo {
        cmd.env("BOOKSTORE__STORE", "dynamodb")
            .env("BOOKSTORE__DYNAMODB__TABLE", &d.table)
            .env(
                "BOOKSTORE__DYNAMODB__ENDPOINT",
                d.endpoint.as_deref().unwrap_or_default(),
            )
            .env(
                "BOOKSTORE__DYNAMODB__ATTEMPT_TIMEOUT_MS",
                d.attempt_timeout_ms.to_string(),
            )
            .env(
                "BOOKSTORE__DYNAMODB__OPERATION_TIMEOUT_MS",
                d.operation_timeout_ms.to_string(),
            );
    }
    let child = cmd
        .arg("serve")
        .env("BOOKSTORE__LISTEN", format!("127.0.0.1:{port}"))
        .env("BOOKSTORE__DATA_DIR", data)
        .env("BOOKSTORE__JWT_SECRET", JWT_SECRET)
        .env("BOOKSTORE__SEED_DEMO", "false")
        .env("BOOKSTORE__ADMIN__EMAIL", ADMIN_EMAIL)
        .env("BOOKSTORE__ADMIN__PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bookstore binary");
    let server = Server {
        child,
        client: Client::new(format!("http://127.0.0.1:{port}")),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn acknowledged_orders_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let mut server = start(data.path(), dynamo.as_ref()).await;
    let admin = server.client.authed(
        server
            .client
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap()
            .token,
    );
    let book = admin
        .admin_create_book(&new_book("Durable", "A", "fiction", 1000, 100))
        .await
        .unwrap();
    let reg = RegisterRequest {
        email: Email::parse("durable@example.com").unwrap(),
        password: Password::parse("durable password").unwrap(),
        name: PersonName::parse("D").unwrap(),
    };
    let shopper = server
        .client
        .authed(server.client.register(&reg).await.unwrap().token);
    let mut acknowledged = Vec::new();
    // Concurrent orders, so that several share one group commit.
    let placed = futures::future::join_all((0..30).map(|i| {
        let s = shopper.clone();
        async move {
            s.place_order(&order_of(vec![line(book.id, 1 + i % 2)]), None)
                .await
        }
    }))
    .await;
    for p in placed {
        acknowledged.push(p.expect("order").value);
    }
    let returned = shopper
        .create_return(acknowledged[0].id, &return_of(vec![line(book.id, 1)]))
        .await
        .unwrap();

    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();

    let server = start(data.path(), dynamo.as_ref()).await;
    let shopper = server.client.authed(
        server
            .client
            .login("durable@example.com", "durable password")
            .await
            .unwrap()
            .token,
    );
    let mut units = 0;
    for order in &acknowledged {
        let stored = shopper
            .get_order(order.id)
            .await
            .expect("acknowledged order survived");
        assert_eq!(stored.lines[0].quantity, order.lines[0].quantity);
        units += order.lines[0].quantity;
    }
    assert_eq!(
        shopper.get_order(acknowledged[0].id).await.unwrap(),
        returned.order
    );
    let after = server.client.get_book(book.id).await.unwrap();
    assert_eq!(after.stock, 100 - i64::from(units) + 1);
}
