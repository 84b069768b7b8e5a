"""The 三社联动 half of the demo: 玉东社区's needs ledger, project list, organisations and micro-grants.

Called once from ``portal.demo.DemoBuilder.build``; everything goes through the
services of ``organisations``, ``needs`` and ``grants`` with the clock moved to
when it happened (``builder.at``), so events and ledger entries are real.
Idempotent: when 睦林长者互助社 exists, the story has been told and nothing is done.

The story: needs come in from 民情专递 and 夜话 (and online); 长寿食坊, run by
睦林长者互助社, is completed and rated; 四点半学堂 is in service; a home-repair
project waits for its claim to be confirmed; one need is overdue. About twenty
organisations serve 玉东, several still incubating. A 30 000-yuan micro-grant
call made 11 awards that served more than 1 000 people and reported.
"""

from decimal import Decimal

from django.contrib.auth.hashers import make_password

from councils.models import Residency, User
from funding.models import Fund
from grants import services as gs
from organisations import services as os_
from organisations.enums import MemberRole
from organisations.models import Organisation, OrganisationMember
from organisations.validators import credit_code_check_char

from . import demo_activities
from . import services as ns

D = Decimal

# The named demo accounts of this part (same password as every demo account).
ACCOUNTS = [
    ("mulin_admin", "邓淑华", "睦林长者互助社负责人",
     "为“长寿食坊”记录每天的供餐服务；查看互助社的组织页面；为“居家小修小补”提交的认领等待社区确认。"),
    ("social_worker", "范晓雯", "玉东社工服务中心社工",
     "为“四点半学堂”记录服务、提交完成报告；查看微创投项目的报告和撬动比。"),
]

# name, kind, active?  (the first two are the mentors; the last few are still incubating)
ORGANISATIONS = [
    ("睦林长者互助社", "social_organisation", True),
    ("玉东社工服务中心", "social_organisation", True),
    ("玉东助残俱乐部", "self_organisation", True),
    ("玉东妇女之家", "self_organisation", True),
    ("玉林北路2号院院落自治小组", "self_organisation", True),
    ("玉东文化艺术团", "self_organisation", True),
    ("邻里守望志愿队", "self_organisation", True),
    ("玉东社区卫生服务站", "local_unit", True),
    ("玉林中学团委", "local_unit", True),
    ("玉东物业服务中心党支部", "party_organisation", True),
    ("玉林片区商户联合会", "new_organisation", True),
    ("小酒馆文化公司", "new_organisation", True),
    ("玉东青年议事团", "self_organisation", True),
    ("银龄读书会", "self_organisation", True),
    ("亲子厨房妈妈团", "self_organisation", False),
    ("玉东手工坊", "self_organisation", False),
    ("夕阳红舞蹈队", "self_organisation", False),
    ("少儿科创小组", "self_organisation", False),
    ("玉东园艺社", "self_organisation", False),
    ("巧手维修队", "self_organisation", False),
]

# Micro-grant awards: (organisation index, title, amount, matched, people served, spent)
AWARDS = [
    (2, "暑期残障儿童托管", "3000.00", "2000.00", 86, "3000.00"),
    (3, "妈妈课堂", "3000.00", "1500.00", 120, "2960.00"),
    (14, "亲子厨房", "3000.00", "2600.00", 96, "3000.00"),
    (5, "院落坝坝电影", "3000.00", "1200.00", 210, "2850.00"),
    (6, "独居老人敲门行动", "3000.00", "3500.00", 64, "3000.00"),
    (13, "银龄读书角", "2500.00", "800.00", 75, "2500.00"),
    (15, "旧物改造手工课", "2500.00", "900.00", 58, "2300.00"),
    (16, "广场舞文明公约", "3000.00", "1000.00", 140, "3000.00"),
    (17, "少儿科创周末营", "3000.00", "2200.00", 72, "3000.00"),
    (18, "屋顶小花园", "2000.00", "1800.00", 45, "1900.00"),
    (19, "上门小修小补", "2000.00", "1500.00", 88, "2000.00"),
]


def _code(seed: str) -> str:
    """A well-formed demo credit code (valid check character) from 17 characters."""
    return seed + credit_code_check_char(seed)


def _users(builder):
    from portal.demo import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    users = {}
    for username, name, *_ in ACCOUNTS:
        users[username], _made = User.objects.get_or_create(
            username=username, defaults={"full_name": name, "password": password})
    for n in range(len(ORGANISATIONS)):
        users[f"yd_org{n + 1}"], _made = User.objects.get_or_create(
            username=f"yd_org{n + 1}", defaults={"full_name": f"{ORGANISATIONS[n][0]}联络人", "password": password})
    return users


def seed(builder) -> None:
    if Organisation.objects.filter(name=ORGANISATIONS[0][0]).exists():
        return
    yudong = builder.communities["yudong"]
    staff = builder.u("yudong_staff")
    supervisor = builder.u("yudong_supervisor")
    councillors = builder.community_members["yudong"]
    group = builder.groups["yulin-beilu-2"]
    residents = [r.user for r in Residency.objects.current(builder.now).filter(group=group).order_by("pk")
                 .select_related("user")]
    users = _users(builder)

    # ---- organisations, 200 days ago; incubations by the two mentors
    orgs = []
    with builder.at(builder.day(-200, 10)):
        for n, (name, kind, _active) in enumerate(ORGANISATIONS):
            admin = users["mulin_admin"] if n == 0 else users[f"yd_org{n + 1}"]
            code = _code(f"52510100{n:02d}MJ07800") if kind == "social_organisation" else None
            orgs.append(os_.organisation_register(name=name, kind=kind, communities=[yudong], actor=staff,
                                                  credit_code=code, admins=[admin]))
        os_.organisation_activate(organisation=orgs[0], actor=staff)
        os_.organisation_activate(organisation=orgs[1], actor=staff)
        OrganisationMember.objects.create(organisation=orgs[1], user=users["social_worker"],
                                          role=MemberRole.SOCIAL_WORKER)
    with builder.at(builder.day(-195, 10)):
        for n, (_name, _kind, active) in enumerate(ORGANISATIONS[2:], start=2):
            mentor = orgs[n % 2]
            incubation = os_.incubation_start(organisation=orgs[n], mentor=mentor, actor=staff)
            if active:
                os_.incubation_graduate(incubation=incubation, actor=staff)

    # ---- needs from 民情专递, 夜话 and online, 60 days ago
    def raise_(when, text, category, channel, resident=None, own=False):
        with builder.at(when):
            if own:
                return ns.need_raise(community=yudong, text=text, category=category, actor=resident)
            return ns.need_raise(community=yudong, text=text, category=category, actor=staff, resident=resident,
                                 channel=channel)

    meal = raise_(builder.day(-60, 10), "院里几位独居老人中午吃饭难，希望有个老年食堂。", "elderly", "door_to_door",
                  residents[0])
    meal2 = raise_(builder.day(-59, 19), "老人吃饭问题：能不能送餐上门？", "elderly", "evening_talk")
    kids = raise_(builder.day(-58, 19, 30), "双职工家庭孩子放学后没人管，四点半到六点最难。", "children",
                  "evening_talk", residents[1])
    repair = raise_(builder.day(-40, 10), "楼道灯和老人家里的水龙头坏了没人修。", "home_repair", "door_to_door",
                    residents[2])
    raise_(builder.day(-30, 20), "院坝晚上太暗，想装两盏灯。", "courtyard", "online", residents[3], own=True)
    raise_(builder.day(-20, 9), "希望周末有书法、太极这类文化活动。", "culture", "hotline")
    with builder.at(builder.day(-55, 12)):
        for resident in residents[1:5]:
            ns.need_support(need=meal, resident=resident)
    with builder.at(builder.day(-57, 9)):
        ns.need_answer(need=meal2, actor=staff, decision="merge", merge_into=meal)

    # ---- 长寿食坊: listed, claimed by 睦林长者互助社, served, completed, rated
    with builder.at(builder.day(-50, 9)):
        canteen = ns.service_project_list(
            community=yudong, actor=staff, title="长寿食坊", description="为院落及周边独居、高龄老人提供平价午餐，行动不便的送餐上门。",
            needs=[meal], people_target=60, starts_on=builder.day(-45, 0).date(), ends_on=builder.day(-5, 0).date())
    with builder.at(builder.day(-49, 10)):
        claim = ns.project_claim(project=canteen, organisation=orgs[0], actor=users["mulin_admin"],
                                 plan="互助社志愿者每周一至周五中午供餐，社区卫生服务站每月测一次血压。")
    with builder.at(builder.day(-48, 9)):
        ns.claim_confirm(claim=claim, actor=staff)
    for week in range(6):
        with builder.at(builder.day(-44 + week * 7, 13)):
            ns.service_record(project=canteen, actor=users["mulin_admin"], served_on=builder.day(-44 + week * 7, 0).date(),
                              people_served=180 + week * 6, hours="15.0", volunteers=8, notes="一周午餐")
    demo_activities.canteen(builder, canteen, users["mulin_admin"], residents)  # R25, before it completes
    with builder.at(builder.day(-4, 16)):
        ns.project_complete(project=canteen, actor=users["mulin_admin"],
                            report="六周供餐 1 170 人次，送餐上门 210 人次；老人自付 8 元/餐，其余由互助社筹集。")
    with builder.at(builder.day(-2, 10)):
        for resident, stars in zip(residents[:4], (5, 5, 4, 5), strict=False):
            ns.service_rate(project=canteen, resident=resident, stars=stars)

    # ---- 四点半学堂: in service, run by 玉东社工服务中心
    with builder.at(builder.day(-45, 9)):
        school = ns.service_project_list(
            community=yudong, actor=staff, title="四点半学堂", description="放学后到家长下班前，社工和大学生志愿者陪孩子写作业、做游戏。",
            needs=[kids], people_target=30, starts_on=builder.day(-40, 0).date(), ends_on=builder.day(60, 0).date())
        claim = ns.project_claim(project=school, organisation=orgs[1], actor=users["social_worker"],
                                 plan="周一至周五 16:30–18:30，社工 1 名、志愿者 3 名。")
        # The community's staff member also volunteers at the centre: the confirm stands, flagged for
        # the supervisors as a conflict of interest (organisations.conflicts).
        OrganisationMember.objects.get_or_create(organisation=orgs[1], user=staff,
                                                 defaults={"role": MemberRole.MEMBER})
        ns.claim_confirm(claim=claim, actor=staff)
    for week in range(5):
        with builder.at(builder.day(-38 + week * 7, 19)):
            ns.service_record(project=school, actor=users["social_worker"],
                              served_on=builder.day(-38 + week * 7, 0).date(), people_served=110, hours="10.0",
                              volunteers=3, notes="作业辅导")
    demo_activities.school(builder, school, users["yd_org2"], residents)  # R25: by the centre's admin

    # ---- home repairs: listed, two claims waiting for the community
    with builder.at(builder.day(-35, 9)):
        fix = ns.service_project_list(
            community=yudong, actor=staff, title="居家小修小补", description="为老人和困难家庭更换灯泡、水龙头等小修。",
            needs=[repair], people_target=40, starts_on=builder.day(-30, 0).date(), ends_on=builder.day(90, 0).date())
        ns.project_claim(project=fix, organisation=orgs[0], actor=users["mulin_admin"], plan="互助社会修理的老人结对上门。")
        ns.project_claim(project=fix, organisation=orgs[7], actor=users["yd_org8"], plan="服务站每周二上门一次。")

    # ---- the micro-grant call: 30 000 yuan, 11 awards, all reported and accepted, then closed
    opened = builder.day(-170, 10)
    fund = Fund.objects.get(community=yudong, year=opened.year, kind="public_service")
    with builder.at(opened):
        call = gs.grant_call_open(community=yudong, fund=fund, actor=staff, title="玉东社区公益微创投", pool="30000.00",
                                  cap="3000.00", applications_close=builder.day(-150, 18),
                                  ends_on=builder.day(-10, 0).date())
    applications = []
    with builder.at(builder.day(-160, 10)):
        for idx, title, amount, matched, _served, _spent in AWARDS:
            admin = users["mulin_admin"] if idx == 0 else users[f"yd_org{idx + 1}"]
            applications.append(gs.grant_apply(call=call, actor=admin, title=title, plan=f"{title}：半年计划",
                                               amount=amount, matched=matched, organisation=orgs[idx]))
        gs.grant_apply(call=call, actor=users["yd_org12"], title="商户公益集市", plan="集市", amount="3000.00",
                       matched="500.00", organisation=orgs[11])
    with builder.at(builder.day(-148, 10)):
        for application in applications:
            for reviewer, score in ((staff, 85), (councillors[0], 80), (supervisor, 82)):
                gs.grant_score(application=application, reviewer=reviewer, score=score)
    awards = []
    with builder.at(builder.day(-145, 10)):
        for application in applications:
            awards.append(gs.grant_award(application=application, actor=staff, amount=application.amount))
    # One clock per day (``builder.at`` sets it back to the hour): the ledger's times run forward.
    with builder.at(builder.day(-20, 15)):
        for award, (idx, _t, _a, _m, served, spent) in zip(awards, AWARDS, strict=True):
            admin = users["mulin_admin"] if idx == 0 else users[f"yd_org{idx + 1}"]
            gs.grant_report(award=award, actor=admin, people_served=served, spent=spent, report="按计划完成。")
    with builder.at(builder.day(-15, 10)):
        for award in awards:
            gs.grant_report_accept(award=award, actor=staff)
    with builder.at(builder.day(-8, 10)):
        gs.grant_call_close(call=call, actor=staff)
    builder.report.did("玉东社区三社联动")
