//! `cargo xtask fetch-dataset` against a loopback HTTP server serving fixture archives.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};

/// Serves `routes` (path with query → body) on 127.0.0.1 until the test process ends; returns the
/// base URL. Each connection gets one response and is closed.
fn serve(routes: HashMap<String, Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        // Bounded: a test makes a handful of requests.
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader
                    .read_line(&mut header)
                    .map(|n| n == 0)
                    .unwrap_or(true)
                    || header == "\r\n"
                {
                    break;
                }
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .to_string();
            let (status, body) = match routes.get(&path) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&body));
        }
    });
    base
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, body) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        zip.write_all(body).expect("zip write");
    }
    zip.finish().expect("zip finish");
    out.into_inner()
}

fn tiny_midi() -> Vec<u8> {
    let tokens: Vec<String> = ["C4", "E4", "G4"].map(String::from).to_vec();
    emopiano_tokenizer::TokenizerKind::NotesChords
        .build(emopiano_tokenizer::DecodeOptions::musical())
        .decode(&tokens)
        .expect("midi")
}

fn emopia_zip() -> Vec<u8> {
    let midi = tiny_midi();
    zip_of(&[
        (
            "EMOPIA_1.0/label.csv",
            b"ID,4Q,annotator\nQ1_abc_0,1,D\nQ3_def_2,3,D\n",
        ),
        ("EMOPIA_1.0/midis/Q1_abc_0.mid", &midi),
        ("EMOPIA_1.0/midis/Q3_def_2.mid", &midi),
        (
            "EMOPIA_1.0/split/train_clip.csv",
            b",clip_name\n0,Q1_abc_0.mid\n",
        ),
    ])
}

fn zenodo(archive: &[u8], published_md5: &str) -> String {
    let mut routes = HashMap::new();
    routes.insert("/files/EMOPIA_1.0.zip".to_string(), archive.to_vec());
    let base = serve(routes.clone());
    // The record must point at the server itself, so serve it from a second listener that knows
    // the first one's address.
    let record = serde_json::json!({
        "files": [{ "key": "EMOPIA_1.0.zip", "checksum": format!("md5:{published_md5}"),
                    "links": { "self": format!("{base}/files/EMOPIA_1.0.zip") } }]
    });
    routes.insert(
        "/api/records/5090631".to_string(),
        record.to_string().into_bytes(),
    );
    serve(routes)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("run xtask")
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn emopia_is_downloaded_verified_and_unpacked() {
    let archive = emopia_zip();
    let base = zenodo(&archive, &md5_hex(&archive));
    let parent = scratch("emopia-ok");
    let dest = parent.join("data");
    let out = xtask(&[
        "fetch-dataset",
        "emopia",
        "--dest",
        dest.to_str().expect("utf-8"),
        "--base-url",
        &base,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let corpus = emopiano_corpus::emopia::load(&dest).expect("the loader reads the download");
    assert_eq!(corpus.pieces.len(), 2);
    assert_eq!(corpus.pieces[0].split, Some(emopiano_corpus::Split::Train));
    assert_eq!(leftovers(&parent), ["data"]);
}

#[test]
fn a_corrupted_download_writes_nothing() {
    let archive = emopia_zip();
    let mut corrupted = archive.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0xff;
    let base = zenodo(&corrupted, &md5_hex(&archive));
    let parent = scratch("emopia-corrupt");
    let dest = parent.join("data");
    let out = xtask(&[
        "fetch-dataset",
        "emopia",
        "--dest",
        dest.to_str().expect("utf-8"),
        "--base-url",
        &base,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(leftovers(&parent).is_empty(), "{:?}", leftovers(&parent));
}

#[test]
fn an_archive_that_does_not_unpack_writes_nothing() {
    let not_a_zip = b"PK\x03\x04 but not really a zip archive".to_vec();
    let base = zenodo(&not_a_zip, &md5_hex(&not_a_zip));
    let parent = scratch("emopia-badzip");
    let dest = parent.join("data");
    let out = xtask(&[
        "fetch-dataset",
        "emopia",
        "--dest",
        dest.to_str().expect("utf-8"),
        "--base-url",
        &base,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unpacking"));
    assert!(leftovers(&parent).is_empty());
}

#[test]
fn an_existing_download_is_kept_unless_forced() {
    let archive = emopia_zip();
    let base = zenodo(&archive, &md5_hex(&archive));
    let parent = scratch("emopia-exists");
    let dest = parent.join("data");
    std::fs::create_dir_all(&dest).expect("dest");
    std::fs::write(dest.join("mine.txt"), "keep").expect("write");
    let out = xtask(&[
        "fetch-dataset",
        "emopia",
        "--dest",
        dest.to_str().expect("utf-8"),
        "--base-url",
        &base,
    ]);
    assert!(!out.status.success());
    assert!(dest.join("mine.txt").exists());
    let out = xtask(&[
        "fetch-dataset",
        "emopia",
        "--dest",
        dest.to_str().expect("utf-8"),
        "--base-url",
        &base,
        "--force",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dest.join("label.csv").exists() && !dest.join("mine.txt").exists());
}

#[test]
fn eerola_files_come_from_the_dataverse_api() {
    let design =
        b"Nro,Register,Mode,Tempo,Soundlevel,Articulation,Timbre,Melody\n1,4,1,4,4,2,2,4\n"
            .to_vec();
    let ratings = b"Nro,Scary,Happy,Sad,Peaceful\n1,1.2,4.4,1.7,3.1\n".to_vec();
    let midi = tiny_midi();
    let listing = serde_json::json!({ "data": { "latestVersion": { "files": [
        { "dataFile": { "id": 11, "filename": "design_matrix.tab", "originalFileName": "design_matrix.csv", "md5": md5_hex(&design) } },
        { "dataFile": { "id": 12, "filename": "mean_emotion_ratings.tab", "originalFileName": "mean_emotion_ratings.csv", "md5": md5_hex(&ratings) } },
        { "directoryLabel": "midi", "dataFile": { "id": 13, "filename": "001.mid", "checksum": { "type": "MD5", "value": md5_hex(&midi) } } }
    ] } } });
    let mut routes = HashMap::new();
    routes.insert(
        "/api/datasets/:persistentId/?persistentId=doi:10.7910/DVN/IFOBRN".to_string(),
        listing.to_string().into_bytes(),
    );
    routes.insert(
        "/api/access/datafile/11?format=original".to_string(),
        design,
    );
    routes.insert(
        "/api/access/datafile/12?format=original".to_string(),
        ratings,
    );
    routes.insert("/api/access/datafile/13".to_string(), midi);
    let base = serve(routes);
    let parent = scratch("eerola");
    let dest = parent.join("data");
    let out = xtask(&[
        "fetch-dataset",
        "eerola",
        "--dest",
        dest.to_str().expect("utf-8"),
        "--base-url",
        &base,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let corpus =
        emopiano_corpus::eerola::load(&dest, emopiano_corpus::Labeling::Ratings).expect("loader");
    assert_eq!(corpus.pieces.len(), 1);
    assert_eq!(corpus.pieces[0].emotion, emopiano_corpus::Emotion::Happy);
}
