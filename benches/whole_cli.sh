#!/usr/bin/env bash
# The whole-CLI timings of the README's Performance section, rerunnable by
# anyone: builds pybench and the benchmarks, stores a baseline in a scratch
# git repository, then times unchanged reruns (`pybench LIB`, a check against
# the stored baseline) with wall time and peak RSS per run.
#
#   benches/whole_cli.sh [RUNS]      (default 20 runs per case)
#   PYBENCH_BIN=/path/to/pybench benches/whole_cli.sh   (time another build)
#
# Cases: the synthetic example (examples/synthetic, 30 seeds), and a C
# benchmark serving a stored 100 seeds × 1000 slots table
# (benches/fixtures/table.c, read once per process).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-20}"
cd "$root"
if [ -z "${PYBENCH_BIN:-}" ]; then
    cargo build --release --quiet --bin pybench -p pybench-cli -p synthetic
fi
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
pybench="${PYBENCH_BIN:-$target/release/pybench}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cp "$target/release/libsynthetic.so" "$scratch/libsynthetic.so"
cc -O2 -shared -fPIC -I src/authoring/include -o "$scratch/libtable.so" \
    benches/fixtures/table.c -lpthread
python3 benches/fixtures/make_table.py "$scratch/table.txt" 100 1000
export PYBENCH_TABLE="$scratch/table.txt"
export PYBENCH_SEED_ENTROPY=1

cd "$scratch"
git init --quiet .
git -c user.email=b@b -c user.name=bench commit --quiet --allow-empty -m init
for lib in libsynthetic.so libtable.so; do
    "$pybench" update --yes "./$lib" >/dev/null
done
git add -A && git -c user.email=b@b -c user.name=bench commit --quiet -m baselines

timeit="$root/benches/fixtures/timeit.py"
python3 "$timeit" "synthetic (30 seeds)" "$runs" "$pybench" ./libsynthetic.so
python3 "$timeit" "table (100 seeds × 1000)" "$runs" "$pybench" ./libtable.so
