"""Dated benefit parameters, kept as OpenFisca-core YAML files an administrator can edit.

Every amount, age and start date lives in ``parameters/<programme>/<name>.yaml`` as a list
of dated values; the value for a date is the latest one on or before it. The directory can
be replaced with ``RENKOU_BENEFIT_PARAMETERS`` (a province's own copy).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from openfisca_core.parameters import Parameter, ParameterNode

DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "parameters"


def parameters_directory() -> Path:
    """Where the parameter files are read from."""
    return Path(os.environ.get("RENKOU_BENEFIT_PARAMETERS") or DEFAULT_DIRECTORY)


@lru_cache(maxsize=4)
def _load(directory: str, stamp: float) -> ParameterNode:
    return ParameterNode("benefits", directory_path=directory)


def parameter_tree() -> ParameterNode:
    """The whole tree, reloaded when any file in it changes (an administrator's edit)."""
    directory = parameters_directory()
    stamp = max(p.stat().st_mtime for p in directory.rglob("*.yaml"))
    return _load(str(directory), stamp)


def value_at(path: str, on: datetime.date) -> Any:
    """The value of ``programme.name`` in force on ``on`` (KeyError-like error if none)."""
    node: Any = parameter_tree()(on.isoformat())
    for part in path.split("."):
        node = getattr(node, part)
    return node


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter and the date it takes effect."""

    start: datetime.date
    value: Any


def history(path: str) -> list[DatedValue]:
    """Every dated value of one parameter, oldest first (what the administrator sees)."""
    node: Any = parameter_tree()
    for part in path.split("."):
        node = node.children[part]
    assert isinstance(node, Parameter)
    return sorted(
        (DatedValue(datetime.date.fromisoformat(v.instant_str), v.value) for v in node.values_list),
        key=lambda d: d.start,
    )


def all_parameters() -> list[tuple[str, str, list[DatedValue]]]:
    """(path, description, history) for every parameter, for the listing command."""
    rows = []

    def walk(node: Any, prefix: str) -> None:
        for name, child in sorted(node.children.items()):
            path = f"{prefix}{name}"
            if isinstance(child, Parameter):
                rows.append((path, child.description or "", history(path)))
            else:
                walk(child, f"{path}.")

    walk(parameter_tree(), "")
    return rows
