"""Reasons of a decision in words: each condition with its date or count, ✓ ✗ or ?."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MARKS = {1: "✓", 0: "✗", -1: "?"}

FACTS_IMPORT_URL = "benefits_facts_import"
"""The URL name of the page importing one kind of fact (``kind`` argument); where it is not
installed the missing fact is named without a link."""

MISSING_FACTS: dict[str, tuple[Promise, str]] = {
    # kind of missing fact: (what to enter and where, import kind ("" = the person's page))
    "registered_place": (
        gettext_lazy(
            "registered place: correct it on the person's page or import the household roster"
        ),
        "",
    ),
    "registration_type": (
        gettext_lazy(
            "registration type (rural or urban): correct it on the person's page"
            " or import the household roster"
        ),
        "",
    ),
    "death_date": (
        gettext_lazy("death date: report the death with its date on the person's page"),
        "",
    ),
    "birth_date": (
        gettext_lazy("birth date: correct it on the person's page"),
        "",
    ),
    "guardian": (
        gettext_lazy("parent or guardian: link the mother or father on the child's page"),
        "",
    ),
    "mother": (
        gettext_lazy("mother and her birth date: link the mother on the child's page"),
        "",
    ),
    "children": (
        gettext_lazy(
            "children: link the children (mother, father) on their pages or import adoptions"
        ),
        "adoptions",
    ),
    "disability": (
        gettext_lazy(
            "disability record: enter it on the person's page or import disability records"
        ),
        "disability_records",
    ),
    "certificate": (
        gettext_lazy(
            "only-child certificate: enter it on the holder's page"
            " or import only-child certificates"
        ),
        "only_child_certificates",
    ),
}

# condition code → the kind of fact whose absence makes it unknown
MISSING_KIND = {
    "registered_here": "registered_place",
    "rural": "registration_type",
    "urban": "registration_type",
    "child_alive": "death_date",
    "alive": "death_date",
    "parent_alive": "death_date",
    "has_guardian": "guardian",
    "mother_age": "mother",
    "children": "children",
    "one_child": "children",
    "age": "birth_date",
    "disability": "disability",
    "certificate": "certificate",
    "child_count": "children",
    "child_age_between": "children",
}


@dataclass(frozen=True)
class MissingFact:
    """A fact a decision waits for: what it is, where to enter it, and the page's link."""

    kind: str
    label: str
    url: str  # "" when the import page is not installed (the label says where instead)


def missing_facts(items: list[dict]) -> list[MissingFact]:
    """The facts an undecided decision waits for, each once, in the conditions' order."""
    out: list[MissingFact] = []
    for item in items:
        if item["status"] != -1:
            continue
        kind = item.get("missing") or MISSING_KIND.get(item["code"], item["code"])
        if any(m.kind == kind for m in out):
            continue
        label, import_kind = MISSING_FACTS.get(kind, (kind, ""))
        url = ""
        if import_kind:
            try:
                url = reverse(FACTS_IMPORT_URL, kwargs={"kind": import_kind})
            except NoReverseMatch:
                url = ""
        out.append(MissingFact(kind, str(label), url))
    return out


def deciding(items: list[dict]) -> dict | None:
    """The condition that makes a decision 'not eligible': the first one that fails."""
    return next((item for item in items if item["status"] == 0), None)


def summary(outcome: str, items: list[dict]) -> str:
    """Why, in one line: the failed condition, or the missing facts (empty when eligible)."""
    if outcome == "not_eligible":
        failed = deciding(items)
        if failed is not None:
            return _("not eligible: %(reason)s") % {"reason": _text(failed)}
    if outcome == "undecided":
        facts = "; ".join(m.label for m in missing_facts(items))
        return _("cannot decide until entered: %(facts)s") % {"facts": facts}
    return ""


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
        if not date:
            return _("no only-child certificate")
        return _("only-child certificate issued on %(date)s") % {"date": date}
    if code == "urban":
        if missing:
            return _("cannot decide: missing registration type")
        return _("urban registration")
    if code == "age_between":
        if variant:
            return _("aged %(n)s to under %(max)s (reached %(n)s on %(date)s)") % {
                "n": n,
                "max": variant,
                "date": date,
            }
        return _("reached %(n)s on %(date)s") % {"n": n, "date": date}
    if code == "child_age_between":
        if missing:
            return _("cannot decide: missing children (none linked in the register)")
        if variant:
            return _("child under %(max)s until %(date)s") % {"max": variant, "date": date}
        return _("child aged %(n)s or more") % {"n": n}
    if code in ("child_count", "one_child"):
        if missing:
            return _("cannot decide: missing children (none linked in the register)")
        if code == "one_child" and variant == "one_child":
            return _("one child")
        return _("%(n)s children") % {"n": n}
    if code == "disability":
        return _("disability record of grade 1-%(n)s") % {"n": n}
    if code == "paid_once":
        if date:
            return _("paid once already (%(date)s)") % {"date": date}
        return _("not paid before")
    if code == "objection":
        return _("objection upheld on %(date)s") % {"date": date}
    if code == "child_young":
        return _("child reaches %(n)s on %(date)s") % {"n": n, "date": date}
    return code


def render(item: dict) -> str:
    """One condition as a line: its words and its mark."""
    return f"{_text(item)} {MARKS[item['status']]}"


def render_all(items: list[dict]) -> str:
    """All conditions of a decision on one line, separated by semicolons."""
    return "; ".join(render(item) for item in items)
