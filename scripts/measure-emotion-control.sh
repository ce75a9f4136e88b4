#!/usr/bin/env bash
# How well a model's melodies carry the emotion asked for (issue 39): N seeds per emotion from
# `emopiano generate` (the shipped default model, or --run DIR), then per emotion the share of
# major keys, the median notes/s and mean pitch (Krumhansl-Schmuckler key and cues of
# `emopiano classify --explain`), and the classifier's confusion matrix (asked for × heard as).
#
#   scripts/measure-emotion-control.sh [--run DIR] [--seeds N] [--out DIR] [-- generate flags…]
#
# Uses target/debug/emopiano (build it with `cargo build --workspace`), or $EMOPIANO.
set -euo pipefail
cd "$(dirname "$0")/.."
emopiano="${EMOPIANO:-target/debug/emopiano}"
run=() seeds=32 out=target/emotion-control extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --run) run=(--run "$2"); shift 2 ;;
        --seeds) seeds="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "unknown argument $1 (--run DIR, --seeds N, --out DIR, -- flags)" >&2; exit 2 ;;
    esac
done
emotions="happy peaceful sad scary"
mkdir -p "$out"
for e in $emotions; do
    for k in $(seq 1 "$seeds"); do
        f="$out/$e-$k.mid"
        [ -s "$f" ] || "$emopiano" generate "${run[@]}" "${extra[@]}" --emotion "$e" --seed "$k" \
            --out "$f" > /dev/null 2>&1
    done
done
# Two lines per file: "<dir>/<asked>-<seed>.mid: happy 0.1, … → <heard>", then
# "  cues: D major (fit 0.74), 3.79 notes/s, mean pitch 68.1 (G#4)".
"$emopiano" classify --explain "$out"/*.mid | awk -v emotions="$emotions" '
    / → / { n = split($1, path, "/"); split(path[n], name, "-"); asked = name[1]; heard = $NF
            count[asked, heard]++; total[heard]++; all++; next }
    /cues:/ { files[asked]++; if ($3 == "major") major[asked]++
              for (i = 1; i <= NF; i++) {
                  if ($i == "notes/s,") rates[asked, files[asked]] = $(i - 1)
                  if ($i == "pitch") pitch[asked] += $(i + 1)
              } }
    function median(e,    m, i, j, t, v) {
        m = files[e]
        for (i = 1; i <= m; i++) v[i] = rates[e, i] + 0
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    END {
        k = split(emotions, e, " ")
        printf "| emotion | melodies | major | median notes/s | mean pitch |\n|---|---:|---:|---:|---:|\n"
        for (i = 1; i <= k; i++)
            printf "| %s | %d | %d/%d | %.2f | %.1f |\n", e[i], files[e[i]], major[e[i]], files[e[i]], median(e[i]), pitch[e[i]] / files[e[i]]
        printf "\n| asked \\ heard |"; for (j = 1; j <= k; j++) printf " %s |", e[j]
        printf "\n|---|"; for (j = 1; j <= k; j++) printf "---:|"; printf "\n"
        right = 0
        for (i = 1; i <= k; i++) {
            printf "| %s |", e[i]
            for (j = 1; j <= k; j++) printf " %d |", count[e[i], e[j]]
            printf "\n"; right += count[e[i], e[i]]
        }
        printf "recognised %d of %d (%.2f)\n", right, all, right / all
    }'
