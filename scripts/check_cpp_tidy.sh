#!/usr/bin/env bash
# clang-tidy over the public headers (issue 19), with the checks of .clang-tidy and a
# clang-tidy pinned from PyPI (the same binary on every machine).
#
# How: a CMake build directory (build/tidy, configured with TRUSTMIX_HEADER_CHECKS=ON and
# never built) writes one translation unit per area of include/trustmix that includes every
# header of the area, and a compile_commands.json with the project's flags. clang-tidy runs
# on each area's unit, reporting findings in that area's headers only, TRUSTMIX_JOBS units
# at a time. A finding fails the check, except those listed in scripts/tidy_exclusions.txt
# (a file and a check per line: findings still to be worked down, not silenced in the code).
# Two more units than the areas: "top", the top-level headers (include/trustmix/*.hpp: the
# umbrella trustmix.hpp and version.hpp, findings in those files only), and "src", the
# compiled runtime's sources (src/*.cpp, each with its own compile command; findings in
# src/ only, the headers it includes being their areas' business).
#
# Usage: bash scripts/check_cpp_tidy.sh [area ...]      (default: every area, top and src)
#   TRUSTMIX_JOBS=N   units checked at a time (default 2)
#   PYTHON=...        the interpreter whose environment gets clang-tidy (default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PY=${PYTHON:-$root/.venv/bin/python}
jobs=${TRUSTMIX_JOBS:-2}
clang_tidy_version=23.1.4
t0=$SECONDS

# 1. the pinned clang-tidy (idempotent: installed only when another version or none is there)
bindir=$(dirname "$PY")
if ! "$bindir/clang-tidy" --version 2>/dev/null | grep -q "version $clang_tidy_version"; then
  { "$PY" -m pip install -q --disable-pip-version-check "clang-tidy==$clang_tidy_version" 2>&1; } |
    { grep -v "is ignored: it is neither a file nor a directory" || true; }
fi
tidy="$bindir/clang-tidy"

# 2. the area units and their compile commands (configure only; a few seconds)
build=build/tidy
mkdir -p build
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRUSTMIX_BUILD_TESTS=OFF \
      -DTRUSTMIX_INSTALL=OFF -DTRUSTMIX_PYTHON=OFF -DTRUSTMIX_HEADER_CHECKS=ON >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }

areas=("$@")
if [ ${#areas[@]} = 0 ]; then
  for d in include/trustmix/*/; do areas+=("$(basename "$d")"); done
  areas+=(top src)
fi
for a in "${areas[@]}"; do
  [ "$a" = src ] || [ -f "$build/header_checks/area/$a.cpp" ] ||
    { echo "no area '$a' under include/trustmix (nor top or src)" >&2; exit 2; }
done

# 3. clang-tidy, one area per process; each writes its findings to $build/tidy-<area>.log
export root build tidy
run_area() {
  local a=$1 t=$SECONDS filter units
  case "$a" in
    top) filter="^$root/include/trustmix/[^/]+\\.hpp\$"; units=("$build/header_checks/area/top.cpp") ;;
    src) filter="^$root/src/"; units=("$root"/src/*.cpp) ;;
    *) filter="^$root/include/trustmix/$a/"; units=("$build/header_checks/area/$a.cpp") ;;
  esac
  # -Wno-error: the build's -Werror would turn a warning inside a system header into a
  # finding (clang's own warnings are the compiler's job, see .clang-tidy);
  # -Wno-unknown-warning-option: GCC-only flags of the build (-Wno-stringop-overflow).
  "$tidy" -p "$build" --quiet --header-filter="$filter" \
    --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-error \
    "${units[@]}" >"$build/tidy-$a.log" 2>&1 && echo 0 >"$build/tidy-$a.rc" ||
    echo $? >"$build/tidy-$a.rc"
  echo "  $a ($((SECONDS - t)) s)"
}
export -f run_area
echo "clang-tidy $clang_tidy_version over ${#areas[@]} areas, $jobs at a time:"
printf '%s\n' "${areas[@]}" | xargs -P "$jobs" -I{} bash -c 'run_area {}'

# 4. the findings, less the listed exclusions
"$PY" - "$build" "${areas[@]}" <<'PY'
import re
import sys
from pathlib import Path

build, areas = Path(sys.argv[1]), sys.argv[2:]
root = Path.cwd()
finding = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<kind>warning|error): (?P<text>.*) \[(?P<check>[^\]]+)\]$")
excluded: set[tuple[str, str]] = set()
for raw in (root / "scripts" / "tidy_exclusions.txt").read_text().splitlines():
    entry = raw.split("#", 1)[0].split()
    if entry:
        excluded.add((entry[0], entry[1]))
found: list[str] = []
skipped = 0
used: set[tuple[str, str]] = set()
for a in areas:
    text = (build / f"tidy-{a}.log").read_text()
    for line in text.splitlines():
        m = finding.match(line)
        if not m:
            continue
        path = Path(m["file"])
        rel = str(path.relative_to(root)) if path.is_absolute() and path.is_relative_to(root) else str(path)
        key = (rel, m["check"].split(",")[0])
        if key in excluded:
            skipped += 1
            used.add(key)
            continue
        found.append(f"{rel}:{m['line']}:{m['col']}: {m['text']} [{m['check']}]")
    # clang-tidy fails when it reports a finding (WarningsAsErrors); failing with none
    # (a crash, an unreadable unit) fails the check too
    rc = (build / f"tidy-{a}.rc").read_text().strip()
    if ("error:" in text or rc != "0") and not any(finding.match(x) for x in text.splitlines()):
        found.append(f"clang-tidy failed on area {a} (exit status {rc}):\n{text}")
found = sorted(set(found))
for f in found:
    print(f)
stale = sorted(k for k in excluded if k not in used and k[0].split("/")[2:3] and k[0].split("/")[2] in areas)
for f, c in stale:
    print(f"note: scripts/tidy_exclusions.txt lists {f} {c}, which has no finding any more: remove the line")
print(f"clang-tidy: {len(found)} finding(s), {skipped} excluded by scripts/tidy_exclusions.txt")
sys.exit(1 if found else 0)
PY
echo "clang-tidy check passed in $((SECONDS - t0)) s"
