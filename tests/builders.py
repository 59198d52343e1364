"""Builders of small, hand-made load files and registers for tests."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

from renkou.core.idnumber import check_character

COUNTY = "330122"
TOWNSHIP_A = "330122100"
TOWNSHIP_B = "330122101"
VILLAGE_A1 = "330122100201"
VILLAGE_A2 = "330122100202"
VILLAGE_B1 = "330122101201"

ORGUNITS = [
    {"code": "33", "name": "浙江省", "parent_code": ""},
    {"code": "3301", "name": "杭州市", "parent_code": "33"},
    {"code": COUNTY, "name": "桐庐县", "parent_code": "3301"},
    {"code": TOWNSHIP_A, "name": "甲镇", "parent_code": COUNTY},
    {"code": TOWNSHIP_B, "name": "乙乡", "parent_code": COUNTY},
    {"code": VILLAGE_A1, "name": "东村", "parent_code": TOWNSHIP_A},
    {"code": VILLAGE_A2, "name": "西村", "parent_code": TOWNSHIP_A},
    {"code": VILLAGE_B1, "name": "南村", "parent_code": TOWNSHIP_B},
]


def id_number(birth: str, seq: int, region: str = COUNTY) -> str:
    """A valid identity number for a birth date (YYYY-MM-DD) and sequence (odd = male)."""
    first17 = f"{region}{birth.replace('-', '')}{seq:03d}"
    return first17 + check_character(first17)


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    columns: list[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write rows as CSV with the given (or the first row's) columns."""
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def person(ref: str, name: str, sex: str, birth: str, seq: int, **extra: Any) -> dict[str, Any]:
    """A valid persons.csv row living and registered in village A1."""
    row = {
        "person_ref": ref,
        "id_number": id_number(birth, seq),
        "name": name,
        "sex": sex,
        "birth_date": birth,
        "ethnicity": "01",
        "hukou_code": VILLAGE_A1,
        "hukou_type": "rural",
        "residence_code": VILLAGE_A1,
        "marital_status": "single",
        "status": "alive",
    }
    row.update(extra)
    return row


def small_county(directory: Path) -> Path:
    """A family of five in two households plus a migrant, with a few historic events."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "orgunits.csv", ORGUNITS)
    write_csv(
        directory / "households.csv",
        [
            {
                "household_ref": "H1",
                "orgunit_code": VILLAGE_A1,
                "address": "东村1号",
                "hukou_type": "rural",
            },
            {
                "household_ref": "H2",
                "orgunit_code": VILLAGE_A2,
                "address": "西村2号",
                "hukou_type": "rural",
            },
        ],
    )
    write_csv(
        directory / "persons.csv",
        [
            person(
                "P1",
                "张伟",
                "M",
                "1990-03-05",
                11,
                marital_status="married",
                household_ref="H1",
                relation_to_head="head",
            ),
            person(
                "P2",
                "李丽",
                "F",
                "1992-07-20",
                22,
                marital_status="married",
                household_ref="H1",
                relation_to_head="spouse",
            ),
            person(
                "P3",
                "张小明",
                "M",
                "2021-01-15",
                31,
                mother_ref="P2",
                father_ref="P1",
                birth_order="1",
                household_ref="H1",
                relation_to_head="child",
            ),
            person(
                "P4",
                "张奶奶",
                "F",
                "1940-02-02",
                42,
                marital_status="widowed",
                status="dead",
                death_date="2023-05-01",
                household_ref="H2",
                relation_to_head="head",
                residence_code=VILLAGE_A2,
                hukou_code=VILLAGE_A2,
            ),
            person(
                "P5",
                "王芳",
                "F",
                "1995-12-31",
                52,
                hukou_code="410102",
                id_number=id_number("1995-12-31", 52, region="410102"),
            ),
        ],
    )
    write_csv(
        directory / "events.csv",
        [
            {
                "event_ref": "E1",
                "kind": "birth",
                "person_ref": "P3",
                "effective_date": "2021-01-15",
                "report_date": "2021-01-20",
                "source": "hospital",
                "orgunit_code": VILLAGE_A1,
            },
            {
                "event_ref": "E2",
                "kind": "death",
                "person_ref": "P4",
                "effective_date": "2023-05-01",
                "orgunit_code": VILLAGE_A2,
            },
            {
                "event_ref": "E3",
                "kind": "move_in",
                "person_ref": "P5",
                "effective_date": "2022-06-01",
                "orgunit_code": VILLAGE_A1,
                "from_code": "410102",
                "to_code": VILLAGE_A1,
            },
            {
                "event_ref": "E4",
                "kind": "marriage",
                "person_ref": "P1",
                "effective_date": "2019-10-01",
                "orgunit_code": VILLAGE_A1,
                "spouse_ref": "P2",
            },
        ],
        columns=[
            "event_ref",
            "kind",
            "person_ref",
            "effective_date",
            "report_date",
            "source",
            "orgunit_code",
            "from_code",
            "to_code",
            "spouse_ref",
        ],
    )
    return directory


def today() -> datetime.date:
    """A fixed 'today' for loads in tests."""
    return datetime.date(2025, 6, 30)


def orgunits_only() -> None:
    """The org units of ``ORGUNITS`` in the database, without persons (for tests of cases,
    targets and the like, which need the tree and its officers only)."""
    from renkou.orgunits.models import Level, OrgUnit

    levels = {2: Level.PROVINCE, 4: Level.PREFECTURE, 6: Level.COUNTY, 9: Level.TOWNSHIP}
    for row in ORGUNITS:
        OrgUnit.objects.create(
            code=row["code"],
            name=row["name"],
            level=levels.get(len(row["code"]), Level.VILLAGE),
            parent_id=row["parent_code"] or None,
        )


def user_with_role(username: str, role: str, code: str) -> Any:
    """A user holding ``role`` at org unit ``code`` (created through the accounts service)."""
    from django.contrib.auth import get_user_model

    from renkou.core.accounts import role_assign
    from renkou.orgunits.models import OrgUnit

    user = get_user_model().objects.create_user(username=username, password="unused-Pass-2026")
    role_assign(user=user, role=role, orgunit=OrgUnit.objects.get(code=code), actor="test")
    return user


def login_as(client: Any, user: Any) -> Any:
    """Sign ``client`` in as ``user``, with a confirmed second factor where the role needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from renkou.core.twofactor import needs_second_factor

    client.force_login(user)
    if needs_second_factor(user):
        device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, name="test")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def client_as(role: str, code: str, name: str = "u") -> Any:
    """A test client signed in as a new user holding ``role`` at ``code``."""
    from django.test import Client

    return login_as(Client(), user_with_role(name, role, code))


def caller_client(name: str, spec: tuple[str, str] | None, api: bool) -> Any:
    """A test client for a caller of the permission tests: anonymous where ``spec`` is None,
    else a new user ``name-web`` / ``name-api`` holding ``spec`` = (role, unit code), signed
    in or calling the API with a token."""
    from django.test import Client

    if spec is None:
        return Client()
    user = user_with_role(f"{name}-{'api' if api else 'web'}", *spec)
    return api_client(user) if api else login_as(Client(), user)


def api_client(user: Any, language: str = "en") -> Any:
    """A test client that calls the JSON API with a fresh bearer token of ``user``."""
    from django.test import Client

    from renkou.api.tokens import token_create

    token = token_create(user=user, name="test", actor="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language)


def running_here(**fields: Any) -> dict[str, Any]:
    """The fields of a job running in this process, under a lease (a job "running" with no
    living worker is reaped by the first page that looks at it)."""
    from django.utils import timezone

    from renkou.core.leases import this_process

    holder = this_process()
    return {
        "status": "running",
        "worker_host": holder.host,
        "worker_pid": holder.pid,
        "worker_id": holder.token,
        "heartbeat_at": timezone.now(),
        **fields,
    }
