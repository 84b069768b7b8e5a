"""Needs, projects and claims in the admin: read-only; every change goes through ``needs.services``."""

from django.contrib import admin

from organisations.admin import ReadOnlyAdmin

from .models import (
    Claim,
    Need,
    NeedsEvent,
    NeedSupport,
    ResponseTime,
    ServiceProject,
    ServiceRating,
    ServiceRecord,
)


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    list_display = ["raised_at", "community", "category", "channel", "status", "due_at"]
    list_filter = ["status", "category", "channel"]
    list_select_related = ["community"]
    search_fields = ["text"]


@admin.register(ServiceProject)
class ServiceProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "status", "people_target", "starts_on", "ends_on"]
    list_filter = ["status"]
    list_select_related = ["community"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["project", "organisation", "status", "claimed_at", "decided_at"]
    list_select_related = ["project", "organisation"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ["served_on", "project", "organisation", "people_served", "hours", "volunteers"]
    list_select_related = ["project", "organisation"]


@admin.register(NeedSupport)
class NeedSupportAdmin(ReadOnlyAdmin):
    list_display = ["need", "resident", "created_at"]
    list_select_related = ["need", "resident"]


@admin.register(ServiceRating)
class ServiceRatingAdmin(ReadOnlyAdmin):
    list_display = ["project", "resident", "stars", "created_at"]
    list_select_related = ["project", "resident"]


@admin.register(NeedsEvent)
class NeedsEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "community", "kind", "actor", "from_status", "to_status"]
    list_filter = ["kind"]
    list_select_related = ["community", "actor"]


@admin.register(ResponseTime)
class ResponseTimeAdmin(admin.ModelAdmin):
    """A community's response time is configuration, not history: editable."""

    list_display = ["community", "days"]


from .models import Activity, Signup  # noqa: E402 — the activities (R25)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "title", "project", "place", "capacity", "min_age"]
    list_select_related = ["project"]


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    list_display = ["activity", "resident", "status", "signed_up_at", "checked_in_at", "checkin_method"]
    list_filter = ["status", "checkin_method"]
    list_select_related = ["activity", "resident"]
