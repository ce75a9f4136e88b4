//! The Debian part of the tokenizer's real-world parity suite: MIDI files that Debian packages
//! ship (`crates/tokenizer/tests/corpus/debian/`, listed with package, version, licence, path
//! and MD5 in its `sources.json`). A file that is missing or changed is downloaded again from
//! its package with `apt-get download` (a Debian machine is needed only then).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use md5::{Digest, Md5};
use serde::Deserialize;

#[derive(Deserialize)]
struct Sources {
    packages: BTreeMap<String, Package>,
    files: BTreeMap<String, SourceFile>,
}

#[derive(Deserialize)]
struct Package {
    version: String,
}

#[derive(Deserialize)]
struct SourceFile {
    /// The path inside the package; `archive.zip!member` for a file inside a zip it ships.
    path: String,
    md5: String,
}

/// The suite's files (checked against their MD5, fetched again where missing), sorted.
pub fn ensure(root: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let list = dir.join("sources.json");
    let sources: Sources = serde_json::from_slice(
        &std::fs::read(&list).with_context(|| format!("reading {}", list.display()))?,
    )
    .with_context(|| format!("parsing {}", list.display()))?;
    let mut paths = Vec::new();
    for (name, file) in &sources.files {
        let path = dir.join(name);
        if !std::fs::read(&path).is_ok_and(|bytes| md5_hex(&bytes) == file.md5) {
            let package = name.split('/').next().unwrap_or_default();
            let version = sources.packages.get(package).with_context(|| {
                format!("{name}: package {package} is not in {}", list.display())
            })?;
            let bytes = from_package(root, package, &version.version, &file.path)
                .with_context(|| format!("fetching {name} from {package} {}", version.version))?;
            if md5_hex(&bytes) != file.md5 {
                bail!(
                    "{name}: the file in {package} {} has another MD5 than {}",
                    version.version,
                    list.display()
                );
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("fetched {name} from {package} {}", version.version);
        }
        paths.push(path);
    }
    Ok(paths)
}

/// `apt-get download PACKAGE=VERSION` into `target/debian-debs/`, unpacked with `dpkg-deb -x`
/// (once per package), then the file, or the member of the zip the package ships.
fn from_package(root: &Path, package: &str, version: &str, inner: &str) -> Result<Vec<u8>> {
    let debs = &root.join("target/debian-debs");
    let unpacked = debs.join(package);
    if !unpacked.is_dir() {
        std::fs::create_dir_all(debs).with_context(|| format!("creating {}", debs.display()))?;
        run(Command::new("apt-get")
            .args(["download", &format!("{package}={version}")])
            .current_dir(debs))?;
        let deb = std::fs::read_dir(debs)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
            })
            .with_context(|| format!("apt-get wrote no {package}_*.deb"))?;
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
    }
    match inner.split_once('!') {
        None => std::fs::read(unpacked.join(inner)).with_context(|| format!("reading {inner}")),
        Some((archive, member)) => {
            let file = std::fs::File::open(unpacked.join(archive))
                .with_context(|| format!("opening {archive}"))?;
            let mut zip =
                zip::ZipArchive::new(file).with_context(|| format!("reading {archive}"))?;
            let mut entry = zip
                .by_name(member)
                .with_context(|| format!("{member} in {archive}"))?;
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            Ok(bytes)
        }
    }
}

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn md5_hex(bytes: &[u8]) -> String {
    crate::fetch_dataset::lower_hex(&Md5::digest(bytes))
}
