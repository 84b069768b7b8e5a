"""R23 the five steps (五步工作法): a party-organisation post, proposals it authors marked 党组织提议,
acceptance with a party-organisation member and a supervisor present, and the stepper naming who acts."""

import csv
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from councils import services as cs
from councils.enums import PostKind, StaffLevel
from councils.models import StaffPost
from funding import services as fs
from funding.models import Acceptance
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.stages import stepper
from tests.factories import BACK_GATE_LINES, UserFactory, make_resident
from tests.funding_support import drive_to_released, old_world, record_bids
from yishi.errors import DomainError, PermissionDenied


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def party_proposal(world, title="消防通道整治"):
    return ps.proposal_create(author=world.party_member, group=world.group, title=title, summary="党组织提议整治消防通道",
                              lines=BACK_GATE_LINES, community_share="18000")


# --------------------------------------------------------------------------- the post


def test_r23_street_staff_assign_a_party_post_through_the_staff_post_service(small):
    user = UserFactory(full_name="新党委委员")
    post = cs.staff_post_assign(user=user, actor=small.street_staff, level=StaffLevel.COMMUNITY,
                                subdistrict=small.subdistrict, community=small.community, title="党委委员",
                                kind=PostKind.PARTY)
    assert post.kind == PostKind.PARTY
    from councils import policies

    assert policies.is_party_member(user, small.community)
    assert policies.is_community_staff(user, small.community)  # a party post is a community post
    assert not policies.is_party_member(small.staff, small.community)


def test_r23_party_post_refusals_change_nothing(small):
    user = UserFactory()
    before = StaffPost.objects.count()
    with pytest.raises(PermissionDenied):
        cs.staff_post_assign(user=user, actor=small.staff, level=StaffLevel.COMMUNITY, subdistrict=small.subdistrict,
                             community=small.community, kind=PostKind.PARTY)
    with pytest.raises(DomainError, match="必须设在一个社区"):
        cs.staff_post_assign(user=user, actor=small.street_staff, level=StaffLevel.SUBDISTRICT,
                             subdistrict=small.subdistrict, kind=PostKind.PARTY)
    with pytest.raises(DomainError, match="未知的岗位类别"):
        cs.staff_post_assign(user=user, actor=small.street_staff, level=StaffLevel.COMMUNITY,
                             subdistrict=small.subdistrict, community=small.community, kind="boss")
    # R2 still holds: a supervisor cannot take the post.
    with pytest.raises(DomainError, match="监督"):
        cs.staff_post_assign(user=small.supervisor, actor=small.street_staff, level=StaffLevel.COMMUNITY,
                             subdistrict=small.subdistrict, community=small.community, kind=PostKind.PARTY)
    assert StaffPost.objects.count() == before


def test_r23_database_refuses_a_party_post_at_street_level(small):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffPost.objects.create(user=UserFactory(), level=StaffLevel.SUBDISTRICT, subdistrict=small.subdistrict,
                                 kind=PostKind.PARTY)


def test_r23_existing_posts_default_to_staff(small):
    assert small.staff.staff_posts.get().kind == PostKind.STAFF


def test_r23_street_staff_appoint_on_the_party_page(client, small):
    user = UserFactory(username="dangwei2", full_name="王委员")
    client.force_login(small.street_staff)
    url = reverse("councils:party_posts")
    assert small.party_member.display_name in client.get(url).content.decode()
    response = client.post(url, {"community": small.community.pk, "account": "dangwei2", "title": "党委委员"})
    assert response.status_code == 302
    assert StaffPost.objects.get(user=user).kind == PostKind.PARTY
    client.force_login(small.staff)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


# --------------------------------------------------------------------------- 党组织提议


def test_r23_party_member_proposes_for_a_group_marked_on_every_page_and_export(client, small):
    p = party_proposal(small)
    assert p.by_party and p.events.get(kind="created").data == {"by_party": True}
    resident_p = ps.proposal_create(author=small.author, group=small.group, title="路灯", summary="修路灯",
                                    lines=BACK_GATE_LINES, community_share="18000")
    assert not resident_p.by_party
    client.force_login(small.party_member)
    page = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert "党组织提议" in page and "（社区党组织）" in page
    assert "badge-party" not in client.get(reverse("proposals:detail", args=[resident_p.pk])).content.decode()


def test_r23_party_mark_in_the_public_list_and_the_accounts_export(client, small):
    p, _fund = drive_to_released(small, title="消防通道")
    from proposals.models import Proposal

    Proposal.objects.filter(pk=p.pk).update(by_party=True)  # arrange: the released proposal as a party one
    body = client.get(reverse("proposals:public_list")).content.decode()
    assert "badge-party" in body and "党组织提议" in body
    client.force_login(small.street_staff)
    response = client.get(reverse("funding:accounts_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    col = rows[0].index("提议方")
    assert rows[1][col] == "党组织提议"


def test_r23_other_community_staff_may_not_author(small):
    with pytest.raises(PermissionDenied, match="社区党组织成员"):
        ps.proposal_create(author=small.staff, group=small.group, title="x", summary="y", lines=BACK_GATE_LINES,
                           community_share="18000")
    other = old_world(group_seats=3, community_seats=3, prefix="外")
    with pytest.raises(PermissionDenied):
        ps.proposal_create(author=other.party_member, group=small.group, title="x", summary="y",
                           lines=BACK_GATE_LINES, community_share="18000")


# --------------------------------------------------------------------------- acceptance


def in_progress(world, panel=None):
    p, _fund = drive_to_released(world)
    bids = record_bids(world, p)
    fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=panel or [world.group_members[0], world.supervisor])
    return p


def test_r23_acceptance_takes_the_communitys_only_party_member_as_present(small):
    p = in_progress(small)
    a = fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied")
    assert a.party_member == small.party_member and a.supervisor == small.supervisor
    assert p.events.get(kind="acceptance_recorded").data["party_member"] == small.party_member.pk


def test_r23_acceptance_prefers_the_party_member_on_the_panel(small):
    second = UserFactory(full_name="党委委员")
    cs.staff_post_assign(user=second, actor=small.street_staff, level=StaffLevel.COMMUNITY,
                         subdistrict=small.subdistrict, community=small.community, kind=PostKind.PARTY)
    p = in_progress(small, panel=[small.group_members[0], small.supervisor, second])
    a = fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied")
    assert a.party_member == second


def test_r23_acceptance_with_several_party_members_and_none_named_is_refused(small):
    cs.staff_post_assign(user=UserFactory(), actor=small.street_staff, level=StaffLevel.COMMUNITY,
                         subdistrict=small.subdistrict, community=small.community, kind=PostKind.PARTY)
    p = in_progress(small)
    with pytest.raises(DomainError, match="请注明到场的党组织成员") as exc:
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied")
    assert exc.value.code == "party_member" and not Acceptance.objects.exists()
    a = fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied",
                             party_member=small.party_member)
    assert a.party_member == small.party_member


def test_r23_acceptance_without_a_party_member_refused_nothing_changed(small):
    p = in_progress(small)
    small.party_member.staff_posts.update(ends_at=p.created_at)
    events = p.events.count()
    with pytest.raises(DomainError, match="还没有党组织成员"):
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied")
    with pytest.raises(DomainError, match="不是.*党组织成员"):
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied",
                             party_member=small.staff)
    p.refresh_from_db()
    assert p.status == S.IN_PROGRESS and not Acceptance.objects.exists() and p.events.count() == events


def test_r23_acceptance_form_offers_the_party_member(client, small):
    p = in_progress(small)
    client.force_login(small.group_members[0])
    url = reverse("funding:acceptance_add", args=[p.pk])
    response = client.post(url, {"passed": "1", "satisfaction": "satisfied", "supervisor": small.supervisor.pk,
                                 "party_member": small.party_member.pk, "notes": "合格"})
    assert response.status_code == 302
    assert Acceptance.objects.get().party_member == small.party_member


# --------------------------------------------------------------------------- the stepper


def test_r23_stepper_names_who_acts_at_each_of_the_five_steps(client, small):
    p = party_proposal(small)
    five = stepper(p)["five_steps"]
    assert [f.label for f in five] == ["党组织提议", "议事会议决", "居委会实施", "党组织评议验收", "监委会监督"]
    assert [f.state for f in five] == ["current", "todo", "todo", "todo", "current"]
    assert "社区党组织" in str(five[0].who) and "监督人员" in str(five[3].who)
    client.force_login(small.party_member)
    page = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    for label in ("党组织提议", "议事会议决", "居委会实施", "党组织评议验收", "监委会监督"):
        assert label in page


def test_r23_stepper_states_follow_the_proposal(small):
    p = in_progress(small)
    five = {f.key: f.state for f in stepper(p)["five_steps"]}
    assert five == {"propose": "done", "decide": "done", "implement": "current", "accept": "todo",
                    "supervise": "current"}
    p.status = S.SETTLED
    assert all(f.state == "done" for f in stepper(p)["five_steps"])
    p.status = S.WITHDRAWN
    assert {f.key: f.state for f in stepper(p)["five_steps"]}["supervise"] == "todo"


def test_r23_resident_still_proposes_as_before(small):
    resident = make_resident(small.group)
    p = ps.proposal_create(author=resident, group=small.group, title="座椅", summary="加座椅",
                           lines=BACK_GATE_LINES, community_share="18000")
    assert not p.by_party
