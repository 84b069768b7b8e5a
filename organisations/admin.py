"""Organisations in the admin: everything visible, nothing changed outside ``organisations.services``.

Adding an organisation skips the credit-code check, the first admin and the
registration event, so it is refused here (staff register organisations on the
organisations pages); activating one is an admin action that calls
``organisation_activate`` as the signed-in user, so the service decides whether
they may. Events are append-only.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from yishi.errors import DomainError

from .models import ConflictFlag, Incubation, Organisation, OrganisationEvent, OrganisationMember


class ReadOnlyAdmin(admin.ModelAdmin):
    """Show everything, change nothing: the services own these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MemberInline(ReadOnlyInline):
    model = OrganisationMember
    fields = readonly_fields = ["user", "role", "joined_at"]


class EventInline(ReadOnlyInline):
    model = OrganisationEvent
    fields = readonly_fields = ["created_at", "kind", "actor", "from_status", "to_status"]
    ordering = ["pk"]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "status", "credit_code", "served", "registered_at"]
    list_filter = ["kind", "status", "communities"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["name", "kind", "status", "credit_code", "description", "communities", "registered_at",
                       "registered_by"]
    inlines = [MemberInline, EventInline]
    actions = ["activate"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("communities")

    @admin.display(description=_("服务社区"))
    def served(self, obj):
        return "、".join(c.name for c in obj.communities.all())

    def has_activate_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @admin.action(description=_("转为正常运行（按服务规则）"), permissions=["activate"])
    def activate(self, request, queryset):
        from .services import organisation_activate

        for organisation in queryset:
            try:
                organisation_activate(organisation=organisation, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{organisation.name}：{exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(org)s现在正常运行。") % {"org": organisation.name}, messages.SUCCESS)


@admin.register(OrganisationMember)
class OrganisationMemberAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "user", "role", "joined_at"]
    list_filter = ["role"]
    list_select_related = ["organisation", "user"]
    search_fields = ["organisation__name", "user__full_name", "user__username"]


@admin.register(Incubation)
class IncubationAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "mentor", "started_at", "graduated_at"]
    list_select_related = ["organisation", "mentor"]
    search_fields = ["organisation__name", "mentor__name"]


@admin.register(OrganisationEvent)
class OrganisationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organisation", "kind", "actor", "from_status", "to_status"]
    list_select_related = ["organisation", "actor"]
    list_filter = ["kind"]
    search_fields = ["organisation__name"]


@admin.register(ConflictFlag)
class ConflictFlagAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "community", "decider", "organisation", "relationship", "decision", "subject",
                    "amount"]
    list_filter = ["decision", "relationship"]
    list_select_related = ["community", "decider", "organisation"]
