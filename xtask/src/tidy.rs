//! Tidy rules: the structural promises of the workspace, checked as ordinary tests.
//!
//! * Layering: an engine crate depends only on crates below it in [`LAYERS`]; crates that sit
//!   beside or on top of the engine name their allowed engine dependencies in [`OUTSIDE_LAYERS`].
//! * Every crate and every module opens with a `//!` doc comment.
//! * No debugging leftovers (`dbg!`, `todo!`, `unimplemented!`) under `crates/`.
//! * Lints are set once, in the root `[workspace.lints]`: each crate opts in with
//!   `[lints] workspace = true` and sets no lints of its own.
//!
//! The checker reads files as text, with no TOML parser, because the shapes it accepts are few
//! and a failure to recognise one is itself reported.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The engine's layer table, bottom first. A crate may depend only on crates before it.
pub const LAYERS: &[&str] = &[
    "ese-core",
    "ese-pageio",
    "ese-log",
    "ese-cache",
    "ese-btree",
    "ese-txn",
    "ese-recovery",
    "ese-table",
    "ese-api",
];

/// Crates outside the layer table, with the engine crates each may depend on.
pub const OUTSIDE_LAYERS: &[(&str, &[&str])] = &[
    // Reads Windows' own files; independent of the engine above its vocabulary.
    ("ese-edb", &["ese-core"]),
    // Cross-crate tests (tests/): the API and every layer below it.
    (
        "ese-tests",
        &[
            "ese-core",
            "ese-pageio",
            "ese-log",
            "ese-cache",
            "ese-btree",
            "ese-txn",
            "ese-recovery",
            "ese-table",
            "ese-api",
        ],
    ),
];

/// Which engine crates `name` may depend on, or `None` when the crate is unknown.
fn allowed_deps(name: &str) -> Option<Vec<&'static str>> {
    if let Some(rank) = LAYERS.iter().position(|l| *l == name) {
        return Some(LAYERS[..rank].to_vec());
    }
    OUTSIDE_LAYERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, deps)| deps.to_vec())
}

fn is_engine_crate(name: &str) -> bool {
    LAYERS.contains(&name) || OUTSIDE_LAYERS.iter().any(|(n, _)| *n == name)
}

/// Runs every rule over the workspace at `root` and returns one line per violation.
pub fn check(root: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    check_workspace_lints(root, &mut out)?;
    let crates_dir = root.join("crates");
    let mut crate_dirs: Vec<PathBuf> = fs::read_dir(&crates_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    crate_dirs.sort();
    for dir in &crate_dirs {
        check_manifest(&dir.join("Cargo.toml"), &mut out)?;
        let mut files = Vec::new();
        rust_files(dir, &mut files)?;
        for file in files {
            check_source(dir, &file, &mut out)?;
        }
    }
    Ok(out)
}

fn check_workspace_lints(root: &Path, out: &mut Vec<String>) -> io::Result<()> {
    let text = fs::read_to_string(root.join("Cargo.toml"))?;
    if !text
        .lines()
        .any(|l| l.trim().starts_with("[workspace.lints"))
    {
        out.push("Cargo.toml: no [workspace.lints] table".to_string());
    }
    Ok(())
}

/// The dependency names in every `[*dependencies]` table of a manifest, with the table name.
fn dependencies(text: &str) -> Vec<(String, String)> {
    let mut deps = Vec::new();
    let mut table: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let name = line.trim_matches(|c| c == '[' || c == ']').to_string();
            // A dotted table such as [dependencies.ese-log] names the dependency itself.
            if let Some(dep) = name
                .strip_prefix("dependencies.")
                .or_else(|| name.strip_prefix("dev-dependencies."))
                .or_else(|| name.strip_prefix("build-dependencies."))
            {
                deps.push((name.clone(), dep.to_string()));
                table = None;
            } else if name.ends_with("dependencies") {
                table = Some(name);
            } else {
                table = None;
            }
            continue;
        }
        let Some(table) = &table else { continue };
        let key: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !key.is_empty() {
            deps.push((table.clone(), key));
        }
    }
    deps
}

fn package_name(text: &str) -> Option<String> {
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(rest) = line.strip_prefix("name") {
                let value = rest.trim_start().strip_prefix('=')?.trim();
                return Some(value.trim_matches('"').to_string());
            }
        }
    }
    None
}

fn check_manifest(manifest: &Path, out: &mut Vec<String>) -> io::Result<()> {
    let text = fs::read_to_string(manifest)?;
    let shown = manifest.display();
    let Some(name) = package_name(&text) else {
        out.push(format!("{shown}: no package name"));
        return Ok(());
    };
    let Some(allowed) = allowed_deps(&name) else {
        out.push(format!(
            "{shown}: crate {name} is not in the layer table (xtask/src/tidy.rs)"
        ));
        return Ok(());
    };
    for (table, dep) in dependencies(&text) {
        if is_engine_crate(&dep) && !allowed.contains(&dep.as_str()) {
            out.push(format!(
                "{shown}: {name} depends on {dep} in [{table}], which is not below it; \
                 define a trait in the lower crate instead"
            ));
        }
    }
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let opts_in = lines
        .windows(2)
        .any(|w| w[0] == "[lints]" && w[1].replace(' ', "") == "workspace=true");
    if !opts_in {
        out.push(format!("{shown}: missing `[lints] workspace = true`"));
    }
    if lines.iter().any(|l| l.starts_with("[lints.")) {
        out.push(format!(
            "{shown}: sets its own lints; set them once in [workspace.lints]"
        ));
    }
    Ok(())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

fn check_source(crate_dir: &Path, file: &Path, out: &mut Vec<String>) -> io::Result<()> {
    let text = fs::read_to_string(file)?;
    let shown = file.display();
    let in_src = file.starts_with(crate_dir.join("src"));
    if in_src {
        let first = text.lines().map(str::trim).find(|l| !l.is_empty());
        if !first.is_some_and(|l| l.starts_with("//!")) {
            out.push(format!("{shown}: does not open with a //! doc comment"));
        }
    }
    // Spelled in pieces so this file does not match its own rule.
    let leftovers = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
    ];
    for (n, line) in text.lines().enumerate() {
        for bad in leftovers {
            if line.contains(bad) {
                out.push(format!("{shown}:{}: leftover {bad}", n + 1));
            }
        }
        let t = line.trim_start();
        for attr in ["#![allow(", "#![warn(", "#![deny(", "#![forbid("] {
            if t.starts_with(attr) {
                out.push(format!(
                    "{shown}:{}: crate-level lint attribute; set lints in [workspace.lints]",
                    n + 1
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch workspace that removes itself.
    struct Fixture(PathBuf);

    impl Fixture {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("tidy-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            fs::write(
                dir.join("Cargo.toml"),
                "[workspace]\n[workspace.lints.rust]\nunsafe_code = \"forbid\"\n",
            )
            .unwrap();
            Fixture(dir)
        }

        fn add_crate(&self, name: &str, deps: &str, lib_rs: &str) {
            let dir = self.0.join("crates").join(name);
            fs::create_dir_all(dir.join("src")).unwrap();
            fs::write(
                dir.join("Cargo.toml"),
                format!("[package]\nname = \"{name}\"\n\n[lints]\nworkspace = true\n\n{deps}"),
            )
            .unwrap();
            fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_workspace_is_tidy() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let violations = check(&root).unwrap();
        assert!(violations.is_empty(), "{}", violations.join("\n"));
    }

    #[test]
    fn downward_edges_pass() {
        let f = Fixture::new("down");
        f.add_crate("ese-core", "", "//! core\n");
        f.add_crate(
            "ese-log",
            "[dependencies]\nese-core.workspace = true\nese-pageio = { path = \"../p\" }\n",
            "//! log\n",
        );
        f.add_crate(
            "ese-edb",
            "[dependencies]\nese-core = \"0.1\"\n",
            "//! edb\n",
        );
        assert_eq!(check(&f.0).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn an_upward_edge_is_reported() {
        let cases = [
            (
                "ese-core",
                "[dependencies]\nese-api.workspace = true\n",
                "ese-api",
            ),
            (
                "ese-log",
                "[dev-dependencies]\nese-cache = \"0.1\"\n",
                "ese-cache",
            ),
            (
                "ese-btree",
                "[dependencies.ese-txn]\npath = \"x\"\n",
                "ese-txn",
            ),
            (
                "ese-cache",
                "[dependencies]\nese-cache = \"0.1\"\n",
                "ese-cache",
            ),
            (
                "ese-edb",
                "[dependencies]\nese-pageio = \"0.1\"\n",
                "ese-pageio",
            ),
        ];
        for (name, deps, dep) in cases {
            let f = Fixture::new(name);
            f.add_crate(name, deps, "//! doc\n");
            let v = check(&f.0).unwrap();
            assert_eq!(v.len(), 1, "{name}: {v:?}");
            assert!(
                v[0].contains(&format!("{name} depends on {dep}")),
                "{name}: {v:?}"
            );
        }
    }

    #[test]
    fn missing_docs_leftovers_and_local_lints_are_reported() {
        let f = Fixture::new("misc");
        let todo = concat!("todo", "!()");
        f.add_crate(
            "ese-core",
            "",
            &format!("#![deny(missing_docs)]\nfn f() {{ {todo} }}\n"),
        );
        f.add_crate(
            "ese-pageio",
            "[lints.rust]\nunsafe_code = \"allow\"\n",
            "//! ok\n",
        );
        f.add_crate("mystery", "", "//! ok\n");
        let v = check(&f.0).unwrap().join("\n");
        for expected in [
            "does not open with a //! doc comment",
            "leftover todo",
            "crate-level lint attribute",
            "sets its own lints",
            "crate mystery is not in the layer table",
        ] {
            assert!(v.contains(expected), "missing {expected:?} in:\n{v}");
        }
    }
}
