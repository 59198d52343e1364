"""``POST /api/notifications/``: a hospital pushes one birth or death notification."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from renkou.api.serializers import ErrorSerializer
from renkou.api.views import problems_response
from renkou.core.problems import InputRefused
from renkou.exchange.models import Sender
from renkou.exchange.push import NOTIFICATION_KINDS, notification_receive


def _text(max_length: int = 100) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=max_length
    )


class NotificationSerializer(serializers.Serializer[Any]):
    """A birth (出生) or death (死亡) as the hospital records it; dates as YYYY-MM-DD."""

    id = serializers.CharField(max_length=80, help_text="the hospital's own id of the record")
    kind = serializers.ChoiceField(choices=sorted(NOTIFICATION_KINDS))
    certificate_no = _text()
    birth_date = _text(30)
    death_date = _text(30)
    sex = _text(10)
    name = _text()
    id_number = _text(30)
    mother_name = _text()
    mother_id = _text(30)
    father_name = _text()
    father_id = _text(30)
    address = _text(200)


class ReceivedSerializer(serializers.Serializer[Any]):
    """What the hospital is told: its id was received (the register's answer stays here)."""

    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["received"])


class NotificationView(APIView):
    """Hospitals' notifications: validated, staged and linked like a roster row."""

    @extend_schema(
        summary="Push a birth or death notification (hospital tokens only)",
        request=NotificationSerializer,
        responses={
            201: ReceivedSerializer,
            200: ReceivedSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        sender = Sender.objects.filter(user=request.user.pk).first()
        if sender is None:
            raise PermissionDenied("only a hospital's token may push notifications")
        body = NotificationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if v not in (None, "")}
        try:
            received = notification_receive(sender=sender, body=data)
        except InputRefused as refused:
            return problems_response(refused.problems)
        code = status.HTTP_201_CREATED if received.created else status.HTTP_200_OK
        return Response({"id": received.notification.sender_ref, "status": "received"}, status=code)
