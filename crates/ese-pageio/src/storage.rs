//! The storage seam: one narrow trait for a file, and one for a directory of files.
//!
//! Everything the engine persists goes through [`Storage`] (a database file, a log file, the
//! checkpoint file), and every file the engine creates, renames or deletes goes through a
//! [`Directory`]. Keeping both seams this small is what lets the same engine run over real files
//! ([`FileStorage`], [`FsDirectory`]), over memory ([`MemStorage`], [`MemDirectory`]), and over
//! the fault-injecting and crash-simulating implementations the tests use.
//!
//! What is assumed of a storage is written down in `docs/format.md`: a write is not atomic at
//! any size larger than nothing (sectors may tear), and only a successful [`Storage::sync`]
//! makes earlier writes durable. A failed sync is never retried and then trusted.
//!
//! All methods take `&self`: implementations are internally synchronised so that many threads
//! can read and write disjoint ranges at once, as positional I/O on a file allows.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

/// A byte-addressed file: positional reads and writes, length, and sync.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Fills `buf` from `offset`; reading past the end is `io::ErrorKind::UnexpectedEof`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Writes all of `data` at `offset`, growing the file if it ends before `offset + len`.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// The current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Truncates or extends (with zeros) to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes every completed write and length change durable (`fdatasync`).
    fn sync(&self) -> io::Result<()>;
    /// Writes all of `data` at `offset` and returns once that write is durable: a
    /// write-through write, as ESE makes its log writes. Only this write is made durable;
    /// earlier writes still need a [`Storage::sync`]. The default writes, then syncs;
    /// [`FileStorage`] writes sector-aligned runs past the page cache instead.
    fn write_durable(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.write_at(offset, data)?;
        self.sync()
    }
}

/// A directory of named files: the seam for log files, the checkpoint file and databases.
pub trait Directory: Send + Sync + std::fmt::Debug {
    /// Opens `name`, creating it empty when `create` is set and it does not exist.
    fn open(&self, name: &str, create: bool) -> io::Result<Arc<dyn Storage>>;
    /// Whether `name` exists.
    fn exists(&self, name: &str) -> io::Result<bool>;
    /// Renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Removes `name`.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// The names of every file, sorted.
    fn list(&self) -> io::Result<Vec<String>>;
    /// Makes creations, renames and removals durable (fsync of the directory).
    fn sync(&self) -> io::Result<()>;
}

fn eof(offset: u64, len: usize, file_len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("read of {len} bytes at offset {offset} passes the end of a {file_len}-byte file"),
    )
}

fn end_of(offset: u64, len: usize) -> io::Result<u64> {
    offset
        .checked_add(len as u64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset overflows u64"))
}

/// A file on the local file system, with positional I/O and `fdatasync`.
///
/// [`Storage::write_durable`] goes through a second handle, opened on first use with
/// `O_DIRECT | O_DSYNC` (ESE opens its log files write-through and unbuffered): the write
/// skips the page cache and the kernel's writeback, and returns once the device has it, which
/// costs less than a buffered write followed by `fdatasync`. A file system that refuses the
/// flags, and a write that is not aligned to [`WRITE_THROUGH_ALIGN`], fall back to a buffered
/// write and a sync.
#[derive(Debug)]
pub struct FileStorage {
    file: File,
    path: PathBuf,
    through: WriteThrough,
}

/// The alignment in memory, in file offset and in length of a write-through write: one
/// sector. (The buffer is aligned to 4 KiB, which serves devices with larger sectors.)
pub const WRITE_THROUGH_ALIGN: usize = 512;

/// The alignment of the write-through bounce buffer in memory.
const BOUNCE_ALIGN: usize = 4096;

/// The write-through side of a [`FileStorage`].
#[derive(Debug, Default)]
struct WriteThrough {
    /// The `O_DIRECT | O_DSYNC` handle, opened on first use; `None` once the file system
    /// refused it (or a write through it was refused), and every write-through falls back.
    handle: std::sync::OnceLock<Option<File>>,
    /// Set when a write through the handle was refused as misaligned: fall back from then on.
    refused: std::sync::atomic::AtomicBool,
    /// An aligned copy of the data (O_DIRECT needs aligned memory), kept between writes.
    bounce: Mutex<Vec<u8>>,
}

impl WriteThrough {
    /// Opens a write-through handle on the file `file` is open on (by its descriptor, since
    /// the file may have been renamed since), or `None` where the platform or the file system
    /// does not offer one.
    fn open(file: &File) -> Option<File> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            use std::os::unix::fs::OpenOptionsExt;
            OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_DIRECT | libc::O_DSYNC)
                .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
                .ok()
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = file;
            None
        }
    }

    /// Writes `data` at `offset` through the handle. `Ok(false)` means the write-through
    /// path is not available for this write, and nothing was written by it.
    fn write(&self, file: &File, offset: u64, data: &[u8]) -> io::Result<bool> {
        use std::sync::atomic::Ordering;
        let aligned = offset % WRITE_THROUGH_ALIGN as u64 == 0
            && data.len() % WRITE_THROUGH_ALIGN == 0
            && !data.is_empty();
        if !aligned || self.refused.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let Some(through) = self.handle.get_or_init(|| Self::open(file)) else {
            return Ok(false);
        };
        let mut bounce = self.bounce.lock();
        // Grown only, never shrunk: a big write after small ones zeroes no bytes again.
        let need = data.len() + BOUNCE_ALIGN;
        if bounce.len() < need {
            bounce.resize(need, 0);
        }
        let start = bounce.as_ptr().align_offset(BOUNCE_ALIGN).min(BOUNCE_ALIGN);
        let buf = &mut bounce[start..start + data.len()];
        buf.copy_from_slice(data);
        match through.write_all_at(buf, offset) {
            Ok(()) => Ok(true),
            // The device wants a larger alignment than a sector: the write was refused
            // before any of it ran (a buffered rewrite of the same bytes is harmless anyway).
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                self.refused.store(true, Ordering::Relaxed);
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

impl FileStorage {
    /// Opens `path` for reading and writing, creating it when `create` is set.
    pub fn open(path: impl AsRef<Path>, create: bool) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&path)?;
        Ok(Self {
            file,
            path,
            through: WriteThrough::default(),
        })
    }

    /// The path this storage was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether [`Storage::write_durable`] goes past the page cache (`O_DIRECT | O_DSYNC`):
    /// true once an aligned write-through has succeeded that way, false before the first one
    /// and where the file system or the device refused it.
    pub fn writes_through(&self) -> bool {
        use std::sync::atomic::Ordering;
        matches!(self.through.handle.get(), Some(Some(_)))
            && !self.through.refused.load(Ordering::Relaxed)
    }
}

impl Storage for FileStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        match self.file.read_exact_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(eof(offset, buf.len(), self.len()?))
            }
            other => other,
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        end_of(offset, data.len())?;
        self.file.write_all_at(data, offset)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn write_durable(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        end_of(offset, data.len())?;
        if self.through.write(&self.file, offset, data)? {
            return Ok(());
        }
        self.file.write_all_at(data, offset)?;
        self.file.sync_data()
    }
}

/// A file held in memory; sync does nothing because nothing is volatile beyond the process.
#[derive(Debug, Default)]
pub struct MemStorage {
    bytes: RwLock<Vec<u8>>,
}

impl MemStorage {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// A file holding `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            bytes: RwLock::new(bytes),
        }
    }

    /// A copy of the whole file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.read().clone()
    }
}

impl Storage for MemStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let bytes = self.bytes.read();
        let end = end_of(offset, buf.len())?;
        if end > bytes.len() as u64 {
            return Err(eof(offset, buf.len(), bytes.len() as u64));
        }
        // Both bounds are at most bytes.len(), which is a usize.
        buf.copy_from_slice(&bytes[offset as usize..end as usize]);
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let end = usize::try_from(end_of(offset, data.len())?)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        let mut bytes = self.bytes.write();
        if end > bytes.len() {
            bytes.resize(end, 0);
        }
        bytes[end - data.len()..end].copy_from_slice(data);
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.bytes.read().len() as u64)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "length too large"))?;
        self.bytes.write().resize(len, 0);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A directory on the local file system; `sync` fsyncs the directory itself.
#[derive(Debug, Clone)]
pub struct FsDirectory {
    root: PathBuf,
}

impl FsDirectory {
    /// Uses the directory at `root`, creating it (and its parents) if needed.
    pub fn open(root: impl AsRef<Path>) -> io::Result<Self> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// The directory's path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        check_name(name)?;
        Ok(self.root.join(name))
    }
}

/// File names are single path components, so no caller can reach outside the directory.
fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name"),
        ));
    }
    Ok(())
}

impl Directory for FsDirectory {
    fn open(&self, name: &str, create: bool) -> io::Result<Arc<dyn Storage>> {
        Ok(Arc::new(FileStorage::open(self.path(name)?, create)?))
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        self.path(name)?.try_exists()
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path(from)?, self.path(to)?)
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        std::fs::remove_file(self.path(name)?)
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.root)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                if let Some(name) = entry.file_name().to_str() {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn sync(&self) -> io::Result<()> {
        File::open(&self.root)?.sync_all()
    }
}

/// A directory held in memory, whose files are [`MemStorage`]s shared by every opener.
#[derive(Debug, Default)]
pub struct MemDirectory {
    files: Mutex<BTreeMap<String, Arc<MemStorage>>>,
}

impl MemDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// The file called `name`, if it exists, as its concrete type.
    pub fn file(&self, name: &str) -> Option<Arc<MemStorage>> {
        self.files.lock().get(name).cloned()
    }
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no file {name:?}"))
}

impl Directory for MemDirectory {
    fn open(&self, name: &str, create: bool) -> io::Result<Arc<dyn Storage>> {
        check_name(name)?;
        let mut files = self.files.lock();
        if let Some(file) = files.get(name) {
            return Ok(file.clone());
        }
        if !create {
            return Err(not_found(name));
        }
        let file = Arc::new(MemStorage::new());
        files.insert(name.to_owned(), file.clone());
        Ok(file)
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        Ok(self.files.lock().contains_key(name))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        check_name(to)?;
        let mut files = self.files.lock();
        let file = files.remove(from).ok_or_else(|| not_found(from))?;
        files.insert(to.to_owned(), file);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.files
            .lock()
            .remove(name)
            .map(drop)
            .ok_or_else(|| not_found(name))
    }

    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.files.lock().keys().cloned().collect())
    }

    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(s: &dyn Storage) {
        assert_eq!(s.len().unwrap(), 0);
        s.write_at(10, b"hello").unwrap();
        assert_eq!(s.len().unwrap(), 15);
        let mut buf = [0xffu8; 15];
        s.read_at(0, &mut buf).unwrap();
        assert_eq!(&buf[..10], &[0u8; 10]);
        assert_eq!(&buf[10..], b"hello");
        let err = s.read_at(12, &mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        s.set_len(12).unwrap();
        let mut two = [0u8; 2];
        s.read_at(10, &mut two).unwrap();
        assert_eq!(&two, b"he");
        s.set_len(20).unwrap();
        let mut tail = [0xffu8; 8];
        s.read_at(12, &mut tail).unwrap();
        assert_eq!(tail, [0u8; 8], "extension is zero-filled");
        s.sync().unwrap();
        assert!(s.write_at(u64::MAX - 1, b"xyz").is_err());
    }

    #[test]
    fn mem_storage_behaves_like_a_file() {
        exercise(&MemStorage::new());
    }

    #[test]
    fn file_storage_behaves_like_a_file() {
        let dir = std::env::temp_dir().join(format!("ese-pageio-fs-{}", std::process::id()));
        let d = FsDirectory::open(&dir).unwrap();
        let _ = d.remove("a");
        exercise(&*d.open("a", true).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Durable writes, aligned (write-through where the file system allows) and not, read
    /// back through the buffered handle, around buffered writes to the same pages.
    fn exercise_durable(s: &dyn Storage) {
        let sector = WRITE_THROUGH_ALIGN;
        s.write_at(0, &vec![7u8; 8 * sector]).unwrap();
        s.sync().unwrap();
        let run: Vec<u8> = (0..3 * sector).map(|i| (i % 251) as u8).collect();
        s.write_durable(sector as u64, &run).unwrap();
        s.write_durable(100, b"unaligned").unwrap();
        s.write_at(5 * sector as u64, b"buffered").unwrap();
        let mut back = vec![0u8; 8 * sector];
        s.read_at(0, &mut back).unwrap();
        assert_eq!(&back[100..109], b"unaligned");
        assert_eq!(&back[109..sector], &vec![7u8; sector - 109][..]);
        assert_eq!(&back[sector..4 * sector], &run[..]);
        assert_eq!(&back[5 * sector..5 * sector + 8], b"buffered");
        // A smaller write-through after a bigger one writes its own bytes only.
        s.write_durable(sector as u64, &vec![0x55u8; sector])
            .unwrap();
        s.read_at(0, &mut back).unwrap();
        assert_eq!(&back[sector..2 * sector], &vec![0x55u8; sector][..]);
        assert_eq!(&back[2 * sector..4 * sector], &run[sector..]);
        // A durable write past the end grows the file, as write_at does.
        s.write_durable(8 * sector as u64, &run[..sector]).unwrap();
        assert_eq!(s.len().unwrap(), 9 * sector as u64);
        assert!(s.write_durable(u64::MAX - 1, b"xyz").is_err());
    }

    #[test]
    fn mem_storage_writes_durably() {
        exercise_durable(&MemStorage::new());
    }

    #[test]
    fn file_storage_writes_durably_even_after_a_rename() {
        let dir = std::env::temp_dir().join(format!("ese-pageio-dur-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let d = FsDirectory::open(&dir).unwrap();
        let file = FileStorage::open(d.root().join("tmp"), true).unwrap();
        // The log opens a file under a scratch name and renames it before writing through it.
        d.rename("tmp", "cur").unwrap();
        exercise_durable(&file);
        // Where the file system takes O_DIRECT, the aligned writes must have gone past the
        // page cache.
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let direct = OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_DIRECT)
                .open(d.root().join("cur"))
                .is_ok();
            assert_eq!(file.writes_through(), direct);
        }
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn exercise_dir(d: &dyn Directory) {
        assert!(d.open("x", false).is_err());
        d.open("x", true).unwrap().write_at(0, b"abc").unwrap();
        assert!(d.exists("x").unwrap());
        d.rename("x", "y").unwrap();
        assert!(!d.exists("x").unwrap());
        let mut buf = [0u8; 3];
        d.open("y", false).unwrap().read_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"abc");
        d.open("z", true).unwrap();
        assert_eq!(d.list().unwrap(), vec!["y".to_string(), "z".to_string()]);
        d.remove("y").unwrap();
        assert_eq!(d.list().unwrap(), vec!["z".to_string()]);
        d.sync().unwrap();
        for bad in ["", "..", "a/b", "."] {
            assert_eq!(
                d.open(bad, true).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
    }

    #[test]
    fn mem_directory_behaves_like_a_directory() {
        exercise_dir(&MemDirectory::new());
    }

    #[test]
    fn fs_directory_behaves_like_a_directory() {
        let dir = std::env::temp_dir().join(format!("ese-pageio-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        exercise_dir(&FsDirectory::open(&dir).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
