"""The audit log's hash chain detects altered and removed rows."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from renkou.core.audit import audit_record, audit_verify
from renkou.core.models import AppendOnlyError, AuditLog

pytestmark = pytest.mark.django_db


def make_rows(n: int = 4) -> list[AuditLog]:
    return [
        audit_record(
            actor="test",
            action="thing.do",
            object_type="thing",
            object_id=i,
            before={"v": i},
            after={"v": i + 1, "when": "2024-01-01"},
        )
        for i in range(n)
    ]


def test_intact_chain_verifies() -> None:
    rows = make_rows()
    assert rows[1].prev_hash == rows[0].hash
    assert list(audit_verify()) == []
    call_command("audit", "verify")


def tamper(sql: str, params: list[object]) -> None:
    """Change the table as someone with direct database access would: guards removed."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")  # triggers off
        else:
            cur.execute("DROP TRIGGER core_auditlog_no_update")
        cur.execute(sql, params)


def test_the_application_cannot_change_or_remove_rows() -> None:
    rows = make_rows()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=rows[0].pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=rows[0].pk).delete()
    row = AuditLog.objects.get(pk=rows[0].pk)
    row.reason = "x"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert list(audit_verify()) == []


def test_the_database_refuses_updates_and_postgres_refuses_deletes() -> None:
    rows = make_rows()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE core_auditlog SET reason = 'x' WHERE id = %s", [rows[0].pk])
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute("DELETE FROM core_auditlog WHERE id = %s", [rows[0].pk])
    assert AuditLog.objects.get(pk=rows[0].pk).reason == ""


def test_altered_row_is_detected() -> None:
    rows = make_rows()
    tamper("UPDATE core_auditlog SET after = %s WHERE id = %s", ['{"v": 99}', rows[2].pk])
    problems = list(audit_verify())
    assert [(p.row_id, "altered" in p.reason) for p in problems] == [(rows[2].pk, True)]
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_removed_row_is_detected() -> None:
    rows = make_rows()
    tamper("DELETE FROM core_auditlog WHERE id = %s", [rows[1].pk])
    assert [p.row_id for p in audit_verify()] == [rows[2].pk]
