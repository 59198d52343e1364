"""Second factor (TOTP) for administrators and county users: setup, verification, enforcement."""

from __future__ import annotations

import math
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from renkou.core.audit import audit_record
from renkou.core.middleware import SignInStepMiddleware
from renkou.core.scoping import user_roles


def needs_second_factor(user: Any) -> bool:
    """Whether this user's roles require a TOTP code at sign-in."""
    return bool(user_roles(user) & settings.RENKOU_SECOND_FACTOR_ROLES)


class SecondFactorRequiredMiddleware(SignInStepMiddleware):
    """Sends users who need a second factor to set it up, or to enter a code."""

    def pending_step(self, user: Any) -> str | None:
        if user.is_verified() or not needs_second_factor(user):
            return None
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        return "otp_verify" if has_device else "otp_setup"


class TokenForm(forms.Form):
    """The six digits from the authenticator app."""

    token = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits the app shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _check(request: HttpRequest, device: TOTPDevice, form: TokenForm) -> bool:
    if not form.is_valid():
        return False
    # Checked before the code: after a wrong code the device refuses every code, the right
    # one too, for a delay that doubles with each failure. Say so, and until when.
    allowed, why = device.verify_is_allowed()
    if not allowed and why and why.get("locked_until"):
        wait = max(1, math.ceil((why["locked_until"] - timezone.now()).total_seconds()))
        form.add_error(
            "token",
            ngettext(
                "Too many wrong codes. Wait %(seconds)d second, then enter the code again.",
                "Too many wrong codes. Wait %(seconds)d seconds, then enter the code again.",
                wait,
            )
            % {"seconds": wait},
        )
        return False
    if device.verify_token(form.cleaned_data["token"].strip()):
        otp_login(request, device)
        return True
    form.add_error("token", _("That code is not right, or it has expired. Try the next one."))
    return False


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Show a QR code for a new authenticator and confirm it with a first code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("otp_verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and _check(request, device, form):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=request.user,
            action="user.otp_setup",
            object_type="user",
            object_id=request.user.pk,
        )
        return redirect("home")
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2933")
    secret = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "core/otp_setup.html", {"form": form, "qr": qr, "secret": secret})


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code at sign-in."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if _check(request, device, form):
            return redirect(request.GET.get("next") or "home")
        audit_record(
            actor=request.user,
            action="user.otp_failed",
            object_type="user",
            object_id=request.user.pk,
        )
    return render(request, "core/otp_verify.html", {"form": form})
