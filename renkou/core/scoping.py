"""The one helper that turns a user's role assignments into query filters (ARCHITECTURE rule 3).

Every read for a user goes through ``restrict``: a user sees the subtrees of the org units
they are assigned to, by code prefix. The installation's superuser (created by
``renkou init``) sees everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from renkou.core.models import RoleAssignment
from renkou.orgunits.scoping import codes_prefix_q

M = TypeVar("M", bound=Model)

# The code fields through which each model belongs to an area. A person belongs to the
# area where they live and to the area where they are registered (常住 and 户籍).
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "orgunits.orgunit": ("code",),
    "registry.person": ("residence_orgunit_id", "hukou_orgunit_id"),
    "registry.household": ("orgunit_id",),
    "registry.event": ("orgunit_id",),
    "registry.changereport": ("orgunit_id",),
    "quality.finding": ("unit",),
    "core.job": ("orgunit",),
    "exchange.rosterimport": ("orgunit_id",),
    "exchange.rosterrow": ("roster_import__orgunit_id",),
    "benefits.decision": ("village_id",),
    # a message between areas belongs to both ends (sender and receiver)
    "floating.message": ("sender_area", "receiver_area"),
    # a case belongs to the unit it concerns and to the unit handling it
    "cases.case": ("orgunit_id", "assigned_unit_id"),
    # a service record belongs to the unit where the person or couple lives
    "health.servicerecord": ("orgunit_id",),
}

_CACHE_ATTR = "_renkou_role_assignments"


def _assignments(user: Any) -> list[tuple[str, str]]:
    """(role, org-unit code) pairs of the user, read once per user object (one query)."""
    cached = user.__dict__.get(_CACHE_ATTR)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).values_list("role", "orgunit_id"))
        user.__dict__[_CACHE_ATTR] = cached
    return cached


def user_prefixes(user: Any, roles: Iterable[str] | None = None) -> list[str] | None:
    """Code prefixes the user may see (None = everything; [] = nothing)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    wanted = frozenset(roles) if roles is not None else None
    codes = sorted({code for role, code in _assignments(user) if wanted is None or role in wanted})
    # A unit inside another assigned unit adds nothing.
    return [c for c in codes if not any(c != o and c.startswith(o) for o in codes)]


def scope_q(user: Any, fields: Iterable[str], roles: Iterable[str] | None = None) -> Q:
    """Q for rows whose any of ``fields`` lies in the user's subtrees."""
    prefixes = user_prefixes(user, roles)
    if prefixes is None:
        return Q()
    q = Q(pk__in=[])
    for field in fields:
        q |= codes_prefix_q(field, prefixes)
    return q


def restrict(queryset: QuerySet[M], user: Any, roles: Iterable[str] | None = None) -> QuerySet[M]:
    """The part of ``queryset`` the user may see."""
    label = queryset.model._meta.label_lower
    try:
        fields = SCOPE_FIELDS[label]
    except KeyError:
        raise LookupError(f"no scope is defined for {label}") from None
    return queryset.filter(scope_q(user, fields, roles))


def can_see_code(user: Any, code: str, roles: Iterable[str] | None = None) -> bool:
    """Whether an org-unit code is inside the user's subtrees."""
    prefixes = user_prefixes(user, roles)
    return prefixes is None or any(code.startswith(p) for p in prefixes)


def user_roles(user: Any) -> set[str]:
    """The roles a user holds anywhere."""
    if getattr(user, "is_superuser", False):
        return {"sysadmin"}
    if not getattr(user, "is_authenticated", False):
        return set()
    return {role for role, _code in _assignments(user)}


# Which roles may do what, in the subtree of the unit they hold the role at.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "report": frozenset({"reporter", "statistician", "county_admin"}),
    "review": frozenset({"statistician", "county_admin"}),
    # a benefit cycle's steps (compute, notice, approve, pay, reconcile) and objections'
    # resolution; approval also needs a second user (four-eyes, in the service)
    "benefits": frozenset({"county_admin"}),
    # petitions and hotline cases: register, accept, assign, close (a case's assignee, of
    # any role, records its steps; auditors read them)
    "cases": frozenset({"statistician", "county_admin"}),
    # target agreements (目标管理责任书) a unit sets for its sub-units: a county's
    # administrator for its townships, a township's statistician for its villages
    "targets": frozenset({"statistician", "county_admin"}),
    # service records (国免, 两癌, 婚检): recorded and read by service staff only; everyone
    # else sees the rates and counts (renkou.health)
    "health": frozenset({"service_staff"}),
}


def may(user: Any, action: str, code: str) -> bool:
    """Whether the user may do ``action`` ("report", "review") for org unit ``code``."""
    return can_see_code(user, code, ACTION_ROLES[action])


def units_for(user: Any, action: str) -> list[str]:
    """Prefixes of the subtrees where the user may do ``action`` (None: everywhere)."""
    prefixes = user_prefixes(user, ACTION_ROLES[action])
    return prefixes if prefixes is not None else [""]


def own_unit_code(user: Any) -> str | None:
    """The code of the unit where the user holds a role (the broadest, if several), where
    pages open by default; None for a user without one (the superuser may have none)."""
    if not getattr(user, "is_authenticated", False):
        return None
    codes = {code for _role, code in _assignments(user)}
    return min(codes, key=lambda c: (len(c), c)) if codes else None
