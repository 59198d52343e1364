"""Messages between areas about one person (流动人口"一盘棋"): arrival notices (流入通报),
verification requests (协查请求) and replies (反馈)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.display import FastChoiceDisplay
from renkou.registry.models import Event, Person


class MessageKind(models.TextChoices):
    """The three kinds of message."""

    NOTICE = "notice", _("Arrival notice (流入通报)")
    REQUEST = "request", _("Verification request (协查请求)")
    REPLY = "reply", _("Reply (反馈)")


class MessageState(models.TextChoices):
    """Where a message is: written and not yet sent; sent (a notice or request waits for its
    reply, a reply for its review); answered (a notice or request that has its reply);
    reviewed (a reply whose receiving office has decided on it)."""

    TO_SEND = "to_send", _("To send")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    REVIEWED = "reviewed", _("Reviewed")


class ReplyOutcome(models.TextChoices):
    """What a reply says."""

    CONFIRMED = "confirmed", _("Registered here; the record is right")
    CORRECTED = "corrected", _("Registered here; corrections given")
    NOT_REGISTERED = "not_registered", _("Not registered here")


class ReviewDecision(models.TextChoices):
    """What the receiving office did with a reply."""

    APPLIED = "applied", _("Corrections applied")
    NOTED = "noted", _("Noted")
    DECLINED = "declined", _("Corrections declined")


class Message(FastChoiceDisplay):
    """One message between two areas about one person.

    ``message_id`` is unique everywhere (a UUID), so that the same message delivered twice,
    on this server or from another, is stored once. ``sender_area`` and ``receiver_area``
    are org-unit codes of ours or GB/T 2260 region codes elsewhere. ``person_data`` is all a
    message carries about its person (a peer sees nothing else); the identity number in it
    is kept as in the register (blind index, ciphertext, mask). ``due_on`` is the deadline of
    the message's current step: a notice is to be sent by it, a request answered, a reply
    reviewed.
    """

    message_id = models.UUIDField(_("message id"), unique=True, default=uuid.uuid4)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.TO_SEND
    )
    sender_area = models.CharField(_("from"), max_length=12, db_index=True)
    receiver_area = models.CharField(_("to"), max_length=12, db_index=True)
    in_reply_to = models.UUIDField(_("in reply to"), null=True, blank=True, db_index=True)
    answers = models.ForeignKey(
        "self",
        verbose_name=_("answers"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replies",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    arrival = models.ForeignKey(
        Event,
        verbose_name=_("arrival"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_data = models.JSONField(_("person"), default=dict)
    body = models.JSONField(_("content"), default=dict, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ReplyOutcome.choices, blank=True
    )
    # the day of the arrival a notice tells of (通报率 counts from it)
    event_date = models.DateField(_("date of arrival"), null=True, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("days allowed"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=ReviewDecision.choices, blank=True
    )
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["kind", "state"]),
            models.Index(fields=["kind", "event_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class Peer(models.Model):
    """Another renkou server (of another county) messages are exchanged with.

    ``areas`` are the GB/T 2260 region-code prefixes it declared as its own: a message for
    a person registered there goes to it (the longest prefix wins). ``prefix`` and
    ``digest`` are of the token *we* issued to it (``rkp_<prefix>_<secret>``, shown once,
    only its SHA-256 kept); ``their_token_enc`` is the token *it* issued to us, encrypted.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    base_url = models.URLField(_("address"), max_length=200)
    areas = models.JSONField(_("areas"), default=list)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    their_token_enc = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    # who delivers to it now (a lease: one worker at a time keeps the order)
    delivering_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("peer server")
        verbose_name_plural = _("peer servers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OutboxState(models.TextChoices):
    """Where a message to another server is."""

    PENDING = "pending", _("Waiting to be delivered")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused by the peer")
    NO_PEER = "no_peer", _("No peer for this area")


class OutboxItem(FastChoiceDisplay):
    """A message waiting for (or done with) its delivery to another server.

    Written in the transaction that sends the message; the worker delivers the items of a
    peer in their order (``pk``), a later one never before an earlier one still waiting.
    ``next_attempt_at`` is when a failed delivery is tried again (backoff)."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.PROTECT, related_name="outbox"
    )
    peer = models.ForeignKey(
        Peer,
        verbose_name=_("peer server"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox",
    )
    area = models.CharField(_("to"), max_length=12)
    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["peer", "state", "id"])]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.area} ({self.state})"
