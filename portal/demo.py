"""The demo world, built through the public services so its history is real.

``seed_demo()`` builds 晋阳街道 / 晋阳社区 (a 37-member community council, a
supervisory board, the street's 纪工委), the courtyards 北苑小区 and 南苑小区,
玉林街道 / 玉东社区 and 公兴街道 / 朱家庙社区 / 金河苑, the named demo accounts of
``ACCOUNTS`` (one password, ``DEMO_PASSWORD``), and proposals in every state,
among them the 北苑 back-gate case from draft to final accounts.

Every membership and every step of a proposal goes through ``councils.services``,
``proposals.services`` and ``funding.services``, so events, ballots, notices
and ledger entries carry real hash chains and ``manage.py verify_history``
passes. Steps that happened in the past are run with the clock moved there
(``time_machine.travel``), because the services read the time themselves: a
notice that "ran its 7 days" really did. Only plain users are bulk-created.

Idempotent: places are looked up by slug, users by username, memberships by
their open row, proposals by (group, title), funds by (community, year); what
exists is left alone, so a second run changes nothing. Everything runs in one
transaction, so a failed run leaves nothing half-built.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import time_machine
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from councils import services as cs
from councils.enums import BoardTitle, CouncilKind, PostKind, SeatRole, StaffLevel
from councils.models import (
    BoardSeat,
    Community,
    Council,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    Subdistrict,
    SupervisoryBoard,
    User,
)
from elections.demo import seed_elections
from funding import services as fs
from funding.demo_evaluation import seed_evaluation
from funding.demo_foundation import seed_foundation
from funding.enums import FundKind, Satisfaction
from funding.models import Fund, Settlement
from funding import demo_tenders as tenders_demo
from needs import demo as needs_demo
from photos.demo import seed_photos
from notifications.models import Notification
from proposals import services as ps
from proposals.enums import Category, ProposalStatus, VoteChoice
from proposals.models import Proposal

DEMO_PASSWORD = "yishi-demo-2026"
S = ProposalStatus
AP, OP, AB = VoteChoice.APPROVE, VoteChoice.OPPOSE, VoteChoice.ABSTAIN
D = Decimal

# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    try_this: str


# The named accounts, one for each role in docs/domain.md "Who uses it". docs/demo.md
# lists the same table; tests/test_seed_demo.py checks that they agree.
ACCOUNTS = [
    DemoAccount(
        "resident",
        "王秀英",
        "北苑小区居民（3栋2单元101，72 岁，大字模式）",
        "起草了“3栋楼道加装扶手”（草稿，可提交）；对“北苑中庭绿化补植”的公示提出异议；"
        "为已决算的北苑后门项目打分评价。",
    ),
    DemoAccount(
        "resident2",
        "刘志强",
        "北苑小区居民，北苑后门项目的提议人",
        "查看北苑后门项目的完整时间线和决算（结余 1 500 元：750 元退回公服资金，750 元退还缴款住户）；"
        "“电动自行车集中充电桩”的提议人。",
    ),
    DemoAccount(
        "groupchair",
        "张桂兰",
        "北苑小区议事会召集人",
        "答复“北苑中庭绿化补植”的未答复异议；为“北苑自行车棚修缮”登记自筹资金"
        "（已收 3 200 / 6 500 元）；为实施中的“北苑雨污管网疏通”登记验收。",
    ),
    DemoAccount(
        "groupmember",
        "李建国",
        "北苑小区议事会成员",
        "为“电动自行车集中充电桩”小组表决投票（目前 2 票赞成，过半需 3 票）；查看会议记录。",
    ),
    DemoAccount(
        "councillor",
        "何志远",
        "晋阳社区议事会成员（37 人之一）",
        "为“南苑单元门禁维修”社区表决投票（已有 20 人投票，需 25 票赞成）；"
        "查看自己在北苑后门项目中的记名投票。",
    ),
    DemoAccount(
        "communitystaff",
        "陈静",
        "晋阳社区工作人员",
        "核实居民、管理议事会席位；为已期满公示的“南苑楼道声控灯改造”发起社区表决；代居民录入。",
    ),
    DemoAccount(
        "streetstaff",
        "罗晓峰",
        "晋阳街道办工作人员（社区发展治理办）",
        "审核“北苑垃圾分类亭改造”的预算（可调低公服资金）；查看晋阳社区 2026 年公服资金台账；"
        "尝试拨付“北苑自行车棚修缮”（自筹不足，会被拒绝并说明原因）。",
    ),
    DemoAccount(
        "supervisor",
        "周德明",
        "晋阳社区监事会成员",
        "查看辖区内所有议案、记名投票、异议和台账；记录监督意见；对议案暂停拨付或解除暂停。",
    ),
    DemoAccount(
        "lianqing",
        "吴淑芬",
        "晋阳社区廉情监督员",
        "北苑后门项目比选和验收时在场的监督人员；可记录监督意见、暂停拨付。",
    ),
    DemoAccount(
        "discipline",
        "孙振华",
        "晋阳街道纪工委委员",
        "跨社区查看晋阳街道下所有议案和资金；记录监督意见、暂停拨付。",
    ),
    DemoAccount(
        "yudong_resident",
        "龙婷婷",
        "玉东社区玉林北路2号院居民（另一街道）",
        "只能看到自己院落的议案和公开页面；打开北苑的草稿或内部页面应得到 404。",
    ),
    DemoAccount("admin", "系统管理员", "超级管理员", "进入 /admin/ 查看所有数据；事件和台账只读。"),
]

# --------------------------------------------------------------------------- people

# 北苑小区: (username or None, name, address). The first five sit on its group council.
BEIYUAN = [
    ("groupchair", "张桂兰", "1栋1单元201"),
    ("groupmember", "李建国", "2栋3单元302"),
    (None, "陈淑珍", "4栋1单元102"),
    (None, "杨德明", "6栋2单元501"),
    (None, "赵玉梅", "5栋2单元301"),
    ("resident", "王秀英", "3栋2单元101"),
    ("resident2", "刘志强", "5栋1单元402"),
    (None, "黄国平", "1栋2单元502"),
    (None, "周丽华", "2栋1单元101"),
    (None, "吴永红", "2栋2单元402"),
    (None, "徐志刚", "3栋1单元201"),
    (None, "孙凤英", "3栋3单元602"),
    (None, "胡建华", "4栋2单元301"),
    (None, "朱秀兰", "4栋3单元102"),
    (None, "高文斌", "5栋3单元502"),
    (None, "林晓燕", "6栋1单元202"),
    (None, "何春梅", "6栋3单元401"),
    (None, "郭海涛", "1栋3单元601"),
    (None, "马丽娟", "2栋2单元201"),
    (None, "罗志勇", "3栋2单元402"),
    (None, "梁淑芬", "4栋1单元501"),
    (None, "宋建军", "5栋1单元102"),
    (None, "郑桂芳", "6栋2单元202"),
    (None, "谢明辉", "1栋1单元602"),
]
NANYUAN = [
    (None, "唐国强", "8栋1单元101"),
    (None, "冯玉兰", "9栋2单元302"),
    (None, "于海波", "10栋1单元401"),
    (None, "董秀珍", "8栋2单元202"),
    (None, "程丽萍", "11栋1单元501"),
    (None, "曹建平", "9栋1单元102"),
    (None, "袁淑华", "10栋2单元301"),
    (None, "邓志军", "11栋2单元201"),
    (None, "许美玲", "8栋1单元602"),
    (None, "傅国庆", "9栋2单元101"),
    (None, "沈秀梅", "10栋1单元502"),
    (None, "曾德华", "11栋1单元302"),
]
YULIN_BEILU = [
    (None, "段志军", "1幢1单元3号"),
    (None, "雷秀英", "1幢2单元5号"),
    (None, "侯建华", "2幢1单元2号"),
    ("yudong_resident", "龙婷婷", "2幢2单元6号"),
    (None, "易国强", "3幢1单元1号"),
    (None, "常玉珍", "3幢1单元4号"),
]
JINHEYUAN = [
    (None, "乔德福", "A座1单元302"),
    (None, "毛淑兰", "A座2单元101"),
    (None, "邱少华", "B座1单元502"),
    (None, "史建英", "B座2单元201"),
    (None, "顾志成", "C座1单元402"),
    (None, "邵丽君", "C座2单元601"),
]
# 晋阳社区议事会: `councillor` and 36 more.
JINYANG_COUNCIL = ["何志远", "吕建新", "苏桂英", "卢志华", "蒋丽君", "蔡建明", "贾秀云", "丁国华", "魏丽娜", "薛建伟", "叶桂珍", "阎志刚", "余晓梅", "潘建军", "杜秀兰", "戴国栋", "夏丽萍", "钟建平", "汪淑英", "田志明", "任丽华", "姜德才", "范秀梅", "方国庆", "石丽娟", "姚建华", "谭玉兰", "廖志勇", "邹桂芳", "熊建新", "金丽芳", "陆志强", "郝秀珍", "孔德胜", "白玉梅", "崔建国", "康丽萍"]
# Surnames and given names for the smaller community councils of 玉东 and 朱家庙.
_SURNAMES = "陶武鲁秦江史钱严华舒柳庞雷龚文付"
_GIVEN = ["淑琴", "建勇", "玉华", "德林", "秀芳", "国良", "丽珍", "志明", "春兰", "海燕", "永福", "桂英", "文华", "晓红", "正清"]

SUBDISTRICTS = [("jinyang", "晋阳街道"), ("yulin", "玉林街道"), ("gongxing", "公兴街道")]
COMMUNITIES = [
    # slug, subdistrict, name, council_size
    ("jinyang", "jinyang", "晋阳社区", 37),
    ("yudong", "yulin", "玉东社区", 15),
    ("zhujiamiao", "gongxing", "朱家庙社区", 15),
]
GROUPS = [
    # slug, community, name, residents (first council_seats sit on its group council)
    ("beiyuan", "jinyang", "北苑小区", BEIYUAN, 5),
    ("nanyuan", "jinyang", "南苑小区", NANYUAN, 5),
    ("yulin-beilu-2", "yudong", "玉林北路2号院", YULIN_BEILU, 3),
    ("jinheyuan", "zhujiamiao", "金河苑", JINHEYUAN, 3),
]
# Staff: username, name, level, subdistrict, community slug or None, title.
STAFF = [
    ("streetstaff", "罗晓峰", StaffLevel.SUBDISTRICT, "jinyang", None, "社区发展治理办"),
    ("jinyang_finance", "邓丽", StaffLevel.SUBDISTRICT, "jinyang", None, "财政所会计"),
    ("communitystaff", "陈静", StaffLevel.COMMUNITY, "jinyang", "jinyang", "社区干事"),
    ("jinyang_secretary", "杨建华", StaffLevel.COMMUNITY, "jinyang", "jinyang", "社区党委书记"),
    ("yulin_streetstaff", "任伟", StaffLevel.SUBDISTRICT, "yulin", None, "社区发展治理办"),
    ("yudong_staff", "黄敏", StaffLevel.COMMUNITY, "yulin", "yudong", "社区干事"),
    ("gongxing_streetstaff", "龚平", StaffLevel.SUBDISTRICT, "gongxing", None, "社区发展治理办"),
    ("zhujiamiao_staff", "谢婷", StaffLevel.COMMUNITY, "gongxing", "zhujiamiao", "社区干事"),
]
# R23: these posts belong to the community party organisation (社区党组织).
PARTY_POSTS = {"jinyang_secretary"}
# Boards: slug, name, community slug or None, subdistrict slug or None, seats (username, name, title).
BOARDS = [
    (
        "jinyang-board",
        "晋阳社区监事会",
        "jinyang",
        None,
        [
            ("supervisor", "周德明", BoardTitle.MEMBER),
            ("lianqing", "吴淑芬", BoardTitle.INTEGRITY),
            ("jinyang_supervisor3", "金国华", BoardTitle.MEMBER),
        ],
    ),
    (
        "jinyang-jgw",
        "晋阳街道纪工委",
        None,
        "jinyang",
        [("discipline", "孙振华", BoardTitle.DISCIPLINE)],
    ),
    (
        "yudong-board",
        "玉东社区监事会",
        "yudong",
        None,
        [("yudong_supervisor", "江涛", BoardTitle.MEMBER)],
    ),
    (
        "yulin-jgw",
        "玉林街道纪工委",
        None,
        "yulin",
        [("yulin_discipline", "邱明", BoardTitle.DISCIPLINE)],
    ),
    (
        "zhujiamiao-board",
        "朱家庙社区监事会",
        "zhujiamiao",
        None,
        [("zhujiamiao_supervisor", "汤丽", BoardTitle.MEMBER)],
    ),
    (
        "gongxing-jgw",
        "公兴街道纪工委",
        None,
        "gongxing",
        [("gongxing_discipline", "尹强", BoardTitle.DISCIPLINE)],
    ),
]

# The 北苑 back-gate case (docs/domain.md): 36 000 yuan, half from the fund, half raised by households.
BACK_GATE_TITLE = "北苑后门维修、消防通道整治及围墙防盗刺"
BACK_GATE_LINES = [
    ("后门维修（门体更换、门禁）", D("1"), "项", D("12000.00")),
    ("消防通道整治（清障、划线、标识）", D("1"), "项", D("16000.00")),
    ("围墙防盗刺", D("100"), "米", D("80.00")),
]
BACK_GATE_SHARE = D("18000.00")
BACK_GATE_BIDS = [
    ("成都安居建筑工程有限公司", D("35800.00")),
    ("武侯区宏达市政维修部", D("34500.00")),
    ("四川蓉城消防工程有限公司", D("36000.00")),
]
BACK_GATE_ACTUAL = D("34500.00")
FUND_ALLOCATION = D("300000.00")
CASE_YEAR = 2026


# --------------------------------------------------------------------------- report


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def did(self, what: str) -> None:
        self.created.append(what)

    def had(self, what: str) -> None:
        self.skipped.append(what)


# --------------------------------------------------------------------------- builder


class DemoBuilder:
    def __init__(self, *, now: datetime | None = None):
        self.now = now or timezone.now()
        self.tz = timezone.get_default_timezone()
        self.today = timezone.localtime(self.now, self.tz).date()
        # The back-gate case happened in 2026 (March to June); if the clock says
        # otherwise, it happened last year.
        self.case_year = (
            CASE_YEAR
            if self.now >= self._at_local(date(CASE_YEAR, 7, 1), 0)
            else self.today.year - 1
        )
        # Terms of seats, posts and residencies start before anything happens.
        self.t0 = self._at_local(date(self.case_year - 1, 12, 1), 9)
        self.report = DemoReport()
        self.users: dict[str, User] = {}
        self.subdistricts: dict[str, Subdistrict] = {}
        self.communities: dict[str, Community] = {}
        self.groups: dict[str, ResidentGroup] = {}
        self.members: dict[str, list[User]] = {}  # group slug -> residents in order
        self.group_councils: dict[str, Council] = {}
        self.community_councils: dict[str, Council] = {}
        self.community_members: dict[str, list[User]] = {}
        self.boards: dict[str, SupervisoryBoard] = {}

    # ---- time

    def _at_local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def day(self, offset: int, hour: int, minute: int = 0) -> datetime:
        """A local time ``offset`` days from today (negative: the past)."""
        return self._at_local(self.today + timedelta(days=offset), hour, minute)

    def case(self, month: int, dom: int, hour: int, minute: int = 0) -> datetime:
        return self._at_local(date(self.case_year, month, dom), hour, minute)

    @contextmanager
    def at(self, when: datetime):
        """Run the services as if it were ``when`` (they read the clock themselves)."""
        if when > self.now:
            raise ValueError(f"demo step in the future: {when.isoformat()}")
        with time_machine.travel(when, tick=True):
            yield

    # ---- entry point

    def build(self) -> DemoReport:
        with transaction.atomic():
            with self.at(self.t0):
                self._places()
                self._users()
                self._memberships()
            self._money_start()
            self._case_back_gate()
            self._case_withdrawn()
            self._case_rejected()
            self._case_approved()
            self._case_pipes()
            self._case_bike_shed()
            self._case_submitted()
            self._case_notice()
            self._case_community_vote()
            self._case_group_ballot()
            self._case_draft()
            self._case_yudong()
            self._case_jinheyuan()
            seed_elections(self)
            needs_demo.seed(self)  # 三社联动: 玉东社区's needs, organisations, micro-grants (needs/demo.py)
            seed_foundation(self)  # 晋阳's community foundation: donations, two projects, monthly accounts
            seed_photos(self)  # photos of proposals, a roadshow, a need and the candidates (photos/demo.py)
            seed_evaluation(self, BACK_GATE_TITLE, DEMO_PASSWORD)  # R26: the evaluator's final evaluation of 北苑后门
            tenders_demo.seed(self)  # R23/R24: a party proposal with an open tender, bids and residents' votes
        self._date_notifications()
        return self.report

    def _date_notifications(self) -> None:
        """Notifications are written once the seeding transaction commits, so at today's clock;
        date each by the event it tells of, and count those older than a week as read, as their
        reader would have by now. (With a broker the worker writes them later; nothing to do then.)"""
        week_ago = self.now - timedelta(days=7)
        stale = []
        for n in Notification.objects.filter(event__isnull=False).select_related("event"):
            when = n.event.created_at
            if n.created_at != when:
                n.created_at = when
                if when < week_ago and n.read_at is None:
                    n.read_at = when
                stale.append(n)
        Notification.objects.bulk_update(stale, ["created_at", "read_at"], batch_size=500)

    # ---- places

    def _places(self) -> None:
        for slug, name in SUBDISTRICTS:
            self.subdistricts[slug], made = Subdistrict.objects.get_or_create(
                slug=slug, defaults={"name": name}
            )
            self._note(made, name)
        for slug, street, name, size in COMMUNITIES:
            community, made = Community.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "subdistrict": self.subdistricts[street],
                    "council_size": size,
                },
            )
            self.communities[slug] = community
            self._note(made, name)
            self.community_councils[slug], _made = Council.objects.get_or_create(
                kind=CouncilKind.COMMUNITY, community=community, defaults={"name": f"{name}议事会"}
            )
        for slug, community, name, _people, _seats in GROUPS:
            group, made = ResidentGroup.objects.get_or_create(
                slug=slug, defaults={"name": name, "community": self.communities[community]}
            )
            self.groups[slug] = group
            self._note(made, name)
            self.group_councils[slug], _made = Council.objects.get_or_create(
                kind=CouncilKind.GROUP,
                group=group,
                defaults={"community": group.community, "name": f"{name}议事会"},
            )
        for slug, name, community, street, _seats in BOARDS:
            scope = (
                {"community": self.communities[community]}
                if community
                else {"subdistrict": self.subdistricts[street]}
            )
            self.boards[slug], made = SupervisoryBoard.objects.get_or_create(
                **scope, defaults={"name": name}
            )
            self._note(made, name)

    # ---- users (bulk: a user is not a membership, no service needed)

    def _user_specs(self) -> list[dict]:
        specs = [
            {"username": "admin", "full_name": "系统管理员", "is_staff": True, "is_superuser": True}
        ]
        phones = itertools.count(13980280001)
        for slug, _community, _name, people, _seats in GROUPS:
            for n, (username, name, _address) in enumerate(people, start=1):
                specs.append(
                    {
                        "username": username or f"{slug.replace('-', '_')}_{n:02d}",
                        "full_name": name,
                        "phone": str(next(phones)),
                        "large_text": username == "resident",
                        # One member reads mail in English (notifications are put into words per reader).
                        **({"language": "en"} if username == "groupmember" else {}),
                    }
                )
        for n, name in enumerate(JINYANG_COUNCIL, start=1):
            specs.append(
                {
                    "username": "councillor" if n == 1 else f"jinyang_cc{n:02d}",
                    "full_name": name,
                    "phone": str(next(phones)),
                }
            )
        for community in ("yudong", "zhujiamiao"):
            for n, name in enumerate(self._small_council_names(community), start=1):
                specs.append({"username": f"{community}_cc{n:02d}", "full_name": name})
        for username, name, *_rest in STAFF:
            specs.append({"username": username, "full_name": name})
        for *_board, seats in BOARDS:
            for username, name, _title in seats:
                specs.append({"username": username, "full_name": name})
        return specs

    @staticmethod
    def _small_council_names(community: str) -> list[str]:
        # Rotating the surnames by half gives the second council different people.
        shift = 0 if community == "yudong" else len(_SURNAMES) // 2
        surnames = _SURNAMES[shift:] + _SURNAMES[:shift]
        return [s + g for s, g in zip(surnames, _GIVEN, strict=False)]

    def _users(self) -> None:
        specs = self._user_specs()
        existing = {
            u.username: u for u in User.objects.filter(username__in=[s["username"] for s in specs])
        }
        missing = [s for s in specs if s["username"] not in existing]
        if missing:
            # One hash for one shared, published demo password; hashing ~150 times would cost minutes.
            password = make_password(DEMO_PASSWORD)
            User.objects.bulk_create(
                # No e-mail addresses: the seeded history fills inboxes but mails nobody.
                [User(password=password, **s) for s in missing]
            )
            self.report.did(f"{len(missing)} 个用户")
        self.users = {
            u.username: u for u in User.objects.filter(username__in=[s["username"] for s in specs])
        }

    def u(self, username: str) -> User:
        return self.users[username]

    # ---- memberships, through councils.services

    def _memberships(self) -> None:
        admin = self.u("admin")
        for username, _name, level, street, community, title in STAFF:
            user = self.u(username)
            scope = (
                {"community": self.communities[community]}
                if community
                else {"community__isnull": True}
            )
            if StaffPost.objects.filter(
                user=user, level=level, subdistrict__slug=street, ends_at__isnull=True, **scope
            ).exists():
                continue
            # The street's own staff appoint community staff; the admin appoints the street's.
            actor = admin if level == StaffLevel.SUBDISTRICT else self._street_staff(street)
            cs.staff_post_assign(
                user=user,
                actor=actor,
                level=level,
                subdistrict=self.subdistricts[street],
                community=self.communities[community] if community else None,
                title=title,
                # R23: the party secretary holds the community party organisation's post.
                kind=PostKind.PARTY if username in PARTY_POSTS else PostKind.STAFF,
            )
            self.report.did(f"岗位 {user.full_name}")
        for slug, community, _name, people, seats in GROUPS:
            group = self.groups[slug]
            staff = self._community_staff(community)
            residents = [self.users[s["username"]] for s in self._specs_of(slug)]
            self.members[slug] = residents
            for user, (_u, _n, address) in zip(residents, people, strict=True):
                if Residency.objects.filter(
                    user=user, group=group, verified_at__isnull=False, ends_at__isnull=True
                ).exists():
                    continue
                cs.residency_request(user=user, group=group, address=address)
                cs.residency_verify(resident=user, group=group, actor=staff)
            council = self.group_councils[slug]
            for n, user in enumerate(residents[:seats]):
                self._seat(council, user, staff, SeatRole.CHAIR if n == 0 else SeatRole.MEMBER)
        for slug, _street, _name, _size in COMMUNITIES:
            council = self.community_councils[slug]
            staff = self._community_staff(slug)
            prefix = "jinyang_cc" if slug == "jinyang" else f"{slug}_cc"
            members = [u for name, u in sorted(self.users.items()) if name.startswith(prefix)]
            if slug == "jinyang":
                members = [self.u("councillor"), *members]
            self.community_members[slug] = members
            for n, user in enumerate(members):
                self._seat(council, user, staff, SeatRole.CHAIR if n == 1 else SeatRole.MEMBER)
        for slug, _name, community, street, seats in BOARDS:
            board = self.boards[slug]
            actor = self._community_staff(community) if community else self._street_staff(street)
            for username, _n, title in seats:
                user = self.u(username)
                if BoardSeat.objects.filter(board=board, user=user, ends_at__isnull=True).exists():
                    continue
                cs.board_seat_assign(board=board, user=user, actor=actor, title=title)
                self.report.did(f"监事 {user.full_name}")

    def _specs_of(self, group_slug: str) -> list[dict]:
        prefix = group_slug.replace("-", "_")
        for slug, _c, _n, people, _s in GROUPS:
            if slug == group_slug:
                return [
                    {"username": username or f"{prefix}_{n:02d}"}
                    for n, (username, *_r) in enumerate(people, start=1)
                ]
        raise KeyError(group_slug)

    def _seat(self, council: Council, user: User, actor: User, role: str) -> None:
        # A seat in force (open, or an elected member's fixed term) counts as there.
        if Seat.objects.filter(council=council, user=user).exclude(ends_at__lte=timezone.now()).exists():
            return
        cs.seat_assign(council=council, user=user, actor=actor, role=role)

    def _street_staff(self, street: str) -> User:
        return self.u(
            {
                "jinyang": "streetstaff",
                "yulin": "yulin_streetstaff",
                "gongxing": "gongxing_streetstaff",
            }[street]
        )

    def _community_staff(self, community: str) -> User:
        return self.u(
            {
                "jinyang": "communitystaff",
                "yudong": "yudong_staff",
                "zhujiamiao": "zhujiamiao_staff",
            }[community]
        )

    def _note(self, made: bool, what: str) -> None:
        if made:
            self.report.did(what)

    # ---- money, through funding.services

    def _money_start(self) -> None:
        """Each community's public-service fund for every year the demo touches, and 晋阳's foundation."""
        funds = [
            ("jinyang", FundKind.PUBLIC_SERVICE, FUND_ALLOCATION, "区财政下达公服资金"),
            ("yudong", FundKind.PUBLIC_SERVICE, D("200000.00"), "区财政下达公服资金"),
            ("zhujiamiao", FundKind.PUBLIC_SERVICE, D("180000.00"), "区财政下达公服资金"),
        ]
        for year in range(self.case_year, self.today.year + 1):
            when = min(self._at_local(date(year, 1, 5), 10), self.now - timedelta(minutes=5))
            for community, kind, amount, source in funds:
                self._fund(community, year, kind, amount, source, when)
        self._fund(
            "jinyang",
            self.case_year,
            FundKind.FOUNDATION,
            D("50000.00"),
            "辖区商户联合捐赠",
            self._at_local(date(self.case_year, 1, 20), 15),
            donation=True,
        )

    def _fund(
        self, community: str, year: int, kind: str, amount, source: str, when, *, donation=False
    ):
        community_obj = self.communities[community]
        if Fund.objects.filter(community=community_obj, year=year, kind=kind).exists():
            return
        actor = self._street_staff(community_obj.subdistrict.slug)
        with self.at(when):
            fund = fs.fund_create(community=community_obj, year=year, actor=actor, kind=kind)
            if donation:
                fs.fund_donate(
                    fund=fund, actor=actor, amount=amount, donor=source, memo="用于社区公益微项目"
                )
            else:
                fs.fund_allocate(
                    fund=fund,
                    actor=actor,
                    amount=amount,
                    source=source,
                    memo=f"{year} 年度社区保障激励资金",
                )
        self.report.did(str(fund))

    # ---- proposal steps

    def _existing(self, group: str, title: str) -> Proposal | None:
        proposal = Proposal.objects.filter(group=self.groups[group], title=title).first()
        if proposal is not None:
            self.report.had(title)
        else:
            self.report.did(title)
        return proposal

    def draft(self, when, *, group, author, title, summary, lines, share, category, submit_at=None):
        with self.at(when):
            proposal = ps.proposal_create(
                author=author,
                group=self.groups[group],
                title=title,
                summary=summary,
                lines=lines,
                community_share=share,
                category=category,
            )
        if submit_at is not None:
            with self.at(submit_at):
                ps.proposal_submit(proposal=proposal, actor=author)
        return proposal

    def group_council(self, group: str) -> list[User]:
        return self.members[group][: dict((g[0], g[4]) for g in GROUPS)[group]]

    def meeting(
        self, when, *, council: Council, minutes: str, proposals=(), absent: int = 0, location=""
    ):
        """Record a meeting held at ``when`` (minutes entered 90 minutes later), with its agenda."""
        members = list(
            Seat.objects.current(when)
            .filter(council=council)
            .select_related("user")
            .order_by("role", "pk")
        )
        recorder = members[0].user
        attendees = [s.user for s in members[: len(members) - absent]]
        with self.at(when + timedelta(minutes=90)):
            meeting = cs.meeting_record(
                council=council,
                held_at=when,
                attendees=attendees,
                minutes=minutes,
                actor=recorder,
                location=location,
            )
            for proposal in proposals:
                ps.agenda_add(meeting=meeting, proposal=proposal, actor=recorder)
        return meeting

    def group_ballot(self, proposal, when, *, choices, hours=72):
        """Open the group ballot at ``when``; members vote in order with ``choices``."""
        chair, *_ = council = self.group_council(proposal.group.slug)
        with self.at(when):
            ballot = ps.group_ballot_open(
                proposal=proposal, actor=chair, closes_at=when + timedelta(hours=hours)
            )
        for n, (voter, choice) in enumerate(zip(council, choices, strict=False), start=1):
            with self.at(when + timedelta(minutes=20 * n)):
                ps.vote_cast(ballot=ballot, voter=voter, choice=choice)
        return ballot

    def notice(self, proposal, when):
        with self.at(when):
            return ps.notice_publish(
                proposal=proposal, actor=self.group_council(proposal.group.slug)[0]
            )

    def object_(self, notice, when, resident: User, text: str):
        with self.at(when):
            return ps.objection_file(notice=notice, resident=resident, text=text)

    def answer(self, objection, when, *, upheld: bool, text: str):
        with self.at(when):
            chair = self.group_council(objection.notice.proposal.group.slug)[0]
            return ps.objection_answer(objection=objection, actor=chair, upheld=upheld, answer=text)

    def to_community(self, proposal, when):
        with self.at(when):
            return ps.proposal_submit_to_community(
                proposal=proposal, actor=self.group_council(proposal.group.slug)[0]
            )

    def community_ballot(
        self,
        proposal,
        when,
        *,
        approve,
        oppose=0,
        abstain=0,
        days=7,
        close=True,
        skip=(),
        spread_hours=72,
    ):
        """Open the community ballot at ``when`` and let members vote over the following days.

        ``skip``: usernames that do not vote (``councillor`` keeps an open vote in the demo).
        With ``close`` the system closes the ballot one minute after its deadline.
        """
        community = proposal.group.community.slug
        staff = self._community_staff(community)
        with self.at(when):
            ballot = ps.community_ballot_open(
                proposal=proposal, actor=staff, closes_at=when + timedelta(days=days)
            )
        voters = [m for m in self.community_members[community] if m.username not in skip]
        choices = [AP] * approve + [OP] * oppose + [AB] * abstain
        assert len(choices) <= len(voters), "more votes than voters"
        span = spread_hours * 60  # minutes: most members vote in the first days
        for n, (voter, choice) in enumerate(zip(voters, choices, strict=False)):
            with self.at(when + timedelta(minutes=30 + n * span // max(len(choices), 1))):
                ps.vote_cast(ballot=ballot, voter=voter, choice=choice)
        if close:
            with self.at(ballot.closes_at + timedelta(minutes=1)):
                ps.ballot_close(ballot=ballot)
        return ballot

    def adopted_and_noticed(self, proposal, when, *, group_choices=(AP, AP, AP, AP, AP)):
        """Group ballot at ``when`` (all vote, so it closes itself), notice the next morning."""
        self.group_ballot(proposal, when, choices=group_choices)
        proposal.refresh_from_db()
        return self.notice(proposal, self._next_morning(when))

    def _next_morning(self, when: datetime) -> datetime:
        return self._at_local(timezone.localtime(when, self.tz).date() + timedelta(days=1), 9)

    def approved(self, proposal, start: datetime, *, approve=28, oppose=3, abstain=2):
        """From GROUP_REVIEW to APPROVED: group ballot, a full notice, community vote closed at its deadline."""
        notice = self.adopted_and_noticed(proposal, start)
        self.to_community(proposal, notice.ends_at + timedelta(hours=1))
        self.community_ballot(
            proposal,
            notice.ends_at + timedelta(days=1),
            approve=approve,
            oppose=oppose,
            abstain=abstain,
        )
        proposal.refresh_from_db()
        return proposal

    # ---- the cases

    def _case_back_gate(self) -> None:
        """北苑: the real case, all the way from a resident's draft to the final accounts."""
        if self._existing("beiyuan", BACK_GATE_TITLE):
            return
        by = self.members["beiyuan"]
        gc = self.group_councils["beiyuan"]
        p = self.draft(
            self.case(2, 24, 10),
            group="beiyuan",
            author=self.u("resident2"),
            title=BACK_GATE_TITLE,
            summary=(
                "北苑后门门体锈蚀、门禁失灵，夜间常有外来人员进出；消防通道被杂物和车辆占用，"
                "消防车无法通行；西侧围墙低矮，曾发生翻墙盗窃。建议：更换后门门体并加装门禁，"
                "清理并划定消防通道、设置标识，沿西侧围墙安装防盗刺 100 米。"
                "总预算 36 000 元，申请公服资金 18 000 元，其余 18 000 元由受益住户自筹。"
            ),
            lines=BACK_GATE_LINES,
            share=BACK_GATE_SHARE,
            category=Category.SAFETY,
            submit_at=self.case(2, 24, 11),
        )
        self.meeting(
            self.case(3, 2, 19, 30),
            council=gc,
            location="北苑小区活动室",
            proposals=[p],
            minutes=(
                "议题：北苑后门维修、消防通道整治及围墙防盗刺。刘志强介绍议案；与会成员实地查看后门和西侧围墙。"
                "讨论自筹办法：按户自愿、每户 500 元为宜，困难户由议事会协调。会议同意提请小组表决。"
            ),
        )
        self.group_ballot(p, self.case(3, 2, 21, 10), choices=[AP, AP, AP, AP, AP])
        p.refresh_from_db()
        notice = self.notice(p, self.case(3, 4, 9))
        objection = self.object_(
            notice,
            self.case(3, 6, 20, 15),
            by[11],
            "围墙防盗刺会不会伤到翻墙玩耍的小孩？建议换成不伤人的款式。",
        )
        self.answer(
            objection,
            self.case(3, 7, 18),
            upheld=False,
            text=(
                "感谢提醒。防盗刺安装在 2.2 米以上，并每隔 10 米设置警示牌；选用钝头款式，不会造成划伤。"
                "此项安排不改变决议内容，故不予采纳。"
            ),
        )
        # Households start paying once the resolution is adopted: half of them during the notice.
        self.contributions(
            p,
            self.case(3, 8, 9),
            self._back_gate_households()[:18],
            prefix="BY2026",
            actor=self.members["beiyuan"][2],
        )
        self.to_community(p, self.case(3, 12, 10))
        self.meeting(
            self.case(3, 13, 14, 30),
            council=self.community_councils["jinyang"],
            location="晋阳社区会议室",
            proposals=[p],
            absent=4,
            minutes=(
                "北苑小区议事会召集人张桂兰汇报北苑后门维修等三项内容及公示情况（公示期内异议 1 条，已答复）。"
                "会后在线表决，为期 7 天。"
            ),
        )
        # 31 approve of 37: more than two thirds (25 needed).
        self.community_ballot(p, self.case(3, 13, 16, 30), approve=31, oppose=2, abstain=2)
        p.refresh_from_db()
        self._back_gate_money(p)

    def contributions(
        self,
        proposal,
        start: datetime,
        households,
        *,
        prefix: str,
        actor: User,
        first=1,
        step=timedelta(hours=5),
    ):
        """Record ``households`` [(payer, amount)] one after another from ``start``."""
        for n, (payer, amount) in enumerate(households):
            when = start + n * step
            with self.at(when):
                fs.contribution_record(
                    proposal=proposal,
                    actor=actor,
                    payer=payer,
                    amount=amount,
                    receipt_no=f"{prefix}-{first + n:03d}",
                    paid_on=timezone.localtime(when, self.tz).date(),
                )

    @staticmethod
    def households(count: int, *, buildings=range(1, 7), skip=()) -> list[str]:
        """``count`` household addresses like "3栋2单元101" (building, unit, floor, door)."""
        out = []
        for b, unit, floor, door in itertools.product(buildings, (1, 2, 3), range(1, 7), (1, 2)):
            address = f"{b}栋{unit}单元{floor}0{door}"
            if address not in skip:
                out.append(address)
        # Spread over buildings instead of filling one stairwell first.
        return [out[(n * 37) % len(out)] for n in range(count)]

    def _back_gate_households(self) -> list[tuple[str, Decimal]]:
        """36 households paying 500 yuan each: the registered residents' flats, then neighbours."""
        named = [f"{addr} {name}户" for _u, name, addr in BEIYUAN]
        others = [
            f"{a}户" for a in self.households(36 - len(named), skip={a for *_x, a in BEIYUAN})
        ]
        return [(payer, D("500.00")) for payer in named + others]

    def _back_gate_money(self, proposal) -> None:
        """From budget review to the final accounts: the numbers of the real case."""
        p = proposal
        by = self.members["beiyuan"]
        chair, treasurer = self.u("groupchair"), by[2]  # 陈淑珍 keeps the receipts
        households = self._back_gate_households()
        with self.at(self.case(3, 25, 10)):
            fs.budget_approve(
                proposal=p,
                reviewer=self.u("streetstaff"),
                note="预算明细与市场价相符，同意核定公服资金 18 000 元，其余由居民自筹。",
            )
        self.contributions(
            p,
            self.case(3, 26, 9),
            households[18:],
            prefix="BY2026",
            actor=treasurer,
            first=19,
            step=timedelta(hours=3),
        )
        gc = self.group_councils["beiyuan"]
        self.meeting(
            self.case(3, 28, 19, 30),
            council=gc,
            location="北苑小区活动室",
            proposals=[p],
            minutes=(
                "通报自筹资金收缴情况：36 户已缴清 18 000 元，收据存根由陈淑珍保管，缴款明细在公示栏张贴。"
                "讨论比选办法：邀请三家施工方报价，比选小组由小组议事会成员和廉情监督员组成。"
            ),
        )
        with self.at(self.case(4, 9, 16)):
            hold = ps.hold_place(
                proposal=p,
                supervisor=self.u("supervisor"),
                reason="拨付前请在北苑公示栏公示自筹资金缴款明细，供居民核对。",
            )
        with self.at(self.case(4, 10, 11)):
            ps.hold_lift(
                hold=hold,
                actor=self.u("supervisor"),
                reason="缴款明细已于 4 月 10 日张贴，经现场核对 36 户收据无误，解除暂停。",
            )
        with self.at(self.case(4, 13, 10)):
            fs.funds_release(proposal=p, actor=self.u("jinyang_finance"))
        for n, (contractor, amount) in enumerate(BACK_GATE_BIDS):
            with self.at(self.case(4, 16 + n, 15)):
                fs.bid_record(
                    proposal=p,
                    actor=chair,
                    contractor=contractor,
                    amount=amount,
                    notes="含材料、人工和一年保修",
                )
        self.meeting(
            self.case(4, 20, 19, 30),
            council=gc,
            location="北苑小区活动室",
            proposals=[p],
            minutes=(
                "比选会：三家报价分别为 35 800 元、34 500 元、36 000 元。比选小组（张桂兰、李建国、陈淑珍，"
                "廉情监督员吴淑芬到场）一致同意选择报价最低的武侯区宏达市政维修部。"
            ),
        )
        lowest = min(p.bids.all(), key=lambda b: b.amount)
        with self.at(self.case(4, 20, 21, 30)):
            fs.bid_select(
                bid=lowest,
                actor=chair,
                panel=[chair, self.u("groupmember"), treasurer, self.u("lianqing")],
            )
        self.meeting(
            self.case(5, 15, 19, 30),
            council=gc,
            location="北苑后门",
            proposals=[p],
            minutes=(
                "现场查看施工进度：后门门体已更换，消防通道清障完成，防盗刺安装过半。居民反映施工噪声，"
                "与施工方约定 12:00—14:00 停工。"
            ),
        )
        with self.at(self.case(5, 16, 10)):
            ps.opinion_record(
                proposal=p,
                supervisor=self.u("supervisor"),
                text="现场检查：防盗刺安装高度 2.2 米以上，警示牌已设置，与决议一致。",
            )
        self.meeting(
            self.case(6, 6, 9, 30),
            council=gc,
            location="北苑后门",
            proposals=[p],
            minutes=(
                "验收：后门、门禁、消防通道标线和防盗刺逐项验收合格，到场居民代表 12 人均表示满意。"
            ),
        )
        with self.at(self.case(6, 6, 11, 30)):
            fs.acceptance_record(
                proposal=p,
                actor=chair,
                passed=True,
                satisfaction=Satisfaction.SATISFIED,
                notes="三项工程全部完成，质量合格；居民代表 12 人到场，均表示满意。",
                supervisor=self.u("lianqing"),
            )
        with self.at(self.case(6, 15, 10)):
            fs.settlement_record(proposal=p, actor=chair, actual_cost=BACK_GATE_ACTUAL)
        self.meeting(
            self.case(6, 20, 19, 30),
            council=gc,
            location="北苑小区活动室",
            proposals=[p],
            minutes=(
                "决算公示：实际支出 34 500 元，结余 1 500 元，其中 750 元退回社区公服资金，"
                "750 元按缴款比例退还 36 户居民。决算表在公示栏张贴 7 天。"
            ),
        )
        with self.at(self.case(6, 21, 9)):
            ps.opinion_record(
                proposal=p,
                supervisor=self.u("discipline"),
                text="决算资料齐全，结余已退回公服资金账户，居民退款清单已公示。",
            )
        # 30 households collected their refund at the office; six have not yet.
        refunds = list(Settlement.objects.get(proposal=p).refunds.order_by("pk"))
        for n, refund in enumerate(refunds[:30]):
            with self.at(self.case(6, 22, 9) + timedelta(minutes=10 * n)):
                fs.refund_pay(refund=refund, actor=treasurer, paid_on=self.case(6, 22, 9))
        for n, (resident, stars, comment) in enumerate(
            [
                (by[6], 5, "后门终于能锁上了，晚上安心多了。"),
                (by[7], 5, "消防通道畅通，停车也规矩了。"),
                (by[9], 4, "总体满意，防盗刺警示牌可以再多装两块。"),
                (by[10], 5, "议事会每一步都公示，钱花得明白。"),
                (by[13], 4, "施工期间噪声有点大，结果很好。"),
            ]
        ):
            with self.at(self.case(6, 23, 10) + timedelta(hours=3 * n)):
                ps.rating_record(proposal=p, resident=resident, stars=stars, comment=comment)

    def _case_withdrawn(self) -> None:
        title = "北苑健身器材更换"
        if self._existing("beiyuan", title):
            return
        author = self.members["beiyuan"][7]
        p = self.draft(
            self.day(-60, 10),
            group="beiyuan",
            author=author,
            title=title,
            summary=("中庭健身器材老化，漫步机和扭腰器已损坏，建议更换 6 件。"),
            lines=[("户外健身器材", D("6"), "件", D("2500.00"))],
            share=D("7500.00"),
            category=Category.CULTURE,
            submit_at=self.day(-60, 11),
        )
        with self.at(self.day(-52, 16)):
            ps.proposal_withdraw(
                proposal=p,
                actor=author,
                reason=(
                    "物业公司已同意按合同承担健身器材的维修更换费用，本议案撤回，不再使用公服资金。"
                ),
            )

    def _case_rejected(self) -> None:
        title = "南苑地面停车位重新划线及加装收费道闸"
        if self._existing("nanyuan", title):
            return
        p = self.draft(
            self.day(-45, 10),
            group="nanyuan",
            author=self.members["nanyuan"][5],
            title=title,
            summary=(
                "南苑地面车位划线不清，外来车辆长期占用。建议重新划线并加装收费道闸，"
                "收费用于道闸维护。"
            ),
            lines=[
                ("车牌识别道闸系统", D("1"), "套", D("26000.00")),
                ("车位重新划线", D("800"), "米", D("6.00")),
            ],
            share=D("15400.00"),
            category=Category.INFRASTRUCTURE,
            submit_at=self.day(-45, 11),
        )
        # 20 approve of 37 is short of two thirds (25): the system closes it as rejected.
        self.approved(p, self.day(-43, 19, 30), approve=20, oppose=10, abstain=4)

    def _case_approved(self) -> None:
        title = "北苑垃圾分类亭改造"
        if self._existing("beiyuan", title):
            return
        p = self.draft(
            self.day(-40, 9, 30),
            group="beiyuan",
            author=self.members["beiyuan"][8],
            title=title,
            summary=(
                "现有垃圾桶露天摆放，夏季异味重、雨天污水横流。建议新建两座带顶棚和洗手池的分类亭，"
                "并硬化周边地面。"
            ),
            lines=[
                ("垃圾分类亭（含顶棚、洗手池）", D("2"), "座", D("6500.00")),
                ("周边地面硬化", D("20"), "平方米", D("150.00")),
            ],
            share=D("8000.00"),
            category=Category.ENVIRONMENT,
            submit_at=self.day(-40, 10),
        )
        self.approved(p, self.day(-38, 19, 30), approve=28, oppose=3, abstain=2)

    def _case_pipes(self) -> None:
        """北苑 drains: money released, contractor chosen (not the lowest, with the reason): in progress."""
        title = "北苑雨污管网疏通及破损管道更换"
        if self._existing("beiyuan", title):
            return
        by = self.members["beiyuan"]
        p = self.draft(
            self.day(-75, 10),
            group="beiyuan",
            author=by[14],
            title=title,
            summary=(
                "每逢大雨 2 栋、4 栋之间的雨污管道倒灌，化粪池外溢。建议全面疏通雨污管网，"
                "更换破损管道约 30 米。"
            ),
            lines=[
                ("雨污管网疏通（含 CCTV 检测）", D("1"), "项", D("9000.00")),
                ("破损管道更换", D("30"), "米", D("200.00")),
            ],
            share=D("7500.00"),
            category=Category.ENVIRONMENT,
            submit_at=self.day(-75, 11),
        )
        self.approved(p, self.day(-73, 19, 30), approve=30, oppose=1, abstain=3)
        with self.at(self.day(-56, 10)):
            fs.budget_approve(proposal=p, reviewer=self.u("streetstaff"), note="同意。")
        households = [(f"{a}户", D("500.00")) for a in self.households(15)]
        self.contributions(p, self.day(-55, 9), households, prefix="BYGW", actor=by[2])
        with self.at(self.day(-45, 10)):
            fs.funds_release(proposal=p, actor=self.u("jinyang_finance"))
        chair = self.u("groupchair")
        for n, (contractor, amount, notes) in enumerate(
            [
                ("成都市政管道疏通有限公司", D("13800.00"), "不含施工前后管道检测"),
                ("武侯区通达管道工程部", D("14200.00"), "含施工前后 CCTV 检测报告"),
                ("四川清源环境工程有限公司", D("14900.00"), "含检测，工期 20 天"),
            ]
        ):
            with self.at(self.day(-43 + n, 15)):
                fs.bid_record(
                    proposal=p, actor=chair, contractor=contractor, amount=amount, notes=notes
                )
        second = sorted(p.bids.all(), key=lambda b: b.amount)[1]
        with self.at(self.day(-39, 21)):
            fs.bid_select(
                bid=second,
                actor=chair,
                panel=[chair, by[3], self.u("supervisor")],
                reason=(
                    "最低报价不含施工前后的管道 CCTV 检测，无法证明疏通效果；议事会决定选择报价第二低、"
                    "提供检测报告的武侯区通达管道工程部，多出 400 元。"
                ),
            )

    def _case_bike_shed(self) -> None:
        """北苑 bike shed: budget approved, self-raised money still short, so release is refused."""
        title = "北苑自行车棚修缮"
        if self._existing("beiyuan", title):
            return
        by = self.members["beiyuan"]
        p = self.draft(
            self.day(-35, 10),
            group="beiyuan",
            author=by[15],
            title=title,
            summary=("自行车棚顶棚破损漏雨，钢架锈蚀。建议更换顶棚 60 平方米，钢架除锈刷漆。"),
            lines=[
                ("车棚顶棚更换", D("60"), "平方米", D("180.00")),
                ("钢架除锈刷漆", D("1"), "项", D("2200.00")),
            ],
            share=D("6500.00"),
            category=Category.INFRASTRUCTURE,
            submit_at=self.day(-35, 11),
        )
        self.approved(p, self.day(-33, 19, 30), approve=29, oppose=2, abstain=3)
        with self.at(self.day(-10, 10)):
            fs.budget_approve(
                proposal=p,
                reviewer=self.u("streetstaff"),
                note="同意核定公服资金 6 500 元；自筹资金到位后拨付。",
            )
        households = [(f"{a}户", D("500.00")) for a in self.households(6, buildings=(2, 5))]
        households.append(("5栋3单元601户", D("200.00")))
        self.contributions(
            p, self.day(-9, 9), households, prefix="BYCP", actor=by[2], step=timedelta(hours=20)
        )

    def _case_submitted(self) -> None:
        """南苑 lights: an upheld objection sent it back; the revised resolution ran a fresh notice."""
        title = "南苑楼道声控灯改造"
        if self._existing("nanyuan", title):
            return
        nanyuan = self.members["nanyuan"]
        p = self.draft(
            self.day(-32, 10),
            group="nanyuan",
            author=nanyuan[6],
            title=title,
            summary=("南苑 8—11 栋楼道照明老化，多处不亮。建议更换为 LED 声控灯并改造线路。"),
            lines=[
                ("LED 声控灯", D("48"), "盏", D("120.00")),
                ("楼道线路改造", D("1"), "项", D("4800.00")),
            ],
            share=D("5280.00"),
            category=Category.INFRASTRUCTURE,
            submit_at=self.day(-32, 11),
        )
        first = self.adopted_and_noticed(p, self.day(-31, 19, 30))
        objection = self.object_(
            first,
            self.day(-29, 20),
            nanyuan[9],
            "只换楼道里的灯不够，8 栋和 10 栋单元门口一到晚上漆黑，老人摔过跤，应一并安装。",
        )
        self.answer(
            objection,
            self.day(-28, 19),
            upheld=True,
            text=(
                "异议成立。议事会决定在 8 栋、10 栋各单元门口增加 8 盏声控灯，修改预算后重新表决并重新公示。"
            ),
        )
        with self.at(self.day(-27, 10)):
            ps.proposal_update(
                proposal=p,
                actor=self.group_council("nanyuan")[0],
                title=title,
                summary=p.summary + "（根据公示期异议，增加单元门口声控灯 8 盏。）",
                lines=[
                    ("LED 声控灯", D("56"), "盏", D("120.00")),
                    ("楼道线路改造", D("1"), "项", D("4800.00")),
                ],
                community_share=D("5760.00"),
                category=Category.INFRASTRUCTURE,
            )
        self.group_ballot(p, self.day(-14, 19, 30), choices=[AP, AP, AP, AP, OP])
        p.refresh_from_db()
        notice = self.notice(p, self.day(-13, 9))
        self.to_community(p, notice.ends_at + timedelta(days=1, hours=1))

    def _case_notice(self) -> None:
        """北苑 greening: notice running; one objection answered, one still open."""
        title = "北苑中庭绿化补植"
        if self._existing("beiyuan", title):
            return
        by = self.members["beiyuan"]
        p = self.draft(
            self.day(-9, 10),
            group="beiyuan",
            author=by[9],
            title=title,
            summary=(
                "中庭草坪斑秃、桂花树枯死两棵。建议补植桂花树 8 棵、草坪 120 平方米，并请专业队伍养护一年。"
            ),
            lines=[
                ("桂花树（胸径 8 厘米）", D("8"), "棵", D("600.00")),
                ("草坪补植", D("120"), "平方米", D("35.00")),
                ("人工及一年养护", D("1"), "项", D("1500.00")),
            ],
            share=D("5000.00"),
            category=Category.GREENING,
            submit_at=self.day(-9, 11),
        )
        notice = self.adopted_and_noticed(
            p, self.day(-5, 19, 30), group_choices=[AP, AP, AP, AB, AP]
        )
        answered = self.object_(
            notice, self.day(-3, 8, 40), by[12], "桂花树会不会挡住 4 栋一楼的采光？"
        )
        self.answer(
            answered,
            self.day(-2, 19),
            upheld=False,
            text=("桂花树种在中庭中央，距 4 栋外墙 9 米以上，不影响一楼采光。不予采纳。"),
        )
        self.object_(
            notice,
            self.day(-1, 21, 5),
            by[16],
            "养护一年 1500 元偏高，能否由居民志愿者轮流浇水，把这笔钱省下来？",
        )

    def _case_community_vote(self) -> None:
        """南苑 door entry: community ballot open; 20 of 37 voted, `councillor` has not."""
        title = "南苑单元门禁维修"
        if self._existing("nanyuan", title):
            return
        p = self.draft(
            self.day(-20, 10),
            group="nanyuan",
            author=self.members["nanyuan"][7],
            title=title,
            summary="南苑 6 个单元门禁主机损坏，单元门常开。建议更换门禁主机并调试。",
            lines=[
                ("单元门禁主机", D("6"), "台", D("2200.00")),
                ("安装调试", D("1"), "项", D("1800.00")),
            ],
            share=D("7500.00"),
            category=Category.SAFETY,
            submit_at=self.day(-20, 11),
        )
        notice = self.adopted_and_noticed(p, self.day(-12, 19, 30))
        self.to_community(p, notice.ends_at + timedelta(hours=2))
        self.community_ballot(
            p,
            self.day(-2, 10),
            approve=17,
            oppose=2,
            abstain=1,
            close=False,
            skip={"councillor"},
            days=7,
            spread_hours=20,
        )

    def _case_group_ballot(self) -> None:
        """北苑 e-bike chargers: group ballot open; 2 of 5 approve, `groupmember` has not voted."""
        title = "北苑电动自行车集中充电桩"
        if self._existing("beiyuan", title):
            return
        p = self.draft(
            self.day(-10, 10),
            group="beiyuan",
            author=self.u("resident2"),
            title=title,
            summary=(
                "楼道里给电动车充电有火灾隐患。建议在北苑东侧空地建集中充电棚，安装智能充电桩 10 个，"
                "按次收费用于日常维护。"
            ),
            lines=[
                ("智能充电桩（10 路）", D("10"), "个", D("1800.00")),
                ("电缆及施工", D("1"), "项", D("6000.00")),
                ("充电棚雨棚", D("1"), "项", D("4000.00")),
            ],
            share=D("14000.00"),
            category=Category.SAFETY,
            submit_at=self.day(-10, 11),
        )
        self.meeting(
            self.day(-3, 19, 30),
            council=self.group_councils["beiyuan"],
            location="北苑小区活动室",
            proposals=[p],
            absent=1,
            minutes=(
                "讨论电动自行车集中充电桩。消防部门建议远离住宅楼 6 米以上；选址东侧空地。"
                "会议同意发起小组表决，截止时间三天后。"
            ),
        )
        chair = self.u("groupchair")
        with self.at(self.day(-1, 20)):
            ballot = ps.group_ballot_open(proposal=p, actor=chair, closes_at=self.day(2, 20))
        for n, voter in enumerate([chair, self.members["beiyuan"][2]], start=1):
            with self.at(self.day(-1, 20, 10 * n)):
                ps.vote_cast(ballot=ballot, voter=voter, choice=AP)

    def _case_draft(self) -> None:
        title = "3栋楼道加装扶手"
        if self._existing("beiyuan", title):
            return
        self.draft(
            self.day(-2, 15),
            group="beiyuan",
            author=self.u("resident"),
            title=title,
            summary=("3 栋没有电梯，老年人上下楼很吃力。建议在 1—6 楼楼道加装不锈钢扶手。"),
            lines=[
                ("不锈钢扶手", D("60"), "米", D("150.00")),
                ("安装及辅材", D("1"), "项", D("1500.00")),
            ],
            share=D("5250.00"),
            category=Category.ELDERLY,
        )

    def _case_yudong(self) -> None:
        title = "玉林北路2号院雨棚更换"
        if self._existing("yulin-beilu-2", title):
            return
        p = self.draft(
            self.day(-8, 10),
            group="yulin-beilu-2",
            author=self.u("yudong_resident"),
            title=title,
            summary="院内自行车棚雨棚破损漏雨，建议更换阳光板雨棚 40 平方米。",
            lines=[("阳光板雨棚", D("40"), "平方米", D("220.00"))],
            share=D("4400.00"),
            category=Category.INFRASTRUCTURE,
            submit_at=self.day(-8, 11),
        )
        self.adopted_and_noticed(p, self.day(-4, 19, 30), group_choices=[AP, AP, AP])

    def _case_jinheyuan(self) -> None:
        title = "金河苑太阳能路灯更换"
        if self._existing("jinheyuan", title):
            return
        self.draft(
            self.day(-6, 10),
            group="jinheyuan",
            author=self.members["jinheyuan"][3],
            title=title,
            summary="金河苑内 12 盏路灯损坏，建议更换为太阳能路灯，免去电费。",
            lines=[("太阳能路灯", D("12"), "盏", D("950.00"))],
            share=D("5700.00"),
            category=Category.INFRASTRUCTURE,
            submit_at=self.day(-6, 11),
        )


def seed_demo(*, now: datetime | None = None) -> DemoReport:
    """Build (or complete) the demo world; see the module docstring."""
    return DemoBuilder(now=now).build()
