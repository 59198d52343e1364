"""``renkou keys rotate`` re-encrypts every ciphertext the installation stores, not only the
register's identity numbers: bank accounts, objectors' names and contacts, roster rows."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from renkou.benefits.models import BankAccount, Cycle, Decision, Objection
from renkou.benefits.services import bank_account_set
from renkou.core import crypto
from renkou.core.tokens import ROTATED_ELSEWHERE, TOKEN_FIELDS, token_columns, tokens_by_key
from renkou.orgunits.models import OrgUnit
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from tests.builders import COUNTY, small_county, today

ACCOUNT = "6230000011112223"


def test_every_ciphertext_column_is_rotated() -> None:
    # a model that gains a *_enc column must be listed in renkou/core/tokens.py, or keys
    # rotate would leave its tokens under a key the office means to retire
    assert token_columns() == {**TOKEN_FIELDS, **ROTATED_ELSEWHERE}


@pytest.mark.django_db
def test_rotate_re_encrypts_accounts_and_objectors(tmp_path: Path) -> None:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    father = Person.objects.get(person_ref="P1")
    bank_account_set(person=father, bank="农商银行", account=ACCOUNT, actor="test", today=today())
    cycle = Cycle.objects.create(
        programme="rural_reward", year=2025, orgunit=OrgUnit.objects.get(code=COUNTY)
    )
    decision = Decision.objects.create(cycle=cycle, person=father, outcome="eligible", amount=0)
    Objection.objects.create(
        decision=decision,
        objector_name_enc=crypto.encrypt("王五"),
        objector_contact_enc=crypto.encrypt("13800001111"),
        objector_contact_masked="138****1111",
        text="不符合",
        raised_on=datetime.date(2025, 1, 2),
    )
    old = crypto.default_protector().primary_key_id
    assert tokens_by_key() == {old: 3}
    with override_settings(
        RENKOU_ENCRYPTION_KEYS=crypto.add_new_key(settings.RENKOU_ENCRYPTION_KEYS)
    ):
        new = crypto.default_protector().primary_key_id
        call_command("keys", "rotate")
        assert tokens_by_key() == {new: 3}
        assert crypto.decrypt(BankAccount.objects.get().account_enc) == ACCOUNT
        objection = Objection.objects.get()
        assert crypto.decrypt(objection.objector_name_enc) == "王五"
        assert crypto.decrypt(objection.objector_contact_enc) == "13800001111"
        call_command("keys", "rotate")  # nothing left: safe again
        assert tokens_by_key() == {new: 3}
