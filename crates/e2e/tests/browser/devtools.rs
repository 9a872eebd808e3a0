//! Chromium's DevTools protocol through chromedriver (`goog/cdp/execute`): throttling for the
//! first-load test, and the page log every document of a test keeps from its first moment.
use crate::support::Browser;

/// Keeps the page's errors (a WASM panic is logged with `console.error`), its fetches and its
/// live-stock streams in `window.__errors`, for `Browser::failed` and `Browser::requests`. Run
/// before any script of each document, a reload's and another bundle's included.
pub const PAGE_LOG: &str = "window.__errors = []; \
     const error = console.error; \
     console.error = (...a) => { window.__errors.push(a.join(' ')); error(...a); }; \
     window.addEventListener('error', (e) => window.__errors.push(String(e.message))); \
     window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason))); \
     const f = window.fetch; window.fetch = (r, o) => { window.__errors.push('fetch ' + (r.method || '') + ' ' + (r.url || r)); \
       return f(r, o).then((x) => { window.__errors.push('done ' + x.status + ' ' + x.url); return x; }, \
       (e) => { window.__errors.push('fail ' + e); throw e; }); }; \
     const ES = window.EventSource; \
     window.EventSource = function (u, o) { \
       const es = new ES(u, o); window.__errors.push('sse open ' + u); \
       const close = es.close.bind(es); \
       es.close = () => { window.__errors.push('sse close ' + u); close(); }; \
       return es; }; \
     Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });";

#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sends one DevTools command.
pub async fn cdp(b: &Browser, cmd: &'static str, params: serde_json::Value) {
    b.c.issue_cmd(Cdp { cmd, params })
        .await
        .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"));
}

/// Runs `source` in every document the browser loads from now on, before the page's scripts.
pub async fn on_every_document(b: &Browser, source: &str) {
    cdp(
        b,
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": source }),
    )
    .await;
}
