//! The shape checks of `cargo xtask test`: imports point one way between the crates, and the
//! api crate's modules do not import each other in cycles.
use crate::{cargo, root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub fn check() -> Result<(), String> {
    crates()?;
    no_module_cycles(&root().join("crates/api/src"))
}

/// Imports point one way, model <- store <- domain <- http <- app: the store and domain crates
/// must not depend, even indirectly, on the HTTP layer (actix, the api crate). A crate
/// boundary makes the rule cheap to check: their dependency trees.
fn crates() -> Result<(), String> {
    const FORBIDDEN: &[&str] = &[
        "actix",
        "bookstore-api",
        "utoipa-swagger-ui",
        "tracing-actix",
    ];
    for krate in ["bookstore-store", "bookstore-domain"] {
        let out = cargo()
            .args([
                "tree", "--quiet", "-p", krate, "-e", "normal", "--prefix", "none",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("cargo tree -p {krate} failed"));
        }
        let tree = String::from_utf8_lossy(&out.stdout);
        let bad: std::collections::BTreeSet<&str> = tree
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| FORBIDDEN.iter().any(|f| name.starts_with(f)))
            .collect();
        if !bad.is_empty() {
            return Err(format!("{krate} depends on the HTTP layer: {bad:?}"));
        }
    }
    eprintln!("layering: bookstore-store and bookstore-domain depend on nothing of HTTP");
    Ok(())
}

/// The top-level modules of a crate's `src` and which others each names (`crate::x`, or `x`
/// inside `crate::{...}`), from the text of its files.
fn module_graph(src: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).map_err(|e| e.to_string())? {
                files.push(entry.map_err(|e| e.to_string())?.path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).map_err(|e| e.to_string())?;
        let first = rel
            .iter()
            .next()
            .and_then(|c| c.to_str())
            .unwrap_or_default();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let deps = graph.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => vec![
                    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap_or_default(),
                ],
            };
            for name in names {
                if !name.is_empty() && name != module && name != "self" {
                    deps.insert(name.to_owned());
                }
            }
        }
    }
    Ok(graph)
}

/// Fails on any cycle among the top-level modules of `src` (the api crate's layers: routes,
/// state, middleware, startup... must import each other one way).
fn no_module_cycles(src: &Path) -> Result<(), String> {
    let graph = module_graph(src)?;
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            return Some(format!("{} -> {m}", path[i..].join(" -> ")));
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for next in graph.get(m).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            return Err(format!("module cycle in {}: {cycle}", src.display()));
        }
    }
    eprintln!(
        "layering: no module cycles among the {} modules of {}",
        graph.len(),
        src.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-layers-{}", uuid_like()));
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(&dir)).unwrap_or_default();
            std::fs::write(path, text).unwrap_or_default();
        }
        dir
    }

    fn uuid_like() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    }

    #[test]
    fn a_cycle_through_a_grouped_import_is_found() {
        let dir = tree(&[
            ("lib.rs", "pub mod a; pub mod b; pub mod c;"),
            ("a.rs", "use crate::b::X;"),
            ("b/mod.rs", "use crate::{c, store};"),
            ("c.rs", "fn f() { crate::a::g() }"),
        ]);
        let err = no_module_cycles(&dir).unwrap_err();
        assert!(err.contains("a -> b -> c -> a"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }

    #[test]
    fn one_way_imports_pass() {
        let dir = tree(&[("a.rs", "use crate::b::X;"), ("b.rs", "use crate::c;")]);
        assert!(no_module_cycles(&dir).is_ok());
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }
}
