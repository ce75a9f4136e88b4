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
