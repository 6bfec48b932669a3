#!/usr/bin/env bash
# The whole-CLI timings of the README's Performance section, rerunnable by
# anyone: builds pybench and the benchmarks, stores a baseline in a scratch
# git repository per case, then times unchanged reruns (`pybench LIB`: a
# check against the stored baseline) — wall time, CPU time and peak RSS.
#
#   benches/whole_cli.sh [RUNS]                          (default 20 runs)
#   PYBENCH_BIN=/path/to/pybench benches/whole_cli.sh    (time another build)
#
# Cases: the synthetic example (examples/synthetic, 30 seeds); a C
# benchmark serving a stored 100 seeds × 1000 slots table
# (benches/fixtures/table.c, the table read once per process), rerun on
# the same table (paired differences all 0, as a deterministic benchmark's)
# and on a noisy one (current = baseline + N(0, 0.1) per seed and slot, as
# real benchmarks' differ); and `pybench show --sensitivity` on 1000
# one-slot baselines and on one 300-slot baseline.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-20}"
cd "$root"
if [ -z "${PYBENCH_BIN:-}" ]; then
    cargo build --release --quiet --bin pybench -p pybench-cli -p synthetic
fi
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
pybench="${PYBENCH_BIN:-$target/release/pybench}"
timeit="$root/benches/fixtures/timeit.py"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export PYBENCH_SEED_ENTROPY=1 PYBENCH_TABLE="$scratch/table.txt"
python3 benches/fixtures/make_table.py "$PYBENCH_TABLE" 100 1000

# A git repository holding LIB and its committed baseline.
repo_with() {
    local dir="$scratch/$1" lib="$2"
    mkdir -p "$dir" && cp "$lib" "$dir/" && cd "$dir"
    git init --quiet .
    "$pybench" update --yes "./$(basename "$lib")" >/dev/null
    # As in a real checkout, the files are older than git's index (no
    # "racily clean" entries to hash) and than the library hash cache's
    # settling time.
    sleep 3
    git add -A
    git -c user.email=bench@example.com -c user.name=bench commit --quiet -m baseline
    cd "$root"
}

repo_with synthetic "$target/release/libsynthetic.so"
cc -O2 -shared -fPIC -I src/authoring/include -o "$scratch/libtable.so" \
    benches/fixtures/table.c -lpthread
repo_with table "$scratch/libtable.so"
noisy="$scratch/noisy.txt"
python3 benches/fixtures/make_table.py "$noisy" 100 1000 --noise 0.1 \
    --seeds "$scratch/table/.pybench/baselines.jsonl"
# `show --sensitivity` stores: 1000 one-slot baselines (one stored, then
# copied with sds 0.1× to 5× its own) and one 300-slot baseline.
for shape in one:1 wide:300; do
    PYBENCH_TABLE="$scratch/${shape%:*}.txt" && export PYBENCH_TABLE
    python3 benches/fixtures/make_table.py "$PYBENCH_TABLE" 100 "${shape#*:}"
    repo_with "${shape%:*}" "$scratch/libtable.so"
done
python3 benches/fixtures/many_baselines.py "$scratch/one/.pybench/baselines.jsonl" 1000
PYBENCH_TABLE="$scratch/table.txt"

(cd "$scratch/synthetic" && python3 "$timeit" "synthetic (30 seeds)" "$runs" "$pybench" ./libsynthetic.so)
(cd "$scratch/table" && python3 "$timeit" "table 100 × 1000, zero-variance" "$runs" "$pybench" ./libtable.so)
(cd "$scratch/table" && PYBENCH_TABLE="$noisy" python3 "$timeit" "table 100 × 1000, noisy" "$runs" "$pybench" ./libtable.so)
(cd "$scratch/one" && python3 "$timeit" "show --sensitivity, 1000 × 1 slot" "$runs" "$pybench" show --sensitivity)
(cd "$scratch/wide" && python3 "$timeit" "show --sensitivity, 1 × 300 slots" "$runs" "$pybench" show --sensitivity)
