"""Register pages: person search, person page (audited), household page, unmasking."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from renkou.core.scoping import user_roles
from renkou.health.views import person_link as health_person_link
from renkou.registry import selectors, services
from renkou.registry.models import Household, Person
from renkou.registry.validation import EventRefused


class PersonSearchView(LoginRequiredMixin, TemplateView):
    """Search by identity number, name (characters or pinyin), village, household."""

    template_name = "registry/person_search.html"

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["registry/_person_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        params = {k: self.request.GET.get(k, "").strip() for k in ("q", "village", "household")}
        searched = any(params.values())
        results: list[Person] = []
        if searched:
            qs = selectors.person_search(user=self.request.user, **params)
            results = list(qs[: selectors.SEARCH_LIMIT + 1])
        return {
            **super().get_context_data(**kwargs),
            **params,
            "searched": searched,
            "results": results[: selectors.SEARCH_LIMIT],
            "more": len(results) > selectors.SEARCH_LIMIT,
            "limit": selectors.SEARCH_LIMIT,
        }


class PersonDetailView(LoginRequiredMixin, TemplateView):
    """A person's current state, family, household and event timeline. Every view is audited."""

    template_name = "registry/person_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            person = selectors.person_for_user(user=self.request.user, person_id=kwargs["pk"])
        except Person.DoesNotExist:
            raise Http404 from None
        services.person_viewed(person=person, actor=self.request.user)
        return {
            **super().get_context_data(**kwargs),
            "person": person,
            "children": selectors.person_children(person),
            "timeline": selectors.person_timeline(person),
            "can_reveal": bool(user_roles(self.request.user) & services.REVEAL_ROLES),
            # service staff only: the link says nothing of whether there are records
            "health_link": health_person_link(self.request.user, person),
        }


@login_required
@require_POST
def person_reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one identity number in clear, with the reason given (htmx partial)."""
    try:
        person = selectors.person_for_user(user=request.user, person_id=pk)
    except Person.DoesNotExist:
        raise Http404 from None
    context: dict[str, Any] = {"person": person, "can_reveal": True}
    try:
        context["number"] = services.person_id_number_reveal(
            person=person, actor=request.user, reason=request.POST.get("reason", "")
        )
    except EventRefused:
        context["error"] = _("Give the reason why you need to see the number.")
    except PermissionError:
        return HttpResponse(status=403)
    return render(request, "registry/_id_number.html", context)


@login_required
@require_POST
def person_reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one phone number in clear, with the reason given (htmx partial); audited."""
    try:
        person = selectors.person_for_user(user=request.user, person_id=pk)
    except Person.DoesNotExist:
        raise Http404 from None
    context: dict[str, Any] = {"person": person, "can_reveal": True}
    try:
        context["number"] = services.person_phone_reveal(
            person=person, actor=request.user, reason=request.POST.get("reason", "")
        )
    except EventRefused:
        context["error"] = _("Give the reason why you need to see the number.")
    except PermissionError:
        return HttpResponse(status=403)
    return render(request, "registry/_phone.html", context)


class HouseholdDetailView(LoginRequiredMixin, TemplateView):
    """A household and its members."""

    template_name = "registry/household_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            household = selectors.household_for_user(
                user=self.request.user, household_id=kwargs["pk"]
            )
        except Household.DoesNotExist:
            raise Http404 from None
        return {
            **super().get_context_data(**kwargs),
            "household": household,
            "members": selectors.household_members(household),
        }
