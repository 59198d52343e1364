"""The JSON API: the same register, scoping, services and audit as the web pages.

Every read is scoped with ``restrict`` (a record outside the caller's area is "not found"),
every write goes through the registry services, and every response carrying persons' data
is written to the audit log (a machine client can read much more than a person at a page).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from renkou.api import serializers as s
from renkou.core.audit import audit_record
from renkou.core.problems import Problem
from renkou.core.scoping import may, restrict
from renkou.orgunits.scoping import codes_prefix_q
from renkou.registry import selectors, services
from renkou.registry.changes import FIELD_OF_COLUMN, change_submit, reporting_villages
from renkou.registry.forms import FORMS
from renkou.registry.models import Event, Household, Person
from renkou.registry.validation import EventRefused

# The largest id a cursor may name (a bigint); beyond it PostgreSQL cannot compare.
MAX_ID = 2**63 - 1


class ById(CursorPagination):
    """Pages of up to 200 in id order; the cursor never needs to count the whole list."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor of ``?cursor=``; a malformed one is a 400 naming the parameter (DRF
        answers 404, or a server error for a position that is no id)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor, malformed = None, True
        else:
            position = cursor.position if cursor else None
            malformed = position is not None and not (
                position.isascii() and position.isdigit() and int(position) <= MAX_ID
            )
        if malformed:
            message = _("The cursor is malformed; use the next or previous link as given.")
            raise ValidationError({"cursor": [ErrorDetail(message, code="invalid_cursor")]})
        return cursor


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def problems_response(problems: list[Problem]) -> Response:
    """400 with each problem in both languages and in the caller's."""
    zh = _zh()
    errors = [
        {
            "field": FIELD_OF_COLUMN.get(p.column, p.column),
            "code": p.code,
            "message": p.message_zh if zh else p.message_en,
            "message_zh": p.message_zh,
            "message_en": p.message_en,
        }
        for p in problems
    ]
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def form_errors_response(form: Any) -> Response:
    """400 with the form's own messages (in the caller's language) per field."""
    errors = [
        {"field": field, "code": e.code or "invalid", "message": str(e.message % (e.params or {}))}
        for field, items in form.errors.as_data().items()
        for e in items
    ]
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


class AuditedReadMixin:
    """Writes one audit row for each list page read (what was asked, how many came back)."""

    audit_object = ""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        audit_record(
            actor=request.user,
            action=f"api.{self.audit_object}.list",
            object_type=self.audit_object,
            after={
                "query": {k: v for k, v in request.query_params.items() if k != "cursor"},
                "returned": len(response.data.get("results", [])),
            },
        )
        return response


ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        summary="Search persons",
        parameters=[
            OpenApiParameter("q", str, description="identity number, name, pinyin or initials"),
            OpenApiParameter("village", str, description="org-unit code prefix of residence"),
            OpenApiParameter("household", str, description="household number"),
        ],
    ),
    retrieve=extend_schema(summary="One person (audited)", parameters=[ID]),
)
class PersonViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Person]):
    """Persons in the caller's area."""

    pagination_class = ById
    audit_object = "person"

    def get_serializer_class(self) -> type[s.PersonSerializer]:
        return s.PersonDetailSerializer if self.action == "retrieve" else s.PersonSerializer

    def get_queryset(self) -> QuerySet[Person]:
        # (A query string holding NUL never gets here: RefuseNulMiddleware answers 400.)
        params = {
            k: self.request.query_params.get(k, "").strip() for k in ("q", "village", "household")
        }
        return selectors.person_search(user=self.request.user, **params).order_by("id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self._person(kwargs["pk"])
        services.person_viewed(person=person, actor=request.user)
        data = s.PersonDetailSerializer(
            person, context={"children": selectors.person_children(person)}
        ).data
        return Response(data)

    def _person(self, pk: Any) -> Person:
        try:
            return selectors.person_for_user(user=self.request.user, person_id=int(pk))
        except (Person.DoesNotExist, ValueError):
            raise NotFound from None

    @extend_schema(
        summary="A person's events, oldest first",
        parameters=[ID],
        responses=s.EventSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request: Request, pk: str) -> Response:
        person = self._person(pk)
        services.person_viewed(person=person, actor=request.user)
        return Response(s.EventSerializer(selectors.person_timeline(person), many=True).data)

    @extend_schema(
        summary="Unmask the identity number (audited; needs a reason and a permitted role)",
        parameters=[ID],
        request=s.RevealSerializer,
        responses={200: s.IdNumberSerializer, 400: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="id-number")
    def id_number(self, request: Request, pk: str) -> Response:
        person = self._person(pk)
        body = s.RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            number = services.person_id_number_reveal(
                person=person, actor=request.user, reason=body.validated_data["reason"]
            )
        except PermissionError:
            raise PermissionDenied from None
        except EventRefused as refused:
            return problems_response(refused.problems)
        return Response({"id_number": number})

    @extend_schema(
        summary="Unmask the phone number (audited; needs a reason and a permitted role)",
        parameters=[ID],
        request=s.RevealSerializer,
        responses={200: s.PhoneSerializer, 400: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="phone")
    def phone(self, request: Request, pk: str) -> Response:
        person = self._person(pk)
        body = s.RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            number = services.person_phone_reveal(
                person=person, actor=request.user, reason=body.validated_data["reason"]
            )
        except PermissionError:
            raise PermissionDenied from None
        except EventRefused as refused:
            return problems_response(refused.problems)
        return Response({"phone": number})


@extend_schema_view(
    list=extend_schema(
        summary="Households",
        parameters=[
            OpenApiParameter("village", str, description="org-unit code prefix"),
            OpenApiParameter("number", str, description="household number"),
        ],
    ),
    retrieve=extend_schema(summary="One household and its members (audited)", parameters=[ID]),
)
class HouseholdViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Household]):
    """Households in the caller's area."""

    pagination_class = ById
    serializer_class = s.HouseholdSerializer
    audit_object = "household"

    def get_queryset(self) -> QuerySet[Household]:
        qs = restrict(Household.objects.select_related("orgunit"), self.request.user)
        village = self.request.query_params.get("village", "").strip()
        if village:
            qs = qs.filter(codes_prefix_q("orgunit_id", [village]))
        number = self.request.query_params.get("number", "").strip()
        if number:
            qs = qs.filter(number=number)
        return qs

    @extend_schema(responses=s.HouseholdDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            household = selectors.household_for_user(
                user=request.user, household_id=int(kwargs["pk"])
            )
        except (Household.DoesNotExist, ValueError):
            raise NotFound from None
        members = selectors.household_members(household)
        audit_record(
            actor=request.user,
            action="household.view",
            object_type="household",
            object_id=household.pk,
        )
        return Response(s.HouseholdDetailSerializer(household, context={"members": members}).data)


EVENT_FILTERS = [
    OpenApiParameter("person", int),
    OpenApiParameter("kind", str),
    OpenApiParameter("status", str),
    OpenApiParameter("village", str, description="org-unit code prefix where it was recorded"),
    OpenApiParameter("after_seq", int, description="applied events after this sequence number"),
]


def _int(value: str | None) -> int | None:
    """A query parameter as a database integer; None when empty, not a number, or outside
    64 bits (SQLite cannot even compare such a number)."""
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and -(2**63) <= number < 2**63 else None


@extend_schema_view(
    list=extend_schema(summary="Events (the register's history)", parameters=EVENT_FILTERS),
    retrieve=extend_schema(summary="One event", parameters=[ID]),
)
class EventViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet[Event]):
    """Events recorded in the caller's area, applied or not."""

    pagination_class = ById
    serializer_class = s.EventSerializer
    audit_object = "event"

    def get_queryset(self) -> QuerySet[Event]:
        qs = restrict(Event.objects.select_related("person", "reporter"), self.request.user)
        p = self.request.query_params
        if (person := _int(p.get("person"))) is not None:
            qs = qs.filter(person_id=person)
        for key in ("kind", "status"):
            if p.get(key):
                qs = qs.filter(**{key: p[key]})
        if p.get("village"):
            qs = qs.filter(codes_prefix_q("orgunit_id", [p["village"]]))
        if (seq := _int(p.get("after_seq"))) is not None:
            qs = qs.filter(applied_seq__gt=seq)
        return qs


@extend_schema_view(
    list=extend_schema(
        summary="Reported changes (变动单)",
        parameters=[
            OpenApiParameter("status", str, enum=["pending", "decided"]),
            OpenApiParameter("village", str, description="village code"),
        ],
    ),
    retrieve=extend_schema(summary="One reported change", parameters=[ID]),
)
class ChangeViewSet(
    AuditedReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Event],
):
    """Changes reported by villages and their review: file, apply, reject."""

    pagination_class = ById
    serializer_class = s.EventSerializer
    audit_object = "change"

    def get_queryset(self) -> QuerySet[Event]:
        qs = restrict(
            Event.objects.exclude(kind="enrol").filter(historic=False), self.request.user
        ).select_related("person", "reporter")
        wanted = self.request.query_params.get("status", "")
        if wanted == "pending":
            qs = selectors.changes_pending(qs)
        elif wanted == "decided":
            qs = selectors.changes_decided(qs)
        if village := self.request.query_params.get("village", "").strip():
            qs = qs.filter(orgunit_id=village)
        return qs

    def _change(self, pk: Any) -> Event:
        event = self.get_queryset().filter(pk=_int(str(pk))).first()
        if event is None:
            raise NotFound
        return event

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(s.EventSerializer(self._change(kwargs["pk"])).data)

    @extend_schema(
        summary="File a change report",
        request=s.ChangeCreateSerializer,
        responses={201: s.EventSerializer, 200: s.EventSerializer, 400: s.ErrorSerializer},
    )
    def create(self, request: Request) -> Response:
        body = s.ChangeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        kind = data.pop("kind")
        villages = reporting_villages(request.user)
        if not villages:
            raise PermissionDenied
        form_data: dict[str, Any] = {k: v for k, v in data.items() if v is not None}
        form_data["token"] = data["client_ref"]
        if "person" in data:
            form_data["person"] = f"{data['person']}@{data.get('person_version', 0)}"
        form = FORMS[kind](form_data, villages=villages)
        if not form.is_valid():
            return form_errors_response(form)
        ref = f"api:{request.user.pk}:{data['client_ref']}"
        try:
            event = change_submit(kind, form.cleaned_data, request.user, ref=ref)
        except EventRefused as refused:
            return problems_response(refused.problems)
        # 201 only when this request filed it: a retry, even one racing the first, gets 200
        created = getattr(event, "created_now", False)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.EventSerializer(event).data, status=code)

    def _decision(self, pk: Any) -> Event:
        event = self._change(pk)
        if not may(self.request.user, "review", event.orgunit_id):
            raise PermissionDenied
        return event

    @extend_schema(
        summary="Apply a reported change to the register",
        description=(
            "Refused (400) while a logic check of error severity flags the result, or one of "
            "warning severity does and no warnings_reason is given."
        ),
        parameters=[ID],
        request=s.ApplySerializer,
        responses={200: s.EventSerializer, 400: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str) -> Response:
        event = self._decision(pk)
        body = s.ApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data.get("warnings_reason", "").strip()
        try:
            event = services.event_apply(event=event, actor=request.user, warnings_reason=reason)
        except EventRefused as refused:
            return problems_response(refused.problems)
        return Response(s.EventSerializer(event).data)

    @extend_schema(
        summary="Send a reported change back with a reason",
        parameters=[ID],
        request=s.RejectSerializer,
        responses={200: s.EventSerializer, 400: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        event = self._decision(pk)
        body = s.RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            event = services.event_reject(
                event=event, actor=request.user, reason=body.validated_data["reason"]
            )
        except EventRefused as refused:
            return problems_response(refused.problems)
        return Response(s.EventSerializer(event).data)
