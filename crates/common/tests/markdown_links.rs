//! Every relative link in the repository's Markdown files names a file that is there, and an
//! anchor (`file.md#heading`) names one of that file's headings, as GitHub spells them.

use std::path::{Path, PathBuf};

/// The Markdown files below `dir`, leaving out build output and hidden folders.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The targets of the `[text](target)` links of `text`, outside code.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans may hold brackets that are not links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].trim().to_string());
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// The broken links of `file` (a Markdown file), as messages.
fn broken(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for link in links(&text) {
        if link.contains("://") || link.starts_with("mailto:") || link.is_empty() {
            continue;
        }
        let (path, anchor) = match link.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor)),
            None => (link.as_str(), None),
        };
        let target = if path.is_empty() {
            file.to_path_buf()
        } else {
            dir.join(path)
        };
        if !target.exists() {
            out.push(format!("{}: {link}: no such file", file.display()));
            continue;
        }
        if let Some(anchor) = anchor
            && target.extension().is_some_and(|e| e == "md")
        {
            let headings = anchors(&std::fs::read_to_string(&target).unwrap_or_default());
            if !headings.iter().any(|h| h == anchor) {
                out.push(format!("{}: {link}: no such heading", file.display()));
            }
        }
    }
    out
}

#[test]
fn slugs_and_links_are_read_as_github_reads_them() {
    assert_eq!(
        slug(" Tokens, models and training"),
        "tokens-models-and-training"
    );
    assert_eq!(
        slug("Shipped models & the classifier"),
        "shipped-models--the-classifier"
    );
    let text = "see [a](docs/a.md#x) and `[not](a link)`\n```\n[no](inside.md)\n```\n[b](b.md)";
    assert_eq!(links(text), ["docs/a.md#x", "b.md"]);
}

#[test]
fn every_relative_link_in_the_markdown_files_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("README.md")),
        "no Markdown found under {}",
        root.display()
    );
    let broken: Vec<String> = files.iter().flat_map(|f| broken(f)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
