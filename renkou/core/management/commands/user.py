"""``renkou user``: staff and roles from the command line (see ``renkou.core.staff``).

    renkou user list [--unit CODE] [--role ROLE]
    renkou user create NAME --role ROLE --unit CODE [--language zh-hans|en]
                                                        (prints a one-time password)
    renkou user role-add NAME --role ROLE --unit CODE
    renkou user role-revoke NAME --role ROLE --unit CODE
    renkou user deactivate NAME | reactivate NAME
    renkou user reset-password NAME                     (prints a new one-time password)
    renkou user move NAME --from CODE --to CODE
    renkou user reset-second-factor NAME
    renkou user demo [--remove]                         (the demo users of ``renkou init``)

``renkou user --language en …`` (before the verb) is the language of the command's output;
``create … --language`` (after it) is the new user's own language for the pages.

Run on the server, the command acts as the system ("cli"); every change is audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from renkou.core import staff
from renkou.core.accounts import user_language_set
from renkou.core.models import Role, RoleAssignment, UserProfile


class Command(BaseCommand):
    help = "Staff and roles: list, create, give and take roles, deactivate, reset passwords"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--language", choices=["zh-hans", "en"], default=None)
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list")
        listing.add_argument("--unit", default="")
        listing.add_argument("--role", default="")
        for verb in ("create", "role-add", "role-revoke"):
            p = sub.add_parser(verb)
            p.add_argument("name")
            p.add_argument("--role", required=True, choices=Role.values)
            p.add_argument("--unit", required=True)
        sub.choices["create"].add_argument(
            "--language", dest="user_language", choices=["zh-hans", "en"], default=""
        )
        for verb in ("deactivate", "reactivate", "reset-password", "reset-second-factor"):
            sub.add_parser(verb).add_argument("name")
        move = sub.add_parser("move")
        move.add_argument("name")
        move.add_argument("--from", dest="code_from", required=True)
        move.add_argument("--to", dest="code_to", required=True)
        sub.add_parser("demo").add_argument("--remove", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            try:
                self._handle(options)
            except staff.StaffRefused as exc:
                raise CommandError(str(exc)) from exc

    def _user(self, name: str) -> Any:
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(_("no user is named %(name)s") % {"name": name})
        return user

    def _handle(self, options: dict[str, Any]) -> None:
        verb = options["verb"]
        if verb == "list":
            self._list(options["unit"], options["role"])
        elif verb == "create":
            user, password = staff.staff_create(
                username=options["name"], role=options["role"], code=options["unit"], actor="cli"
            )
            if options["user_language"]:
                user_language_set(user=user, language=options["user_language"], actor="cli")
            self.stdout.write(
                _("created %(name)s; one-time password (to be changed at first sign-in): %(pw)s")
                % {"name": user.get_username(), "pw": password}
            )
        elif verb in ("role-add", "role-revoke"):
            change = staff.staff_role_add if verb == "role-add" else staff.staff_role_revoke
            change(
                user=self._user(options["name"]),
                role=options["role"],
                code=options["unit"],
                actor="cli",
            )
            self.stdout.write(_("role given") if verb == "role-add" else _("role taken away"))
        elif verb in ("deactivate", "reactivate"):
            staff.staff_set_active(
                user=self._user(options["name"]), active=verb == "reactivate", actor="cli"
            )
            self.stdout.write(_("deactivated") if verb == "deactivate" else _("reactivated"))
        elif verb == "move":
            unit = staff.staff_move(
                user=self._user(options["name"]),
                code_from=options["code_from"],
                code_to=options["code_to"],
                actor="cli",
            )
            self.stdout.write(_("moved to %(unit)s") % {"unit": f"{unit.name} {unit.code}"})
        elif verb == "reset-second-factor":
            staff.staff_second_factor_reset(user=self._user(options["name"]), actor="cli")
            self.stdout.write(_("second factor reset: a new one is linked at the next sign-in"))
        elif verb == "demo":
            self._demo(options["remove"])
        else:
            password = staff.staff_password_reset(user=self._user(options["name"]), actor="cli")
            self.stdout.write(
                _("new one-time password (to be changed at the next sign-in): %(pw)s")
                % {"pw": password}
            )

    def _list(self, unit: str, role: str) -> None:
        users = get_user_model().objects.order_by("username")
        roles: dict[int, list[str]] = {}
        assignments = RoleAssignment.objects.select_related("orgunit").order_by("orgunit_id")
        for a in assignments:
            roles.setdefault(a.user_id, []).append(f"{Role(a.role).label}@{a.orgunit_id}")
        if unit:
            users = users.filter(role_assignments__orgunit__code__startswith=unit).distinct()
        if role:
            users = users.filter(role_assignments__role=role).distinct()
        for user in users:
            state = _("active") if user.is_active else _("deactivated")
            last = user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "—"
            held = ", ".join(roles.get(user.pk, [])) or ("sysadmin" if user.is_superuser else "—")
            self.stdout.write(f"{user.get_username()}\t{state}\t{last}\t{held}")

    def _demo(self, remove: bool) -> None:
        if not remove:
            for profile in UserProfile.objects.filter(demo=True).select_related("user"):
                state = _("active") if profile.user.is_active else _("deactivated")
                self.stdout.write(f"{profile.user.get_username()}\t{state}")
            return
        deleted, kept = staff.staff_demo_remove(actor="cli")
        for name in deleted:
            self.stdout.write(_("removed %(name)s") % {"name": name})
        for name in kept:
            self.stdout.write(
                _("deactivated %(name)s (kept: the records name them)") % {"name": name}
            )
        if not deleted and not kept:
            self.stdout.write(_("no demo users"))
