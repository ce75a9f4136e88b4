"""Writes a selection of music21's bundled corpus to multi-track MIDI, with music21 itself.

Usage:
    python music21_corpus.py OUT_DIR COUNT   -> JSON {"music21": version, "files": {name: source}}

The selection is deterministic: the corpus's core paths in order, at most a few works per
collection (Bach chorales, Palestrina masses, Monteverdi madrigals, Trecento pieces, string
quartets, piano pieces, folk-song collections, whose part names become track names), skipping
works music21 cannot write and files over 64 kB, until COUNT files are written.

music21 writes each part with its instrument's name as the track name and a program change
after it, so for most multi-part works the paper's loop (`partitionByInstrument(...).parts[0]`)
finds an empty first part and no tokens. Every such work is written a second time as a piano
arrangement, `<name>_piano.mid`: each part's instruments replaced by one `Piano` whose part name
is an arranger's track name ("Right Hand", "Left Hand", ...), so that all parts merge into the
first part, overlapping, as in a two-hand piano file. These are not counted in COUNT.
"""
import json
import os
import sys
import warnings

import music21

from music21_tokens import tokens as paper_tokens

warnings.filterwarnings("ignore")

# Works taken per collection (the first directory under the corpus); others: all of them.
CAPS = {"bach": 100, "beethoven": 4, "haydn": 3, "mozart": 4, "palestrina": 40, "monteverdi": 30, "trecento": 30, "essenFolksong": 30,
        "airdsAirs": 20, "oneills1850": 20, "ryansMammoth": 3}
# Tunes taken from each file of a collection of tunes (an Opus).
TUNES_PER_OPUS = 6
MAX_BYTES = 64 * 1024
# Track names of the piano arrangements, part by part.
HAND_NAMES = ["Right Hand", "Left Hand", "Piano", "Melody", "Harmony", "Piano Template"]


def write_kept(write, target):
    """Runs `write()` (which writes `target`); keeps the file unless that fails or it is too big."""
    try:
        write()
    except Exception:
        if os.path.exists(target):
            os.remove(target)
        return False
    if os.path.getsize(target) > MAX_BYTES:
        os.remove(target)
        return False
    return True


def write_piano_arrangement(score, target):
    for i, part in enumerate(score.parts):
        for inst in list(part.recurse().getElementsByClass(music21.instrument.Instrument)):
            inst.activeSite.remove(inst)
        piano = music21.instrument.Piano()
        piano.partName = HAND_NAMES[i % len(HAND_NAMES)]
        part.insert(0, piano)
    score.write("midi", fp=target)


def add_piano_arrangements(out_dir, written):
    """The `_piano` twin of every written work whose tokens are empty."""
    for name, source in list(written.items()):
        twin = name[:-4] + "_piano.mid"
        target = os.path.join(out_dir, twin)
        if not os.path.exists(target):
            if paper_tokens(os.path.join(out_dir, name)):
                continue
            rel, _, tune = source.partition(" (tune ")

            def write():
                parsed = music21.converter.parse(music21.corpus.getWork(rel))
                score = parsed.scores[int(tune[:-1])] if tune else parsed
                write_piano_arrangement(score, target)

            if not write_kept(write, target):
                continue
        written[twin] = source + " (piano arrangement)"


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
        tunes = {f"{base}_{i}.mid" for i in range(TUNES_PER_OPUS)}
        done = sorted(f for f in os.listdir(out_dir) if f == base + ".mid" or f in tunes)
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
            if not write_kept(lambda: score.write("midi", fp=target), target):
                continue
            written[stem + ".mid"] = rel + (f" (tune {suffix})" if suffix else "")
            taken[collection] = taken.get(collection, 0) + 1
    add_piano_arrangements(out_dir, written)
    json.dump({"music21": music21.__version__, "files": written}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
