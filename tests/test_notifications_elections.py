"""Issue 12: election notifications — opened, the candidates when nominations close, voting open,
a runoff, the result — to the electorate and the candidates, once each, never with anyone's choice."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from elections import services as es
from elections.tasks import tend_elections
from notifications.enums import NotificationKind as K
from notifications.models import KindPreference, Notification
from tests.election_support import after_voting, cast_all, close, open_election, roll_users, voting
from tests.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten():
    return build_world(group_seats=5, residents=5, community_seats=3)


def told(kind):
    return set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


def test_opening_tells_the_groups_residents(ten, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        election, _people = open_election(ten, candidates=0)
    assert told(K.ELECTION_OPENED) == {u.pk for u in roll_users(ten)}
    note = Notification.objects.filter(kind=K.ELECTION_OPENED).first()
    assert "应选 3 人" in note.body and note.url.endswith(f"/elections/{election.pk}/")
    assert ten.staff.pk not in told(K.ELECTION_OPENED)


def test_nominations_closed_announces_the_candidates_once(ten):
    election, people = open_election(ten, candidates=4)
    tend_elections()
    assert not told(K.ELECTION_CANDIDATES)  # nominations still open
    with time_machine.travel(election.nominations_close + timedelta(minutes=1), tick=False):
        tend_elections()
        tend_elections()
    assert told(K.ELECTION_CANDIDATES) == {u.pk for u in roll_users(ten)}
    assert Notification.objects.filter(kind=K.ELECTION_CANDIDATES).count() == len(roll_users(ten))
    body = Notification.objects.filter(kind=K.ELECTION_CANDIDATES).first().body
    assert all(p.display_name in body for p in people)


def test_voting_open_tells_the_frozen_roll(ten, django_capture_on_commit_callbacks):
    election, _people = open_election(ten, candidates=4)
    with voting(election), django_capture_on_commit_callbacks(execute=True):
        tend_elections()
    assert told(K.ELECTION_VOTING) == {u.pk for u in roll_users(ten)}
    assert "最多可选 3 人" in Notification.objects.filter(kind=K.ELECTION_VOTING).first().body


def test_result_and_runoff_go_to_the_roll_and_the_candidates_without_choices(
        ten, django_capture_on_commit_callbacks):
    election, (a, b, c, d) = open_election(ten, seats=3, candidates=4)
    voters = roll_users(ten)[:6]
    with django_capture_on_commit_callbacks(execute=True):
        cast_all(election, [(v, [a, b, c]) for v in voters[:3]] + [(v, [a, b]) for v in voters[3:]])
        close(election)
    result = Notification.objects.filter(kind=K.ELECTION_RESULT).first()
    assert told(K.ELECTION_RESULT) == {u.pk for u in roll_users(ten)}
    assert f"{a.display_name}（6 票）" in result.body and "第二轮" in result.body
    with after_voting(election), django_capture_on_commit_callbacks(execute=True):
        es.election_runoff_open(election=election, actor=ten.staff, closes_at=timezone.now() + timedelta(days=2))
    runoff = Notification.objects.filter(kind=K.ELECTION_RUNOFF).first()
    assert told(K.ELECTION_RUNOFF) == {u.pk for u in roll_users(ten)}
    assert c.display_name in runoff.body and d.display_name in runoff.body and "1 个席位" in runoff.body
    # Nothing told links a voter to a choice: every voter got the same words.
    for kind in (K.ELECTION_RESULT, K.ELECTION_RUNOFF, K.ELECTION_VOTING):
        assert Notification.objects.filter(kind=kind).values("body").distinct().count() <= 1


def test_an_election_without_enough_candidates_tells_it_was_cancelled(ten, django_capture_on_commit_callbacks):
    election, _people = open_election(ten, seats=3, candidates=3)  # 差额 needs more than the seats
    with voting(election), django_capture_on_commit_callbacks(execute=True):
        tend_elections()
    assert "未能举行" in Notification.objects.get(kind=K.ELECTION_RESULT, user=roll_users(ten)[0]).body
    assert not told(K.ELECTION_VOTING)


def test_election_kinds_honour_the_mail_preference(ten, django_capture_on_commit_callbacks):
    person = roll_users(ten)[0]
    KindPreference.objects.create(user=person, kind=K.ELECTION_OPENED, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        open_election(ten, candidates=0)
    assert Notification.objects.get(user=person, kind=K.ELECTION_OPENED).mail_status == "off"
