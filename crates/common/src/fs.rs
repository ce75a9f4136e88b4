//! Files written through a temporary file and a rename.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary name [`write_atomically`] writes first: a hidden file in the same folder (a
/// rename within one folder is atomic), unique to this process.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp{}", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that a
/// crash (or a SIGKILL) never leaves a half-written file where a complete one was.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("emopiano-common-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("table.csv");
/// emopiano_common::fs::write_atomically(&path, b"a,b\n")?;
/// emopiano_common::fs::write_atomically(&path, b"c,d\n")?;
/// assert_eq!(std::fs::read(&path)?, b"c,d\n");
/// assert_eq!(std::fs::read_dir(&dir)?.count(), 1); // no temporary file left behind
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// A file written in pieces that appears under its name only when [`AtomicFile::commit`] is
/// called: until then it is [`temporary_path`], removed if the writer is dropped (an error, a
/// panic) so that no half-written file is left behind.
///
/// ```
/// use std::io::Write;
/// let path = std::env::temp_dir().join(format!("emopiano-atomic-doc-{}", std::process::id()));
/// let mut file = emopiano_common::fs::AtomicFile::create(&path)?;
/// file.write_all(b"first half, ")?;
/// assert!(!path.exists());
/// file.write_all(b"second half")?;
/// file.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"first half, second half");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    /// Starts writing `path` (through its temporary name).
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let tmp = temporary_path(path);
        let file = std::fs::File::create(&tmp)?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
            file: Some(std::io::BufWriter::new(file)),
        })
    }

    /// What was written so far, from its start, for reading back: a scratch file used this
    /// way is never committed, and goes when the writer is dropped.
    pub fn read_back(&mut self) -> std::io::Result<std::io::BufReader<std::fs::File>> {
        if let Some(file) = self.file.as_mut() {
            file.flush()?;
        }
        Ok(std::io::BufReader::new(std::fs::File::open(&self.tmp)?))
    }

    /// Gives the file its name.
    pub fn commit(mut self) -> std::io::Result<()> {
        if let Some(file) = self.file.take() {
            file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.as_mut() {
            Some(file) => file.write(buf),
            None => Err(std::io::Error::other("the file was committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // After a commit the temporary name is gone and this fails harmlessly.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Copies `from` to `to` through [`write_atomically`].
pub fn copy_atomically(from: &Path, to: &Path) -> std::io::Result<()> {
    write_atomically(to, &std::fs::read(from)?)
}

/// The SHA-256 of a file's bytes as 64 lowercase hex digits (what `sha256sum` prints), read in
/// blocks so that memory does not grow with the file.
///
/// ```
/// let path = std::env::temp_dir().join(format!("emopiano-sha-doc-{}", std::process::id()));
/// std::fs::write(&path, b"abc")?;
/// assert_eq!(
///     emopiano_common::fs::sha256_file(&path)?,
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // FIPS 180-2's example
/// );
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
