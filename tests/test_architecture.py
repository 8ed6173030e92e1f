"""Dependencies point inward: genetics imports no other mpid package; matching only genetics (and Dask only
in its engine module); services/web/cli are the outer layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mpid"
THIRD_PARTY_GENETICS = {"numpy", "numba"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                pkg = path.relative_to(SRC.parent).with_suffix("").parts[: -node.level]
                out.add(".".join(pkg + ((node.module,) if node.module else ())))
            elif node.module:
                out.add(node.module)
    return out


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("genetics"), ids=lambda p: p.name)
def test_genetics_imports_only_stdlib_numpy_numba(path: Path):
    import sys

    for name in imports_of(path):
        top = name.split(".")[0]
        if top == "mpid":
            assert name.startswith("mpid.genetics"), f"{path.name} imports {name}"
        else:
            assert top in THIRD_PARTY_GENETICS or top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name} imports {name}"
            )


@pytest.mark.parametrize("path", modules("matching"), ids=lambda p: p.name)
def test_matching_depends_only_on_genetics(path: Path):
    for name in imports_of(path):
        if name.startswith("mpid.") and not name.startswith(("mpid.genetics", "mpid.matching")):
            pytest.fail(f"{path.name} imports {name}")
        if name.split(".")[0] in {"dask", "distributed"}:
            assert path.name == "engines_dask.py", f"{path.name} imports {name}: only the Dask engine may"
