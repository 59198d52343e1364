"""The audit log's hash chain detects altered and removed rows."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.core.audit import audit_record, audit_verify
from renkou.core.models import AuditLog

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


def test_altered_row_is_detected() -> None:
    rows = make_rows()
    AuditLog.objects.filter(pk=rows[2].pk).update(after={"v": 99})
    problems = list(audit_verify())
    assert [(p.row_id, "altered" in p.reason) for p in problems] == [(rows[2].pk, True)]
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_removed_row_is_detected() -> None:
    rows = make_rows()
    AuditLog.objects.filter(pk=rows[1].pk).delete()
    assert [p.row_id for p in audit_verify()] == [rows[2].pk]
