//! Files written through a temporary file and a rename.

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
    let tmp = temporary_path(path);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
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
