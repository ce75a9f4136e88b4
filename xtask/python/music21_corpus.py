"""Writes a selection of music21's bundled corpus to multi-track MIDI, with music21 itself.

Usage:
    python music21_corpus.py OUT_DIR COUNT   -> JSON {"music21": version, "files": {name: source}}

The selection is deterministic: the corpus's core paths in order, at most a few works per
collection (Bach chorales, Palestrina masses, Monteverdi madrigals, Trecento pieces, string
quartets, piano pieces, folk-song collections, whose part names become track names), skipping
works music21 cannot write and files over 64 kB, until COUNT files are written.
"""
import json
import os
import sys
import warnings

import music21

warnings.filterwarnings("ignore")

# Works taken per collection (the first directory under the corpus); others: all of them.
CAPS = {"bach": 100, "beethoven": 4, "haydn": 3, "mozart": 4, "palestrina": 40, "monteverdi": 30, "trecento": 30, "essenFolksong": 30,
        "airdsAirs": 20, "oneills1850": 20, "ryansMammoth": 3}
# Tunes taken from each file of a collection of tunes (an Opus).
TUNES_PER_OPUS = 6
MAX_BYTES = 64 * 1024


def main(out_dir, count):
    os.makedirs(out_dir, exist_ok=True)
    taken = {}
    written = {}
    for path in music21.corpus.getCorePaths():
        if len(written) >= count:
            break
        rel = str(path).split("/corpus/", 1)[-1]
        collection = rel.split("/")[0]
        ext = os.path.splitext(rel)[1]
        if ext == ".rntxt" or taken.get(collection, 0) >= CAPS.get(collection, 1000):
            continue
        base = rel.replace("/", "_").rsplit(".", 1)[0]
        # Files an earlier, interrupted run wrote are kept as they are (parsing is slow).
        done = sorted(f for f in os.listdir(out_dir) if f == base + ".mid" or f.startswith(base + "_") and f[len(base) + 1:-4].isdigit())
        if done:
            for f in done[: count - len(written)]:
                suffix = f[len(base) + 1:-4] if f != base + ".mid" else ""
                written[f] = rel + (f" (tune {suffix})" if suffix else "")
                taken[collection] = taken.get(collection, 0) + 1
            continue
        try:
            parsed = music21.converter.parse(path)
        except Exception:
            continue
        if isinstance(parsed, music21.stream.Opus):
            works = [(f"{i}", s) for i, s in enumerate(parsed.scores[:TUNES_PER_OPUS])]
        else:
            works = [("", parsed)]
        for suffix, score in works:
            if len(written) >= count:
                break
            stem = rel.replace("/", "_").rsplit(".", 1)[0] + (f"_{suffix}" if suffix else "")
            target = os.path.join(out_dir, stem + ".mid")
            try:
                score.write("midi", fp=target)
            except Exception:
                if os.path.exists(target):
                    os.remove(target)
                continue
            if os.path.getsize(target) > MAX_BYTES:
                os.remove(target)
                continue
            written[stem + ".mid"] = rel + (f" (tune {suffix})" if suffix else "")
            taken[collection] = taken.get(collection, 0) + 1
    json.dump({"music21": music21.__version__, "files": written}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
