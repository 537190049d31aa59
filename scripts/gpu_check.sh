#!/usr/bin/env bash
# GPU check: build ember on a GPU machine, run the CUDA tests and the GPU benchmark.
#
# Expects Python 3.12 with CuPy, torch, pytest and numpy, but not cffi: the wheels it
# lacks (cffi, pycparser) come from a local folder, installed with --no-index: wheels/cp312 in the checkout (a
# git-ignored copy of shared/wheels/cp312 plus anything added), else shared/wheels/cp312
# beside it; EMBER_WHEELS overrides. Prints one short summary table last, well under 10
# minutes in all (build ~1 min, tests and benchmark each under their own timeout).
#
#   bash scripts/gpu_check.sh              # tests + full benchmark
#   QUICK=1 bash scripts/gpu_check.sh      # smaller benchmark shapes
#   TESTS=0 bash scripts/gpu_check.sh      # benchmark only
#   PREBUILT=1 bash scripts/gpu_check.sh   # use core/ and audio/'s _C.abi3.so as they are
#   PROFILE=0 bash scripts/gpu_check.sh    # skip bench/gpu_profile.py's breakdown
# Logs (build, tests, bench, bench.tsv, profile) go to $OUT (a temporary folder when unset).
# CuPy's compiled kernels are kept in .cupy_cache/ (git-ignored) so a rerun skips NVRTC.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 CUPY_CACHE_DIR=$ROOT/.cupy_cache

WHEELS=${EMBER_WHEELS:-}
for cand in "$ROOT/wheels/cp312" "$ROOT/shared/wheels/cp312" "$ROOT/../shared/wheels/cp312"; do
    [ -z "$WHEELS" ] && [ -d "$cand" ] && WHEELS=$cand
done

echo "== environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c "import sys, numpy, cupy, torch; print(sys.version.split()[0], 'numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__)"

echo "== install (wheels from ${WHEELS:-<none>})"
if ! $PY -c "import cffi" 2>/dev/null; then
    if [ -z "$WHEELS" ]; then echo "no cffi and no wheel folder"; exit 2; fi
    $PY -m pip install -q --no-index --no-deps "$WHEELS"/*.whl || exit 2
fi
T0=$(date +%s)
if [ -n "${PREBUILT:-}" ]; then
    # the extensions were built elsewhere (x86-64, abi3) and carried in the tree: the ~4
    # minutes of compiling on the GPU machine go to the tests instead
    export PYTHONPATH=$ROOT/core/src:$ROOT/audio/src${PYTHONPATH:+:$PYTHONPATH}
    AUDIO_BUILT=0
else
    # emberaudio (its lfilter has a CUDA kernel) builds beside the core; its tests run if it built
    $PY -m pip install -q --no-build-isolation --no-deps -e ./audio > "$OUT/build_audio.log" 2>&1 &
    AUDIO_BUILD=$!
    $PY -m pip install -q --no-build-isolation --no-deps -e ./core > "$OUT/build.log" 2>&1 \
        || { tail -30 "$OUT/build.log"; exit 2; }
    wait $AUDIO_BUILD; AUDIO_BUILT=$?
    echo "built in $(( $(date +%s) - T0 )) s (emberaudio rc $AUDIO_BUILT)"
fi
$PY -c "import ember; assert ember.cuda.is_available(), 'ember sees no GPU'; print('ember on', ember.cuda.get_device_name(), 'cudnn', ember.backends.cudnn.version())" || exit 2

TEST_RC=skipped TEST_LINE= AUDIO_RC=skipped AUDIO_LINE=
if [ "${TESTS:-1}" != 0 ]; then
    echo "== tests"
    # the CUDA test files plus every device-parametrized test's [cuda] case (the host
    # emulator stands in for CuPy: not here, where the real one runs)
    XDIST=()
    $PY -c "import xdist" 2>/dev/null && XDIST=(-n 12)
    T0=$(date +%s)
    # SIGINT at the limit: pytest still prints the failures it has seen so far
    timeout -s INT -k 30 "${TEST_TIMEOUT:-300}" $PY -m pytest tests/core -q -m "not slow" \
        -k "(cuda or gpu) and not on_host" -p no:cacheprovider "${XDIST[@]}" --tb=short -rfEs \
        > "$OUT/tests.log" 2>&1
    TEST_RC=$?
    echo "tests took $(( $(date +%s) - T0 )) s"
    grep -E "^(FAILED|ERROR|SKIPPED) " "$OUT/tests.log" | cut -c1-220 | head -150
    TEST_LINE=$(grep -E "passed|failed|error" "$OUT/tests.log" | tail -1)
    if [ "$AUDIO_BUILT" = 0 ]; then
        # emberaudio's lfilter kernel, and the Trainer's DDP over NCCL (pure Python)
        PYTHONPATH=$ROOT/lightning/src${PYTHONPATH:+:$PYTHONPATH} \
        timeout -s INT -k 10 "${AUDIO_TEST_TIMEOUT:-60}" $PY -m pytest tests/audio \
            tests/lightning/test_ddp.py -q -k "cuda or nccl" -p no:cacheprovider --tb=short \
            -rfE > "$OUT/tests_audio.log" 2>&1
        AUDIO_RC=$?
        grep -E "^(FAILED|ERROR|SKIPPED) " "$OUT/tests_audio.log" | cut -c1-220 | head -30
        AUDIO_LINE=$(grep -E "passed|failed|error" "$OUT/tests_audio.log" | tail -1)
    fi
fi

echo "== benchmark"
BENCH_ARGS=(--out "$OUT/bench.tsv")
[ -n "${QUICK:-}" ] && BENCH_ARGS+=(--quick)
timeout "${BENCH_TIMEOUT:-240}" $PY bench/gpu.py "${BENCH_ARGS[@]}" > "$OUT/bench.log" 2>&1
BENCH_RC=$?
grep -v "^ " "$OUT/bench.log" | head -30
if [ "${PROFILE:-1}" != 0 ]; then
    echo "== profile (kernel and host breakdown of the ResNet-18 step: $OUT/profile.log)"
    timeout "${PROFILE_TIMEOUT:-90}" $PY bench/gpu_profile.py > "$OUT/profile.log" 2>&1
    grep -A5 "^## conv2d fwd+bwd b.* policies" "$OUT/profile.log"
    grep "^## .*wall" "$OUT/profile.log"
fi
tar czf "$OUT/cupy_cache.tgz" .cupy_cache 2>/dev/null

echo
echo "== summary"
printf "%-44s %s\n" "tests (rc $TEST_RC)" "${TEST_LINE:-no result}"
printf "%-44s %s\n" "audio + lightning tests (rc $AUDIO_RC)" "${AUDIO_LINE:-no result}"
printf "%-44s %s\n" "benchmark (rc $BENCH_RC)" "ratio = torch_time / ember_time"
if [ -f "$OUT/bench.tsv" ]; then
    awk -F'\t' '{ printf "  %-42s %9.3f ms %9.3f ms %6.2f\n", $1, $2 * 1e3, $3 * 1e3, $4 }' \
        "$OUT/bench.tsv"
fi
for rc in "$TEST_RC" "$AUDIO_RC"; do [ "$rc" = 0 ] || [ "$rc" = skipped ] || exit 1; done
exit $(( BENCH_RC != 0 ))
