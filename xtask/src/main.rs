//! Project tasks, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask run`     — build the SPA and the server, then start the whole shop on the
//!   embedded store (dev mode).
//! - `cargo xtask test`    — everything CI checks: formatting, clippy, the SPA build, every test
//!   (the browser tests included), the HTTP suite once per back end (embedded, and DynamoDB Local
//!   started here).
//! - `cargo xtask spa`     — build the SPA into `frontend/dist` (installs what it needs first).
//! - `cargo xtask openapi` — regenerate `api-spec/openapi.json` from the code.
mod layers;
mod prereqs;
mod spa;
mod steps;
mod testbin;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs one step of a task (timed: see `steps`).
fn run(step: &str, cmd: &mut Command) -> Result<(), String> {
    steps::timed(step, || match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{step} failed ({s})")),
        Err(e) => Err(format!("{step} could not start: {e}")),
    })
}

fn test() -> Result<(), String> {
    steps::timed("system prerequisites", || {
        prereqs::ensure(prereqs::Task::Test)
    })?;
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    steps::timed("layering (crates, module cycles)", layers::check)?;
    run(
        "cargo clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "infra checks (cfn-lint, hadolint, index drift)",
        Command::new("bash").arg(root().join("infra/check.sh")),
    )?;
    run(
        "spec check (a generated client's journey, schemathesis)",
        Command::new("bash").arg(root().join("scripts/spec-check.sh")),
    )?;
    run(
        "install DynamoDB Local",
        Command::new("bash")
            .arg(root().join("scripts/dynamodb-local.sh"))
            .arg("install"),
    )?;
    // The browser tests (crates/e2e) serve this build and save screenshots beside the build.
    let dist = spa::build()?;
    let dynamo = steps::timed("start DynamoDB Local", DynamoLocal::start)?;
    let endpoint = dynamo.endpoint.clone();
    // Unit tests, the store conformance suite (both back ends) and the HTTP suite on the
    // embedded store...
    let screenshots = target_dir().join("screenshots");
    let first_load = screenshots.join("first-load.txt");
    let _ = std::fs::remove_file(&first_load);
    run(
        "cargo test (HTTP suite on the embedded store)",
        cargo()
            .args(["test", "--workspace"])
            .env("BOOKSTORE_TEST_DYNAMODB_ENDPOINT", &endpoint)
            .env("BOOKSTORE_E2E_DIST", &dist)
            .env("BOOKSTORE_SCREENSHOTS", &screenshots),
    )?;
    // The browser test `first_load` measured the shop on a throttled phone (issue 23).
    match std::fs::read_to_string(&first_load) {
        Ok(figure) => println!("==> the shop's {}", figure.trim()),
        Err(_) => println!("==> the shop's first load: not measured (no browser test ran)"),
    }
    // ...then the same HTTP suite on DynamoDB: the very binary the step above built, run as
    // cargo runs it (from the package's directory). Asking cargo for it with another package
    // selection (`-p bookstore-api --test api`, even `--workspace --test api`) resolved the
    // dependencies' features differently and recompiled dozens of crates.
    let api_suite = steps::timed("find that binary (cargo test --no-run)", || {
        testbin::workspace_test_binary("bookstore-api", "api")
    })?;
    run(
        "HTTP suite on DynamoDB Local (the api test binary built above)",
        Command::new(api_suite)
            .current_dir(root().join("crates/api"))
            .env("BOOKSTORE_TEST_STORE", "dynamodb")
            .env("BOOKSTORE_TEST_DYNAMODB_ENDPOINT", &endpoint),
    )?;
    drop(dynamo);
    Ok(())
}

/// One DynamoDB Local (in memory) shared by every test binary of a run.
struct DynamoLocal {
    child: std::process::Child,
    endpoint: String,
    scratch: PathBuf,
}

impl DynamoLocal {
    fn start() -> Result<Self, String> {
        let out = Command::new("bash")
            .arg(root().join("scripts/dynamodb-local.sh"))
            .arg("dir")
            .output()
            .map_err(|e| e.to_string())?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        // It writes a metadata file into its working directory: keep that out of the repo.
        let scratch = std::env::temp_dir().join(format!("xtask-dynamodb-{port}"));
        std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
        let child = Command::new("java")
            .arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(dir.join("DynamoDBLocal.jar"))
            .args([
                "-port",
                &port.to_string(),
                "-inMemory",
                "-sharedDb",
                "-disableTelemetry",
            ])
            .current_dir(&scratch)
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("starting DynamoDB Local (java): {e}"))?;
        let this = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            scratch,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if std::time::Instant::now() > deadline {
                return Err("DynamoDB Local did not start within 60 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        eprintln!("DynamoDB Local at {}", this.endpoint);
        Ok(this)
    }
}

impl Drop for DynamoLocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

fn serve(extra: &[String]) -> Result<(), String> {
    steps::timed("system prerequisites", || {
        prereqs::ensure(prereqs::Task::Run)
    })?;
    // The SPA and the server build side by side (in two target directories, see spa.rs): each
    // build has stretches where it keeps one core busy or none (build scripts, the last big
    // crates, linking, fat LTO of the WASM, the tools' installs), which the other fills.
    // `release` is the quick-to-build profile; benches and the image use `production` (fat LTO).
    let (dist, server) = std::thread::scope(|s| {
        let spa = s.spawn(spa::build);
        // The shop runs on the embedded store: without DynamoDB (the AWS SDK and its TLS stack)
        // the cold build takes a fraction of the time. Asked for DynamoDB, build it in.
        let dynamodb = std::env::var("BOOKSTORE__STORE").is_ok_and(|s| s == "dynamodb");
        let mut build = cargo();
        build.args(["build", "--release", "-p", "bookstore-api"]);
        if !dynamodb {
            build.arg("--no-default-features");
        }
        let server = run("build the server (profile release)", &mut build);
        let dist = spa
            .join()
            .unwrap_or_else(|_| Err("the SPA build panicked".into()));
        (dist, server)
    });
    server?;
    let dist = dist?;
    steps::print_summary();
    let bin = target_dir().join("release/bookstore");
    let mut cmd = Command::new(bin);
    cmd.current_dir(root())
        .env("BOOKSTORE__STATIC_DIR", dist)
        .arg("serve")
        .args(extra);
    // Development: the shop's mail goes to a local SMTP server that keeps every message in a
    // Maildir, and webhooks may point at this machine (explicitly allowed here, never by
    // default). A configured SMTP server wins.
    let _smtp = match std::env::var("BOOKSTORE__MAIL__SMTP_HOST") {
        Ok(_) => None,
        Err(_) => {
            let smtp = steps::timed("start the development mail server", DevSmtp::start)?;
            cmd.env("BOOKSTORE__MAIL__SMTP_HOST", "127.0.0.1")
                .env("BOOKSTORE__MAIL__SMTP_PORT", smtp.port.to_string())
                .env("BOOKSTORE__MAIL__SECURITY", "none")
                .env("BOOKSTORE__MAIL__FROM", "Bookstore <shop@localhost>")
                .env("BOOKSTORE__MAIL__SHOP_URL", "http://127.0.0.1:8080");
            Some(smtp)
        }
    };
    // Payments go to localstripe, a Stripe emulator on this machine (test cards: 4242 4242
    // 4242 4242 authorizes, 4000 0000 0000 0341 is declined, 4000 0025 0000 3155 asks for
    // 3-D Secure). A configured provider wins.
    let _payments = match std::env::var("BOOKSTORE__PAYMENTS__API_URL") {
        Ok(_) => None,
        Err(_) => {
            let p = steps::timed("start the development payment server", DevPayments::start)?;
            let url = format!("http://127.0.0.1:{}", p.port);
            cmd.env("BOOKSTORE__PAYMENTS__API_URL", &url)
                .env("BOOKSTORE__PAYMENTS__SECRET_KEY", "sk_test_development")
                .env(
                    "BOOKSTORE__PAYMENTS__PUBLISHABLE_KEY",
                    "pk_test_development",
                )
                .env(
                    "BOOKSTORE__PAYMENTS__JS_URL",
                    format!("{url}/js.stripe.com/v3/"),
                );
            Some(p)
        }
    };
    if std::env::var("BOOKSTORE__WEBHOOKS__ALLOW_PRIVATE_TARGETS").is_err() {
        cmd.env("BOOKSTORE__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");
    }
    eprintln!(
        "==> serving: the shop at http://127.0.0.1:8080/, the API docs at /docs/ (Ctrl-C stops)"
    );
    if let Some(smtp) = &_smtp {
        eprintln!(
            "==> the shop's mail: one file per message in {}",
            smtp.maildir.join("new").display()
        );
    }
    run("bookstore serve", &mut cmd)
}

/// aiosmtpd (scripts/smtp-server.sh) on a free port, keeping mail in `data/mail`.
struct DevSmtp {
    child: std::process::Child,
    port: u16,
    maildir: PathBuf,
}

impl DevSmtp {
    fn start() -> Result<Self, String> {
        let script = root().join("scripts/smtp-server.sh");
        run(
            "install the mail server",
            Command::new("bash").arg(&script).arg("install"),
        )?;
        let out = Command::new("bash")
            .arg(&script)
            .arg("python")
            .output()
            .map_err(|e| e.to_string())?;
        let python = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let data = std::env::var("BOOKSTORE__DATA_DIR").unwrap_or_else(|_| "data".into());
        let maildir = root().join(data).join("mail");
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the mail server: {e}"))?;
        Ok(Self {
            child,
            port,
            maildir,
        })
    }
}

/// localstripe (scripts/payment-server.sh) on a free port.
struct DevPayments {
    child: std::process::Child,
    port: u16,
}

impl DevPayments {
    fn start() -> Result<Self, String> {
        let script = root().join("scripts/payment-server.sh");
        run(
            "install the payment server",
            Command::new("bash").arg(&script).arg("install"),
        )?;
        let out = Command::new("bash")
            .arg(&script)
            .arg("bin")
            .output()
            .map_err(|e| e.to_string())?;
        let bin = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        // In memory, from scratch: never another localstripe's dump in /tmp.
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--from-scratch"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the payment server: {e}"))?;
        Ok(Self { child, port })
    }
}

impl Drop for DevPayments {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DevSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openapi() -> Result<(), String> {
    let out = cargo()
        .args(["run", "--quiet", "-p", "bookstore-api", "--", "openapi"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    std::fs::write(root().join("api-spec/openapi.json"), out.stdout).map_err(|e| e.to_string())?;
    eprintln!("wrote api-spec/openapi.json");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("run") => serve(&args[1..]),
        Some("spa") => prereqs::ensure(prereqs::Task::Run).and_then(|()| spa::build().map(|_| ())),
        Some("openapi") => openapi(),
        _ => Err("usage: cargo xtask <run | test | spa | openapi>".into()),
    };
    steps::print_summary();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
