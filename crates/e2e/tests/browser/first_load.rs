//! The shop's first load on a slow phone (issue 23): Chromium throttled through the DevTools
//! protocol to 1.6 Mbps down, 750 kbps up, 150 ms round trips and a CPU 4× slower, with the
//! cache off, loads the catalogue. Prints what went over the wire and when the page first
//! showed the shop and its books:
//!
//! `first load: N bytes over the wire, first content X ms, catalogue Y ms, app Z ms`
//!
//! The bounds below are loose ceilings the shop keeps (to be tightened as it gets lighter);
//! the figures themselves go to benches/README.md.
use crate::devtools::{cdp, on_every_document};
use crate::support::*;
use std::time::{Duration, Instant};

/// 1.6 Mbps and 750 kbps, in bytes per second (what the protocol takes).
const DOWN: f64 = 1_600_000.0 / 8.0;
const UP: f64 = 750_000.0 / 8.0;
const LATENCY_MS: f64 = 150.0;
const CPU_SLOWDOWN: f64 = 4.0;

/// Ceilings (today's figures with room; see benches/README.md). The issue's targets: something
/// meaningful within a second, the catalogue within two, and 300 KB over the wire (298 KB at
/// the three bundles; the bound leaves room for the live-stock stream's timing).
const MAX_BYTES: u64 = 320_000;
const MAX_FIRST_CONTENT_MS: f64 = 1_000.0;
const MAX_CATALOGUE_MS: f64 = 2_000.0;
const MAX_APP_MS: f64 = 8_000.0;

/// Records, from the first moment of the document, when the shop's header and its book cards
/// first appear, and when the app has mounted (the live-stock footer only it renders); the time
/// is taken at the next frame, when they are painted.
const PROBE: &str = r#"
window.__firstLoad = {};
(() => {
  const marks = {
    content: "header .nav a[href='/books']",
    catalogue: "main li.card[data-book-id] .price",
    app: "footer .live",
  };
  const check = () => {
    for (const [name, css] of Object.entries(marks)) {
      if (window.__firstLoad[name] === undefined && document.querySelector(css)) {
        window.__firstLoad[name] = null;
        requestAnimationFrame(() => { window.__firstLoad[name] = performance.now(); });
      }
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", check);
})();
"#;

/// What one throttled load of `path` measured.
struct FirstLoad {
    bytes: u64,
    first_content_ms: f64,
    catalogue_ms: f64,
    app_ms: f64,
    resources: String,
}

async fn throttled_load(b: &Browser, path: &str) -> FirstLoad {
    cdp(b, "Network.enable", serde_json::json!({})).await;
    cdp(
        b,
        "Network.setCacheDisabled",
        serde_json::json!({ "cacheDisabled": true }),
    )
    .await;
    cdp(
        b,
        "Network.emulateNetworkConditions",
        serde_json::json!({
            "offline": false,
            "latency": LATENCY_MS,
            "downloadThroughput": DOWN,
            "uploadThroughput": UP,
        }),
    )
    .await;
    cdp(
        b,
        "Emulation.setCPUThrottlingRate",
        serde_json::json!({ "rate": CPU_SLOWDOWN }),
    )
    .await;
    on_every_document(b, PROBE).await;
    b.goto(path).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let marks = loop {
        let m =
            b.c.execute("return window.__firstLoad || {};", vec![])
                .await
                .expect("the probe's marks");
        let ms = |k: &str| m.get(k).and_then(serde_json::Value::as_f64);
        if let (Some(c), Some(l), Some(a)) = (ms("content"), ms("catalogue"), ms("app")) {
            break (c, l, a);
        }
        if Instant::now() > deadline {
            b.failed(&format!("the throttled load did not finish: {m}"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The app's first API calls answered too: they are part of showing the catalogue.
    b.wait_contains("main", "Load more").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Everything the page fetched, the document included (the event stream of live stock,
    // still open, is not a finished resource and has sent next to nothing).
    let sizes =
        b.c.execute(
            "return performance.getEntriesByType('navigation') \
               .concat(performance.getEntriesByType('resource')) \
               .map((e) => [e.name.replace(location.origin, ''), e.transferSize, \
                            e.encodedBodySize, e.decodedBodySize]);",
            vec![],
        )
        .await
        .expect("resource timing");
    let mut bytes = 0;
    let mut resources = String::new();
    for e in sizes.as_array().into_iter().flatten() {
        let n = |i: usize| e.get(i).and_then(serde_json::Value::as_u64).unwrap_or(0);
        bytes += n(1);
        resources.push_str(&format!(
            "  {:<60} {:>9} B over the wire ({} B body, {} B decoded)\n",
            e.get(0).and_then(|v| v.as_str()).unwrap_or_default(),
            n(1),
            n(2),
            n(3)
        ));
    }
    FirstLoad {
        bytes,
        first_content_ms: marks.0,
        catalogue_ms: marks.1,
        app_ms: marks.2,
        resources,
    }
}

#[tokio::test]
async fn the_catalogue_loads_fast_on_a_slow_phone() {
    let _serial = serial().await;
    let shop = Shop::start().await;
    for i in 0..24 {
        shop.book(
            &format!("Harbour Lights, Volume {i:02}"),
            "Ann Keeper",
            1250 + i,
            5,
        )
        .await;
    }
    let b = Browser::start(&shop.url).await;
    let load = throttled_load(&b, "/books").await;
    let figure = format!(
        "first load: {} bytes over the wire, first content {:.0} ms, catalogue {:.0} ms, app {:.0} ms",
        load.bytes, load.first_content_ms, load.catalogue_ms, load.app_ms
    );
    println!("{figure}\n{}", load.resources);
    // `cargo test` keeps a passing test's output to itself: `cargo xtask test` prints the
    // figure from this file after the suite.
    if let Some(dir) = std::env::var_os("BOOKSTORE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("first-load.txt"), format!("{figure}\n"));
    }
    assert!(
        load.bytes <= MAX_BYTES,
        "{} bytes over the wire (at most {MAX_BYTES})\n{}",
        load.bytes,
        load.resources
    );
    assert!(load.bytes > 10_000, "nothing measured:\n{}", load.resources);
    assert!(
        load.first_content_ms <= MAX_FIRST_CONTENT_MS,
        "first content after {:.0} ms (at most {MAX_FIRST_CONTENT_MS})",
        load.first_content_ms
    );
    assert!(
        load.catalogue_ms <= MAX_CATALOGUE_MS,
        "the catalogue after {:.0} ms (at most {MAX_CATALOGUE_MS})",
        load.catalogue_ms
    );
    assert!(
        load.app_ms <= MAX_APP_MS,
        "the app after {:.0} ms (at most {MAX_APP_MS})",
        load.app_ms
    );
    // The app took over: its cards, with their buttons, are the ones shown.
    b.find("main li.card[data-book-id] .add-to-cart button")
        .await;
    assert!(!b.exists("#boot").await, "the static page is still there");

    // Before the app runs (here: never), the page itself shows the books and the way to them.
    cdp(
        &b,
        "Emulation.setScriptExecutionDisabled",
        serde_json::json!({ "value": true }),
    )
    .await;
    for (path, books, name) in [("/books", 20, "catalogue"), ("/", 6, "home")] {
        b.c.goto(&format!("{}{path}", shop.url)).await.unwrap();
        let cards =
            b.c.find_all(fantoccini::Locator::Css("#boot main li.card"))
                .await
                .unwrap();
        assert_eq!(cards.len(), books, "{path}");
        let first = cards[0].text().await.unwrap();
        assert!(
            first.contains("Harbour Lights")
                && first.contains("Ann Keeper")
                && first.contains("$12."),
            "{path}: {first}"
        );
        b.find("#boot header a[href='/books']").await;
        b.screenshot(&format!("first-load-{name}-without-the-app"))
            .await;
    }
    b.close().await;
}
