"""``manage.py seed_demo``: the demo world is real, idempotent and refused in production.

The world is seeded once for this module inside a transaction that is rolled
back at the end, so other test modules never see it.
"""

import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from councils import policies
from councils.enums import BoardTitle, SeatRole
from councils.models import BoardSeat, Community, ResidentGroup, Seat, User
from funding.enums import EntryKind, FundKind
from funding.models import Bid, Contribution, Fund, LedgerEntry, Refund, Settlement
from funding.selectors import fund_sums
from portal.demo import ACCOUNTS, BACK_GATE_TITLE, CASE_YEAR, DEMO_PASSWORD
from proposals.enums import BallotKind
from proposals.enums import ProposalStatus as S
from proposals.models import Proposal
from yishi.chain import CHAINS

D = Decimal
MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module; roll everything back afterwards."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    return demo


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _proposal(title: str) -> Proposal:
    return Proposal.objects.get(title=title)


def _back_gate() -> Proposal:
    return _proposal(BACK_GATE_TITLE)


# --------------------------------------------------------------------------- runs, idempotency, history


def test_seed_demo_reports_what_it_built(seeded):
    assert "Demo world built" in seeded
    assert DEMO_PASSWORD in seeded
    assert Proposal.objects.count() >= 12


def test_seed_demo_second_run_changes_nothing(seeded, settings):
    settings.DEBUG = True
    before = _counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert "nothing changed" in out.getvalue()


def test_r14_seed_demo_history_verifies(seeded):
    out = StringIO()
    call_command("verify_history", stdout=out)
    assert "All history chains verify." in out.getvalue()
    # And directly, so an empty registry cannot pass: both chains exist and hold rows.
    rows = {}
    for name, verifier in CHAINS.items():
        results = list(verifier())
        assert all(bad is None and not why for _id, _n, bad, why in results), name
        rows[name] = sum(n for _id, n, _bad, _why in results)
    assert rows["proposal_events"] > 150
    assert rows["fund_ledger"] >= 10


def test_seed_demo_timelines_run_forward(seeded):
    """Each step was taken at its own time: no event or ledger entry is dated before the one before it."""
    from proposals.models import ProposalEvent

    for chain, rows in [
        ("proposal", ProposalEvent.objects.order_by("proposal_id", "seq")),
        ("fund", LedgerEntry.objects.order_by("fund_id", "seq")),
    ]:
        last = {}
        for row in rows:
            key = row.proposal_id if chain == "proposal" else row.fund_id
            assert key not in last or row.created_at >= last[key], (chain, key, row.seq)
            last[key] = row.created_at
    # And nothing happened in the future.
    assert not ProposalEvent.objects.filter(created_at__gt=timezone.now()).exists()


def test_seed_demo_refused_when_debug_off_without_force(db, settings):
    settings.DEBUG = False
    before = User.objects.count()
    with pytest.raises(CommandError, match=r"DEBUG is off.*--force"):
        call_command("seed_demo", stdout=StringIO())
    assert User.objects.count() == before


def test_seed_demo_runs_when_debug_off_with_force(seeded, settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)  # already seeded: idempotent, no refusal
    assert "nothing changed" in out.getvalue()


# --------------------------------------------------------------------------- the world


def test_seed_demo_world_has_the_places_and_councils(seeded):
    jinyang = Community.objects.get(name="晋阳社区")
    assert jinyang.subdistrict.name == "晋阳街道"
    assert policies.seated_members(policies.community_council(jinyang)).count() == 37
    assert jinyang.board.seats.count() >= 2
    assert jinyang.subdistrict.board.name == "晋阳街道纪工委"
    beiyuan = ResidentGroup.objects.get(name="北苑小区")
    assert policies.seated_members(policies.group_council(beiyuan)).count() == 5
    residents = beiyuan.residencies.filter(verified_at__isnull=False, ends_at__isnull=True)
    assert residents.count() >= 20
    assert all(re.fullmatch(r"\d+栋\d单元\d0\d", r.address) for r in residents)
    nanyuan = ResidentGroup.objects.get(name="南苑小区")
    assert policies.seated_members(policies.group_council(nanyuan)).count() >= 3
    for street, community, group in [
        ("玉林街道", "玉东社区", None),
        ("公兴街道", "朱家庙社区", "金河苑"),
    ]:
        c = Community.objects.get(name=community, subdistrict__name=street)
        assert policies.seated_members(policies.community_council(c)).count() >= 3
        assert c.staff_posts.exists()
        for g in c.groups.all():
            assert policies.seated_members(policies.group_council(g)).count() >= 3
        if group:
            assert c.groups.filter(name=group).exists()


def test_seed_demo_people_have_distinct_names(seeded):
    names = list(User.objects.values_list("full_name", flat=True))
    assert len(names) >= 100
    assert len(set(names)) == len(names)


def test_seed_demo_accounts_use_the_demo_password(seeded):
    for account in ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password(DEMO_PASSWORD), account.username
        assert user.full_name == account.full_name


def test_seed_demo_accounts_hold_the_memberships_of_their_roles(seeded):
    u = {a.username: User.objects.get(username=a.username) for a in ACCOUNTS}
    jinyang = Community.objects.get(name="晋阳社区")
    yudong = Community.objects.get(name="玉东社区")
    beiyuan = ResidentGroup.objects.get(name="北苑小区")

    assert policies.is_resident_of(u["resident"], beiyuan) and u["resident"].large_text
    assert policies.is_resident_of(u["resident2"], beiyuan)
    assert (
        Seat.objects.current().get(user=u["groupchair"], council__group=beiyuan).role
        == SeatRole.CHAIR
    )
    assert (
        Seat.objects.current().get(user=u["groupmember"], council__group=beiyuan).role
        == SeatRole.MEMBER
    )
    assert policies.is_community_council_member(u["councillor"], jinyang)
    assert (
        policies.is_community_staff(u["communitystaff"], jinyang)
        and not u["communitystaff"].is_superuser
    )
    assert (
        policies.is_street_staff(u["streetstaff"], jinyang.subdistrict)
        and not u["streetstaff"].is_superuser
    )
    assert not policies.is_community_staff(u["streetstaff"], jinyang)
    for name, title, board in [
        ("supervisor", BoardTitle.MEMBER, {"board__community": jinyang}),
        ("lianqing", BoardTitle.INTEGRITY, {"board__community": jinyang}),
        ("discipline", BoardTitle.DISCIPLINE, {"board__subdistrict": jinyang.subdistrict}),
    ]:
        assert BoardSeat.objects.current().filter(user=u[name], title=title, **board).exists(), name
        assert policies.is_supervisor_of(u[name], jinyang)
        assert not policies.holds_post_or_seat_in(u[name], jinyang)  # R2
    assert u["admin"].is_superuser and u["admin"].is_staff
    resident_of_yudong = policies.current_residency(u["yudong_resident"])
    assert resident_of_yudong.group.community == yudong
    assert not policies.is_resident_of(u["yudong_resident"], beiyuan)
    assert jinyang not in policies.communities_in_scope(u["yudong_resident"])
    # Nobody but the admin is a superuser or a Django staff member.
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == [
        "admin"
    ]


def test_seed_demo_accounts_table_in_docs_matches(seeded):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "demo.md").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in doc
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", doc, flags=re.M)
    assert listed == [a.username for a in ACCOUNTS]


# --------------------------------------------------------------------------- proposals in every state


def test_seed_demo_has_proposals_in_every_state_a_page_shows(seeded):
    statuses = set(Proposal.objects.values_list("status", flat=True))
    assert {
        S.DRAFT,
        S.GROUP_REVIEW,
        S.NOTICE,
        S.SUBMITTED,
        S.COMMUNITY_VOTE,
        S.APPROVED,
        S.REJECTED,
        S.WITHDRAWN,
        S.FUNDED,
        S.IN_PROGRESS,
        S.SETTLED,
    } <= statuses


def test_seed_demo_councillor_can_vote_on_the_open_community_ballot(seeded):
    p = _proposal("南苑单元门禁维修")
    assert p.status == S.COMMUNITY_VOTE
    ballot = p.ballots.get(kind=BallotKind.COMMUNITY, closed_at__isnull=True)
    councillor = User.objects.get(username="councillor")
    assert ballot.electors.filter(user=councillor).exists()
    assert not ballot.votes.filter(voter=councillor).exists()
    assert 0 < ballot.votes.count() < 25  # some voted, the outcome is still open


def test_seed_demo_groupmember_can_vote_on_the_open_group_ballot(seeded):
    p = _proposal("北苑电动自行车集中充电桩")
    ballot = p.ballots.get(kind=BallotKind.GROUP, closed_at__isnull=True)
    groupmember = User.objects.get(username="groupmember")
    assert ballot.electors.filter(user=groupmember).exists()
    assert not ballot.votes.filter(voter=groupmember).exists()
    assert ballot.votes.count() == 2


def test_r5_seed_demo_notice_has_one_answered_and_one_open_objection(seeded):
    p = _proposal("北苑中庭绿化补植")
    assert p.status == S.NOTICE
    objections = p.notices.get().objections
    assert objections.filter(answered_at__isnull=False, upheld=False).count() == 1
    assert objections.filter(answered_at__isnull=True).count() == 1


def test_r5_seed_demo_submitted_proposal_went_through_an_upheld_objection(seeded):
    p = _proposal("南苑楼道声控灯改造")
    assert p.status == S.SUBMITTED
    assert p.notices.filter(voided_at__isnull=False).count() == 1
    assert p.resolutions.count() == 2


def test_seed_demo_streetstaff_release_of_bike_shed_is_refused_for_short_contributions(seeded):
    from funding import services as fs
    from yishi.errors import DomainError

    p = _proposal("北苑自行车棚修缮")
    assert p.status == S.FUNDED
    with pytest.raises(DomainError, match="居民自筹：应筹 6,500.00 元"):
        fs.funds_release(proposal=p, actor=User.objects.get(username="streetstaff"))


# --------------------------------------------------------------------------- the 北苑 back-gate case


def test_seed_demo_back_gate_case_has_the_real_amounts(seeded):
    p = _back_gate()
    assert p.status == S.SETTLED
    assert (p.total, p.community_share, p.self_raised_share) == (
        D("36000.00"),
        D("18000.00"),
        D("18000.00"),
    )
    assert [line.item[:4] for line in p.lines.order_by("position")] == [
        "后门维修",
        "消防通道",
        "围墙防盗",
    ]

    group_ballot = p.ballots.get(kind=BallotKind.GROUP)
    assert (group_ballot.electorate_size, group_ballot.approve_count) == (5, 5)
    community_ballot = p.ballots.get(kind=BallotKind.COMMUNITY)
    assert community_ballot.electorate_size == 37
    assert community_ballot.approve_count == 31 and 3 * 31 >= 2 * 37
    notice = p.notices.get()
    assert (notice.ends_at - notice.published_at).days == 7
    submitted = p.events.get(kind="submitted_to_community")
    assert submitted.created_at >= notice.ends_at  # the notice really ran its 7 days

    contributions = Contribution.objects.filter(proposal=p, reversed_at__isnull=True)
    assert contributions.count() == 36
    assert sum(c.amount for c in contributions) == D("18000.00")
    assert len({c.receipt_no for c in contributions}) == 36

    bids = Bid.objects.filter(proposal=p)
    assert bids.count() == 3
    chosen = bids.get(selected_at__isnull=False)
    assert chosen.amount == min(b.amount for b in bids) == D("34500.00")
    assert chosen.panel.filter(
        board_seats__isnull=False
    ).exists()  # a supervisor on the panel (R12)

    settlement = Settlement.objects.get(proposal=p)
    assert settlement.actual_cost == D("34500.00")
    assert settlement.savings == D("1500.00")
    assert settlement.community_savings == D("750.00")
    assert settlement.residents_savings == D("750.00")
    assert settlement.refundable_total == D("750.00")
    assert sum(r.amount for r in Refund.objects.filter(settlement=settlement)) == D("750.00")
    assert p.acceptances.get().supervisor.board_seats.exists()  # a supervisor present (R13)


def test_r15_seed_demo_fund_ledger_of_the_back_gate_case(seeded):
    jinyang = Community.objects.get(name="晋阳社区")
    p = _back_gate()
    fund = Fund.objects.get(community=jinyang, year=CASE_YEAR, kind=FundKind.PUBLIC_SERVICE)
    entries = {e.kind: e for e in LedgerEntry.objects.filter(fund=fund, proposal=p)}
    assert entries[EntryKind.RESERVATION].reserved_delta == D("18000.00")
    assert entries[EntryKind.RELEASE].balance_delta == D("-18000.00")
    assert entries[EntryKind.SAVINGS_RETURN].balance_delta == D("750.00")
    allocation = LedgerEntry.objects.get(fund=fund, kind=EntryKind.ALLOCATION)
    assert allocation.balance_delta == D("300000.00")
    balance, reserved = fund_sums(fund)
    # Other demo projects also draw on the 2026 fund: add them back to see the back-gate share.
    others = (
        LedgerEntry.objects.filter(fund=fund).exclude(proposal=p).exclude(kind=EntryKind.ALLOCATION)
    )
    other_balance = sum((e.balance_delta for e in others), D("0"))
    assert balance - other_balance == D("300000.00") - D("18000.00") + D("750.00")
    assert reserved >= 0 and balance - reserved >= 0


def test_r14_seed_demo_has_a_verified_run_and_a_signed_checkpoint(seeded):
    from funding.models import HistoryCheckpoint, HistoryRun

    run = HistoryRun.objects.get()
    assert run.ok and run.checkpoint.number == 1 and HistoryCheckpoint.objects.count() == 1


def test_seed_demo_accounts_have_example_mail_addresses_after_the_seed(seeded):
    # The seed's own history mailed nobody (the addresses come after it); later actions are mailed.
    for account in ACCOUNTS:
        assert User.objects.get(username=account.username).email == f"{account.username}@demo.yishi.example"
    assert User.objects.exclude(username__in=[a.username for a in ACCOUNTS]).exclude(email="").count() == 0
