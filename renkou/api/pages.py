"""The "API tokens" page: a signed-in user makes and revokes tokens for their own programs."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.api import tokens
from renkou.api.models import ApiToken


class TokenForm(forms.Form):
    """A name for the token and how long it lasts."""

    name = forms.CharField(label=gettext_lazy("What it is for"), max_length=80)
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=tokens.MAX_DAYS,
        initial=tokens.DEFAULT_DAYS,
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens; a new one is shown once, right after it is made."""
    form = TokenForm(request.POST or None)
    new_token = ""
    if request.method == "POST" and form.is_valid():
        new_token = tokens.token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            actor=request.user,
        )
        form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user)
    return render(request, "api/tokens.html", {"form": form, "rows": rows, "new_token": new_token})


@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens: GET asks to confirm, POST revokes."""
    row = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if row is None:
        raise Http404
    if request.method != "POST":
        return render(request, "api/token_revoke.html", {"row": row})
    tokens.token_revoke(token=row, actor=request.user)
    messages.success(request, _("The token no longer works."))
    return redirect("api_tokens")
