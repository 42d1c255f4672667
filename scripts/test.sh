#!/usr/bin/env bash
# README command 2: every test. Installs what it needs first (idempotent), then
#   1. builds the sdist and a wheel from it (python -m build) and installs the wheel;
#   2. builds and runs the C++ tests with -Werror (CTest), and the reliability tests
#      again under AddressSanitizer and UndefinedBehaviorSanitizer;
#   3. installs the CMake package and builds/runs the consumer project against it;
#   4. runs the Python tests and executes every notebook (pytest + nbmake);
#   5. installs the wheel into a fresh venv and runs a smoke test there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
VENV=${TRUSTMIX_VENV:-.venv}
PY="$root/$VENV/bin/python"
jobs=${TRUSTMIX_JOBS:-2}
# pip on some machines warns about configured package folders that do not exist; keep
# the log readable without hiding pip's exit status.
quiet_pip() { { "$@" 2>&1; } | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
step() { printf '\n==> %s\n' "$*"; }

step "install prerequisites"
bash scripts/install.sh --no-package
quiet_pip "$PY" -m pip install -q --disable-pip-version-check build "cmake>=3.24" ninja
export PATH="$root/$VENV/bin:$PATH"

# ---- lint gate (issue 19) ----------------------------------------------------------------
step "lint (ruff check, ruff format --check)"
# pyproject.toml's [tool.ruff]: pycodestyle, pyflakes, isort, pyupgrade and bugbear over the
# package, the Python tests and the benchmarks. First, so that a finding fails in seconds.
quiet_pip "$PY" -m pip install -q --disable-pip-version-check "ruff>=0.17,<0.18"
"$PY" -m ruff check python/trustmix tests/python benchmarks
# and the formatter's check (ruff format, [tool.ruff] line length 120): `ruff format
# python/trustmix tests/python benchmarks` rewrites what it reports.
"$PY" -m ruff format --check python/trustmix tests/python benchmarks
# and the C++ sources' layout: .clang-format with a clang-format pinned from PyPI; `bash
# scripts/format_cpp.sh` rewrites what it reports. A few seconds.
bash scripts/check_cpp_format.sh
# ------------------------------------------------------------------------------------------

# ---- clang-tidy gate (issue 19) ----------------------------------------------------------
step "clang-tidy on the headers (one unit per area of include/trustmix)"
# scripts/check_cpp_tidy.sh: .clang-tidy's checks with a clang-tidy pinned from PyPI
# (installed into the venv when missing), one translation unit per area, $jobs areas at a
# time; any finding not listed in scripts/tidy_exclusions.txt fails the test command. Here,
# before the builds, so that a finding fails in about a minute (CPU about 75 s in all).
PYTHON="$PY" TRUSTMIX_JOBS="$jobs" bash scripts/check_cpp_tidy.sh
# ------------------------------------------------------------------------------------------

step "build sdist and wheel"
rm -rf dist
"$PY" -m build --outdir dist . >build-wheel.log 2>&1 || { tail -50 build-wheel.log; exit 1; }
wheel=$(ls dist/trustmix-*.whl)
echo "built $wheel"
quiet_pip "$PY" -m pip install -q --disable-pip-version-check "${wheel}[all,spark]"
quiet_pip "$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"

# ---- type gates (issue 19) ---------------------------------------------------------------
step "types (stubtest: trustmix._core against its stubs; mypy --strict on python/trustmix)"
# python/trustmix/_core/*.pyi type the compiled module, one stub per submodule. stubtest
# imports the module of the wheel just installed and checks that every function, class,
# method, property and attribute exists on both sides with the same kind
# (tests/stubtest_allowlist.txt: only what it cannot judge, with reasons). It needs the
# compiled module, hence here rather than next to ruff. Then mypy checks python/trustmix
# strictly ([tool.mypy] in pyproject.toml; its cache in build/mypy-cache).
quiet_pip "$PY" -m pip install -q --disable-pip-version-check "mypy>=2.4,<2.5" "pandas-stubs>=3.1,<3.2" "types-tqdm>=4.70"
types_t0=$SECONDS
"$PY" -m mypy.stubtest trustmix._core --allowlist tests/stubtest_allowlist.txt
"$PY" -m mypy
echo "type gates passed in $((SECONDS - types_t0)) s"
# ------------------------------------------------------------------------------------------

step "C++ tests (CTest, -Werror)"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRUSTMIX_WERROR=ON \
      -DCMAKE_INSTALL_PREFIX="$root/build/ci-install" >/dev/null
cmake --build build/ci -j "$jobs"
ctest --test-dir build/ci --output-on-failure -j "$jobs"

# ---- sanitizers (reliability, issue 14) -------------------------------------------------
step "C++ tests under AddressSanitizer and UndefinedBehaviorSanitizer"
# A separate small build (-O1) of the tests that feed untrusted input to the core (fuzzed
# saved states, bad inputs, up-front size checks, KPIs, domain); any report fails the step.
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=None -DTRUSTMIX_WERROR=ON \
      -DCMAKE_CXX_FLAGS="-O1 -g $san" -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
sanitized_tests=(test_reliability test_kpi test_core_domain)
cmake --build build/sanitize -j "$jobs" --target "${sanitized_tests[@]}"
for t in "${sanitized_tests[@]}"; do
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build/sanitize/tests/cpp/$t" --log_level=warning
done
# ------------------------------------------------------------------------------------------

# ---- the Python bad-input suites on an instrumented _core (reliability, issue 14) ---------
step "Python bad-input suites on _core under AddressSanitizer and UndefinedBehaviorSanitizer"
# scripts/sanitize-python.sh: _core built again with -O1 -g0 -fsanitize=address,undefined
# (build/sanitize-py), the bad-input, reliability and property suites run on it; any
# report or failure fails the test command. TRUSTMIX_SKIP_SANITIZED_PYTHON=1 skips it.
if [ "${TRUSTMIX_SKIP_SANITIZED_PYTHON:-0}" != 1 ]; then
  PYTHON="$PY" TRUSTMIX_JOBS="$jobs" bash scripts/sanitize-python.sh
fi
# ------------------------------------------------------------------------------------------

step "CMake package and consumer project"
cmake --install build/ci >/dev/null
version=$("$PY" -c "import trustmix; print(trustmix.__version__)")
cmake -S tests/consumer -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$root/build/ci-install" \
      -DTRUSTMIX_EXPECTED_VERSION="$version" >/dev/null
cmake --build build/consumer
./build/consumer/trustmix_consumer

step "Python tests and notebooks (pytest)"
# The notebooks run once, as copies in build/gallery/: nbmake --overwrite stores their
# outputs (tables, plots) in the copies, and the documentation site's gallery shows them
# (docs/conf.py, _gallery_source); notebooks/ itself stays as committed.
rm -rf build/gallery && mkdir -p build/gallery && cp notebooks/*.ipynb build/gallery/
(cd "$root" && "$PY" -m pytest -q -p no:cacheprovider tests/python --nbmake build/gallery --overwrite)

step "wheel smoke test in a fresh virtual environment"
smoke=$(mktemp -d)
"$(command -v python3)" -m venv "$smoke/venv"
quiet_pip "$smoke/venv/bin/python" -m pip install -q --disable-pip-version-check "${wheel}[plot]"
(cd "$smoke" && "$smoke/venv/bin/python" "$root/tests/smoke.py" "$version" && \
   "$smoke/venv/bin/python" -m trustmix demo --output "$smoke/out" >/dev/null && ls "$smoke/out"/*.png >/dev/null)
rm -rf "$smoke"
echo "wheel smoke test passed"

# ---- pip-only install (issue 19) ---------------------------------------------------------
step "pip-only install: the sdist without the system's Eigen, Boost and LBFGS++"
# The sdist is unpacked and pip-installed with TRUSTMIX_SYSTEM_DEPS=OFF: Eigen and LBFGS++
# come from its third_party/, Boost from PyPI's boost-headers (a build requirement). The
# build requirements are pip-installed from pyproject.toml into a venv kept between runs
# (build/pip-only-venv) and the build runs there without isolation, in fixed folders, so
# that ccache hits on later runs (an isolated build gets new /tmp paths each time). The
# seeded results of tests/pip_only_numbers.py must equal those of the wheel built against
# the system's copies (step 1).
pip_t0=$SECONDS
pipdir="$root/build/pip-only"
pipvenv="$root/build/pip-only-venv"
rm -rf "$pipdir" && mkdir -p "$pipdir/src"
tar -xzf "$(ls dist/trustmix-*.tar.gz)" -C "$pipdir/src" --strip-components=1
[ -x "$pipvenv/bin/python" ] || "$(command -v python3)" -m venv "$pipvenv"
mapfile -t build_requires < <("$PY" -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires']))")
quiet_pip "$pipvenv/bin/python" -m pip install -q --disable-pip-version-check "${build_requires[@]}" "cmake>=3.24" ninja
quiet_pip "$pipvenv/bin/python" -m pip uninstall -q -y trustmix
pip_launcher=()
if command -v ccache >/dev/null 2>&1; then
  pip_launcher=(-Ccmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
CCACHE_BASEDIR="$root/build" CMAKE_BUILD_PARALLEL_LEVEL="$jobs" timeout 2400 \
  "$pipvenv/bin/python" -m pip install -v --disable-pip-version-check --no-build-isolation \
  "$pipdir/src" -Ccmake.define.TRUSTMIX_SYSTEM_DEPS=OFF -Cbuild-dir="$pipdir/build" "${pip_launcher[@]}" \
  >"$pipdir/install.log" 2>&1 || { tail -60 "$pipdir/install.log"; exit 1; }
for used in "Eigen 3.4 from third_party/eigen3" "Boost headers from PyPI's boost-headers" "LBFGS++ from third_party/lbfgspp"; do
  grep -q "trustmix: $used" "$pipdir/install.log" || { echo "pip-only build did not use: $used"; exit 1; }
done
(cd "$pipdir" && "$pipvenv/bin/python" "$root/tests/smoke.py" "$version")
ref_digest=$(cd "$pipdir" && "$PY" "$root/tests/pip_only_numbers.py" | tail -1)
pip_digest=$(cd "$pipdir" && "$pipvenv/bin/python" "$root/tests/pip_only_numbers.py" | tail -1)
[ "$ref_digest" = "$pip_digest" ] || { echo "pip-only build gives other numbers: $pip_digest vs $ref_digest"; exit 1; }
# NLopt (the planner, issue 15): without the system's (TRUSTMIX_SYSTEM_DEPS=OFF disables its
# find_package), NLopt's C sources in third_party/nlopt are compiled into _core; no libnlopt
# may be linked, and plans with SLSQP, AUGLAG + L-BFGS and MMA (tests/pip_only_plan.py)
# must equal the system build's to 1e-6 of the largest cell (NLopt 2.6.2 in third_party
# against Debian's 2.7.1: the same optimum within the solvers' tolerances, not the same bits).
grep -q "trustmix: NLopt 2.6.2 from third_party/nlopt" "$pipdir/install.log" || { echo "pip-only build did not use: NLopt from third_party/nlopt"; exit 1; }
pip_core=$(cd "$pipdir" && "$pipvenv/bin/python" -c "import trustmix._core as c; print(c.__file__)")
if readelf -d "$pip_core" | grep -qi nlopt; then echo "pip-only _core links a system NLopt:"; readelf -d "$pip_core" | grep -i nlopt; exit 1; fi
(cd "$pipdir" && "$PY" "$root/tests/pip_only_plan.py" "$pipdir/plan_system.npz" && \
   "$pipvenv/bin/python" "$root/tests/pip_only_plan.py" "$pipdir/plan_pip.npz")
"$PY" - "$pipdir/plan_system.npz" "$pipdir/plan_pip.npz" <<'PYEOF'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
for k in a.files:
    err = float(np.abs(a[k] - b[k]).max() / np.abs(a[k]).max())
    print(f"pip-only plan ({k}): largest difference {err:.1e} of the largest cell")
    if not err <= 1e-6:
        sys.exit(f"pip-only build plans differently ({k}): {err:.1e}")
PYEOF
echo "pip-only install passed ($pip_digest) in $((SECONDS - pip_t0)) s"

# ---- documentation site (issue 19) -------------------------------------------------------
step "documentation site (Sphinx, warnings as errors)"
# docs/conf.py: the concept pages, the API reference from the installed package's
# docstrings, the notebooks as a gallery with the outputs of their run above (build/gallery;
# not executed again here). A broken reference or docstring fails the build.
quiet_pip "$PY" -m pip install -q --disable-pip-version-check "sphinx>=7" "myst-nb>=1.0" furo
docs_t0=$SECONDS
rm -rf build/docs
(cd "$root" && TRUSTMIX_DOCS_SOURCE_TREE=0 "$PY" -m sphinx -E -W --keep-going -q -b html docs build/docs)
echo "documentation built in $((SECONDS - docs_t0)) s: build/docs/index.html"
