//! Helpers shared by the tests over the real Windows files.

use std::path::PathBuf;

/// The shared test-data directory, or `None` (with a note printed) when it is absent.
pub fn testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/real-ese");
    if dir.join("README.md").exists() {
        Some(dir)
    } else {
        println!(
            "SKIP: {} is absent; the real-file tests need shared/ beside the repository",
            dir.display()
        );
        None
    }
}

/// The bytes of a test file; `.gz` files are expanded with the system's `gzip`, and `None`
/// (with a note) is returned when that is not possible.
pub fn load(dir: &std::path::Path, rel: &str) -> Option<Vec<u8>> {
    let path = dir.join(rel);
    if rel.ends_with(".gz") {
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&path)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(o.stdout),
            _ => {
                println!("SKIP: cannot gunzip {}", path.display());
                None
            }
        }
    } else {
        Some(std::fs::read(&path).expect("read test file"))
    }
}
