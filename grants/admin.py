"""Micro-grants in the admin: read-only; every change goes through ``grants.services``.

Opening a call reserves its pool on the ledger (and, on a foundation, draws its
purpose's designated money); awards lock the call and pay 70 %; scores keep the
conflict-of-interest rule. None of that can happen in a form, so the admin
shows calls, applications, scores, awards and the append-only events, and
changes nothing.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from organisations.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import GrantApplicant, GrantApplication, GrantAward, GrantCall, GrantEvent, GrantScore


class AwardInline(ReadOnlyInline):
    model = GrantAward
    fields = readonly_fields = ["application", "amount", "first_tranche", "status", "spent", "people_served"]


@admin.register(GrantCall)
class GrantCallAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "fund", "purpose_category", "pool", "cap", "applications_close",
                    "status"]
    list_filter = ["status", "purpose_category", "community"]
    list_select_related = ["community", "fund__community"]
    search_fields = ["title"]
    readonly_fields = [f.name for f in GrantCall._meta.fields]
    inlines = [AwardInline]


@admin.register(GrantApplication)
class GrantApplicationAdmin(ReadOnlyAdmin):
    list_display = ["title", "call", "organisation", "amount", "matched", "status"]
    list_filter = ["status"]
    list_select_related = ["call", "organisation"]
    search_fields = ["title", "call__title", "organisation__name"]


@admin.register(GrantApplicant)
class GrantApplicantAdmin(ReadOnlyAdmin):
    list_display = ["application", "resident"]
    list_select_related = ["application", "resident"]


@admin.register(GrantScore)
class GrantScoreAdmin(ReadOnlyAdmin):
    list_display = ["application", "reviewer", "score", "by_supervisor", "created_at"]
    list_filter = ["by_supervisor"]
    list_select_related = ["application", "reviewer"]


@admin.register(GrantAward)
class GrantAwardAdmin(ReadOnlyAdmin):
    list_display = ["application", "call", "amount", "first_tranche", "status", "spent", "people_served",
                    "leverage_ratio"]
    list_filter = ["status"]
    list_select_related = ["application", "call"]
    search_fields = ["application__title", "call__title"]

    @admin.display(description=_("撬动比"))
    def leverage_ratio(self, obj):
        value = obj.leverage
        return f"{value:.2f}" if value is not None else "—"


@admin.register(GrantEvent)
class GrantEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "call", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["call", "actor"]
