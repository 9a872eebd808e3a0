//! CI's smoke run of the load generator: the real server on port 0 over a fresh embedded
//! store, a small dataset, a few seconds of shoppers in each mix, and the consistency check
//! (stock conservation, every acknowledged order readable, no negative stock).
#![allow(clippy::unwrap_used)]
#[path = "../../../crates/api/tests/support/payment_server.rs"]
mod payment_server;

use bookstore_api::settings::{AdminBootstrap, Settings};
use bookstore_api::startup::Application;
use bookstore_loadgen::dataset::{self, DatasetSpec};
use bookstore_loadgen::shop::{self, Mix, RunConfig};
use bookstore_loadgen::storebench::{self, Backend, StoreBenchConfig, Workload};
use std::time::Duration;

const ADMIN: &str = "admin@loadgen.example";
const PASSWORD: &str = "loadgen-admin-password";

async fn spawn_shop(dir: &std::path::Path) -> String {
    let mut settings = Settings::for_tests(dir);
    settings.payments = Some(payment_server::settings());
    settings.admin = Some(AdminBootstrap {
        email: ADMIN.into(),
        password: PASSWORD.to_owned().into(),
        name: "Load Admin".into(),
    });
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoppers_keep_the_shop_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let base = spawn_shop(dir.path()).await;
    let admin = dataset::admin_client(&base, ADMIN, PASSWORD).await.unwrap();
    // Low stock, so that hot books sell out and `insufficient_stock` is exercised too.
    let spec = DatasetSpec {
        books: 60,
        customers: 4,
        stock: (2, 40),
        seed: 9,
    };
    let loaded = dataset::load(&admin, &spec, 8, true).await.unwrap();
    assert_eq!(loaded.books_created, 60);
    // Loading again is harmless.
    let again = dataset::load(&admin, &spec, 8, true).await.unwrap();
    assert_eq!(again.books_existing, 60);
    assert_eq!(again.customers_existing, 4);

    let out = tempfile::tempdir().unwrap();
    for (mix, secs) in [(Mix::Ordering, 4), (Mix::Shopping, 2), (Mix::Browsing, 2)] {
        let mut cfg = RunConfig::new(&base, ADMIN, PASSWORD);
        cfg.mix = mix;
        cfg.shoppers = 8;
        cfg.customers = spec.customers;
        cfg.duration = Duration::from_secs(secs);
        cfg.warmup = Duration::ZERO;
        cfg.progress = false;
        cfg.json = Some(out.path().join("run.json"));
        cfg.chart = Some(out.path().join("run.svg"));
        cfg.provider = Some(payment_server::url().to_owned());
        cfg.provider_secret = payment_server::SECRET_KEY.into();
        let report = shop::run(cfg).await.unwrap();
        eprint!("{}", shop::summary(&report));
        let c = report.consistency.as_ref().unwrap();
        assert!(c.ok, "{c:?}");
        assert_eq!(report.errors, 0, "{:?}", report.interactions);
        assert!(report.total.count > 0);
        assert!(report.interactions.contains_key("product_detail"));
        if mix == Mix::Ordering {
            assert!(c.orders_acknowledged > 0);
            assert!(c.units_sold > 0);
            // Every acknowledged order's card is authorized for its total at the provider.
            assert_eq!(c.payments_checked, c.orders_acknowledged);
            // ...and every order the shop holds (this run's and the mixes' before it) was
            // checked by its state.
            assert!(c.orders_in_shop >= c.orders_acknowledged, "{c:?}");
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join("run.json")).unwrap()).unwrap();
        assert!(json["wips"].as_f64().unwrap() > 0.0);
        assert!(!json["timeline"].as_array().unwrap().is_empty());
        let svg = std::fs::read_to_string(out.path().join("run.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("polyline"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storage_benchmark_runs_every_workload() {
    let report = storebench::run(
        StoreBenchConfig {
            backend: Backend::Embedded,
            endpoint: None,
            records: 200,
            workloads: vec![Workload::A, Workload::B, Workload::C, Workload::F],
            duration: Duration::from_millis(300),
            concurrency: 4,
            theta: 0.99,
            seed: 1,
        },
        true,
    )
    .await
    .unwrap();
    assert_eq!(report.workloads.len(), 4);
    for w in &report.workloads {
        assert!(w.ops > 0 && w.errors == 0, "{w:?}");
    }
    assert!(report.workloads[3].latency.contains_key("rmw"));
}
