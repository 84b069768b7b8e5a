"""The five steps and open tenders in the demo world (R23, R24).

Called once from ``portal.demo.DemoBuilder.build``, after the 北苑 cases; every
step goes through the services with the clock moved to when it happened.
Idempotent: when the 北苑 micro fire station proposal exists, nothing is done.

The story: 晋阳's party secretary (杨建华, a party-organisation post) proposes a
micro fire station for 北苑 (党组织提议). The council adopts it, the notice runs,
the community council approves, the street approves the budget and releases the
money after the residents paid their share. The group council then publishes an
open tender: three companies bid on the platform (sealed until the close); the
bids opened two days ago and 北苑's residents are voting now (`resident` has not
voted yet). A second tender, for 南苑's lunch point (a service project), is still
open: one sealed bid is in, and the company account can bid.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from councils.models import User
from needs import services as ns
from organisations import services as os_
from organisations.enums import OrganisationKind
from organisations.models import Organisation
from organisations.validators import credit_code_check_char
from proposals.enums import Category

from . import services as fs
from .models import Tender

D = Decimal
TITLE = "北苑微型消防站建设"

# The named demo accounts of this part (same password as every demo account).
ACCOUNTS = [
    ("company", "林志刚", "成都锦城消防工程有限公司负责人（注册企业）",
     "在“招标大厅”（/tenders/）找各社区正在招标的项目；为“南苑长者助餐点”投标（截止前报价保密）；"
     "查看“北苑微型消防站建设”已公开的三家报价和居民票数。"),
    ("jinyang_secretary", "杨建华", "晋阳社区党委书记（社区党组织岗位）",
     "“北苑微型消防站建设”的提议人（标有“党组织提议”）；在议案页的五步工作法里看到每一步由谁做；"
     "以党组织成员身份牵头验收“北苑雨污管网疏通”。"),
]

# Bidders: name, admin username, admin name, amount, plan.
BIDDERS = [
    ("成都锦城消防工程有限公司", "company", "林志刚", "27600.00",
     "消防器材柜 2 组、微型消防站标识和器材，工期 15 天；提供 2 年质保，每季度上门检查一次。"),
    ("四川安泰消防设备有限公司", "tender_firm2", "覃海燕", "26800.00",
     "器材柜和器材按清单供货安装，工期 20 天；质保 1 年。"),
    ("成都蓉城安防工程有限公司", "tender_firm3", "严志斌", "28900.00",
     "含居民消防培训 2 次和应急演练 1 次，工期 18 天；质保 2 年。"),
]


def _code(seed: str) -> str:
    return seed + credit_code_check_char(seed)


def _user(username: str, name: str, password: str) -> User:
    user, _made = User.objects.get_or_create(username=username, defaults={"full_name": name, "password": password})
    return user


def seed(b) -> None:
    if b._existing("beiyuan", TITLE):
        return
    from portal.demo import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    jinyang, staff = b.communities["jinyang"], b.u("communitystaff")
    secretary, chair = b.u("jinyang_secretary"), b.u("groupchair")
    by = b.members["beiyuan"]

    # ---- 党组织提议 → 议事会议决 → 居委会实施 (budget, residents' share, release)
    p = b.draft(
        b.day(-48, 9), group="beiyuan", author=secretary, title=TITLE,
        summary=("北苑没有成规模的消防器材，去年 4 栋电动车起火时居民只能用家里的灭火器。社区党委提议在中庭建"
                 "一座微型消防站：器材柜、灭火器、水带和标识，并组织居民消防培训。"),
        lines=[
            ("微型消防站器材柜", D("2"), "组", D("6500.00")),
            ("灭火器、水带、破拆工具等器材", D("1"), "批", D("12000.00")),
            ("标识和安装", D("1"), "项", D("4000.00")),
            ("居民消防培训", D("2"), "次", D("3000.00")),
        ],
        share=D("15000.00"), category=Category.SAFETY,
        submit_at=b.day(-48, 10),
    )
    b.approved(p, b.day(-46, 19, 30), approve=31, oppose=1, abstain=2)
    with b.at(b.day(-9, 10)):
        fs.budget_approve(proposal=p, reviewer=b.u("streetstaff"), note="同意。")
    households = [(f"{a}户", D("500.00")) for a in b.households(39, buildings=(1, 2, 4))]
    households.append(("北苑物业服务中心", D("500.00")))
    b.contributions(p, b.day(-9, 11), households, prefix="BYXF", actor=by[2], step=timedelta(minutes=30))
    with b.at(b.day(-7, 10)):
        fs.funds_release(proposal=p, actor=b.u("jinyang_finance"))

    # ---- the companies (registered by 晋阳's staff; a company is never incubated)
    firms = []
    with b.at(b.day(-60, 10)):
        for n, (name, username, admin_name, _amount, _plan) in enumerate(BIDDERS):
            admin = _user(username, admin_name, password)
            org = Organisation.objects.filter(name=name).first() or os_.organisation_register(
                name=name, kind=OrganisationKind.ENTERPRISE, communities=[jinyang], actor=staff,
                credit_code=_code(f"9151010{n}MA6CXY001"), admins=[admin])
            firms.append(org)

    # ---- the open tender for the proposal: bids sealed until two days ago, residents voting now
    with b.at(b.day(-7, 15)):
        tender = fs.tender_publish(
            actor=chair, closes_at=b.day(-2, 20), voting_days=5, proposal=p,
            requirements=("在北苑中庭建微型消防站：器材柜 2 组及配套器材、标识安装，居民消防培训 2 次。"
                          "工期不超过 30 天，器材须有 3C 认证，投标方须有消防设施工程资质。"),
        )
    for n, (org, (_name, _u, _a, amount, plan)) in enumerate(zip(firms, BIDDERS, strict=True)):
        with b.at(b.day(-6 + n, 14)):
            fs.tender_bid(tender=tender, organisation=org, actor=org.members.get().user, amount=amount, plan=plan,
                          qualifications="消防设施工程专业承包资质")
    with b.at(b.day(-2, 20, 5)):
        fs.tender_close(tender=tender)
    # Eleven residents voted (not `resident` or `resident2`: they can try it). 7 for the first, 3, 1.
    voters = [u for u in by if u.username not in ("resident", "resident2")][:11]
    bids = list(tender.bids.order_by("pk"))
    choices = [0] * 7 + [1] * 3 + [2]
    for n, (voter, choice) in enumerate(zip(voters, choices, strict=True)):
        with b.at(b.day(-1, 8) + n * timedelta(hours=1)):
            fs.bidder_vote(tender=tender, resident=voter, bid=bids[choice])

    # ---- a tender still open: 南苑's lunch point, a service project of the needs list
    with b.at(b.day(-6, 10)):
        need = ns.need_raise(community=jinyang, text="南苑独居老人多，希望有个长者助餐点，每天供应午餐。",
                             category="elderly", actor=staff, resident=None, channel="door_to_door")
        project = ns.service_project_list(
            community=jinyang, actor=staff, title="南苑长者助餐点",
            description="在南苑活动室开设长者助餐点，工作日供应午餐，行动不便的老人送餐上门。",
            needs=[need], people_target=40, starts_on=b.today, ends_on=b.today.replace(year=b.today.year + 1),
        )
        fs.tender_publish(
            actor=staff, closes_at=b.day(6, 18), voting_days=3, project=project,
            requirements="工作日午餐一荤两素一汤，每餐不超过 12 元（老人自付部分另定）；须有食品经营许可证。",
        )
    open_tender = Tender.objects.get(project=project)
    mulin = Organisation.objects.filter(name="睦林长者互助社").first()
    if mulin is not None:
        with b.at(b.day(-3, 15)):
            fs.tender_bid(tender=open_tender, organisation=mulin, actor=mulin.members.filter(role="admin").first().user,
                          amount="9800.00", plan="依托长寿食坊的厨房和志愿者，工作日供应午餐并送餐上门。")
