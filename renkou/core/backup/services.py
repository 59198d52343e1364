"""Making a backup, checking one, and restoring it (the only writers of backups)."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.core.backup import postgres
from renkou.core.backup.manifest import (
    DATABASE_FILES,
    FILES_DIR,
    KEPT_DIRS,
    BackupRefused,
    backup_files,
    manifest_read,
    manifest_write,
)
from renkou.core.backup.sqlite import sqlite_copy, sqlite_replace, sqlite_rows
from renkou.core.files import fsync_directory
from renkou.core.keycheck import KeysDoNotFit, keys_check, keys_fit
from renkou.core.keyfile import Keys, keys_install

# The tables whose row counts the manifest names: the register and what surrounds it.
MAIN_TABLES = {
    "persons": "registry.Person",
    "households": "registry.Household",
    "events": "registry.Event",
    "change_reports": "registry.ChangeReport",
    "audit_log": "core.AuditLog",
    "org_units": "orgunits.OrgUnit",
    "users": "auth.User",
    "roster_imports": "exchange.RosterImport",
    "quality_findings": "quality.Finding",
    "benefit_decisions": "benefits.Decision",
    "benefit_payments": "benefits.Payment",
}
# Rebuilt by renkou from the database, so removed on restore: a statistics snapshot newer
# than the restored events would count events the register no longer holds.
REBUILT_DIRS = ("analytics/snapshot",)


def _tables() -> dict[str, str]:
    return {name: apps.get_model(label)._meta.db_table for name, label in MAIN_TABLES.items()}


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupRefused(
            f"renkou backs up SQLite and PostgreSQL, not {vendor}.",
            f"renkou 只能备份 SQLite 和 PostgreSQL，不支持 {vendor}。",
        )
    return vendor


def _latest(migrations: list[tuple[str, str]]) -> dict[str, str]:
    """The latest applied migration of each app (migration names sort by their number)."""
    latest: dict[str, str] = {}
    for app, name in sorted(migrations):
        latest[app] = name
    return latest


def _owner_only_tree(root: Path) -> None:
    """Directories 0700 and files 0600 under ``root``, each file made durable."""
    os.chmod(root, 0o700)
    for path in root.rglob("*"):
        if path.is_dir():
            os.chmod(path, 0o700)
        else:
            os.chmod(path, 0o600)
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def _copy_sqlite(target: Path) -> dict[str, Any]:
    source = Path(connection.settings_dict["NAME"])
    if not source.is_file():
        raise BackupRefused(f"No database at {source}.", f"{source} 处没有数据库。")
    sqlite_copy(source, target)
    counts = {
        name: sqlite_rows(target, f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608 (our tables)
        for name, table in _tables().items()
    }
    migrations = sqlite_rows(target, "SELECT app, name FROM django_migrations")
    check = sqlite_rows(target, "SELECT blind_index_check FROM core_keycheck")
    return {
        "schema": _latest([(a, n) for a, n in migrations]),
        "row_counts": counts,
        "key_fingerprint": check[0][0] if check else "",
    }


def _copy_postgres(target: Path) -> dict[str, Any]:
    """pg_dump of one exported snapshot, the counts read in that same snapshot."""
    import psycopg

    params = postgres.libpq_params(connection.settings_dict)
    with psycopg.connect(**params) as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]

        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = rows("SELECT pg_export_snapshot()")[0][0]
        counts = {
            name: rows(f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608 (our tables)
            for name, table in _tables().items()
        }
        migrations = rows("SELECT app, name FROM django_migrations")
        check = rows("SELECT blind_index_check FROM core_keycheck")
        postgres.pg_dump(params, target, snapshot=snapshot)
        conn.rollback()
    return {
        "schema": _latest([(a, n) for a, n in migrations]),
        "row_counts": counts,
        "key_fingerprint": check[0][0] if check else "",
    }


def _copy_files(data_dir: Path, target: Path) -> list[str]:
    """The data directory's directories worth keeping, copied under ``target``."""
    kept = []
    for name in KEPT_DIRS:
        source = data_dir / name
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(
                source, target / name, ignore=shutil.ignore_patterns(".*"), symlinks=True
            )
            kept.append(name)
    return kept


def backup_create(*, out: Path, actor: Any, data_dir: Path | None = None) -> dict[str, Any]:
    """Write a backup of the configured database and the data directory's files worth
    keeping to the new directory ``out``; returns its manifest. Audited."""
    vendor = _vendor()
    data_dir = Path(data_dir or settings.DATA_DIR)
    out = out.absolute()
    if out.exists():
        raise BackupRefused(
            f"{out} exists: a backup is written to a new directory. Nothing was written.",
            f"{out} 已存在：备份须写入新目录。未写入任何内容。",
        )
    from renkou.core.models import KeyCheck

    if not KeyCheck.objects.exists():
        keys_check()  # a database from before the check: store it, so the backup names it
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    work = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
    work.mkdir(mode=0o700)
    try:
        started = datetime.datetime.now(datetime.UTC)
        database = work / DATABASE_FILES[vendor]
        facts = _copy_sqlite(database) if vendor == "sqlite" else _copy_postgres(database)
        kept = _copy_files(data_dir, work / FILES_DIR)
        _owner_only_tree(work)
        manifest = manifest_write(
            work,
            {
                "renkou_version": importlib.metadata.version("renkou"),
                "created_at": started.isoformat().replace("+00:00", "Z"),
                "vendor": vendor,
                "database_file": database.name,
                **facts,
                "kept_dirs": kept,
            },
        )
        os.replace(work, out)
        fsync_directory(out.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    audit_record(
        actor=actor,
        action="backup.create",
        object_type="backup",
        object_id=out.name,
        after={
            "path": str(out),
            "vendor": vendor,
            "row_counts": manifest["row_counts"],
            "bytes": sum(f["bytes"] for f in manifest["files"].values()),
        },
    )
    return manifest


def _backup_state(backup: Path, vendor: str) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The applied migrations and the key check row, read from the backup's database."""
    database = backup / DATABASE_FILES[vendor]
    if vendor == "sqlite":
        migrations = [
            (a, n) for a, n in sqlite_rows(database, "SELECT app, name FROM django_migrations")
        ]
        rows = sqlite_rows(
            database, "SELECT blind_index_check, encryption_check FROM core_keycheck"
        )
        check = {"blind_index_check": rows[0][0], "encryption_check": rows[0][1]} if rows else {}
        return migrations, check
    applied = postgres.pg_table_rows(database, "django_migrations")
    checks = postgres.pg_table_rows(database, "core_keycheck")
    return [(r["app"] or "", r["name"] or "") for r in applied], (checks[0] if checks else {})


def backup_check(*, backup: Path, protector: crypto.Protector | None = None) -> dict[str, Any]:
    """Check a backup before anything is replaced: its checksums, its database vendor, a
    schema not newer than this code's, and keys that fit it. Returns the manifest with
    ``pending``, this code's migrations the backup has not applied."""
    manifest = manifest_read(backup)
    vendor = _vendor()
    if manifest.get("vendor") != vendor or manifest.get("database_file") != DATABASE_FILES[vendor]:
        raise BackupRefused(
            f"This backup is of a {manifest.get('vendor')} database; renkou is configured for "
            f"{vendor} (RENKOU_DATABASE_URL). Nothing was replaced.",
            f"该备份来自 {manifest.get('vendor')} 数据库，而 renkou 当前配置为 {vendor}"
            "（RENKOU_DATABASE_URL）。未作任何替换。",
        )
    migrations, check = _backup_state(backup, vendor)
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = sorted(set(migrations) - known)
    if newer:
        names = ", ".join(f"{a}.{n}" for a, n in newer[:5])
        raise BackupRefused(
            f"The backup was made by a newer renkou (version {manifest.get('renkou_version')}): "
            f"its database has migrations this code lacks ({names}). Install that version or "
            "a later one, then restore. Nothing was replaced.",
            f"该备份由较新版本的 renkou（{manifest.get('renkou_version')}）生成：其数据库含有本程序"
            f"没有的迁移（{names}）。请安装该版本或更新版本后再恢复。未作任何替换。",
        )
    if not check or check.get("blind_index_check") != manifest.get("key_fingerprint"):
        raise BackupRefused(
            "The backup's key fingerprint does not match its database. Use another backup. "
            "Nothing was replaced.",
            "备份的密钥指纹与其数据库不符。请换用其他备份。未作任何替换。",
        )
    try:
        keys_fit(
            protector or crypto.default_protector(),
            blind_index_check=str(check["blind_index_check"]),
            encryption_check=str(check["encryption_check"]),
        )
    except KeysDoNotFit as exc:
        raise BackupRefused(
            f"The keys in place do not fit this backup: {exc.reason}. Give the keys exported "
            "from the server the backup was made on (renkou keys export): `renkou restore "
            f"{backup} --keys FILE` puts them in place with the database. Nothing was replaced.",
            f"当前密钥与该备份不符：{exc.reason_zh}。请提供备份来源服务器导出的密钥（renkou keys "
            f"export）：`renkou restore {backup} --keys 文件` 会将其与数据库一并放回。"
            "未作任何替换。",
        ) from exc
    manifest["pending"] = sorted(known - set(migrations))
    return manifest


def _restore_files(backup: Path, data_dir: Path, kept: list[str]) -> None:
    """Put the backup's kept directories in place of the data directory's (each swapped by
    renames), and remove what renkou rebuilds."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in kept:
        source = backup / FILES_DIR / name
        if not source.is_dir():
            continue
        token = secrets.token_hex(4)
        incoming, outgoing = (
            data_dir / f".{name}.restore-{token}",
            data_dir / f".{name}.old-{token}",
        )
        shutil.copytree(source, incoming, symlinks=True)
        _owner_only_tree(incoming)
        target = data_dir / name
        if target.exists():
            os.replace(target, outgoing)
        os.replace(incoming, target)
        shutil.rmtree(outgoing, ignore_errors=True)
    for name in REBUILT_DIRS:
        shutil.rmtree(data_dir / name, ignore_errors=True)
    fsync_directory(data_dir)


def backup_restore(
    *, backup: Path, actor: Any, keys: Keys | None = None, data_dir: Path | None = None
) -> dict[str, Any]:
    """Replace the configured database (and the kept files) by the backup's, after
    ``backup_check``; with ``keys`` (read from ``renkou keys export``'s file) the keys are
    checked against the backup and put into the data directory too. Migrates forward a
    backup of an older schema. Audited in the restored database."""
    data_dir = Path(data_dir or settings.DATA_DIR)
    if keys is not None and (
        os.environ.get("RENKOU_ENCRYPTION_KEYS") or os.environ.get("RENKOU_BLIND_INDEX_KEY")
    ):
        raise BackupRefused(
            "RENKOU_ENCRYPTION_KEYS / RENKOU_BLIND_INDEX_KEY are set and would take precedence "
            "over the keys given with --keys: unset them first. Nothing was replaced.",
            "已设置 RENKOU_ENCRYPTION_KEYS / RENKOU_BLIND_INDEX_KEY，其优先于 --keys 给出的密钥："
            "请先取消设置。未作任何替换。",
        )
    protector = (
        crypto.Protector(keys.encryption_keys, keys.blind_index_key) if keys else None
    ) or crypto.default_protector()
    manifest = backup_check(backup=backup, protector=protector)
    database = backup / manifest["database_file"]
    vendor = manifest["vendor"]
    connections.close_all()
    if vendor == "sqlite":
        sqlite_replace(database, Path(connection.settings_dict["NAME"]))
    else:
        params = postgres.libpq_params(connection.settings_dict)
        others = postgres.pg_other_sessions(params)
        if others:
            raise BackupRefused(
                f"{others} other sessions are connected to the database {params.get('dbname')} "
                "(renkou serve, renkou worker?). Stop them, then restore again. Nothing was "
                "replaced.",
                f"另有 {others} 个会话连接着数据库 {params.get('dbname')}（renkou serve、renkou "
                "worker？）。请先停止它们，再重新恢复。未作任何替换。",
            )
        postgres.pg_restore(params, database)
    if keys is not None:
        keys_install(keys, data_dir)
    _restore_files(backup, data_dir, list(manifest.get("kept_dirs", [])))
    if manifest["pending"]:
        call_command("migrate", interactive=False, verbosity=0)
    keys_check(protector)
    audit_record(
        actor=actor,
        action="backup.restore",
        object_type="backup",
        object_id=backup.name,
        after={
            "path": str(backup.absolute()),
            "created_at": manifest.get("created_at"),
            "vendor": vendor,
            "row_counts": manifest.get("row_counts"),
            "migrated": [f"{a}.{n}" for a, n in manifest["pending"]],
            "keys_put_back": keys is not None,
        },
    )
    return manifest


def backup_size(backup: Path) -> int:
    """The bytes of a backup's files."""
    return sum(p.stat().st_size for p in backup_files(backup))
