#!/usr/bin/env bash
# Developer build (not used by CI): the Python extension into python/trustmix, so that
# `PYTHONPATH=python python -m pytest tests/python/...` tests the working tree, and the
# C++ tests into build/dev. Uses ccache when it is installed. -Werror as in CI.
# Usage: bash scripts/dev-build.sh [target ...]      (default: all targets)
#   PYTHON=/path/to/python  the interpreter to build against (default: .venv/bin/python)
#   TRUSTMIX_JOBS=N         parallel jobs (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || { echo "no Python at $PY: run scripts/install.sh or set PYTHON" >&2; exit 1; }
"$PY" -c "import pybind11" 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check "pybind11>=2.13"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}  # paths relative to the checkout: worktrees share hits
fi
if [ ! -f build/dev/build.ninja ]; then
  cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRUSTMIX_WERROR=ON \
        -DTRUSTMIX_PYTHON=ON -DPython_EXECUTABLE="$("$PY" -c 'import sys; print(sys.executable)')" \
        -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" "${launcher[@]}" >/dev/null
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build/dev -j "${TRUSTMIX_JOBS:-2}" "${targets[@]}"
