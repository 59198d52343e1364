"""``renkou init``: everything a fresh installation needs, idempotent."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from renkou.core.accounts import user_create_with_one_time_password
from renkou.core.models import Role
from renkou.core.staff import staff_demo_create
from renkou.registry.loading import registry_load
from renkou.registry.models import Person


class Command(BaseCommand):
    """Prepare data/: keys (by settings), migrations, demo county, administrator."""

    help = "Prepare the database, load a demo county if it is empty, create an administrator"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo-persons", type=int, default=50_000, help="size of the demo county (0: no demo)"
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        from renkou.core.keycheck import KeysDoNotFit, keys_check

        try:
            keys_check()
        except KeysDoNotFit as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("database ready / 数据库已就绪")
        if options["demo_persons"] and not Person.objects.exists():
            self._demo(options["demo_persons"], options["seed"])
        admins = get_user_model().objects.filter(is_superuser=True)
        if admins.exists():
            names = ", ".join(admins.values_list("username", flat=True)[:3])
            self.stdout.write(
                f"Sign in as {names} (password chosen at first sign-in) / 以管理员身份登录。"
                "\n  Lost it? / 忘记密码: renkou changepassword " + names.split(",")[0]
            )
        else:
            user, password = user_create_with_one_time_password(
                username="admin", actor="init", superuser=True
            )
            self.stdout.write(
                self.style.SUCCESS(
                    "\nAdministrator created / 已创建管理员\n"
                    f"  user 用户名: {user.get_username()}\n"
                    f"  one-time password 一次性密码: {password}\n"
                    "  (at first sign-in: choose a new password, then link an authenticator app\n"
                    "   首次登录须修改密码，并绑定身份验证器应用)\n"
                )
            )
            self._demo_users()

    def _demo(self, persons: int, seed: int) -> None:
        from renkou.synth.county import generate

        started = time.perf_counter()
        out = Path(settings.DATA_DIR) / "demo-county"
        self.stdout.write(f"generating a demo county of {persons} persons / 生成示范县 …")
        generate(persons=persons, years=5, seed=seed, out=out)
        try:
            result = registry_load(path=out, actor="init")
        finally:
            # The load files hold names and identity numbers in clear: not kept once loaded.
            shutil.rmtree(out, ignore_errors=True)
        self.stdout.write(
            f"demo county loaded / 示范县已导入: {result.created.get('persons', 0)} persons, "
            f"{result.created.get('events', 0)} events in {time.perf_counter() - started:.0f} s"
        )
        # The statistics of recent periods, so that the first dashboard shows them (the
        # worker keeps them up to date from then on).
        from renkou.analytics.cache import indicators_keep_ready

        started = time.perf_counter()
        self.stdout.write("computing the statistics / 计算统计指标 …")
        stats = indicators_keep_ready()
        self.stdout.write(
            f"statistics ready / 统计指标已就绪: {stats.stored} figures, "
            f"{len(set(stats.periods))} periods in {time.perf_counter() - started:.0f} s"
        )

    def _demo_users(self) -> None:
        """On a fresh machine with the demo county: one demo user per role, to try it with."""
        from renkou.synth.orgunits import COUNTY

        made = staff_demo_create(county=COUNTY[0], actor="init")
        if not made:
            return
        self.stdout.write(
            "Demo users (one-time passwords; remove them with: renkou user demo --remove)\n"
            "示范用户（一次性密码；删除：renkou user demo --remove）"
        )
        for user, role, unit, password in made:
            with translation.override("zh-hans"):
                label = str(Role(role).label)
            self.stdout.write(
                f"  {user.get_username():<18} {password}  {role} {label} @ {unit.name} {unit.code}"
            )
        from renkou.benefits.demo import demo_history_prepare, history_lines

        history = demo_history_prepare(county=COUNTY[0], today=timezone.localdate())
        for line in history_lines(history):
            self.stdout.write(line)
        from renkou.health.demo import demo_services_prepare, prepared_lines

        prepared = demo_services_prepare(county=COUNTY[0], today=timezone.localdate())
        for line in prepared_lines(prepared):
            self.stdout.write(line)
