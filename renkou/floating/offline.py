"""Messages for areas without a peer server: exported as xlsx for sending by other means,
and their replies imported from xlsx the same way.

The export holds every message waiting as "no peer": its id, kind, areas, person (the
identity number in full: the receiving office needs it to find the person; the export is
audited) and content. A reply comes back as one row per answered message: ``in_reply_to``
(the id of the message answered), ``outcome`` and, for corrections, ``correct_<field>``
columns; ``message_id`` may be left empty (it is then made from ``in_reply_to``, so the
same file imported twice stores each reply once). A file with a bad row is refused whole,
each problem naming the file, row, column and reason in Chinese and English.
"""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.core.cells import workbook, write_row
from renkou.core.problems import InputRefused, Problem
from renkou.core.spreadsheets import SheetReadError, workbook_rows
from renkou.floating.models import Message, MessageKind, OutboxItem, OutboxState, ReplyOutcome
from renkou.floating.services import MessageRefused
from renkou.floating.wire import message_receive, message_wire

EXPORT_COLUMNS = [
    "message_id",
    "kind",
    "from",
    "to",
    "in_reply_to",
    "event_date",
    "deadline_days",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "hukou",
    "residence",
    "questions",
    "note",
]
CORRECTABLE = ("name", "sex", "birth_date", "ethnicity", "id_number", "hukou_type")
REPLY_COLUMNS = [
    "message_id",
    "in_reply_to",
    "outcome",
    "note",
    *(f"correct_{f}" for f in CORRECTABLE),
]
REASONS: dict[str, tuple[str, str]] = {
    "column_missing": ("缺少必需的列 {value}", "required column {value} is missing"),
    "required": ("必填项为空", "a required value is empty"),
    "bad_id": ("信息编号 {value} 格式错误", "message id {value} is malformed"),
    "unknown": (
        "本服务器没有发往外地、等待反馈的信息 {value}",
        "no message {value} sent from here waits for a reply",
    ),
    "bad_outcome": (
        "结论 {value} 无效（应为 confirmed、corrected 或 not_registered）",
        "outcome {value} is not confirmed, corrected or not_registered",
    ),
    "no_corrections": ("结论为更正，但没有更正内容", "the outcome is corrected but nothing is"),
    "twice": ("{value} 在文件中重复", "{value} appears more than once in the file"),
    "unreadable": ("文件无法读取：{value}", "the file cannot be read: {value}"),
}


def _problem(name: str, row: int, column: str, code: str, value: object = "") -> Problem:
    zh, en = REASONS[code]
    text = str(value)
    return Problem(
        file=name,
        row=row,
        column=column,
        value=text,
        code=code,
        message_zh=zh.format(value=text),
        message_en=en.format(value=text),
    )


def no_peer_export(*, actor: Any) -> tuple[bytes, int]:
    """The messages waiting as "no peer", as xlsx bytes, and how many (audited)."""
    items = list(
        OutboxItem.objects.filter(state=OutboxState.NO_PEER)
        .select_related("message")
        .order_by("pk")
    )
    out = io.BytesIO()
    book = workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("messages")
    write_row(sheet, 0, 0, EXPORT_COLUMNS)
    for n, item in enumerate(items, start=1):
        wire = message_wire(item.message)
        person = wire["person"]
        body = wire["body"] or {}
        write_row(
            sheet,
            n,
            0,
            [
                wire["message_id"],
                wire["kind"],
                wire["from"],
                wire["to"],
                wire["in_reply_to"] or "",
                wire["event_date"] or "",
                wire["deadline_days"],
                person["id_number"],
                person["name"],
                person["sex"],
                person["birth_date"],
                person["hukou"],
                person["residence"],
                ",".join(body.get("questions") or []),
                body.get("note", ""),
            ],
        )
    book.close()
    now = timezone.now()
    OutboxItem.objects.filter(pk__in=[i.pk for i in items]).update(exported_at=now)
    audit_record(
        actor=actor,
        action="floating.no_peer_export",
        object_type="floating_message",
        after={"messages": len(items)},
    )
    return out.getvalue(), len(items)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()[:10]
    return str(value).strip()


def _rows(raw: bytes, name: str) -> list[dict[str, str]]:
    try:
        rows = workbook_rows(raw, name)
    except (SheetReadError, ValueError) as exc:
        raise InputRefused([_problem(name, 0, "", "unreadable", exc)]) from None
    if not rows:
        raise InputRefused([_problem(name, 0, "", "required")])
    header = [_text(c) for c in rows[0]]
    missing = [c for c in ("in_reply_to", "outcome") if c not in header]
    if missing:
        raise InputRefused([_problem(name, 1, c, "column_missing", c) for c in missing])
    return [
        dict(zip(header, [_text(c) for c in row], strict=False))
        for row in rows[1:]
        if any(_text(c) for c in row)
    ]


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _reply_wire(
    name: str, number: int, row: dict[str, str], problems: list[Problem]
) -> dict[str, Any] | None:
    """The reply a row gives, as it would come from a peer; None (problems added) if bad."""
    before = len(problems)
    answered_id = _uuid(row.get("in_reply_to", ""))
    if not row.get("in_reply_to"):
        problems.append(_problem(name, number, "in_reply_to", "required"))
    elif answered_id is None:
        problems.append(_problem(name, number, "in_reply_to", "bad_id", row["in_reply_to"]))
    own_id = _uuid(row["message_id"]) if row.get("message_id") else None
    if row.get("message_id") and own_id is None:
        problems.append(_problem(name, number, "message_id", "bad_id", row["message_id"]))
    outcome = row.get("outcome", "")
    if outcome not in ReplyOutcome.values:
        problems.append(_problem(name, number, "outcome", "bad_outcome", outcome))
    corrections = {f: row[f"correct_{f}"] for f in CORRECTABLE if row.get(f"correct_{f}")}
    if outcome == ReplyOutcome.CORRECTED and not corrections:
        problems.append(_problem(name, number, "correct_name", "no_corrections"))
    answered = None
    if answered_id is not None:
        answered = (
            Message.objects.filter(
                message_id=answered_id,
                kind__in=[MessageKind.NOTICE, MessageKind.REQUEST],
                outbox__isnull=False,
            )
            .distinct()
            .first()
        )
        if answered is None:
            problems.append(_problem(name, number, "in_reply_to", "unknown", answered_id))
    if len(problems) > before or answered is None:
        return None
    wire = message_wire(answered)
    return {
        **wire,
        "message_id": str(own_id or uuid.uuid5(uuid.NAMESPACE_URL, f"renkou:reply:{answered_id}")),
        "kind": MessageKind.REPLY,
        "from": answered.receiver_area,
        "to": answered.sender_area,
        "in_reply_to": str(answered_id),
        "deadline_days": None,
        "event_date": None,
        "outcome": outcome,
        "body": {
            "corrections": corrections if outcome == ReplyOutcome.CORRECTED else {},
            "note": row.get("note", "")[:500],
        },
    }


def replies_import(*, raw: bytes, name: str, actor: Any) -> dict[str, int]:
    """Store the replies of an xlsx, all or nothing; the counts stored now and already
    here. ``InputRefused`` names every bad row's file, row, column and reason."""
    rows = _rows(raw, name)
    problems: list[Problem] = []
    wires: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        key = row.get("in_reply_to", "")
        if key and key in seen:
            problems.append(_problem(name, number, "in_reply_to", "twice", key))
            continue
        seen[key] = number
        wire = _reply_wire(name, number, row, problems)
        if wire is not None:
            wires.append((number, wire))
    if problems:
        raise InputRefused(problems)
    counts = {"stored": 0, "duplicate": 0}
    with transaction.atomic():
        for number, wire in wires:
            try:
                _message, stored = message_receive(wire=wire, actor=actor)
            except MessageRefused as refused:
                problems += [
                    Problem(name, number, p.column, p.value, p.code, p.message_zh, p.message_en)
                    for p in refused.problems
                ]
                continue
            counts["stored" if stored else "duplicate"] += 1
        if problems:
            raise InputRefused(problems)  # rolls back what this file stored
        audit_record(
            actor=actor,
            action="floating.reply_import",
            object_type="floating_message",
            after={"file": name, **counts},
        )
    return counts
