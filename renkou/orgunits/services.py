"""Writes to the org-unit tree (the only place that saves OrgUnit rows)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from renkou.core.audit import audit_record
from renkou.core.problems import InputRefused, Problem, problem
from renkou.core.tabular import check_columns, read_table
from renkou.orgunits.models import CODE_LENGTHS, EARLIEST, OrgUnit

COLUMNS_REQUIRED = {"code", "name"}
COLUMNS_OPTIONAL = {"parent_code", "valid_from", "valid_to"}


@dataclass
class OrgUnitLoadResult:
    """What a load did: counts and the problems of refused rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def _parse_date(text: str, default: datetime.date | None) -> datetime.date | None:
    if not text:
        return default
    return datetime.date.fromisoformat(text)


def orgunits_load(*, path: Path, actor: Any) -> OrgUnitLoadResult:
    """Load or update units from a CSV/Parquet file; invalid rows are refused, the rest loaded.

    Rows must come parents first or have their parent already in the database. Loading the
    same file again changes nothing.
    """
    table = read_table(path)
    check_columns(table, file=path.name, required=COLUMNS_REQUIRED, optional=COLUMNS_OPTIONAL)
    rows = table.to_pylist()
    result = OrgUnitLoadResult()
    existing = {u.code: u for u in OrgUnit.objects.all()}
    known = set(existing)
    seen: set[str] = set()
    wanted: list[dict[str, Any]] = []
    for index, row in enumerate(rows, start=2):
        code, name = row["code"], row["name"]
        parent = row.get("parent_code", "")

        def refuse(code_: str, column: str, value: str, _index: int = index, **params: str) -> None:
            result.problems.append(
                problem(code_, file=path.name, row=_index, column=column, value=value, **params)
            )

        if not code.isdigit() or len(code) not in CODE_LENGTHS:
            refuse("bad_code", "code", code)
            continue
        if code in seen:
            refuse("duplicate_key", "code", code)
            continue
        if not name:
            refuse("required", "name", "")
            continue
        if len(code) > 2 and (not parent or not code.startswith(parent) or parent not in known):
            refuse("bad_parent", "parent_code", parent)
            continue
        try:
            valid_from = _parse_date(row.get("valid_from", ""), EARLIEST)
            valid_to = _parse_date(row.get("valid_to", ""), None)
        except ValueError:
            column = "valid_from"
            if row.get("valid_from") and not _is_date(row.get("valid_from", "")):
                value = row["valid_from"]
            else:
                column, value = "valid_to", row.get("valid_to", "")
            refuse("bad_date", column, value)
            continue
        seen.add(code)
        known.add(code)
        wanted.append(
            {
                "code": code,
                "name": name,
                "level": CODE_LENGTHS[len(code)],
                "parent_id": parent or None,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )
    with transaction.atomic():
        for values in wanted:
            current = existing.get(values["code"])
            if current is None:
                OrgUnit.objects.create(**values)
                result.created += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                current.save()
                result.updated += 1
            else:
                result.unchanged += 1
        if result.created or result.updated:
            audit_record(
                actor=actor,
                action="orgunits.load",
                object_type="orgunit",
                after={"file": path.name, "created": result.created, "updated": result.updated},
            )
    return result


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def orgunits_load_or_refuse(*, path: Path, actor: Any) -> OrgUnitLoadResult:
    """Like ``orgunits_load`` but refuses the whole file if any row is invalid."""
    with transaction.atomic():
        result = orgunits_load(path=path, actor=actor)
        if result.problems:
            raise InputRefused(result.problems)
    return result
