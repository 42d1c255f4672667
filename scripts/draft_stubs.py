"""Drafts stubs of the compiled module for the stub package python/trustmix/_core/ (issue 19).

Usage (a dev build of _core in python/trustmix/, pybind11-stubgen from the test extra):

    PYTHONPATH=python python scripts/draft_stubs.py [OUT]      # OUT: default build/stubs-draft

Runs pybind11-stubgen on trustmix._core and rewrites its output in the stubs' house style:
no docstrings (the bindings carry them); ``_Int``/``_Float`` for what pybind11 converts to a
C++ number; ``npt.ArrayLike`` for Eigen/array inputs and ``npt.NDArray[np.<dtype>]`` for
returned arrays; ``dict[str, Any]``, ``list[Any]``, ``tuple[Any, ...]`` for bare containers;
``...`` for list/dict defaults; ``__eq__(self, other: object)``. It then prints, per area, the
names the draft has and the committed stubs lack. The draft is a starting point: copy the
new entries (``ruff format`` helps) into python/trustmix/_core/<area>.pyi and make them precise (the real value
types of result dicts, keyword-only markers, Optional parameters); stubtest checks the rest.
"""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUBS = ROOT / "python" / "trustmix" / "_core"

_HEAD = """from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias, overload

import numpy as np
import numpy.typing as npt
{stray}
_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double
"""


def _split_top(params: str) -> list[str]:
    """Splits a parameter list at the commas outside brackets."""
    out, depth, cur = [], 0, ""
    for ch in params:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _fix_defaults(text: str) -> str:
    """pybind11-stubgen drops defaults it cannot print (e.g. an empty Eigen array): a parameter
    without one after a parameter with one gets ``= ...`` so that the stub parses."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*def \w+\()(.*)(\) -> .*:)$", line)
        if not m:
            continue
        seen_default, new = False, []
        for p in _split_top(m.group(2)):
            if p.startswith("*"):
                seen_default = False if p == "*" else seen_default
            elif "=" not in p and seen_default:
                p += " = ..."
            else:
                seen_default = seen_default or "=" in p
            new.append(p)
        lines[i] = m.group(1) + ", ".join(new) + m.group(3)
    return "\n".join(lines)


def _strip_docstrings(text: str) -> str:
    tree = ast.parse(text)
    lines = text.split("\n")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str) and first.end_lineno is not None):
                found.append((first.lineno, first.end_lineno, len(node.body) == 1, node.col_offset))
    for start, end, only, col in sorted(found, reverse=True):
        lines[start - 1:end] = [" " * (col + 4) + "..."] if only else []
    return "\n".join(lines)


def house_style(text: str) -> str:
    """One pybind11-stubgen stub rewritten in the style of python/trustmix/_core/*.pyi."""
    t = re.sub(r"^(import (collections\.abc|numpy|numpy\.typing|typing)|__all__: .*|from __future__ .*)\n", "",
               _strip_docstrings(_fix_defaults(text)), flags=re.M)
    t = re.sub(r"^from trustmix\._core\.(\w+) import (\w+)$", r"from trustmix._core.\1 import \2 as \2", t, flags=re.M)
    stray = re.findall(r"^(?:import|from) .*\n", t, flags=re.M)  # e.g. import trustmix._core.mmm
    t = re.sub(r"^(?:import|from) .*\n", "", t, flags=re.M)
    t = re.sub(r'typing\.Annotated\[numpy\.typing\.ArrayLike, numpy\.\w+(?:, "[^"]*")*\]', "npt.ArrayLike", t)
    t = re.sub(r'typing\.Annotated\[numpy\.typing\.NDArray\[numpy\.(\w+)\](?:, "[^"]*")*\]', r"npt.NDArray[np.\1]", t)
    t = t.replace("typing.SupportsInt | typing.SupportsIndex", "_Int")
    t = t.replace("typing.SupportsFloat | typing.SupportsIndex", "_Float")
    t = t.replace("@typing.overload", "@overload").replace("typing.ClassVar", "ClassVar")
    t = t.replace("numpy.typing.", "npt.").replace("numpy.", "np.")
    t = t.replace("collections.abc.", "").replace("typing.Any", "Any")
    t = re.sub(r"\bdict\b(?!\[)", "dict[str, Any]", t)
    t = re.sub(r"\blist\b(?![\[(])", "list[Any]", t)
    t = re.sub(r"->\s*tuple:", "-> tuple[Any, ...]:", t)
    t = re.sub(r"= \[[^\]]*\]", "= ...", t)
    t = re.sub(r"= \{[^}]*\}", "= ...", t)
    t = re.sub(r"def __(eq|ne)__\(self, arg0: \w+\)", r"def __\1__(self, other: object)", t)
    t = t.replace("__hash__: ClassVar[None] = None",
                  "__hash__: ClassVar[None]  # type: ignore[assignment]  # unhashable: __eq__ is bound")
    doc_end = t.find('"""', 3) + 3 if t.startswith('"""') else 0
    return t[:doc_end] + "\n" + _HEAD.format(stray="".join(stray)) + t[doc_end:]


def _names(path: pathlib.Path) -> set[str]:
    """Top-level and class-level names defined in a stub (Class.method for members)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        if isinstance(node, ast.ClassDef):
            out |= {f"{node.name}.{b.name}" for b in node.body if isinstance(b, ast.FunctionDef)}
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
    return out


def main(out: pathlib.Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pybind11_stubgen", "trustmix._core", "-o", tmp], check=True)
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted((pathlib.Path(tmp) / "trustmix" / "_core").glob("*.pyi")):
            if f.name != "__init__.pyi":
                (out / f.name).write_text(house_style(f.read_text()))
    for draft in sorted(out.glob("*.pyi")):
        committed = STUBS / draft.name
        missing = sorted(_names(draft) - (_names(committed) if committed.exists() else set()))
        if missing:
            print(f"{draft.name}: not in python/trustmix/_core/{draft.name}: {', '.join(missing)}")
    print(f"drafts in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "stubs-draft"))
