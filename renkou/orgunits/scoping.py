"""Subtree filters by code prefix: the one place a code prefix becomes a query."""

from __future__ import annotations

from django.db.models import Q


def code_prefix_q(field: str, prefix: str) -> Q:
    """Q matching rows whose ``field`` (a code) lies in the subtree of ``prefix``.

    A range rather than LIKE, so that both SQLite and PostgreSQL use the plain index:
    codes are digits only and ':' sorts right after '9'.
    """
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + ":"})


def codes_prefix_q(field: str, prefixes: list[str]) -> Q:
    """Q matching rows in any of the subtrees; matches nothing for an empty list."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= code_prefix_q(field, prefix)
    return q
