//! A headless Chromium driven through chromedriver, with the waits and the post-mortem the
//! tests share. Nothing here skips: a missing browser fails the test.
use crate::support::{PASSWORD, free_port, screenshot_dir, unique_email};
use fantoccini::elements::Element;
use fantoccini::{ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a wait for the page lasts.
pub const WAIT: Duration = Duration::from_secs(15);

fn find_binary(env: &str, candidates: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{} not found: install Debian's chromium and chromium-driver \
                 (`apt-get install -y chromium chromium-driver`; `cargo xtask test` does as root) or set {env}",
                candidates.join(" or ")
            )
        })
}

/// A headless Chromium session; [`Browser::close`] ends it (and chromedriver on drop).
pub struct Browser {
    pub c: fantoccini::Client,
    pub base: String,
    driver: Child,
    _profile: TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub async fn start(base: &str) -> Self {
        let chromium = find_binary(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let chromedriver = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut args = args;
        if let Some(path) = std::env::var_os("BOOKSTORE_E2E_NETLOG") {
            args.push(format!("--log-net-log={}", PathBuf::from(path).display()));
            args.push("--net-log-capture-mode=Everything".into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let mut connected = None;
        for _ in 0..3 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => {
                    connected = Some(c);
                    break;
                }
                Err(e) => {
                    eprintln!("chromedriver session failed, retrying: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        let c = connected.expect("a Chromium session through chromedriver");
        let b = Self {
            c,
            base: base.to_owned(),
            driver,
            _profile: profile,
        };
        crate::devtools::on_every_document(&b, crate::devtools::PAGE_LOG).await;
        b
    }

    pub async fn close(self) {
        let _ = self.c.clone().close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        self.c.current_url().await.expect("url").path().to_owned()
    }

    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .c
                .wait()
                .at_most(left)
                .for_element(Locator::Css(css))
                .await
            {
                Ok(el) => return el,
                // A page the app loads from the server (another bundle's) interrupts the
                // wait; the element may be in the page that comes.
                Err(e) if left > Duration::ZERO && e.to_string().contains("navigation") => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => self.failed(&format!("no element {css}: {e}")).await,
            }
        }
    }

    /// Fails the test, keeping a screenshot and the page's text for the post-mortem.
    pub async fn failed(&self, msg: &str) -> ! {
        let name = format!("FAILED-{}", std::process::id());
        if let Ok(png) = self.c.screenshot().await {
            let dir = screenshot_dir();
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
        let text = match self.c.find(Locator::Css("main")).await {
            Ok(m) => m.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let url = self
            .c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let errors = self
            .c
            .execute("return window.__errors || [];", vec![])
            .await
            .map(|v| v.to_string())
            .unwrap_or_default();
        panic!(
            "{msg}\n(at {url}; screenshot {name}.png; console errors: {errors}; page text:\n{text})"
        );
    }

    /// Waits until the document's title is `want`.
    pub async fn wait_title(&self, want: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let title = self.c.title().await.unwrap_or_default();
            if title == want {
                return;
            }
            if Instant::now() >= deadline {
                self.failed(&format!("title: expected {want:?}, last saw {title:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The requests the page has sent since `goto`, as `METHOD URL` (from the fetch hook).
    pub async fn requests(&self) -> Vec<String> {
        let log = self
            .c
            .execute("return window.__errors || [];", vec![])
            .await
            .expect("the page's log");
        log.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str()?.strip_prefix("fetch ").map(str::to_owned))
            .collect()
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        // To the middle of the window: at its top, a sticky header (on a narrow window) would
        // take the click.
        let _ = self
            .c
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' });",
                vec![serde_json::to_value(&el).expect("element ref")],
            )
            .await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks the first `css` element whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            for el in self.c.find_all(Locator::Css(css)).await.unwrap_or_default() {
                if el.text().await.unwrap_or_default().contains(text) {
                    el.click()
                        .await
                        .unwrap_or_else(|e| panic!("click {css} “{text}”: {e}"));
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no {css} with text “{text}”");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces the value of an input (so that the app sees input events).
    /// Picks the option `value` of the `<select>` at `css`, once the option is there (the
    /// options may come from the API), as a user's choice would (a `change` event).
    pub async fn choose(&self, css: &str, value: &str) {
        self.find(&format!("{css} option[value='{value}']")).await;
        let el = self.find(css).await;
        self.c
            .execute(
                "arguments[0].value = arguments[1]; \
                 arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![
                    serde_json::to_value(&el).expect("element ref"),
                    serde_json::Value::from(value),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        // Empty it the way typing would, so the app's `input` handler sees it.
        self.c
            .execute(
                "arguments[0].value = ''; \
                 arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
                vec![serde_json::to_value(&el).expect("element ref")],
            )
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Waits until the text of `css` satisfies `ok`; returns it.
    pub async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if ok(&last) {
                    return last;
                }
            }
            if Instant::now() >= deadline {
                self.failed(&format!("{css}: expected {what}, last saw “{last}”"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_contains(&self, css: &str, text: &str) -> String {
        self.wait_text(css, &format!("“{text}”"), |t| t.contains(text))
            .await
    }

    /// Waits until an attribute of `css` equals `value`.
    pub async fn wait_attr(&self, css: &str, attr: &str, value: &str) {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await {
                last = el.attr(attr).await.ok().flatten();
                if last.as_deref() == Some(value) {
                    return;
                }
            }
            if Instant::now() >= deadline {
                self.failed(&format!(
                    "{css}[{attr}]: expected {value}, last saw {last:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_path(&self, ok: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let p = self.path().await;
            if ok(&p) {
                return p;
            }
            if Instant::now() >= deadline {
                self.failed(&format!("expected to reach {what}, at {p}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.c.find(Locator::Css(css)).await.is_ok()
    }

    /// Fails unless the page fits the window's width (nothing to scroll sideways).
    pub async fn fits_width(&self, what: &str) {
        let fits = self
            .c
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await
            .expect("page width");
        if fits != serde_json::json!(true) {
            self.failed(&format!("{what} is wider than the window"))
                .await;
        }
    }

    /// Saves a PNG of the window as `<screenshot dir>/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        // Let fonts and the last update settle.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let png = self.c.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Registers a customer through the app; returns the e-mail.
    pub async fn register(&self, name: &str) -> String {
        let email = unique_email();
        self.goto("/register").await;
        self.fill("#reg-name", name).await;
        self.fill("#reg-email", &email).await;
        self.fill("#reg-password", PASSWORD).await;
        self.click("form button[type=submit]").await;
        self.wait_contains(".user-name", name).await;
        email
    }

    /// Logs in through the app.
    pub async fn login(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#login-email", email).await;
        self.fill("#login-password", password).await;
        self.click("form button[type=submit]").await;
        self.find(".who .user-name").await;
    }
}
