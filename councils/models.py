"""Places, people and the bodies they sit on.

Every permission in Yishi comes from a membership row here (a residency, a
seat, a staff post, a board seat) within its scope; nothing comes from global
Django groups. Memberships have terms: a row is current at instant ``t`` when
``starts_at <= t`` and (``ends_at`` is null or ``ends_at > t``).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import BoardTitle, CouncilKind, PostKind, SeatRole, StaffLevel

# The languages of settings.LANGUAGES, each named in itself (as language menus do).
LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]


class User(AbstractUser):
    """A person with a login. Name and phone are private: never on public pages."""

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    large_text = models.BooleanField(_("大字模式"), default=False)
    # The language of the person's mail (notifications are put into words in it); pages follow the
    # language switch. Existing accounts read Chinese.
    language = models.CharField(
        _("语言"), max_length=10, choices=LANGUAGE_CHOICES, default="zh-hans", db_default="zh-hans"
    )
    # Recorded by community staff; the age limit of an activity (R25) is checked against it.
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Subdistrict(models.Model):
    """街道: a street office and the communities it serves."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    slug = models.SlugField(_("代码"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """社区: has one community council and one supervisory board."""

    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=60)
    slug = models.SlugField(_("代码"), max_length=60, unique=True)
    council_size = models.PositiveSmallIntegerField(
        _("社区议事会人数"), default=37, help_text=_("社区议事会成员的法定人数。")
    )
    notice_days = models.PositiveSmallIntegerField(
        _("公示天数"), default=7, help_text=_("决议公示的整天数，不少于 7 天。")
    )

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["subdistrict__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["subdistrict", "name"], name="community_name_unique"),
            # R5: a community may set a longer notice, never a shorter one.
            models.CheckConstraint(condition=Q(notice_days__gte=7), name="community_notice_days_gte_7"),
            models.CheckConstraint(condition=Q(council_size__gte=3), name="community_council_size_gte_3"),
        ]

    def __str__(self) -> str:
        return self.name


class ResidentGroup(models.Model):
    """居民小组 / 院落: a courtyard and its residents, with its own group council."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="groups", verbose_name=_("社区")
    )
    name = models.CharField(_("名称"), max_length=60)
    slug = models.SlugField(_("代码"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("居民小组")
        verbose_name_plural = _("居民小组")
        ordering = ["community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="group_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} · {self.name}"


class CurrentQuerySet(models.QuerySet):
    """Memberships with a term: ``current()`` keeps the rows in force at ``at``."""

    def current(self, at=None):
        at = at or timezone.now()
        return self.filter(Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))


class Residency(models.Model):
    """R1: a user lives in at most one resident group at a time, verified by staff.

    A row with ``verified_at`` null is a request waiting for community staff.
    """

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="residencies", verbose_name=_("居民")
    )
    group = models.ForeignKey(
        ResidentGroup, on_delete=models.PROTECT, related_name="residencies", verbose_name=_("居民小组")
    )
    address = models.CharField(_("门牌"), max_length=80, blank=True)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("核实人"),
    )
    starts_at = models.DateTimeField(_("开始"), default=timezone.now)
    ends_at = models.DateTimeField(_("结束"), null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("居住登记")
        verbose_name_plural = _("居住登记")
        ordering = ["-starts_at"]
        constraints = [
            # R1: at most one open residency (pending or verified) per user.
            models.UniqueConstraint(
                fields=["user"], condition=Q(ends_at__isnull=True), name="residency_one_open_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.group}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class Council(models.Model):
    """议事会: a group council (of one resident group) or a community council."""

    kind = models.CharField(_("类别"), max_length=16, choices=CouncilKind.choices)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="councils", verbose_name=_("社区")
    )
    group = models.ForeignKey(
        ResidentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="councils",
        verbose_name=_("居民小组"),
    )
    name = models.CharField(_("名称"), max_length=80)

    class Meta:
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        ordering = ["community__name", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=CouncilKind.GROUP) & Q(group__isnull=False))
                | (Q(kind=CouncilKind.COMMUNITY) & Q(group__isnull=True)),
                name="council_kind_matches_scope",
            ),
            models.UniqueConstraint(
                fields=["group"], condition=Q(kind=CouncilKind.GROUP), name="council_one_per_group"
            ),
            models.UniqueConstraint(
                fields=["community"], condition=Q(kind=CouncilKind.COMMUNITY),
                name="council_one_per_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    """A member's seat on a council for a term."""

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="seats", verbose_name=_("议事会")
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="seats", verbose_name=_("成员"))
    role = models.CharField(_("职务"), max_length=16, choices=SeatRole.choices, default=SeatRole.MEMBER)
    starts_at = models.DateTimeField(_("任期开始"), default=timezone.now)
    ends_at = models.DateTimeField(_("任期结束"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("任命人")
    )

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("议事会席位")
        verbose_name_plural = _("议事会席位")
        ordering = ["council", "role", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "user"], condition=Q(ends_at__isnull=True), name="seat_one_open_per_member"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="seat_term_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.council}"


class SupervisoryBoard(models.Model):
    """监事会 of a community, or the subdistrict's discipline committee (街道纪工委)."""

    name = models.CharField(_("名称"), max_length=80)
    community = models.OneToOneField(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="board",
        verbose_name=_("社区"),
    )
    subdistrict = models.OneToOneField(
        Subdistrict, on_delete=models.PROTECT, null=True, blank=True, related_name="board",
        verbose_name=_("街道"),
    )

    class Meta:
        verbose_name = _("监事会")
        verbose_name_plural = _("监事会")
        constraints = [
            models.CheckConstraint(
                condition=(Q(community__isnull=False) & Q(subdistrict__isnull=True))
                | (Q(community__isnull=True) & Q(subdistrict__isnull=False)),
                name="board_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BoardSeat(models.Model):
    """A supervisor's seat. Supervisors read everything in scope and never vote."""

    board = models.ForeignKey(
        SupervisoryBoard, on_delete=models.PROTECT, related_name="seats", verbose_name=_("监事会")
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="board_seats", verbose_name=_("监事")
    )
    title = models.CharField(_("身份"), max_length=16, choices=BoardTitle.choices, default=BoardTitle.MEMBER)
    starts_at = models.DateTimeField(_("任期开始"), default=timezone.now)
    ends_at = models.DateTimeField(_("任期结束"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("任命人")
    )

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("监事席位")
        verbose_name_plural = _("监事席位")
        constraints = [
            models.UniqueConstraint(
                fields=["board", "user"], condition=Q(ends_at__isnull=True), name="boardseat_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.board}"


class StaffPost(models.Model):
    """A staff post in a community (社区工作人员) or a subdistrict (街道办工作人员)."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="staff_posts", verbose_name=_("工作人员")
    )
    level = models.CharField(_("层级"), max_length=16, choices=StaffLevel.choices)
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="staff_posts", verbose_name=_("街道")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="staff_posts",
        verbose_name=_("社区"),
    )
    title = models.CharField(_("岗位"), max_length=60, blank=True)
    # R23: a party-organisation post (社区党组织) proposes (党组织提议) and leads acceptance; it is a
    # community post, so its holder is also community staff.
    kind = models.CharField(
        _("岗位类别"), max_length=16, choices=PostKind.choices, default=PostKind.STAFF, db_default=PostKind.STAFF
    )
    starts_at = models.DateTimeField(_("开始"), default=timezone.now)
    ends_at = models.DateTimeField(_("结束"), null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作岗位")
        verbose_name_plural = _("工作岗位")
        constraints = [
            models.CheckConstraint(
                condition=(Q(level=StaffLevel.COMMUNITY) & Q(community__isnull=False))
                | (Q(level=StaffLevel.SUBDISTRICT) & Q(community__isnull=True)),
                name="staffpost_level_matches_scope",
            ),
            models.CheckConstraint(
                condition=Q(kind=PostKind.STAFF) | Q(level=StaffLevel.COMMUNITY), name="staffpost_party_in_community"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.community or self.subdistrict}"


class Meeting(models.Model):
    """会议 of a council: 应到 (expected, frozen from the seats) and 实到 (present)."""

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("议事会")
    )
    held_at = models.DateTimeField(_("会议时间"))
    location = models.CharField(_("地点"), max_length=120, blank=True)
    minutes = models.TextField(_("会议记录"), max_length=20000)
    expected_count = models.PositiveSmallIntegerField(_("应到人数"))
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.council} {timezone.localtime(self.held_at):%Y-%m-%d}"


class Attendance(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("会议")
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("成员"))
    present = models.BooleanField(_("出席"), default=True)

    class Meta:
        verbose_name = _("出席")
        verbose_name_plural = _("出席")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="attendance_once"),
        ]
