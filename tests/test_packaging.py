"""The distribution maps top-level folders to `omnix.*`; every subpackage must be listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed_in_pyproject() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]
    found = set()
    for name, folder in setuptools["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base)
            found.add(".".join([name, *relative.parts]))
    assert found - set(setuptools["packages"]) == set(), "add these to [tool.setuptools] packages"


def test_every_listed_package_exists() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]
    for package in setuptools["packages"]:
        top = next(name for name in setuptools["package-dir"] if package.startswith(name))
        folder = ROOT / setuptools["package-dir"][top] / Path(*package[len(top) + 1 :].split("."))
        assert (folder / "__init__.py").is_file(), package
