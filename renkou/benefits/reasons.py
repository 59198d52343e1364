"""Reasons of a decision in words: each condition with its date or count, ✓ ✗ or ?."""

from __future__ import annotations

from django.utils.translation import gettext as _

MARKS = {1: "✓", 0: "✗", -1: "?"}


def _text(item: dict) -> str:
    code, date, n, variant = (
        item["code"],
        item.get("date", ""),
        item.get("n"),
        item.get("variant", ""),
    )
    missing = item["status"] == -1
    if code == "child_born":
        return _("child born on %(date)s") % {"date": date}
    if code == "under_age":
        return _("under 3 until %(date)s") % {"date": date}
    if code == "registered_here":
        return _("cannot decide: missing registered place") if missing else _("registered here")
    if code in ("child_alive", "alive", "parent_alive"):
        if missing:
            return _("cannot decide: missing death date")
        if code == "child_alive":
            return _("child died on %(date)s") % {"date": date} if date else _("child alive")
        return _("died on %(date)s") % {"date": date} if date else _("alive")
    if code == "has_guardian":
        return _("cannot decide: missing parent or guardian") if missing else _("has a parent")
    if code == "no_other_child":
        if n and n > 1:
            return _("has another child since %(date)s") % {"date": date}
        return _("no other child born or adopted")
    if code == "child_died_or_disabled":
        if variant == "died":
            return _("only child died on %(date)s") % {"date": date}
        return _("only child disabled (grade 1-3)")
    if code == "mother_age":
        if missing:
            return _("cannot decide: missing mother's birth date")
        return _("mother reached %(n)s on %(date)s") % {"n": n or 49, "date": date}
    if code == "rural":
        if missing:
            return _("cannot decide: missing registration type")
        return _("rural registration")
    if code == "age":
        return _("reached %(n)s on %(date)s") % {"n": n, "date": date}
    if code == "children":
        if missing:
            return _("cannot decide: missing children (none linked in the register)")
        return {
            "one_child": _("one child"),
            "two_daughters": _("two daughters"),
            "none_living": _("no living child"),
        }.get(variant, _("%(n)s children, not one child or two daughters") % {"n": n})
    if code == "certificate":
        return _("only-child certificate issued on %(date)s") % {"date": date}
    if code == "child_young":
        return _("child reaches %(n)s on %(date)s") % {"n": n, "date": date}
    return code


def render(item: dict) -> str:
    """One condition as a line: its words and its mark."""
    return f"{_text(item)} {MARKS[item['status']]}"


def render_all(items: list[dict]) -> str:
    """All conditions of a decision on one line, separated by semicolons."""
    return "; ".join(render(item) for item in items)
