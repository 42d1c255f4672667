#!/usr/bin/env bash
# The Python bad-input suites on an instrumented _core (reliability, issue 14); a step of
# scripts/test.sh, and runnable on its own:  bash scripts/sanitize-python.sh
#   _core is built a second time with -O1 -g0 -fsanitize=address,undefined in
#   build/sanitize-py (ninja and, where installed, ccache rebuild only what changed, so a
#   second run is quick), copied beside the pure-Python package into build/sanitize-py/pkg,
#   and the bad-input, reliability (fuzzed saved states, refusals, warnings) and property
#   suites run against it with the sanitizer runtimes preloaded into the (uninstrumented)
#   interpreter. Leak checks are off (CPython keeps objects until exit). The Ctrl-C timing
#   tests are left to the plain run (their one-second bound is for optimised code). Any
#   sanitizer report or failing test makes this script fail.
#   PYTHON=/path/to/python  the interpreter (default: .venv/bin/python)
#   TRUSTMIX_JOBS=N         parallel compile jobs (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PY=${PYTHON:-$root/.venv/bin/python}
[ -x "$PY" ] || { echo "no Python at $PY: run scripts/install.sh or set PYTHON" >&2; exit 1; }
start=$SECONDS
"$PY" -c "import pybind11" 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check "pybind11>=2.13"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
fi
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B build/sanitize-py -G Ninja -DCMAKE_BUILD_TYPE=None -DTRUSTMIX_PYTHON=ON -DSKBUILD=ON \
      -DTRUSTMIX_BUILD_TESTS=OFF -DTRUSTMIX_INSTALL=OFF -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF \
      -DCMAKE_CXX_FLAGS="-O1 -g0 $san" -DCMAKE_SHARED_LINKER_FLAGS="$san" -DCMAKE_MODULE_LINKER_FLAGS="$san" \
      -DPython_EXECUTABLE="$("$PY" -c 'import sys; print(sys.executable)')" \
      -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" "${launcher[@]}" >/dev/null
cmake --build build/sanitize-py -j "${TRUSTMIX_JOBS:-2}" --target _core
rm -rf build/sanitize-py/pkg && mkdir -p build/sanitize-py/pkg
cp -r python/trustmix build/sanitize-py/pkg/
find build/sanitize-py/pkg/trustmix -name '_core*.so' -delete
find build/sanitize-py/pkg/trustmix -name '__pycache__' -prune -exec rm -rf {} +
cp build/sanitize-py/_core*.so build/sanitize-py/pkg/trustmix/
echo "instrumented _core ready after $((SECONDS - start)) s"
env_=(PYTHONPATH="$root/build/sanitize-py/pkg"
      LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
      ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
# the tests must import the instrumented module, not an installed wheel's
env "${env_[@]}" "$PY" -c "import sys, trustmix._core as c; assert c.__file__.startswith(sys.argv[1]), c.__file__" \
    "$root/build/sanitize-py/pkg/trustmix/"
env "${env_[@]}" "$PY" -m pytest -q -p no:cacheprovider -k "not ctrl_c" \
    tests/python/test_reliability_inputs.py tests/python/test_reliability.py tests/python/test_properties.py
echo "sanitized Python suites passed; the step took $((SECONDS - start)) s"
