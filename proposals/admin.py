"""Admin for proposals: for reading and searching, not for changing.

Every change to a proposal goes through ``proposals.services`` so that it is
checked, locked and written to the hash-chained timeline (R14); an admin edit
would bypass all three. So these admins are view-only: no add, change or
delete, for superusers too. Events, votes and resolutions are append-only
in the database as well (migration 0002).
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import (
    AgendaItem,
    Ballot,
    BallotElector,
    BudgetLine,
    Hold,
    Notice,
    Objection,
    Opinion,
    Proposal,
    ProposalEvent,
    Rating,
    Resolution,
    RoadshowQuestion,
    Vote,
)


class ReadOnlyMixin:
    """View-only: the services are the only writers (see module docstring)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabular(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class BudgetLineInline(ReadOnlyTabular):
    model = BudgetLine
    fields = ["position", "item", "quantity", "unit", "unit_price", "amount"]
    readonly_fields = fields
    show_change_link = False


class ProposalEventInline(ReadOnlyTabular):
    model = ProposalEvent
    fields = ["seq", "kind", "actor", "on_behalf_of", "created_at", "from_status", "to_status", "reason"]
    readonly_fields = fields
    ordering = ["seq"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["title", "group", "status", "category", "total", "community_share", "author", "updated_at"]
    list_filter = ["status", "category", "group__community__subdistrict", "group__community"]
    search_fields = ["title", "summary", "author__username", "author__full_name", "group__name"]
    list_select_related = ["group__community", "author"]
    date_hierarchy = "created_at"
    inlines = [BudgetLineInline, ProposalEventInline]


@admin.register(BudgetLine)
class BudgetLineAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "position", "item", "quantity", "unit", "unit_price", "amount"]
    search_fields = ["item", "proposal__title"]
    list_select_related = ["proposal"]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ["title", "proposal", "number", "proposal_revision", "total", "community_share", "adopted_at"]
    list_filter = ["category", "proposal__group__community"]
    search_fields = ["title", "text", "proposal__title", "content_hash"]
    list_select_related = ["proposal"]
    date_hierarchy = "adopted_at"


class VoteInline(ReadOnlyTabular):
    model = Vote
    fields = ["voter", "choice", "cast_at", "recorded_by"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = [
        "proposal", "kind", "council", "electorate_size", "opened_at", "closes_at", "closed_at",
        "outcome", "approve_count", "oppose_count", "abstain_count",
    ]
    list_filter = ["kind", "outcome", ("closed_at", admin.EmptyFieldListFilter), "council__community"]
    search_fields = ["proposal__title", "council__name"]
    list_select_related = ["proposal", "council"]
    date_hierarchy = "opened_at"
    inlines = [VoteInline]


@admin.register(BallotElector)
class BallotElectorAdmin(ReadOnlyAdmin):
    list_display = ["ballot", "user"]
    search_fields = ["user__username", "user__full_name", "ballot__proposal__title"]
    list_select_related = ["ballot__proposal", "user"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["ballot", "voter", "choice", "cast_at", "recorded_by"]
    list_filter = ["choice", "ballot__kind"]
    search_fields = ["voter__username", "voter__full_name", "ballot__proposal__title"]
    list_select_related = ["ballot__proposal", "voter", "recorded_by"]


class ObjectionInline(ReadOnlyTabular):
    model = Objection
    fields = ["resident", "text", "filed_at", "upheld", "answer", "answered_at"]
    readonly_fields = fields


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "resolution", "published_at", "ends_at", "voided_at", "objection_count"]
    list_filter = [("voided_at", admin.EmptyFieldListFilter), "proposal__group__community"]
    search_fields = ["proposal__title"]
    list_select_related = ["proposal", "resolution"]
    date_hierarchy = "published_at"
    inlines = [ObjectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_objections=Count("objections"))

    @admin.display(description=_("异议数"), ordering="_objections")
    def objection_count(self, obj):
        return obj._objections


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["notice", "resident", "filed_at", "answered_at", "upheld", "recorded_by"]
    list_filter = ["upheld", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["text", "answer", "resident__username", "resident__full_name", "notice__proposal__title"]
    list_select_related = ["notice__proposal", "notice__resolution", "resident", "recorded_by"]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "position", "proposal", "added_by"]
    list_filter = ["meeting__council"]
    search_fields = ["proposal__title", "meeting__council__name"]
    list_select_related = ["meeting__council", "proposal", "added_by"]


@admin.register(RoadshowQuestion)
class RoadshowQuestionAdmin(ReadOnlyAdmin):
    list_display = ["item", "asked_by", "recorded_at"]
    list_select_related = ["item__proposal", "item__meeting__council", "asked_by"]


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "supervisor", "created_at"]
    search_fields = ["text", "proposal__title", "supervisor__full_name"]
    list_select_related = ["proposal", "supervisor"]
    date_hierarchy = "created_at"


class OpenHoldFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("暂停中")), ("no", _("已解除"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "placed_by", "placed_at", "lifted_by", "lifted_at"]
    list_filter = [OpenHoldFilter]
    search_fields = ["reason", "lift_reason", "proposal__title"]
    list_select_related = ["proposal", "placed_by", "lifted_by"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "resident", "stars", "created_at"]
    list_filter = ["stars"]
    search_fields = ["comment", "proposal__title"]
    list_select_related = ["proposal", "resident"]


@admin.register(ProposalEvent)
class ProposalEventAdmin(ReadOnlyAdmin):
    list_display = [
        "proposal", "seq", "kind", "actor", "on_behalf_of", "from_status", "to_status", "created_at", "short_hash",
    ]
    list_filter = ["kind", "to_status"]
    search_fields = ["proposal__title", "reason", "hash", "actor__username", "actor__full_name"]
    list_select_related = ["proposal", "actor", "on_behalf_of"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]

    @admin.display(description=_("哈希"))
    def short_hash(self, obj):
        return obj.hash[:12]
