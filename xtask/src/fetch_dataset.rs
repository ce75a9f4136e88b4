//! `cargo xtask fetch-dataset emopia|eerola`: download the public release, verify every file
//! against the checksum its repository publishes, unpack, and move the result into place in one
//! rename, so a failure at any step leaves nothing behind.
//!
//! - EMOPIA 1.0: Zenodo record 5090631 (`/api/records/5090631` lists the files with `md5:`
//!   checksums; the archive unpacks to `label.csv`, `midis/`, `split/`).
//! - Eerola 2016: Harvard Dataverse doi:10.7910/DVN/IFOBRN (the dataset API lists every file with
//!   its MD5; tabular files are fetched in their original format).
//!
//! The servers can be replaced (`--base-url`, or `EMOPIANO_ZENODO_URL` / `EMOPIANO_DATAVERSE_URL`),
//! which is how the tests serve fixture archives from a loopback server.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use md5::{Digest, Md5};
use serde_json::Value;

/// `cargo xtask fetch-dataset`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Which dataset.
    #[arg(value_enum)]
    pub dataset: Dataset,
    /// Where to put it (default: `datasets/<name>/data`).
    #[arg(long)]
    pub dest: Option<PathBuf>,
    /// Server to use instead of Zenodo / the Harvard Dataverse (e.g. a mirror).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Replace an existing download.
    #[arg(long)]
    pub force: bool,
}

/// Fetches the dataset the flags name into `--dest` (default: `datasets/<name>/data`).
pub fn command(root: &Path, args: &Args) -> Result<()> {
    let dest = args.dest.clone().unwrap_or_else(|| {
        root.join("datasets")
            .join(format!("{:?}", args.dataset).to_lowercase())
            .join("data")
    });
    run(args.dataset, &dest, args.base_url.clone(), args.force)
}

/// The datasets this command can fetch.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Dataset {
    /// EMOPIA 1.0 from Zenodo.
    Emopia,
    /// Eerola's Primary Musical Cues from the Harvard Dataverse.
    Eerola,
}

impl Dataset {
    fn name(self) -> &'static str {
        match self {
            Dataset::Emopia => "emopia",
            Dataset::Eerola => "eerola",
        }
    }

    fn default_base(self) -> String {
        let (var, default) = match self {
            Dataset::Emopia => ("EMOPIANO_ZENODO_URL", "https://zenodo.org"),
            Dataset::Eerola => ("EMOPIANO_DATAVERSE_URL", "https://dataverse.harvard.edu"),
        };
        std::env::var(var).unwrap_or_else(|_| default.to_string())
    }
}

/// A file to download and the MD5 its repository publishes.
struct Remote {
    name: String,
    url: String,
    md5: String,
}

pub fn run(dataset: Dataset, dest: &Path, base_url: Option<String>, force: bool) -> Result<()> {
    let base = base_url.unwrap_or_else(|| dataset.default_base());
    let base = base.trim_end_matches('/');
    if dest.exists() && !force {
        bail!(
            "{} already exists (use --force to replace it)",
            dest.display()
        );
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = parent.join(format!(".fetch-{}-{}", dataset.name(), std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = fetch_into(dataset, base, &staging).and_then(|root| {
        if dest.exists() {
            std::fs::remove_dir_all(dest)
                .with_context(|| format!("removing the old {}", dest.display()))?;
        }
        std::fs::rename(&root, dest)
            .with_context(|| format!("moving the download to {}", dest.display()))
    });
    let _ = std::fs::remove_dir_all(&staging);
    result?;
    println!("{} is ready in {}", dataset.name(), dest.display());
    Ok(())
}

/// Downloads, verifies and unpacks into `staging`; returns the folder that holds the dataset.
fn fetch_into(dataset: Dataset, base: &str, staging: &Path) -> Result<PathBuf> {
    let files = match dataset {
        Dataset::Emopia => zenodo_files(base, "5090631")?,
        Dataset::Eerola => dataverse_files(base, "doi:10.7910/DVN/IFOBRN")?,
    };
    if files.is_empty() {
        bail!("the repository lists no files");
    }
    let downloads = staging.join("downloads");
    let unpacked = staging.join("unpacked");
    std::fs::create_dir_all(&downloads)?;
    std::fs::create_dir_all(&unpacked)?;
    for file in &files {
        let safe =
            sanitize(&file.name).with_context(|| format!("unsafe file name {:?}", file.name))?;
        let path = downloads.join(&safe);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        download(&file.url, &path, &file.md5)
            .with_context(|| format!("downloading {}", file.name))?;
        if safe
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            unzip(&path, &unpacked).with_context(|| format!("unpacking {}", file.name))?;
        } else {
            let target = unpacked.join(&safe);
            if let Some(p) = target.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::rename(&path, &target)?;
        }
    }
    // An archive with a single top folder (EMOPIA_1.0/…) is the dataset itself.
    let entries: Vec<PathBuf> = std::fs::read_dir(&unpacked)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    Ok(match entries.as_slice() {
        [only] if only.is_dir() => only.clone(),
        _ => unpacked,
    })
}

fn get_json(url: &str) -> Result<Value> {
    let response = ureq::get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let mut body = String::new();
    response
        .into_reader()
        .take(64 << 20)
        .read_to_string(&mut body)
        .with_context(|| format!("reading {url}"))?;
    serde_json::from_str(&body).with_context(|| format!("{url}: not JSON"))
}

/// Zenodo's record API: `files` is a list (legacy) or `{"entries": …}` (InvenioRDM).
fn zenodo_files(base: &str, record: &str) -> Result<Vec<Remote>> {
    let url = format!("{base}/api/records/{record}");
    let json = get_json(&url)?;
    let files = &json["files"];
    let list: Vec<&Value> = match files {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("entries") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(Value::Object(m)) => m.values().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|f| {
            let name = f["key"]
                .as_str()
                .context("a file without a key")?
                .to_string();
            let md5 = f["checksum"]
                .as_str()
                .and_then(|c| c.strip_prefix("md5:"))
                .context("a file without an md5 checksum")?;
            let url = f["links"]["self"]
                .as_str()
                .or(f["links"]["content"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{base}/records/{record}/files/{name}"));
            Ok(Remote {
                name,
                url,
                md5: md5.to_ascii_lowercase(),
            })
        })
        .collect::<Result<_>>()
        .with_context(|| format!("reading the file list of {url}"))
}

/// The Dataverse dataset API: `data.latestVersion.files[].dataFile`.
fn dataverse_files(base: &str, doi: &str) -> Result<Vec<Remote>> {
    let url = format!("{base}/api/datasets/:persistentId/?persistentId={doi}");
    let json = get_json(&url)?;
    let files = json["data"]["latestVersion"]["files"]
        .as_array()
        .with_context(|| format!("{url}: no file list"))?;
    files
        .iter()
        .map(|f| {
            let d = &f["dataFile"];
            let id = d["id"].as_u64().context("a file without an id")?;
            let name = d["originalFileName"]
                .as_str()
                .or(d["filename"].as_str())
                .context("a file without a name")?;
            let dir = f["directoryLabel"].as_str().unwrap_or("");
            let md5 = d["md5"]
                .as_str()
                .or(d["checksum"]["value"].as_str())
                .context("a file without an MD5")?;
            let original = if d["originalFileName"].is_string() {
                "?format=original"
            } else {
                ""
            };
            Ok(Remote {
                name: if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                },
                url: format!("{base}/api/access/datafile/{id}{original}"),
                md5: md5.to_ascii_lowercase(),
            })
        })
        .collect::<Result<_>>()
        .with_context(|| format!("reading the file list of {url}"))
}

/// Streams `url` to `path`, hashing as it goes; a mismatch deletes the file.
fn download(url: &str, path: &Path, md5: &str) -> Result<()> {
    let response = ureq::get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let mut reader = response.into_reader();
    let mut out =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .with_context(|| format!("reading {url}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
    out.sync_all()?;
    let got = lower_hex(&hasher.finalize());
    if got != md5 {
        let _ = std::fs::remove_file(path);
        bail!("checksum mismatch for {url}: expected md5 {md5}, got {got} ({total} bytes)");
    }
    Ok(())
}

/// A relative path with no `..`, root or prefix components.
fn sanitize(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    p.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then(|| p.to_path_buf())
}

fn unzip(archive: &Path, into: &Path) -> Result<()> {
    let file = std::fs::File::open(archive)?;
    let mut zip = zip::ZipArchive::new(file).context("not a readable zip archive")?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        // enclosed_name rejects absolute paths and `..` (zip-slip).
        let Some(rel) = entry.enclosed_name() else {
            bail!("unsafe path {:?} in the archive", entry.name())
        };
        if rel.components().any(|c| c.as_os_str() == "__MACOSX") {
            continue;
        }
        let target = into.join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p)?;
        }
        let mut out = std::fs::File::create(&target)?;
        std::io::copy(&mut entry, &mut out)
            .with_context(|| format!("extracting {}", rel.display()))?;
    }
    Ok(())
}

/// A digest as checksum lists print it: lowercase hex.
pub(crate) fn lower_hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
