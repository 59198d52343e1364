"""Comparison features of a person or roster row: name split, pinyin keys, swapped date.

Takes the pinyin function as an argument so that this module stays free of Django;
``renkou.registry.names.name_search_keys`` is what the app passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Two-character surnames seen in county registers; other names take one character.
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙"}
    | {"慕容", "长孙", "令狐", "夏侯", "宇文", "司徒", "端木", "轩辕"}
)


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a Chinese name (复姓 recognised)."""
    name = name.strip()
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def features(record: dict[str, Any], pinyin: Callable[[str], tuple[str, str]]) -> dict[str, Any]:
    """The linkage columns of one record with ``unique_id``, ``name``, ``sex``, ``birth_date``."""
    name = record.get("name") or ""
    surname, given = split_name(name) if name else ("", "")
    keys = pinyin(name) if name else ("", "")
    birth = record.get("birth_date") or ""
    swapped = f"{birth[:4]}-{birth[8:10]}-{birth[5:7]}" if len(birth) >= 10 else ""
    return {
        "unique_id": record["unique_id"],
        "name": name or None,
        "surname": surname or None,
        "given": given or None,
        "name_pinyin": keys[0] or None,
        "name_initials": keys[1] or None,
        "sex": record.get("sex") or None,
        "birth_date": birth[:10] or None,
        "birth_swapped": swapped or None,
        "village": record.get("village") or None,
    }
