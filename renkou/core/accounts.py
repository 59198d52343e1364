"""Accounts: users with one-time passwords, their roles and their own language."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from renkou.core.audit import audit_record
from renkou.core.models import PasswordState, RoleAssignment, UserProfile

ALPHABET = string.ascii_letters + string.digits


def one_time_password(length: int = 16) -> str:
    """A random password to be changed at first sign-in."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@transaction.atomic
def user_create_with_one_time_password(
    *, username: str, actor: Any, superuser: bool = False
) -> tuple[Any, str]:
    """Create a user whose first sign-in forces a password change; return (user, password)."""
    password = one_time_password()
    model = get_user_model()
    if superuser:
        user = model.objects.create_superuser(username=username, password=password)
    else:
        user = model.objects.create_user(username=username, password=password)
    PasswordState.objects.create(user=user, must_change=True)
    audit_record(
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.pk,
        after={"username": username, "superuser": superuser},
    )
    return user, password


@transaction.atomic
def password_changed(*, user: Any) -> None:
    """Record that the user has chosen their own password."""
    PasswordState.objects.update_or_create(user=user, defaults={"must_change": False})
    audit_record(actor=user, action="user.password_change", object_type="user", object_id=user.pk)


@transaction.atomic
def role_assign(*, user: Any, role: str, orgunit: Any, actor: Any) -> RoleAssignment:
    """Give a user a role in an org unit (and so sight of its subtree)."""
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, orgunit=orgunit
    )
    user.__dict__.pop("_renkou_role_assignments", None)  # the scoping cache of this object
    if created:
        audit_record(
            actor=actor,
            action="role.assign",
            object_type="user",
            object_id=user.pk,
            after={"role": role, "orgunit": orgunit.pk},
        )
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, actor: Any) -> None:
    """Take a role away."""
    audit_record(
        actor=actor,
        action="role.revoke",
        object_type="user",
        object_id=assignment.user_id,
        before={"role": assignment.role, "orgunit": assignment.orgunit_id},
    )
    assignment.delete()


def user_language(user: Any) -> str:
    """The language the user chose for the pages ('' if they never chose)."""
    profile = UserProfile.objects.filter(user_id=user.pk).only("language").first()
    return profile.language if profile else ""


@transaction.atomic
def user_language_set(*, user: Any, language: str, actor: Any) -> bool:
    """Keep ``language`` as the user's own language (audited); False if unknown or unchanged."""
    if language not in dict(settings.LANGUAGES):
        return False
    profile, _created = UserProfile.objects.get_or_create(user=user)
    if profile.language == language:
        return False
    before = profile.language
    profile.language = language
    profile.save(update_fields=["language"])
    audit_record(
        actor=actor,
        action="user.language",
        object_type="user",
        object_id=user.pk,
        before={"language": before},
        after={"language": language},
    )
    return True
