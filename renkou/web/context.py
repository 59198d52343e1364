"""Template context for every page: the roles that decide what the navigation shows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from renkou.core.scoping import user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: which menu entries the signed-in user gets."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    roles = user_roles(user)
    # A village reporter works on a phone: the menu holds only what a reporter uses (their
    # change reports, the month's empty report, finding a person). The other pages stay
    # open to them by address, scoped to their village as always.
    office = roles - {"reporter", "service_staff"}
    return {
        "nav": {
            "changes": bool(roles & {"reporter", "statistician", "county_admin", "sysadmin"}),
            "empty_report": "reporter" in roles,
            "persons": bool(roles - {"auditor"}),
            "quality": bool(office - {"auditor"}),
            "audit": bool(roles & {"auditor", "sysadmin", "county_admin"}),
            "statistics": bool(office - {"auditor"}),
            "exchange": bool(office - {"auditor"}),
            "benefits": bool(office),
            "floating": bool(office - {"auditor"}),
            "cases": bool(roles & {"statistician", "county_admin", "auditor", "sysadmin"}),
            "targets": bool(roles & {"statistician", "county_admin", "auditor", "sysadmin"}),
            "reports": bool(office - {"auditor"}),
            # service rates for the office; service staff also record and read records
            "health": bool(roles & {"statistician", "county_admin", "auditor", "sysadmin"})
            or "service_staff" in roles,
            "orgunits": bool(office),
            "staff": bool(roles & {"sysadmin", "county_admin"}),
        }
    }
