//! `index.html`: one page beside an experiment's results, to look at and listen to: Table 1
//! beside the paper's, the loss curves, the evaluation tables, and each emotion's melody with its
//! piano roll, an audio player and a link to the MIDI file. Self-contained (inline style, no
//! script, no CDN) with links relative to the folder, so it opens from disk or any static server.

use std::fmt::Write as _;
use std::path::Path;

use emopiano_corpus::Emotion;

use crate::ExperimentError;

/// The Markdown reports `reproduce` may write, in page order, with their headings.
const REPORTS: [(&str, &str); 4] = [
    ("table1.md", "Table 1"),
    ("heldout.md", "Held-out pieces"),
    ("conditioned.md", "One model for all emotions"),
    ("evaluation.md", "Evaluation of the melodies"),
];

/// Text with `&`, `<`, `>` and `"` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One line of Markdown text: escaped, with `code` spans and **bold**.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(text).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            for (j, piece) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<strong>{piece}</strong>");
                } else {
                    out.push_str(piece);
                }
            }
        }
    }
    out
}

/// The cells of a Markdown table row.
fn cells(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(str::trim).collect()
}

/// The subset of Markdown emopiano's reports use (headings, paragraphs, tables, lists, code
/// spans) as HTML; headings are demoted by `demote` levels.
pub fn markdown_to_html(markdown: &str, demote: usize) -> String {
    let mut html = String::new();
    let mut paragraph: Vec<String> = Vec::new();
    let mut table: Vec<&str> = Vec::new();
    let flush_paragraph = |html: &mut String, paragraph: &mut Vec<String>| {
        if !paragraph.is_empty() {
            let _ = writeln!(html, "<p>{}</p>", paragraph.join(" "));
            paragraph.clear();
        }
    };
    let flush_table = |html: &mut String, table: &mut Vec<&str>| {
        if table.is_empty() {
            return;
        }
        html.push_str("<table>\n");
        for (i, row) in table.iter().enumerate() {
            let cells = cells(row);
            if cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| "-: ".contains(ch)))
            {
                continue;
            }
            let tag = if i == 0 { "th" } else { "td" };
            html.push_str("<tr>");
            for c in cells {
                let _ = write!(html, "<{tag}>{}</{tag}>", inline(c));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table>\n");
        table.clear();
    };
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('|') {
            flush_paragraph(&mut html, &mut paragraph);
            table.push(trimmed);
            continue;
        }
        flush_table(&mut html, &mut table);
        if trimmed.is_empty() {
            flush_paragraph(&mut html, &mut paragraph);
        } else if let Some(rest) = trimmed.strip_prefix('#') {
            flush_paragraph(&mut html, &mut paragraph);
            let level = 1 + rest.chars().take_while(|&c| c == '#').count();
            let text = rest.trim_start_matches('#').trim();
            let h = (level + demote).min(6);
            let _ = writeln!(html, "<h{h}>{}</h{h}>", inline(text));
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            flush_paragraph(&mut html, &mut paragraph);
            let _ = writeln!(html, "<ul><li>{}</li></ul>", inline(item));
        } else {
            paragraph.push(inline(trimmed));
        }
    }
    flush_table(&mut html, &mut table);
    flush_paragraph(&mut html, &mut paragraph);
    html
}

const STYLE: &str = "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;\
color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:90%}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}th{background:#f3f3f3}\
img{max-width:100%;border:1px solid #ddd}figure{margin:1em 0}.melody{margin:1.5em 0}\
code{background:#f5f5f5;padding:0 .2em}nav a{margin-right:1em}";

/// The melodies of `dir` (relative to `out`) as HTML: for each emotion with a `<emotion>.mid`,
/// its piano roll, an audio player and the MIDI link.
fn melodies_html(out: &Path, dir: &str) -> String {
    let mut html = String::new();
    for emotion in Emotion::ALL {
        let stem = format!("{dir}/{emotion}");
        if !out.join(format!("{stem}.mid")).is_file() {
            continue;
        }
        let _ = writeln!(html, "<div class=\"melody\"><h3>{emotion}</h3>");
        if out.join(format!("{stem}.png")).is_file() {
            let _ = writeln!(
                html,
                "<figure><img src=\"{stem}.png\" alt=\"piano roll of the {emotion} melody\"></figure>"
            );
        }
        if out.join(format!("{stem}.wav")).is_file() {
            let _ = writeln!(
                html,
                "<audio controls preload=\"metadata\" src=\"{stem}.wav\">{stem}.wav</audio>"
            );
        }
        let _ = writeln!(
            html,
            "<p><a href=\"{stem}.mid\">{stem}.mid</a> (MIDI)</p></div>"
        );
    }
    html
}

/// The page's title for an experiment of `profile` on `dataset` with `seed`.
pub fn page_title(profile: &str, dataset: &str, seed: u64) -> String {
    format!("emopiano: the {profile} profile on {dataset} (seed {seed})")
}

/// Writes `index.html` into the experiment folder `out` from what is there: the reports
/// (`table1.md`, `heldout.md`, `conditioned.md`, `evaluation.md`), the loss curves `fig*.png`,
/// and the melodies in `melodies/` and `melodies/<arch>-conditioned/`. `title` heads the page.
pub fn write_index(out: &Path, title: &str) -> Result<(), ExperimentError> {
    let mut body = String::new();
    let mut nav = Vec::new();
    for (file, heading) in REPORTS {
        let path = out.join(file);
        let Ok(markdown) = std::fs::read_to_string(&path) else {
            continue;
        };
        let id = file.trim_end_matches(".md");
        nav.push(format!("<a href=\"#{id}\">{heading}</a>"));
        let _ = writeln!(
            body,
            "<section id=\"{id}\"><h2>{heading}</h2>\n<p><a href=\"{file}\">{file}</a></p>\n{}</section>",
            markdown_to_html(&markdown, 2)
        );
    }
    let mut figures: Vec<String> = std::fs::read_dir(out)
        .map_err(ExperimentError::io(out))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("fig") && n.ends_with(".png"))
        .collect();
    figures.sort();
    if !figures.is_empty() {
        nav.push("<a href=\"#curves\">Loss curves</a>".to_string());
        body.push_str("<section id=\"curves\"><h2>Loss curves</h2>\n");
        for f in &figures {
            let _ = writeln!(
                body,
                "<figure><img src=\"{f}\" alt=\"{f}\"><figcaption>{f}</figcaption></figure>"
            );
        }
        body.push_str("</section>\n");
    }
    let mut melody_dirs = vec!["melodies".to_string()];
    if let Ok(entries) = std::fs::read_dir(out.join("melodies")) {
        let mut conditioned: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with("-conditioned"))
            .map(|n| format!("melodies/{n}"))
            .collect();
        conditioned.sort();
        melody_dirs.extend(conditioned);
    }
    for dir in melody_dirs {
        let html = melodies_html(out, &dir);
        if html.is_empty() {
            continue;
        }
        let id = dir.replace('/', "-");
        nav.push(format!("<a href=\"#{id}\">{}</a>", escape(&dir)));
        let _ = writeln!(
            body,
            "<section id=\"{id}\"><h2>Melodies: <code>{}</code></h2>\n{html}</section>",
            escape(&dir)
        );
    }
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <nav>{}</nav>\n{body}</body>\n</html>\n",
        nav.join(" "),
        title = escape(title)
    );
    let path = out.join("index.html");
    emopiano_common::fs::write_atomically(&path, page.as_bytes())
        .map_err(ExperimentError::io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_tables_headings_and_code_become_html() {
        let html = markdown_to_html(
            "# Table 1\n\nLowest `loss` <per> emotion.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            1,
        );
        assert!(html.contains("<h2>Table 1</h2>"), "{html}");
        assert!(
            html.contains("<p>Lowest <code>loss</code> &lt;per&gt; emotion.</p>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<table>\n<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td>2</td></tr>\n</table>"
            ),
            "{html}"
        );
    }
}
