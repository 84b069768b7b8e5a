"""A city at real density for load tests: ``manage.py seed_scale`` runs the steps listed here.

Each step is a function ``step(city)`` that bulk-inserts one part of the city
and records what later steps need on ``city``. Steps run in the order they are
registered; another app plugs its own generator in with a ``scale.py`` module
of its own (found by ``autodiscover_modules("scale")``) that calls
``register_step("needs", make_needs, after="proposals")``.

Every row is one the services could have written: hash chains are built with
the same functions the services use (``yishi.chain.link_hash`` over
``event_payload`` / ``entry_payload``), passed community ballots have at least
two thirds of the electorate approving, ledgers never go below zero, and
running notices and open ballots are live at the time of seeding.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from django.utils.translation import gettext

from councils.enums import BoardTitle, CouncilKind, SeatRole, StaffLevel
from councils.models import (
    Attendance,
    BoardSeat,
    Community,
    Council,
    Meeting,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    Subdistrict,
    SupervisoryBoard,
    User,
)
from funding.enums import (
    DonationMethod,
    DonorKind,
    EntryKind,
    FundKind,
    PayerKind,
    RefundCause,
    ReviewDecision,
    Satisfaction,
)
from funding.foundation import purpose_label
from funding.ledger import entry_payload
from funding.models import (
    Acceptance,
    Bid,
    BudgetReview,
    Contribution,
    Donation,
    Fund,
    LedgerEntry,
    ReceiptCounter,
    Refund,
    Settlement,
)
from notifications.enums import MailStatus, NotificationKind
from notifications.models import Notification
from proposals.enums import BallotKind, BallotOutcome, Category, EventKind, ThresholdBase, VoteChoice
from proposals.enums import ProposalStatus as S
from proposals.history import _jsonable_amounts, electors_digest, event_payload, votes_digest
from proposals.models import (
    Ballot,
    BallotElector,
    BudgetLine,
    Hold,
    Notice,
    Objection,
    Opinion,
    MAX_OBJECTIONS_PER_NOTICE,
    Proposal,
    ProposalEvent,
    Resolution,
    Vote,
)
from proposals.services import content_hash, content_of, objection_text_key
from proposals.thresholds import COMMUNITY_TWO_THIRDS, GROUP_MAJORITY
from yishi.chain import GENESIS, link_hash

CENT = Decimal("0.01")
BATCH = 5000
# Every account of the scale city logs in with this password (a load-test city, never production data).
PASSWORD = "yishi-bench"
SLUG_PREFIX = "scale"

# How the proposals of a group spread over the states (weights; they need not sum to 1).
STATE_WEIGHTS = [
    (S.DRAFT, 10), (S.GROUP_REVIEW, 14), (S.ADOPTED, 6), (S.NOTICE, 8), (S.SUBMITTED, 8),
    (S.COMMUNITY_VOTE, 4), (S.APPROVED, 3), (S.REJECTED, 3), (S.FUNDED, 4), (S.RELEASED, 4),
    (S.IN_PROGRESS, 3), (S.ACCEPTED, 3), (S.SETTLED, 5), (S.WITHDRAWN, 8),
]
WORKS = [
    ("修缮后门", Category.INFRASTRUCTURE, "扇"), ("疏通消防通道", Category.SAFETY, "米"),
    ("加装防盗刺", Category.SAFETY, "米"), ("更换路灯", Category.INFRASTRUCTURE, "盏"),
    ("补种绿篱", Category.GREENING, "株"), ("改造垃圾分类点", Category.ENVIRONMENT, "处"),
    ("添置休息座椅", Category.ELDERLY, "张"), ("粉刷楼道", Category.ENVIRONMENT, "平方米"),
    ("修补院坝地面", Category.INFRASTRUCTURE, "平方米"), ("建设文化角", Category.CULTURE, "处"),
]


class CityInvalid(Exception):
    """The seeded city failed its own history run (a bug in a generator): the transaction rolls back."""


@dataclass
class Step:
    name: str
    run: object


STEPS: list[Step] = []


def register_step(name: str, run, after: str | None = None) -> None:
    """Add a generator step; ``after`` puts it right after the named step (default: at the end)."""
    if any(s.name == name for s in STEPS):
        return
    step = Step(name, run)
    if after is None:
        STEPS.append(step)
        return
    index = next(i for i, s in enumerate(STEPS) if s.name == after)
    STEPS.insert(index + 1, step)


@dataclass
class City:
    """Sizes, the random source, and what each step leaves for the next."""

    subdistricts: int = 1
    first: int = 1  # the number of the first subdistrict built (s01, s02 …)
    communities: int = 20
    groups: int = 20  # per community
    residents: int = 100  # per group
    proposals: int = 50  # per group
    donations: int = 40000  # foundation ledger entries over the whole city
    seed: int = 8
    out: object = print
    now: datetime = field(default_factory=timezone.now)
    rng: random.Random = field(init=False)
    password: str = ""
    data: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    skip: set = field(default_factory=set)  # names of steps not to run

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def insert(self, model, objs, *, label: str | None = None) -> list:
        """Bulk-insert ``objs`` in batches (primary keys come back on PostgreSQL and SQLite)."""
        objs = list(objs)
        done = 0
        for start in range(0, len(objs), BATCH):
            model.objects.bulk_create(objs[start:start + BATCH], batch_size=BATCH)
            done += len(objs[start:start + BATCH])
            if len(objs) > 4 * BATCH:
                self.out(f"    {label or model.__name__}: {done}/{len(objs)}", ending="\r")
        if len(objs) > 4 * BATCH:
            self.out("")
        key = label or model._meta.label
        self.counts[key] = self.counts.get(key, 0) + len(objs)
        return objs

    def copy(self, model, objs, *, label: str | None = None) -> int:
        """Insert rows whose primary keys nobody needs back; PostgreSQL's COPY, else ``insert``."""
        if connection.vendor != "postgresql":
            return len(self.insert(model, objs, label=label))
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        n = 0
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    copy.write_row([_db_value(f, getattr(obj, f.attname)) for f in fields])
                    n += 1
                    if n % 50000 == 0:
                        self.out(f"    {label or model.__name__}: {n}", ending="\r")
        key = label or model._meta.label
        self.counts[key] = self.counts.get(key, 0) + n
        return n


def _db_value(field, value):
    """The value COPY writes: a field left to its database default gets that default."""
    if isinstance(value, DatabaseDefault):
        value = getattr(field.db_default, "value", field.db_default)
    return field.get_db_prep_save(value, connection)


def run(city: City) -> dict:
    """Run every registered step in order, printing progress; returns row counts."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("scale")
    city.password = make_password(PASSWORD)
    steps = [s for s in STEPS if s.name not in city.skip]
    for number, step in enumerate(steps, 1):
        started = time.monotonic()
        city.out(f"[{number}/{len(steps)}] {step.name} …")
        step.run(city)
        city.out(f"[{number}/{len(steps)}] {step.name} done in {time.monotonic() - started:.1f} s")
    return city.counts


def analyze() -> None:
    """Fresh planner statistics after the bulk load (PostgreSQL), as autovacuum would gather later."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --------------------------------------------------------------------------- places and people


def _user(city, username, full_name):
    return User(username=username, full_name=full_name, password=city.password, date_joined=city.start)


def places_and_people(city: City) -> None:
    """Subdistricts, communities, groups, residents (verified), councils and seats, boards, staff."""
    city.start = city.now - timedelta(days=330)
    subs = city.insert(Subdistrict, [
        Subdistrict(name=f"规模街道{s:02d}", slug=f"{SLUG_PREFIX}-s{s:02d}")
        for s in range(city.first, city.first + city.subdistricts)
    ])
    communities = city.insert(Community, [
        Community(subdistrict=sub, name=f"社区{c + 1:02d}", slug=f"{sub.slug}-c{c + 1:02d}")
        for sub in subs for c in range(city.communities)
    ])
    groups = city.insert(ResidentGroup, [
        ResidentGroup(community=com, name=f"院落{g + 1:02d}", slug=f"{com.slug}-g{g + 1:02d}")
        for com in communities for g in range(city.groups)
    ])
    residents = city.insert(User, [
        _user(city, f"{grp.slug.removeprefix(SLUG_PREFIX + '-')}-r{r + 1:03d}", f"居民{grp.pk}-{r + 1}")
        for grp in groups for r in range(city.residents)
    ], label="residents")
    by_group = {grp.pk: residents[i * city.residents:(i + 1) * city.residents] for i, grp in enumerate(groups)}
    city.copy(Residency, [
        Residency(user=u, group=grp, address=f"{r // 20 + 1}栋{r % 20 + 1}号", requested_at=city.start,
                  verified_at=city.start, starts_at=city.start)
        for grp in groups for r, u in enumerate(by_group[grp.pk])
    ])
    staff, street, sups, sub_sups = {}, {}, {}, {}
    extra = []
    for sub in subs:
        tag = sub.slug.removeprefix(SLUG_PREFIX + "-")
        street[sub.pk] = _user(city, f"{tag}-street", f"街道办{tag}")
        sub_sups[sub.pk] = _user(city, f"{tag}-sup", f"纪工委{tag}")
        extra += [street[sub.pk], sub_sups[sub.pk]]
    for com in communities:
        tag = com.slug.removeprefix(SLUG_PREFIX + "-")
        staff[com.pk] = _user(city, f"{tag}-staff", f"社区工作人员{tag}")
        sups[com.pk] = _user(city, f"{tag}-sup", f"监事{tag}")
        extra += [staff[com.pk], sups[com.pk]]
    city.insert(User, extra, label="staff and supervisors")
    city.insert(StaffPost, [
        StaffPost(user=street[sub.pk], level=StaffLevel.SUBDISTRICT, subdistrict=sub, title="街道办", starts_at=city.start)
        for sub in subs
    ] + [
        StaffPost(user=staff[com.pk], level=StaffLevel.COMMUNITY, subdistrict=com.subdistrict, community=com,
                  title="社区工作人员", starts_at=city.start)
        for com in communities
    ])
    boards = city.insert(SupervisoryBoard, [SupervisoryBoard(name=f"{c.name}监事会", community=c) for c in communities]
                         + [SupervisoryBoard(name=f"{s.name}纪工委", subdistrict=s) for s in subs])
    city.insert(BoardSeat, [
        BoardSeat(board=b, user=sups[b.community_id] if b.community_id else sub_sups[b.subdistrict_id],
                  title=BoardTitle.MEMBER, starts_at=city.start)
        for b in boards
    ])
    councils = city.insert(Council, [
        Council(kind=CouncilKind.COMMUNITY, community=com, name=f"{com.name}议事会") for com in communities
    ] + [Council(kind=CouncilKind.GROUP, community_id=grp.community_id, group=grp, name=f"{grp.name}议事会")
         for grp in groups])
    community_council = {c.community_id: c for c in councils if c.kind == CouncilKind.COMMUNITY}
    group_council = {c.group_id: c for c in councils if c.kind == CouncilKind.GROUP}
    # Group councils: the first 5 residents of each group. Community councils: 37 residents of the
    # community taken round-robin from its groups (residents 6, 7, … of each group).
    group_members, community_members = {}, {}
    seats = []
    for grp in groups:
        members = by_group[grp.pk][:5]
        group_members[grp.pk] = members
        seats += [Seat(council=group_council[grp.pk], user=u, role=SeatRole.CHAIR if i == 0 else SeatRole.MEMBER,
                       starts_at=city.start, assigned_by=staff[grp.community_id]) for i, u in enumerate(members)]
    groups_of = {}
    for grp in groups:
        groups_of.setdefault(grp.community_id, []).append(grp)
    for com in communities:
        size = com.council_size
        members = []
        k = 5
        if len(groups_of[com.pk]) * (city.residents - 5) < size:
            raise ValueError(f"{size} council seats need more residents than the groups of {com.name} have")
        while len(members) < size:
            for grp in groups_of[com.pk]:
                if len(members) < size and k < city.residents:
                    members.append(by_group[grp.pk][k])
            k += 1
        community_members[com.pk] = members
        seats += [Seat(council=community_council[com.pk], user=u, role=SeatRole.MEMBER, starts_at=city.start,
                       assigned_by=staff[com.pk]) for u in members]
    city.copy(Seat, seats)
    city.data.update(
        subdistricts=subs, communities=communities, groups=groups, residents_by_group=by_group,
        staff=staff, street=street, supervisors=sups, subdistrict_supervisors=sub_sups,
        community_council=community_council, group_council=group_council, group_members=group_members,
        community_members=community_members, groups_of=groups_of,
    )


def meetings(city: City) -> None:
    """Monthly meetings of every council, with attendance (应到 and 实到)."""
    d = city.data
    rows, attendance_sets = [], []
    for months_ago in range(10, 0, -1):
        held = city.now - timedelta(days=30 * months_ago)
        for com in d["communities"]:
            members = d["community_members"][com.pk]
            rows.append(Meeting(council=d["community_council"][com.pk], held_at=held, location="社区活动室",
                                minutes="月度议事会：审议提交的议案。", expected_count=len(members),
                                recorded_by=d["staff"][com.pk], recorded_at=held))
            attendance_sets.append(members)
            for grp in d["groups_of"][com.pk]:
                members = d["group_members"][grp.pk]
                rows.append(Meeting(council=d["group_council"][grp.pk], held_at=held, location="院坝",
                                    minutes="院落议事：收集意见，商议本月事项。", expected_count=len(members),
                                    recorded_by=members[0], recorded_at=held))
                attendance_sets.append(members)
    city.insert(Meeting, rows)
    rng = city.rng
    city.copy(Attendance, [
        Attendance(meeting=m, user=u, present=rng.random() > 0.1) for m, members in zip(rows, attendance_sets)
        for u in members
    ])


# --------------------------------------------------------------------------- proposals


class Plan:
    """One proposal's life as rows still to insert, with its events in order."""

    __slots__ = ("proposal", "group", "events", "t", "target", "ballots", "lines", "content", "resolution")

    def __init__(self, proposal, group, target, t):
        self.proposal, self.group, self.target, self.t = proposal, group, target, t
        self.events, self.ballots, self.resolution = [], [], None

    def event(self, kind, actor, *, frm="", to="", reason="", amounts=None, data=None, step=timedelta(hours=3),
              at=None, on_behalf_of=None):
        self.t = at or (self.t + step)
        self.events.append((self.t, kind, actor, on_behalf_of, frm, to, reason, amounts, data))
        if to:
            self.proposal.status = to


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _pick_state(rng) -> str:
    states, weights = zip(*STATE_WEIGHTS)
    return rng.choices(states, weights)[0]


def proposals(city: City) -> None:
    """Proposals over every state with their lines, ballots, votes, resolutions, notices and objections."""
    d, rng, now = city.data, city.rng, city.now
    plans: list[Plan] = []
    showcase = None
    for grp in d["groups"]:
        people = d["residents_by_group"][grp.pk]
        for n in range(city.proposals):
            target = _pick_state(rng)
            if showcase is None:
                target = S.SETTLED  # the longest history: many objections on its notice
            name, category, unit = WORKS[rng.randrange(len(WORKS))]
            quantity = Decimal(rng.randint(2, 40))
            price = _money(rng.randint(200, 3000))
            total = _money(quantity * price)
            share = _money(total * Decimal(rng.choice([30, 40, 50])) / 100)
            author = people[rng.randrange(5, len(people))]
            # Live states end near "now"; finished ones start earlier, spread over the year.
            live = target in (S.GROUP_REVIEW, S.NOTICE, S.COMMUNITY_VOTE, S.DRAFT)
            start = now - timedelta(days=rng.uniform(20, 30) if live else rng.uniform(60, 300))
            p = Proposal(group=grp, author=author, title=f"{grp.name}{name}（{n + 1}）",
                         summary=f"{grp.community.name if hasattr(grp, 'community') else ''}{grp.name}居民提议{name}，"
                                 f"共{quantity}{unit}。", category=category, status=S.DRAFT, total=total,
                         community_share=share, created_at=start, updated_at=start)
            plan = Plan(p, grp, target, start)
            plan.lines = [(f"{name}", quantity, unit, price)]
            plan.content = content_of(title=p.title, text=p.summary, category=category, lines=plan.lines,
                                      total=total, community_share=share)
            if showcase is None:
                showcase = plan
            plans.append(plan)
    city.insert(Proposal, [pl.proposal for pl in plans])
    city.copy(BudgetLine, [
        BudgetLine(proposal=pl.proposal, position=1, item=pl.lines[0][0], quantity=pl.lines[0][1], unit=pl.lines[0][2],
                   unit_price=pl.lines[0][3]) for pl in plans
    ])
    d["plans"], d["showcase"] = plans, showcase
    _governance(city, plans, showcase)


def _roll(users) -> str:
    """The digest of a ballot's frozen roll, as the opening event records it."""
    return electors_digest(u.pk for u in users)


def _withdraw_point(rng) -> str:
    return rng.choice([S.DRAFT, S.GROUP_REVIEW, S.NOTICE, S.SUBMITTED, S.APPROVED])


def _votes_for(rng, electors, approve: int, oppose: int, abstain: int, opened, until):
    chosen = rng.sample(electors, approve + oppose + abstain)
    choices = [VoteChoice.APPROVE] * approve + [VoteChoice.OPPOSE] * oppose + [VoteChoice.ABSTAIN] * abstain
    span = (until - opened).total_seconds()
    return [(u, c, opened + timedelta(seconds=rng.uniform(60, span - 60))) for u, c in zip(chosen, choices)]


def _governance(city: City, plans: list[Plan], showcase: Plan) -> None:
    """Walk each plan to its target state, collecting rows; insert them in dependency order."""
    d, rng, now = city.data, city.rng, city.now
    ballots, ballot_votes, resolutions, notices, objections = [], [], [], [], []
    for pl in plans:
        p, grp = pl.proposal, pl.group
        com_id = grp.community_id
        author, staff = p.author, d["staff"][com_id]
        gmembers = d["group_members"][grp.pk]
        target = pl.target
        wpoint = _withdraw_point(rng) if target == S.WITHDRAWN else None
        pl.event(EventKind.CREATED, author, to=S.DRAFT, at=pl.t,
                 amounts={"total": p.total, "community_share": p.community_share})
        if target == S.DRAFT or wpoint == S.DRAFT:
            continue
        pl.event(EventKind.SUBMITTED, author, frm=S.DRAFT, to=S.GROUP_REVIEW, step=timedelta(days=1))
        if target == S.GROUP_REVIEW:
            if rng.random() < 0.5:  # a group ballot running now, some members have voted
                opened = now - timedelta(days=rng.uniform(0.2, 1.5))
                closes = opened + timedelta(days=3)
                b = Ballot(proposal=p, kind=BallotKind.GROUP, council=d["group_council"][grp.pk],
                           proposal_revision=1, threshold_numerator=GROUP_MAJORITY.numerator,
                           threshold_denominator=GROUP_MAJORITY.denominator, threshold_base=ThresholdBase.ELECTORATE,
                           threshold_inclusive=GROUP_MAJORITY.inclusive, electorate_size=len(gmembers),
                           opened_by=gmembers[0], opened_at=opened, closes_at=closes)
                ballots.append((b, gmembers))
                ballot_votes.append((b, _votes_for(rng, gmembers, rng.randint(0, 2), 0, 0, opened, now)))
                pl.event(EventKind.BALLOT_OPENED, gmembers[0], at=opened, data=lambda b=b, c=closes, m=gmembers: {
                    "ballot": b.pk, "kind": b.kind, "electorate": b.electorate_size, "electors": _roll(m),
                    "closes_at": c.isoformat()})
            continue
        if wpoint == S.GROUP_REVIEW:
            pl.event(EventKind.WITHDRAWN, author, frm=S.GROUP_REVIEW, to=S.WITHDRAWN, reason="院落意见不一，暂不推进。")
            continue
        # Group ballot (R4): passes with at least 3 of 5.
        opened = pl.t + timedelta(days=2)
        closes = opened + timedelta(days=2)
        b = Ballot(proposal=p, kind=BallotKind.GROUP, council=d["group_council"][grp.pk], proposal_revision=1,
                   threshold_numerator=GROUP_MAJORITY.numerator, threshold_denominator=GROUP_MAJORITY.denominator,
                   threshold_base=ThresholdBase.ELECTORATE, threshold_inclusive=GROUP_MAJORITY.inclusive,
                   electorate_size=5, opened_by=gmembers[0], opened_at=opened, closes_at=closes, closed_at=closes,
                   outcome=BallotOutcome.PASSED)
        approve = rng.randint(3, 5)
        oppose = rng.randint(0, 5 - approve)
        b.approve_count, b.oppose_count, b.abstain_count = approve, oppose, 5 - approve - oppose
        assert GROUP_MAJORITY.passes(approve=approve, electorate=5)
        ballots.append((b, gmembers))
        group_cast = _votes_for(rng, gmembers, approve, oppose, 5 - approve - oppose, opened, closes)
        ballot_votes.append((b, group_cast))
        pl.event(EventKind.BALLOT_OPENED, gmembers[0], at=opened, data=lambda b=b, c=closes, m=gmembers: {
            "ballot": b.pk, "kind": b.kind, "electorate": 5, "electors": _roll(m), "closes_at": c.isoformat()})
        r = Resolution(proposal=p, number=1, proposal_revision=1, title=p.title, text=p.summary,
                       category=p.category, budget=pl.content["budget"], total=p.total,
                       community_share=p.community_share, content_hash=content_hash(pl.content), adopted_at=closes,
                       ballot=b)
        resolutions.append(r)
        pl.resolution = r

        def closed_data(b=b, r=None, cast=None):
            # As ballots._close_locked writes it: counts, the digest of every vote, the resolution adopted.
            data = {"ballot": b.pk, "kind": b.kind, "outcome": b.outcome, "approve": b.approve_count,
                    "oppose": b.oppose_count, "abstain": b.abstain_count, "electorate": b.electorate_size,
                    "needed": (GROUP_MAJORITY if b.kind == BallotKind.GROUP else COMMUNITY_TWO_THIRDS)
                    .approvals_needed(electorate=b.electorate_size),
                    "votes": votes_digest((u.pk, c, t, None) for u, c, t in cast)}
            if r is not None:
                data["resolution"] = r.pk
                data["content_hash"] = r.content_hash
            return data

        pl.event(EventKind.ADOPTED, None, frm=S.GROUP_REVIEW, to=S.ADOPTED, at=closes,
                 amounts={"total": r.total, "community_share": r.community_share},
                 data=lambda b=b, r=r, v=group_cast: closed_data(b, r, v))
        if target == S.ADOPTED:
            continue
        # Notice (R5): 7 full days; live ones started less than 7 days ago.
        if target == S.NOTICE:
            published = now - timedelta(days=rng.uniform(0.5, 6))
        else:
            published = pl.t + timedelta(hours=5)
        n = Notice(proposal=p, resolution=r, published_by=gmembers[0], published_at=published,
                   ends_at=published + timedelta(days=7))
        notices.append(n)
        pl.event(EventKind.NOTICE_PUBLISHED, gmembers[0], frm=S.ADOPTED, to=S.NOTICE, at=published,
                 data=lambda n=n, r=r: {"notice": n.pk, "resolution": r.pk, "ends_at": n.ends_at.isoformat()})
        howmany = 150 if pl is showcase else (rng.choice([0, 0, 0, 1, 2]))
        people = d["residents_by_group"][grp.pk]
        last = min(n.ends_at, now) if target == S.NOTICE else n.ends_at
        filed_times = sorted(rng.uniform(60, (last - published).total_seconds() / 2) for _ in range(howmany))
        slots = {}
        for i, secs in enumerate(filed_times):
            resident = people[5 + (i % (len(people) - 5))]
            slot = slots[resident.pk] = slots.get(resident.pk, 0) + 1
            if slot > MAX_OBJECTIONS_PER_NOTICE:  # R5: at most 3 a resident; the rest are not filed
                continue
            filed = published + timedelta(seconds=secs)
            text = f"关于施工时间的意见（{i + 1}）：请避开午休。"
            o = Objection(notice=n, resident=resident, text=text, filed_at=filed, slot=slot,
                          text_key=objection_text_key(text))
            objections.append(o)
            pl.event(EventKind.OBJECTION_FILED, resident, at=filed,
                     data=lambda o=o, n=n: {"objection": o.pk, "notice": n.pk})
            answered = filed + timedelta(seconds=rng.uniform(30, (last - filed).total_seconds() - 30))
            o.answered_at, o.answered_by, o.upheld = answered, gmembers[0], False
            o.answer = "已纳入施工安排，异议不成立。"
            pl.event(EventKind.OBJECTION_ANSWERED, gmembers[0], reason=o.answer, at=answered,
                     data=lambda o=o, n=n: {"objection": o.pk, "upheld": False, "notice": n.pk})
        pl.events.sort(key=lambda e: e[0])
        pl.t = pl.events[-1][0]
        if target == S.NOTICE:
            continue
        if wpoint == S.NOTICE:
            pl.event(EventKind.WITHDRAWN, author, frm=S.NOTICE, to=S.WITHDRAWN, reason="情况变化，撤回议案。",
                     at=n.ends_at - timedelta(hours=1))
            continue
        pl.event(EventKind.SUBMITTED_TO_COMMUNITY, gmembers[0], frm=S.NOTICE, to=S.SUBMITTED,
                 at=n.ends_at + timedelta(hours=2), data=lambda n=n, r=r: {"notice": n.pk, "resolution": r.pk})
        if target == S.SUBMITTED or wpoint == S.SUBMITTED:
            if wpoint == S.SUBMITTED:
                pl.event(EventKind.WITHDRAWN, author, frm=S.SUBMITTED, to=S.WITHDRAWN, reason="另行申请其他资金。")
            continue
        # Community ballot (R7): 37 electors, passes when 3 × approve ≥ 2 × 37.
        cmembers = d["community_members"][com_id]
        size = len(cmembers)
        if target == S.COMMUNITY_VOTE:
            opened = now - timedelta(days=rng.uniform(0.2, 2))
            closes = opened + timedelta(days=7)
        else:
            opened = pl.t + timedelta(days=1)
            closes = opened + timedelta(days=3)
        cb = Ballot(proposal=p, kind=BallotKind.COMMUNITY, council=d["community_council"][com_id], resolution=r,
                    proposal_revision=1, threshold_numerator=COMMUNITY_TWO_THIRDS.numerator,
                    threshold_denominator=COMMUNITY_TWO_THIRDS.denominator, threshold_base=ThresholdBase.ELECTORATE,
                    threshold_inclusive=COMMUNITY_TWO_THIRDS.inclusive, electorate_size=size, opened_by=staff,
                    opened_at=opened, closes_at=closes)
        ballots.append((cb, cmembers))
        pl.event(EventKind.BALLOT_OPENED, staff, frm=S.SUBMITTED, to=S.COMMUNITY_VOTE, at=opened,
                 data=lambda b=cb, c=closes, r=r, m=cmembers: {
                     "ballot": b.pk, "kind": b.kind, "electorate": b.electorate_size, "electors": _roll(m),
                     "closes_at": c.isoformat(), "resolution": r.pk})
        needed = COMMUNITY_TWO_THIRDS.approvals_needed(electorate=size)
        if target == S.COMMUNITY_VOTE:
            ballot_votes.append((cb, _votes_for(rng, cmembers, rng.randint(0, needed - 8), rng.randint(0, 3), 0,
                                                opened, now)))
            continue
        passed = target != S.REJECTED
        approve = rng.randint(needed, size - 2) if passed else rng.randint(needed - 8, needed - 1)
        oppose = rng.randint(0, min(4, size - approve))
        abstain = rng.randint(0, min(2, size - approve - oppose))
        assert COMMUNITY_TWO_THIRDS.passes(approve=approve, electorate=size) == passed
        cb.approve_count, cb.oppose_count, cb.abstain_count = approve, oppose, abstain
        cb.closed_at, cb.outcome = closes, BallotOutcome.PASSED if passed else BallotOutcome.FAILED
        community_cast = _votes_for(rng, cmembers, approve, oppose, abstain, opened, closes)
        ballot_votes.append((cb, community_cast))
        pl.event(EventKind.APPROVED if passed else EventKind.REJECTED, None, frm=S.COMMUNITY_VOTE,
                 to=S.APPROVED if passed else S.REJECTED, at=closes,
                 data=lambda b=cb, v=community_cast: closed_data(b, None, v))
        if wpoint == S.APPROVED:
            pl.event(EventKind.WITHDRAWN, author, frm=S.APPROVED, to=S.WITHDRAWN, reason="改由物业维修。")
    # Group ballots, then the resolutions they adopted, then the community ballots on those resolutions.
    city.insert(Ballot, [b for b, _ in ballots if b.kind == BallotKind.GROUP])
    city.insert(Resolution, resolutions)
    city.insert(Ballot, [b for b, _ in ballots if b.kind == BallotKind.COMMUNITY])
    city.copy(BallotElector, [BallotElector(ballot=b, user=u) for b, electors in ballots for u in electors],
                label="ballot electors")
    city.copy(Vote, [Vote(ballot=b, voter=u, choice=c, cast_at=t) for b, votes in ballot_votes for u, c, t in votes],
                label="votes")
    city.insert(Notice, notices)
    city.insert(Objection, objections)


# --------------------------------------------------------------------------- money


def _number_receipts(fund: Fund, entries: list[LedgerEntry]) -> None:
    """Receipt numbers 1, 2, 3 … in the order the donations were written (as donation_record does)."""
    number = 0
    for e in entries:
        donation = getattr(e, "donation_row", None)
        if donation is None:
            continue
        number += 1
        donation.receipt_no = number
        e.memo = gettext("捐赠收据 %(no)s · %(kind)s · %(purpose)s") % {
            "no": f"{fund.year}-{number:04d}", "kind": DonorKind(donation.donor_kind).label,
            "purpose": purpose_label(("category", donation.purpose_category) if donation.purpose_category else None),
        }


def _chain_entries(city: City, fund: Fund, entries: list[LedgerEntry], before=None) -> None:
    entries.sort(key=lambda e: e.created_at)
    if before is not None:
        before(fund, entries)
    prev = GENESIS
    for seq, e in enumerate(entries, 1):
        e.fund, e.seq, e.prev_hash = fund, seq, prev
        e.balance_delta = _money(e.balance_delta)
        e.reserved_delta = _money(e.reserved_delta)
        e.hash = link_hash(prev, entry_payload(e))
        prev = e.hash


def money(city: City) -> None:
    """Funds and their ledgers, budget reviews, contributions, bids, acceptance, settlement, refunds."""
    d, rng, now = city.data, city.rng, city.now
    year = timezone.localtime(now).year
    # In UTC, as the database gives it back: the hash covers the isoformat of the instant.
    year_start = timezone.make_aware(datetime(year, 1, 2, 9, 0)).astimezone(dt_timezone.utc)
    funds = city.insert(Fund, [
        Fund(community=com, year=year, kind=kind, created_at=year_start, created_by=d["street"][com.subdistrict_id])
        for com in d["communities"] for kind in (FundKind.PUBLIC_SERVICE, FundKind.FOUNDATION)
    ])
    public = {f.community_id: f for f in funds if f.kind == FundKind.PUBLIC_SERVICE}
    foundation = {f.community_id: f for f in funds if f.kind == FundKind.FOUNDATION}
    entries = {f.pk: [] for f in funds}
    for f in public.values():
        entries[f.pk].append(LedgerEntry(kind=EntryKind.ALLOCATION, balance_delta=Decimal("5000000"),
                                         reserved_delta=Decimal(0), counterparty="区财政", memo=f"{year}年度公服资金",
                                         created_at=year_start, actor=f.created_by))
    # Donations: spread over the foundations, the first community's gets at least 3 300 (a long ledger).
    comms = d["communities"]
    first_share = max(3300, city.donations // max(len(comms), 1))
    per = [first_share] + [max(0, (city.donations - first_share) // max(len(comms) - 1, 1))] * (len(comms) - 1)
    # R21: each donation is a Donation row with the next gap-free receipt number and one DONATION
    # entry whose counterparty is the donor's public name and whose memo is donation_record's.
    donations = {f.pk: [] for f in foundation.values()}
    kinds = [DonorKind.RESIDENT] * 6 + [DonorKind.ANONYMOUS] * 2 + [DonorKind.ENTERPRISE, DonorKind.LOCAL_UNIT,
                                                                     DonorKind.ORGANISATION]
    categories = [c for c, _label in Category.choices]
    for com, count in zip(comms, per):
        f = foundation[com.pk]
        for i in range(count):
            at = year_start + timedelta(seconds=rng.uniform(3600, (now - year_start).total_seconds() - 3600))
            kind = rng.choice(kinds)
            name = "" if kind == DonorKind.ANONYMOUS else f"{DonorKind(kind).label}捐赠人{i % 500 + 1}"
            publish = bool(name) and rng.random() < 0.5
            category = rng.choice(categories) if rng.random() < 0.1 else ""
            amount = _money(rng.randint(20, 2000))
            donation = Donation(fund=f, donor_kind=kind, donor_name=name, amount=amount,
                                method=rng.choice(DonationMethod.values), paid_on=timezone.localtime(at).date(),
                                publish_name=publish, purpose_category=category, recorded_by=d["staff"][com.pk],
                                recorded_at=at)
            entry = LedgerEntry(kind=EntryKind.DONATION, balance_delta=amount, reserved_delta=Decimal(0),
                                counterparty=name if publish else donation.public_name, memo="",
                                created_at=at, actor=d["staff"][com.pk])
            entry.donation_row = donation
            donations[f.pk].append(entry)
            entries[f.pk].append(entry)
    reviews, contributions, bids, acceptances, settlements, panels = [], [], [], [], [], []
    money_plans = []
    for pl in d["plans"]:
        p = pl.proposal
        if pl.target not in (S.FUNDED, S.RELEASED, S.IN_PROGRESS, S.ACCEPTED, S.SETTLED):
            continue
        com_id = pl.group.community_id
        fund = public[com_id]
        street, staff, sup = d["street"][pl.group.community.subdistrict_id], d["staff"][com_id], d["supervisors"][com_id]
        gmembers = d["group_members"][pl.group.pk]
        share, total = p.community_share, p.total
        t = pl.t + timedelta(days=2)
        reservation = LedgerEntry(kind=EntryKind.RESERVATION, balance_delta=Decimal(0), reserved_delta=share,
                                  proposal=p, actor=street, memo="", created_at=t)
        entries[fund.pk].append(reservation)
        review = BudgetReview(proposal=p, resolution=pl.resolution, reviewer=street, decision=ReviewDecision.APPROVED,
                              total=total, requested_share=share, approved_share=share, fund=fund,
                              reservation=reservation, reviewed_at=t)
        reviews.append(review)
        pl.event(EventKind.BUDGET_APPROVED, street, frm=S.APPROVED, to=S.FUNDED, at=t,
                 amounts={"total": total, "requested_share": share, "community_share": share},
                 data=lambda r=review, f=fund, e=reservation: {"review": r.pk, "fund": f.pk, "reservation": e.pk})
        if pl.target == S.FUNDED:
            if rng.random() < 0.2:  # a supervisor's hold, still open
                money_plans.append(("hold", pl, sup, t + timedelta(days=1)))
            continue
        raised = total - share
        parts = [raised] if raised < 100 or rng.random() < 0.5 else [_money(raised / 2), raised - _money(raised / 2)]
        collected = Decimal(0)
        cons = []
        for i, amount in enumerate(parts):
            t += timedelta(days=1)
            collected += amount
            c = Contribution(proposal=p, payer=f"{i + 1}栋{i + 2}单元", payer_kind=PayerKind.HOUSEHOLD, amount=amount,
                             receipt_no=f"R{p.pk}-{i + 1}", paid_on=timezone.localtime(t).date(),
                             recorded_by=gmembers[0], recorded_at=t)
            contributions.append(c)
            cons.append(c)
            pl.event(EventKind.CONTRIBUTION_RECORDED, gmembers[0], at=t,
                     amounts={"amount": amount, "collected": collected, "target": raised},
                     data=lambda c=c: {"contribution": c.pk, "receipt_no": c.receipt_no,
                                       "paid_on": c.paid_on.isoformat()})
        t += timedelta(days=2)
        release = LedgerEntry(kind=EntryKind.RELEASE, balance_delta=-share, reserved_delta=-share, proposal=p,
                              actor=street, created_at=t)
        entries[fund.pk].append(release)
        pl.event(EventKind.FUNDS_RELEASED, street, frm=S.FUNDED, to=S.RELEASED, at=t,
                 amounts={"community_share": share, "self_raised_collected": collected, "total": total},
                 data=lambda f=fund, e=release: {"fund": f.pk, "entry": e.pk})
        if rng.random() < 0.1:
            money_plans.append(("lifted", pl, sup, t - timedelta(days=1)))
        if pl.target == S.RELEASED:
            continue
        offers = sorted(_money(total * Decimal(rng.uniform(0.85, 1.0))) for _ in range(3))
        pbids = []
        for i, amount in enumerate(offers):
            t += timedelta(hours=6)
            bid = Bid(proposal=p, contractor=f"施工队{chr(65 + i)}{p.pk % 97}", amount=amount, recorded_by=gmembers[0],
                      recorded_at=t)
            pbids.append(bid)
            bids.append(bid)
            pl.event(EventKind.BID_RECORDED, gmembers[0], at=t, amounts={"amount": amount},
                     data=lambda b=bid: {"bid": b.pk, "contractor": b.contractor})
        chosen = pbids[0]
        t += timedelta(days=1)
        chosen.selected_at, chosen.selected_by = t, gmembers[0]
        panel = [gmembers[0], gmembers[1], sup]
        panels.append((chosen, panel))
        pl.event(EventKind.BID_SELECTED, gmembers[0], frm=S.RELEASED, to=S.IN_PROGRESS, at=t,
                 amounts={"contract": chosen.amount, "lowest": chosen.amount, "approved_total": total},
                 data=lambda b=chosen, pn=panel: {"bid": b.pk, "contractor": b.contractor, "bids": 3,
                                                  "panel": [u.pk for u in pn]})
        if pl.target == S.IN_PROGRESS:
            continue
        t += timedelta(days=20)
        acc = Acceptance(proposal=p, passed=True, satisfaction=Satisfaction.SATISFIED, notes="验收合格。",
                         recorded_by=gmembers[0], supervisor=sup, recorded_at=t)
        acceptances.append(acc)
        pl.event(EventKind.ACCEPTANCE_RECORDED, gmembers[0], frm=S.IN_PROGRESS, to=S.ACCEPTED, at=t, reason=acc.notes,
                 data=lambda a=acc, s=sup: {"acceptance": a.pk, "passed": True, "satisfaction": a.satisfaction,
                                            "supervisor": s.pk})
        if pl.target == S.ACCEPTED:
            continue
        t += timedelta(days=3)
        cost = chosen.amount
        savings = total - cost
        community_savings = _money(savings * share / total)
        residents_savings = savings - community_savings
        entry = None
        if community_savings > 0:
            entry = LedgerEntry(kind=EntryKind.SAVINGS_RETURN, balance_delta=community_savings,
                                reserved_delta=Decimal(0), proposal=p, actor=street, created_at=t)
            entries[fund.pk].append(entry)
        settlement = Settlement(proposal=p, fund=fund, bid=chosen, approved_total=total, community_share=share,
                                self_raised_share=raised, contributions_collected=collected, actual_cost=cost,
                                savings=savings, community_savings=community_savings,
                                residents_savings=residents_savings, refundable_total=residents_savings,
                                savings_entry=entry, recorded_by=gmembers[0], recorded_at=t)
        settlements.append((settlement, cons))
        pl.event(EventKind.SETTLED, gmembers[0], frm=S.ACCEPTED, to=S.SETTLED, at=t,
                 amounts={"approved_total": total, "actual_cost": cost, "savings": savings,
                          "community_savings": community_savings, "residents_savings": residents_savings},
                 data=lambda s=settlement, f=fund, e=entry: {"settlement": s.pk, "fund": f.pk,
                                                             "entry": e.pk if e else None})
    for f in funds:
        _chain_entries(city, f, entries[f.pk], before=_number_receipts if f.pk in donations else None)
    # Corrections and reservations reference nothing across funds; insert each fund's chain in order.
    city.insert(LedgerEntry, [e for f in funds for e in entries[f.pk]], label="ledger entries")
    gifts = []
    for fund_id, rows in donations.items():
        for e in rows:
            e.donation_row.entry = e
            gifts.append(e.donation_row)
    city.insert(Donation, gifts, label="donations")
    city.insert(ReceiptCounter, [ReceiptCounter(fund_id=fund_id, last_no=len(rows)) for fund_id, rows in donations.items()])
    for r in reviews:
        r.reservation_id = r.reservation.pk
    city.insert(BudgetReview, reviews)
    city.insert(Contribution, contributions)
    city.insert(Bid, bids)
    through = Bid.panel.through
    city.copy(through, [through(bid_id=b.pk, user_id=u.pk) for b, panel in panels for u in panel], label="bid panels")
    city.insert(Acceptance, acceptances)
    for s, _ in settlements:
        s.bid_id = s.bid.pk
        s.savings_entry_id = s.savings_entry.pk if s.savings_entry else None
    city.insert(Settlement, [s for s, _ in settlements])
    refunds = []
    for s, cons in settlements:
        left = s.residents_savings
        for i, c in enumerate(cons):
            amount = left if i == len(cons) - 1 else _money(s.residents_savings * c.amount / s.self_raised_share)
            left -= amount
            if amount > 0:
                refunds.append(Refund(contribution=c, settlement=s, cause=RefundCause.SAVINGS, amount=amount,
                                      created_at=s.recorded_at))
    city.copy(Refund, refunds)
    d["supervision"] = money_plans
    d["funds"] = funds


def supervision(city: City) -> None:
    """Supervisors' opinions on some proposals, holds (open on funded ones, lifted on released ones)."""
    d, rng = city.data, city.rng
    opinions, holds = [], []
    for kind, pl, sup, at in d["supervision"]:
        h = Hold(proposal=pl.proposal, placed_by=sup, reason="核实自筹资金收据后再拨付。", placed_at=at)
        pl.event(EventKind.HOLD_PLACED, sup, at=at, data=lambda h=h: {"hold": h.pk})
        if kind == "lifted":
            h.lifted_by, h.lifted_at, h.lift_reason = sup, at + timedelta(hours=12), "收据已核实。"
            pl.event(EventKind.HOLD_LIFTED, sup, at=h.lifted_at, reason=h.lift_reason, data=lambda h=h: {"hold": h.pk})
        holds.append(h)
    for pl in d["plans"]:
        if pl.proposal.status in (S.APPROVED, S.FUNDED, S.RELEASED, S.IN_PROGRESS) and rng.random() < 0.15:
            sup = d["supervisors"][pl.group.community_id]
            at = pl.events[-1][0] + timedelta(hours=1)
            o = Opinion(proposal=pl.proposal, supervisor=sup, text="请按时公开施工进度和票据。", created_at=at)
            opinions.append(o)
            pl.event(EventKind.OPINION_RECORDED, sup, at=at, data=lambda o=o: {"opinion": o.pk})
    city.insert(Hold, holds)
    city.insert(Opinion, opinions)


def events(city: City) -> None:
    """Every plan's events, in time order, hash-chained per proposal; statuses as their last event left them."""
    rows = []
    for pl in city.data["plans"]:
        p = pl.proposal
        pl.events.sort(key=lambda e: e[0])
        prev, status = GENESIS, S.DRAFT
        for seq, (at, kind, actor, behalf, frm, to, reason, amounts, data) in enumerate(pl.events, 1):
            if callable(data):
                data = data()
            e = ProposalEvent(proposal=p, seq=seq, kind=kind, actor=actor, on_behalf_of=behalf, created_at=at,
                              from_status=frm, to_status=to, reason=reason, amounts=_jsonable_amounts(amounts),
                              data=data or {}, prev_hash=prev)
            e.hash = link_hash(prev, event_payload(e))
            prev = e.hash
            if to:
                status = to
            rows.append(e)
        p.status = status
        p.updated_at = pl.events[-1][0]
    city.copy(ProposalEvent, rows, label="events")
    # Notifications point at events: read the new ids back by (proposal, seq).
    ids = {(p, q): i for p, q, i in ProposalEvent.objects.filter(proposal_id__gte=city.data["plans"][0].proposal.pk)
           .values_list("proposal_id", "seq", "pk").iterator(chunk_size=20000)}
    for e in rows:
        e.pk = ids[(e.proposal_id, e.seq)]
    # Statuses and update times were set while walking; write them back in bulk.
    Proposal.objects.bulk_update([pl.proposal for pl in city.data["plans"]], ["status", "updated_at"],
                                 batch_size=BATCH)
    city.data["events"] = rows


def notifications(city: City) -> None:
    """Inbox rows: each elector of a community ballot was asked to vote; each author heard the result."""
    d = city.data
    community_of = {g.pk: g.community_id for g in d["groups"]}
    rows = []
    for e in d["events"]:
        if e.kind == EventKind.BALLOT_OPENED and e.to_status == S.COMMUNITY_VOTE:
            for u in d["community_members"][community_of[e.proposal.group_id]]:
                rows.append(Notification(user=u, kind=NotificationKind.VOTE_NEEDED, proposal=e.proposal, event=e,
                                         title=f"请表决：{e.proposal.title}", body="社区议事会表决已开始。",
                                         url=f"/proposals/{e.proposal_id}/", created_at=e.created_at,
                                         read_at=e.created_at + timedelta(hours=5) if e.proposal.status != S.COMMUNITY_VOTE else None,
                                         mail_status=MailStatus.SENT))
        elif e.kind in (EventKind.APPROVED, EventKind.REJECTED):
            rows.append(Notification(user=e.proposal.author, kind=NotificationKind.BALLOT_CLOSED, proposal=e.proposal,
                                     event=e, title=f"表决结果：{e.proposal.title}", body="社区议事会表决已结束。",
                                     url=f"/proposals/{e.proposal_id}/", created_at=e.created_at,
                                     mail_status=MailStatus.OFF))
    city.copy(Notification, rows, label="notifications")


register_step("places and people", places_and_people)
register_step("meetings", meetings)
register_step("proposals, ballots, votes, notices", proposals)
register_step("funds, ledgers, reviews, contributions, bids, settlements", money)
register_step("opinions and holds", supervision)
register_step("events (hash-chained)", events)
register_step("notifications", notifications)


def verified(city: City) -> None:
    """The city checks itself: a full history run (chains, cross-checks) that must pass, and a signed
    checkpoint of the chain heads, as the daily job leaves them (the history page shows that run)."""
    from funding.checkpoints import history_daily
    from funding.models import HistoryFinding

    run = history_daily()
    if not run.ok:
        first = HistoryFinding.objects.filter(run=run).order_by("pk").first()
        raise CityInvalid(f"the city does not verify: {run.finding_count} difference(s); first: {first}")
    city.out(f"    {run.chains} chains, {run.rows} rows verified; checkpoint #{run.checkpoint.number} signed")


from portal.scale_sanshe import sanshe  # noqa: E402 — a step module of its own, registered here

SANSHE_STEP = "organisations, needs, projects, micro-grants, elections"
register_step(SANSHE_STEP, sanshe)
