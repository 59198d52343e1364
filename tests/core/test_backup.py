"""Backup and restore (issue 23, item 7): a consistent copy while others write, a manifest
that proves the copy unchanged and names the keys without holding them, and a restore
that checks everything before it replaces anything."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from renkou.core import crypto
from renkou.core.audit import audit_record, audit_verify
from renkou.core.backup import BackupRefused, backup_create, backup_restore
from renkou.core.backup.manifest import checksums
from renkou.core.backup.sqlite import sqlite_copy
from renkou.core.keyfile import Keys, keys_export
from renkou.core.models import AuditLog
from renkou.registry.models import Event, Household, Person

OTHER_BLIND = crypto.generate_key()
PASSPHRASE = "correct horse battery staple"
restoring = pytest.mark.django_db(transaction=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _register() -> dict[str, list[tuple[object, ...]]]:
    """Every column of every person, household and event, in order."""
    return {
        "persons": list(Person.objects.order_by("pk").values_list()),
        "households": list(Household.objects.order_by("pk").values_list()),
        "events": list(Event.objects.order_by("pk").values_list()),
    }


def _database() -> Path:
    return Path(connection.settings_dict["NAME"])


def _unchanged() -> tuple[object, ...]:
    """What a refused restore must leave as it was: the database file itself (a SQLite
    restore renames a new file over it) and what it holds. (Its bytes may change as SQLite
    moves WAL pages into it.)"""
    inode = _database().stat().st_ino if connection.vendor == "sqlite" else None
    return inode, AuditLog.objects.count(), _register()


def _rewrite_manifest(backup: Path) -> None:
    """Recompute the manifest's checksums, as someone altering a backup on purpose would."""
    path = backup / "manifest.json"
    body = json.loads(path.read_text())
    body["files"] = checksums(backup)
    path.write_text(json.dumps(body))


def test_a_copy_taken_while_another_connection_writes_is_consistent(tmp_path: Path) -> None:
    source = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(source)
    conn.executescript(
        "PRAGMA journal_mode=WAL; CREATE TABLE item (batch INTEGER, pad BLOB);"
        "CREATE TABLE total (n INTEGER); INSERT INTO total VALUES (0);"
    )
    conn.executemany("INSERT INTO item VALUES (0, randomblob(400))", [()] * 20000)
    conn.execute("UPDATE total SET n = 20000")
    conn.commit()
    stop, batches, failed = threading.Event(), [0], []

    def write() -> None:
        # Each transaction adds 50 rows of one batch and the total: a copy that caught
        # half a transaction would show a batch short of 50 or a total that differs.
        writer = sqlite3.connect(source, timeout=20)
        try:
            while not stop.is_set():
                with writer:
                    writer.executemany(
                        "INSERT INTO item VALUES (?, randomblob(400))", [(batches[0] + 1,)] * 50
                    )
                    writer.execute("UPDATE total SET n = n + 50")
                batches[0] += 1
        except sqlite3.Error as exc:
            failed.append(exc)
        finally:
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while batches[0] < 5 and not failed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert batches[0] >= 5 and not failed, failed
        before = batches[0]
        sqlite_copy(source, tmp_path / "copy.sqlite3")
        during = batches[0] - before
    finally:
        stop.set()
        thread.join()
    assert during > 0 and not failed  # the writer went on while the copy was taken
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    (total,) = copy.execute("SELECT n FROM total").fetchone()
    assert copy.execute("SELECT count(*) FROM item").fetchone() == (total,)
    short = copy.execute(
        "SELECT count(*) FROM (SELECT batch FROM item WHERE batch > 0 "
        "GROUP BY batch HAVING count(*) <> 50)"
    ).fetchone()
    assert short == (0,)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    assert _mode(tmp_path / "copy.sqlite3") == 0o600
    live = sqlite3.connect(source).execute("SELECT n FROM total").fetchone()[0]
    assert live > total  # later writes are not in the copy


@restoring
def test_backup_and_restore_give_back_the_register_and_the_kept_files(
    county: None, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "reports" / "t1").mkdir(parents=True)
    (data / "reports" / "t1" / "forms.xlsx").write_bytes(b"the published forms")
    (data / "reports" / "t1" / ".forms.xlsx.tmp").write_bytes(b"half written")
    (data / "analytics" / "snapshot").mkdir(parents=True)
    (data / "analytics" / "snapshot" / "manifest.json").write_text('{"last_seq": 99}')
    (data / "encryption_keys").write_text(settings.RENKOU_ENCRYPTION_KEYS)
    register = _register()
    assert register["persons"] and register["events"]
    backup = tmp_path / "backups" / "one"

    manifest = backup_create(out=backup, actor="test", data_dir=data)

    counts = manifest["row_counts"]
    assert counts["persons"] == len(register["persons"])
    assert counts["households"] == len(register["households"])
    assert counts["events"] == len(register["events"])
    assert counts["audit_log"] == AuditLog.objects.count() - 1  # the backup's own row is after
    assert manifest["vendor"] == connection.vendor
    assert manifest["schema"]["core"] == "0006_keycheck" or manifest["schema"]["core"] > "0006"
    assert manifest["key_fingerprint"] == crypto.default_protector().blind_index(
        "renkou key check", domain="keycheck"
    )
    assert sorted(manifest["files"]) == sorted(
        [manifest["database_file"], "files/reports/t1/forms.xlsx"]
    )
    assert AuditLog.objects.order_by("-id").first().action == "backup.create"
    with pytest.raises(BackupRefused, match="exists"):
        backup_create(out=backup, actor="test", data_dir=data)  # never over another backup
    # No keys in it, in any file, in any form they are written in.
    secrets = [k.split(":", 1)[1] for k in settings.RENKOU_ENCRYPTION_KEYS.split(",")]
    secrets.append(settings.RENKOU_BLIND_INDEX_KEY)
    for path in backup.rglob("*"):
        if path.is_file():
            assert _mode(path) == 0o600, path
            content = path.read_bytes()
            assert not any(s.encode() in content for s in secrets), path
        else:
            assert _mode(path) == 0o700, path
    assert _mode(backup) == 0o700

    # Later work, then the restore brings back the register as it was.
    Person.objects.filter(pk=register["persons"][0][0]).update(name="改名")
    Event.objects.filter(pk=register["events"][-1][0]).delete()
    audit_record(actor="test", action="person.update", object_type="person", object_id=1)
    (data / "reports" / "t1" / "forms.xlsx").write_bytes(b"made again, different")
    (data / "reports" / "t2").mkdir()

    backup_restore(backup=backup, actor="test", data_dir=data)

    assert _register() == register
    assert not list(audit_verify())
    assert AuditLog.objects.order_by("-id").first().action == "backup.restore"
    assert AuditLog.objects.count() == counts["audit_log"] + 1
    assert (data / "reports" / "t1" / "forms.xlsx").read_bytes() == b"the published forms"
    assert not (data / "reports" / "t2").exists()
    assert not (data / "analytics" / "snapshot").exists()  # rebuilt from the events
    assert (data / "encryption_keys").exists()  # keys are not the backup's business
    assert not [p for p in _database().parent.iterdir() if ".restore-" in p.name]


@restoring
def test_restore_is_refused_with_keys_that_do_not_fit_and_nothing_is_replaced(
    county: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    backup = tmp_path / "b"
    backup_create(out=backup, actor="test", data_dir=data)
    keys = Keys(settings.RENKOU_ENCRYPTION_KEYS, settings.RENKOU_BLIND_INDEX_KEY)
    keys_export(keys, PASSPHRASE, tmp_path / "keys.renkou")
    audit_record(actor="test", action="person.update", object_type="person", object_id=1)
    before = _unchanged()
    rows = AuditLog.objects.count()

    with override_settings(RENKOU_BLIND_INDEX_KEY=OTHER_BLIND):
        with pytest.raises(BackupRefused) as caught:
            backup_restore(backup=backup, actor="test", data_dir=data)
        message = str(caught.value)
        assert "do not fit this backup" in message and "当前密钥与该备份不符" in message
        assert "--keys" in message
        assert _unchanged() == before and AuditLog.objects.count() == rows
        assert not (data / "blind_index_key").exists()

        # The keys exported from the backup's server, given with --keys, are put in place.
        monkeypatch.setenv("RENKOU_KEYS_PASSPHRASE", PASSPHRASE)
        call_command("restore", str(backup), "--keys", str(tmp_path / "keys.renkou"), "--yes")
    assert Path(settings.DATA_DIR, "blind_index_key").read_text().strip() == (
        settings.RENKOU_BLIND_INDEX_KEY
    )
    assert AuditLog.objects.count() == rows - 1  # the backup's rows and the restore's
    assert AuditLog.objects.order_by("-id").first().after["keys_put_back"] is True


@restoring
def test_restore_is_refused_on_a_changed_backup_or_a_newer_schema(
    county: None, tmp_path: Path
) -> None:
    backup = tmp_path / "b"
    manifest = backup_create(out=backup, actor="test", data_dir=tmp_path / "data")
    before = _unchanged()
    copy = backup / manifest["database_file"]
    original = copy.read_bytes()

    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 0xFF
    copy.write_bytes(bytes(tampered))
    with pytest.raises(BackupRefused, match="checksum of database") as caught:
        backup_restore(backup=backup, actor="test")
    assert "校验和与清单不符" in str(caught.value)
    copy.write_bytes(original)
    (backup / "extra.txt").write_text("slipped in")
    with pytest.raises(BackupRefused, match=r"does not list: extra\.txt"):
        backup_restore(backup=backup, actor="test")
    (backup / "extra.txt").unlink()
    with pytest.raises(BackupRefused, match="is not a renkou backup"):
        backup_restore(backup=tmp_path / "data", actor="test")
    assert _unchanged() == before

    if connection.vendor != "sqlite":
        return  # the newer schema is planted in a SQLite copy; PostgreSQL reads the same way
    with sqlite3.connect(copy) as planted:
        planted.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('core', '9999_from_the_future', '2030-01-01')"
        )
    planted.close()
    _rewrite_manifest(backup)  # checksums that pass: the schema itself must be refused
    with pytest.raises(BackupRefused, match="newer renkou") as caught:
        backup_restore(backup=backup, actor="test")
    assert "core.9999_from_the_future" in str(caught.value) and "较新版本" in str(caught.value)
    assert _unchanged() == before


@restoring
def test_restore_of_an_older_schema_migrates_forward(tmp_path: Path) -> None:
    call_command("migrate", "notifications", "zero", verbosity=0)
    backup = tmp_path / "b"
    manifest = backup_create(out=backup, actor="test", data_dir=tmp_path / "data")
    assert "notifications" not in manifest["schema"]
    call_command("migrate", verbosity=0)

    restored = backup_restore(backup=backup, actor="test", data_dir=tmp_path / "data")

    assert ("notifications", "0001_initial") in restored["pending"]
    from django.db.migrations.recorder import MigrationRecorder

    assert MigrationRecorder.Migration.objects.filter(app="notifications").exists()
    from renkou.notifications.models import Notification

    assert Notification.objects.count() == 0  # the table is there again


@restoring
def test_restore_refuses_a_database_another_process_holds(tmp_path: Path) -> None:
    backup = tmp_path / "b"
    backup_create(out=backup, actor="test", data_dir=tmp_path / "data")
    before = _unchanged()
    if connection.vendor == "sqlite":  # as the web app or the worker would hold it
        server = sqlite3.connect(_database())
        server.execute("SELECT count(*) FROM core_auditlog").fetchone()
        expected, expected_zh = "in use by another process", "正被其他进程使用"
    else:
        import psycopg

        from renkou.core.backup.postgres import libpq_params

        server = psycopg.connect(**libpq_params(connection.settings_dict))
        expected, expected_zh = "1 other sessions are connected", "另有 1 个会话"
    try:
        with pytest.raises(BackupRefused, match=expected) as caught:
            backup_restore(backup=backup, actor="test")
        assert expected_zh in str(caught.value)
    finally:
        server.close()
    assert _unchanged() == before
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup))  # no terminal to confirm on: refused
    assert _unchanged() == before


@restoring
def test_postgresql_backup_and_restore_round_trip(
    postgres: None, county: None, tmp_path: Path
) -> None:
    register = _register()
    backup = tmp_path / "b"
    call_command("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["vendor"] == "postgresql" and manifest["database_file"] == "database.pgdump"
    assert manifest["row_counts"]["persons"] == len(register["persons"])
    assert _mode(backup / "database.pgdump") == 0o600
    Person.objects.filter(pk=register["persons"][0][0]).update(name="改名")
    Event.objects.filter(pk=register["events"][-1][0]).delete()

    call_command("restore", str(backup), "--yes")

    assert _register() == register
    assert not list(audit_verify())
    assert AuditLog.objects.order_by("-id").first().action == "backup.restore"
    # The audit log's own protection in the database (a trigger) came back with the tables.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditlog SET reason = 'x'")
