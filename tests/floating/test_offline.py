"""Messages for an area without a peer server: exported as xlsx, and their replies
imported from xlsx, all or nothing, idempotent, bad rows named by file, row, column."""

from __future__ import annotations

import io
import uuid

import pytest

from renkou.core.cells import workbook, write_row
from renkou.core.models import AuditLog
from renkou.core.problems import InputRefused
from renkou.core.spreadsheets import workbook_rows
from renkou.floating.models import Message, OutboxItem
from renkou.floating.offline import REPLY_COLUMNS, no_peer_export, replies_import
from tests.builders import id_number
from tests.floating.test_outbox import sent_notice

pytestmark = pytest.mark.django_db

HUNAN = "430521"


def xlsx(rows: list[list[object]]) -> bytes:
    out = io.BytesIO()
    book = workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for n, row in enumerate(rows):
        write_row(sheet, n, 0, row)
    book.close()
    return out.getvalue()


def reply_row(in_reply_to: str, outcome: str, **corrections: str) -> list[object]:
    row = dict.fromkeys(REPLY_COLUMNS, "")
    row.update(in_reply_to=in_reply_to, outcome=outcome)
    row.update({f"correct_{k}": v for k, v in corrections.items()})
    return list(row.values())


def test_the_messages_without_a_peer_are_exported_with_their_person(county: None) -> None:
    notice = sent_notice(1, region=HUNAN)
    data, n = no_peer_export(actor="test")
    rows = workbook_rows(data, "out.xlsx")
    assert n == 1 and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["message_id"] == str(notice.message_id) and row["kind"] == "notice"
    assert row["to"] == HUNAN and row["name"] == "王1"
    birth = notice.person_data["birth_date"]
    assert row["id_number"] == id_number(birth, 1, region=HUNAN)  # in full: to find the person
    assert OutboxItem.objects.get().exported_at is not None
    assert AuditLog.objects.get(action="floating.no_peer_export").after == {"messages": 1}


def test_replies_are_imported_once_and_answer_their_messages(county: None) -> None:
    first, second = sent_notice(1, region=HUNAN), sent_notice(3, region=HUNAN)
    data = xlsx(
        [
            REPLY_COLUMNS,
            reply_row(str(first.message_id), "confirmed"),
            reply_row(str(second.message_id), "corrected", name="王叁"),
        ]
    )
    assert replies_import(raw=data, name="replies.xlsx", actor="test") == {
        "stored": 2,
        "duplicate": 0,
    }
    first.refresh_from_db()
    assert first.state == "answered"
    corrected = Message.objects.get(in_reply_to=second.message_id)
    assert corrected.outcome == "corrected" and corrected.body["corrections"] == {"name": "王叁"}
    assert corrected.state == "sent"  # to review: the register is not written
    assert corrected.person.name == "王3"
    # the same file again: nothing new
    again = replies_import(raw=data, name="replies.xlsx", actor="test")
    assert again == {"stored": 0, "duplicate": 2}
    assert Message.objects.filter(kind="reply").count() == 2


def test_a_file_with_a_bad_row_is_refused_whole_naming_each_problem(county: None) -> None:
    good = sent_notice(1, region=HUNAN)
    data = xlsx(
        [
            REPLY_COLUMNS,
            reply_row(str(good.message_id), "confirmed"),
            reply_row(str(uuid.uuid4()), "maybe"),
            reply_row("not-an-id", "corrected"),
        ]
    )
    with pytest.raises(InputRefused) as refused:
        replies_import(raw=data, name="replies.xlsx", actor="test")
    found = [(p.file, p.row, p.column, p.code) for p in refused.value.problems]
    assert found == [
        ("replies.xlsx", 3, "outcome", "bad_outcome"),
        ("replies.xlsx", 3, "in_reply_to", "unknown"),
        ("replies.xlsx", 4, "in_reply_to", "bad_id"),
        ("replies.xlsx", 4, "correct_name", "no_corrections"),
    ]
    outcome = refused.value.problems[0]
    assert "maybe" in outcome.message_zh and "结论" in outcome.message_zh
    assert "outcome maybe" in outcome.message_en
    assert not Message.objects.filter(kind="reply").exists()  # not even the good row's
    # a file without the columns says which are missing
    with pytest.raises(InputRefused) as refused:
        replies_import(raw=xlsx([["x"], ["1"]]), name="r.xlsx", actor="test")
    assert [(p.row, p.column) for p in refused.value.problems] == [
        (1, "in_reply_to"),
        (1, "outcome"),
    ]
