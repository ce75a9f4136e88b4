#!/usr/bin/env bash
# How the emotion classifier hears the shipped models' melodies (issue 38): 12 seeds per emotion
# from the default conditioned model (argmax), the same with --sampling top-p, and the paper's
# LSTM2 (--model lstm2); for each set, the confusion matrix (asked for × heard as) and the
# largest share of one heard emotion.
#
#   scripts/judge-shipped-melodies.sh [--weights DIR] [--seeds N] [--out DIR]
#
# Uses target/debug/emopiano (build it with `cargo build --workspace`), or $EMOPIANO.
set -euo pipefail
cd "$(dirname "$0")/.."
emopiano="${EMOPIANO:-target/debug/emopiano}"
weights=() seeds=12 out=target/judge-melodies
while [ $# -gt 0 ]; do
    case "$1" in
        --weights) weights=(--weights "$2"); shift 2 ;;
        --seeds) seeds="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "unknown argument $1 (--weights DIR, --seeds N, --out DIR)" >&2; exit 2 ;;
    esac
done
emotions="happy peaceful sad scary"
for set in default top-p lstm2; do
    case "$set" in
        default) flags=() ;;
        top-p) flags=(--sampling top-p) ;;
        lstm2) flags=(--model lstm2) ;;
    esac
    mkdir -p "$out/$set"
    for e in $emotions; do
        for k in $(seq 1 "$seeds"); do
            f="$out/$set/$e-$k.mid"
            [ -s "$f" ] || "$emopiano" generate "${flags[@]}" --emotion "$e" --seed "$k" --out "$f" > /dev/null
        done
    done
    # "<dir>/<asked>-<seed>.mid: happy 0.1, … → <heard>"
    "$emopiano" classify "${weights[@]}" "$out/$set"/*.mid | awk -v set="$set" -v emotions="$emotions" '
        / → / { n = split($1, path, "/"); split(path[n], name, "-"); heard = $NF
                count[name[1], heard]++; total[heard]++; all++ }
        END {
            k = split(emotions, e, " ")
            printf "%s: %d melodies\n| asked \\ heard |", set, all
            for (j = 1; j <= k; j++) printf " %s |", e[j]
            printf "\n|---|"; for (j = 1; j <= k; j++) printf "---:|"; printf "\n"
            right = 0; most = 0
            for (i = 1; i <= k; i++) {
                printf "| %s |", e[i]
                for (j = 1; j <= k; j++) printf " %d |", count[e[i], e[j]]
                printf "\n"; right += count[e[i], e[i]]
                if (total[e[i]] > most) most = total[e[i]]
            }
            printf "recognised %d of %d (%.2f); largest share heard as one emotion %.2f\n\n", right, all, right / all, most / all
        }'
done
