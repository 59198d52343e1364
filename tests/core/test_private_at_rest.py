"""Nothing readable that should not be (issue 23, item 6): keys that do not fit the
database are refused with what to do; the keys' own copy is encrypted with a passphrase;
the data directory is the owner's only; a problem never shows a whole identity number."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from renkou.core import crypto
from renkou.core.keycheck import KeysDoNotFit, keys_check
from renkou.core.keyfile import KeyFileError, Keys, keys_export, keys_read
from renkou.core.models import KeyCheck
from renkou.core.problems import write_problems
from tests.builders import id_number, person, small_county, today, write_csv

OTHER_KEYRING = "k9:" + crypto.generate_key()
OTHER_BLIND = crypto.generate_key()
PASSPHRASE = "correct horse battery staple"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.django_db
def test_keys_are_checked_against_the_database() -> None:
    keys_check()  # the first start stores what the keys give
    assert KeyCheck.objects.count() == 1
    keys_check()  # the same keys again: fine
    with (
        override_settings(RENKOU_BLIND_INDEX_KEY=OTHER_BLIND),
        pytest.raises(KeysDoNotFit) as caught,
    ):
        keys_check()
    assert "blind-index key differs" in str(caught.value)
    assert "renkou keys import" in str(caught.value) and "密钥与本数据库不符" in str(caught.value)
    with (
        override_settings(RENKOU_ENCRYPTION_KEYS=OTHER_KEYRING),
        pytest.raises(KeysDoNotFit) as caught,
    ):
        keys_check()
    assert "lacks the key" in str(caught.value)
    # A rotation (a new key first, the old one kept) fits, and moves the check to the new key.
    from django.conf import settings

    rotated = OTHER_KEYRING + "," + settings.RENKOU_ENCRYPTION_KEYS
    with override_settings(RENKOU_ENCRYPTION_KEYS=rotated):
        keys_check()
        assert KeyCheck.objects.get().encryption_check.startswith("k9$")
    assert KeyCheck.objects.count() == 1


@pytest.mark.django_db
def test_a_database_from_before_the_check_is_checked_on_a_stored_number(county) -> None:
    assert not KeyCheck.objects.exists()
    with (
        override_settings(RENKOU_ENCRYPTION_KEYS=OTHER_KEYRING),
        pytest.raises(KeysDoNotFit, match="cannot be decrypted"),
    ):
        keys_check()
    assert not KeyCheck.objects.exists()  # nothing stored for the wrong keys
    keys_check()
    assert KeyCheck.objects.count() == 1


@pytest.mark.django_db
def test_serve_and_the_worker_refuse_keys_that_do_not_fit() -> None:
    keys_check()
    with override_settings(RENKOU_BLIND_INDEX_KEY=OTHER_BLIND):
        for command in ("serve", "worker"):
            with pytest.raises(CommandError, match="not the keys this database was written"):
                call_command(command)


@pytest.mark.django_db
def test_keys_export_and_import(tmp_path, monkeypatch) -> None:
    from django.conf import settings

    monkeypatch.setenv("RENKOU_KEYS_PASSPHRASE", PASSPHRASE)
    exported = tmp_path / "keys.renkou"
    call_command("keys", "export", str(exported))
    assert _mode(exported) == 0o600
    text = exported.read_text()
    assert settings.RENKOU_BLIND_INDEX_KEY not in text  # encrypted, not merely encoded
    with pytest.raises(CommandError, match="exists"):
        call_command("keys", "export", str(exported))  # never replaced
    keys, _check = keys_read(exported, PASSPHRASE)
    assert keys == Keys(settings.RENKOU_ENCRYPTION_KEYS, settings.RENKOU_BLIND_INDEX_KEY)
    with pytest.raises(KeyFileError, match="passphrase is wrong"):
        keys_read(exported, "another passphrase entirely")
    # Put back into a data directory that lost its key files.
    data = tmp_path / "data"
    data.mkdir()
    with override_settings(DATA_DIR=data):
        call_command("keys", "import", str(exported))
    assert (data / "encryption_keys").read_text().strip() == settings.RENKOU_ENCRYPTION_KEYS
    assert (data / "blind_index_key").read_text().strip() == settings.RENKOU_BLIND_INDEX_KEY
    assert _mode(data / "encryption_keys") == _mode(data / "blind_index_key") == 0o600
    # Keys of another database are refused, and nothing is written.
    stranger = tmp_path / "other.renkou"
    keys_export(Keys(OTHER_KEYRING, OTHER_BLIND), PASSPHRASE, stranger)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with override_settings(DATA_DIR=elsewhere), pytest.raises(CommandError, match="not the keys"):
        call_command("keys", "import", str(stranger))
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(KeyFileError, match="too short"):
        keys_export(Keys(OTHER_KEYRING, OTHER_BLIND), "short", tmp_path / "x.renkou")


def test_the_data_directory_and_what_renkou_writes_are_the_owners_only(tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "renkou.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'renkou.settings');"
        "django.setup(); from django.conf import settings;"
        "(settings.DATA_DIR / 'made.txt').write_text('x')"
    )
    env = {**os.environ, "RENKOU_DATA_DIR": str(data)}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("RENKOU_DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert _mode(data) == 0o700
    assert _mode(database) == 0o600
    assert _mode(data / "made.txt") == 0o600  # what renkou writes
    assert _mode(data / "encryption_keys") == _mode(data / "blind_index_key") == 0o600


@pytest.mark.django_db
def test_a_problem_never_shows_a_whole_identity_number(tmp_path) -> None:
    from renkou.registry.loading import registry_load

    directory = small_county(tmp_path / "county")
    wrong = id_number("1980-01-01", 13)
    wrong = wrong[:-1] + ("0" if wrong[-1] != "0" else "1")  # the check character wrong
    dashed = "330122-19800101-0150"
    rows = [
        person("B1", "钱七", "M", "1980-01-01", 13, id_number=wrong),
        person("B2", "孙八", "M", "1980-01-01", 15, id_number=dashed),
    ]
    write_csv(directory / "persons.csv", rows)
    (directory / "events.csv").unlink()
    result = registry_load(path=directory, actor="test", today=today())
    shown = [p for p in result.problems if p.column == "id_number"]
    assert len(shown) == 2
    digits = {wrong, dashed.replace("-", "")}
    for p in shown:
        for text in (p.value, p.message_zh, p.message_en):
            assert not any(d in text.replace("-", "") for d in digits), text
    assert shown[0].value == wrong[:6] + "********" + wrong[-4:]
    out = tmp_path / "problems.csv"
    write_problems(out, result.problems)
    written = out.read_text(encoding="utf-8-sig")
    assert wrong not in written and "19800101" not in written.replace("-", "")
