//! The committed experiments' Table 1 is what the code computes from their committed files:
//! each finished cell's `metrics.csv` and `timing.csv`, and the Keras curves beside them.

use std::path::{Path, PathBuf};

use emopiano_experiment::grid::Grid;
use emopiano_experiment::refresh::Folder;

fn experiments() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments")
}

#[test]
fn committed_tables_are_recomputed_from_the_committed_metrics() {
    let grid = Grid::load(&experiments().join("table1.json")).expect("the grid file");
    let mut checked = 0;
    for entry in std::fs::read_dir(experiments().join("table1")).expect("experiments/table1") {
        let out = entry.expect("a folder entry").path();
        if !out.join("experiment.json").is_file() {
            continue;
        }
        let folder = Folder::read(&out, &grid).expect("a readable experiment folder");
        let (md, csv) = folder.table().render();
        for (name, computed) in [("table1.md", md), ("table1.csv", csv)] {
            let committed = std::fs::read_to_string(out.join(name)).expect(name);
            assert_eq!(
                committed,
                computed,
                "{}/{name} is not what the code computes from the folder's files \
                 (rebuild it with `emopiano reproduce --report-only --out {}`)",
                out.display(),
                out.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 2, "the committed experiments were not found");
}
