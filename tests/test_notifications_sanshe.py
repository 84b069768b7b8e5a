"""Notifications for steps someone must act on: a need answered, a claim waiting and decided, a completed
service to rate, an overdue need to supervisors, a micro-grant award and a report waiting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from grants import services as gs
from needs import notify
from needs import services as ns
from notifications.models import Notification
from tests.factories import build_world
from tests.sanshe_support import (
    make_fund,
    need,
    old_world,
    open_call,
    org_application,
    organisation,
    project,
    score_fully,
)

pytestmark = pytest.mark.django_db


def kinds_of(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_need_answered_tells_the_raiser(django_capture_on_commit_callbacks):
    w = build_world(community_seats=3)
    n = need(w, resident=w.residents[0])
    with django_capture_on_commit_callbacks(execute=True):
        ns.need_answer(need=n, actor=w.staff, decision="decline", reason="属于物业职责")
    note = Notification.objects.get(user=w.residents[0])
    assert note.kind == "need_answered" and "属于物业职责" in note.body


def test_claim_waiting_to_staff_and_decided_to_organisations(django_capture_on_commit_callbacks):
    w = build_world(community_seats=3)
    p = project(w)
    a, b = organisation(w, "甲组织"), organisation(w, "乙组织")
    with django_capture_on_commit_callbacks(execute=True):
        claim_a = ns.project_claim(project=p, organisation=a, actor=a.admin, plan="x")
        ns.project_claim(project=p, organisation=b, actor=b.admin, plan="y")
    assert kinds_of(w.staff) == ["claim_waiting", "claim_waiting"]
    with django_capture_on_commit_callbacks(execute=True):
        ns.claim_confirm(claim=claim_a, actor=w.staff)
    assert kinds_of(a.admin) == ["claim_decided"] and kinds_of(b.admin) == ["claim_decided"]
    assert "甲组织" in Notification.objects.get(user=b.admin).body


def test_completed_service_asks_supporters_to_rate(django_capture_on_commit_callbacks):
    w = build_world(community_seats=3)
    n = need(w, resident=w.residents[0])
    ns.need_support(need=n, resident=w.residents[1])
    org = organisation(w)
    p = project(w, needs=[n])
    ns.claim_confirm(claim=ns.project_claim(project=p, organisation=org, actor=org.admin, plan="x"), actor=w.staff)
    ns.service_record(project=p, actor=org.admin, served_on=timezone.localdate(), people_served=3, hours=1, notes="")
    with django_capture_on_commit_callbacks(execute=True):
        ns.project_complete(project=p, actor=org.admin, report="完成")
    assert "service_completed" in kinds_of(w.residents[0]) and "service_completed" in kinds_of(w.residents[1])


def test_overdue_needs_go_to_supervisors_once():
    w = build_world(community_seats=3)
    n = need(w)
    assert notify.overdue_needs_notify(now=n.due_at - timedelta(seconds=1)) == 0
    assert not Notification.objects.filter(user=w.supervisor).exists()
    notify.overdue_needs_notify(now=n.due_at)
    notify.overdue_needs_notify(now=n.due_at + timedelta(hours=1))
    assert kinds_of(w.supervisor) == ["need_overdue"]


def test_award_and_report_notifications(django_capture_on_commit_callbacks):
    w = old_world(community_seats=3)
    call = open_call(w, make_fund(w, "100000.00"))
    org = organisation(w)
    application = org_application(w, call, org)
    score_fully(w, application)
    with django_capture_on_commit_callbacks(execute=True):
        award = gs.grant_award(application=application, actor=w.staff, amount="3000.00")
    assert kinds_of(org.admin) == ["grant_awarded"]
    with django_capture_on_commit_callbacks(execute=True):
        gs.grant_report(award=award, actor=org.admin, people_served=10, spent="3000", report="完成")
    assert "grant_report_waiting" in kinds_of(w.staff)
