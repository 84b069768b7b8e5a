"""The 三社联动 half of the scale city: organisations, needs, service projects, micro-grants, elections.

A step of ``portal.scale`` (registered at the bottom of that module). Unlike the
proposal half, these rows go through the apps' own services with the clock moved
to when each step happened (``time_machine``), as the demo does: their events,
notifications and ledger entries are the ones the services write, so every
rule and every ledger chain holds by construction. The density is that of a
busy community, in every community of the city:

- about 10 organisations (two mentors running, the rest incubating or graduated),
  each with an admin account ``sNN-cNN-orgK`` (password ``yishi-bench``);
- about 24 needs from residents and from staff's channels, some supported, some
  merged or declined, some still open and a few overdue;
- 5 service projects built from needs: completed and rated, in service with
  service records, claimed and waiting, listed and unclaimed;
- one micro-grant call on the community's public-service fund with applications,
  panel scores and awards (reported and accepted, the call closed, in every
  second community; open and awarded in the others);
- one election of a resident group's council (group 02): counted and seated in
  every second community, voting now in the others.

The money of the micro-grants is written in the last twelve days, after every
entry the proposal half wrote on the public-service funds, so each ledger stays
in time order.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import time_machine

from councils.models import User
from elections import services as es
from funding.enums import FundKind
from grants import services as gs
from needs import services as ns
from organisations import services as os_
from organisations.validators import credit_code_check_char

ORGANISATIONS = [
    ("长者互助社", "social_organisation"), ("社工服务中心", "social_organisation"), ("助残俱乐部", "self_organisation"),
    ("妇女之家", "self_organisation"), ("文化艺术团", "self_organisation"), ("邻里守望志愿队", "self_organisation"),
    ("卫生服务站", "local_unit"), ("商户联合会", "new_organisation"), ("物业党支部", "party_organisation"),
    ("亲子厨房妈妈团", "self_organisation"),
]
NEEDS = [
    ("独居老人中午吃饭难，希望有个老年食堂。", "elderly"), ("孩子放学后没人管，四点半到六点最难。", "children"),
    ("楼道灯和老人家里的水龙头坏了没人修。", "home_repair"), ("院坝晚上太暗，想装两盏灯。", "courtyard"),
    ("希望周末有书法、太极这类文化活动。", "culture"), ("残疾人出行不便，希望有人帮忙买菜。", "disability"),
    ("新搬来的邻居互相不认识，想办个邻里节。", "neighbour_help"), ("妈妈们想学育儿和家庭急救。", "women"),
]
CHANNELS = ["door_to_door", "evening_talk", "home_visit", "hotline"]
PROJECTS = ["长寿食坊", "四点半学堂", "居家小修小补", "院坝亮灯", "周末文化课"]


@contextmanager
def _at(when):
    with time_machine.travel(when, tick=False):
        yield


def _code(seed: str) -> str:
    return seed + credit_code_check_char(seed)


def sanshe(city) -> None:
    d, rng, now = city.data, city.rng, city.now
    day = lambda n, hour=10: (now + timedelta(days=n)).replace(hour=hour, minute=0, second=0, microsecond=0)  # noqa: E731
    # Never ahead of the real clock: the services refuse what happens in the future.
    day0 = min(day(0, 0), now - timedelta(hours=1))
    admins = []
    for com in d["communities"]:
        tag = com.slug.removeprefix("scale-")
        admins += [User(username=f"{tag}-org{k + 1}", full_name=f"{com.name}{name}负责人", password=city.password,
                        date_joined=city.start) for k, (name, _kind) in enumerate(ORGANISATIONS)]
    city.insert(User, admins, label="organisation admins")
    admins_of = {}
    for i, com in enumerate(d["communities"]):
        admins_of[com.pk] = admins[i * len(ORGANISATIONS):(i + 1) * len(ORGANISATIONS)]
    counts = {"organisations": 0, "needs": 0, "projects": 0, "grant awards": 0, "election ballots": 0}
    total = len(d["communities"])
    for n, com in enumerate(d["communities"]):
        _community(city, com, admins_of[com.pk], n, day, day0, rng, counts)
        if (n + 1) % 5 == 0 or n + 1 == total:
            city.out(f"    communities: {n + 1}/{total}", ending="\r")
    city.out("")
    for key, value in counts.items():
        city.counts[key] = city.counts.get(key, 0) + value


def _community(city, com, org_admins, n, day, day0, rng, counts) -> None:
    d = city.data
    staff, sup = d["staff"][com.pk], d["supervisors"][com.pk]
    councillors = d["community_members"][com.pk]
    groups = d["groups_of"][com.pk]
    residents = [u for g in groups for u in d["residents_by_group"][g.pk][5:]]
    tag = com.slug.removeprefix("scale-")

    # ---- organisations, 200 days ago; two mentors run, the others are incubated by them
    orgs = []
    with _at(day(-200)):
        for k, ((name, kind), admin) in enumerate(zip(ORGANISATIONS, org_admins, strict=True)):
            code = None
            if kind == "social_organisation":
                digits = f"{com.pk:06d}{k:02d}"
                code = _code(f"525101{digits}MJ0")
            orgs.append(os_.organisation_register(
                name=f"{com.subdistrict.name}{com.name}{name}", kind=kind, communities=[com], actor=staff,
                credit_code=code, admins=[admin]))
        for org in orgs[:2]:
            os_.organisation_activate(organisation=org, actor=staff)
    with _at(day(-195)):
        for k, org in enumerate(orgs[2:], start=2):
            incubation = os_.incubation_start(organisation=org, mentor=orgs[k % 2], actor=staff)
            if k < 8:
                os_.incubation_graduate(incubation=incubation, actor=staff)
    counts["organisations"] += len(orgs)
    active = orgs[:8]

    # ---- needs, raised over the last 60 days (the ones in the last 14 still inside their response time)
    needs, concerned = [], {}
    for k in range(24):
        text, category = NEEDS[k % len(NEEDS)]
        text = f"{text}（{tag}-{k + 1}）"
        author = residents[k % len(residents)]
        with _at(day(-60 + 2 * k, 9 + k % 10)):
            if k % 3 == 0:
                need = ns.need_raise(community=com, text=text, category=category, actor=staff,
                                     resident=None if k % 6 == 0 else author, channel=CHANNELS[k % 4])
            else:
                need = ns.need_raise(community=com, text=text, category=category, actor=author)
        with _at(day(-60 + 2 * k, 20)):
            people = {need.resident_id} - {None}
            for j in range(k % 3):
                supporter = residents[(len(residents) // 2 + k + j) % len(residents)]
                if supporter.pk not in people:
                    ns.need_support(need=need, resident=supporter)
                    people.add(supporter.pk)
        concerned[need.pk] = people
        needs.append(need)
    counts["needs"] += len(needs)

    # ---- service projects from the first needs: completed, in service, claimed, listed
    projects = []
    for k, title in enumerate(PROJECTS):
        with _at(day(-30 + k)):
            projects.append(ns.service_project_list(
                community=com, actor=staff, title=f"{title}（{tag}）", description=f"{title}：为居民提供的服务项目。",
                needs=needs[2 * k:2 * k + 2], people_target=30 + 10 * k, starts_on=day(-25 + k).date(),
                ends_on=day(60).date()))
    counts["projects"] += len(projects)
    with _at(day(-20)):
        for k, project in enumerate(projects[:4]):
            claim = ns.project_claim(project=project, organisation=active[k % len(active)], actor=org_admins[k % 8],
                                     plan="每周服务三次，志愿者两名。")
            if k < 3:
                ns.claim_confirm(claim=claim, actor=staff)
    for week in range(3):
        with _at(day(-18 + 7 * week, 18)):
            for k, project in enumerate(projects[:3]):
                ns.service_record(project=project, actor=org_admins[k % 8], served_on=day(-18 + 7 * week).date(),
                                  people_served=20 + week, hours="6.0", volunteers=2, notes="一周服务")
    with _at(day(-2)):
        ns.project_complete(project=projects[0], actor=org_admins[0], report="服务完成，居民满意。")
    with _at(day(-1)):
        raters = sorted(concerned[needs[0].pk] | concerned[needs[1].pk])
        for resident in User.objects.filter(pk__in=raters):
            ns.service_rate(project=projects[0], resident=resident, stars=4 + resident.pk % 2)
    with _at(day(-20, 9)):
        for k, need in enumerate(needs[10:16]):
            if k % 2:
                ns.need_answer(need=need, actor=staff, decision="decline", reason="不属于社区服务范围，已转交物业。")
            else:
                ns.need_answer(need=need, actor=staff, decision="merge", merge_into=needs[16])

    # ---- the micro-grant call, on the public-service fund, in the last twelve days
    fund = next(f for f in d["funds"] if f.community_id == com.pk and f.kind == FundKind.PUBLIC_SERVICE)
    closed = n % 2 == 0
    with _at(day(-12)):
        call = gs.grant_call_open(
            community=com, fund=fund, actor=staff, title=f"{com.name}公益微创投", pool="30000.00", cap="3000.00",
            applications_close=day(-9, 18), ends_on=(day(-1) if closed else day(90)).date())
    applications = []
    with _at(day(-11)):
        for k, org in enumerate(active):
            applications.append(gs.grant_apply(
                call=call, actor=org_admins[k], title=f"{org.name[-6:]}微项目", plan="半年服务计划。",
                amount=str(2000 + 100 * k), matched=str(500 + 200 * k), organisation=org))
    with _at(day(-8)):
        for application in applications[:6]:  # the last two still wait for the panel
            for reviewer, score in ((staff, 80 + rng.randint(0, 15)), (councillors[0], 75 + rng.randint(0, 20)),
                                    (sup, 70 + rng.randint(0, 25))):
                gs.grant_score(application=application, reviewer=reviewer, score=score)
    awards = []
    with _at(day(-7)):
        for application in applications[:6]:
            awards.append(gs.grant_award(application=application, actor=staff, amount=application.amount))
    counts["grant awards"] += len(awards)
    if closed:
        with _at(day(-4, 15)):
            for k, award in enumerate(awards):
                gs.grant_report(award=award, actor=org_admins[k], people_served=40 + k, spent=award.amount,
                                report="按计划完成。")
        with _at(day(-3)):
            for award in awards:
                gs.grant_report_accept(award=award, actor=staff)
        with _at(day0):
            gs.grant_call_close(call=call, actor=staff)

    # ---- an election of group 02's council: counted (even), voting now (odd)
    group = groups[1]
    council = d["group_council"][group.pk]
    people = d["residents_by_group"][group.pk]
    candidates = people[:5] + people[5:7]
    if closed:
        opened, nominations, opens, closes = day(-20), day(-17, 18), day(-16, 8), day(-10, 18)
    else:
        opened, nominations, opens, closes = day(-8), day(-5, 18), day(-4, 8), day(3, 18)
    with _at(opened):
        election = es.election_open(target=council, actor=staff, seats=5, nominations_close=nominations,
                                    opens_at=opens, closes_at=closes)
        for person in candidates:
            es.candidate_nominate(election=election, candidate=person, actor=staff)
    voters = people[:16] if closed else people[:8]
    for k, voter in enumerate(voters):
        with _at(opens + timedelta(hours=1 + k)):
            marks = rng.sample(candidates, rng.randint(3, 5))
            es.election_ballot_cast(election=election, voter=voter, choices=marks)
    counts["election ballots"] += len(voters)
    if closed:
        with _at(closes + timedelta(minutes=1)):
            es.election_close(election=election)
