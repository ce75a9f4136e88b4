"""Transcribe wav files with Spotify's basic-pitch; print JSON to stdout.

Usage: python basic_pitch_notes.py A.wav B.wav ...
Output: {"load_seconds": s, "clips": {"A.wav": {"seconds": s, "notes": [[onset, offset, pitch, velocity], ...]}}}
The model is loaded and warmed up on the first file once; "seconds" is each file's inference
time only.
"""
import json
import sys
import time

# basic-pitch prints progress on stdout: keep stdout for the JSON alone.
out = sys.stdout
sys.stdout = sys.stderr
t0 = time.perf_counter()
from basic_pitch import ICASSP_2022_MODEL_PATH  # noqa: E402
from basic_pitch.inference import Model, predict  # noqa: E402

model = Model(ICASSP_2022_MODEL_PATH)
# The first prediction builds TensorFlow's graph (about 15 s): part of loading, not of any clip.
if len(sys.argv) > 1:
    predict(sys.argv[1], model)
load_seconds = time.perf_counter() - t0
clips = {}
for path in sys.argv[1:]:
    t = time.perf_counter()
    _, _, events = predict(path, model)
    clips[path] = {
        "seconds": time.perf_counter() - t,
        "notes": [
            [float(s), float(e), int(p), max(1, min(127, int(round(a * 127))))]
            for (s, e, p, a, *_rest) in events
        ],
    }
json.dump({"load_seconds": load_seconds, "clips": clips}, out)
