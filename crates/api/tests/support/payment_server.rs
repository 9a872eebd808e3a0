//! A real Stripe-compatible payment server for tests: localstripe (PyPI), one per test
//! process (`scripts/payment-server.sh`), or the one named by `BOOKSTORE_TEST_PAYMENTS_URL`.
//! It keeps every intent in memory; tests tell their orders apart by the order id in each
//! intent's metadata.
#![allow(dead_code)]
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static URL: OnceLock<String> = OnceLock::new();

pub const SECRET_KEY: &str = "sk_test_bookstore";
pub const PUBLISHABLE_KEY: &str = "pk_test_bookstore";
/// Stripe's test payment methods (localstripe knows them by these ids too).
pub const CARD_OK: &str = "pm_card_visa";
/// Attaches, then declined when charged.
pub const CARD_DECLINED: &str = "pm_card_chargeCustomerFail";

pub fn url() -> &'static str {
    URL.get_or_init(|| match std::env::var("BOOKSTORE_TEST_PAYMENTS_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => start(),
    })
}

fn start() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let script = format!("{root}/scripts/payment-server.sh");
    let ok = Command::new("bash")
        .args([&script, "install"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "could not install the payment server ({script} install)"
    );
    let out = Command::new("bash")
        .args([&script, "bin"])
        .output()
        .expect("payment-server.sh bin");
    let bin = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    // A free port can be taken by someone else before the server binds it: then it exits, and
    // another port is tried.
    let mut last = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log =
            std::env::temp_dir().join(format!("localstripe-{}-{port}.log", std::process::id()));
        // A watchdog shell ends the server when this test process ends, however it ends.
        // `--from-scratch`: never load /tmp/localstripe.pickle, which a localstripe run as
        // published (not through the launcher, which keeps it in memory) may be writing.
        let watch = format!(
            "'{bin}' --port {port} --from-scratch >'{log}' 2>&1 & S=$!; \
             while kill -0 {parent} 2>/dev/null && kill -0 $S 2>/dev/null; do sleep 0.5; done; \
             kill $S 2>/dev/null",
            parent = std::process::id(),
            log = log.display()
        );
        let mut watchdog = Command::new("bash")
            .arg("-c")
            .arg(watch)
            .stdin(Stdio::null())
            .spawn()
            .expect("start localstripe");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                std::thread::spawn(move || watchdog.wait());
                return format!("http://127.0.0.1:{port}");
            }
            if watchdog.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                last = std::fs::read_to_string(&log).unwrap_or_default();
                let _ = watchdog.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("the payment server did not start: {last}");
}

/// A card payment method made at the provider, as the shopper's browser would (`number`:
/// one of Stripe's test cards, e.g. 4000002500003155 for 3-D Secure).
pub async fn card(number: &str) -> String {
    let res: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/payment_methods", url()))
        .basic_auth(SECRET_KEY, Some(""))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "type=card&card[number]={number}&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["id"].as_str().expect("a payment method id").to_owned()
}

/// A PaymentIntent as the provider holds it.
pub async fn intent(id: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{id}", url()))
        .basic_auth(SECRET_KEY, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every PaymentIntent the provider holds (all tests of this process share the provider).
pub async fn intents() -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/payment_intents?limit=100", url());
        if let Some(id) = &after {
            url.push_str(&format!("&starting_after={id}"));
        }
        let page: serde_json::Value = reqwest::Client::new()
            .get(url)
            .basic_auth(SECRET_KEY, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = page["data"].as_array().cloned().unwrap_or_default();
        after = data
            .last()
            .and_then(|i| i["id"].as_str())
            .map(str::to_owned);
        all.extend(data);
        if page["has_more"] != true || after.is_none() {
            return all;
        }
    }
}

/// The refunds of an intent.
pub async fn refunds(intent: &str) -> Vec<serde_json::Value> {
    let res: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/refunds?payment_intent={intent}&limit=100",
            url()
        ))
        .basic_auth(SECRET_KEY, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["data"].as_array().cloned().unwrap_or_default()
}

/// The shopper's 3-D Secure step, as the provider's script does it.
pub async fn authenticate(intent: &str, client_secret: &str, success: bool) {
    let res = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{intent}/_authenticate",
            url()
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "key={PUBLISHABLE_KEY}&client_secret={client_secret}&success={success}"
        ))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "authenticate: {}", res.status());
}

/// The shop's settings for this payment server (15 minutes to pay).
pub fn settings() -> bookstore_api::settings::PaymentSettings {
    let url = url();
    bookstore_api::settings::PaymentSettings {
        api_url: url.to_owned(),
        secret_key: SECRET_KEY.to_owned().into(),
        publishable_key: PUBLISHABLE_KEY.into(),
        js_url: format!("{url}/js.stripe.com/v3/"),
        timeout_ms: 10_000,
        payment_timeout_secs: 900,
    }
}

/// Where the tests' orders go.
pub fn test_address() -> bookstore_model::AddressInput {
    bookstore_model::AddressInput {
        name: "Test Reader".into(),
        line1: "1 Test Street".into(),
        line2: None,
        city: "Berlin".into(),
        region: None,
        postal_code: "10115".into(),
        country: "DE".into(),
        phone: None,
    }
}
