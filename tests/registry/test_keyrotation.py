"""Rotating the encryption key keeps every identity number readable and the state consistent."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from renkou.core import crypto
from renkou.registry.keyrotation import identity_tokens_by_key
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from renkou.registry.rebuild import registry_rebuild
from tests.builders import id_number, small_county, today

pytestmark = pytest.mark.django_db


def test_rotate_moves_every_token_to_the_new_key(tmp_path: Path) -> None:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    old_key_id = crypto.default_protector().primary_key_id
    new_ring = crypto.add_new_key(settings.RENKOU_ENCRYPTION_KEYS)
    with override_settings(RENKOU_ENCRYPTION_KEYS=new_ring):
        new_key_id = crypto.default_protector().primary_key_id
        assert identity_tokens_by_key() == {old_key_id: 5}
        call_command("keys", "rotate")
        assert identity_tokens_by_key() == {new_key_id: 5}
        p1 = Person.objects.get(person_ref="P1")
        assert crypto.decrypt(p1.id_number_enc) == id_number("1990-03-05", 11)
        assert registry_rebuild(fix=False, actor="test").differences == []
        call_command("keys", "rotate")  # nothing left to do: safe to run again
        assert identity_tokens_by_key() == {new_key_id: 5}
