"""Sphinx configuration of the trustmix documentation site.

Built by scripts/test.sh (``python -m sphinx -W --keep-going -b html docs build/docs``)
with warnings as errors, so a broken reference or docstring fails CI. Pages: the concept
pages of docs/ (Markdown, read by myst-parser), an API reference generated from the
Python docstrings (autodoc + napoleon, NumPy style), and the notebooks of notebooks/ as a
gallery with their outputs (myst-nb, never executed here: scripts/test.sh runs them once,
with pytest --nbmake --overwrite on copies in build/gallery/, and the gallery shows those
executed copies when their code matches notebooks/).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
root = here.parent
# The package under test: an installed trustmix wins; a developer build (dev-build.sh puts
# _core into python/trustmix) is found through python/.
if os.environ.get("TRUSTMIX_DOCS_SOURCE_TREE", "1") == "1":
    sys.path.insert(0, str(root / "python"))

import trustmix  # noqa: E402

project = "trustmix"
author = "trustmix developers"
copyright = "trustmix developers"  # noqa: A001
release = version = trustmix.__version__

extensions = [
    "myst_nb",  # Markdown pages (myst-parser) and notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "gallery/.ipynb_checkpoints"]
root_doc = "index"

# Markdown: $...$ maths as in the pages, anchors for headings so that links to sections work.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks: shown with the outputs of the test run's execution (build/gallery/, see
# _gallery_source), else with those stored in them; never executed by Sphinx.
nb_execution_mode = "off"
nb_merge_streams = True

# API reference from the docstrings (NumPy style).
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["pyspark", "dask", "distributed", "arviz"]
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" sections as :ivar: fields, not a second description of each attribute
autosummary_generate = False

html_theme = "furo"
html_title = f"trustmix {release}"
suppress_warnings = ["myst.header"]  # the concept pages start at '#' and may skip a level


def _code_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells (what decides whether two copies agree)."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return ["".join(c.get("source", [])) for c in cells if c.get("cell_type") == "code"]


def _gallery_source(nb: Path) -> Path:
    """The copy of a notebook that the gallery shows: the one scripts/test.sh executed into
    build/gallery/ (pytest --nbmake --overwrite stores its outputs: tables and plots) when
    its code is that of notebooks/, else the notebook itself (its stored outputs, if any)."""
    executed = root / "build" / "gallery" / nb.name
    try:
        if executed.is_file() and _code_cells(executed) == _code_cells(nb):
            return executed
    except (OSError, ValueError):
        pass
    return nb


def _link_notebooks() -> None:
    """Expose notebooks/*.ipynb as docs/gallery/ (symlinks; the notebooks stay where the tests run them)."""
    gallery = here / "gallery"
    gallery.mkdir(exist_ok=True)
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        target = _gallery_source(nb)
        link = gallery / nb.name
        if link.is_symlink() or link.exists():
            if link.resolve() == target.resolve():
                continue
            link.unlink()
        link.symlink_to(os.path.relpath(target, gallery))


_link_notebooks()  # before Sphinx looks for source files


def _doxygen() -> list[str]:
    """The C++ API reference: doxygen over include/trustmix (docs/Doxyfile, warnings are
    errors), copied into the site as cpp/. Without doxygen (scripts/install.sh installs
    it) the build fails unless TRUSTMIX_DOCS_CPP=0."""
    if os.environ.get("TRUSTMIX_DOCS_CPP", "1") == "0":
        return []
    if shutil.which("doxygen") is None:
        raise RuntimeError("doxygen is needed for the C++ API reference (apt-get install doxygen, or "
                           "scripts/install.sh); TRUSTMIX_DOCS_CPP=0 builds the site without it")
    out = root / "build" / "docs-cpp"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(["doxygen", str(here / "Doxyfile")], cwd=root, check=True)
    return [str(out)]


html_extra_path = _doxygen()

_MULTI_NAME_FIELD = re.compile(r"^(\s*):(ivar|vartype) ([^:]+,[^:]+):(.*)$")


def _split_multi_name_fields(app: object, what: str, name: str, obj: object, options: object,
                             lines: list[str]) -> None:
    """NumPy docstrings may describe several attributes in one entry ("start, end : int");
    napoleon (napoleon_use_ivar) turns that into ":ivar start, end:", which Sphinx reads as
    a type "start," and a name "end". One field per name, each with the entry's text."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _MULTI_NAME_FIELD.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent, kind, names, text = m.groups()
        rest: list[str] = []
        i += 1
        while i < len(lines) and lines[i].startswith(indent + " ") and not lines[i].lstrip().startswith(":"):
            rest.append(lines[i])
            i += 1
        for field_name in (n.strip() for n in names.split(",")):
            out.append(f"{indent}:{kind} {field_name}:{text}")
            out.extend(rest)
    lines[:] = out


def setup(app: object) -> None:
    # after napoleon (priority 500), which writes the :ivar: fields
    app.connect("autodoc-process-docstring", _split_multi_name_fields, priority=600)  # type: ignore[attr-defined]
