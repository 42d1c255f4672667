#!/usr/bin/env bash
# clang-format over the C++ sources (issue 19): include/, src/, bindings/, tests/cpp/ and
# tests/consumer/, with the style of .clang-format and a clang-format pinned from PyPI (the
# same binary, so the same result, on every machine; installed here when missing).
# Usage: bash scripts/format_cpp.sh            rewrites the files in place
#        bash scripts/format_cpp.sh --check    changes nothing; lists what would change and
#                                              fails if anything would (scripts/check_cpp_format.sh)
#   PYTHON=...   the interpreter whose environment gets clang-format (default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
clang_format_version=23.1.5
bindir=$(dirname "$PY")
if ! "$bindir/clang-format" --version 2>/dev/null | grep -q "version $clang_format_version"; then
  { "$PY" -m pip install -q --disable-pip-version-check "clang-format==$clang_format_version" 2>&1; } |
    { grep -v "is ignored: it is neither a file nor a directory" || true; }
fi
format="$bindir/clang-format"

dirs=(include src bindings tests/cpp tests/consumer)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- "${dirs[@]/%//*.hpp}" "${dirs[@]/%//*.cpp}" "${dirs[@]/%//*.h}")
else
  mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) | sort)
fi

if [ "${1:-}" = "--check" ]; then
  # --dry-run --Werror: one "code should be clang-formatted" error per place that differs
  if ! "$format" --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/trustmix-format.$$"; then
    grep -o '^[^:]*' "${TMPDIR:-/tmp}/trustmix-format.$$" | grep -E '\.(hpp|cpp|h)$' | sort | uniq -c |
      awk '{printf "  %s (%d place(s))\n", $2, $1}'
    rm -f "${TMPDIR:-/tmp}/trustmix-format.$$"
    echo "clang-format: the files above are not formatted; run: bash scripts/format_cpp.sh" >&2
    exit 1
  fi
  rm -f "${TMPDIR:-/tmp}/trustmix-format.$$"
  echo "clang-format: ${#files[@]} files formatted"
else
  "$format" -i "${files[@]}"
  echo "clang-format: ${#files[@]} files formatted in place"
fi
