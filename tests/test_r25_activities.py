"""R25 activities: publishing, sign-up (once, capacity, age, residents only), cancelling, check-in,
people served, the door QR token and the day-before reminder."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from needs import activities as acts
from needs import services as ns
from needs.enums import NeedsEventKind, SignupStatus
from needs.models import Activity, NeedsEvent, Signup
from notifications.models import Notification
from tests.factories import UserFactory, build_world, make_resident
from tests.sanshe_support import claimed_project, residents

pytestmark = pytest.mark.django_db


def _world():
    world = build_world(community_seats=3)
    project, org = claimed_project(world)
    return world, project, org


def _publish(world, project, actor=None, *, capacity=3, min_age=None, days=2, title="周六手工课"):
    starts = timezone.now() + timedelta(days=days)
    return ns.activity_publish(project=project, actor=actor or world.staff, title=title, starts_at=starts,
                               place="院坝活动室", capacity=capacity, min_age=min_age)


def _refused(call, fragment, model=Signup):
    before = model.objects.count(), NeedsEvent.objects.count()
    with pytest.raises(Exception) as info:
        call()
    assert fragment in str(info.value), str(info.value)
    assert (model.objects.count(), NeedsEvent.objects.count()) == before
    return info.value


# --------------------------------------------------------------------------- publishing


def test_r25_staff_and_organisation_admin_publish():
    world, project, org = _world()
    a = _publish(world, project)
    b = _publish(world, project, org.admin, title="长者茶话会")
    assert a.community_id == project.community_id and b.published_by == org.admin
    assert a.ends_at - a.starts_at == timedelta(hours=2)
    assert NeedsEvent.objects.filter(kind=NeedsEventKind.ACTIVITY_PUBLISHED).count() == 2


def test_r25_publish_refused_for_resident_past_time_and_bad_capacity():
    world, project, _org = _world()
    _refused(lambda: _publish(world, project, world.residents[0]), "组织负责人", Activity)
    _refused(lambda: _publish(world, project, days=-1), "已经过去", Activity)
    _refused(lambda: _publish(world, project, capacity=0), "名额", Activity)
    _refused(lambda: _publish(world, project, capacity="many"), "名额", Activity)
    _refused(lambda: _publish(world, project, min_age=200), "最低年龄", Activity)


def test_r25_publish_refused_for_a_listed_project():
    from tests.sanshe_support import project as listed

    world = build_world(community_seats=3)
    p = listed(world)
    _refused(lambda: _publish(world, p), "已认领或服务中", Activity)


# --------------------------------------------------------------------------- sign-up


def test_r25_signup_fills_capacity_exactly_then_refuses():
    world, project, _org = _world()
    people = residents(world, 3)
    activity = _publish(world, project, capacity=2)
    ns.activity_signup(activity=activity, resident=people[0])
    ns.activity_signup(activity=activity, resident=people[1])
    err = _refused(lambda: ns.activity_signup(activity=activity, resident=people[2]), "2 个名额已经报满")
    assert err.code == "full"
    assert acts.seats_taken(activity) == 2


def test_r25_signup_twice_refused():
    world, project, _org = _world()
    activity = _publish(world, project)
    ns.activity_signup(activity=activity, resident=world.residents[0])
    err = _refused(lambda: ns.activity_signup(activity=activity, resident=world.residents[0]), "已经报名")
    assert err.code == "already_signed_up"


def test_r25_signup_refused_for_non_resident_and_other_community():
    world, project, _org = _world()
    activity = _publish(world, project)
    _refused(lambda: ns.activity_signup(activity=activity, resident=UserFactory()), "核实居民")
    other = build_world(community_seats=3, residents=1, prefix="外")
    _refused(lambda: ns.activity_signup(activity=activity, resident=other.residents[0]), "核实居民")


def test_r25_age_limit_boundary_on_the_activity_day():
    world, project, _org = _world()
    activity = _publish(world, project, min_age=60, days=3)
    day = timezone.localtime(activity.starts_at).date()
    exactly, one_day_short, unknown = residents(world, 3)
    exactly.birth_date = date(day.year - 60, day.month, day.day)
    exactly.save(update_fields=["birth_date"])
    short = exactly.birth_date + timedelta(days=1)
    one_day_short.birth_date = short
    one_day_short.save(update_fields=["birth_date"])
    ns.activity_signup(activity=activity, resident=exactly)
    err = _refused(lambda: ns.activity_signup(activity=activity, resident=one_day_short), "年满 60 岁")
    assert err.code == "under_age"
    err = _refused(lambda: ns.activity_signup(activity=activity, resident=unknown), "出生日期")
    assert err.code == "no_birth_date"


def test_r25_signup_after_start_refused():
    world, project, _org = _world()
    activity = _publish(world, project, days=1)
    with time_machine.travel(activity.starts_at + timedelta(minutes=1)):
        _refused(lambda: ns.activity_signup(activity=activity, resident=world.residents[0]), "已经开始")


# --------------------------------------------------------------------------- cancelling


def test_r25_cancel_frees_the_place_and_signing_up_again_reuses_the_row():
    world, project, _org = _world()
    a, b = residents(world, 2)
    activity = _publish(world, project, capacity=1)
    signup = ns.activity_signup(activity=activity, resident=a)
    _refused(lambda: ns.activity_signup(activity=activity, resident=b), "报满")
    ns.activity_cancel(signup=signup, actor=a)
    assert Signup.objects.get(pk=signup.pk).status == SignupStatus.CANCELLED
    ns.activity_signup(activity=activity, resident=b)
    ns.activity_cancel(signup=Signup.objects.get(activity=activity, resident=b), actor=world.staff)
    again = ns.activity_signup(activity=activity, resident=a)
    assert again.pk == signup.pk and again.status == SignupStatus.SIGNED_UP
    assert Signup.objects.filter(activity=activity).count() == 2


def test_r25_cancel_someone_elses_refused():
    world, project, _org = _world()
    a, b = residents(world, 2)
    activity = _publish(world, project)
    signup = ns.activity_signup(activity=activity, resident=a)
    _refused(lambda: ns.activity_cancel(signup=signup, actor=b), "只能取消您自己的报名")
    assert Signup.objects.get(pk=signup.pk).status == SignupStatus.SIGNED_UP


# --------------------------------------------------------------------------- check-in


def test_r25_checkin_by_list_counts_towards_people_served():
    world, project, org = _world()
    a, b = residents(world, 2)
    activity = _publish(world, project, days=1)
    sa = ns.activity_signup(activity=activity, resident=a)
    ns.activity_signup(activity=activity, resident=b)
    before = acts.people_served(project)
    with time_machine.travel(activity.starts_at - timedelta(minutes=59)):
        ns.activity_checkin(signup=sa, actor=org.admin)
    sa.refresh_from_db()
    assert sa.checked_in_at is not None and sa.checkin_method == "list"
    assert acts.people_served(project) == before + 1


def test_r25_checkin_window_boundaries():
    world, project, _org = _world()
    activity = _publish(world, project, days=1)
    signup = ns.activity_signup(activity=activity, resident=world.residents[0])
    opens, closes = acts.checkin_window(activity)
    with time_machine.travel(opens - timedelta(seconds=1)):
        _refused(lambda: ns.activity_checkin(signup=signup, actor=world.staff), "开始前一小时")
    with time_machine.travel(closes):
        _refused(lambda: ns.activity_checkin(signup=signup, actor=world.staff), "已经过去")
    with time_machine.travel(opens):
        ns.activity_checkin(signup=signup, actor=world.staff)
    with time_machine.travel(opens + timedelta(minutes=5)):
        err = _refused(lambda: ns.activity_checkin(signup=signup, actor=world.staff), "已经签到过")
    assert err.code == "already_checked_in"


def test_r25_qr_checkin_needs_a_signup_and_a_valid_token():
    world, project, _org = _world()
    a, stranger = residents(world, 2)
    activity = _publish(world, project, days=1)
    ns.activity_signup(activity=activity, resident=a)
    token = acts.checkin_token(activity)
    with time_machine.travel(activity.starts_at):
        _refused(lambda: ns.activity_checkin_by_token(token=token, resident=stranger), "您没有报名")
        _refused(lambda: ns.activity_checkin_by_token(token=token + "x", resident=a), "二维码无效")
        signup = ns.activity_checkin_by_token(token=token, resident=a)
    assert signup.checkin_method == "qr" and signup.checked_in_by == a


def test_r25_checkin_of_a_cancelled_signup_and_by_another_resident_refused():
    world, project, _org = _world()
    a, b = residents(world, 2)
    activity = _publish(world, project, days=1)
    signup = ns.activity_signup(activity=activity, resident=a)
    with time_machine.travel(activity.starts_at):
        _refused(lambda: ns.activity_checkin(signup=signup, actor=b), "签到由本人")
    ns.activity_cancel(signup=signup, actor=a)
    with time_machine.travel(activity.starts_at):
        err = _refused(lambda: ns.activity_checkin(signup=signup, actor=world.staff), "已经取消")
    assert err.code == "not_signed_up"
    _refused(lambda: ns.activity_cancel(signup=signup, actor=a), "已经取消")


def test_r25_birth_date_recorded_by_staff_only():
    world, _project, _org = _world()
    resident = world.residents[0]
    with pytest.raises(Exception, match="工作人员"):
        acts.resident_birth_date_record(resident=resident, actor=world.residents[1], birth_date="1950-03-01")
    with pytest.raises(Exception, match="出生日期不对"):
        acts.resident_birth_date_record(resident=resident, actor=world.staff, birth_date="2999-01-01")
    resident.refresh_from_db()
    assert resident.birth_date is None
    acts.resident_birth_date_record(resident=resident, actor=world.staff, birth_date="1950-03-01")
    resident.refresh_from_db()
    assert resident.birth_date == date(1950, 3, 1)


# --------------------------------------------------------------------------- the reminder


def test_r25_reminder_the_day_before_once_and_only_to_active_signups():
    world, project, _org = _world()
    a, b, c = residents(world, 3)
    activity = _publish(world, project, days=3)
    later = _publish(world, project, days=6, title="下周的活动")
    ns.activity_signup(activity=activity, resident=a)
    cancelled = ns.activity_signup(activity=activity, resident=b)
    ns.activity_cancel(signup=cancelled, actor=b)
    ns.activity_signup(activity=later, resident=c)
    day_before = timezone.localtime(activity.starts_at - timedelta(days=1)).replace(hour=10, minute=5)
    acts.activity_reminders_send(now=day_before - timedelta(days=1))
    assert not Notification.objects.filter(kind="activity_reminder").exists()
    acts.activity_reminders_send(now=day_before)
    acts.activity_reminders_send(now=day_before + timedelta(hours=1))
    rows = Notification.objects.filter(kind="activity_reminder")
    assert list(rows.values_list("user_id", flat=True)) == [a.pk]
    assert activity.title in rows.get().title


def test_r25_signup_is_not_gated_on_the_reminder_job():
    """The reminder never ran: sign-up, check-in still follow their own clocks."""
    world, project, _org = _world()
    activity = _publish(world, project, days=1)
    signup = ns.activity_signup(activity=activity, resident=make_resident(world.group))
    with time_machine.travel(activity.starts_at):
        ns.activity_checkin(signup=signup, actor=world.staff)
    assert not Notification.objects.filter(kind="activity_reminder").exists()


def test_r25_reminder_task_runs_the_service():
    from needs.tasks import remind_activities

    world, project, _org = _world()
    activity = _publish(world, project, days=1)
    ns.activity_signup(activity=activity, resident=world.residents[0])
    with time_machine.travel(activity.starts_at - timedelta(hours=20)):
        remind_activities()
        remind_activities()  # twice: still one reminder
    assert Notification.objects.filter(kind="activity_reminder", user=world.residents[0]).count() == 1
