"""Staff and roles: the one write path for creating users, giving and taking roles, resetting
passwords and deactivating users, with who may do it to whom.

Only administrators manage staff: a system administrator everywhere, a county
administrator for users whose roles lie in their county. Nobody gives a role above their
own, or at a unit outside their area. The command line (``actor="cli"``: whoever can run
commands on the server) may do everything. Every change is an audit row; a refused change
changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core.accounts import (
    one_time_password,
    role_assign,
    role_revoke,
    user_create_with_one_time_password,
)
from renkou.core.audit import audit_record
from renkou.core.models import PasswordState, Role, RoleAssignment
from renkou.orgunits.models import OrgUnit

RANK = {
    Role.REPORTER: 1,
    Role.STATISTICIAN: 2,
    Role.AUDITOR: 2,
    Role.COUNTY_ADMIN: 3,
    Role.SYSADMIN: 4,
}
MANAGING = (Role.COUNTY_ADMIN, Role.SYSADMIN)


class StaffRefused(ValueError):
    """A staff change that is not allowed or not possible; the message is translated."""


def _is_system(actor: Any) -> bool:
    return isinstance(actor, str) or getattr(actor, "is_superuser", False)


def _held(actor: Any) -> list[tuple[str, str]]:
    return list(RoleAssignment.objects.filter(user=actor).values_list("role", "orgunit_id"))


def may_grant(actor: Any, role: str, code: str) -> bool:
    """Whether ``actor`` may give ``role`` at the unit ``code``: an administrator's role at
    that unit or above it, ranking at least as high as the role given."""
    if _is_system(actor):
        return True
    return any(
        held in MANAGING and code.startswith(unit) and RANK[Role(held)] >= RANK[Role(role)]
        for held, unit in _held(actor)
    )


def may_manage(actor: Any, user: Any) -> bool:
    """Whether ``actor`` may change ``user``: every role the user holds is one the actor could
    give (a user with no role yet: any administrator)."""
    if _is_system(actor):
        return True
    if getattr(user, "is_superuser", False):
        return False
    roles = _held(user)
    if not roles:
        return any(held in MANAGING for held, _unit in _held(actor))
    return all(may_grant(actor, role, unit) for role, unit in roles)


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise StaffRefused(_("no org unit has the code %(code)s") % {"code": code})
    return unit


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise StaffRefused(
            _("not a role: %(role)s (one of %(roles)s)")
            % {"role": role, "roles": ", ".join(Role.values)}
        )


@transaction.atomic
def staff_create(*, username: str, role: str, code: str, actor: Any) -> tuple[Any, str]:
    """Create a user with ``role`` at the unit ``code``; return (user, one-time password),
    which the user must change at first sign-in."""
    username = username.strip()
    if not username:
        raise StaffRefused(_("a user name is needed"))
    model = get_user_model()
    if model.objects.filter(username__iexact=username).exists():
        raise StaffRefused(_("a user named %(name)s exists already") % {"name": username})
    _check_role(role)
    unit = _unit(code)
    if not may_grant(actor, role, unit.code):
        raise StaffRefused(
            _("you may not give the role %(role)s at %(unit)s")
            % {"role": Role(role).label, "unit": unit.name}
        )
    user, password = user_create_with_one_time_password(username=username, actor=actor)
    role_assign(user=user, role=role, orgunit=unit, actor=actor)
    return user, password


@transaction.atomic
def staff_role_add(*, user: Any, role: str, code: str, actor: Any) -> RoleAssignment:
    """Give ``user`` another role (or the same role at another unit)."""
    _check_role(role)
    unit = _unit(code)
    if not may_manage(actor, user) or not may_grant(actor, role, unit.code):
        raise StaffRefused(
            _("you may not give the role %(role)s at %(unit)s")
            % {"role": Role(role).label, "unit": unit.name}
        )
    return role_assign(user=user, role=role, orgunit=unit, actor=actor)


def _is_sysadmin(user: Any) -> bool:
    return (
        bool(user.is_superuser)
        or RoleAssignment.objects.filter(user=user, role=Role.SYSADMIN).exists()
    )


def _other_sysadmins(user: Any) -> bool:
    """Whether an active system administrator other than ``user`` remains."""
    model = get_user_model()
    return (
        model.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
        or RoleAssignment.objects.filter(role=Role.SYSADMIN, user__is_active=True)
        .exclude(user_id=user.pk)
        .exists()
    )


@transaction.atomic
def staff_role_revoke(*, user: Any, role: str, code: str, actor: Any) -> None:
    """Take a role at a unit away from ``user``."""
    assignment = RoleAssignment.objects.filter(user=user, role=role, orgunit_id=code).first()
    if assignment is None:
        raise StaffRefused(
            _("%(name)s holds no role %(role)s at %(code)s")
            % {"name": user.get_username(), "role": role, "code": code}
        )
    if not may_manage(actor, user):
        raise StaffRefused(_("you may not change %(name)s") % {"name": user.get_username()})
    if assignment.role == Role.SYSADMIN and not user.is_superuser and not _other_sysadmins(user):
        raise StaffRefused(_("the last system administrator keeps the role"))
    role_revoke(assignment=assignment, actor=actor)


@transaction.atomic
def staff_set_active(*, user: Any, active: bool, actor: Any) -> None:
    """Deactivate (no sign-in, no token; the history stays) or reactivate a user."""
    if not may_manage(actor, user):
        raise StaffRefused(_("you may not change %(name)s") % {"name": user.get_username()})
    if not active and getattr(actor, "pk", None) == user.pk:
        raise StaffRefused(_("you cannot deactivate yourself"))
    if not active and _is_sysadmin(user) and not _other_sysadmins(user):
        raise StaffRefused(_("the last system administrator cannot be deactivated"))
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.reactivate" if active else "user.deactivate",
        object_type="user",
        object_id=user.pk,
        before={"is_active": not active},
        after={"is_active": active},
    )


@transaction.atomic
def staff_password_reset(*, user: Any, actor: Any) -> str:
    """A new one-time password for ``user`` (to be changed at the next sign-in)."""
    if not may_manage(actor, user):
        raise StaffRefused(_("you may not change %(name)s") % {"name": user.get_username()})
    password = one_time_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    PasswordState.objects.update_or_create(user=user, defaults={"must_change": True})
    audit_record(actor=actor, action="user.password_reset", object_type="user", object_id=user.pk)
    return password
