"""Micro-grants in the admin: read-only; every change goes through ``grants.services``."""

from django.contrib import admin

from organisations.admin import ReadOnlyAdmin

from .models import GrantApplicant, GrantApplication, GrantAward, GrantCall, GrantEvent, GrantScore


@admin.register(GrantCall)
class GrantCallAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "pool", "cap", "applications_close", "status"]
    list_select_related = ["community"]


@admin.register(GrantApplication)
class GrantApplicationAdmin(ReadOnlyAdmin):
    list_display = ["title", "call", "organisation", "amount", "matched", "status"]
    list_select_related = ["call", "organisation"]


@admin.register(GrantApplicant)
class GrantApplicantAdmin(ReadOnlyAdmin):
    list_display = ["application", "resident"]
    list_select_related = ["application", "resident"]


@admin.register(GrantScore)
class GrantScoreAdmin(ReadOnlyAdmin):
    list_display = ["application", "reviewer", "score", "by_supervisor", "created_at"]
    list_select_related = ["application", "reviewer"]


@admin.register(GrantAward)
class GrantAwardAdmin(ReadOnlyAdmin):
    list_display = ["application", "amount", "first_tranche", "status", "spent", "people_served"]
    list_select_related = ["application"]


@admin.register(GrantEvent)
class GrantEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "call", "kind", "actor"]
    list_select_related = ["call", "actor"]
