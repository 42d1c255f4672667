"""One version number, stated once (include/trustmix/version.hpp) and the same everywhere."""

import importlib.metadata
import pathlib
import re
import types

import trustmix

ROOT = pathlib.Path(__file__).resolve().parents[2]


def header_version() -> str:
    text = (ROOT / "include" / "trustmix" / "version.hpp").read_text()
    major, minor, patch = (
        int(re.search(rf"#define TRUSTMIX_VERSION_{k} (\d+)", text).group(1)) for k in ("MAJOR", "MINOR", "PATCH")
    )
    string = re.search(r'#define TRUSTMIX_VERSION_STRING "([^"]+)"', text).group(1)
    assert string == f"{major}.{minor}.{patch}", "version macros disagree with the version string"
    return string


def test_versions_agree():
    v = header_version()
    assert trustmix.__version__ == v
    assert trustmix._core.__version__ == v
    assert importlib.metadata.version("trustmix") == v


def test_changelog_mentions_version():
    assert f"## {header_version()}" in (ROOT / "CHANGELOG.md").read_text()


def test_package_is_typed():
    pkg = pathlib.Path(trustmix.__file__).parent
    assert (pkg / "py.typed").exists()
    # the compiled module's stubs: a stub package with one stub per submodule, and nothing
    # importable in it (an __init__.py there would shadow the extension module)
    stubs = pkg / "_core"
    assert (stubs / "__init__.pyi").exists()
    assert not [p.name for p in stubs.iterdir() if p.suffix != ".pyi" and p.name != "__pycache__"]
    submodules = sorted(n for n, v in vars(trustmix._core).items() if isinstance(v, types.ModuleType))
    assert submodules, "trustmix._core has no submodules"
    assert [n for n in submodules if not (stubs / f"{n}.pyi").exists()] == []
    assert pathlib.Path(trustmix._core.__file__).suffix in (".so", ".pyd")  # the extension, not the stubs
