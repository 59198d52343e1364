"""Pages of the (still plain) web app: overview, org-unit tree, forced password change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from renkou.core.accounts import password_changed
from renkou.core.scoping import can_see_code, restrict, user_prefixes
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.orgunits.selectors import orgunit_ancestors, orgunit_roots
from renkou.registry.choices import PersonStatus
from renkou.registry.models import Event, Household, Person


class HomeView(LoginRequiredMixin, TemplateView):
    """The overview: register totals and the top of the tree."""

    template_name = "web/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "persons_alive": restrict(
                Person.objects.filter(status=PersonStatus.ALIVE), user
            ).count(),
            "households": restrict(Household.objects.all(), user).count(),
            "events": restrict(Event.objects.all(), user).count(),
            "orgunits": restrict(OrgUnit.objects.all(), user).count(),
            "roots": visible_roots(user),
        }


class OrgUnitListView(LoginRequiredMixin, TemplateView):
    """The roots of the org-unit tree."""

    template_name = "web/orgunit_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "roots": visible_roots(self.request.user)}


class OrgUnitDetailView(LoginRequiredMixin, TemplateView):
    """One unit: breadcrumb, children with their number of residents (two queries)."""

    template_name = "web/orgunit_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        unit = get_object_or_404(restrict(OrgUnit.objects.all(), user), code=kwargs["code"])
        children = list(unit.children.all())
        residents_by_village = dict(
            Person.objects.filter(
                code_prefix_q("residence_orgunit_id", unit.code), status=PersonStatus.ALIVE
            )
            .values_list("residence_orgunit_id")
            .annotate(n=Count("id"))
        )
        for child in children:
            child.residents = sum(
                n for code, n in residents_by_village.items() if code.startswith(child.code)
            )
        return {
            **super().get_context_data(**kwargs),
            "unit": unit,
            "ancestors": breadcrumb(user, unit),
            "children": children,
            "residents": sum(residents_by_village.values()),
        }


def unit_for_user(user: Any, code: str | None) -> OrgUnit:
    """The unit ``code`` if the user may see it (404 otherwise); without a code, the top of
    the user's area."""
    if code is None:
        roots = visible_roots(user)
        if not roots:
            raise PermissionDenied
        return roots[0]
    return get_object_or_404(restrict(OrgUnit.objects.all(), user), code=code)


def breadcrumb(user: Any, unit: OrgUnit) -> list[tuple[OrgUnit, bool]]:
    """The unit's ancestors, each with whether the user may open it."""
    return [(a, can_see_code(user, a.code)) for a in orgunit_ancestors(unit)]


def visible_roots(user: Any) -> list[OrgUnit]:
    """The tops of the user's subtrees (the tree's roots for the superuser)."""
    prefixes = user_prefixes(user)
    if prefixes is None:
        return list(orgunit_roots())
    return list(OrgUnit.objects.filter(code__in=prefixes))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Password change that also clears the one-time-password flag."""

    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_changed(user=self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


def healthz(request: Any) -> HttpResponse:
    """Liveness probe for scripts: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")
