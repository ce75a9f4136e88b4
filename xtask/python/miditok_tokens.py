"""REMI and TSD tokens with MidiTok 3.1.0 (the reference emopiano's REMI/TSD are checked against).

Usage:
    python miditok_tokens.py FILE.mid...
        -> JSON {"miditok": version, "symusic": version, "vocab": {"remi": [...], "tsd": [...]},
                 "files": {path: {"remi": tokens, "tsd": tokens,
                                  "remi_notes": [[time, duration, pitch, velocity], ...],
                                  "tsd_notes": [...]} | {"error": msg}}}

A file is one piano stream: drum tracks are dropped and every other track is merged into one
(`miditok.utils.merge_tracks`) before tokenizing. Decoded notes are in ticks at 8 per quarter.
"""
import importlib.metadata
import json
import sys
import warnings

import symusic
from miditok import REMI, TSD, TokenizerConfig
from miditok.utils import merge_tracks

warnings.filterwarnings("ignore")

# miditok's defaults, written out so a new miditok default cannot change them, and the settings
# that make a file one stream of notes with nothing else.
CONFIG = dict(
    pitch_range=(21, 109),
    beat_res={(0, 4): 8, (4, 12): 4},
    num_velocities=32,
    special_tokens=["PAD", "BOS", "EOS", "MASK"],
    use_velocities=True,
    use_chords=False,
    use_rests=False,
    use_tempos=False,
    use_time_signatures=False,
    use_programs=False,
    use_pitchdrum_tokens=False,
    use_sustain_pedals=False,
    use_pitch_bends=False,
    use_control_changes=False,
    use_key_signatures=False,
    remove_duplicated_notes=False,
)


def piano_score(path):
    score = symusic.Score(path)
    score.tracks = [t for t in score.tracks if not t.is_drum]
    if len(score.tracks) > 0:
        merge_tracks(score)
    return score


def encode_decode(tokenizer, score):
    seqs = tokenizer.encode(score)
    tokens = [t for s in seqs for t in s.tokens]
    notes = []
    if tokens:
        decoded = tokenizer.decode(seqs)
        notes = [[n.time, n.duration, n.pitch, n.velocity] for t in decoded.tracks for n in t.notes]
    return tokens, notes


def main(argv):
    tokenizers = {"remi": REMI(TokenizerConfig(**CONFIG)), "tsd": TSD(TokenizerConfig(**CONFIG))}
    result = {
        "miditok": importlib.metadata.version("miditok"),
        "symusic": importlib.metadata.version("symusic"),
        "vocab": {name: list(t.vocab.keys()) for name, t in tokenizers.items()},
        "files": {},
    }
    for path in argv:
        try:
            score = piano_score(path)
            entry = {}
            for name, tokenizer in tokenizers.items():
                entry[name], entry[name + "_notes"] = encode_decode(tokenizer, score)
        except Exception as e:  # noqa: BLE001 - the error is the golden value
            entry = {"error": f"{type(e).__name__}: {e}"}
        result["files"][path] = entry
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
