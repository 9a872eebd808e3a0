//! The path of a test binary that `cargo test --workspace` built, so that a later step can run
//! that very binary again (with another environment) instead of asking cargo for it with another
//! package selection, which resolves features differently and rebuilds dozens of crates.
use crate::cargo;
use std::path::PathBuf;

/// The executable of test target `test` of package `package`, as `cargo test --workspace` builds
/// it (asking cargo with the same selection and `--no-run` builds nothing new).
pub fn workspace_test_binary(package: &str, test: &str) -> Result<PathBuf, String> {
    let out = cargo()
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo test --no-run: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo test --no-run failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let target = &msg["target"];
        let ours = msg["reason"] == "compiler-artifact"
            && target["name"] == test
            && target["kind"] == serde_json::json!(["test"])
            && msg["package_id"].as_str().is_some_and(|id| {
                id.contains(&format!("#{package}@")) || id.contains(&format!("/{package}#"))
            });
        if let (true, Some(exe)) = (ours, msg["executable"].as_str()) {
            return Ok(PathBuf::from(exe));
        }
    }
    Err(format!("cargo built no test binary `{test}` of {package}"))
}
