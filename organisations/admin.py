"""Organisations in the admin: read-only; every change goes through ``organisations.services``."""

from django.contrib import admin

from .models import ConflictFlag, Incubation, Organisation, OrganisationEvent, OrganisationMember


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "status", "credit_code", "registered_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "credit_code"]


@admin.register(OrganisationMember)
class OrganisationMemberAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "user", "role", "joined_at"]
    list_select_related = ["organisation", "user"]


@admin.register(Incubation)
class IncubationAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "mentor", "started_at", "graduated_at"]
    list_select_related = ["organisation", "mentor"]


@admin.register(OrganisationEvent)
class OrganisationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organisation", "kind", "actor", "from_status", "to_status"]
    list_select_related = ["organisation", "actor"]
    list_filter = ["kind"]


@admin.register(ConflictFlag)
class ConflictFlagAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "community", "decider", "organisation", "relationship", "decision", "subject",
                    "amount"]
    list_filter = ["decision", "relationship"]
    list_select_related = ["community", "decider", "organisation"]
