"""Pages of R25 (activities) and R26 (evaluation): permission matrix, bad input through the forms,
and query counts that stay the same at 1 and 3 items."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding import services as fs
from funding.models import Evaluation
from needs import activities as acts
from needs import services as ns
from needs.models import Activity, Signup
from tests.factories import UserFactory, build_world
from tests.sanshe_support import claimed_project, residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    world = build_world(community_seats=3)
    world.project, world.org = claimed_project(world)
    world.other = build_world(community_seats=3, residents=1, prefix="外")
    return world


def _activity(w, n=1, capacity=5, days=2):
    return ns.activity_publish(project=w.project, actor=w.staff, title=f"活动{n}", place="活动室", capacity=capacity,
                               starts_at=timezone.now() + timedelta(days=days, hours=n))


def _as(client, user):
    client.force_login(user)
    return client


def _status(client, user, url, method="get", data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url, data or {})
    return response.status_code


# --------------------------------------------------------------------------- permission matrix (R25)


def test_r25_manager_pages_permission_matrix(client, w):
    activity = _activity(w)
    urls = [
        reverse("needs:project_activities", args=[w.project.pk]),
        reverse("needs:activity_roster", args=[activity.pk]),
        reverse("needs:activity_door", args=[activity.pk]),
    ]
    for url in urls:
        assert _status(client, w.staff, url) == 200, url
        assert _status(client, w.org.admin, url) == 200, url
        assert _status(client, w.residents[0], url) == 403, url  # of the community, without the right
        assert _status(client, w.other.staff, url) == 404, url  # another community's staff
        assert _status(client, None, url) == 302, url  # anonymous: to the login


def test_r25_public_pages_and_mine(client, w):
    activity = _activity(w)
    for url in (reverse("needs:activities") + f"?community={w.community.slug}",
                reverse("needs:activity", args=[activity.pk])):
        assert _status(client, None, url) == 200
        assert _status(client, w.residents[0], url) == 200
    assert _status(client, None, reverse("needs:activities_mine")) == 302
    assert _status(client, w.residents[0], reverse("needs:activities_mine")) == 200


def test_r25_one_tap_signup_then_cancel_through_the_pages(client, w):
    activity = _activity(w)
    resident = w.residents[0]
    _as(client, resident)
    page = client.get(reverse("needs:activity", args=[activity.pk])).content.decode()
    assert "我要报名" in page
    client.post(reverse("needs:activity_signup", args=[activity.pk]))
    signup = Signup.objects.get(activity=activity, resident=resident)
    assert "报名成功" in client.get(reverse("needs:activity", args=[activity.pk])).content.decode()
    assert activity.title in client.get(reverse("needs:activities_mine")).content.decode()
    response = client.post(reverse("needs:activity_signup", args=[activity.pk]), follow=True)
    assert "已经报名" in response.content.decode()
    assert Signup.objects.filter(activity=activity).count() == 1
    client.post(reverse("needs:activity_cancel", args=[signup.pk]), {"next": "mine"})
    assert Signup.objects.get(pk=signup.pk).status == "cancelled"


def test_r25_bad_input_through_pages_changes_nothing(client, w):
    activity = _activity(w, capacity=1)
    a, b = residents(w, 2)
    ns.activity_signup(activity=activity, resident=a)
    signup = Signup.objects.get(activity=activity, resident=a)
    # over capacity
    response = _as(client, b).post(reverse("needs:activity_signup", args=[activity.pk]), follow=True)
    assert "报满" in response.content.decode()
    # not a resident of the community
    response = _as(client, w.other.residents[0]).post(reverse("needs:activity_signup", args=[activity.pk]))
    assert response.status_code == 403 and "核实居民" in response.content.decode()
    # cancelling someone else's
    assert _as(client, b).post(reverse("needs:activity_cancel", args=[signup.pk])).status_code == 404
    # checking in from the list without the right
    assert _as(client, b).post(reverse("needs:activity_checkin", args=[signup.pk])).status_code == 403
    # publishing with a bad capacity
    response = _as(client, w.staff).post(reverse("needs:project_activities", args=[w.project.pk]), {
        "title": "讲座", "starts_at": "2099-01-01T10:00", "place": "活动室", "capacity": "0"})
    assert response.status_code == 200 and Activity.objects.count() == 1
    assert Signup.objects.filter(activity=activity).count() == 1
    assert Signup.objects.get(pk=signup.pk).status == "signed_up" and signup.checked_in_at is None


def test_r25_publish_through_the_page(client, w):
    starts = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    response = _as(client, w.org.admin).post(reverse("needs:project_activities", args=[w.project.pk]), {
        "title": "长者茶话会", "starts_at": starts, "place": "院坝", "capacity": "20", "min_age": "60"})
    activity = Activity.objects.get()
    assert response.status_code == 302 and activity.min_age == 60 and activity.published_by == w.org.admin


def test_r25_door_qr_check_in(client, w):
    activity = _activity(w, days=1)
    resident = w.residents[0]
    ns.activity_signup(activity=activity, resident=resident)
    door = _as(client, w.staff).get(reverse("needs:activity_door", args=[activity.pk])).content.decode()
    token = acts.checkin_token(activity)
    assert "<svg" in door and token in door
    url = reverse("needs:activity_qr_checkin", args=[token])
    assert _status(client, resident, url + "x") == 404
    with time_machine.travel(activity.starts_at):
        _as(client, resident)
        assert "签到" in client.get(url).content.decode()
        assert Signup.objects.get(resident=resident).checked_in_at is None  # a GET changes nothing
        client.post(url)
    assert Signup.objects.get(resident=resident).checkin_method == "qr"


def test_r25_project_page_counts_checkins_in_people_served(client, w):
    activity = _activity(w, days=1)
    signup = ns.activity_signup(activity=activity, resident=w.residents[0])
    with time_machine.travel(activity.starts_at):
        ns.activity_checkin(signup=signup, actor=w.staff)
    page = client.get(reverse("needs:project", args=[w.project.pk])).content.decode()
    assert f'<dd class="num">{acts.people_served(w.project)}</dd>' in page and acts.people_served(w.project) == 1
    listing = client.get(reverse("needs:projects") + f"?community={w.community.slug}").content.decode()
    assert "已服务 1 人次" in listing


# --------------------------------------------------------------------------- query counts (R25)


def _same_queries(client, url, add_more, django_assert_num_queries):
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_more()
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_r25_calendar_queries_constant(client, w, django_assert_num_queries):
    _activity(w, 1)
    _as(client, w.residents[0])
    url = reverse("needs:activities") + f"?community={w.community.slug}"
    body = _same_queries(client, url, lambda: (_activity(w, 2), _activity(w, 3)), django_assert_num_queries)
    assert body.count('class="list-item stack-sm"') == 3


def test_r25_mine_and_roster_queries_constant(client, w, django_assert_num_queries):
    acts_ = [_activity(w, n) for n in (1, 2, 3)]
    people = residents(w, 3)
    ns.activity_signup(activity=acts_[0], resident=people[0])
    _as(client, people[0])

    def more():
        ns.activity_signup(activity=acts_[1], resident=people[0])
        ns.activity_signup(activity=acts_[2], resident=people[0])

    _same_queries(client, reverse("needs:activities_mine"), more, django_assert_num_queries)
    _as(client, w.staff)

    def more_people():
        ns.activity_signup(activity=acts_[0], resident=people[1])
        ns.activity_signup(activity=acts_[0], resident=people[2])

    _same_queries(client, reverse("needs:activity_roster", args=[acts_[0].pk]), more_people,
                  django_assert_num_queries)
    _same_queries(client, reverse("needs:project_activities", args=[w.project.pk]), lambda: None,
                  django_assert_num_queries)


# --------------------------------------------------------------------------- R26 pages


def test_r26_pages_permission_matrix(client, w):
    expert = UserFactory()
    fs.evaluator_appoint(subdistrict=w.subdistrict, user=expert, actor=w.street_staff)
    workbench = reverse("funding:evaluations")
    form = reverse("funding:evaluation_add", args=["project", w.project.pk])
    report = reverse("funding:evaluation_report")
    csv = reverse("funding:evaluation_report_csv")
    for user in (w.street_staff, expert):
        assert _status(client, user, workbench) == 200
        assert _status(client, user, form) == 200
    for user in (w.staff, w.residents[0], w.supervisor):
        assert _status(client, user, workbench) == 403
    assert _status(client, w.other.street_staff, form) == 404
    assert _status(client, None, workbench) == 302
    for user in (w.street_staff, w.supervisor):
        assert _status(client, user, report) == 200
        assert _status(client, user, csv) == 200
    assert _status(client, expert, report) == 403
    assert _status(client, w.staff, report) == 403
    assert _status(client, w.street_staff, report + f"?community={w.other.community.pk}") == 404
    assert _status(client, None, report) == 302


def test_r26_evaluation_form_refuses_out_of_range_and_records_valid(client, w):
    url = reverse("funding:evaluation_add", args=["project", w.project.pk])
    _as(client, w.street_staff)
    data = {"stage": "mid_term", "findings": "服务记录齐全。", "score_process": "21", "score_participation": "20",
            "score_results": "25", "score_satisfaction": "15"}
    response = client.post(url, data)
    assert response.status_code == 200 and Evaluation.objects.count() == 0  # process: 21 of 20
    response = client.post(url, {**data, "stage": "yearly", "score_process": "18"})
    assert response.status_code == 200 and Evaluation.objects.count() == 0
    response = client.post(url, {**data, "score_process": "18"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert str(evaluation.total) == "78.0" and evaluation.evaluator == w.street_staff


def test_r26_appointment_through_the_page(client, w):
    expert = UserFactory(username="pinggu")
    _as(client, w.street_staff).post(reverse("funding:evaluator_appoint"), {
        "subdistrict": w.subdistrict.pk, "account": "pinggu", "affiliation": "评估中心"})
    appointment = expert.evaluator_appointments.get()
    assert _status(client, w.staff, reverse("funding:evaluator_appoint"), "post",
                   {"subdistrict": w.subdistrict.pk, "account": "pinggu"}) == 403
    _as(client, w.street_staff).post(reverse("funding:evaluator_end", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.ended_at is not None


def test_r26_report_and_workbench_queries_constant(client, w, django_assert_num_queries):
    from tests.sanshe_support import organisation

    counter = iter(range(100))

    def another():
        n = next(counter)
        claimed_project(w, organisation(w, f"组织{n}"))

    _as(client, w.street_staff)
    for url in (reverse("funding:evaluation_report"), reverse("funding:evaluations")):
        body = _same_queries(client, url, lambda: (another(), another()), django_assert_num_queries)
        assert body.count("长寿食坊") >= 3
