"""R19: micro-grants — the pool as a reservation, panel, caps, the 70 % first tranche, reports, closing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from councils.models import Residency
from funding import selectors as fsel
from funding.enums import EntryKind
from funding.ledger import verify_fund_chains
from funding.models import LedgerEntry
from grants import services as gs
from grants.enums import ApplicationStatus, AwardStatus, CallStatus
from grants.models import GrantAward, GrantCall, GrantScore
from tests.sanshe_support import (
    D,
    apply_in_past,
    make_fund,
    old_world,
    open_call,
    org_application,
    organisation,
    residents,
    score_fully,
)
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(db):
    world = old_world(community_seats=3)
    fund = make_fund(world, "100000.00")
    call = open_call(world, fund)
    return world, fund, call


def awarded(world, call, org, amount="3000.00", applied="3000.00"):
    application = org_application(world, call, org, amount=applied)
    score_fully(world, application)
    return gs.grant_award(application=application, actor=world.staff, amount=amount)


def test_r19_call_reserves_its_pool_on_the_fund(setting):
    world, fund, call = setting
    assert fsel.fund_reserved(fund) == D("30000.00") and fsel.fund_available(fund) == D("70000.00")
    assert call.reservation_entry.kind == EntryKind.GRANT_RESERVATION


def test_r19_call_larger_than_available_is_refused(db):
    world = old_world(community_seats=3)
    fund = make_fund(world, "20000.00")
    with pytest.raises(DomainError) as exc:
        open_call(world, fund, pool="30000.00")
    assert exc.value.code == "shortfall" and "20,000.00" in str(exc.value)
    assert not GrantCall.objects.exists() and fsel.fund_reserved(fund) == D("0.00")


def test_r19_cap_above_pool_refused(db):
    world = old_world(community_seats=3)
    fund = make_fund(world, "50000.00")
    with pytest.raises(DomainError):
        open_call(world, fund, pool="3000.00", cap="5000.00")
    assert not GrantCall.objects.exists()


def test_r19_first_tranche_is_seventy_percent_rounded_down(setting):
    world, fund, call = setting
    award = awarded(world, call, organisation(world), amount="2999.99")
    assert award.first_tranche == D("2099.99")  # 2099.993 rounded down to the fen
    assert award.first_payment.kind == EntryKind.GRANT_PAYMENT
    assert award.first_payment.balance_delta == D("-2099.99")
    assert fsel.fund_balance(fund) == D("97900.01")
    assert fsel.fund_reserved(fund) == D("27900.01")
    assert gs.first_tranche_of(D("3000.00")) == D("2100.00")


def test_r19_award_above_cap_refused(setting):
    world, fund, call = setting
    org = organisation(world)
    application = org_application(world, call, org, amount="3000.00")
    score_fully(world, application)
    with pytest.raises(DomainError) as exc:
        gs.grant_award(application=application, actor=world.staff, amount="3000.01")
    assert "申请金额" in str(exc.value)
    # Applying above the cap is refused too.
    with pytest.raises(DomainError) as exc:
        org_application(world, call, organisation(world, "乙组织"), amount="3000.01")
    assert "单个项目上限" in str(exc.value)
    assert not GrantAward.objects.exists() and fsel.fund_balance(fund) == D("100000.00")


def test_r19_award_above_what_is_left_of_the_pool_refused(db):
    world = old_world(community_seats=3)
    fund = make_fund(world, "100000.00")
    call = open_call(world, fund, pool="5000.00", cap="3000.00")
    awarded(world, call, organisation(world, "甲组织"))
    application = org_application(world, call, organisation(world, "乙组织"))
    score_fully(world, application)
    with pytest.raises(DomainError) as exc:
        gs.grant_award(application=application, actor=world.staff, amount="2000.01")
    assert exc.value.code == "pool_exhausted" and "2,000.00" in str(exc.value)
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    assert gs.awarded_sum(call) == D("5000.00")


def test_r19_award_needs_three_scores_with_a_supervisor(setting):
    world, fund, call = setting
    application = org_application(world, call, organisation(world))
    gs.grant_score(application=application, reviewer=world.staff, score=80)
    gs.grant_score(application=application, reviewer=world.community_members[0], score=80)
    gs.grant_score(application=application, reviewer=world.community_members[1], score=80)
    with pytest.raises(DomainError) as exc:
        gs.grant_award(application=application, actor=world.staff, amount="1000.00")
    assert exc.value.code == "panel"
    gs.grant_score(application=application, reviewer=world.supervisor, score=70)
    gs.grant_award(application=application, actor=world.staff, amount="1000.00")


def test_r19_panel_member_cannot_score_their_own_organisation(setting):
    world, fund, call = setting
    reviewer = world.community_members[0]
    org = organisation(world, admin=reviewer)
    application = org_application(world, call, org)
    with pytest.raises(DomainError) as exc:
        gs.grant_score(application=application, reviewer=reviewer, score=100)
    assert exc.value.code == "conflict" and "回避" in str(exc.value)
    assert not GrantScore.objects.exists()


def test_r19_applying_resident_cannot_score(setting):
    world, fund, call = setting
    member = world.community_members[0]  # a council member who also lives in the community
    since = timezone.now() - timedelta(days=20)
    Residency.objects.create(user=member, group=world.group, verified_at=since, starts_at=since)
    neighbours = residents(world, 2)
    application = apply_in_past(call, actor=member, title="亲子厨房", plan="周末亲子做饭", amount="2000",
                                matched={"cash": "500", "volunteer": "800"}, residents=neighbours)
    assert application.matched == D("1300.00")
    with pytest.raises(DomainError) as exc:
        gs.grant_score(application=application, reviewer=member, score=90)
    assert exc.value.code == "conflict"
    assert not GrantScore.objects.exists()


def test_r19_residents_apply_as_three_and_once_per_call(setting):
    world, fund, call = setting
    people = residents(world, 4)
    with pytest.raises(DomainError) as exc:
        apply_in_past(call, actor=people[0], title="暑期托管", plan="x", amount="1000", matched="0",
                      residents=[people[1]])
    assert "至少 3 位" in str(exc.value)
    apply_in_past(call, actor=people[0], title="暑期托管", plan="x", amount="1000", matched="0",
                  residents=people[1:3])
    with pytest.raises(DomainError) as exc:
        apply_in_past(call, actor=people[3], title="另一个", plan="x", amount="1000", matched="0",
                      residents=people[2:3] + [world.residents[0]])
    assert "另一份申请" in str(exc.value)
    assert call.applications.count() == 1


def test_r19_organisation_applies_once_and_suspended_cannot(setting):
    world, fund, call = setting
    org = organisation(world)
    org_application(world, call, org)
    with pytest.raises(DomainError):
        org_application(world, call, org, title="第二份")
    assert call.applications.count() == 1


def test_r19_no_application_after_the_deadline(setting):
    world, fund, call = setting
    with pytest.raises(DomainError) as exc:
        gs.grant_apply(call=call, actor=organisation(world).admin, title="迟到", plan="x", amount="100",
                       matched="0", organisation=organisation(world, "乙组织"))
    # The first refusal is the membership; the deadline refusal needs a member:
    org = organisation(world, "丙组织")
    with pytest.raises(DomainError) as exc:
        gs.grant_apply(call=call, actor=org.admin, title="迟到", plan="x", amount="100", matched="0",
                       organisation=org)
    assert "截止" in str(exc.value)


def test_r19_report_spending_more_than_awarded_refused(setting):
    world, fund, call = setting
    org = organisation(world)
    award = awarded(world, call, org, amount="3000.00")
    with pytest.raises(DomainError) as exc:
        gs.grant_report(award=award, actor=org.admin, people_served=120, spent="3000.01", report="完成")
    assert exc.value.code == "overspent" and "3,000.00" in str(exc.value)
    award.refresh_from_db()
    assert award.status == AwardStatus.AWARDED and award.spent is None


def test_r19_only_the_grantee_reports(setting):
    world, fund, call = setting
    award = awarded(world, call, organisation(world))
    with pytest.raises(PermissionDenied):
        gs.grant_report(award=award, actor=world.residents[0], people_served=1, spent="1", report="x")


def test_r19_accepting_the_report_pays_the_rest_up_to_what_was_spent(setting):
    world, fund, call = setting
    org = organisation(world)
    award = awarded(world, call, org, amount="3000.00")
    gs.grant_report(award=award, actor=org.admin, people_served=150, spent="2800.00", report="暑期托管 150 人次")
    gs.grant_report_accept(award=award, actor=world.staff)
    award.refresh_from_db()
    assert award.status == AwardStatus.ACCEPTED
    assert award.final_payment.balance_delta == D("-700.00")
    assert fsel.fund_balance(fund) == D("97200.00")


def test_r19_unspent_first_tranche_comes_back(setting):
    world, fund, call = setting
    org = organisation(world)
    award = awarded(world, call, org, amount="3000.00")
    gs.grant_report(award=award, actor=org.admin, people_served=20, spent="1500.00", report="只办了一半")
    gs.grant_report_accept(award=award, actor=world.staff)
    award.refresh_from_db()
    assert award.final_payment is None and award.refund_entry.balance_delta == D("600.00")
    assert fsel.fund_balance(fund) == D("98500.00")


def test_r19_closing_returns_unawarded_and_unspent_money(setting):
    world, fund, call = setting
    a, b = organisation(world, "甲组织"), organisation(world, "乙组织")
    award_a = awarded(world, call, a, amount="3000.00")
    award_b = awarded(world, call, b, amount="2000.00")
    gs.grant_report(award=award_a, actor=a.admin, people_served=100, spent="3000.00", report="完成")
    gs.grant_report(award=award_b, actor=b.admin, people_served=50, spent="1000.00", report="完成一半")
    with pytest.raises(DomainError) as exc:
        gs.grant_call_close(call=call, actor=world.staff)
    assert "等待验收" in str(exc.value)
    gs.grant_report_accept(award=award_a, actor=world.staff)
    gs.grant_report_accept(award=award_b, actor=world.staff)
    gs.grant_call_close(call=call, actor=world.staff)
    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED
    # Spent 4 000 in all, so 26 000 comes back: 400 of 乙's first tranche was refunded at
    # acceptance, and the 25 600 left of the reservation (30 000 − 4 400 paid) is cancelled on closing.
    award_b.refresh_from_db()
    assert award_b.refund_entry.balance_delta == D("400.00")
    assert call.return_entry.reserved_delta == D("-25600.00")
    assert fsel.fund_reserved(fund) == D("0.00")
    assert fsel.fund_balance(fund) == D("96000.00") and fsel.fund_available(fund) == D("96000.00")
    assert [(checked, bad) for _f, checked, bad, _w in verify_fund_chains([fund])][0][1] is None


def test_r19_close_waits_for_reports_until_the_end_date(setting):
    world, fund, call = setting
    awarded(world, call, organisation(world))
    with pytest.raises(DomainError) as exc:
        gs.grant_call_close(call=call, actor=world.staff)
    assert "没有提交报告" in str(exc.value)
    with time_machine.travel(timezone.now() + timedelta(days=70), tick=True):
        gs.grant_call_close(call=call, actor=world.staff)
    # The unreported award's second tranche (900) lapses back with the unawarded 27 000.
    assert fsel.fund_reserved(fund) == D("0.00") and fsel.fund_balance(fund) == D("97900.00")
    assert LedgerEntry.objects.filter(fund=fund, kind=EntryKind.GRANT_RESERVATION_CANCEL).get().reserved_delta == D(
        "-27900.00"
    )


def test_r19_scoring_before_applications_close_refused(db):
    world = old_world(community_seats=3)
    fund = make_fund(world, "100000.00")
    call = open_call(world, fund, days_ago=1, close_after=5)
    org = organisation(world)
    application = gs.grant_apply(call=call, actor=org.admin, title="x", plan="x", amount="100", matched="50",
                                 organisation=org)
    with pytest.raises(DomainError) as exc:
        gs.grant_score(application=application, reviewer=world.staff, score=80)
    assert "截止后" in str(exc.value)
    assert application.status == ApplicationStatus.SUBMITTED and Decimal(application.matched) == D("50")
