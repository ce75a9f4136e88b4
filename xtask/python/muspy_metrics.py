"""MusPy's metrics of MIDI files, the golden values of emopiano-eval.

Usage: muspy_metrics.py FILE.mid...  -> JSON {"muspy": version, "files": {path: {metric: value}}}

Every file is read with muspy.read_midi (its default mido backend, duplicate notes first in first
out). groove_consistency takes the ticks of one measure of the earliest time signature (4/4 when
there is none), as emopiano does. NaN is written as null.
"""
import json
import math
import sys

import muspy


def measure_resolution(music):
    if music.time_signatures:
        first = min(music.time_signatures, key=lambda t: t.time)
        return music.resolution * 4 * first.numerator // first.denominator
    return music.resolution * 4


def value(x):
    x = float(x)
    return None if math.isnan(x) else x


def metrics(path):
    music = muspy.read_midi(path)
    return {
        "pitch_range": int(muspy.pitch_range(music)),
        "n_pitches_used": int(muspy.n_pitches_used(music)),
        "n_pitch_classes_used": int(muspy.n_pitch_classes_used(music)),
        "pitch_entropy": value(muspy.pitch_entropy(music)),
        "pitch_class_entropy": value(muspy.pitch_class_entropy(music)),
        "scale_consistency": value(muspy.scale_consistency(music)),
        "polyphony": value(muspy.polyphony(music)),
        "polyphony_rate": value(muspy.polyphony_rate(music)),
        "empty_beat_rate": value(muspy.empty_beat_rate(music)),
        "groove_consistency": value(
            muspy.groove_consistency(music, measure_resolution(music))
        ),
        "n_notes": sum(len(t.notes) for t in music.tracks if not t.is_drum),
    }


def main():
    files = {}
    for path in sys.argv[1:]:
        try:
            files[path] = metrics(path)
        except Exception as e:  # a file MusPy refuses is recorded, not fatal
            files[path] = {"error": f"{type(e).__name__}: {e}"}
    json.dump({"muspy": muspy.__version__, "files": files}, sys.stdout)


if __name__ == "__main__":
    main()
