//! The system programs the tasks need, from Debian's packages: checked before anything is built,
//! installed with apt-get when missing and running as root, otherwise the task stops at once with
//! the one command that installs them.
//!
//! Every check looks for a file or runs a tiny command, so when everything is present this takes
//! milliseconds and never touches apt. Only what is missing is installed, with
//! `--no-install-recommends` (Chromium's recommendations would pull in systemd, CUPS, Avahi and
//! Perl); `fonts-liberation`, the one recommendation the browser tests want (the screenshots'
//! text), is asked for explicitly.
//!
//! Programs the tasks install themselves, into the tools cache, are not here: the wasm32 target,
//! wasm-bindgen, npm's binaryen (see `spa.rs`), DynamoDB Local (`scripts/dynamodb-local.sh`),
//! cfn-lint and hadolint (`infra/check.sh`).
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a task needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// `cargo xtask run` / `spa`: npm, for wasm-opt (npm `binaryen`).
    Run,
    /// `cargo xtask test`: everything.
    Test,
}

struct Need {
    /// What is looked for, as the message names it.
    what: &'static str,
    /// The Debian packages that bring it.
    packages: &'static [&'static str],
    present: fn() -> bool,
    test_only: bool,
}

const NEEDS: &[Need] = &[
    Need {
        what: "npm (the SPA's wasm-opt, DynamoDB Local's package)",
        packages: &["npm"],
        present: || on_path("npm"),
        test_only: false,
    },
    Need {
        what: "java (DynamoDB Local)",
        packages: &["default-jre-headless"],
        present: || on_path("java"),
        test_only: true,
    },
    Need {
        what: "chromium (browser tests)",
        packages: &["chromium", "fonts-liberation"],
        present: || {
            env_or_file(
                "CHROMIUM",
                &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
            )
        },
        test_only: true,
    },
    Need {
        what: "chromedriver (browser tests)",
        packages: &["chromium-driver"],
        present: || env_or_file("CHROMEDRIVER", &["/usr/bin/chromedriver"]),
        test_only: true,
    },
    Need {
        what: "nginx (the topology test's balancer)",
        packages: &["nginx-light"],
        present: || on_path("nginx") || Path::new("/usr/sbin/nginx").is_file(),
        test_only: true,
    },
    Need {
        what: "ip and curl (the topology test)",
        packages: &["iproute2", "curl"],
        present: || (on_path("ip") || Path::new("/usr/sbin/ip").is_file()) && on_path("curl"),
        test_only: true,
    },
    Need {
        what: "python3 with venv (the mail server of `run` and the tests, infra/check.sh)",
        packages: &["python3-venv"],
        present: || quiet(Command::new("python3").args(["-c", "import ensurepip, venv"])),
        test_only: false,
    },
];

/// Checks what `task` needs; installs what is missing when root, else fails with the command.
pub fn ensure(task: Task) -> Result<(), String> {
    let missing: Vec<&Need> = NEEDS
        .iter()
        .filter(|n| task == Task::Test || !n.test_only)
        .filter(|n| !(n.present)())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().flat_map(|n| n.packages).copied().collect();
    let list = packages.join(" ");
    let install = format!("apt-get install -y -q --no-install-recommends {list}");
    let what: Vec<&str> = missing.iter().map(|n| n.what).collect();
    eprintln!("==> missing system prerequisites: {}", what.join("; "));
    if !on_path("apt-get") {
        return Err(format!(
            "install these (Debian package names: {list}), then run the task again"
        ));
    }
    if !is_root() {
        return Err(format!(
            "missing system packages; install them with:\n\n    \
             sudo sh -c 'apt-get update -q && {install}'\n"
        ));
    }
    let apt = |args: &str| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("apt-get {args}"))
            .env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    // A stale or empty package list is the usual state of a fresh machine; an update that fails
    // (a mirror hiccup) may still leave a list good enough to install from.
    if crate::run("apt-get update", &mut apt("update -q")).is_err() {
        eprintln!("apt-get update failed; trying to install from the lists there are");
    }
    let args = format!("install -y -q --no-install-recommends {list}");
    if crate::run(&format!("apt-get install {list}"), &mut apt(&args)).is_err() {
        // dpkg left half-configured packages behind (an interrupted install, or a dependency
        // apt could not place): let apt repair them, then try once more.
        crate::run(
            "apt-get --fix-broken install",
            &mut apt("--fix-broken install -y -q"),
        )?;
        crate::run(&format!("apt-get install {list}"), &mut apt(&args))?;
    }
    let still: Vec<&str> = missing
        .iter()
        .filter(|n| !(n.present)())
        .map(|n| n.what)
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "still missing after apt-get install: {}",
            still.join("; ")
        ))
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

fn env_or_file(var: &str, candidates: &[&str]) -> bool {
    std::env::var_os(var).map_or_else(
        || candidates.iter().any(|c| is_executable(Path::new(c))),
        |p| is_executable(&PathBuf::from(p)),
    )
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether this process runs as root (the effective user id, from `/proc`, else `id -u`).
fn is_root() -> bool {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        });
    from_proc.unwrap_or_else(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}
