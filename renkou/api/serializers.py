"""What the API shows of the register. Identity numbers only masked; ciphertexts and blind
indexes never leave the server."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from renkou.registry.choices import Sex
from renkou.registry.forms import CORRECTABLE, KINDS, kind_label
from renkou.registry.models import Event, Household, Person

HIDDEN_KEYS = frozenset({"id_number_hash", "id_number_enc"})


def public_payload(value: Any) -> Any:
    """An event's details without the protected identity fields (at any depth)."""
    if isinstance(value, dict):
        return {k: public_payload(v) for k, v in value.items() if k not in HIDDEN_KEYS}
    if isinstance(value, list):
        return [public_payload(v) for v in value]
    return value


class PersonRefSerializer(serializers.ModelSerializer[Person]):
    """A person named from another record (family link, household member)."""

    class Meta:
        model = Person
        fields = ["id", "name", "sex", "birth_date", "status"]


class PersonSerializer(serializers.ModelSerializer[Person]):
    """A person as a search result."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    household_number = serializers.CharField(
        source="household.number", read_only=True, allow_null=True, default=None
    )
    residence_orgunit_name = serializers.CharField(
        source="residence_orgunit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "version",
            "name",
            "name_pinyin",
            "sex",
            "birth_date",
            "id_number",
            "status",
            "death_date",
            "residence_orgunit",
            "residence_orgunit_name",
            "residence_region",
            "hukou_orgunit",
            "hukou_region",
            "household",
            "household_number",
        ]


class PersonDetailSerializer(PersonSerializer):
    """A person with family links."""

    mother = PersonRefSerializer(read_only=True, allow_null=True)
    father = PersonRefSerializer(read_only=True, allow_null=True)
    children = serializers.SerializerMethodField()
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [
            *PersonSerializer.Meta.fields,
            "phone",
            "ethnicity",
            "hukou_type",
            "marital_status",
            "birth_order",
            "relation_to_head",
            "mother",
            "father",
            "children",
        ]

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_children(self, person: Person) -> list[dict[str, Any]]:
        children = self.context.get("children", [])
        return PersonRefSerializer(children, many=True).data  # type: ignore[return-value]


class HouseholdSerializer(serializers.ModelSerializer[Household]):
    """A household."""

    orgunit_name = serializers.CharField(source="orgunit.name", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "number", "orgunit", "orgunit_name", "address", "hukou_type"]


class HouseholdDetailSerializer(HouseholdSerializer):
    """A household and its members, the head first."""

    members = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members"]

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_members(self, household: Household) -> list[dict[str, Any]]:
        return PersonRefSerializer(self.context.get("members", []), many=True).data  # type: ignore[return-value]


class EventSerializer(serializers.ModelSerializer[Event]):
    """One change to the register (the history, and reported changes under review)."""

    payload = serializers.SerializerMethodField()
    person_name = serializers.SerializerMethodField()
    reporter = serializers.CharField(
        source="reporter.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "status",
            "person",
            "person_name",
            "orgunit",
            "effective_date",
            "report_date",
            "source",
            "reporter",
            "payload",
            "historic",
            "applied_seq",
            "created_at",
            "decided_at",
            "reject_reason",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, event: Event) -> dict[str, Any]:
        return public_payload(event.payload)  # type: ignore[no-any-return]

    @extend_schema_field(OpenApiTypes.STR)
    def get_person_name(self, event: Event) -> str:
        if event.person_id:
            return event.person.name
        return str((event.payload.get("state") or {}).get("name", ""))


class ChangeCreateSerializer(serializers.Serializer[Any]):
    """A change report to file. Which fields are needed depends on ``kind``: a birth names
    the child, its sex, and the mother/father ids from the register; every other kind names
    the ``person`` and the ``person_version`` the client last read (a newer version means the
    request is stale and is refused). ``client_ref`` makes a retried request harmless."""

    kind = serializers.ChoiceField(choices=[(k, kind_label(k)) for k in KINDS])
    client_ref = serializers.RegexField(
        r"^[A-Za-z0-9._:-]{8,64}$",
        help_text=_("Your own unique id for this report (8-64 letters, digits, . _ : -)."),
    )
    village = serializers.RegexField(r"^\d{12}$")
    effective_date = serializers.DateField()
    person = serializers.IntegerField(required=False, min_value=1)
    person_version = serializers.IntegerField(required=False, min_value=1)
    name = serializers.CharField(required=False, max_length=50)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    id_number = serializers.CharField(required=False, max_length=18, allow_blank=True)
    mother = serializers.IntegerField(required=False, min_value=1)
    father = serializers.IntegerField(required=False, min_value=1)
    spouse = serializers.IntegerField(required=False, min_value=1)
    destination = serializers.CharField(required=False, max_length=12)
    field = serializers.ChoiceField(choices=CORRECTABLE, required=False)
    value = serializers.CharField(required=False, max_length=50)
    reason = serializers.CharField(required=False, max_length=200)
    # an arrival from outside (kind "arrival"): the person's particulars
    birth_date = serializers.DateField(required=False)
    hukou_region = serializers.CharField(required=False, max_length=6)
    hukou_type = serializers.CharField(required=False, max_length=8, allow_blank=True)
    ethnicity = serializers.CharField(required=False, max_length=2, allow_blank=True)
    marital_status = serializers.CharField(required=False, max_length=10, allow_blank=True)
    phone = serializers.CharField(required=False, max_length=24, allow_blank=True)
    household = serializers.CharField(required=False, max_length=40, allow_blank=True)
    relation_to_head = serializers.CharField(required=False, max_length=12, allow_blank=True)


class ApplySerializer(serializers.Serializer[Any]):
    """Optional: why the record is right although logic checks of warning severity flag it."""

    warnings_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RejectSerializer(serializers.Serializer[Any]):
    """Why a reported change is sent back."""

    reason = serializers.CharField(max_length=500)


class RevealSerializer(serializers.Serializer[Any]):
    """Why the identity number is needed in clear."""

    reason = serializers.CharField(max_length=500)


class PhoneSerializer(serializers.Serializer[Any]):
    """A phone number in clear."""

    phone = serializers.CharField()


class IdNumberSerializer(serializers.Serializer[Any]):
    """An identity number in clear."""

    id_number = serializers.CharField()


class ProblemSerializer(serializers.Serializer[Any]):
    """One reason a request was refused, in both languages."""

    field = serializers.CharField(allow_blank=True)
    code = serializers.CharField()
    message = serializers.CharField()
    message_zh = serializers.CharField(required=False)
    message_en = serializers.CharField(required=False)


class ErrorSerializer(serializers.Serializer[Any]):
    """A refused request."""

    errors = ProblemSerializer(many=True)
