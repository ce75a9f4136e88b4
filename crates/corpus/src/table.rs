//! Small CSV tables read by column name, with errors that name the file, row and column.

use std::path::{Path, PathBuf};

use crate::CorpusError;

/// A CSV file with a header row.
pub(crate) struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn read(path: &Path) -> Result<Table, CorpusError> {
        if !path.is_file() {
            return Err(CorpusError::Missing {
                path: path.to_path_buf(),
                what: "file not found".into(),
            });
        }
        let bad = |problem: String| CorpusError::BadMetadata {
            path: path.to_path_buf(),
            problem,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| bad(e.to_string()))?;
        let header = reader
            .headers()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        Ok(Table {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The index of a required column.
    pub(crate) fn column(&self, name: &str) -> Result<usize, CorpusError> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| CorpusError::BadMetadata {
                path: self.path.clone(),
                problem: format!(
                    "missing column {name:?} (columns: {})",
                    self.header.join(", ")
                ),
            })
    }

    /// The index of an optional column.
    pub(crate) fn optional_column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    pub(crate) fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// A cell; a short row is an error naming the 1-based data row.
    pub(crate) fn cell<'a>(
        &self,
        row: &'a [String],
        index: usize,
        number: usize,
    ) -> Result<&'a str, CorpusError> {
        row.get(index)
            .map(String::as_str)
            .ok_or_else(|| CorpusError::BadMetadata {
                path: self.path.clone(),
                problem: format!(
                    "row {number} has no {:?} value",
                    self.header.get(index).map(String::as_str).unwrap_or("?")
                ),
            })
    }

    pub(crate) fn bad(&self, number: usize, problem: impl std::fmt::Display) -> CorpusError {
        CorpusError::BadMetadata {
            path: self.path.clone(),
            problem: format!("row {number}: {problem}"),
        }
    }
}
