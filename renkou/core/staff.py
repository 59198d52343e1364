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
from django.db.models import ProtectedError, QuerySet
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from renkou.core.accounts import (
    one_time_password,
    role_assign,
    role_revoke,
    user_create_with_one_time_password,
)
from renkou.core.audit import audit_record
from renkou.core.models import AuditLog, PasswordState, Role, RoleAssignment, UserProfile
from renkou.core.scoping import user_prefixes, user_roles
from renkou.orgunits.models import Level, OrgUnit
from renkou.orgunits.scoping import codes_prefix_q

RANK = {
    Role.REPORTER: 1,
    Role.STATISTICIAN: 2,
    Role.AUDITOR: 2,
    Role.SERVICE_STAFF: 2,
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
    if (
        not user.is_superuser
        and not RoleAssignment.objects.filter(user=user).exclude(pk=assignment.pk).exists()
    ):
        # A user without a role would be nobody's to manage: a leaver is deactivated instead.
        raise StaffRefused(
            _("%(name)s would have no role left: give another role first, or deactivate the user")
            % {"name": user.get_username()}
        )
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


def _refuse_unless_manages(actor: Any, user: Any) -> None:
    if not may_manage(actor, user):
        raise StaffRefused(_("you may not change %(name)s") % {"name": user.get_username()})


@transaction.atomic
def staff_move(*, user: Any, code_from: str, code_to: str, actor: Any) -> OrgUnit:
    """Move ``user``'s roles at the unit ``code_from`` to the unit ``code_to`` (a statistician
    who changes township keeps being a statistician); one audit row."""
    held = list(RoleAssignment.objects.select_for_update().filter(user=user, orgunit_id=code_from))
    if not held:
        raise StaffRefused(
            _("%(name)s holds no role at %(code)s")
            % {"name": user.get_username(), "code": code_from}
        )
    _refuse_unless_manages(actor, user)
    unit = _unit(code_to)
    if unit.code == code_from:
        raise StaffRefused(
            _("%(name)s is at %(unit)s already") % {"name": user.get_username(), "unit": unit.name}
        )
    for assignment in held:
        if not may_grant(actor, assignment.role, unit.code):
            raise StaffRefused(
                _("you may not give the role %(role)s at %(unit)s")
                % {"role": Role(assignment.role).label, "unit": unit.name}
            )
    there = set(
        RoleAssignment.objects.filter(user=user, orgunit=unit).values_list("role", flat=True)
    )
    for assignment in held:
        if assignment.role in there:
            assignment.delete()
        else:
            assignment.orgunit = unit
            assignment.save(update_fields=["orgunit"])
    user.__dict__.pop("_renkou_role_assignments", None)  # the scoping cache of this object
    roles = sorted(a.role for a in held)
    audit_record(
        actor=actor,
        action="user.move",
        object_type="user",
        object_id=user.pk,
        before={"orgunit": code_from, "roles": roles},
        after={"orgunit": unit.code, "roles": roles},
    )
    return unit


@transaction.atomic
def staff_second_factor_reset(*, user: Any, actor: Any) -> int:
    """Forget ``user``'s authenticator (a lost phone): they link a new one at the next sign-in,
    and a session verified with the old one is asked again. Returns how many were removed."""
    _refuse_unless_manages(actor, user)
    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="user.otp_reset",
        object_type="user",
        object_id=user.pk,
        before={"devices": removed},
    )
    return removed


# --- reads ----------------------------------------------------------------------------------


def may_staff(actor: Any) -> bool:
    """Whether ``actor`` may open the staff pages (system and county administrators)."""
    return bool(user_roles(actor) & set(MANAGING))


def staff_users(actor: Any) -> QuerySet[Any]:
    """The users ``actor`` sees on the staff pages: everyone for the system administrator;
    for a county administrator, users who hold a role and whose roles all lie in the county."""
    users = get_user_model().objects.all()
    prefixes = user_prefixes(actor, MANAGING)
    if prefixes is None:
        return users
    outside = RoleAssignment.objects.exclude(codes_prefix_q("orgunit_id", prefixes))
    return users.filter(
        is_superuser=False, pk__in=RoleAssignment.objects.values("user_id")
    ).exclude(pk__in=outside.values("user_id"))


def staff_units(actor: Any) -> QuerySet[OrgUnit]:
    """The units where ``actor`` may give roles (county down to village), in code order."""
    units = OrgUnit.objects.filter(level__gte=Level.COUNTY, valid_to__isnull=True)
    prefixes = user_prefixes(actor, MANAGING)
    if prefixes is not None:
        units = units.filter(codes_prefix_q("code", prefixes))
    return units.order_by("code")


def staff_grantable(actor: Any) -> list[str]:
    """The roles ``actor`` may give somewhere (at most their own rank)."""
    if _is_system(actor):
        return list(Role.values)
    top = max((RANK[Role(r)] for r, _u in _held(actor) if r in MANAGING), default=0)
    return [r for r in Role.values if RANK[Role(r)] <= top]


# --- demo users -----------------------------------------------------------------------------

DEMO_USERS = (
    ("demo.reporter", Role.REPORTER, Level.VILLAGE),
    ("demo.statistician", Role.STATISTICIAN, Level.TOWNSHIP),
    ("demo.county", Role.COUNTY_ADMIN, Level.COUNTY),
    ("demo.auditor", Role.AUDITOR, Level.COUNTY),
    ("demo.service", Role.SERVICE_STAFF, Level.TOWNSHIP),
)


@transaction.atomic
def staff_demo_create(*, county: str, actor: Any) -> list[tuple[Any, str, OrgUnit, str]]:
    """One demo user per role for the county ``county``: a reporter of its first township's
    first village, that township's statistician, a second county administrator, an
    auditor; marked as demo users. Returns (user, role, unit, one-time password) of those
    made (a name already taken is left alone)."""
    township = OrgUnit.objects.filter(parent_id=county).order_by("code").first()
    village = OrgUnit.objects.filter(parent=township).order_by("code").first() if township else None
    at = {Level.COUNTY: OrgUnit.objects.filter(code=county).first()}
    at.update({Level.TOWNSHIP: township, Level.VILLAGE: village})
    made = []
    model = get_user_model()
    for name, role, level in DEMO_USERS:
        unit = at[level]
        if unit is None or model.objects.filter(username__iexact=name).exists():
            continue
        user, password = staff_create(username=name, role=role, code=unit.code, actor=actor)
        UserProfile.objects.update_or_create(user=user, defaults={"demo": True})
        made.append((user, role.value, unit, password))
    return made


def staff_demo_remove(*, actor: Any) -> tuple[list[str], list[str]]:
    """Delete the demo users; one who has acted (any audit row under their name, or a record
    that names them) is deactivated instead, so that no history is lost. Returns (deleted,
    deactivated) user names."""
    deleted: list[str] = []
    kept: list[str] = []
    for profile in UserProfile.objects.filter(demo=True).select_related("user"):
        user = profile.user
        name, pk = user.get_username(), user.pk
        roles = sorted(
            f"{r}@{u}"
            for r, u in RoleAssignment.objects.filter(user=user).values_list("role", "orgunit_id")
        )
        if not AuditLog.objects.filter(actor=user).exists():
            try:
                with transaction.atomic():
                    user.delete()
                    audit_record(
                        actor=actor,
                        action="user.delete",
                        object_type="user",
                        object_id=pk,
                        before={"username": name, "demo": True, "roles": roles},
                    )
                deleted.append(name)
                continue
            except ProtectedError:
                pass  # a record names them: keep the user
        staff_set_active(user=user, active=False, actor=actor)
        kept.append(name)
    return deleted, kept
