//! A real DynamoDB for tests: Amazon's DynamoDB Local engine (in memory), one per test process,
//! or the one named by `BOOKSTORE_TEST_DYNAMODB_ENDPOINT` (as `cargo xtask test` does, to share
//! one JVM between test binaries). Each test uses a table of its own.
use bookstore_store::dynamo::{DynamoSettings, DynamoStore};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ENDPOINT: OnceLock<String> = OnceLock::new();

pub fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| match std::env::var("BOOKSTORE_TEST_DYNAMODB_ENDPOINT") {
        Ok(e) if !e.is_empty() => e,
        _ => start(),
    })
}

fn start() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let script = format!("{root}/scripts/dynamodb-local.sh");
    let ok = Command::new("bash")
        .arg(&script)
        .arg("install")
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "could not install DynamoDB Local ({script} install)");
    let out = Command::new("bash")
        .arg(&script)
        .arg("dir")
        .output()
        .expect("dynamodb-local.sh dir");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The engine writes a metadata file into its working directory: give it a scratch one.
    let scratch = std::env::temp_dir().join(format!("dynamodb-local-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    // A watchdog shell ends the JVM when this test process ends, however it ends.
    let script = format!(
        "java -Djava.library.path='{dir}/DynamoDBLocal_lib' -jar '{dir}/DynamoDBLocal.jar' \
         -port {port} -inMemory -sharedDb -disableTelemetry >/dev/null 2>&1 & J=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $J 2>/dev/null; do sleep 0.5; done; kill $J 2>/dev/null",
        parent = std::process::id()
    );
    let mut watchdog = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(&scratch)
        .stdin(Stdio::null())
        .spawn()
        .expect("start DynamoDB Local");
    std::thread::spawn(move || watchdog.wait());
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    format!("http://127.0.0.1:{port}")
}

/// A fresh table on the shared DynamoDB Local, created with every index.
pub async fn fresh_table() -> (DynamoSettings, DynamoStore) {
    let mut settings = DynamoSettings::local(
        endpoint(),
        &format!("test-{}", uuid::Uuid::new_v4().simple()),
    );
    // Generous bounds: CI machines are small and the JVM shares them with the tests.
    settings.attempt_timeout_ms = 5_000;
    settings.operation_timeout_ms = 20_000;
    let store = DynamoStore::connect(&settings).await;
    // The JVM may still be warming up: the first calls can time out.
    let mut last = None;
    for _ in 0..30 {
        match store.init().await {
            Ok(_) => return (settings, store),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("could not create a DynamoDB Local table: {last:?}");
}
