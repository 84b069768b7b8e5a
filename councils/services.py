"""State changes for places, people and councils (R1, R2).

Each function runs in one transaction and raises ``DomainError`` with a
sentence a person can act on; a refusal changes nothing.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yishi.errors import DomainError, PermissionDenied
from yishi.text import check_text

from . import policies
from .enums import BoardTitle, CouncilKind, PostKind, SeatRole, StaffLevel
from .models import (
    Attendance,
    BoardSeat,
    Council,
    Meeting,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    SupervisoryBoard,
    User,
)


def _lock_user(user: User) -> User:
    # Serialises membership changes of one person, so two staff verifying the
    # same resident, or seating a supervisor, cannot both pass the R1/R2 check.
    return User.objects.select_for_update().get(pk=user.pk)


def residency_request(*, user: User, group: ResidentGroup, address: str = "") -> Residency:
    """A user asks to be registered as a resident of ``group``; staff verify it later."""
    with transaction.atomic():
        _lock_user(user)
        open_row = Residency.objects.filter(user=user, ends_at__isnull=True).first()
        if open_row is not None:
            if open_row.group_id == group.pk:
                raise DomainError(_("您已登记在%(group)s，无需重复申请。") % {"group": group.name})
            if open_row.is_verified:
                raise DomainError(
                    _("您目前是%(group)s的居民。如已搬家，请先请社区工作人员办理迁出。")
                    % {"group": open_row.group.name}
                )
            open_row.ends_at = timezone.now()
            open_row.save(update_fields=["ends_at"])
        return Residency.objects.create(user=user, group=group, address=check_text(address, _("住址"), 80, required=False))


def residency_verify(*, resident: User, group: ResidentGroup, actor: User) -> Residency:
    """R1: community staff verify ``resident`` as a resident of ``group``.

    A pending request for that group is verified; with no request a verified
    residency is created. A verified residency elsewhere must be ended first.
    """
    if not policies.is_community_staff(actor, group.community):
        raise PermissionDenied(_("只有本社区的工作人员可以核实居民身份。"))
    with transaction.atomic():
        _lock_user(resident)
        open_row = Residency.objects.filter(user=resident, ends_at__isnull=True).first()
        now = timezone.now()
        if open_row is not None and open_row.is_verified:
            if open_row.group_id == group.pk:
                raise DomainError(
                    _("%(name)s已经是%(group)s的核实居民。")
                    % {"name": resident.display_name, "group": group.name}
                )
            raise DomainError(
                _("%(name)s目前是%(group)s的居民，一人只能属于一个居民小组。请先办理迁出。")
                % {"name": resident.display_name, "group": open_row.group.name}
            )
        if open_row is not None and open_row.group_id != group.pk:
            open_row.ends_at = now
            open_row.save(update_fields=["ends_at"])
            open_row = None
        if open_row is None:
            open_row = Residency(user=resident, group=group, requested_at=now, starts_at=now)
        open_row.verified_at = now
        open_row.verified_by = actor
        # The residency counts from verification, not from the request (R1).
        open_row.starts_at = now
        open_row.save()
        return open_row


def residency_end(*, residency: Residency, actor: User) -> Residency:
    """Staff end a residency (moved away); the row stays for the record."""
    if not policies.is_community_staff(actor, residency.group.community):
        raise PermissionDenied(_("只有本社区的工作人员可以办理迁出。"))
    with transaction.atomic():
        residency = Residency.objects.select_for_update().get(pk=residency.pk)
        if residency.ends_at is not None:
            raise DomainError(_("这条居住登记已经结束。"))
        residency.ends_at = timezone.now()
        residency.save(update_fields=["ends_at"])
        return residency


def _refuse_if_supervisor(user: User, community, starts_at: datetime, ends_at: datetime | None = None) -> None:
    # Any overlap of the terms counts, not only the instant the seat or post starts.
    if policies.supervises_during(user, community, starts_at, ends_at):
        raise DomainError(
            _("%(name)s是%(community)s的监督人员，不能同时担任议事会成员或工作人员。")
            % {"name": user.display_name, "community": community.name}
        )


def seat_assign(
    *, council: Council, user: User, actor: User, role: str = SeatRole.MEMBER,
    starts_at: datetime | None = None, ends_at: datetime | None = None,
) -> Seat:
    """R2: community staff seat ``user`` on ``council`` for a term.

    Group-council members must be verified residents of the group; a community
    council holds at most ``community.council_size`` seats; supervisors of the
    community cannot hold a seat.
    """
    community = council.community
    if not policies.is_community_staff(actor, community):
        raise PermissionDenied(_("只有本社区的工作人员可以管理议事会席位。"))
    if role not in SeatRole.values:
        raise DomainError(_("未知的职务。"))
    now = timezone.now()
    starts_at = starts_at or now
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(_("任期结束时间必须晚于开始时间。"))
    with transaction.atomic():
        _lock_user(user)
        Council.objects.select_for_update().get(pk=council.pk)
        _refuse_if_supervisor(user, community, starts_at, ends_at)
        overlapping = Seat.objects.filter(council=council, user=user).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at)
        )
        if ends_at is not None:
            overlapping = overlapping.filter(starts_at__lt=ends_at)
        if overlapping.exists():
            raise DomainError(
                _("%(name)s已经是%(council)s的成员。") % {"name": user.display_name, "council": council.name}
            )
        if council.kind == CouncilKind.GROUP and not policies.is_resident_of(user, council.group, now):
            raise DomainError(
                _("居民小组议事会成员必须是%(group)s的核实居民。") % {"group": council.group.name}
            )
        if council.kind == CouncilKind.COMMUNITY:
            seated = Seat.objects.current(starts_at).filter(council=council).count()
            if seated >= community.council_size:
                raise DomainError(
                    _("社区议事会已有%(n)d名成员，达到社区设定的人数。请先结束一个席位。")
                    % {"n": seated}
                )
        return Seat.objects.create(
            council=council, user=user, role=role, starts_at=starts_at, ends_at=ends_at,
            assigned_by=actor,
        )


def seat_end(*, seat: Seat, actor: User, at: datetime | None = None) -> Seat:
    """End a seat's term (resignation, term over). Ballots already open keep it (R7)."""
    if not policies.is_community_staff(actor, seat.council.community):
        raise PermissionDenied(_("只有本社区的工作人员可以管理议事会席位。"))
    with transaction.atomic():
        seat = Seat.objects.select_for_update().get(pk=seat.pk)
        if seat.ends_at is not None:
            raise DomainError(_("这个席位的任期已经结束。"))
        at = at or timezone.now()
        if at <= seat.starts_at:
            raise DomainError(_("任期结束时间必须晚于开始时间。"))
        seat.ends_at = at
        seat.save(update_fields=["ends_at"])
        return seat


def board_seat_assign(
    *, board: SupervisoryBoard, user: User, actor: User, title: str = BoardTitle.MEMBER
) -> BoardSeat:
    """R2: seat a supervisor. Refused if they hold a council seat or staff post in scope."""
    if board.community_id:
        communities = [board.community]
        allowed = policies.is_community_staff(actor, board.community) or policies.is_street_staff(
            actor, board.community.subdistrict
        )
    else:
        communities = list(board.subdistrict.communities.all())
        allowed = policies.is_street_staff(actor, board.subdistrict)
    if not allowed:
        raise PermissionDenied(_("只有辖区内的工作人员可以任命监督人员。"))
    if title not in BoardTitle.values:
        raise DomainError(_("未知的监督身份。"))
    now = timezone.now()
    with transaction.atomic():
        _lock_user(user)
        if BoardSeat.objects.filter(board=board, user=user, ends_at__isnull=True).exists():
            raise DomainError(_("%(name)s已经是%(board)s的成员。") % {"name": user.display_name, "board": board.name})
        # Street-office staff serve every community of their subdistrict, so they
        # may supervise none of them (staff_post_assign refuses the converse).
        subdistrict = board.subdistrict if not board.community_id else board.community.subdistrict
        street_posts = StaffPost.objects.filter(user=user, subdistrict=subdistrict, level=StaffLevel.SUBDISTRICT)
        if street_posts.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).exists():
            raise DomainError(_("%(name)s在本街道任职，不能同时担任监督人员。") % {"name": user.display_name})
        for community in communities:
            if policies.holds_post_or_seat_during(user, community, now):
                raise DomainError(
                    _("%(name)s在%(community)s担任议事会成员或工作人员，不能同时担任监督人员。")
                    % {"name": user.display_name, "community": community.name}
                )
        return BoardSeat.objects.create(board=board, user=user, title=title, assigned_by=actor)


def staff_post_assign(
    *, user: User, actor: User, level: str, subdistrict, community=None, title: str = "",
    kind: str = PostKind.STAFF,
) -> StaffPost:
    """Give ``user`` a staff post. Only subdistrict staff (or the admin) appoint staff.

    ``kind``: ``"party"`` for a post of the community party organisation (R23, 社区党组织):
    a community post whose holder may propose for any group (党组织提议) and leads acceptance.
    """
    if not policies.is_street_staff(actor, subdistrict):
        raise PermissionDenied(_("只有街道办工作人员可以设立工作岗位。"))
    if level not in StaffLevel.values:
        raise DomainError(_("未知的岗位层级。"))
    if kind not in PostKind.values:
        raise DomainError(_("未知的岗位类别。"))
    if kind == PostKind.PARTY and level != StaffLevel.COMMUNITY:
        raise DomainError(_("社区党组织岗位必须设在一个社区。"))
    if level == StaffLevel.COMMUNITY and (community is None or community.subdistrict_id != subdistrict.pk):
        raise DomainError(_("社区工作岗位必须属于本街道的一个社区。"))
    now = timezone.now()
    with transaction.atomic():
        _lock_user(user)
        targets = [community] if community else list(subdistrict.communities.all())
        for target in targets:
            _refuse_if_supervisor(user, target, now)
        return StaffPost.objects.create(
            user=user, level=level, subdistrict=subdistrict,
            community=community if level == StaffLevel.COMMUNITY else None, title=title, kind=kind,
        )


def meeting_record(
    *, council: Council, held_at: datetime, attendees, minutes: str, actor: User, location: str = ""
) -> Meeting:
    """Record a council meeting: 应到 is the number seated at ``held_at``; 实到 the attendees.

    Members of the council (or community staff) record meetings. Attendees must
    have been seated at the time of the meeting.
    """
    if not (policies.is_seated(actor, council) or policies.is_community_staff(actor, council.community)):
        raise PermissionDenied(_("只有议事会成员或社区工作人员可以记录会议。"))
    minutes = check_text(minutes, _("会议记录"), 20000, multiline=True)
    location = check_text(location, _("地点"), 120, required=False)
    if held_at > timezone.now():
        raise DomainError(_("会议还没有开，不能提前记录。"))
    seated = list(policies.seated_members(council, held_at))
    seated_ids = {u.pk for u in seated}
    attendee_ids = {getattr(a, "pk", a) for a in attendees}
    strangers = attendee_ids - seated_ids
    if strangers:
        raise DomainError(_("出席名单中有人在会议时不是本议事会成员。"))
    if not seated:
        raise DomainError(_("会议时本议事会没有在任成员。"))
    with transaction.atomic():
        meeting = Meeting.objects.create(
            council=council, held_at=held_at, location=location[:120], minutes=minutes,
            expected_count=len(seated), recorded_by=actor,
        )
        try:
            Attendance.objects.bulk_create(
                [Attendance(meeting=meeting, user=u, present=u.pk in attendee_ids) for u in seated]
            )
        except IntegrityError as exc:  # pragma: no cover - the set above makes it impossible
            raise DomainError(_("出席名单有重复。")) from exc
        return meeting
