//! The report page of a smoke reproduction, opened in headless Chromium: every image and every
//! audio file it names loads.
//!
//! Alone in its test binary: the backend's random generator is process-wide.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use emopiano_experiment::{ReproduceOptions, reproduce};
use emopiano_trainer::Progress;

/// Chromium's binary: `$CHROMIUM`, else `chromium` or `chromium-browser` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// A page that loads every `<img>` and `<audio>` of `index.html` and writes what loaded.
const HARNESS: &str = r#"<!DOCTYPE html><html><body><pre id="out">pending</pre><script>
const xhr = new XMLHttpRequest();
xhr.open("GET", "index.html", false);
xhr.send();
const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
const checks = [];
for (const img of doc.querySelectorAll("img")) {
  const src = img.getAttribute("src");
  checks.push(new Promise(done => {
    const probe = new Image();
    probe.onload = () => done({src, ok: probe.naturalWidth > 0});
    probe.onerror = () => done({src, ok: false});
    probe.src = src;
  }));
}
for (const audio of doc.querySelectorAll("audio")) {
  const src = audio.getAttribute("src");
  checks.push(new Promise(done => {
    const probe = new Audio();
    probe.preload = "auto";
    probe.onloadedmetadata = () => done({src, ok: probe.duration > 0});
    probe.onerror = () => done({src, ok: false});
    probe.src = src;
  }));
}
const links = [...doc.querySelectorAll("a")].map(a => a.getAttribute("href"));
Promise.all(checks).then(results => {
  document.getElementById("out").textContent =
    "RESULT " + JSON.stringify({results, links, scripts: doc.querySelectorAll("script").length});
});
</script></body></html>"#;

#[test]
fn every_image_and_audio_of_the_report_page_loads_in_chromium() {
    let out = std::env::temp_dir().join(format!("emopiano-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    reproduce(&ReproduceOptions {
        profile: "smoke".into(),
        out: Some(out.clone()),
        soundfont: Some("builtin".into()),
        progress: Progress::Quiet,
        melodies: 1,
        ..ReproduceOptions::default()
    })
    .unwrap();
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    // Self-contained: no script, nothing fetched from elsewhere.
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"));
    assert!(
        page.contains("Table 1") && page.contains("<table>"),
        "{page}"
    );

    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is not installed (apt-get install chromium, or set CHROMIUM)"
        );
        eprintln!("skipped: no Chromium (set CHROMIUM or install Debian's chromium)");
        return;
    };
    std::fs::write(out.join("check.html"), HARNESS).unwrap();
    let profile = out.join("chromium-profile");
    let output = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--autoplay-policy=no-user-gesture-required",
            "--virtual-time-budget=20000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
        ])
        .arg(format!("file://{}", out.join("check.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let Some(json) = dom
        .split("RESULT ")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
    else {
        panic!(
            "Chromium did not finish the check: {dom}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let json = json.replace("&quot;", "\"").replace("&amp;", "&");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let results = report["results"].as_array().unwrap();
    let (images, audio): (Vec<_>, Vec<_>) = results
        .iter()
        .partition(|r| r["src"].as_str().unwrap().ends_with(".png"));
    // Eight loss curves, one by-emotion overlay per architecture and four
    // piano rolls; four melodies to listen to.
    assert_eq!(images.len(), 15, "{report}");
    for arch in ["lstm1", "lstm2", "lstm3"] {
        let overlay = format!("figx-{arch}-by-emotion.png");
        assert!(
            images.iter().any(|r| r["src"] == overlay.as_str()),
            "{overlay}: {report}"
        );
    }
    assert_eq!(audio.len(), 4, "{report}");
    for r in results {
        assert_eq!(r["ok"], true, "{} did not load: {report}", r["src"]);
    }
    // Every link is relative and names a file that is there.
    for link in report["links"].as_array().unwrap() {
        let link = link.as_str().unwrap();
        if let Some(anchor) = link.strip_prefix('#') {
            assert!(page.contains(&format!("id=\"{anchor}\"")), "{link}");
        } else {
            assert!(
                out.join(link).is_file(),
                "{link} is not in {}",
                out.display()
            );
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
}
