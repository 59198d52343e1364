"""Comparison features of a person or roster row: name split, pinyin keys, swapped date.

Takes the pinyin function as an argument so that this module stays free of Django;
``renkou.registry.names.name_search_keys`` is what the app passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The one name normalisation of both sides (free of Django): traditional → simplified,
# spaces and middle dots removed, full-width folded, compound surnames taken whole.
from renkou.registry.names import COMPOUND_SURNAMES, normalise_name, split_name

__all__ = ["COMPOUND_SURNAMES", "features", "normalise_name", "split_name"]


def features(record: dict[str, Any], pinyin: Callable[[str], tuple[str, str]]) -> dict[str, Any]:
    """The linkage columns of one record with ``unique_id``, ``name``, ``sex``, ``birth_date``."""
    name = normalise_name(record.get("name") or "")
    surname, given = split_name(name) if name else ("", "")
    keys = pinyin(name) if name else ("", "")
    birth = record.get("birth_date") or ""
    swapped = f"{birth[:4]}-{birth[8:10]}-{birth[5:7]}" if len(birth) >= 10 else ""
    month_only = bool(record.get("birth_date_month_only"))
    if month_only:  # 出生年月: the day is unknown, nothing to swap
        swapped = ""
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
        "birth_month_only": month_only,
        "village": record.get("village") or None,
    }
