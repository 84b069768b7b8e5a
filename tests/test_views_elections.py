"""Election pages: permission matrix per view, the ballot's confirm step, no partial counts
while voting is open, and query counts that do not grow with candidates or roll rows."""

from datetime import timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from elections import services as es
from elections.models import BallotPaper, ElectionVoter
from tests.election_support import after_voting, cast_all, close, open_election, roll_users, voting
from tests.factories import build_world

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"elections:{name}", args=args)


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def ten():
    return build_world(group_seats=5, residents=5, community_seats=3)


@pytest.fixture
def other():
    """Another community's world: its staff and residents are outsiders here."""
    return build_world(group_seats=3, residents=1, community_seats=3, prefix="外")


def queries_of(client, path):
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    return len(ctx.captured_queries)


# --------------------------------------------------------------------------- public pages


def test_list_and_detail_public(ten, client):
    election, people = open_election(ten)
    assert client.get(url("list")).status_code == 200
    response = client.get(url("detail", election.pk))
    assert response.status_code == 200
    assert people[0].display_name in response.content.decode()


def test_statements_shown_only_after_nominations_close(ten, client):
    election, people = open_election(ten)
    candidate = election.candidates.get(user=people[0])
    es.candidate_statement_set(candidate=candidate, actor=people[0], statement="修好单元门禁")
    assert "修好单元门禁" not in client.get(url("detail", election.pk)).content.decode()
    with voting(election):
        assert "修好单元门禁" in client.get(url("detail", election.pk)).content.decode()


def test_no_partial_counts_while_open(ten, client):
    election, people = open_election(ten)
    with voting(election):
        for v in roll_users(ten)[:3]:
            es.election_ballot_cast(election=election, voter=v, choices=[people[0]])
        page = client.get(url("detail", election.pk)).content.decode()
        turnout = client.get(url("turnout", election.pk)).content.decode()
    assert "已投票 3 人，选民 10 人" in page and "已投票 3 人" in turnout
    assert 'id="result-' not in page and "<table" not in turnout


def test_results_after_close_show_votes_turnout_validity(ten, client):
    election, people = open_election(ten)
    cast_all(election, [(v, people[:3]) for v in roll_users(ten)[:6]])
    close(election)
    page = client.get(url("detail", election.pk)).content.decode()
    assert "选民 10 人，投票 6 人（60%）" in page
    assert "本轮有效" in page
    notice = client.get(url("notice", election.pk))
    assert notice.status_code == 200
    body = notice.content.decode()
    assert 'class="qr"' in body and f"/elections/{election.pk}/" in body


def test_notice_404_before_any_count(ten, client):
    election, _ = open_election(ten)
    assert client.get(url("notice", election.pk)).status_code == 404


def test_list_queries_same_for_one_and_three(client, django_assert_num_queries):
    worlds = [build_world(group_seats=3, residents=1, community_seats=3, prefix=str(n)) for n in range(3)]
    open_election(worlds[0], candidates=3)
    client.get(url("list"))
    n = queries_of(client, url("list"))
    open_election(worlds[1], candidates=3)
    open_election(worlds[2], candidates=3)
    with django_assert_num_queries(n):
        response = client.get(url("list"))
    assert response.content.decode().count('class="list-item"') == 3


def test_detail_queries_do_not_grow_with_candidates(client, django_assert_num_queries):
    small = build_world(group_seats=3, residents=2, community_seats=3, prefix="小")
    big = build_world(group_seats=5, residents=5, community_seats=3, prefix="大")
    e1, p1 = open_election(small, seats=3, candidates=4)
    e2, p2 = open_election(big, seats=3, candidates=8)
    cast_all(e1, [(v, p1[:3]) for v in roll_users(small)[:4]])
    cast_all(e2, [(v, p2[:3]) for v in roll_users(big)[:6]])
    close(e1)
    close(e2)
    n = queries_of(client, url("detail", e1.pk))
    with django_assert_num_queries(n):
        client.get(url("detail", e2.pk))


# --------------------------------------------------------------------------- the ballot


def test_ballot_matrix(ten, other, client):
    election, people = open_election(ten)
    with voting(election):
        assert client.get(url("ballot", election.pk)).status_code == 302  # anonymous: log in
        assert as_user(client, ten.residents[0]).get(url("ballot", election.pk)).status_code == 200
        assert as_user(client, ten.supervisor).get(url("ballot", election.pk)).status_code == 403
        assert as_user(client, other.residents[0]).get(url("ballot", election.pk)).status_code == 404


def test_ballot_confirm_step_then_cast(ten, client):
    election, people = open_election(ten)
    voter = as_user(client, ten.residents[4])
    with voting(election):
        choice = {"choices": [str(people[0].pk), str(people[1].pk)]}
        step = voter.post(url("ballot_cast", election.pk), choice)
        assert step.status_code == 200
        assert "确定投出吗" in step.content.decode()
        assert not BallotPaper.objects.exists()
        done = voter.post(url("ballot_cast", election.pk), {**choice, "confirm": "on"})
        assert done.status_code == 302
    assert BallotPaper.objects.count() == 1
    assert ElectionVoter.objects.get(user=ten.residents[4]).voted


def test_ballot_too_many_marks_refused_on_page(ten, client):
    election, people = open_election(ten)
    voter = as_user(client, ten.residents[4])
    with voting(election):
        response = voter.post(url("ballot_cast", election.pk),
                              {"choices": [str(p.pk) for p in people], "confirm": "on"})
    assert response.status_code == 400
    assert "最多可以选 3 人" in response.content.decode()
    assert not BallotPaper.objects.exists()


def test_ballot_blank_confirm_says_blank(ten, client):
    election, _ = open_election(ten)
    with voting(election):
        response = as_user(client, ten.residents[4]).post(url("ballot_cast", election.pk), {})
    assert "空白票" in response.content.decode()


def test_ballot_get_only_for_cast(ten, client):
    election, _ = open_election(ten)
    with voting(election):
        assert as_user(client, ten.residents[0]).get(url("ballot_cast", election.pk)).status_code == 405


# --------------------------------------------------------------------------- roll


def test_roll_matrix_and_no_choices(ten, other, client):
    election, people = open_election(ten)
    with voting(election):
        es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[people[0]])
        es.election_paper_ballot(election=election, voter=ten.residents[1], choices=[people[1]], actor=ten.staff,
                                 box="7")
    assert client.get(url("roll", election.pk)).status_code == 302
    for allowed in (ten.staff, ten.supervisor):
        response = as_user(client, allowed).get(url("roll", election.pk))
        assert response.status_code == 200
        body = response.content.decode()
        assert "纸质选票" in body and ">7<" in body
        # Names of candidates appear only as voters on the roll, never as someone's choice.
        assert "所选" not in body
    assert as_user(client, ten.residents[2]).get(url("roll", election.pk)).status_code == 403
    assert as_user(client, other.staff).get(url("roll", election.pk)).status_code == 404


def test_roll_queries_same_for_small_and_large_page(client, django_assert_num_queries):
    small = build_world(group_seats=3, residents=1, community_seats=3, prefix="小")
    big = build_world(group_seats=5, residents=10, community_seats=3, prefix="大")
    e1, _ = open_election(small, candidates=4)
    e2, _ = open_election(big, candidates=4)
    with voting(e1):
        es.election_roll_freeze(election=e1)
        es.election_roll_freeze(election=e2)
    viewer = as_user(client, small.staff)
    n = queries_of(viewer, url("roll", e1.pk))
    viewer = as_user(client, big.staff)
    with django_assert_num_queries(n):
        viewer.get(url("roll", e2.pk))


# --------------------------------------------------------------------------- staff workbench


def test_workbench_matrix(ten, other, client):
    election, _ = open_election(ten)
    assert client.get(url("workbench")).status_code == 302
    assert as_user(client, ten.staff).get(url("workbench")).status_code == 200
    assert as_user(client, ten.supervisor).get(url("workbench")).status_code == 403
    assert as_user(client, ten.staff).get(url("manage", election.pk)).status_code == 200
    assert as_user(client, ten.supervisor).get(url("manage", election.pk)).status_code == 403
    assert as_user(client, ten.residents[0]).get(url("manage", election.pk)).status_code == 403
    assert as_user(client, other.staff).get(url("manage", election.pk)).status_code == 404


def test_workbench_opens_nominates_enters_paper_and_counts(ten, client):
    staff = as_user(client, ten.staff)
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    response = staff.post(url("open"), {
        "community": ten.community.pk, "target": f"council-{ten.group_council.pk}", "seats": 3,
        "nominations_close": (now + timedelta(days=1)).strftime(fmt),
        "opens_at": (now + timedelta(days=2)).strftime(fmt), "closes_at": (now + timedelta(days=3)).strftime(fmt),
    })
    assert response.status_code == 302
    election = ten.group_council.elections.get()
    for person in roll_users(ten)[:4]:
        assert staff.post(url("nominate", election.pk), {"candidate": person.username}).status_code == 302
    assert election.candidates.count() == 4
    people = roll_users(ten)
    with voting(election):
        for n, voter in enumerate(people[:6]):
            r = staff.post(url("paper_ballot", election.pk), {
                "voter": voter.username, "box": "1", "choices": [str(people[0].pk), str(people[1].pk),
                                                                 str(people[2].pk)]})
            assert r.status_code == 302, r.content.decode()
        again = staff.post(url("paper_ballot", election.pk), {"voter": people[0].username, "box": "1"})
        assert again.status_code == 400 and "已经投过票" in again.content.decode()
    with after_voting(election):
        assert staff.post(url("close", election.pk)).status_code == 302
    election.refresh_from_db()
    assert election.status == "completed"


def test_workbench_mutations_forbidden_to_supervisor(ten, client):
    election, _ = open_election(ten)
    sup = as_user(client, ten.supervisor)
    assert sup.post(url("nominate", election.pk), {"candidate": ten.residents[0].username}).status_code == 403
    assert sup.post(url("close", election.pk)).status_code == 403
    assert election.candidates.count() == 4


def test_r20_resident_stands_with_three_supporters_on_page(ten, client):
    election, _ = open_election(ten, candidates=0)
    me, a, b, c = ten.residents[:4]
    page = as_user(client, me)
    assert "自荐参选" in page.get(url("detail", election.pk)).content.decode()
    short = page.post(url("stand", election.pk), {"supporter1": a.username, "supporter2": b.username,
                                                  "supporter3": me.username})
    assert short.status_code == 400 and "自荐需要至少 3 位其他居民联名支持" in short.content.decode()
    assert not election.candidates.exists()
    done = page.post(url("stand", election.pk), {"supporter1": a.username, "supporter2": b.username,
                                                 "supporter3": c.username})
    assert done.status_code == 302
    assert election.candidates.get().supporters.count() == 3


def test_stand_matrix(ten, other, client):
    election, _ = open_election(ten, candidates=0)
    assert client.post(url("stand", election.pk), {}).status_code == 302  # log in first
    assert as_user(client, other.residents[0]).post(url("stand", election.pk), {}).status_code == 404
    assert as_user(client, ten.residents[0]).get(url("stand", election.pk)).status_code == 405
