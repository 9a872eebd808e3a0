//! `cargo xtask spa`: builds the single-page app into `frontend/dist`, installing what the build
//! needs on a fresh machine first (idempotently):
//!
//! 1. the `wasm32-unknown-unknown` target (rustup);
//! 2. `wasm-bindgen` of exactly the `wasm-bindgen` version in `Cargo.lock` (cargo install, into
//!    the tools cache unless the one on `PATH` matches);
//! 3. `wasm-opt` from npm `binaryen@132.0.0` (Debian's binaryen breaks the module), into the
//!    tools cache (`$BOOKSTORE_TOOLS_DIR`, default `~/.cache/bookstore-tools`).
//!
//! Then, for each of the three bundles (the shop's, the shopper's and the admin's: see
//! [`BUNDLES`]): cargo build (profile `wasm-release`, with Leptos's type erasure,
//! `--cfg erase_components`: a smaller module) → wasm-bindgen `--target web` → wasm-opt `-Oz` →
//! content-hashed file names, a page naming them (`index.html`, `shopper.html`, `admin.html`),
//! and `.br` / `.gz` siblings that the server sends as they are.
//!
//! The tools are installed while the WASM compiles (on a fresh machine `cargo install
//! wasm-bindgen-cli` is the longest of them), and the WASM builds in a target directory of its
//! own, `<target dir>/spa`: cargo locks a target directory for the whole of a build, and
//! `cargo xtask run` builds the SPA and the server at the same time. The bundles differ only in
//! the frontend crate's features: the later builds reuse every dependency the first compiled.
use crate::{cargo, root, run, target_dir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
const BINARYEN: &str = "132.0.0";
const CRATE: &str = "bookstore-frontend";

/// A build of the app: its files' stem, its page and the frontend's features it has.
struct Bundle {
    name: &'static str,
    page: &'static str,
    features: &'static str,
}

/// The shop's bundle (browsing: what a first visit needs), the shopper's (their own pages too:
/// signing in, checkout, account, orders) and the admin bundle (everything); the pages are
/// `bookstore_model::bundle`'s.
const BUNDLES: [Bundle; 3] = [
    Bundle {
        name: "app",
        page: "index.html",
        features: "",
    },
    Bundle {
        name: "shopper",
        page: "shopper.html",
        features: "shopper",
    },
    Bundle {
        name: "admin",
        page: "admin.html",
        features: "admin",
    },
];

/// Builds the SPA; returns the dist directory.
pub fn build() -> Result<PathBuf, String> {
    ensure_target()?;
    let (tools, compiled) = std::thread::scope(|s| {
        let tools = s.spawn(|| Ok::<_, String>((ensure_wasm_opt()?, ensure_wasm_bindgen()?)));
        let compiled = BUNDLES.iter().try_for_each(compile);
        let tools = tools
            .join()
            .unwrap_or_else(|_| Err("installing the SPA's tools panicked".into()));
        (tools, compiled)
    });
    compiled?;
    let (wasm_opt, wasm_bindgen) = tools?;
    // wasm-opt and the compression take seconds to a minute: skip them when frontend/dist was
    // made from these very inputs (a warm `cargo xtask run` then starts at once). The record
    // names the index.html it wrote (which names the content-hashed files): a dist written
    // since by a build with another target dir does not pass for this one's.
    let dist = root().join("frontend/dist");
    let key = inputs_key()?;
    let key_file = spa_target_dir().join("dist-inputs");
    let index_hash = |dist: &Path| {
        std::fs::read(dist.join("index.html")).map(|b| format!("; index.html {:016x}", fnv1a(&b)))
    };
    if let Ok(index) = index_hash(&dist)
        && std::fs::read_to_string(&key_file).is_ok_and(|k| k == format!("{key}{index}"))
    {
        eprintln!("frontend/dist is up to date");
        return Ok(dist);
    }
    let _ = std::fs::remove_file(&key_file);
    let stage = target_dir().join("spa-stage");
    let _ = std::fs::remove_dir_all(&stage);
    for b in &BUNDLES {
        run(
            &format!("wasm-bindgen ({})", b.name),
            Command::new(&wasm_bindgen)
                .args(["--target", "web", "--no-typescript", "--out-name", b.name])
                .arg("--out-dir")
                .arg(&stage)
                .arg(built(b)),
        )?;
    }
    // One wasm-opt per bundle, side by side (each runs on one core).
    std::thread::scope(|s| {
        let runs: Vec<_> = BUNDLES
            .iter()
            .map(|b| {
                let (wasm_opt, stage) = (&wasm_opt, &stage);
                s.spawn(move || optimise(wasm_opt, stage, b))
            })
            .collect();
        runs.into_iter()
            .try_for_each(|r| r.join().unwrap_or_else(|_| Err("wasm-opt panicked".into())))
    })?;
    let dist = crate::steps::timed(
        "write frontend/dist (hashed names, gzip and brotli copies)",
        || write_dist(&stage),
    )?;
    let index = index_hash(&dist).map_err(|e| format!("reading frontend/dist/index.html: {e}"))?;
    write(&key_file, format!("{key}{index}").as_bytes())?;
    Ok(dist)
}

/// Compiles `bundle` and keeps its WASM aside (the next build writes the same file).
fn compile(bundle: &Bundle) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "-p",
        CRATE,
        "--target",
        TARGET,
        "--profile",
        PROFILE,
    ]);
    cmd.args(["--no-default-features", "--features", bundle.features]);
    // Leptos's type erasure: views as boxed trait objects instead of one type per view tree,
    // ~16 % less WASM. Added to the caller's flags (the SPA has a target directory of its own,
    // so the server's build is not rebuilt for them).
    let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    cmd.env(
        "RUSTFLAGS",
        format!("{flags} --cfg erase_components").trim(),
    )
    .env("CARGO_TARGET_DIR", spa_target_dir())
    // Other builds may be writing to the terminal too: lines, no progress bar.
    .env("CARGO_TERM_PROGRESS_WHEN", "never");
    run(
        &format!(
            "build the SPA's {} bundle (wasm32, profile wasm-release)",
            bundle.name
        ),
        &mut cmd,
    )?;
    let out = spa_target_dir()
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{CRATE}.wasm"));
    let kept = built(bundle);
    std::fs::copy(&out, &kept)
        .map(|_| ())
        .map_err(|e| format!("copying {} to {}: {e}", out.display(), kept.display()))
}

/// Where [`compile`] keeps a bundle's WASM.
fn built(bundle: &Bundle) -> PathBuf {
    spa_target_dir().join(format!("{}.wasm", bundle.name))
}

fn optimise(wasm_opt: &Path, stage: &Path, b: &Bundle) -> Result<(), String> {
    run(
        &format!("wasm-opt -Oz ({})", b.name),
        Command::new(wasm_opt)
            .arg(stage.join(format!("{}_bg.wasm", b.name)))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                "-o",
            ])
            .arg(stage.join(format!("{}_opt.wasm", b.name))),
    )
}

/// What frontend/dist is made from: the built WASM of each bundle, the page template and style
/// sheet, and the versions of the tools that process them.
fn inputs_key() -> Result<String, String> {
    let frontend = root().join("frontend");
    let mut key = format!(
        "wasm-bindgen {}, binaryen {BINARYEN}, glue classes on globalThis",
        locked_wasm_bindgen()?
    );
    let mut files: Vec<PathBuf> = BUNDLES.iter().map(built).collect();
    files.extend([frontend.join("index.html"), frontend.join("style.css")]);
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        key.push_str(&format!(", {:016x} {}", fnv1a(&bytes), bytes.len()));
    }
    Ok(key)
}

/// The glue's type checks (`x instanceof Element`) made to name the browser's classes on the
/// global object (`instanceof globalThis.Element`). A classic script's top-level
/// `class Element {}` (localstripe's Stripe.js stand-in, which checkout loads, has one) shadows
/// the bare name for every script of the page, module scripts included, and the app's DOM
/// casts would then all fail; the global object's property is never shadowed. Same classes in
/// a normal page.
fn global_classes(js: &[u8]) -> Vec<u8> {
    const CHECK: &[u8] = b"instanceof ";
    let mut out = Vec::with_capacity(js.len() + 256);
    let mut i = 0;
    while i < js.len() {
        if js[i..].starts_with(CHECK) {
            out.extend_from_slice(CHECK);
            i += CHECK.len();
            if js.get(i).is_some_and(u8::is_ascii_uppercase) {
                out.extend_from_slice(b"globalThis.");
            }
        } else {
            out.push(js[i]);
            i += 1;
        }
    }
    out
}

/// Where the WASM is built: see the module's documentation.
fn spa_target_dir() -> PathBuf {
    target_dir().join("spa")
}

fn write_dist(stage: &Path) -> Result<PathBuf, String> {
    let frontend = root().join("frontend");
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()));
    let css = read(&frontend.join("style.css"))?;
    let css_name = format!("style-{:016x}.css", fnv1a(&css));
    let template = String::from_utf8(read(&frontend.join("index.html"))?)
        .map_err(|_| "frontend/index.html is not UTF-8".to_owned())?;

    // Written beside the old dist, then swapped in, so a running server never sees half of it.
    let dist = frontend.join("dist");
    let fresh = frontend.join("dist.new");
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).map_err(|e| e.to_string())?;
    eprintln!("frontend/dist (sizes in bytes):");
    eprintln!("{:<32} {:>9} {:>9} {:>9}", "file", "raw", "gzip", "brotli");
    let sized = |name: &str, bytes: &[u8]| -> Result<[usize; 3], String> {
        let gz = gzip(bytes)?;
        let br = brotli(bytes)?;
        write(&fresh.join(name), bytes)?;
        write(&fresh.join(format!("{name}.gz")), &gz)?;
        write(&fresh.join(format!("{name}.br")), &br)?;
        eprintln!(
            "{name:<32} {:>9} {:>9} {:>9}",
            bytes.len(),
            gz.len(),
            br.len()
        );
        Ok([bytes.len(), gz.len(), br.len()])
    };
    let css_sizes = sized(&css_name, &css)?;
    for b in &BUNDLES {
        let wasm = read(&stage.join(format!("{}_opt.wasm", b.name)))?;
        let js = global_classes(&read(&stage.join(format!("{}.js", b.name)))?);
        let wasm_name = format!("{}-{:016x}.wasm", b.name, fnv1a(&wasm));
        let js_name = format!("{}-{:016x}.js", b.name, fnv1a(&js));
        let page = template
            .replace("{{app_js}}", &js_name)
            .replace("{{app_wasm}}", &wasm_name)
            .replace("{{style_css}}", &css_name);
        let mut totals = css_sizes;
        for (name, bytes) in [
            (b.page, page.as_bytes()),
            (&js_name, &js),
            (&wasm_name, &wasm),
        ] {
            for (t, n) in totals.iter_mut().zip(sized(name, bytes)?) {
                *t += n;
            }
        }
        eprintln!(
            "{:<32} {:>9} {:>9} {:>9}",
            format!("total ({}, first load)", b.page),
            totals[0],
            totals[1],
            totals[2]
        );
    }
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::rename(&fresh, &dist).map_err(|e| format!("installing frontend/dist: {e}"))?;
    Ok(dist)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        enc.write_all(bytes).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// FNV-1a, 64 bits: enough to tell builds apart in file names.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn tools_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BOOKSTORE_TOOLS_DIR") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").map_or_else(|| root().join("target"), PathBuf::from);
    home.join(".cache/bookstore-tools")
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ensure_target() -> Result<(), String> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    run(
        "rustup target add wasm32-unknown-unknown",
        Command::new("rustup").args(["target", "add", TARGET]),
    )
}

/// The version of the `wasm-bindgen` crate in `Cargo.lock`.
fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| e.to_string())?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines.next().unwrap_or_default().trim();
            if let Some(v) = version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
            {
                return Ok(v.to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen".into())
}

fn ensure_wasm_bindgen() -> Result<PathBuf, String> {
    let version = locked_wasm_bindgen()?;
    let wanted = format!("wasm-bindgen {version}");
    let on_path = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if on_path.trim() == wanted {
        return Ok(PathBuf::from("wasm-bindgen"));
    }
    let dir = tools_dir().join(format!("wasm-bindgen-{version}"));
    let bin = dir.join("bin/wasm-bindgen");
    let cached = output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if cached.trim() == wanted {
        return Ok(bin);
    }
    // No --locked: the CLI's own lockfile pins a crate version the registry lacks.
    run(
        &format!("cargo install wasm-bindgen-cli {version} (once per machine, ~2 min)"),
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(&dir)
            .env_remove("CARGO_TARGET_DIR")
            .env("CARGO_TERM_PROGRESS_WHEN", "never"),
    )?;
    Ok(bin)
}

fn ensure_wasm_opt() -> Result<PathBuf, String> {
    let dir = tools_dir().join(format!("binaryen-{BINARYEN}"));
    let bin = dir.join("node_modules/.bin/wasm-opt");
    let wanted = format!("version {}", BINARYEN.split('.').next().unwrap_or_default());
    let have = output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if have.contains(&wanted) {
        return Ok(bin);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    run(
        &format!("npm install binaryen@{BINARYEN} (once per machine)"),
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("binaryen@{BINARYEN}")),
    )?;
    Ok(bin)
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_checks_name_the_global_classes() {
        let js = b"a instanceof Element || b instanceof WebAssembly.Module || c instanceof x";
        assert_eq!(
            String::from_utf8(super::global_classes(js)).unwrap(),
            "a instanceof globalThis.Element || b instanceof globalThis.WebAssembly.Module \
             || c instanceof x"
        );
    }
}
