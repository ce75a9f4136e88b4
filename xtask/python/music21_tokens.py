"""The paper's token extraction with music21 (the reference the Rust tokenizer is checked against).

Usage:
    python music21_tokens.py FILE.mid...        -> JSON {"music21": version, "files": {path: tokens | {"error": msg}}}
    python music21_tokens.py --normal-order     -> JSON {"music21": version, "normal_order": {mask: [pcs]}}
"""
import json
import sys
import warnings

import music21

warnings.filterwarnings("ignore")


def tokens(path):
    # Verbatim from the issue / Classical-Piano-Composer's get_notes().
    out = []
    midi = music21.converter.parse(path)
    try:
        parts = music21.instrument.partitionByInstrument(midi)
        elements = parts.parts[0].recurse()
    except Exception:
        elements = midi.flat.notes
    for e in elements:
        if isinstance(e, music21.note.Note):
            out.append(str(e.pitch))
        elif isinstance(e, music21.chord.Chord):
            out.append('.'.join(str(n) for n in e.normalOrder))
    return out


def main(argv):
    result = {"music21": music21.__version__}
    if argv == ["--normal-order"]:
        result["normal_order"] = {
            str(mask): music21.chord.Chord([pc for pc in range(12) if mask >> pc & 1]).normalOrder
            for mask in range(1, 4096)
        }
    else:
        files = {}
        for path in argv:
            try:
                files[path] = tokens(path)
            except Exception as ex:  # recorded, the Rust side reports its own error for these
                files[path] = {"error": repr(ex)}
        result["files"] = files
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
