"""The demo world's elections and roadshow: 北苑's last election with its notice, 南苑's runoff
open to try, and the roadshow of the proposal in its community vote."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from councils import policies
from councils.enums import SeatRole
from councils.models import ResidentGroup, User
from elections.enums import CandidateResult, ElectionStatus
from elections.models import BallotPaper, Election, ElectionVoter
from proposals.enums import ProposalStatus as S
from proposals.models import AgendaItem

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    return demo


def test_r20_demo_beiyuan_last_election_elected_the_sitting_council(seeded, client):
    group = ResidentGroup.objects.get(name="北苑小区")
    election = Election.objects.get(group=group)
    assert election.status == ElectionStatus.COMPLETED
    round_ = election.rounds.get()
    assert (round_.roll_size, round_.ballots_cast, round_.valid) == (24, 19, True)
    assert ElectionVoter.objects.filter(round=round_, method="paper").count() == 4
    elected = set(election.candidates.filter(result=CandidateResult.ELECTED).values_list("user_id", flat=True))
    council = policies.group_council(group)
    assert set(policies.seated_members(council).values_list("pk", flat=True)) == elected
    assert policies.group_council(group).seats.current().get(user__username="groupchair").role == SeatRole.CHAIR
    assert client.get(reverse("elections:notice", args=[election.pk])).status_code == 200


def test_r20_demo_nanyuan_runoff_open_to_try(seeded, client):
    election = Election.objects.get(group__name="南苑小区")
    assert election.status == ElectionStatus.RUNOFF
    assert election.candidates.filter(result=CandidateResult.ELECTED).count() == 3
    runoff = election.rounds.get(number=2)
    assert runoff.seats == 2 and runoff.candidates.count() == 4
    voter = User.objects.get(username="nanyuan_06")
    assert not ElectionVoter.objects.get(round=runoff, user=voter).voted
    client.force_login(voter)
    assert client.get(reverse("elections:ballot", args=[election.pk])).status_code == 200
    assert BallotPaper.objects.filter(round=runoff).count() == 4


def test_demo_roadshow_for_proposal_in_community_vote(seeded, client):
    item = AgendaItem.objects.get(proposal__title="南苑单元门禁维修", presented_at__isnull=False)
    assert item.proposal.status == S.COMMUNITY_VOTE
    assert item.questions.count() == 2
    ballot = item.proposal.ballots.get(closed_at__isnull=True)
    client.force_login(User.objects.get(username="councillor"))
    body = client.get(reverse("proposals:ballot", args=[ballot.pk])).content.decode()
    assert body.index('id="roadshow"') < body.index('id="vote-panel"')
