#!/usr/bin/env bash
# GPU check: build ember on a GPU machine, run the CUDA tests and the GPU benchmark.
#
# Expects Python 3.12 with CuPy, torch, pytest and numpy, but not cffi: the cffi and
# pycparser wheels come from shared/wheels/cp312 (EMBER_WHEELS overrides), installed with
# --no-index. Prints one short summary table last. Budget: well under 10 minutes
# (tests ~4 min at most, benchmark ~4 min at most; each under its own timeout).
#
#   bash scripts/gpu_check.sh                              # full benchmark
#   QUICK=1 bash scripts/gpu_check.sh                      # smaller benchmark shapes
#   EMBER_WHEELS=wheels/cp312 bash scripts/gpu_check.sh    # wheels carried into the tree
# Logs (build, tests, bench, bench.tsv) go to $OUT (a temporary folder when unset).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
PY=${PYTHON:-python3}

WHEELS=${EMBER_WHEELS:-}
for cand in "$ROOT/shared/wheels/cp312" "$ROOT/../shared/wheels/cp312"; do
    [ -z "$WHEELS" ] && [ -d "$cand" ] && WHEELS=$cand
done

echo "== environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c "import sys, numpy, cupy, torch; print(sys.version.split()[0], 'numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__)"

echo "== install (wheels from ${WHEELS:-<none>})"
if ! $PY -c "import cffi" 2>/dev/null; then
    if [ -z "$WHEELS" ]; then echo "no cffi and no wheel folder"; exit 2; fi
    mkdir -p "$OUT/wheels" && cp "$WHEELS"/*.whl "$OUT/wheels/"
    $PY -m pip install -q --no-index "$OUT"/wheels/*.whl || exit 2
fi
$PY -m pip install -q --no-build-isolation --no-deps -e ./core > "$OUT/build.log" 2>&1 \
    || { tail -30 "$OUT/build.log"; exit 2; }
$PY -c "import ember; assert ember.cuda.is_available(), 'ember sees no GPU'; print('ember on', ember.cuda.get_device_name())" || exit 2

echo "== tests"
# the CUDA test files plus every device-parametrized test's [cuda] case
timeout 300 $PY -m pytest tests/core -q -m "not oracle" -k "cuda or gpu" -p no:cacheprovider \
    --durations=5 > "$OUT/tests.log" 2>&1
TEST_RC=$?
tail -40 "$OUT/tests.log"
TEST_LINE=$(grep -E "passed|failed|error" "$OUT/tests.log" | tail -1)

echo "== benchmark"
BENCH_ARGS=(--out "$OUT/bench.tsv")
[ -n "${QUICK:-}" ] && BENCH_ARGS+=(--quick)
timeout 270 $PY bench/gpu.py "${BENCH_ARGS[@]}" > "$OUT/bench.log" 2>&1
BENCH_RC=$?
cat "$OUT/bench.log" | tail -40

echo
echo "== summary"
printf "%-44s %s\n" "tests (rc $TEST_RC)" "${TEST_LINE:-no result}"
printf "%-44s %s\n" "benchmark (rc $BENCH_RC)" "ratio = torch_time / ember_time"
if [ -f "$OUT/bench.tsv" ]; then
    awk -F'\t' '{ printf "  %-42s %9.3f ms %9.3f ms %6.2f\n", $1, $2 * 1e3, $3 * 1e3, $4 }' \
        "$OUT/bench.tsv"
fi
exit $(( TEST_RC != 0 || BENCH_RC != 0 ))
