"""A world with every record of the 三社联动 half, built through the public services (open data and admin tests).

Names, phone numbers and addresses that must never be published are the SECRET_* and
the names below; the tests search every answer for them.
"""

from datetime import timedelta

from django.utils import timezone

from councils.models import Residency
from grants import services as gs
from needs import services as ns
from tests.election_support import cast_all, close, open_election, roll_users
from tests.factories import UserFactory
from tests.sanshe_support import apply_in_past, make_fund, old_world, open_call, organisation, residents, score_fully

SECRET_PHONE = "13900004321"
SECRET_ADDRESS = "秘密巷 7 号 2 单元 302"
RAISER = "秘密需求人赵大娘"
ON_BEHALF = "秘密代办对象钱大爷"
MEMBER = "秘密组织成员孙社工"
APPLICANT = "秘密联名居民"


def sanshe_world():
    """A community with every 三社联动 record: needs (own, on behalf, anonymous), a served and rated project,
    an organisation, a call with an organisation's and residents' awards, a counted election."""
    w = old_world(group_seats=5, community_seats=3, residents=6)
    raiser, on_behalf, *others = w.residents
    raiser.full_name, on_behalf.full_name = RAISER, ON_BEHALF
    raiser.save(update_fields=["full_name"])
    on_behalf.save(update_fields=["full_name"])
    # Everybody's phone and address are secrets.
    everyone = [*w.group_members, *w.residents, *w.community_members, w.staff, w.supervisor]
    for user in everyone:
        user.phone = SECRET_PHONE
        user.save(update_fields=["phone"])
    Residency.objects.all().update(address=SECRET_ADDRESS)

    own = ns.need_raise(community=w.community, text="楼道灯坏了，晚上看不见", category="home_repair", actor=raiser)
    for_someone = ns.need_raise(community=w.community, text="独居老人吃饭不方便", category="elderly",
                                actor=w.staff, resident=on_behalf, channel="home_visit")
    anonymous = ns.need_raise(community=w.community, text="院坝积水", category="courtyard", actor=w.staff,
                              resident=None, channel="hotline")
    ns.need_support(need=for_someone, resident=others[0])
    ns.need_support(need=for_someone, resident=others[1])
    ns.need_answer(need=anonymous, actor=w.staff, decision="decline", reason="属于物业维修范围，已转物业")

    member = UserFactory(full_name=MEMBER, phone=SECRET_PHONE)
    org = organisation(w, name="睦林长者互助社", admin=member, kind="social_organisation",
                       credit_code="91350100M000100Y43")
    today = timezone.localdate()
    project = ns.service_project_list(
        community=w.community, actor=w.staff, title="长寿食坊", description="为老人提供午餐", needs=[for_someone],
        people_target=40, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=90),
    )
    claim = ns.project_claim(project=project, organisation=org, actor=member, plan="每天中午供餐")
    ns.claim_confirm(claim=claim, actor=w.staff)
    ns.service_record(project=project, actor=member, served_on=today, people_served=12, hours="3.5",
                      notes="送餐到户", volunteers=2)
    ns.service_record(project=project, actor=member, served_on=today, people_served=8, hours="2",
                      notes="堂食", volunteers=1)
    ns.project_complete(project=project, actor=member, report="三个月供餐 600 份")
    ns.service_rate(project=project, resident=others[0], stars=5)
    ns.service_rate(project=project, resident=others[1], stars=4)

    fund = make_fund(w, "50000.00")
    call = open_call(w, fund, pool="10000.00", cap="4000.00")
    org_app = apply_in_past(call, actor=member, title="长者午餐", plan="送餐", amount="4000.00",
                            matched="2000.00", organisation=org)
    people = residents(w, 3, prefix=APPLICANT)
    res_app = apply_in_past(call, actor=people[0], residents=people[1:], title="楼栋互助", plan="互助",
                            amount="1000.00", matched="500.00")
    for application in (org_app, res_app):
        score_fully(w, application)
    award = gs.grant_award(application=org_app, actor=w.staff, amount="4000.00")
    gs.grant_award(application=res_app, actor=w.staff, amount="1000.00")
    gs.grant_report(award=award, actor=member, people_served=30, spent="3800.00", report="送餐 300 份")

    election, candidates = open_election(w, seats=3, candidates=4)
    voters = [u for u in [*roll_users(w), *people] if u not in candidates]
    cast_all(election, [(v, candidates[:3]) for v in voters])
    close(election)
    return {"world": w, "needs": (own, for_someone, anonymous), "project": project, "org": org, "call": call,
            "award": award, "election": election, "candidates": candidates, "voters": voters,
            "applicants": people}


SECRET_DONOR = "不愿具名的周秘密"


def foundation_records(world):
    """A foundation with a consenting, a non-consenting, an anonymous and a designated donation (ten days ago),
    a call for the elderly drawing the designated money, a reversal and last month's posted accounts."""
    from datetime import date

    import time_machine

    from funding import services as fs
    from funding.enums import DonorKind, FundKind
    from funding.foundation import monthly_account_post
    from funding.selectors import current_year

    with time_machine.travel(timezone.now() - timedelta(days=10), tick=True):
        fund = fs.fund_create(community=world.community, year=current_year(), actor=world.street_staff,
                              kind=FundKind.FOUNDATION)

        def give(kind, name, amount, publish=False, purpose=None):
            return fs.donation_record(fund=fund, actor=world.staff, donor_kind=kind, donor_name=name, amount=amount,
                                      method="transfer", paid_on=timezone.localdate(), publish_name=publish,
                                      purpose=purpose)

        give(DonorKind.ENTERPRISE, "晋阳商贸有限公司", "3000.00", publish=True)
        give(DonorKind.RESIDENT, SECRET_DONOR, "500.00", purpose="elderly")
        give(DonorKind.ANONYMOUS, "", "20.00")
        wrong = give(DonorKind.RESIDENT, "登记错了的人", "1.00", publish=True)
        fs.donation_reverse(donation=wrong, actor=world.staff, reason="金额登记错误")
        call = gs.grant_call_open(
            community=world.community, fund=fund, actor=world.staff, title="助老微创投", pool="1000.00",
            cap="500.00", applications_close=timezone.now() + timedelta(days=5),
            ends_on=timezone.localdate() + timedelta(days=60), purpose="elderly",
        )
    today = timezone.localdate()
    last_month = date.fromordinal(today.replace(day=1).toordinal() - 1).replace(day=1)
    account = monthly_account_post(fund=fund, month=last_month)
    return {"fund": fund, "call": call, "account": account}


def incubation(world, mentor):
    """A new self-organisation incubated by ``mentor``."""
    from organisations import services as os_

    young = organisation(world, name="邻里读书会", active=False, admin=UserFactory(full_name="读书会负责人"))
    return os_.incubation_start(organisation=young, mentor=mentor, actor=world.staff)
