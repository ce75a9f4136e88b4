"""music21's instrument-name matching (`instrument.fromString`), as data for the Rust port.

Usage:
    python music21_instruments.py table RUST_FILE     writes the name table and class facts as Rust
    python music21_instruments.py golden NAME...      -> JSON {"music21": version, "names": {name: class | null}}
        for every name of the table, every General MIDI program's instrumentName, and NAME...
"""
import json
import sys
import warnings

import music21
from music21 import instrument
from music21.languageExcerpts import instrumentLookup

warnings.filterwarnings("ignore")


def rust_str(s):
    return json.dumps(s, ensure_ascii=False)


def table(path):
    names = sorted(instrumentLookup.allToClassName.items())
    classes = sorted(set(c for _, c in names))
    lines = [
        f"//! music21 {music21.__version__}'s instrument names (`languageExcerpts.instrumentLookup.allToClassName`)",
        "//! and, for each class they name, the words of its `bestName()` and its instrument superclasses:",
        "//! what `instrument.fromString` consults. Written by `cargo xtask golden`; do not edit.",
        "",
        "/// (lower-case name, class), sorted by name.",
        "pub(crate) const NAMES: &[(&str, &str)] = &[",
    ]
    lines += [f"    ({rust_str(k)}, {rust_str(v)})," for k, v in names]
    lines += [
        "];",
        "",
        "/// (class, words in its lower-cased `bestName()`, the class and its instrument superclasses), sorted by class.",
        "pub(crate) const CLASSES: &[(&str, usize, &[&str])] = &[",
    ]
    for c in classes:
        cls = getattr(instrument, c)
        words = len(cls().bestName().lower().split())
        mro = [m.__name__ for m in cls.__mro__ if issubclass(m, instrument.Instrument)]
        lines.append(f"    ({rust_str(c)}, {words}, &[{', '.join(rust_str(m) for m in mro)}]),")
    lines += ["];", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def golden(names):
    out = {}
    for name in names:
        try:
            out[name] = type(instrument.fromString(name)).__name__
        except instrument.InstrumentException:
            out[name] = None
    return out


def main(argv):
    if argv[0] == "table":
        table(argv[1])
        print(json.dumps({"music21": music21.__version__}))
    else:
        gm = [instrument.instrumentFromMidiProgram(p).instrumentName for p in range(128)]
        names = sorted(set(instrumentLookup.allToClassName) | set(gm) | set(argv[1:]))
        json.dump({"music21": music21.__version__, "names": golden(names)}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
