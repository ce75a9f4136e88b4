//! One writer per folder: an OS lock that a second process is refused by, naming the first.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The file a writer locks in the folder it owns (a run folder, an experiment folder).
pub const LOCK_FILE: &str = ".emopiano.lock";

/// An exclusive lock on a folder, held until dropped. The operating system releases it when the
/// process ends, however it ends, so a crash or a SIGKILL never leaves a folder locked.
///
/// ```
/// use emopiano_common::lock::FolderLock;
/// let dir = std::env::temp_dir().join(format!("emopiano-lock-doc-{}", std::process::id()));
/// let first = FolderLock::acquire(&dir)?;
/// let refused = FolderLock::acquire(&dir).unwrap_err();
/// assert!(refused.to_string().contains("in use by process"), "{refused}");
/// drop(first);
/// let _again = FolderLock::acquire(&dir)?;
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), emopiano_common::lock::LockError>(())
/// ```
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// Why a folder could not be locked.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock.
    Busy {
        /// The folder.
        path: PathBuf,
        /// What the holder wrote into the lock file: its process id and command line.
        holder: String,
    },
    /// The folder cannot be created or written (a file in its place, a read-only file system,
    /// no permission, a full disk).
    Io {
        /// The folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Busy { path, holder } => write!(
                f,
                "{} is in use by {holder}; wait for it to finish, or write into another folder",
                path.display()
            ),
            LockError::Io { path, source } if path.is_file() => write!(
                f,
                "{} is a file, not a folder ({source}); choose another output folder",
                path.display()
            ),
            LockError::Io { path, source } => write!(
                f,
                "{}: cannot write into this folder: {source}",
                path.display()
            ),
        }
    }
}

/// The message already holds the operating system's words (`source` stays in the variant), so
/// the error reports no source: a printed chain would say them twice.
impl std::error::Error for LockError {}

impl FolderLock {
    /// Creates `dir` if needed and locks it, or says which process holds it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process".to_string(),
                    said => said.to_string(),
                };
                return Err(LockError::Busy {
                    path: dir.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // The holder's name, for the process that is refused.
        let args: Vec<String> = std::env::args().collect();
        let name = format!("process {} ({})", std::process::id(), args.join(" "));
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(name.as_bytes()))
            .map_err(io)?;
        Ok(Self { _file: file })
    }
}
