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

/// Every HTML page carries a strict Content-Security-Policy: the app's pages allow exactly
/// their inline start-up script (by hash), never `unsafe-inline` scripts, and no framing.
#[tokio::test]
async fn html_pages_carry_a_strict_content_security_policy() {
    let script = r#"import init from "/app.js"; init();"#;
    let index =
        format!("<!doctype html><title>shop</title><script type=\"module\">{script}</script>");
    let (base, _dir) = spawn_with_static(&[("index.html", index.as_bytes())]).await;
    let http = reqwest::Client::new();
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    for path in ["/", "/index.html", "/books/123", "/admin", "/%61dmin"] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let csp = header(&res, "content-security-policy");
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap_or_else(|| panic!("{path}: no script-src in {csp:?}"));
        assert!(
            script_src.contains(&format!("'sha256-{hash}'")),
            "{path}: {csp}"
        );
        assert!(!script_src.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp}");
    }
    // The API docs' page too.
    let res = http.get(format!("{base}/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/html"));
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn the_catalogue_and_home_page_come_with_their_first_books() {
    let index = "<!doctype html><title>shop</title><header>Bookstore</header><main>\
                 <!--prerender--><p>Loading the shop…</p><!--/prerender--></main>\
                 <script type=\"module\">start()</script>";
    let app = crate::helpers::TestApp::spawn_with(|s| {
        let dist = s.data_dir.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), index).unwrap();
        s.static_dir = dist;
        s.currency = "USD".into();
    })
    .await;
    crate::helpers::add_test_genres(&app.admin).await;
    let book = app
        .admin
        .admin_create_book(&crate::helpers::new_book(
            "Tom & Jerry <script>alert(1)</script>",
            "Ann \"Quoted\" Keeper",
            "fiction",
            1250,
            2,
        ))
        .await
        .unwrap();
    let http = reqwest::Client::new();

    for (path, heading) in [("/books", "<h1>Catalogue</h1>"), ("/", "New arrivals")] {
        let res = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "cache-control"), "no-cache");
        assert!(header(&res, "content-type").starts_with("text/html"));
        // The page's own script, and only it, may run: the books are text.
        assert!(header(&res, "content-security-policy").contains("'sha256-"));
        let etag = header(&res, "etag");
        let page = res.text().await.unwrap();
        assert!(page.starts_with("<!doctype html><title>shop</title><header>Bookstore</header>"));
        assert!(page.ends_with("</main><script type=\"module\">start()</script>"));
        assert!(!page.contains("Loading the shop"), "{page}");
        assert!(page.contains(heading), "{page}");
        assert!(
            page.contains(&format!("<li class=\"card\" data-book-id=\"{}\">", book.id)),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/books/{}\"", book.id)));
        assert!(page.contains("Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("Ann &quot;Quoted&quot; Keeper"));
        assert!(
            page.contains("<span class=\"price\">$12.50</span>"),
            "{page}"
        );
        assert!(page.contains("2 left"));
        let res = http
            .get(app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304, "{path}");
    }

    // A search, a book's page and the app's other routes get the page as built.
    for path in ["/books?q=tom", "/books/123", "/cart"] {
        let page = http
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page, index, "{path}");
    }
}

#[tokio::test]
async fn each_page_gets_the_least_bundle_that_has_it() {
    let (index, shopper, admin) = (
        b"<!doctype html><title>shop</title>",
        b"<!doctype html><title>shopper</title>",
        b"<!doctype html><title>admin</title>",
    );
    let (base, _dir) = spawn_with_static(&[
        ("index.html", index),
        ("shopper.html", shopper),
        ("admin.html", admin),
    ])
    .await;
    let http = reqwest::Client::new();
    for (path, page) in [
        ("/admin", &admin[..]),
        ("/admin/orders/abc", admin),
        ("/admin/", admin),
        ("/administrator", index),
        ("/books/admin", index),
        ("/cart", index),
        ("/books/123", index),
        ("/checkout", shopper),
        ("/orders/abc?placed=1", shopper),
        ("/login", shopper),
        ("/reset-password?token=x", shopper),
        ("/staff-invitation", shopper),
        ("/account", shopper),
        ("/accounting", index),
        ("/nothing/here", index),
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            !header(&res, "content-security-policy").is_empty(),
            "{path}"
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), page, "{path}");
    }
    // A dist of one bundle serves it for every page.
    let (base, _dir) = spawn_with_static(&[("index.html", index)]).await;
    for path in ["/admin/orders", "/checkout", "/cart"] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.bytes().await.unwrap().as_ref(), index, "{path}");
    }
}
