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
# The numpy loss curve of examples/python and the workers = 4 overhead of
# Python workers come last.
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

# Python benchmarks, run by the interpreter in $PYBENCH_PYTHON (python3 by
# default; the loss curve needs numpy). With PYTHON_PYBENCH set to the
# Python pybench 0.1.0's `pybench` command (see README: its source
# install), the loss curve's rerun is timed with it too, on the same
# baseline file.
export PYBENCH_PYTHON="${PYBENCH_PYTHON:-python3}"
python_repo() {
    local dir="$scratch/$1"
    shift
    mkdir -p "$dir/benchmarks" && cp "$@" "$dir/benchmarks/" && cd "$dir"
    git init --quiet .
    "$pybench" update --yes >/dev/null
    sleep 3
    git add -A
    git -c user.email=bench@example.com -c user.name=bench commit --quiet -m baseline
    cd "$root"
}
if "$PYBENCH_PYTHON" -c "import numpy" 2>/dev/null; then
    python_repo loss examples/python/benchmarks/bench_loss_curve.py examples/python/benchmarks/train.py
    (cd "$scratch/loss" && python3 "$timeit" "numpy loss curve (30 seeds × 3 checkpoints)" "$runs" "$pybench")
    if [ -n "${PYTHON_PYBENCH:-}" ]; then
        # shellcheck disable=SC2086  # a command with its arguments
        (cd "$scratch/loss" && python3 "$timeit" "numpy loss curve, Python pybench 0.1.0" "$runs" $PYTHON_PYBENCH)
    else
        echo "numpy loss curve, Python pybench 0.1.0: not timed (set PYTHON_PYBENCH; it is not on PyPI)"
    fi
else
    echo "numpy loss curve: skipped, $PYBENCH_PYTHON has no numpy"
fi

# The workers = 4 overhead: a 0.5 s import, 12 seeds of 0.2 s each; ideal
# wall time 0.5 + ⌈12/4⌉ × 0.2 = 1.1 s (plus pybench's own start).
mkdir -p "$scratch/overhead-src"
cat >"$scratch/overhead-src/bench_sleepy.py" <<'PY'
import time

time.sleep(0.5)


def bench_sleepy(seed, *, n_seeds=12, workers=4):
    time.sleep(0.2)
    return (seed % 1000) / 1000
PY
python_repo overhead "$scratch/overhead-src/bench_sleepy.py"
(cd "$scratch/overhead" && python3 "$timeit" "workers=4 overhead (ideal 1.1 s)" "$runs" "$pybench")
