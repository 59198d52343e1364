"""Run inside ``renkou shell``: users, sessions, samples and SQL counts for bench/web.py."""

import datetime
import json
import random

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renkou.core import crypto
from renkou.core.accounts import role_assign
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry import services
from renkou.registry.models import Event, Person

rng = random.Random(7)
township = OrgUnit.objects.filter(level=4).order_by("code").first()
village = OrgUnit.objects.filter(level=5, code__startswith=township.code).order_by("code").first()
User = get_user_model()
user, created = User.objects.get_or_create(username="bench-statistician")
if created:
    role_assign(user=user, role="statistician", orgunit=township, actor="bench")
    role_assign(user=user, role="reporter", orgunit=village, actor="bench")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()

people = list(
    Person.objects.filter(code_prefix_q("residence_orgunit_id", township.code))
    .exclude(id_number_enc="")
    .values_list("pk", "name", "name_pinyin", "id_number_enc")[:5000]
)
sample = rng.sample(people, 200)
pending = Event.objects.filter(
    code_prefix_q("orgunit_id", township.code), status="submitted"
).count()
mothers = [p for p in Person.objects.filter(residence_orgunit=village, sex="F")[:30]]
for i in range(max(0, 60 - pending)):
    services.birth_submit(
        name=f"测试{i}",
        sex="F",
        birth_date=datetime.date(2025, 11, 1),
        orgunit=village,
        actor=user,
        mother=mothers[i % len(mothers)],
    )

client = Client(HTTP_HOST="127.0.0.1")
client.force_login(user)
pages = {
    "search_id": f"/persons/?q={crypto.decrypt(sample[0][3])}",
    "search_name": f"/persons/?q={sample[1][1][:2]}",
    "search_pinyin": f"/persons/?q={sample[2][2][:6]}",
    "person_page": f"/persons/{sample[3][0]}/",
    "review_queue": "/changes/",
    "statistics": f"/statistics/{township.code}/?period=2025",
}
villages = OrgUnit.objects.filter(parent=township).order_by("code")
stat_units = [township.code, *villages.values_list("code", flat=True)[:9]]
queries = {}
for name, url in pages.items():
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    queries[name] = len(captured)
print(
    "BENCH-JSON "
    + json.dumps(
        {
            "cookie": session.session_key,
            "ids": [crypto.decrypt(p[3]) for p in sample],
            "names": [p[1][:2] for p in sample],
            "pinyins": [p[2][:6] for p in sample],
            "persons": [p[0] for p in sample],
            "queries": queries,
            "stat_units": stat_units,
        },
        ensure_ascii=False,
    )
)
