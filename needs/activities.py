"""Activities of a service project: publishing, sign-up, cancelling, check-in (R25).

The organisation serving a project (its admins) or the community's staff publish
an activity (title, time, place, capacity, optional minimum age). Verified
residents of the community sign up once (a database constraint); the sign-up
locks the activity row first, so concurrent sign-ups queue and the count never
passes the capacity. A check-in — by the resident scanning the door QR (a signed
token of the activity) or by staff and the organisation's admins from the list —
counts towards the project's people served (``people_served``).

Every function runs in one transaction, writes one ``NeedsEvent`` and raises
``DomainError`` with a sentence a person can act on, changing nothing, when it
refuses. Lock order: activity row, then its sign-ups.
"""

from datetime import date, datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from organisations import policies as org_policies
from yishi.errors import DomainError, InvalidTransition, PermissionDenied
from yishi.text import check_text

from .enums import CheckinMethod, NeedsEventKind, ProjectStatus, SignupStatus
from .models import Activity, NeedsEvent, ServiceProject, ServiceRecord, Signup
from .selectors import confirmed_claim

K = NeedsEventKind
S = SignupStatus

# A project takes activities while it runs.
OPEN_PROJECT_STATES = (ProjectStatus.CLAIMED, ProjectStatus.IN_SERVICE)
# Default length of an activity when none is given.
DEFAULT_LENGTH = timedelta(hours=2)
# The door opens for check-in this long before the start; it closes at the end of the activity's day.
CHECKIN_OPENS_BEFORE = timedelta(hours=1)
CHECKIN_SALT = "needs.activity.checkin"
MAX_CAPACITY = 10000


# --------------------------------------------------------------------------- who may do what


def may_manage(user, activity_or_project) -> bool:
    """Community staff of the project's community, or an admin of the organisation serving it."""
    project = activity_or_project.project if isinstance(activity_or_project, Activity) else activity_or_project
    if policies.is_community_staff(user, project.community):
        return True
    claim = confirmed_claim(project)
    return claim is not None and org_policies.is_admin(user, claim.organisation)


def _require_manager(user, project: ServiceProject, action: str) -> None:
    if not may_manage(user, project):
        raise PermissionDenied(
            _("只有%(community)s的工作人员或承接“%(title)s”的组织负责人可以%(action)s。")
            % {"community": project.community.name, "title": project.title, "action": action}
        )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def checkin_token(activity: Activity) -> str:
    """The signed token printed as a QR on the activity's door sheet; it names the activity only."""
    return signing.Signer(salt=CHECKIN_SALT).sign(str(activity.pk))


def activity_from_token(token: str) -> int | None:
    """The activity id a door token names, or None when it was not signed by us."""
    try:
        value = signing.Signer(salt=CHECKIN_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def checkin_window(activity: Activity) -> tuple[datetime, datetime]:
    """From an hour before the start to the end of the activity's last (local) day."""
    last_day = timezone.localtime(activity.ends_at).date()
    closes = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), datetime.min.time()))
    return activity.starts_at - CHECKIN_OPENS_BEFORE, closes


def seats_taken(activity: Activity) -> int:
    return Signup.objects.filter(activity=activity, status=S.SIGNED_UP).count()


def people_served(project: ServiceProject) -> int:
    """R25: people served by a project = the service records' people plus every check-in at its activities."""
    recorded = ServiceRecord.objects.filter(project=project).aggregate(n=Sum("people_served"))["n"] or 0
    return recorded + checkins_of(project)


def checkins_of(project: ServiceProject) -> int:
    return Signup.objects.filter(activity__project=project, checked_in_at__isnull=False).count()


def _event(activity: Activity, kind: str, actor, *, resident=None, data=None, from_status="", to_status=""):
    return NeedsEvent.objects.create(
        community_id=activity.community_id, project_id=activity.project_id, kind=kind, actor=actor,
        on_behalf_of=resident if resident is not None and resident != actor else None,
        from_status=from_status, to_status=to_status, data={"activity": activity.pk, **(data or {})},
    )


def _lock(activity: Activity) -> Activity:
    activity.refresh_from_db(from_queryset=Activity.objects.select_for_update())
    return activity


# --------------------------------------------------------------------------- services


def activity_publish(*, project: ServiceProject, actor, title: str, starts_at, place: str, capacity,
                     min_age=None, ends_at=None, description: str = "") -> Activity:
    """The organisation serving ``project`` (its admins) or community staff publish an activity.

    ``ends_at`` defaults to two hours after the start; ``min_age`` (years) is optional.
    The project must be running (claimed or in service) and the start in the future.
    """
    title = check_text(title, _("活动名称"), 80)
    place = check_text(place, _("地点"), 120)
    description = check_text(description or "", _("活动内容"), 2000, multiline=True, required=False)
    try:
        capacity = int(str(capacity).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError(_("名额必须是整数。")) from exc
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(_("名额应在 1 到 %(n)d 人之间。") % {"n": MAX_CAPACITY})
    if min_age not in (None, ""):
        try:
            min_age = int(str(min_age).strip())
        except (TypeError, ValueError) as exc:
            raise DomainError(_("最低年龄必须是整数（岁）。")) from exc
        if not 0 <= min_age <= 120:
            raise DomainError(_("最低年龄应在 0 到 120 岁之间。"))
        min_age = min_age or None
    else:
        min_age = None
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise DomainError(_("请填写活动的开始时间（北京时间）。"))
    ends_at = ends_at or starts_at + DEFAULT_LENGTH
    if not isinstance(ends_at, datetime) or timezone.is_naive(ends_at) or ends_at <= starts_at:
        raise DomainError(_("结束时间应晚于开始时间。"))
    if ends_at - starts_at > timedelta(days=7):
        raise DomainError(_("一次活动最长 7 天；更长的服务请分成几次活动发布。"))
    if starts_at <= timezone.now():
        raise DomainError(_("活动的开始时间已经过去，请填写以后的时间。"))
    _require_manager(actor, project, _("发布活动"))
    with transaction.atomic():
        project.refresh_from_db(from_queryset=ServiceProject.objects.select_for_update())
        if project.status not in OPEN_PROJECT_STATES:
            raise InvalidTransition(
                _("项目“%(title)s”现在是“%(status)s”，只有已认领或服务中的项目可以发布活动。")
                % {"title": project.title, "status": project.get_status_display()}
            )
        activity = Activity.objects.create(
            project=project, community_id=project.community_id, title=title, description=description,
            starts_at=starts_at, ends_at=ends_at, place=place, capacity=capacity, min_age=min_age,
            published_by=actor,
        )
        _event(activity, K.ACTIVITY_PUBLISHED, actor,
               data={"capacity": capacity, "min_age": min_age, "starts_at": starts_at.isoformat()})
        return activity


def activity_signup(*, activity: Activity, resident) -> Signup:
    """A verified resident of the activity's community signs up: once, within the capacity, old enough.

    The activity row is locked first, so sign-ups at the same instant queue and
    the last place goes to exactly one of them. A cancelled sign-up is taken up again.
    """
    residency = policies.current_residency(resident)
    if residency is None or residency.group.community_id != activity.community_id:
        raise PermissionDenied(
            _("只有%(community)s的核实居民可以报名这个活动。请先到社区办理居民核实。")
            % {"community": activity.community.name}
        )
    with transaction.atomic():
        _lock(activity)
        now = timezone.now()
        if activity.starts_at <= now:
            raise InvalidTransition(_("活动“%(title)s”已经开始，不能再报名。") % {"title": activity.title})
        existing = Signup.objects.select_for_update().filter(activity=activity, resident=resident).first()
        if existing is not None and existing.status == S.SIGNED_UP:
            raise DomainError(_("您已经报名了“%(title)s”，每人一个名额。") % {"title": activity.title},
                              code="already_signed_up")
        if activity.min_age:
            birth = resident.birth_date
            if birth is None:
                raise DomainError(
                    _("这个活动要求年满 %(n)d 岁，社区还没有登记您的出生日期。请联系社区工作人员登记后再报名。")
                    % {"n": activity.min_age}, code="no_birth_date")
            if age_on(birth, timezone.localtime(activity.starts_at).date()) < activity.min_age:
                raise DomainError(
                    _("这个活动要求年满 %(n)d 岁，您还不满 %(n)d 岁，不能报名。") % {"n": activity.min_age},
                    code="under_age")
        if seats_taken(activity) >= activity.capacity:
            raise DomainError(
                _("“%(title)s”的 %(n)d 个名额已经报满。有人取消时会空出名额，可以稍后再来看看。")
                % {"title": activity.title, "n": activity.capacity}, code="full")
        if existing is not None:
            existing.status, existing.signed_up_at = S.SIGNED_UP, now
            existing.cancelled_at = existing.cancelled_by = None
            existing.save(update_fields=["status", "signed_up_at", "cancelled_at", "cancelled_by"])
            signup = existing
        else:
            try:
                with transaction.atomic():
                    signup = Signup.objects.create(activity=activity, resident=resident, signed_up_at=now)
            except IntegrityError as exc:
                raise DomainError(_("您已经报名了“%(title)s”，每人一个名额。") % {"title": activity.title},
                                  code="already_signed_up") from exc
        _event(activity, K.ACTIVITY_SIGNED_UP, resident, to_status=S.SIGNED_UP, data={"signup": signup.pk})
        return signup


def activity_cancel(*, signup: Signup, actor) -> Signup:
    """The resident themself, or staff / the serving organisation's admins, cancel a sign-up; the place is free."""
    activity = signup.activity
    own = getattr(actor, "is_authenticated", False) and signup.resident_id == actor.pk
    if not own and not may_manage(actor, activity):
        raise PermissionDenied(_("只能取消您自己的报名；代别人取消请联系社区工作人员。"))
    with transaction.atomic():
        _lock(activity)
        signup.refresh_from_db(from_queryset=Signup.objects.select_for_update())
        if signup.status == S.CANCELLED:
            raise InvalidTransition(_("这个报名已经取消了。"))
        if signup.checked_in_at is not None:
            raise InvalidTransition(_("已经签到的报名不能取消。"))
        if activity.starts_at <= timezone.now():
            raise InvalidTransition(_("活动已经开始，不能再取消报名；不能来的话请告诉组织者。"))
        signup.status, signup.cancelled_at, signup.cancelled_by = S.CANCELLED, timezone.now(), actor
        signup.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        _event(activity, K.ACTIVITY_CANCELLED, actor, resident=signup.resident, from_status=S.SIGNED_UP,
               to_status=S.CANCELLED, data={"signup": signup.pk})
        return signup


def activity_checkin(*, signup: Signup, actor, method: str | None = None) -> Signup:
    """Check a signed-up resident in: by staff or the serving organisation's admins from the list, or by the
    resident themself (scanning the door QR). Only in the check-in window; once. Counts as a person served."""
    activity = signup.activity
    own = getattr(actor, "is_authenticated", False) and signup.resident_id == actor.pk
    if not own and not may_manage(actor, activity):
        raise PermissionDenied(
            _("签到由本人扫门口的二维码，或由社区工作人员、承接组织负责人在名单上办理。"))
    method = method or (CheckinMethod.QR if own else CheckinMethod.LIST)
    if method not in CheckinMethod.values:
        raise DomainError(_("签到方式不对。"))
    with transaction.atomic():
        _lock(activity)
        signup.refresh_from_db(from_queryset=Signup.objects.select_for_update())
        if signup.status != S.SIGNED_UP:
            raise InvalidTransition(_("这个报名已经取消，请先重新报名再签到。"), code="not_signed_up")
        if signup.checked_in_at is not None:
            raise InvalidTransition(_("已经签到过了，不用再签。"), code="already_checked_in")
        opens, closes = checkin_window(activity)
        now = timezone.now()
        if now < opens:
            raise InvalidTransition(
                _("签到从活动开始前一小时开始（%(at)s），请到时再签。")
                % {"at": timezone.localtime(opens).strftime("%m-%d %H:%M")}, code="too_early")
        if now >= closes:
            raise InvalidTransition(_("活动当天已经过去，不能再签到。"), code="too_late")
        signup.checked_in_at, signup.checked_in_by, signup.checkin_method = now, actor, method
        signup.save(update_fields=["checked_in_at", "checked_in_by", "checkin_method"])
        _event(activity, K.ACTIVITY_CHECKED_IN, actor, resident=signup.resident, data={
            "signup": signup.pk, "method": method})
        return signup


def activity_checkin_by_token(*, token: str, resident) -> Signup:
    """The resident scanned the door QR: check in their own sign-up of the activity the token names."""
    activity_id = activity_from_token(token)
    activity = Activity.objects.filter(pk=activity_id).select_related("community", "project").first() \
        if activity_id else None
    if activity is None:
        raise DomainError(_("这个签到二维码无效，请扫活动门口张贴的二维码，或请工作人员在名单上签到。"))
    signup = Signup.objects.filter(activity=activity, resident=resident).first()
    if signup is None or signup.status != S.SIGNED_UP:
        raise DomainError(
            _("您没有报名“%(title)s”，不能签到。请先报名（还有名额时），或请工作人员登记。") % {"title": activity.title},
            code="not_signed_up")
    return activity_checkin(signup=signup, actor=resident, method=CheckinMethod.QR)


def resident_birth_date_record(*, resident, actor, birth_date) -> object:
    """Community staff record a resident's birth date (for activities with an age limit)."""
    residency = policies.current_residency(resident)
    if residency is None:
        raise DomainError(_("%(name)s还不是核实居民，请先核实居民身份。") % {"name": resident.display_name})
    if not policies.is_community_staff(actor, residency.group.community):
        raise PermissionDenied(_("只有%(community)s的工作人员可以登记居民的出生日期。")
                               % {"community": residency.group.community.name})
    if isinstance(birth_date, str):
        try:
            birth_date = date.fromisoformat(birth_date.strip())
        except ValueError as exc:
            raise DomainError(_("出生日期的格式应为 1950-03-01。")) from exc
    if not isinstance(birth_date, date):
        raise DomainError(_("请填写出生日期。"))
    today = timezone.localdate()
    if birth_date > today or birth_date.year < today.year - 125:
        raise DomainError(_("出生日期不对，请核对证件后再填。"))
    with transaction.atomic():
        type(resident).objects.filter(pk=resident.pk).update(birth_date=birth_date)
        resident.birth_date = birth_date
        return resident


# --------------------------------------------------------------------------- reads


def calendar_of(community, *, since=None):
    """A community's activities from ``since`` (default: today's start), with places taken, soonest first."""
    since = since or timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    return (
        Activity.objects.filter(community=community, ends_at__gte=since)
        .select_related("project")
        .annotate(taken=Count("signups", filter=Q(signups__status=S.SIGNED_UP)))
        .order_by("starts_at", "pk")
    )


# --------------------------------------------------------------------------- the reminder (celery beat)


def activity_reminders_send(*, now=None) -> int:
    """Remind each resident signed up for an activity that starts before the end of tomorrow (local time).

    Run hourly in the day by celery beat (``needs.tasks.remind_activities``). Idempotent: one
    notification per (resident, activity), enforced by the database, so a rerun or two workers tell
    nobody twice; a mail that cannot go out waits in the outbox. Nothing is gated on it: sign-up,
    cancelling and check-in check their own times when they are attempted.
    """
    from django.urls import reverse
    from django.utils.translation import gettext_noop

    from notifications.enums import NotificationKind
    from notifications.messages import Msg, When
    from notifications.services import notifications_create

    now = now or timezone.now()
    tomorrow_ends = timezone.make_aware(
        datetime.combine(timezone.localtime(now).date() + timedelta(days=2), datetime.min.time()))
    sent = 0
    due = Activity.objects.filter(starts_at__gt=now, starts_at__lt=tomorrow_ends).order_by("starts_at")[:500]
    for activity in due:
        users = list(Signup.objects.filter(activity=activity, status=S.SIGNED_UP).values_list("resident_id", flat=True))
        if not users:
            continue
        sent += notifications_create(
            users=users, kind=NotificationKind.ACTIVITY_REMINDER,
            title=Msg(gettext_noop("活动提醒：%(title)s")) % {"title": activity.title},
            body=Msg(gettext_noop("您报名的“%(title)s”将于 %(when)s 在%(place)s开始。到场后扫门口的二维码签到；不能来请在“我的报名”里取消，把名额让给别人。"))
            % {"title": activity.title, "when": When(activity.starts_at), "place": activity.place},
            url=reverse("needs:activity", args=[activity.pk]), key=f"activity:{activity.pk}:reminder",
        )
    return sent
