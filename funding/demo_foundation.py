"""Demo world: 晋阳社区's community foundation over its year (R21).

Called with one line from ``portal.demo.DemoBuilder.build``. A year of donations
(residents, a local unit, an enterprise, anonymous givers; money for the elderly
and free money; one duplicate reversed), two 南苑 projects paid from the
foundation (one with the elderly money), a micro-grant call for cultural
activities funded by the money a school gave for culture, and the monthly
public accounts of every month that has ended. Every step goes through the services at its own
time; a step that would fall after "now" is left out, and running it again
adds nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from proposals.enums import Category

from . import services as fs
from .enums import DonationMethod, DonorKind, FundKind
from .foundation import foundation_settings_update, monthly_account_post
from .models import Donation, Fund

D = Decimal
R, O, U, E, A = (DonorKind.RESIDENT, DonorKind.ORGANISATION, DonorKind.LOCAL_UNIT, DonorKind.ENTERPRISE,
                 DonorKind.ANONYMOUS)
CASH, TRANSFER, QR = DonationMethod.CASH, DonationMethod.TRANSFER, DonationMethod.COLLECTION

# (month, day, kind, name, amount, method, consent, purpose)
DONATIONS = [
    (1, 25, R, "张秀英", "200.00", CASH, True, None),
    (2, 3, E, "四川晋阳商贸有限公司", "5000.00", TRANSFER, True, None),
    (3, 8, R, "王建国", "300.00", QR, False, None),
    (3, 9, R, "王建国", "300.00", QR, False, None),  # entered twice by mistake: reversed below
    (4, 12, U, "成都市武侯区晋阳小学", "1500.00", TRANSFER, True, Category.CULTURE),
    (5, 20, A, "", "100.00", CASH, False, None),
    (6, 6, E, "四川蜀味餐饮有限公司", "3000.00", TRANSFER, True, Category.ELDERLY),
    (7, 1, R, "李桂芳", "500.00", CASH, False, Category.ELDERLY),
    (8, 9, O, "晋阳社区志愿者协会", "680.00", QR, True, None),
    (9, 10, U, "晋阳社区卫生服务中心", "800.00", TRANSFER, True, Category.ELDERLY),
    (10, 18, A, "", "66.60", QR, False, None),
    (11, 5, R, "赵丽", "150.50", CASH, True, None),
    (12, 2, R, "陈德明", "1000.00", TRANSFER, True, Category.GREENING),
]

PURPOSE_TEXT = (
    "晋阳社区基金由居民、驻区单位和辖区企业捐赠设立，用于居民议事会议定的社区公益项目："
    "为老服务、院落微更新、文体活动。指定用途的捐赠只用于指定的用途。"
)
GIVING_TEXT = (
    "对公账户：晋阳社区基金（代管：晋阳社区居民委员会）\n开户行：成都银行晋阳支行\n"
    "现金捐赠请到社区党群服务中心一楼，工作人员当场开具收据。"
)


def seed_foundation(b) -> Fund | None:
    """Fill 晋阳's foundation of the demo's case year (``b``: the ``portal.demo.DemoBuilder``)."""
    community = b.communities["jinyang"]
    fund = Fund.objects.filter(community=community, year=b.case_year, kind=FundKind.FOUNDATION).first()
    if fund is None:
        return None
    staff = b.u("communitystaff")
    end = min(b.now - timedelta(hours=1), b._at_local(date(b.case_year, 12, 20), 18))
    if not fund.purpose_text:
        with b.at(b.case(1, 21, 10)):
            foundation_settings_update(fund=fund, actor=staff, purpose_text=PURPOSE_TEXT, giving_text=GIVING_TEXT,
                                       giving_qr_text="https://qr.example.cn/jinyang-foundation")
    if Donation.objects.filter(fund=fund).exists():
        b.report.had(f"{fund} donations")
        return fund
    # Each ledger step at its own time, in time order across donations, projects and accounts,
    # so the fund's chain runs forward (seq order = time order).
    steps = _donations(b, fund, staff, end) + _projects(b, fund, end) + _culture_call(b, fund, staff, end)
    steps += _accounts(b, fund)
    for when, step in sorted(steps, key=lambda s: s[0]):
        with b.at(when):
            step()
    b.report.did(f"{fund} donations")
    return fund


def _donations(b, fund, staff, end) -> list:
    steps, made = [], {}
    for month, day, kind, name, amount, method, consent, purpose in DONATIONS:
        when = b.case(month, day, 10)
        if when > end:
            break

        def record(when=when, kind=kind, name=name, amount=amount, method=method, consent=consent,
                   purpose=purpose, key=(month, day)):
            made[key] = fs.donation_record(
                fund=fund, actor=staff, donor_kind=kind, donor_name=name, amount=amount, method=method,
                paid_on=timezone.localtime(when, b.tz).date(), publish_name=consent, purpose=purpose,
            )

        steps.append((when, record))
        if (month, day) == (3, 9):
            steps.append((when + timedelta(hours=3), lambda: fs.donation_reverse(
                donation=made[(3, 9)], actor=staff, reason="同一笔捐款重复登记，冲正第二笔。")))
    return steps


def _projects(b, fund, end) -> list:
    """Two 南苑 projects paid from the foundation: approved now, their money steps returned as timed steps."""
    by = b.members["nanyuan"]
    projects = [
        ("南苑老年活动室适老化改造", Category.ELDERLY, 75,
         "活动室地面湿滑、没有扶手，老人上下台阶不便。建议铺防滑地胶、安装扶手和坡道。",
         [("防滑地胶", D("60"), "平方米", D("120.00")), ("不锈钢扶手及坡道", D("1"), "项", D("4800.00"))],
         D("6000.00")),
        ("南苑院落微花园", Category.GREENING, 60,
         "南苑 3 栋前的空地长期堆放杂物。建议清理后建成居民共同打理的微花园。",
         [("杂物清运与土方", D("1"), "项", D("1800.00")), ("花木及种植池", D("1"), "项", D("4200.00"))],
         D("3000.00")),
    ]
    steps = []
    for n, (title, category, days_before, summary, lines, share) in enumerate(projects):
        start = end - timedelta(days=days_before)
        if start < b._at_local(date(b.case_year, 3, 1), 9) or b._existing("nanyuan", title):
            continue
        p = b.draft(start, group="nanyuan", author=by[5 + n], title=title, summary=summary, lines=lines,
                    share=share, category=category, submit_at=start + timedelta(hours=1))
        b.approved(p, start + timedelta(days=2, hours=10), approve=30, oppose=2, abstain=2)
        total = sum((q * price for _i, q, _u, price in lines), D("0"))
        households = [(f"南苑{a}户", D("500.00")) for a in b.households(int((total - share) / 500))]
        steps.append((start + timedelta(days=30), lambda p=p: fs.budget_approve(
            proposal=p, reviewer=b.u("streetstaff"), fund=fund, note="由社区基金支付社区部分。")))
        for k, (payer, amount) in enumerate(households):
            when = start + timedelta(days=31, hours=5 * k)
            steps.append((when, lambda p=p, payer=payer, amount=amount, when=when, k=k: fs.contribution_record(
                proposal=p, actor=by[1], payer=payer, amount=amount, receipt_no=f"NYJJ{n + 1}-{k + 1:03d}",
                paid_on=timezone.localtime(when, b.tz).date())))
        steps.append((start + timedelta(days=40), lambda p=p: fs.funds_release(
            proposal=p, actor=b.u("jinyang_finance"))))
    return steps


def _culture_call(b, fund, staff, end) -> list:
    """A micro-grant call for cultural activities whose pool is the 1500 yuan given for culture (R19 × R21)."""
    when = b.case(10, 8, 10)
    if when > end:
        return []

    def open_call():
        from grants.services import grant_call_open

        close = when + timedelta(days=14)
        grant_call_open(
            community=fund.community, fund=fund, actor=staff, title="晋阳社区文体活动微创投", pool="1500.00",
            cap="750.00", applications_close=close, ends_on=date(fund.year, 12, 31), purpose=Category.CULTURE,
        )

    return [(when, open_call)]


def _accounts(b, fund) -> list:
    """Post every month of the fund's year that has ended by now, on the 1st of the next month at 06:00."""
    steps = []
    for month in range(1, 13):
        first = date(fund.year, month, 1)
        posted_at = b._at_local(date(fund.year + (month == 12), month % 12 + 1, 1), 6)
        if posted_at > b.now:
            break
        steps.append((posted_at, lambda first=first: monthly_account_post(fund=fund, month=first)))
    return steps
