"""The permission matrix: every page and API endpoint, as five kinds of caller.

The objects all belong to village A1 (township A). Callers: anonymous, the reporter of the
other village A2, the reporter of A1, the statistician of the other township B, and the
county administrator. Changing an id in the URL to something outside the caller's area
gives "not found", never the record.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from renkou.benefits.payments import batch_create
from renkou.benefits.services import (
    bank_account_set,
    childcare_apply,
    cycle_approve,
    cycle_compute,
    cycle_notice,
)
from renkou.cases.services import case_register
from renkou.core.jobs import job_start
from renkou.exchange.linking import roster_link
from renkou.exchange.models import RosterImport
from renkou.exchange.services import roster_import
from renkou.floating import peers
from renkou.floating.models import Message
from renkou.health.services import ConsentGiven, institution_create, record_open, step_record
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Household, Person
from renkou.targets.services import TargetSpec, agreement_save
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    caller_client,
    id_number,
    small_county,
    today,
    user_with_role,
)
from tests.shared import shared_rows

pytestmark = pytest.mark.django_db

CALLERS = {
    "anonymous": None,
    "reporter_other_village": ("reporter", VILLAGE_A2),
    "reporter_this_village": ("reporter", VILLAGE_A1),
    "statistician_other_township": ("statistician", TOWNSHIP_B),
    "county_admin": ("county_admin", COUNTY),
}
SIGNED_IN = set(CALLERS) - {"anonymous"}
IN_AREA = {"reporter_this_village", "county_admin"}
OUT_OF_AREA = {"reporter_other_village", "statistician_other_township"}


@dataclass
class Ids:
    """Ids of the records the URLs name."""

    person: int
    household: int
    event: int
    change: int
    cycle: int
    decision: int
    batch: int
    roster_import: int = 0
    roster_row: int = 0
    job: int = 0
    message: str = ""  # the arrival notice of a person arrived in A1 from outside
    arrived: int = 0  # that person
    peer: int = 0  # a peer server (朝阳区)
    case: int = 0
    child: int = 0  # the child of the childcare application below
    application: int = 0
    agreement: int = 0  # the county's target agreement of 2025 for its townships
    woman: int = 0  # 李丽 of A1, with a pre-pregnancy service record
    health_record: int = 0


@dataclass
class Case:
    """One endpoint and the status each caller gets (anyone not listed: ``otherwise``)."""

    method: str
    url: Callable[[Ids], str]
    expect: dict[str, int]
    otherwise: int = 404
    body: dict[str, Any] = field(default_factory=dict)
    api: bool = False

    def status_for(self, caller: str) -> int:
        if caller == "anonymous" and caller not in self.expect:
            return 401 if self.api else 302
        return self.expect.get(caller, self.otherwise)


def everyone(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(SIGNED_IN, status)


def in_area(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(IN_AREA, status)


def in_township_a(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(SIGNED_IN - {"statistician_other_township"}, status)


# notify: ids the cases of its block read when they run
class PendingChange:
    """The id of the change waiting for review, as the form sends it (read when posted)."""

    def __str__(self) -> str:
        pending = Event.objects.filter(kind="birth", status="submitted", orgunit_id=VILLAGE_A1)
        return str(pending.order_by("pk").values_list("pk", flat=True)[0])


def others_notification() -> int:
    """The id of a notification addressed to someone who is none of the callers."""
    from renkou.notifications.models import Notification

    return Notification.objects.filter(recipient__username="matrix-head").values_list(
        "pk", flat=True
    )[0]


PAGES: dict[str, Case] = {
    "home": Case("get", lambda i: "/", everyone()),
    "orgunit list": Case("get", lambda i: "/orgunits/", everyone()),
    "village page": Case("get", lambda i: f"/orgunits/{VILLAGE_A1}/", in_area()),
    "township page": Case("get", lambda i: f"/orgunits/{TOWNSHIP_A}/", {"county_admin": 200}),
    "person search": Case("get", lambda i: "/persons/?q=zhang", everyone()),
    "person picker": Case("get", lambda i: "/persons/pick/?field=mother&mother_q=li", everyone()),
    "person page": Case("get", lambda i: f"/persons/{i.person}/", in_area()),
    "unmask (web)": Case(
        "post",
        lambda i: f"/persons/{i.person}/id-number/",
        {"county_admin": 200, "reporter_this_village": 403},
        body={"reason": "check"},
    ),
    "household page": Case("get", lambda i: f"/households/{i.household}/", in_area()),
    "change list": Case("get", lambda i: "/changes/", everyone()),
    "new birth form": Case("get", lambda i: "/changes/new/birth/", everyone()),
    "change page": Case("get", lambda i: f"/changes/{i.change}/", in_area()),
    "decide change": Case(
        "post",
        lambda i: f"/changes/{i.change}/decide/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"decision": "reject", "reason": "wrong"},
    ),
    "audit log": Case("get", lambda i: "/audit/", {"county_admin": 200}, otherwise=403),
    "api tokens page": Case("get", lambda i: "/api-tokens/", everyone()),
    "quality overview": Case("get", lambda i: "/quality/", everyone()),
    "quality of village": Case("get", lambda i: f"/quality/{VILLAGE_A1}/", in_area()),
    "findings": Case("get", lambda i: "/quality/findings/", everyone()),
    "statistics": Case("get", lambda i: "/statistics/", everyone()),
    "statistics of village": Case("get", lambda i: f"/statistics/{VILLAGE_A1}/", in_area()),
    "rosters": Case("get", lambda i: "/exchange/", everyone()),
    "completeness": Case("get", lambda i: "/exchange/completeness/", everyone()),
    "completeness of village": Case(
        "get", lambda i: f"/exchange/completeness/{VILLAGE_A1}/", in_area()
    ),
    "roster upload": Case(
        "post",
        lambda i: "/exchange/upload/",
        {"county_admin": 302, "statistician_other_township": 302},  # no file: back to the form
        otherwise=403,
    ),
    "roster import": Case("get", lambda i: f"/exchange/imports/{i.roster_import}/", in_area()),
    "roster import job": Case("get", lambda i: f"/exchange/jobs/{i.job}/", in_area()),
    "roster worklist": Case(
        "get", lambda i: f"/exchange/imports/{i.roster_import}/worklist/", in_area()
    ),
    "roster quarantine": Case(
        "get",
        lambda i: f"/exchange/imports/{i.roster_import}/quarantine.xlsx",
        {"county_admin": 200, "reporter_this_village": 403},
    ),
    "link roster again": Case(
        "post",
        lambda i: f"/exchange/imports/{i.roster_import}/link/",
        {"county_admin": 302, "reporter_this_village": 403},
    ),
    "worklist dismiss": Case(
        "post",
        lambda i: f"/exchange/rows/{i.roster_row}/dismiss/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"reason": "checked"},
    ),
    "benefits": Case("get", lambda i: "/benefits/", everyone()),
    "benefit parameters": Case("get", lambda i: "/benefits/parameters/", everyone()),
    "benefits of village": Case("get", lambda i: f"/benefits/area/{VILLAGE_A1}/", in_area()),
    # the cycle covers township A: whoever's area overlaps it sees the cycle ...
    "benefit cycle": Case("get", lambda i: f"/benefits/cycles/{i.cycle}/", in_township_a()),
    "benefit decisions": Case(
        "get", lambda i: f"/benefits/cycles/{i.cycle}/decisions/", in_township_a()
    ),
    "benefit notice xlsx": Case(
        "get", lambda i: f"/benefits/cycles/{i.cycle}/notice.xlsx", in_township_a()
    ),
    # ... and only their own villages' decisions
    "benefit notice of village": Case(
        "get", lambda i: f"/benefits/cycles/{i.cycle}/notice/{VILLAGE_A1}/", in_area()
    ),
    "benefits of person": Case("get", lambda i: f"/benefits/persons/{i.person}/", in_area()),
    "set bank account": Case(
        "post",
        lambda i: f"/benefits/persons/{i.person}/bank-account/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"bank": "农商银行", "account": "6230000011112222"},
    ),
    "benefit facts": Case(
        "get", lambda i: "/benefits/facts/", {"county_admin": 200}, otherwise=403
    ),
    "benefit facts upload": Case(
        "post",
        lambda i: "/benefits/facts/upload/",
        {"county_admin": 302},  # no file: back to the form
        otherwise=403,
    ),
    "benefit facts template": Case(
        "get",
        lambda i: "/benefits/facts/template/bank_accounts.xlsx",
        {"county_admin": 200},
        otherwise=404,
    ),
    "record disability": Case(
        "post",
        lambda i: f"/benefits/persons/{i.person}/disability/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"grade": "2", "certificate_number": "D1", "valid_from": "2020-01-01"},
    ),
    "record certificate": Case(
        "post",
        lambda i: f"/benefits/persons/{i.person}/certificates/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"number": "C1", "child_id": "", "issued_on": "2020-01-01"},
    ),
    "record adoption": Case(
        "post",
        lambda i: f"/benefits/persons/{i.person}/adoptions/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"child_id": "", "adopted_on": "2020-01-01"},
    ),
    "record childcare application": Case(
        "post",
        lambda i: f"/benefits/persons/{i.person}/childcare-application/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"applicant": "0", "first_month": "2025-01", "last_month": "2025-02"},
    ),
    # without a reason: refused, the shared application left as it is
    "end childcare application": Case(
        "post",
        lambda i: f"/benefits/persons/{i.child}/childcare-applications/{i.application}/end/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"last_month": "2025-03", "reason": ""},
    ),
    "compute benefits": Case(
        "post",
        lambda i: f"/benefits/area/{VILLAGE_A1}/compute/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"programme": "childcare", "year": "2025"},
    ),
    "approve benefits": Case(
        "post",
        lambda i: f"/benefits/cycles/{i.cycle}/approve/",
        {
            "county_admin": 302,
            **dict.fromkeys(["reporter_this_village", "reporter_other_village"], 403),
        },
    ),
    "record objection": Case(
        "post",
        lambda i: f"/benefits/decisions/{i.decision}/objections/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"text": "wrong", "raised_on": "2025-01-02"},
    ),
    "record objection on the notice": Case(
        "post",
        lambda i: f"/benefits/cycles/{i.cycle}/notice/{VILLAGE_A1}/objections/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"text": "wrong", "raised_on": "2025-01-02"},
    ),
    "payment file": Case(
        "get",
        lambda i: f"/benefits/batches/{i.batch}/file.csv",
        {
            "county_admin": 200,
            **dict.fromkeys(["reporter_this_village", "reporter_other_village"], 403),
        },
    ),
    "bank result": Case(
        "post",
        lambda i: f"/benefits/batches/{i.batch}/result/",
        {
            "county_admin": 302,
            **dict.fromkeys(["reporter_this_village", "reporter_other_village"], 403),
        },
    ),
    # offered on a demo installation only (tests/benefits/test_demo_history.py): refused here
    "sample bank result": Case(
        "get",
        lambda i: f"/benefits/batches/{i.batch}/result-sample.xlsx",
        dict.fromkeys(["county_admin", "reporter_this_village", "reporter_other_village"], 403),
    ),
    "reports": Case("get", lambda i: "/reports/", everyone()),
    "reports of village": Case("get", lambda i: f"/reports/{VILLAGE_A1}/", in_area()),
    # staff (helper "staff"): system and county administrators only, everyone else 403; the
    # user changed is matrix-clerk, a county administrator of the county
    "staff list": Case("get", lambda i: "/staff/?role=reporter", {"county_admin": 200}, 403),
    "staff export": Case("get", lambda i: "/staff/users.xlsx", {"county_admin": 200}, 403),
    "staff new user": Case("get", lambda i: "/staff/new/", {"county_admin": 200}, 403),
    "staff create user": Case(
        "post",
        lambda i: "/staff/new/",
        {"county_admin": 200},
        403,
        body={"username": "matrix-new", "role": "reporter", "unit": VILLAGE_A1},
    ),
    "staff user page": Case("get", lambda i: staff_url(), {"county_admin": 200}, 403),
    "staff give role": Case(
        "post",
        lambda i: staff_url("roles/add/"),
        {"county_admin": 302},
        403,
        body={"role": "reporter", "unit": VILLAGE_A1},
    ),
    "staff take role (ask)": Case(
        "get",
        lambda i: staff_url(f"roles/revoke/?role=county_admin&unit={COUNTY}"),
        {"county_admin": 200},
        403,
    ),
    "staff take role": Case(
        "post",
        lambda i: staff_url("roles/revoke/"),
        {"county_admin": 302},
        403,
        body={"role": "county_admin", "unit": COUNTY},
    ),
    "staff move": Case(
        "post",
        lambda i: staff_url("move/"),
        {"county_admin": 302},
        403,
        body={"from": COUNTY, "to": TOWNSHIP_A},
    ),
    "staff password (ask)": Case(
        "get", lambda i: staff_url("password/"), {"county_admin": 200}, 403
    ),
    "staff password": Case("post", lambda i: staff_url("password/"), {"county_admin": 200}, 403),
    "staff second factor (ask)": Case(
        "get", lambda i: staff_url("second-factor/"), {"county_admin": 200}, 403
    ),
    "staff second factor": Case(
        "post", lambda i: staff_url("second-factor/"), {"county_admin": 302}, 403
    ),
    "staff deactivate (ask)": Case(
        "get", lambda i: staff_url("deactivate/"), {"county_admin": 200}, 403
    ),
    "staff deactivate": Case(
        "post", lambda i: staff_url("deactivate/"), {"county_admin": 302}, 403
    ),
    "staff reactivate": Case(
        "post", lambda i: staff_url("reactivate/"), {"county_admin": 302}, 403
    ),
    # --- helper "rates": monthly reports, reporting rate, corrections of any field ---
    "reporting rate": Case("get", lambda i: "/quality/reporting/", everyone()),
    "reporting rate of village": Case(
        "get", lambda i: f"/quality/reporting/{VILLAGE_A1}/", in_area()
    ),
    "reporting rate of township": Case(
        "get", lambda i: f"/quality/reporting/{TOWNSHIP_A}/?month=2025-01", {"county_admin": 200}
    ),
    "empty report form": Case("get", lambda i: "/quality/empty-report/", everyone()),
    "file empty report": Case(
        "post",
        lambda i: "/quality/empty-report/",
        # A1 is not among the others' villages: the form comes back with the error
        {**in_area(302), **dict.fromkeys(OUT_OF_AREA, 200)},
        body={"village": VILLAGE_A1, "month": datetime.date.today().strftime("%Y-%m")},
    ),
    "correction form of a field": Case(
        "get",
        lambda i: (
            f"/changes/new/correction/?person={i.person}&field=id_number&village={VILLAGE_A1}"
        ),
        everyone(),
    ),
    # lists (helper "lists"): xlsx exports of the filtered lists, bulk confirm and dismiss
    "audit log xlsx": Case(
        "get", lambda i: "/audit/?action=event&export=xlsx", {"county_admin": 200}, otherwise=403
    ),
    "audit log page 2": Case(
        "get", lambda i: "/audit/?page=2", {"county_admin": 200}, otherwise=403
    ),
    "findings xlsx": Case("get", lambda i: "/quality/findings/?export=xlsx", everyone()),
    "findings bulk confirm": Case(
        "post",
        lambda i: "/quality/findings/confirm/",
        everyone(302),  # each finding is checked on its own; none of another area is found
        body={"rule": "Q-REQ-NAME", "reason": "checked", "ids": ["1", "2"]},
    ),
    "roster worklist xlsx": Case(
        "get",
        lambda i: f"/exchange/imports/{i.roster_import}/worklist/?state=all&export=xlsx",
        in_area(),
    ),
    "worklist bulk dismiss": Case(
        "post",
        lambda i: f"/exchange/imports/{i.roster_import}/worklist/dismiss/",
        {"county_admin": 302, "reporter_this_village": 403},
        body={"reason": "checked"},
    ),
    "benefit decisions xlsx": Case(
        "get", lambda i: f"/benefits/cycles/{i.cycle}/decisions/?export=xlsx", in_township_a()
    ),
    # --- notify: notifications, resubmission, bulk decisions ---------------------------------
    "notifications": Case("get", lambda i: "/notifications/", everyone()),
    "unread notifications": Case("get", lambda i: "/notifications/?show=unread", everyone()),
    "mark all notifications read": Case(
        "post", lambda i: "/notifications/read-all/", everyone(302)
    ),
    # a notification of another user (the cycle waiting for matrix-head's approval)
    "open another's notification": Case(
        "get", lambda i: f"/notifications/{others_notification()}/open/", {}
    ),
    "mark another's notification read": Case(
        "post", lambda i: f"/notifications/{others_notification()}/read/", {}
    ),
    # only the reporter of a rejected report resubmits it (this one is nobody's, pending)
    "resubmit change": Case(
        "get",
        lambda i: f"/changes/{i.change}/resubmit/",
        {"reporter_this_village": 403, "county_admin": 403},
    ),
    "decide changes in bulk": Case(
        "post",
        lambda i: "/changes/bulk/",
        # reviewers get the result page (outside their area: refused, by number only)
        {"county_admin": 200, "statistician_other_township": 200},
        otherwise=403,
        body={"event": [PendingChange()], "decision": "reject", "reason": "wrong"},
    ),
    # --- floating population: the arrival notice of a person arrived in A1 from 湖南 --------
    "floating worklist": Case("get", lambda i: "/floating/?tab=to_send", everyone()),
    "floating rates": Case("get", lambda i: "/floating/rates/", everyone()),
    "floating rates of village": Case(
        "get", lambda i: f"/floating/rates/?unit={VILLAGE_A1}", in_area()
    ),
    "floating message": Case("get", lambda i: f"/floating/messages/{i.message}/", in_area()),
    "floating send": Case("post", lambda i: f"/floating/messages/{i.message}/send/", in_area(302)),
    # addressed to 湖南邵东 (elsewhere): nobody here answers it or reviews it
    "floating reply": Case(
        "post",
        lambda i: f"/floating/messages/{i.message}/reply/",
        in_area(403),
        body={"outcome": "confirmed"},
    ),
    "floating review": Case(
        "post",
        lambda i: f"/floating/messages/{i.message}/review/",
        in_area(403),
        body={"decision": "noted"},
    ),
    "floating new request": Case(
        "get", lambda i: f"/floating/requests/new/?person={i.arrived}", in_area()
    ),
    # the delivery between servers: a county administrator's
    "floating peers": Case(
        "get", lambda i: "/floating/peers/", {"county_admin": 200}, otherwise=403
    ),
    "floating peer token": Case(
        "post",
        lambda i: f"/floating/peers/{i.peer}/token/",
        {"county_admin": 302},
        otherwise=403,
        body={"their_token": "rkp_x_y"},
    ),
    "floating peer revoke (confirm)": Case(
        "get", lambda i: f"/floating/peers/{i.peer}/revoke/", {"county_admin": 200}, otherwise=403
    ),
    "floating no-peer export": Case(
        "get", lambda i: "/floating/no-peer.xlsx", {"county_admin": 200}, otherwise=403
    ),
    "floating replies import": Case(
        "post", lambda i: "/floating/replies/import/", {"county_admin": 302}, otherwise=403
    ),
    # --- cases: petitions and hotline; read by case officers and auditors of the area (a
    # village reporter only the cases given to them: none here), written by case officers
    "cases": Case("get", lambda i: "/cases/", everyone()),
    "cases of village": Case("get", lambda i: f"/cases/area/{VILLAGE_A1}/", in_area()),
    "case form": Case(
        "get",
        lambda i: "/cases/new/",
        {"county_admin": 200, "statistician_other_township": 200},
        otherwise=403,
    ),
    "register case": Case(
        "post",
        lambda i: "/cases/new/",
        # A1 is not among the other township's units: the form comes back with the error
        {"county_admin": 302, "statistician_other_township": 200},
        otherwise=403,
        body={
            "token": "matrix-case",
            "channel": "hotline",
            "received_on": "2025-06-01",
            "category": "consultation",
            "orgunit": VILLAGE_A1,
            "request": "咨询育儿补贴",
        },
    ),
    "case page": Case("get", lambda i: f"/cases/{i.case}/", {"county_admin": 200}),
    "accept case": Case(
        "post",
        lambda i: f"/cases/{i.case}/accept/",
        {"county_admin": 302},
        body={"accepted_on": "2025-06-02"},
    ),
    "assign case": Case(
        "post",
        lambda i: f"/cases/{i.case}/assign/",
        {"county_admin": 302},
        body={"handler": f"{COUNTY}:0"},
    ),
    "record case step": Case(
        "post",
        lambda i: f"/cases/{i.case}/steps/",
        {"county_admin": 302},
        body={"on": "2025-06-02", "text": "电话回复"},
    ),
    "extend case": Case(
        "post",
        lambda i: f"/cases/{i.case}/extend/",
        {"county_admin": 302},  # not accepted yet: refused on the case page
        body={"days": "10", "reason": "情况复杂"},
    ),
    "close case": Case(
        "post",
        lambda i: f"/cases/{i.case}/close/",
        {"county_admin": 302},  # not accepted yet: refused on the case page
        body={"reply": "已答复", "closed_on": "2025-06-02", "satisfaction": "satisfied"},
    ),
    "show petitioner": Case(
        "post",
        lambda i: f"/cases/{i.case}/petitioner/",
        {"county_admin": 200},
        body={"reason": "回访"},
    ),
    # --- targets: a county's agreement for its townships, read by the county's officers and
    # auditors, set by its administrator (a township's statistician sets only its own)
    "targets": Case("get", lambda i: "/targets/", everyone()),
    "targets scorecard": Case("get", lambda i: f"/targets/{i.agreement}/", {"county_admin": 200}),
    "targets ten days": Case(
        "get", lambda i: f"/targets/{i.agreement}/?period=202503D2", {"county_admin": 200}
    ),
    "targets trend": Case(
        "get", lambda i: f"/targets/{i.agreement}/trend/?kind=dekad", {"county_admin": 200}
    ),
    "targets export": Case(
        "get", lambda i: f"/targets/{i.agreement}/export.xlsx", {"county_admin": 200}
    ),
    "targets edit form": Case(
        "get", lambda i: f"/targets/{i.agreement}/edit/", {"county_admin": 200}
    ),
    "targets new form": Case(
        "get", lambda i: f"/targets/new/?unit={COUNTY}&year=2026", {"county_admin": 200}, 403
    ),
    "targets save": Case(
        "post",
        lambda i: f"/targets/new/?unit={COUNTY}",
        {"county_admin": 302},
        otherwise=403,
        body={
            "year": "2026",
            "total_weight": "100",
            "watch_line": "60",
            "t-TOTAL_FORMS": "1",
            "t-INITIAL_FORMS": "0",
            "t-0-indicator": "births",
            "t-0-basis": "registered",
            "t-0-target_value": "100",
            "t-0-direction": "higher",
            "t-0-weight": "100",
            "t-0-rule": "pass_fail",
        },
    ),
    "targets copy": Case(
        "post",
        lambda i: "/targets/copy/",
        {"county_admin": 302},
        otherwise=403,
        body={"unit": COUNTY, "year": "2026"},
    ),
    "targets compute": Case(
        "post", lambda i: f"/targets/{i.agreement}/compute/", {"county_admin": 302}
    ),
}

# --- health services: service staff (服务人员) of a unit record and read the service records
# of its area; the office (statisticians, county administrators, auditors) sees rates and
# counts only; the auditor reads a record by its number; reporters see neither
HEALTH_CALLERS = {
    **CALLERS,
    "service_this_township": ("service_staff", TOWNSHIP_A),
    "service_other_township": ("service_staff", TOWNSHIP_B),
    "auditor": ("auditor", COUNTY),
}
NO_RECORDS = {"reporter_other_village", "reporter_this_village"}  # refused the rates too
OFFICE = {"statistician_other_township", "county_admin", "auditor"}
SERVICE_ONLY = {
    **dict.fromkeys(NO_RECORDS | OFFICE, 403),
    "service_other_township": 404,
}
HEALTH: dict[str, Case] = {
    "health rates": Case(
        "get",
        lambda i: "/health/",
        dict.fromkeys(set(HEALTH_CALLERS) - NO_RECORDS - {"anonymous"}, 200),
        otherwise=403,
    ),
    "health rates of village": Case(
        "get",
        lambda i: f"/health/area/{VILLAGE_A1}/?period=2025",
        {
            **dict.fromkeys(["county_admin", "auditor", "service_this_township"], 200),
            **dict.fromkeys(NO_RECORDS, 403),
        },
    ),
    "health figures of village": Case(
        "get",
        lambda i: f"/health/area/{VILLAGE_A1}/figures/",
        {
            **dict.fromkeys(["county_admin", "auditor", "service_this_township"], 200),
            **dict.fromkeys(NO_RECORDS, 403),
        },
    ),
    "health figure set": Case(
        "post",
        lambda i: f"/health/area/{VILLAGE_A1}/figures/",
        {
            **dict.fromkeys(["county_admin", "service_this_township"], 302),
            **dict.fromkeys(NO_RECORDS | {"auditor"}, 403),
        },
        body={"year": "2025", "kind": "target_couples", "value": "10"},
    ),
    "health institutions": Case(
        "get",
        lambda i: "/health/institutions/",
        dict.fromkeys(set(HEALTH_CALLERS) - NO_RECORDS - {"anonymous"}, 200),
        otherwise=403,
    ),
    # a person's service records: the service staff of the person's area only
    "health person records": Case(
        "get",
        lambda i: f"/health/persons/{i.woman}/",
        {**SERVICE_ONLY, "service_this_township": 200},
    ),
    "health open record": Case(
        "post",
        lambda i: f"/health/persons/{i.woman}/records/",
        {**SERVICE_ONLY, "service_this_township": 302},
        body={
            "token": "matrix-health-2",
            "programme": "screening",
            "opened_on": "2025-03-01",
            "consent_on": "2025-03-01",
            "consent_scope": "服务",
            "consent_given": "on",
        },
    ),
    # rosters of service steps: service staff only (each sees its own area's imports)
    "health imports": Case(
        "get",
        lambda i: "/health/imports/",
        {**SERVICE_ONLY, "service_this_township": 200, "service_other_township": 200},
    ),
    "health import upload": Case(
        "post",
        lambda i: "/health/imports/",
        {**SERVICE_ONLY, "service_this_township": 302, "service_other_township": 302},
    ),
    # a record by its number: its service staff, and the auditor (read only)
    "health record": Case(
        "get",
        lambda i: f"/health/records/{i.health_record}/",
        {"service_this_township": 200, "auditor": 200},
    ),
    "health record step": Case(
        "post",
        lambda i: f"/health/records/{i.health_record}/steps/",
        {**SERVICE_ONLY, "service_this_township": 302},
        body={"step": "examined", "on": "2025-02-10", "institution": "MCH", "staff_name": "王"},
    ),
    "health withdraw consent": Case(
        "post",
        lambda i: f"/health/records/{i.health_record}/withdraw/",
        {**SERVICE_ONLY, "service_this_township": 302},
        body={"person": "0"},
    ),
}

API: dict[str, Case] = {
    "schema": Case("get", lambda i: "/api/schema", {**everyone(), "anonymous": 200}, api=True),
    "persons": Case("get", lambda i: "/api/persons/?q=zhang", everyone(), api=True),
    "person": Case("get", lambda i: f"/api/persons/{i.person}/", in_area(), api=True),
    "person events": Case("get", lambda i: f"/api/persons/{i.person}/events/", in_area(), api=True),
    "unmask (api)": Case(
        "post",
        lambda i: f"/api/persons/{i.person}/id-number/",
        {"county_admin": 200, "reporter_this_village": 403},
        body={"reason": "check"},
        api=True,
    ),
    "households": Case("get", lambda i: "/api/households/", everyone(), api=True),
    "household": Case("get", lambda i: f"/api/households/{i.household}/", in_area(), api=True),
    "events": Case("get", lambda i: "/api/events/", everyone(), api=True),
    "event": Case("get", lambda i: f"/api/events/{i.event}/", in_area(), api=True),
    "changes": Case("get", lambda i: "/api/changes/", everyone(), api=True),
    "change": Case("get", lambda i: f"/api/changes/{i.change}/", in_area(), api=True),
    "file change": Case(
        "post",
        lambda i: "/api/changes/",
        {**in_area(201), **dict.fromkeys(OUT_OF_AREA, 400)},  # A1 is not their village
        body={
            "kind": "birth",
            "client_ref": "matrix-0001",
            "village": VILLAGE_A1,
            "effective_date": "2025-06-01",
            "name": "张小红",
            "sex": "F",
        },
        api=True,
    ),
    "apply change": Case(
        "post",
        lambda i: f"/api/changes/{i.change}/apply/",
        {"county_admin": 200, "reporter_this_village": 403},
        body={"warnings_reason": "checked"},
        api=True,
    ),
    "push notification": Case(
        "post",
        lambda i: "/api/notifications/",
        {},
        otherwise=403,  # only a hospital's token may push
        body={"id": "m-1", "kind": "death", "name": "张伟", "death_date": "2025-06-01"},
        api=True,
    ),
    # a peer server's inbox: a user's token is not a peer's
    "floating inbox": Case(
        "post",
        lambda i: "/api/floating/inbox/",
        {},
        otherwise=401,
        body={"messages": []},
        api=True,
    ),
    "reject change": Case(
        "post",
        lambda i: f"/api/changes/{i.change}/reject/",
        {"county_admin": 200, "reporter_this_village": 403},
        body={"reason": "wrong"},
        api=True,
    ),
}


def records() -> Ids:
    """The A1 records, with one change reported and waiting for review."""
    p1 = Person.objects.get(person_ref="P1")
    change = services.birth_submit(
        name="张小花",
        sex="F",
        birth_date=datetime.date(2025, 5, 1),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        actor="test",
        mother=Person.objects.get(person_ref="P2"),
    )
    roster = roster_of_a1()
    job = job_start(
        kind="exchange.import",
        params={"file_name": "x.csv"},
        actor="test",
        orgunit=VILLAGE_A1,
    )
    # a child born in A1 in 2023, applied: the childcare cycle's one decision
    born = services.birth_submit(
        name="张小宝",
        sex="M",
        birth_date=datetime.date(2023, 6, 1),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        actor="test",
        mother=Person.objects.get(person_ref="P2"),
        id_number=id_number("2023-06-01", 61),
    )
    born = services.event_apply(event=born, actor="test")
    clerk = user_with_role("matrix-clerk", "county_admin", COUNTY)
    head = user_with_role("matrix-head", "county_admin", COUNTY)
    cycle = cycle_compute(
        programme="childcare",
        year=2025,
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor=clerk,
    )
    cycle_notice(
        cycle=cycle,
        start=datetime.date(2025, 3, 1),
        days=7,
        actor=clerk,
        today=datetime.date(2025, 3, 1),
    )
    cycle_approve(cycle=cycle, actor=head, today=datetime.date(2025, 4, 1))
    # the mother applied and has an account: a payment file of one line (none is empty)
    mother = Person.objects.get(person_ref="P2")
    bank_account_set(person=mother, bank="农商银行", account="6230000011112222", actor=clerk)
    application = childcare_apply(
        child=born.person,
        applicant=mother,
        applied_on=datetime.date(2025, 4, 1),
        first_month=datetime.date(2025, 1, 1),
        last_month=datetime.date(2025, 5, 1),
        actor=clerk,
    )
    batch = batch_create(cycle=cycle, path=None, actor=clerk).batch
    arrival = services.arrival_submit(
        id_number=id_number("1988-04-02", 13, region="430521"),
        name="刘强",
        sex="M",
        birth_date=datetime.date(1988, 4, 2),
        hukou_region="430521",
        hukou_type="rural",
        ethnicity="01",
        marital_status="single",
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        effective_date=datetime.date(2025, 6, 1),
        actor="test",
    )
    arrival = services.event_apply(event=arrival, actor="test")
    notice = Message.objects.get(arrival=arrival)
    peer, _token = peers.peer_create(
        name="朝阳区", base_url="http://b.example", areas=["110105"], their_token="", actor="test"
    )
    case = case_register(
        token="matrix-a1",
        channel="visit",
        category="benefits",
        received_on=datetime.date(2025, 6, 1),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        petitioner_name="赵六",
        petitioner_phone="13700000000",
        request="询问奖励扶助",
        actor=clerk,
    )
    deal = agreement_save(
        unit=OrgUnit.objects.get(code=COUNTY),
        year=2025,
        total_weight=100,
        watch_line=60,
        targets=[TargetSpec("sex_ratio_at_birth", 107, "lower", 100, "linear", 115)],
        actor=user_with_role("matrix-targets", "county_admin", COUNTY),
    )
    service = user_with_role("matrix-service", "service_staff", TOWNSHIP_A)
    institution = institution_create(
        code="MCH", name="县妇幼保健院", orgunit=OrgUnit.objects.get(code=COUNTY), actor="test"
    )
    woman = Person.objects.get(person_ref="P2")
    on = datetime.date(2025, 2, 1)
    health = record_open(
        key="matrix-health",
        programme="pre_pregnancy",
        woman=woman,
        man=p1,
        opened_on=on,
        consents=[ConsentGiven(x, on, "服务") for x in (woman, p1)],
        actor=service,
    )
    step_record(
        record=health,
        step="enrolled",
        on=on,
        institution=institution,
        staff_name="王医生",
        actor=service,
    )
    return Ids(
        woman=woman.pk,
        health_record=health.pk,
        agreement=deal.pk,
        message=str(notice.message_id),
        peer=peer.pk,
        arrived=arrival.person_id,
        cycle=cycle.pk,
        decision=cycle.decisions.get().pk,
        batch=batch.pk,
        person=p1.pk,
        household=Household.objects.get(orgunit_id=VILLAGE_A1).pk,
        event=Event.objects.filter(person=p1, kind="marriage").get().pk,
        change=change.pk,
        roster_import=roster.pk,
        roster_row=roster.rows.get().pk,
        job=job.pk,
        case=case.pk,
        child=born.person.pk,
        application=application.pk,
    )


def roster_of_a1() -> RosterImport:
    """A hospital-deaths roster received by village A1, linked: P1 reported dead."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deaths.csv"
        path.write_text(
            f"姓名,身份证号,性别,死亡日期\n张伟,{id_number('1990-03-05', 11)},男,2025-06-01\n"
            f"坏号,{id_number('1990-03-05', 11)[:-1]}0,男,2025-06-01\n",
            encoding="utf-8",
        )
        imp = roster_import(
            path=path,
            kind="hospital_deaths",
            orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
            actor="test",
        ).roster_import
    roster_link(roster_import=imp, actor="test")
    return imp


def call(client: Client, case: Case, ids: Ids) -> Any:
    url = case.url(ids)
    if case.method == "get":
        return client.get(url)
    if case.api:
        return client.post(url, data=json.dumps(case.body), content_type="application/json")
    return client.post(url, case.body)


@pytest.fixture(scope="module")
def shared_ids(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ids]:
    """The small county and the A1 records, built once for all cases of the matrix: each
    case runs in its own savepoint, so what a POST changes is undone before the next."""
    with shared_rows(django_db_blocker):
        with django_db_blocker.unblock():
            load = tmp_path_factory.mktemp("county")
            registry_load(path=small_county(load), actor="test", today=today())
            ids = records()
        yield ids


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("name", list(PAGES) + list(API))
def test_matrix(shared_ids: Ids, caller: str, name: str) -> None:
    case = PAGES.get(name) or API[name]
    ids = shared_ids
    response = call(caller_client(caller, CALLERS[caller], case.api), case, ids)
    expected = case.status_for(caller)
    assert response.status_code == expected, (name, caller, response.content[:300])
    if expected == 302 and caller == "anonymous":
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("caller", list(HEALTH_CALLERS))
@pytest.mark.parametrize("name", list(HEALTH))
def test_health_matrix(shared_ids: Ids, caller: str, name: str) -> None:
    case = HEALTH[name]
    response = call(caller_client(caller, HEALTH_CALLERS[caller], False), case, shared_ids)
    expected = case.status_for(caller)
    assert response.status_code == expected, (name, caller, response.content[:300])


def staff_url(rest: str = "") -> str:
    """A staff page of matrix-clerk (helper "staff")."""
    from django.contrib.auth import get_user_model

    return f"/staff/users/{get_user_model().objects.get(username='matrix-clerk').pk}/{rest}"
