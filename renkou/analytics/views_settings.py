"""The sex ratio setting's page: its dated history, and a form for county administrators to
set the normal band and the weighted SRB's years and weights from a date on (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.analytics import srb_settings
from renkou.analytics.models import SexRatioSetting
from renkou.analytics.services import srb_setting_set
from renkou.core.scoping import user_roles

SETTERS = frozenset({"county_admin", "sysadmin"})


class SexRatioSettingForm(forms.Form):
    """A new setting: from a date, the band and the parts (``Y-3..Y-1=40,Y=60``), why."""

    valid_from = forms.DateField(label=gettext_lazy("Valid from"))
    normal_low = forms.FloatField(label=gettext_lazy("Normal range, low"), initial=103)
    normal_high = forms.FloatField(label=gettext_lazy("Normal range, high"), initial=107)
    weights = forms.CharField(
        label=gettext_lazy("Years and weights (per cent)"),
        initial=srb_settings.DEFAULT.parts_text(),
        help_text=gettext_lazy(
            "Y is the scored year: Y-3..Y-1=40,Y=60 pools the three years before it at 40 per "
            "cent and takes the year itself at 60 per cent."
        ),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            parts = srb_settings.parse_parts(data["weights"])
            srb_settings.SrbSetting(
                data["valid_from"], data["normal_low"], data["normal_high"], parts
            )
        except srb_settings.SettingError:
            raise forms.ValidationError(
                _(
                    "This setting cannot hold: the low end must be below the high end, each "
                    "part is Y-n..Y-m=weight or Y=weight ending by Y, no year is in two "
                    "parts, and the weights add up to 100."
                )
            ) from None
        data["parts"] = parts
        return data


@login_required
def srb_setting(request: HttpRequest) -> HttpResponse:
    """The history of the setting; county administrators add to it."""
    may_set = bool(user_roles(request.user) & SETTERS)
    form = SexRatioSettingForm(request.POST or None)
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            srb_setting_set(
                valid_from=data["valid_from"],
                normal_low=data["normal_low"],
                normal_high=data["normal_high"],
                parts=data["parts"],
                actor=request.user,
                reason=data["reason"],
            )
            messages.success(
                request,
                _(
                    "Saved. Weighted sex ratios it can change are recomputed at the next "
                    "refresh of the statistics."
                ),
            )
            return redirect("statistics_srb_setting")
    rows = [
        {
            "valid_from": row.valid_from,
            "band": f"{row.normal_low:g}–{row.normal_high:g}",
            "weights": row.as_setting().parts_text(),
            "reason": row.reason,
            "changed_at": row.changed_at,
        }
        for row in SexRatioSetting.objects.order_by("-valid_from")
    ]
    default = srb_settings.DEFAULT
    return render(
        request,
        "analytics/srb_setting.html",
        {
            "rows": rows,
            "default_band": f"{default.normal_low:g}–{default.normal_high:g}",
            "default_weights": default.parts_text(),
            "form": form if may_set else None,
        },
    )
