//! Project tasks, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask run`     — build the SPA and the server, then start the whole shop on the
//!   embedded store (dev mode).
//! - `cargo xtask test`    — everything CI checks: formatting, clippy, the SPA build, every test
//!   (the browser tests included).
//! - `cargo xtask spa`     — build the SPA into `frontend/dist` (installs what it needs first).
//! - `cargo xtask openapi` — regenerate `api-spec/openapi.json` from the code.
mod spa;

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

fn run(step: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("==> {step}");
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{step} failed ({s})")),
        Err(e) => Err(format!("{step} could not start: {e}")),
    }
}

fn test() -> Result<(), String> {
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
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
    let dist = spa::build()?;
    // The browser tests (crates/e2e) serve this build and save screenshots next to the build.
    run(
        "cargo test",
        cargo()
            .args(["test", "--workspace"])
            .env("BOOKSTORE_E2E_DIST", &dist)
            .env("BOOKSTORE_SCREENSHOTS", target_dir().join("screenshots")),
    )?;
    Ok(())
}

fn serve(extra: &[String]) -> Result<(), String> {
    let dist = spa::build()?;
    run(
        "build the server",
        cargo().args(["build", "--release", "-p", "bookstore-api"]),
    )?;
    let bin = target_dir().join("release/bookstore");
    eprintln!(
        "==> serving: the shop at http://127.0.0.1:8080/, the API docs at /docs/ (Ctrl-C stops)"
    );
    let mut cmd = Command::new(bin);
    cmd.current_dir(root())
        .env("BOOKSTORE__STATIC_DIR", dist)
        .arg("serve")
        .args(extra);
    run("bookstore serve", &mut cmd)
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
        Some("spa") => spa::build().map(|_| ()),
        Some("openapi") => openapi(),
        _ => Err("usage: cargo xtask <run | test | spa | openapi>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
