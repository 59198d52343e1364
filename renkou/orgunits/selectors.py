"""Reads of the org-unit tree."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet

from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q


def orgunit_roots() -> QuerySet[OrgUnit]:
    """Units without a parent."""
    return OrgUnit.objects.filter(parent__isnull=True)


def orgunit_children(code: str) -> QuerySet[OrgUnit]:
    """Direct children of a unit, with the number of their own children."""
    return OrgUnit.objects.filter(parent_id=code).annotate(n_children=Count("children"))


def orgunit_subtree(code: str) -> QuerySet[OrgUnit]:
    """The unit and every unit below it."""
    return OrgUnit.objects.filter(code_prefix_q("code", code))


def orgunit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the root down (one query)."""
    prefixes = [unit.code[:n] for n in (2, 4, 6, 9) if n < len(unit.code)]
    return list(OrgUnit.objects.filter(code__in=prefixes).order_by("code"))


def leaf_codes_valid_on(day: datetime.date) -> set[str]:
    """Codes of villages that exist on ``day``."""
    qs = OrgUnit.objects.filter(level=5, valid_from__lte=day).exclude(valid_to__lt=day)
    return set(qs.values_list("code", flat=True))
