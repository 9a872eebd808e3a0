//! Serving the single-page app: files, SPA fallback, cache headers, precompressed files.
use bookstore_api::settings::Settings;
use bookstore_api::startup::Application;

async fn spawn_with_static(files: &[(&str, &[u8])]) -> (String, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let dist = data.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    for (name, body) in files {
        std::fs::write(dist.join(name), body).unwrap();
    }
    let mut settings = Settings::for_tests(data.path());
    settings.static_dir = dist;
    let app = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, data)
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn serves_the_app_with_cache_headers_and_falls_back_to_index_html() {
    let index = b"<!doctype html><title>shop</title>";
    let (base, _dir) = spawn_with_static(&[
        ("index.html", index),
        ("app-0123456789abcdef.wasm", b"\0asm fake"),
        ("style-0123456789abcdef.css", b"body{}"),
    ])
    .await;
    let http = reqwest::Client::new();

    let res = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-cache");
    assert!(header(&res, "content-type").starts_with("text/html"));
    let etag = header(&res, "etag");
    assert!(!etag.is_empty());
    assert_eq!(res.bytes().await.unwrap().as_ref(), index);

    // The app's own routes survive a reload.
    for path in ["/books/123", "/admin", "/orders/abc?placed=1", "/cart"] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), index, "{path}");
    }

    // Hashed files are immutable.
    let res = http
        .get(format!("{base}/app-0123456789abcdef.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/wasm");
    assert_eq!(
        header(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );

    // Revalidation.
    let res = http
        .get(format!("{base}/"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // API paths and missing files are 404 problems, never the app.
    for path in [
        "/api/v1/nope",
        "/api/v2/books",
        "/api-docs/nope",
        "/healthz/x",
        "/app-ffffffffffffffff.js",
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            header(&res, "content-type").starts_with("application/problem+json"),
            "{path}"
        );
    }
    // Other methods are not the app's.
    let res = http.post(format!("{base}/books")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // The API still answers.
    let res = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn sends_precompressed_files_to_clients_that_accept_them() {
    let (base, _dir) = spawn_with_static(&[
        ("index.html", b"<!doctype html>"),
        ("app-0123456789abcdef.js", b"console.log(1)"),
        ("app-0123456789abcdef.js.br", b"BROTLI"),
        ("app-0123456789abcdef.js.gz", b"GZIP"),
    ])
    .await;
    // This reqwest has no decompression features: the bytes as sent.
    let http = reqwest::Client::new();
    let url = format!("{base}/app-0123456789abcdef.js");
    let res = http
        .get(&url)
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "content-encoding"), "br");
    assert!(header(&res, "vary").contains("Accept-Encoding"));
    assert!(header(&res, "content-type").starts_with("text/javascript"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"BROTLI");
    let res = http
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "content-encoding"), "gzip");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"GZIP");
    let res = http
        .get(&url)
        .header("Accept-Encoding", "br;q=0, identity")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "content-encoding"), "");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"console.log(1)");
    // The compressed siblings are not files of their own.
    let res = http.get(format!("{url}.br")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn without_a_static_dir_the_api_still_works() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(data.path());
    settings.static_dir = data.path().join("missing");
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(format!("{base}/books"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
