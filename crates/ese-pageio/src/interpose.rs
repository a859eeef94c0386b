//! Interposers: observe or refuse each storage and directory operation before it runs.
//!
//! Tests keep needing a storage that does one small extra thing: count syncs, check the
//! write-ahead rule on every page write, block a sync until the test says so, report a full disk.
//! Rather than each writing a forwarding [`Storage`] and [`Directory`] of its own, they implement
//! [`Interposer`], whose hooks run before each read, write, length change and sync of an
//! [`InterposedStorage`], and each open, rename, removal and sync of an [`InterposedDirectory`]
//! (queries, `len`, `exists` and `list`, pass straight through): a hook that returns an error
//! makes the operation fail with it, and the operation does not run.
//!
//! ```text
//!   caller ──> InterposedDirectory ──hook.before_dir──> inner Directory
//!                   │ open
//!                   └──> InterposedStorage ──hook.before_file──> inner Storage
//! ```

use std::fmt::Debug;
use std::io;
use std::sync::Arc;

use crate::storage::{Directory, Storage};

/// A file operation about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOp<'a> {
    /// `read_at(offset, buf)` with `buf.len() == len`.
    Read {
        /// Where the read starts.
        offset: u64,
        /// How many bytes it reads.
        len: usize,
    },
    /// `write_at(offset, data)`.
    Write {
        /// Where the write starts.
        offset: u64,
        /// The bytes it writes.
        data: &'a [u8],
    },
    /// `set_len(len)`.
    SetLen(u64),
    /// `sync()`.
    Sync,
}

/// A directory operation about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirOp<'a> {
    /// `open(name, create)`.
    Open {
        /// The file's name.
        name: &'a str,
        /// Whether a missing file is created.
        create: bool,
    },
    /// `rename(from, to)`.
    Rename {
        /// The old name.
        from: &'a str,
        /// The new name.
        to: &'a str,
    },
    /// `remove(name)`.
    Remove(&'a str),
    /// `sync()`.
    Sync,
}

/// Hooks that run before each operation; every hook defaults to letting the operation run.
pub trait Interposer: Send + Sync + Debug {
    /// Runs before `op` on the file called `name`; an error fails the operation unrun.
    fn before_file(&self, name: &str, op: FileOp<'_>) -> io::Result<()> {
        let _ = (name, op);
        Ok(())
    }

    /// Runs before `op` on the directory; an error fails the operation unrun.
    fn before_dir(&self, op: DirOp<'_>) -> io::Result<()> {
        let _ = op;
        Ok(())
    }

    /// Wraps a file the directory has just opened (already interposed), for tests that add a
    /// storage of their own, such as a `FaultyStorage`, around every file.
    fn wrap(&self, name: &str, file: Arc<dyn Storage>) -> Arc<dyn Storage> {
        let _ = name;
        file
    }
}

/// A [`Storage`] whose reads, writes, length changes and syncs first pass its [`Interposer`].
#[derive(Debug)]
pub struct InterposedStorage {
    inner: Arc<dyn Storage>,
    name: String,
    hook: Arc<dyn Interposer>,
}

impl InterposedStorage {
    /// `inner`, known to `hook` as `name`.
    pub fn new(inner: Arc<dyn Storage>, name: &str, hook: Arc<dyn Interposer>) -> Self {
        Self {
            inner,
            name: name.to_owned(),
            hook,
        }
    }
}

impl Storage for InterposedStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let len = buf.len();
        self.hook
            .before_file(&self.name, FileOp::Read { offset, len })?;
        self.inner.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.hook
            .before_file(&self.name, FileOp::Write { offset, data })?;
        self.inner.write_at(offset, data)
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.hook.before_file(&self.name, FileOp::SetLen(len))?;
        self.inner.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.hook.before_file(&self.name, FileOp::Sync)?;
        self.inner.sync()
    }
}

/// A [`Directory`] whose changes, and the operations on the files it opens, first pass its
/// [`Interposer`].
#[derive(Debug)]
pub struct InterposedDirectory {
    inner: Arc<dyn Directory>,
    hook: Arc<dyn Interposer>,
}

impl InterposedDirectory {
    /// `inner`, with `hook` before each operation.
    pub fn new(inner: Arc<dyn Directory>, hook: Arc<dyn Interposer>) -> Self {
        Self { inner, hook }
    }
}

impl Directory for InterposedDirectory {
    fn open(&self, name: &str, create: bool) -> io::Result<Arc<dyn Storage>> {
        self.hook.before_dir(DirOp::Open { name, create })?;
        let file = self.inner.open(name, create)?;
        let file = Arc::new(InterposedStorage::new(file, name, self.hook.clone()));
        Ok(self.hook.wrap(name, file))
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        self.inner.exists(name)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.hook.before_dir(DirOp::Rename { from, to })?;
        self.inner.rename(from, to)
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.hook.before_dir(DirOp::Remove(name))?;
        self.inner.remove(name)
    }

    fn list(&self) -> io::Result<Vec<String>> {
        self.inner.list()
    }

    fn sync(&self) -> io::Result<()> {
        self.hook.before_dir(DirOp::Sync)?;
        self.inner.sync()
    }
}

#[cfg(test)]
mod tests {
    use parking_lot::Mutex;

    use super::*;
    use crate::storage::MemDirectory;

    /// Records every operation and refuses writes to a file called "ro".
    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Interposer for Recorder {
        fn before_file(&self, name: &str, op: FileOp<'_>) -> io::Result<()> {
            self.0.lock().push(format!("{name}: {op:?}"));
            match (name, op) {
                ("ro", FileOp::Write { .. }) => Err(io::Error::other("read-only")),
                _ => Ok(()),
            }
        }

        fn before_dir(&self, op: DirOp<'_>) -> io::Result<()> {
            self.0.lock().push(format!("dir: {op:?}"));
            Ok(())
        }
    }

    #[test]
    fn every_operation_passes_the_hook_and_a_refusal_does_not_run() {
        let rec = Arc::new(Recorder::default());
        let mem = Arc::new(MemDirectory::new());
        let dir = InterposedDirectory::new(mem.clone(), rec.clone());
        let f = dir.open("a", true).unwrap();
        f.write_at(0, b"xy").unwrap();
        f.read_at(0, &mut [0u8; 2]).unwrap();
        f.set_len(1).unwrap();
        f.sync().unwrap();
        dir.rename("a", "ro").unwrap();
        let ro = dir.open("ro", false).unwrap();
        assert!(ro.write_at(0, b"z").is_err());
        assert_eq!(
            mem.file("ro").unwrap().to_bytes(),
            b"x",
            "refused write never ran"
        );
        dir.remove("ro").unwrap();
        dir.sync().unwrap();
        assert_eq!(
            rec.0.lock().clone(),
            [
                "dir: Open { name: \"a\", create: true }",
                "a: Write { offset: 0, data: [120, 121] }",
                "a: Read { offset: 0, len: 2 }",
                "a: SetLen(1)",
                "a: Sync",
                "dir: Rename { from: \"a\", to: \"ro\" }",
                "dir: Open { name: \"ro\", create: false }",
                "ro: Write { offset: 0, data: [122] }",
                "dir: Remove(\"ro\")",
                "dir: Sync",
            ]
        );
    }
}
