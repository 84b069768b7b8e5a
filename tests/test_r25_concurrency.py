"""R25 under real concurrency: twenty residents tap "sign up" at once for ten places — exactly ten get one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from councils.models import User
from needs import services as ns
from needs.enums import SignupStatus
from needs.models import Activity, Signup
from tests.factories import build_world
from tests.sanshe_support import claimed_project, residents
from tests.test_r15_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_r25_capacity_exactly_filled_under_concurrent_signups(postgres):
    world = build_world(community_seats=3)
    project, _org = claimed_project(world)
    people = residents(world, 20)
    activity = ns.activity_publish(project=project, actor=world.staff, title="周六手工课", place="活动室",
                                   starts_at=timezone.now() + timedelta(days=2), capacity=10)

    def sign_up(n):
        ns.activity_signup(activity=Activity.objects.get(pk=activity.pk), resident=User.objects.get(pk=people[n].pk))
        return "ok"

    results = run_at_once(20, sign_up)
    assert results.count("ok") == 10, results
    assert results.count("full") == 10, results
    assert Signup.objects.filter(activity=activity, status=SignupStatus.SIGNED_UP).count() == 10


def test_r25_double_tap_gives_one_signup(postgres):
    world = build_world(community_seats=3)
    project, _org = claimed_project(world)
    resident = world.residents[0]
    activity = ns.activity_publish(project=project, actor=world.staff, title="周六手工课", place="活动室",
                                   starts_at=timezone.now() + timedelta(days=2), capacity=10)

    def sign_up(_n):
        ns.activity_signup(activity=Activity.objects.get(pk=activity.pk), resident=User.objects.get(pk=resident.pk))
        return "ok"

    results = run_at_once(5, sign_up)
    assert results.count("ok") == 1, results
    assert results.count("already_signed_up") == 4, results
    assert Signup.objects.filter(activity=activity).count() == 1
