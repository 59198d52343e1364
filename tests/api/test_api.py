"""The JSON API: tokens, scoped reads, audited reads, change reports through the services."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from renkou.api.models import ApiToken
from renkou.api.tokens import token_create, token_revoke
from renkou.core.models import AuditLog
from renkou.registry.models import Event, Household, Person
from tests.builders import (
    TOWNSHIP_A,
    VILLAGE_A1,
    VILLAGE_B1,
    api_client,
    client_as,
    id_number,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def pk(ref: str) -> int:
    return Person.objects.get(person_ref=ref).pk


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def birth(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "birth",
        "client_ref": "phone-0001",
        "village": VILLAGE_A1,
        "effective_date": "2025-06-01",
        "name": "张小红",
        "sex": "F",
        "mother": pk("P2"),
        "father": pk("P1"),
        **extra,
    }


# --- tokens ---------------------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused(county: None) -> None:
    user = user_with_role("r", "reporter", VILLAGE_A1)
    assert Client().get("/api/persons/").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer rk_00000000_nope")
    response = bad.get("/api/persons/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"
    token = token_create(user=user, name="t", actor="test")
    good = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert good.get("/api/persons/").status_code == 200
    # A session cookie is not enough: the API takes tokens only.
    assert client_as("reporter", VILLAGE_A1, name="s").get("/api/persons/").status_code == 401


def test_revoked_expired_and_inactive_tokens_stop_working(county: None) -> None:
    user = user_with_role("r", "reporter", VILLAGE_A1)
    revoked = token_create(user=user, name="a", actor="test")
    token_revoke(token=ApiToken.objects.get(prefix=revoked.split("_")[1]), actor="test")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {revoked}").get("/api/persons/").status_code == 401
    expired = token_create(user=user, name="b", actor="test")
    ApiToken.objects.filter(prefix=expired.split("_")[1]).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert Client(HTTP_AUTHORIZATION=f"Bearer {expired}").get("/api/persons/").status_code == 401
    live = token_create(user=user, name="c", actor="test")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {live}").get("/api/persons/").status_code == 200
    assert ApiToken.objects.get(prefix=live.split("_")[1]).last_used_at is not None
    user.is_active = False
    user.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {live}").get("/api/persons/").status_code == 401


def test_only_a_hash_of_the_token_is_stored_and_making_one_is_audited(county: None) -> None:
    user = user_with_role("r", "reporter", VILLAGE_A1)
    token = token_create(user=user, name="hospital feed", actor="test")
    row = ApiToken.objects.get()
    assert token.split("_", 2)[2] not in row.digest and len(row.digest) == 64
    audit = AuditLog.objects.filter(action="token.create").get()
    assert audit.after["name"] == "hospital feed" and token not in json.dumps(audit.after)


def test_token_page_shows_a_new_token_once_and_revokes(county: None) -> None:
    client = client_as("reporter", VILLAGE_A1)
    response = client.post("/api-tokens/", {"name": "my script", "days": "30"})
    token = response.context["new_token"]
    assert token.startswith("rk_") and token in response.content.decode()
    again = client.get("/api-tokens/")
    assert token not in again.content.decode() and "my script" in again.content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/persons/").status_code == 200
    row = ApiToken.objects.get()
    asked = client.get(f"/api-tokens/{row.pk}/revoke/")  # the link asks first, revokes nothing
    assert asked.status_code == 200 and "my script" in asked.content.decode()
    assert api.get("/api/persons/").status_code == 200
    assert client.post(f"/api-tokens/{row.pk}/revoke/").status_code == 302
    assert api.get("/api/persons/").status_code == 401
    # Someone else's token cannot be revoked by changing the id.
    other = client_as("reporter", VILLAGE_A1, name="other")
    token_create(user=user_with_role("x", "reporter", VILLAGE_A1), name="x", actor="test")
    foreign = ApiToken.objects.get(name="x")
    assert other.post(f"/api-tokens/{foreign.pk}/revoke/").status_code == 404
    assert other.get(f"/api-tokens/{foreign.pk}/revoke/").status_code == 404


def test_token_command(county: None, capsys: pytest.CaptureFixture[str]) -> None:
    user_with_role("feed", "reporter", VILLAGE_A1)
    call_command("token", "create", "feed", "--name", "hospital", "--days", "7")
    token = capsys.readouterr().out.strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/persons/").status_code == 200
    call_command("token", "list", "feed")
    assert "hospital" in capsys.readouterr().out
    call_command("token", "revoke", token.split("_")[1])
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/persons/").status_code == 401


# --- reads ----------------------------------------------------------------------------


def test_person_search_is_scoped_masked_and_audited(county: None) -> None:
    api = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    data = api.get("/api/persons/", {"q": "zhang"}).json()
    assert {p["name"] for p in data["results"]} == {"张伟", "张小明"}  # 张奶奶 lives in A2
    text = json.dumps(data)
    assert "id_number_enc" not in text and "id_number_hash" not in text
    assert all("*" in p["id_number"] for p in data["results"])
    audit = AuditLog.objects.filter(action="api.person.list").get()
    assert audit.after == {"query": {"q": "zhang"}, "returned": 2}
    assert audit.channel == "api"


def test_person_search_by_identity_number(county: None) -> None:
    api = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    number = id_number("1995-12-31", 52, region="410102")
    results = api.get("/api/persons/", {"q": number}).json()["results"]
    assert [p["name"] for p in results] == ["王芳"]


def test_nul_characters_in_the_query_are_refused_not_a_server_error(county: None) -> None:
    # PostgreSQL refuses NUL in text and JSON (the audit row keeps the query): found by
    # Schemathesis on the PostgreSQL leg. The request is refused with a clear message.
    api = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    response = api.get("/api/persons/?q=%E5%BC%A0%00&village=%00&household=%00")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_an_event_filter_outside_64_bits_is_not_a_server_error(county: None) -> None:
    # found by Schemathesis on SQLite: "Python int too large to convert to SQLite INTEGER"
    api = api_client(user_with_role("c", "county_admin", "330122"))
    huge = "-19427857760256501233175326749622272"
    assert api.get("/api/events/", {"person": huge, "after_seq": huge}).status_code == 200
    assert api.get(f"/api/events/{huge[1:]}/").status_code == 404


def test_list_pages_follow_a_cursor_without_repeats(county: None) -> None:
    api = api_client(user_with_role("c", "county_admin", "330122"))
    seen: list[int] = []
    url = "/api/persons/?limit=2"
    while url:
        page = api.get(url).json()
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
    assert seen == sorted(Person.objects.values_list("pk", flat=True))


def test_person_detail_has_family_and_is_audited(county: None) -> None:
    api = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    data = api.get(f"/api/persons/{pk('P3')}/").json()
    assert data["mother"]["name"] == "李丽" and data["father"]["name"] == "张伟"
    assert [c["name"] for c in api.get(f"/api/persons/{pk('P2')}/").json()["children"]] == [
        "张小明"
    ]
    views = AuditLog.objects.filter(action="person.view", channel="api")
    assert set(views.values_list("object_id", flat=True)) == {str(pk("P3")), str(pk("P2"))}


def test_person_events_are_the_timeline(county: None) -> None:
    api = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    events = api.get(f"/api/persons/{pk('P1')}/events/").json()
    # His own marriage, then the birth of his son.
    assert [(e["kind"], e["person_name"]) for e in events] == [
        ("marriage", "张伟"),
        ("birth", "张小明"),
    ]


def test_unmasking_needs_a_permitted_role_and_a_reason(county: None) -> None:
    number = id_number("1995-12-31", 52, region="410102")
    reporter = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    assert post(reporter, f"/api/persons/{pk('P5')}/id-number/", {"reason": "x"}).status_code == 403
    stat = api_client(user_with_role("s", "statistician", TOWNSHIP_A))
    missing = post(stat, f"/api/persons/{pk('P5')}/id-number/", {})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"
    ok = post(stat, f"/api/persons/{pk('P5')}/id-number/", {"reason": "核对医院出生名单"})
    assert ok.json() == {"id_number": number}
    assert AuditLog.objects.filter(action="person.unmask", reason="核对医院出生名单").exists()


def test_households_and_members(county: None) -> None:
    api = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    listed = api.get("/api/households/").json()["results"]
    assert [h["orgunit"] for h in listed] == [VILLAGE_A1]
    detail = api.get(f"/api/households/{listed[0]['id']}/").json()
    assert detail["members"][0]["name"] == "张伟"  # the head first
    h2 = Household.objects.exclude(orgunit_id=VILLAGE_A1).get()
    assert api.get(f"/api/households/{h2.pk}/").status_code == 404


def test_events_after_a_sequence_number(county: None) -> None:
    api = api_client(user_with_role("c", "county_admin", "330122"))
    applied = list(
        Event.objects.filter(applied_seq__isnull=False)
        .order_by("applied_seq")
        .values_list("applied_seq", flat=True)
    )
    middle = applied[len(applied) // 2]
    page = api.get("/api/events/", {"after_seq": middle}).json()
    got = [e["applied_seq"] for e in page["results"]]
    assert sorted(got) == [s for s in applied if s > middle]


# --- change reports -------------------------------------------------------------------


def test_birth_filed_reviewed_and_applied_through_the_api(county: None) -> None:
    reporter = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    created = post(reporter, "/api/changes/", birth(id_number=id_number("2025-06-01", 88)))
    assert created.status_code == 201, created.content
    change = created.json()
    assert change["status"] == "submitted" and change["person_name"] == "张小红"
    assert "id_number_enc" not in json.dumps(change)
    # A retry of the same request files nothing new.
    again = post(reporter, "/api/changes/", birth(id_number=id_number("2025-06-01", 88)))
    assert again.status_code == 200 and again.json()["id"] == change["id"]
    assert Event.objects.filter(kind="birth", status="submitted").count() == 1
    # The reporter may not apply it; the township statistician may.
    assert post(reporter, f"/api/changes/{change['id']}/apply/", {}).status_code == 403
    stat = api_client(user_with_role("s", "statistician", TOWNSHIP_A))
    queue = stat.get("/api/changes/", {"status": "pending"}).json()["results"]
    assert [c["id"] for c in queue] == [change["id"]]
    applied = post(stat, f"/api/changes/{change['id']}/apply/", {})
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    child = Person.objects.get(name="张小红")
    assert child.mother_id == pk("P2") and child.household_id is not None
    mine = reporter.get("/api/changes/", {"status": "decided"}).json()["results"]
    assert [c["status"] for c in mine] == ["applied"]


def test_a_change_with_warnings_is_applied_only_with_a_reason(county: None) -> None:
    reporter = api_client(user_with_role("r", "reporter", VILLAGE_A1), language="en")
    # a birth reported over a year late, without an identity number: a warning
    change = post(reporter, "/api/changes/", birth(effective_date="2024-06-01")).json()
    stat = api_client(user_with_role("s", "statistician", TOWNSHIP_A), language="en")
    refused = post(stat, f"/api/changes/{change['id']}/apply/", {})
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert [e["code"] for e in errors] == ["Q-REQ-ID-NUMBER"]
    assert errors[0]["message_zh"] and errors[0]["message_en"]
    ok = post(stat, f"/api/changes/{change['id']}/apply/", {"warnings_reason": "补报，尚未办证"})
    assert ok.status_code == 200 and ok.json()["status"] == "applied"


def test_same_reference_with_other_content_is_a_conflict(county: None) -> None:
    reporter = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    assert post(reporter, "/api/changes/", birth()).status_code == 201
    clash = post(reporter, "/api/changes/", birth(name="张小兰"))
    assert clash.status_code == 400
    assert clash.json()["errors"][0]["code"] == "conflict"


def test_invalid_and_stale_requests_are_refused_in_the_callers_language(county: None) -> None:
    user = user_with_role("r", "reporter", VILLAGE_A1)
    en = api_client(user, language="en")
    zh = api_client(user, language="zh-hans")
    no_name = {k: v for k, v in birth().items() if k != "name"}
    err = post(en, "/api/changes/", no_name).json()["errors"]
    assert err == [{"field": "name", "code": "required", "message": "This field is required."}]
    assert "必填" in post(zh, "/api/changes/", no_name).json()["errors"][0]["message"]
    future = post(en, "/api/changes/", birth(effective_date="2099-01-01")).json()["errors"][0]
    assert future["field"] == "effective_date" and future["message_zh"] and future["message_en"]
    p1 = Person.objects.get(person_ref="P1")
    death = {
        "kind": "death",
        "client_ref": "phone-0002",
        "village": VILLAGE_A1,
        "effective_date": "2025-06-01",
        "person": p1.pk,
        "person_version": p1.version + 1,  # not the version the register holds
    }
    stale = post(en, "/api/changes/", death).json()["errors"][0]
    assert stale["code"] == "stale" and stale["field"] == "person"
    assert not Event.objects.filter(kind="death", status="submitted").exists()


def test_reporter_cannot_file_for_another_village(county: None) -> None:
    reporter = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    response = post(reporter, "/api/changes/", birth(village=VILLAGE_B1))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "village"


def test_rejection_needs_a_reason_and_reaches_the_reporter(county: None) -> None:
    reporter = api_client(user_with_role("r", "reporter", VILLAGE_A1))
    change = post(reporter, "/api/changes/", birth()).json()
    stat = api_client(user_with_role("s", "statistician", TOWNSHIP_A))
    assert post(stat, f"/api/changes/{change['id']}/reject/", {}).status_code == 400
    rejected = post(stat, f"/api/changes/{change['id']}/reject/", {"reason": "母亲信息有误"})
    assert rejected.json()["status"] == "rejected"
    seen = reporter.get(f"/api/changes/{change['id']}/").json()
    assert seen["reject_reason"] == "母亲信息有误"


def test_schema_is_served_and_describes_the_resources(county: None) -> None:
    schema = Client().get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/persons/", "/api/households/", "/api/events/", "/api/changes/"):
        assert path in text
    assert "bearerAuth" in text
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
