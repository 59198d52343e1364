"""Every stored ciphertext column outside the register, re-encrypted under the newest key by
``renkou keys rotate`` (the register's identity numbers, which their events repeat, are
``registry.keyrotation``'s).

A column holding a token of ``crypto.encrypt`` is named ``*_enc`` and listed here; a test
(tests/core/test_tokens.py) fails when a model gains such a column this list lacks, so that
no ciphertext stays under a key an office means to retire.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.apps import apps
from django.db import transaction

from renkou.core import crypto
from renkou.core.audit import audit_record

BATCH = 5000

# model label -> its token columns; registry.person and registry.event are rotated together
# by registry.keyrotation (a person's token and its events' copies stay identical)
TOKEN_FIELDS: dict[str, tuple[str, ...]] = {
    "benefits.bankaccount": ("account_enc",),
    "benefits.objection": ("objector_name_enc", "objector_contact_enc"),
    "exchange.rosterrow": ("original_enc",),
    "exchange.quarantinedrow": ("original_enc",),
    "cases.case": ("petitioner_name_enc", "petitioner_phone_enc"),
    "floating.peer": ("their_token_enc",),
    "health.servicestep": ("result_enc",),
}
ROTATED_ELSEWHERE = {"registry.person": ("id_number_enc", "phone_enc")}


def token_columns() -> dict[str, tuple[str, ...]]:
    """Every ``*_enc`` text column of every installed model, by model label."""
    found: dict[str, tuple[str, ...]] = {}
    for model in apps.get_models():
        names = tuple(
            f.name
            for f in model._meta.concrete_fields
            if f.name.endswith("_enc") and f.get_internal_type() == "TextField"
        )
        if names:
            found[model._meta.label_lower] = names
    return found


def tokens_rotate(*, actor: Any) -> dict[str, int]:
    """Re-encrypt every token of ``TOKEN_FIELDS`` not under the newest key, a batch per
    transaction (resumable: a token already rotated is left alone). Returns the rows
    changed per model label."""
    protector = crypto.default_protector()
    done: dict[str, int] = {}
    for label, fields in TOKEN_FIELDS.items():
        model = apps.get_model(label)
        last, changed_total = 0, 0
        while rows := list(
            model.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:BATCH]
        ):
            last = rows[-1][0]
            changed = []
            for pk, *tokens in rows:
                new = {
                    f: protector.reencrypt(t)
                    for f, t in zip(fields, tokens, strict=True)
                    if t and protector.needs_rotation(t)
                }
                if new:
                    changed.append((pk, new))
            with transaction.atomic():
                for pk, new in changed:
                    model.objects.filter(pk=pk).update(**new)
                if changed:
                    audit_record(
                        actor=actor,
                        action="keys.rotate",
                        object_type=label,
                        after={"first": changed[0][0], "last": changed[-1][0], "n": len(changed)},
                    )
            changed_total += len(changed)
        done[label] = changed_total
    return done


def tokens_by_key() -> dict[str, int]:
    """How many tokens of ``TOKEN_FIELDS`` are under each key id."""
    counts: Counter[str] = Counter()
    for label, fields in TOKEN_FIELDS.items():
        model = apps.get_model(label)
        for row in model.objects.values_list(*fields).iterator():
            counts.update(t.partition("$")[0] for t in row if t)
    return dict(counts)
