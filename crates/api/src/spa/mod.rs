//! Serves the single-page app from `static_dir` (what `cargo xtask spa` writes).
//!
//! The files are read once at start (the app is a handful of files) with their precompressed
//! `.br` / `.gz` siblings, if any. Content-hashed names (`app-0123456789abcdef.wasm`) are cached
//! for a year as immutable; anything else, `index.html` above all, is `no-cache` (revalidated by
//! `ETag`). A GET of an unknown path outside the API answers `index.html`, so that the app's
//! own routes (`/books/…`, `/cart`) survive a reload; for `/` and `/books` with the first books
//! in it (see [`prerender`]). The app comes in bundles (see `bookstore_model::bundle`): for the
//! shopper's own pages it answers `shopper.html`, under `/admin` `admin.html`, if there are.
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use bookstore_model::bundle::Bundle;
use std::collections::HashMap;
use std::path::Path;

mod prerender;

/// Path prefixes that belong to the server, never to the app.
const SERVER_PREFIXES: &[&str] = &["api", "api-docs", "docs", "healthz", "readyz", "metrics"];

/// The policy of the app's HTML pages, with `{scripts}` the hashes of their inline scripts:
/// scripts only from this origin or those exact inline ones (no `unsafe-inline`), WebAssembly
/// compiled from them, calls to this origin only, and no framing. `{provider}`, `{calls}` and
/// `{frames}` are the payment provider's origins (see [`PaymentSources`]): its script, the calls
/// it makes and the frames it shows (card fields, 3-D Secure), and nothing else.
const APP_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}{provider}; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{calls}; \
frame-src 'self'{frames}; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// The origins the payment provider's script needs in the app's pages: the origin of the
/// configured script (checkout loads it from there and nowhere else) for scripts, calls and
/// frames; for Stripe's own script, also the API and 3-D Secure hosts Stripe documents for its
/// policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentSources {
    script: Vec<String>,
    connect: Vec<String>,
    frame: Vec<String>,
}

impl PaymentSources {
    /// For the script at `js_url` (an origin that is not plain `scheme://host[:port]` is left
    /// out: it would not be a valid source).
    pub fn for_script(js_url: &str) -> Self {
        let Some((scheme, rest)) = js_url.split_once("://") else {
            return Self::default();
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let valid = matches!(scheme, "http" | "https")
            && !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !valid {
            return Self::default();
        }
        let origin = format!("{scheme}://{host}");
        let mut me = Self {
            script: vec![origin.clone()],
            connect: vec![origin.clone()],
            frame: vec![origin.clone()],
        };
        if origin == "https://js.stripe.com" {
            me.connect.push("https://api.stripe.com".into());
            me.frame.push("https://hooks.stripe.com".into());
        }
        me
    }
}

fn sources(list: &[String]) -> String {
    list.iter().map(|s| format!(" {s}")).collect()
}

struct Asset {
    body: Bytes,
    /// `Content-Security-Policy` of an HTML page.
    csp: Option<HeaderValue>,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    content_type: &'static str,
    etag: String,
    immutable: bool,
}

/// The app's files, in memory.
#[derive(Default)]
pub struct StaticFiles {
    files: HashMap<String, Asset>,
    /// `index.html` cut around the region the server fills with books.
    template: Option<prerender::Template>,
    rendered: prerender::Cache,
}

impl StaticFiles {
    /// Reads `dir` (not recursively into hidden files). A missing or unreadable directory
    /// leaves the API working without the app, with a warning.
    pub fn load(dir: &Path, payments: &PaymentSources) -> Self {
        let mut files = HashMap::new();
        if let Err(e) = read_dir(dir, dir, payments, &mut files) {
            tracing::warn!(
                static_dir = %dir.display(),
                error = %e,
                "no single-page app to serve (build it with `cargo xtask spa`); the API works without it"
            );
            return Self::default();
        }
        if !files.contains_key("index.html") {
            tracing::warn!(static_dir = %dir.display(), "static_dir has no index.html");
        }
        tracing::info!(static_dir = %dir.display(), files = files.len(), "serving the single-page app");
        let template = files
            .get("index.html")
            .and_then(|i| prerender::Template::parse(&String::from_utf8_lossy(&i.body)));
        Self {
            files,
            template,
            rendered: prerender::Cache::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// [`Self::respond`], but the home page and the catalogue come with their first books
    /// (from `catalogue`) in the page; without them if the catalogue fails.
    pub async fn respond_with_books(
        &self,
        req: &HttpRequest,
        catalogue: &bookstore_domain::catalogue::Catalogue,
    ) -> Option<HttpResponse> {
        let path = req.match_info().as_str().trim_start_matches('/');
        if (req.method() == Method::GET || req.method() == Method::HEAD)
            && let (Some(template), Some(index)) = (&self.template, self.files.get("index.html"))
            && let Some(page) = prerender::Page::of(path, req.query_string())
            && let Some(region) = self.rendered.region(page, catalogue).await
        {
            return Some(index.filled(req, template.fill(&region)));
        }
        self.respond(req)
    }

    /// Answers a request the API did not route: a file of the app, `index.html` for an app
    /// route, or `None` (a 404 problem) for API paths, other methods and missing files.
    pub fn respond(&self, req: &HttpRequest) -> Option<HttpResponse> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return None;
        }
        // The decoded path, as the router saw it: `/%61pi/…` is an API path too.
        let path = req.match_info().as_str().trim_start_matches('/');
        let first = path.split('/').next().unwrap_or_default();
        if SERVER_PREFIXES.contains(&first) {
            return None;
        }
        let asset = match self.files.get(path) {
            Some(a) => a,
            // A missing file (anything with an extension) is a 404, not the app's page: a
            // browser would try to run HTML as a script.
            None if path.rsplit('/').next().unwrap_or_default().contains('.') => return None,
            // The page of the least bundle with this address (a dist built with one bundle
            // only has `index.html`).
            None => {
                let page = Bundle::of(path).page();
                match self.files.get(page) {
                    Some(page) => page,
                    None => self.files.get("index.html")?,
                }
            }
        };
        Some(asset.response(req))
    }
}

impl Asset {
    /// This page with `body` instead of its own (the compression middleware compresses it).
    fn filled(&self, req: &HttpRequest, body: String) -> HttpResponse {
        let etag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
        let not_modified = crate::routes::not_modified(req, &etag);
        let mut res = HttpResponse::build(if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        });
        res.insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::ETAG, etag))
            .insert_header((header::VARY, "Accept-Encoding"));
        if let Some(csp) = &self.csp {
            res.insert_header((header::CONTENT_SECURITY_POLICY, csp.clone()));
        }
        if not_modified || req.method() == Method::HEAD {
            return res.finish();
        }
        res.insert_header((header::CONTENT_TYPE, self.content_type))
            .body(body)
    }

    fn response(&self, req: &HttpRequest) -> HttpResponse {
        let cache = if self.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let not_modified = crate::routes::not_modified(req, &self.etag);
        let mut res = HttpResponse::build(if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        });
        res.insert_header((header::CACHE_CONTROL, cache))
            .insert_header((header::ETAG, self.etag.clone()))
            .insert_header((header::VARY, "Accept-Encoding"));
        if let Some(csp) = &self.csp {
            res.insert_header((header::CONTENT_SECURITY_POLICY, csp.clone()));
        }
        if not_modified {
            return res.finish();
        }
        res.insert_header((header::CONTENT_TYPE, self.content_type));
        let accepts = |coding: &str| accepts_encoding(req, coding);
        let (body, encoding) = match (&self.brotli, &self.gzip) {
            (Some(br), _) if accepts("br") => (br.clone(), Some("br")),
            (_, Some(gz)) if accepts("gzip") => (gz.clone(), Some("gzip")),
            _ => (self.body.clone(), None),
        };
        if let Some(enc) = encoding {
            // The compression middleware leaves encoded responses alone.
            res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(enc)));
        }
        if req.method() == Method::HEAD {
            return res.finish();
        }
        res.body(body)
    }
}

/// Whether `Accept-Encoding` allows `coding` (present without `q=0`).
fn accepts_encoding(req: &HttpRequest, coding: &str) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let q_zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case(coding) && !q_zero
        })
}

fn read_dir(
    root: &Path,
    dir: &Path,
    payments: &PaymentSources,
    out: &mut HashMap<String, Asset>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            read_dir(root, &path, payments, out)?;
            continue;
        }
        if name.ends_with(".br") || name.ends_with(".gz") {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let body = Bytes::from(std::fs::read(&path)?);
        let sibling = |ext: &str| {
            std::fs::read(path.with_file_name(format!("{name}.{ext}")))
                .ok()
                .map(Bytes::from)
        };
        let csp = name
            .ends_with(".html")
            .then(|| app_csp(&String::from_utf8_lossy(&body), payments))
            .and_then(|p| HeaderValue::from_str(&p).ok());
        let asset = Asset {
            csp,
            etag: format!("\"{:016x}\"", fnv1a(&body)),
            brotli: sibling("br"),
            gzip: sibling("gz"),
            content_type: content_type(&name),
            immutable: is_hashed(&name),
            body,
        };
        out.insert(rel, asset);
    }
    Ok(())
}

/// [`APP_CSP`] for a page: the SHA-256 of each of its inline scripts, so that exactly those
/// run (the module script that starts the app) and nothing injected does.
fn app_csp(html: &str, payments: &PaymentSources) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut hashes = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let tag = &rest[start..];
        let Some(open_end) = tag.find('>') else { break };
        let Some(close) = tag.find("</script>") else {
            break;
        };
        let attrs = &tag[..open_end];
        if !attrs.contains("src=") && open_end < close {
            let body = &tag[open_end + 1..close];
            let digest = sha2::Sha256::digest(body.as_bytes());
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            hashes.push_str(&format!(" 'sha256-{b64}'"));
        }
        rest = &tag[close + "</script>".len()..];
    }
    APP_CSP
        .replace("{scripts}", &hashes)
        .replace("{provider}", &sources(&payments.script))
        .replace("{calls}", &sources(&payments.connect))
        .replace("{frames}", &sources(&payments.frame))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// A content-hashed name: `<stem>-<16 hex digits>.<ext>`.
pub fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// FNV-1a, 64 bits: an `ETag`, not a security measure.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_scripts() {
        let csp = app_csp(
            "<script type=\"module\">run();</script><script src=\"/a.js\"></script>\
             <script>other()</script>",
            &PaymentSources::default(),
        );
        // echo -n 'run();' | openssl dgst -sha256 -binary | base64
        assert!(
            csp.contains("'sha256-vUOElbTHLp1UxxGV/I6teJfpCV5vgaasYjEhPKN2fqQ='"),
            "{csp}"
        );
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("connect-src 'self';"), "{csp}");
    }

    #[test]
    fn the_policy_lets_in_the_payment_script_and_nothing_else() {
        let local = PaymentSources::for_script("http://127.0.0.1:4242/js.stripe.com/v3/");
        let csp = app_csp("", &local);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' http://127.0.0.1:4242;"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:4242;"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-src 'self' http://127.0.0.1:4242;"),
            "{csp}"
        );
        let stripe = app_csp("", &PaymentSources::for_script("https://js.stripe.com/v3/"));
        assert!(
            stripe.contains("connect-src 'self' https://js.stripe.com https://api.stripe.com;")
        );
        assert!(
            stripe.contains("frame-src 'self' https://js.stripe.com https://hooks.stripe.com;")
        );
        for bad in [
            "javascript:alert(1)",
            "https://a.example; script-src *",
            "//x",
            "",
        ] {
            assert_eq!(
                PaymentSources::for_script(bad),
                PaymentSources::default(),
                "{bad}"
            );
        }
    }

    #[test]
    fn hashed_names() {
        assert!(is_hashed("app-0123456789abcdef.wasm"));
        assert!(is_hashed("style-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("app-123.js"));
        assert!(!is_hashed("favicon.svg"));
    }
}
