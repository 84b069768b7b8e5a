"""Admin for places, people and memberships.

Structure (subdistricts, communities, groups, councils, boards) is edited here
freely. Memberships (seats, board seats, staff posts, residencies) are added
through their services, the one owner of their rules (R1, R2: a council's size,
no supervisor on a council), so a refusal is the form's error and nothing is
written; once added, only the end of a term (and a title or role) is edited
here, and the inlines only list them.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yishi.errors import DomainError

from . import policies, services
from .enums import StaffLevel
from .models import (
    Attendance,
    BoardSeat,
    Community,
    Council,
    Meeting,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    Subdistrict,
    SupervisoryBoard,
    User,
)


class ThroughServiceAdmin(admin.ModelAdmin):
    """The add form shows ``add_fields`` and creates the row by calling ``create`` (a service)
    while the form is validated: the service's refusal becomes the form's error. On an existing
    row only ``change_fields`` can be edited."""

    add_fields: tuple = ()
    change_fields: tuple = ("ends_at",)

    def create(self, request, data):
        raise NotImplementedError

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(self.add_fields)
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in self.model._meta.fields if f.name not in self.change_fields and f.name != "id"]

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        if obj is not None:
            return base
        model_admin = self

        class AddThroughService(base):
            created = None

            def clean(self):
                data = super().clean()
                if not self.errors:
                    try:
                        with transaction.atomic():
                            self.created = model_admin.create(request, data)
                    except DomainError as exc:
                        raise ValidationError(str(exc)) from exc
                return data

            def _post_clean(self):
                # Validate against the row the service wrote (its own unique constraints exclude it).
                if self.created is not None:
                    self.instance = self.created
                super()._post_clean()

        return AddThroughService

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # Added: the service has already written the row.

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


class ReadOnlyInline(admin.TabularInline):
    """Listed beside their council or board; added and ended on their own admin pages."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CurrentFilter(admin.SimpleListFilter):
    """Memberships in force now, ended, or not yet started."""

    title = _("任期")
    parameter_name = "term"

    def lookups(self, request, model_admin):
        return [("current", _("在任")), ("ended", _("已结束")), ("future", _("未开始"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "current":
            return queryset.current(now)
        if self.value() == "ended":
            return queryset.filter(ends_at__lte=now)
        if self.value() == "future":
            return queryset.filter(starts_at__gt=now)
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "phone", "is_staff", "is_active", "last_login"]
    search_fields = ["username", "full_name", "phone", "email"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("议事"), {"fields": ["full_name", "phone", "large_text"]}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("议事"), {"fields": ["full_name", "phone"]}),)


class CommunityInline(admin.TabularInline):
    model = Community
    extra = 0
    fields = ["name", "slug", "council_size", "notice_days"]
    show_change_link = True


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CommunityInline]


class ResidentGroupInline(admin.TabularInline):
    model = ResidentGroup
    extra = 0
    fields = ["name", "slug"]
    show_change_link = True


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "subdistrict", "council_size", "notice_days"]
    list_filter = ["subdistrict"]
    search_fields = ["name", "slug", "subdistrict__name"]
    list_select_related = ["subdistrict"]
    inlines = [ResidentGroupInline]


@admin.register(ResidentGroup)
class ResidentGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "slug"]
    list_filter = ["community__subdistrict", "community"]
    search_fields = ["name", "slug", "community__name"]
    list_select_related = ["community"]


class ResidencyForm(forms.ModelForm):
    class Meta:
        model = Residency
        fields = "__all__"

    def clean(self):
        data = super().clean()
        # R1: the partial unique constraint keeps one open row; say so in words first.
        user, ends_at = data.get("user"), data.get("ends_at")
        if user and ends_at is None:
            others = Residency.objects.filter(user=user, ends_at__isnull=True).exclude(pk=self.instance.pk)
            if others.exists():
                raise ValidationError(_("此人已有一条未结束的居住登记：一人只能属于一个居民小组。"))
        return data


@admin.register(Residency)
class ResidencyAdmin(ThroughServiceAdmin):
    """Adding a residency verifies it (R1), as community staff would; moving out sets ``ends_at``."""

    form = ResidencyForm
    add_fields = ("user", "group")
    change_fields = ("address", "ends_at")

    def create(self, request, data):
        return services.residency_verify(resident=data["user"], group=data["group"], actor=request.user)
    list_display = ["user", "group", "address", "requested_at", "verified_at", "verified_by", "starts_at", "ends_at"]
    list_filter = [CurrentFilter, ("verified_at", admin.EmptyFieldListFilter), "group__community"]
    search_fields = ["user__username", "user__full_name", "group__name", "address"]
    list_select_related = ["user", "group__community", "verified_by"]
    autocomplete_fields = ["user", "group", "verified_by"]
    date_hierarchy = "starts_at"


class SupervisorConflictForm(forms.ModelForm):
    """R2 for council seats and staff posts: no supervisor of the community may hold one."""

    def _communities(self, data):
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        user = data.get("user")
        starts_at, ends_at = data.get("starts_at") or timezone.now(), data.get("ends_at")
        if user:
            for community in self._communities(data):
                if policies.supervises_during(user, community, starts_at, ends_at):
                    raise ValidationError(
                        _("%(name)s是%(community)s的监督人员，不能同时担任议事会成员或工作人员。")
                        % {"name": user.display_name, "community": community.name}
                    )
        return data


class SeatForm(SupervisorConflictForm):
    class Meta:
        model = Seat
        fields = "__all__"

    def _communities(self, data):
        council = data.get("council")
        return [council.community] if council else []


class StaffPostForm(SupervisorConflictForm):
    class Meta:
        model = StaffPost
        fields = "__all__"

    def _communities(self, data):
        if data.get("community"):
            return [data["community"]]
        if data.get("subdistrict"):
            return list(data["subdistrict"].communities.all())
        return []


class BoardSeatForm(forms.ModelForm):
    class Meta:
        model = BoardSeat
        fields = "__all__"

    def clean(self):
        data = super().clean()
        user, board = data.get("user"), data.get("board")
        starts_at, ends_at = data.get("starts_at") or timezone.now(), data.get("ends_at")
        if user and board:
            communities = [board.community] if board.community_id else list(board.subdistrict.communities.all())
            subdistrict = board.community.subdistrict if board.community_id else board.subdistrict
            street_post = StaffPost.objects.filter(user=user, subdistrict=subdistrict, level=StaffLevel.SUBDISTRICT)
            street_post = street_post.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
            if ends_at is not None:
                street_post = street_post.filter(starts_at__lt=ends_at)
            if street_post.exists() or any(
                policies.holds_post_or_seat_during(user, c, starts_at, ends_at) for c in communities
            ):
                raise ValidationError(
                    _("%(name)s在辖区内担任议事会成员或工作人员，不能同时担任监督人员。")
                    % {"name": user.display_name}
                )
        return data


class SeatInline(ReadOnlyInline):
    model = Seat
    fields = ["user", "role", "starts_at", "ends_at", "assigned_by"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "community", "group"]
    list_filter = ["kind", "community__subdistrict", "community"]
    search_fields = ["name", "community__name", "group__name"]
    list_select_related = ["community", "group"]
    inlines = [SeatInline]


@admin.register(Seat)
class SeatAdmin(ThroughServiceAdmin):
    form = SeatForm
    add_fields = ("council", "user", "role", "starts_at", "ends_at")
    change_fields = ("role", "ends_at")

    def create(self, request, data):
        return services.seat_assign(
            council=data["council"], user=data["user"], actor=request.user, role=data["role"],
            starts_at=data.get("starts_at"), ends_at=data.get("ends_at"),
        )
    list_display = ["user", "council", "role", "starts_at", "ends_at", "assigned_by"]
    list_filter = [CurrentFilter, "role", "council__kind", "council__community"]
    search_fields = ["user__username", "user__full_name", "council__name"]
    list_select_related = ["user", "council", "assigned_by"]
    autocomplete_fields = ["user", "council", "assigned_by"]


class BoardSeatInline(ReadOnlyInline):
    model = BoardSeat
    fields = ["user", "title", "starts_at", "ends_at", "assigned_by"]


@admin.register(SupervisoryBoard)
class SupervisoryBoardAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "subdistrict"]
    list_filter = ["subdistrict", "community__subdistrict"]
    search_fields = ["name", "community__name", "subdistrict__name"]
    list_select_related = ["community", "subdistrict"]
    inlines = [BoardSeatInline]


@admin.register(BoardSeat)
class BoardSeatAdmin(ThroughServiceAdmin):
    form = BoardSeatForm
    add_fields = ("board", "user", "title")
    change_fields = ("title", "ends_at")

    def create(self, request, data):
        return services.board_seat_assign(board=data["board"], user=data["user"], actor=request.user,
                                          title=data["title"])
    list_display = ["user", "board", "title", "starts_at", "ends_at"]
    list_filter = [CurrentFilter, "title"]
    search_fields = ["user__username", "user__full_name", "board__name"]
    list_select_related = ["user", "board"]
    autocomplete_fields = ["user", "board", "assigned_by"]


@admin.register(StaffPost)
class StaffPostAdmin(ThroughServiceAdmin):
    form = StaffPostForm
    add_fields = ("user", "level", "kind", "subdistrict", "community", "title")
    change_fields = ("title", "ends_at")

    def create(self, request, data):
        return services.staff_post_assign(
            user=data["user"], actor=request.user, level=data["level"], subdistrict=data["subdistrict"],
            community=data.get("community"), title=data.get("title") or "", kind=data.get("kind") or "staff",
        )
    list_display = ["user", "level", "kind", "title", "subdistrict", "community", "starts_at", "ends_at"]
    list_filter = [CurrentFilter, "level", "kind", "subdistrict"]
    search_fields = ["user__username", "user__full_name", "title", "community__name", "subdistrict__name"]
    list_select_related = ["user", "subdistrict", "community"]
    autocomplete_fields = ["user", "community"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    fields = ["user", "present"]
    autocomplete_fields = ["user"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["council", "held_at", "location", "expected_count", "present_count", "recorded_by"]
    list_filter = ["council__kind", "council__community"]
    search_fields = ["council__name", "location", "minutes"]
    list_select_related = ["council", "recorded_by"]
    date_hierarchy = "held_at"
    autocomplete_fields = ["council", "recorded_by"]
    inlines = [AttendanceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _present=Count("attendance", filter=Q(attendance__present=True))
        )

    @admin.display(description=_("实到人数"), ordering="_present")
    def present_count(self, obj):
        return obj._present


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["meeting", "user", "present"]
    list_filter = ["present", "meeting__council"]
    search_fields = ["user__username", "user__full_name", "meeting__council__name"]
    list_select_related = ["meeting__council", "user"]
