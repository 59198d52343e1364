"""Cases through their services: registered once, protected, assigned in area, closed."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from renkou.analytics.periods import parse
from renkou.cases import services
from renkou.cases.choices import Category, Status
from renkou.cases.models import Case
from renkou.cases.selectors import cases_for, rates_of, worklist
from renkou.core import crypto
from renkou.core.models import AuditLog, RoleAssignment
from renkou.notifications.models import Notification
from renkou.notifications.selectors import message_of, notifications_for
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, VILLAGE_B1
from tests.cases.build import TODAY, register

pytestmark = pytest.mark.django_db
D = datetime.date


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def test_there_is_no_category_for_reporting_births_or_policing_a_family() -> None:
    # The categories are exactly those of a service office; none takes a report against
    # a person (举报), of births or anything else, in either language.
    assert set(Category.values) == {
        "consultation",
        "benefits",
        "certificates",
        "registration",
        "services",
        "service_complaint",
        "staff_complaint",
        "suggestion",
        "other",
    }
    from django.utils import translation

    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels = " ".join(str(label) for label in Category.labels).lower()
        for word in ("举报", "违法", "超生", "计划外", "政策外", "report", "violation", "pregnan"):
            assert word not in labels, (language, word)


def test_a_category_outside_the_list_is_refused(staff: dict[str, Any]) -> None:
    for category in ("birth_report", "举报", ""):
        with pytest.raises(services.CaseRefused) as refused:
            register(staff["stat_a"], category=category)
        assert refused.value.field == "category"
    assert Case.objects.count() == 0


def test_a_case_is_registered_with_the_petitioner_encrypted_and_masked(
    staff: dict[str, Any],
) -> None:
    case = register(staff["stat_a"])
    stored = Case.objects.get(pk=case.pk)
    row = Case.objects.filter(pk=case.pk).values()[0]
    assert "王大明" not in str(row) and "13800138000" not in str(row)
    assert crypto.decrypt(stored.petitioner_name_enc) == "王大明"
    assert crypto.decrypt(stored.petitioner_phone_enc) == "13800138000"  # dashes dropped
    assert stored.petitioner_name_masked == "王*明"
    assert stored.petitioner_phone_masked == "*******8000"
    assert stored.petitioner_phone_hash == crypto.blind_index("13800138000", domain="phone")
    # a visit received 2025-03-01: accepted by 03-16, answered by 60 days after acceptance
    assert (stored.accept_days, stored.answer_days) == (15, 60)
    assert stored.accept_due == D(2025, 3, 16)
    assert stored.answer_due == D(2025, 3, 16) + datetime.timedelta(days=60)
    assert stored.status == Status.NEW
    audit = AuditLog.objects.get(action="cases.case.registered")
    assert audit.object_id == str(case.pk) and "王大明" not in str(audit.after)


def test_the_same_form_sent_twice_is_one_case(staff: dict[str, Any]) -> None:
    first = register(staff["stat_a"], token="form-1")
    again = register(staff["stat_a"], token="form-1")
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert AuditLog.objects.filter(action="cases.case.registered").count() == 1
    with pytest.raises(services.CaseRefused):  # another user's form key is not theirs
        register(staff["stat_a2"], token="form-1")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"received_on": D(2025, 7, 1)}, "received_on"),  # after "today"
        ({"received_on": None}, "received_on"),
        ({"channel": "fax"}, "channel"),
        ({"petitioner_name": ""}, "petitioner_name"),  # a visitor gives a name
        ({"petitioner_phone": "call me"}, "petitioner_phone"),
        ({"request": "  "}, "request"),
        ({"request": "x" * 4001}, "request"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    staff: dict[str, Any], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(services.CaseRefused) as refused:
        register(staff["stat_a"], **fields)
    assert refused.value.field == field
    assert Case.objects.count() == 0 and not AuditLog.objects.filter(action__startswith="cases")


def test_a_hotline_caller_may_stay_anonymous_and_the_local_rule_applies(
    staff: dict[str, Any],
) -> None:
    case = register(staff["stat_a"], channel="hotline", petitioner_name="", petitioner_phone="")
    assert case.petitioner_name_masked == "" and case.petitioner_name_enc == ""
    assert (case.accept_days, case.answer_days) == (1, 5)
    assert case.accept_due == D(2025, 3, 2)


def test_only_case_officers_of_the_area_register(staff: dict[str, Any]) -> None:
    for who, where in (("stat_b", VILLAGE_A1), ("rep_a1", VILLAGE_A1), ("auditor", VILLAGE_A1)):
        with pytest.raises(PermissionError):
            register(staff[who], unit=where)
    assert register(staff["admin"], unit=VILLAGE_B1).orgunit_id == VILLAGE_B1


def test_an_assignment_outside_the_assigners_area_is_refused(staff: dict[str, Any]) -> None:
    from django.utils import translation

    case = register(staff["stat_a"])
    for language, words in (("en", "outside your area"), ("zh-hans", "不在您的管辖范围内")):
        with translation.override(language), pytest.raises(services.CaseRefused) as refused:
            services.case_assign(
                case=case, unit=unit(TOWNSHIP_B), assignee=staff["stat_b"], actor=staff["stat_a"]
            )
        assert refused.value.field == "unit"
        assert "乙乡" in str(refused.value) and words in str(refused.value)
    # the person must hold a role at the unit given
    with pytest.raises(services.CaseRefused) as refused:
        services.case_assign(
            case=case, unit=unit(VILLAGE_A1), assignee=staff["stat_a2"], actor=staff["stat_a"]
        )
    assert refused.value.field == "assignee"
    case.refresh_from_db()
    assert case.assignee_id is None
    assert not AuditLog.objects.filter(action="cases.case.assigned").exists()
    # the county may give it to township B
    services.case_assign(
        case=case, unit=unit(TOWNSHIP_B), assignee=staff["stat_b"], actor=staff["admin"]
    )
    case.refresh_from_db()
    assert (case.assigned_unit_id, case.assignee_id) == (TOWNSHIP_B, staff["stat_b"].pk)


def test_a_case_is_accepted_assigned_handled_and_closed(staff: dict[str, Any]) -> None:
    officer, rep = staff["stat_a"], staff["rep_a1"]
    case = register(officer)
    # the reporter of A1 sees nothing of it until it is given to them
    assert not cases_for(rep).filter(pk=case.pk).exists()
    with pytest.raises(services.CaseRefused):  # closing before acceptance
        services.case_close(
            case=case,
            reply="r",
            closed_on=TODAY,
            satisfaction="satisfied",
            actor=officer,
            today=TODAY,
        )
    services.case_accept(case=case, accepted_on=D(2025, 3, 10), actor=officer, today=TODAY)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.answer_due == D(2025, 5, 9)  # 60 days after 10 March
    services.case_assign(
        case=case, unit=unit(VILLAGE_A1), assignee=rep, actor=officer, today=D(2025, 3, 10)
    )
    assert cases_for(rep).filter(pk=case.pk).exists()
    services.case_step_add(case=case, on=D(2025, 3, 12), text="上门核实", actor=rep, today=TODAY)
    with pytest.raises(PermissionError):  # the assignee records steps, the officer closes
        services.case_close(
            case=case, reply="r", closed_on=TODAY, satisfaction="basic", actor=rep, today=TODAY
        )
    with pytest.raises(services.CaseRefused) as refused:
        services.case_close(
            case=case,
            reply="已答复",
            closed_on=D(2025, 3, 9),
            satisfaction="basic",
            actor=officer,
            today=TODAY,
        )
    assert refused.value.field == "closed_on"  # before the acceptance
    services.case_close(
        case=case,
        reply="已答复申领条件",
        closed_on=D(2025, 4, 1),
        satisfaction="basic",
        actor=officer,
        today=TODAY,
    )
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == "basic"
    kinds = list(case.steps.values_list("kind", flat=True))
    assert kinds == ["registered", "accepted", "assigned", "note", "closed"]
    actions = list(
        AuditLog.objects.filter(object_type="cases.case").values_list("action", flat=True)
    )
    assert actions == [
        "cases.case.registered",
        "cases.case.accepted",
        "cases.case.assigned",
        "cases.case.step",
        "cases.case.closed",
    ]
    with pytest.raises(services.CaseRefused):
        services.case_step_add(case=case, on=TODAY, text="again", actor=rep, today=TODAY)


def test_the_assignee_is_told_and_reminded_of_deadlines_while_open(
    staff: dict[str, Any],
) -> None:
    officer, handler = staff["stat_a"], staff["stat_a2"]
    # received "today" so that its deadlines lie ahead of the real today too
    today = datetime.date.today()
    case = register(officer, received_on=today, today=today)
    services.case_assign(case=case, unit=unit(TOWNSHIP_A), assignee=handler, actor=officer)
    told = {n.verb: n for n in Notification.objects.filter(recipient=handler)}
    assert set(told) == {"case_assigned", "case_accept_late", "case_answer_late"}
    # the reminders wait for the day after each deadline
    assert told["case_accept_late"].visible_from == case.accept_due + datetime.timedelta(days=1)
    shown = notifications_for(handler, today=today)
    assert [n.verb for n in shown] == ["case_assigned"]
    later = notifications_for(handler, today=case.accept_due + datetime.timedelta(days=1))
    assert {n.verb for n in later} == {"case_assigned", "case_accept_late"}
    assert message_of(told["case_assigned"]) in {
        f"交给您办理的信访件：{case.number}，奖励扶助与补贴",
        f"A case was given to you: {case.number}, Benefits and subsidies",
    }
    # the registrar's reminders went to the assignee
    assert not Notification.objects.filter(recipient=officer).exists()
    # accepted: no reminder to accept; the answer's moves with the acceptance
    services.case_accept(case=case, accepted_on=today, actor=officer, today=today)
    late = Notification.objects.filter(recipient=handler, verb__endswith="_late")
    assert [(n.verb, n.visible_from) for n in late] == [
        ("case_answer_late", today + datetime.timedelta(days=61))
    ]
    services.case_close(
        case=case,
        reply="已答复",
        closed_on=today,
        satisfaction="satisfied",
        actor=officer,
        today=today,
    )
    assert not Notification.objects.filter(recipient=handler, verb__endswith="_late").exists()


def test_the_petitioner_is_shown_in_clear_only_with_a_reason_and_audited(
    staff: dict[str, Any],
) -> None:
    case = register(staff["stat_a"])
    with pytest.raises(services.CaseRefused):
        services.case_petitioner_reveal(case=case, actor=staff["stat_a"], reason=" ")
    with pytest.raises(PermissionError):
        services.case_petitioner_reveal(case=case, actor=staff["auditor"], reason="check")
    assert not AuditLog.objects.filter(action="cases.petitioner.unmask").exists()
    name, phone = services.case_petitioner_reveal(
        case=case, actor=staff["stat_a"], reason="回访核实"
    )
    assert (name, phone) == ("王大明", "13800138000")
    row = AuditLog.objects.get(action="cases.petitioner.unmask")
    assert (row.actor_id, row.reason, row.object_id) == (
        staff["stat_a"].pk,
        "回访核实",
        str(case.pk),
    )


def test_cases_are_scoped_to_the_area(staff: dict[str, Any]) -> None:
    a = register(staff["stat_a"])
    b = register(staff["stat_b"], unit=VILLAGE_B1)
    assert set(cases_for(staff["stat_a"])) == {a}
    assert set(cases_for(staff["stat_b"])) == {b}
    assert set(cases_for(staff["admin"])) == {a, b}
    assert set(cases_for(staff["auditor"])) == {a, b}
    assert set(cases_for(staff["rep_a1"])) == set()
    # given to township B, the case of A1 is seen there too
    services.case_assign(
        case=a, unit=unit(TOWNSHIP_B), assignee=staff["stat_b"], actor=staff["admin"]
    )
    assert set(cases_for(staff["stat_b"])) == {a, b}


def test_the_worklist_tabs_and_the_rates_of_a_unit(staff: dict[str, Any]) -> None:
    officer = staff["stat_a"]
    waiting = register(officer, received_on=D(2025, 6, 25))  # accept by 07-10: not late
    late = register(officer, received_on=D(2025, 6, 1))  # accept by 06-16: overdue on 06-30
    handled = register(officer, received_on=D(2025, 3, 1))
    services.case_accept(case=handled, accepted_on=D(2025, 3, 20), actor=officer, today=TODAY)
    done = register(officer, received_on=D(2025, 2, 1))
    services.case_accept(case=done, accepted_on=D(2025, 2, 2), actor=officer, today=TODAY)
    services.case_close(
        case=done,
        reply="ok",
        closed_on=D(2025, 3, 1),
        satisfaction="satisfied",
        actor=officer,
        today=TODAY,
    )
    old = register(officer, received_on=D(2024, 12, 31))  # another year
    township = unit(TOWNSHIP_A)
    tab = {
        t: set(worklist(officer, township, t, TODAY))
        for t in ("new", "in_progress", "overdue", "closed")
    }
    assert tab == {
        "new": {waiting, late, old},
        "in_progress": {handled},
        # handled: accepted 03-20 (late), answer due 05-19, open on 06-30
        "overdue": {late, handled, old},
        "closed": {done},
    }
    # 2025: received 4 (waiting, late, handled, done); accepted on time: done only (handled
    # was accepted on 03-20, after 03-16); closed: done, on time; satisfied: 1 of 1
    rates = rates_of(TOWNSHIP_A, parse("2025"))
    assert rates.received == 4
    assert (rates.accepted_on_time.numerator, rates.closed.numerator) == (1, 1)
    assert (rates.closed_on_time.numerator, rates.satisfaction.denominator) == (1, 1)
    assert rates_of(TOWNSHIP_B, parse("2025")).received == 0
    assert rates_of(VILLAGE_A1, parse("2024")).received == 1


def test_each_action_sent_twice_acts_once(staff: dict[str, Any]) -> None:
    officer, handler = staff["stat_a"], staff["stat_a2"]
    case = register(officer)
    for _ in range(2):
        services.case_accept(case=case, accepted_on=D(2025, 3, 2), actor=officer, today=TODAY)
    for _ in range(2):
        services.case_assign(
            case=case, unit=unit(TOWNSHIP_A), assignee=handler, actor=officer, today=TODAY
        )
    for _ in range(2):
        services.case_step_add(case=case, on=D(2025, 3, 3), text="约谈", actor=handler, today=TODAY)
    for _ in range(2):
        services.case_close(
            case=case,
            reply="已答复",
            closed_on=D(2025, 3, 4),
            satisfaction="satisfied",
            actor=officer,
            today=TODAY,
        )
    kinds = list(case.steps.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["registered", "accepted", "assigned", "note", "closed"]
    assert AuditLog.objects.filter(object_type="cases.case").count() == 5
    # a different acceptance day or reply is not a repeat: refused, saying why
    with pytest.raises(services.CaseRefused):
        services.case_accept(case=case, accepted_on=D(2025, 3, 3), actor=officer, today=TODAY)
    with pytest.raises(services.CaseRefused):
        services.case_close(
            case=case,
            reply="另一答复",
            closed_on=D(2025, 3, 4),
            satisfaction="satisfied",
            actor=officer,
            today=TODAY,
        )


def test_a_case_given_to_someone_leaves_them_with_their_role(staff: dict[str, Any]) -> None:
    from renkou.core.accounts import role_revoke

    rep = staff["rep_a1"]
    case = register(staff["stat_a"])
    services.case_assign(case=case, unit=unit(VILLAGE_A1), assignee=rep, actor=staff["stat_a"])
    assert list(cases_for(rep)) == [case]
    role_revoke(assignment=RoleAssignment.objects.get(user=rep), actor="test")
    rep = type(rep).objects.get(pk=rep.pk)  # a new request: roles read again
    assert list(cases_for(rep)) == []


def test_a_unit_that_did_not_exist_on_the_day_received_is_refused(
    staff: dict[str, Any],
) -> None:
    OrgUnit.objects.filter(code=VILLAGE_A1).update(valid_from=D(2025, 4, 1))
    with pytest.raises(services.CaseRefused) as refused:
        register(staff["stat_a"], received_on=D(2025, 3, 1))
    assert refused.value.field == "orgunit" and "2025-03-01" in str(refused.value)


def test_a_notification_of_a_case_opens_the_case(staff: dict[str, Any], client: Any) -> None:
    from tests.builders import login_as

    case = register(staff["stat_a"])
    services.case_assign(
        case=case, unit=unit(TOWNSHIP_A), assignee=staff["stat_a2"], actor=staff["stat_a"]
    )
    told = Notification.objects.get(recipient=staff["stat_a2"], verb="case_assigned")
    response = login_as(client, staff["stat_a2"]).get(f"/notifications/{told.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"


def test_the_answer_deadline_is_extended_once_within_the_rule(staff: dict[str, Any]) -> None:
    officer = staff["stat_a"]
    case = register(officer)
    with pytest.raises(services.CaseRefused):  # not accepted yet
        services.case_extend(case=case, days=10, reason="情况复杂", actor=officer, today=TODAY)
    services.case_accept(case=case, accepted_on=D(2025, 3, 10), actor=officer, today=TODAY)
    for days in (0, 31, None):
        with pytest.raises(services.CaseRefused) as refused:
            services.case_extend(
                case=case, days=days, reason="情况复杂", actor=officer, today=TODAY
            )
        assert refused.value.field == "days"
    with pytest.raises(services.CaseRefused) as refused:
        services.case_extend(case=case, days=30, reason=" ", actor=officer, today=TODAY)
    assert refused.value.field == "reason"
    with pytest.raises(PermissionError):
        services.case_extend(
            case=case, days=30, reason="情况复杂", actor=staff["stat_b"], today=TODAY
        )
    services.case_extend(case=case, days=30, reason="情况复杂", actor=officer, today=TODAY)
    services.case_extend(case=case, days=30, reason="情况复杂", actor=officer, today=TODAY)
    case.refresh_from_db()
    # accepted 03-10: answer by 05-09, and 30 days more: 06-08
    assert case.answer_due == D(2025, 6, 8) and case.extended_days == 30
    assert case.steps.filter(kind="extended").count() == 1
    assert AuditLog.objects.get(action="cases.case.extended").reason == "情况复杂"
    with pytest.raises(services.CaseRefused):  # once only
        services.case_extend(case=case, days=5, reason="再延", actor=officer, today=TODAY)
    # answered on 06-01: after the 60 days, within the extension: on time
    services.case_close(
        case=case,
        reply="已答复",
        closed_on=D(2025, 6, 1),
        satisfaction="satisfied",
        actor=officer,
        today=TODAY,
    )
    rates = rates_of(VILLAGE_A1, parse("2025"))
    assert (rates.closed_on_time.numerator, rates.closed_on_time.denominator) == (1, 1)


def test_keys_rotate_re_encrypts_the_petitioners(staff: dict[str, Any]) -> None:
    from django.conf import settings
    from django.test import override_settings

    from renkou.core.tokens import tokens_rotate

    case = register(staff["stat_a"])
    anonymous = register(staff["stat_a"], channel="hotline", petitioner_name="")
    old = crypto.default_protector().primary_key_id
    with override_settings(
        RENKOU_ENCRYPTION_KEYS=crypto.add_new_key(settings.RENKOU_ENCRYPTION_KEYS)
    ):
        new = crypto.default_protector().primary_key_id
        assert tokens_rotate(actor="test")["cases.case"] == 2
        for row in Case.objects.filter(pk__in=[case.pk, anonymous.pk]):
            for token in (row.petitioner_name_enc, row.petitioner_phone_enc):
                assert not token or token.startswith(f"{new}$")
        stored = Case.objects.get(pk=case.pk)
        assert crypto.decrypt(stored.petitioner_name_enc) == "王大明"
        assert crypto.decrypt(stored.petitioner_phone_enc) == "13800138000"
        assert Case.objects.get(pk=anonymous.pk).petitioner_name_enc == ""
    assert new != old
