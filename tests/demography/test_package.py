"""The package: public names, worked examples in docstrings, and no Django import."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

import renkou.demography

MODULES = [
    "renkou.demography",
    "renkou.demography.population",
    "renkou.demography.rates",
    "renkou.demography.sex_ratio",
    "renkou.demography.fertility",
    "renkou.demography.intervals",
]


def test_public_names_are_exported() -> None:
    for name in renkou.demography.__all__:
        value = getattr(renkou.demography, name)
        if callable(value):
            assert value.__doc__, name


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0


def test_imports_no_django() -> None:
    code = (
        "import sys, renkou.demography\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'scipy'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""
