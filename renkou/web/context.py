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
    return {
        "nav": {
            "changes": bool(roles & {"reporter", "statistician", "county_admin", "sysadmin"}),
            "persons": bool(roles - {"auditor"}),
            "quality": bool(roles - {"auditor"}),
            "audit": bool(roles & {"auditor", "sysadmin", "county_admin"}),
            "statistics": bool(roles - {"auditor"}),
            "exchange": bool(roles - {"auditor"}),
            "benefits": bool(roles),
            "reports": bool(roles - {"auditor"}),
            "staff": bool(roles & {"sysadmin", "county_admin"}),
        }
    }
