"""Issue 11: staff and residents name other residents by login name or phone, looked up only in
scope (the community's, or the election's, verified residents). A name outside the scope gets the
same answer as a name that does not exist, so no page tells who lives elsewhere; every bad name is
said, and nothing is written."""

import pytest
from django.urls import reverse

from councils.models import Residency
from grants.models import GrantApplication
from needs.models import Need
from tests import sanshe_support as ss
from tests.election_support import open_election
from tests.factories import UserFactory, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(db):
    return ss.old_world(community_seats=3)


@pytest.fixture
def other(db):
    return build_world(community_seats=3, prefix="外")


def record(client, w, resident):
    client.force_login(w.staff)
    return client.post(reverse("needs:staff_record"), {
        "community": w.community.slug, "channel": "home_visit", "resident": resident, "category": "home_repair",
        "text": "水管漏水"})


def test_staff_record_a_need_for_a_resident_by_login_name_or_phone(client, w):
    person = w.residents[2]
    person.phone = "13800000002"
    person.save()
    assert record(client, w, "13800000002").status_code == 302
    assert Need.objects.get().resident == person
    assert record(client, w, person.username).status_code == 302
    assert Need.objects.filter(resident=person).count() == 2
    assert record(client, w, "").status_code == 302  # anonymous
    assert Need.objects.filter(resident__isnull=True).count() == 1


def test_a_resident_elsewhere_reads_like_nobody(client, w, other):
    outside = record(client, w, other.residents[0].username).content.decode()
    nobody = record(client, w, "no_such_account").content.decode()
    unverified = UserFactory()
    Residency.objects.create(user=unverified, group=w.group)
    not_verified = record(client, w, unverified.username).content.decode()
    for page, name in ((outside, other.residents[0].username), (nobody, "no_such_account"),
                       (not_verified, unverified.username)):
        assert f"在{w.community.name}的已核实居民中找不到“{name}”" in page
    assert not Need.objects.exists()
    # The form never lists residents: the page carries no other resident's name.
    page = client.get(reverse("needs:staff") + f"?community={w.community.slug}").content.decode()
    assert all(r.display_name not in page for r in w.residents)


def test_grant_neighbours_are_named_in_scope_bounded_and_all_bad_names_said(client, w, other):
    fund = ss.make_fund(w, "100000.00")
    call = ss.open_call(w, fund, days_ago=1, close_after=10)
    people = ss.residents(w, 3)
    client.force_login(people[0])
    data = {"title": "亲子厨房", "plan": "周末亲子做饭", "amount": "2000", "cash": "0", "volunteer": "0", "in_kind": "0",
            "organisation": ""}
    url = reverse("grants:apply", args=[call.pk])
    page = client.post(url, {**data, "neighbours": f"{people[1].username} {other.residents[0].username} nobody9"},
                       follow=True).content.decode()
    assert f"“{other.residents[0].username}”“nobody9”" in page
    assert not GrantApplication.objects.exists()
    page = client.post(url, {**data, "neighbours": " ".join(f"n{k}" for k in range(11))}, follow=True)
    assert "最多填写 10 位居民" in page.content.decode()
    assert not GrantApplication.objects.exists()
    client.post(url, {**data, "neighbours": f"{people[1].username}，{people[2].username}"})
    application = GrantApplication.objects.get()
    assert set(application.applicants.values_list("resident", flat=True)) >= {people[1].pk, people[2].pk}


def test_election_supporters_and_candidates_only_from_the_electorate(client, w, other):
    election, _people = open_election(w, candidates=0)
    me, a, b = w.residents[:3]
    client.force_login(me)
    response = client.post(reverse("elections:stand", args=[election.pk]), {
        "supporter1": a.username, "supporter2": b.username, "supporter3": other.residents[0].username})
    assert response.status_code == 400 and f"找不到“{other.residents[0].username}”" in response.content.decode()
    assert not election.candidates.exists()
    client.force_login(w.staff)
    response = client.post(reverse("elections:nominate", args=[election.pk]),
                           {"candidate": other.residents[0].username})
    assert response.status_code == 400 and "找不到" in response.content.decode()
    assert not election.candidates.exists()
    assert client.post(reverse("elections:nominate", args=[election.pk]),
                       {"candidate": a.username}).status_code == 302
    assert election.candidates.get().user == a


def test_a_paper_ballot_names_a_voter_on_the_roll_only(client, w, other):
    from elections.models import BallotPaper, ElectionVoter
    from tests.election_support import voting

    election, people = open_election(w, candidates=4)
    client.force_login(w.staff)
    url = reverse("elections:paper_ballot", args=[election.pk])
    with voting(election):
        outside = client.post(url, {"voter": other.residents[0].username, "box": "1", "choices": [str(people[0].pk)]})
        assert outside.status_code == 400 and f"找不到“{other.residents[0].username}”" in outside.content.decode()
        assert not BallotPaper.objects.exists()
        done = client.post(url, {"voter": w.residents[0].username, "box": "1", "choices": [str(people[0].pk)]})
        assert done.status_code == 302
        # Someone who moved in after the roll froze is not on it.
        late = ss.residents(w, 1, prefix="新住户", days_ago=0)[0]
        response = client.post(url, {"voter": late.username, "box": "1"})
        assert response.status_code == 400 and "找不到" in response.content.decode()
    assert BallotPaper.objects.count() == 1 and ElectionVoter.objects.filter(voted=True).count() == 1
