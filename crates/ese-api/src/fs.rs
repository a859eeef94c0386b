//! Where an instance's files live: the [`FileSystem`] seam and the log directory that puts
//! the checkpoint file in JET_paramSystemPath.
//!
//! ESE keeps the log files (`edb.log`, `edb00001.log`, ...) in JET_paramLogFilePath and the
//! checkpoint file (`edb.chk`) in JET_paramSystemPath. `ese-log` keeps both in the one
//! [`Directory`] it is given, so `LogDirectory` is a `Directory` that sends the checkpoint
//! file's name to the system folder and every other name to the log folder. When both
//! parameters name the same folder it is just that folder.
//!
//! Engines open folders through a [`FileSystem`], [`OsFileSystem`] by default, so tests (and
//! later the crash sweeps) can put an instance on memory, fault-injecting or crash-simulating
//! storage without touching the API.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use ese_pageio::{Directory, FsDirectory, Storage};

/// Opens the folders an instance keeps its files in.
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// The folder at `path`; with `create`, it and its parents are created when missing
    /// (JET_paramCreatePathIfNotExist), else a missing folder is an error of kind
    /// [`io::ErrorKind::NotFound`].
    fn open_dir(&self, path: &Path, create: bool) -> io::Result<Arc<dyn Directory>>;
}

/// The operating system's file system: folders are [`FsDirectory`]s.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsFileSystem;

impl FileSystem for OsFileSystem {
    fn open_dir(&self, path: &Path, create: bool) -> io::Result<Arc<dyn Directory>> {
        if create {
            std::fs::create_dir_all(path)?;
        } else if !path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not a directory", path.display()),
            ));
        }
        Ok(Arc::new(FsDirectory::open(path)?))
    }
}

/// The log folder with the checkpoint file redirected to the system folder.
#[derive(Debug)]
pub(crate) struct LogDirectory {
    log: Arc<dyn Directory>,
    system: Option<Arc<dyn Directory>>,
    checkpoint: String,
}

impl LogDirectory {
    /// `log` holds every file except `checkpoint`, which goes to `system` when given.
    pub(crate) fn new(
        log: Arc<dyn Directory>,
        system: Option<Arc<dyn Directory>>,
        checkpoint: String,
    ) -> Self {
        LogDirectory {
            log,
            system,
            checkpoint,
        }
    }

    fn route(&self, name: &str) -> &Arc<dyn Directory> {
        match &self.system {
            Some(system) if name == self.checkpoint => system,
            _ => &self.log,
        }
    }
}

impl Directory for LogDirectory {
    fn open(&self, name: &str, create: bool) -> io::Result<Arc<dyn Storage>> {
        self.route(name).open(name, create)
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        self.route(name).exists(name)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        if !Arc::ptr_eq(self.route(from), self.route(to)) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "rename between the log and system folders",
            ));
        }
        self.route(from).rename(from, to)
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.route(name).remove(name)
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = self.log.list()?;
        if let Some(system) = &self.system {
            names.retain(|n| *n != self.checkpoint);
            if system.exists(&self.checkpoint)? {
                names.push(self.checkpoint.clone());
            }
        }
        Ok(names)
    }

    fn sync(&self) -> io::Result<()> {
        self.log.sync()?;
        if let Some(system) = &self.system {
            system.sync()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ese_pageio::MemDirectory;

    #[test]
    fn the_checkpoint_goes_to_the_system_folder() {
        let log: Arc<dyn Directory> = Arc::new(MemDirectory::new());
        let system: Arc<dyn Directory> = Arc::new(MemDirectory::new());
        let dir = LogDirectory::new(log.clone(), Some(system.clone()), "edb.chk".into());
        dir.open("edb.chk", true).unwrap();
        dir.open("edb.log", true).unwrap();
        assert!(system.exists("edb.chk").unwrap());
        assert!(!log.exists("edb.chk").unwrap());
        assert!(log.exists("edb.log").unwrap());
        let mut names = dir.list().unwrap();
        names.sort();
        assert_eq!(names, ["edb.chk", "edb.log"]);
        assert!(dir.rename("edb.log", "edb.chk").is_err());
        dir.sync().unwrap();
    }
}
