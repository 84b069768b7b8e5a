"""Fund-calendar warnings to street-office staff (scheduled daily by celery beat).

The public-service fund (公服资金) has a yearly rhythm the street office must
keep. ``FUND_CALENDAR`` holds its dates (month, day, Asia/Shanghai); staff of
each subdistrict are warned from ``FUND_CALENDAR_LEAD_DAYS`` days ahead until
the day itself, once per person, date and year. Both can be overridden in
settings (``FUND_CALENDAR``, ``FUND_CALENDAR_LEAD_DAYS``); docs/operations.md
lists them. The warning is a reminder only: no rule depends on it.
"""

from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from councils.models import Subdistrict
from notifications.services import FundDate, fund_calendar_warn

from .ledger import fund_sums
from .models import Fund
from .selectors import current_year, fund_for, money

FUND_CALENDAR = (
    FundDate(
        "allocation", 3, 31, gettext_lazy("%(date)s：年度公服资金下达"),
        gettext_lazy("%(date)s 前要把今年的公服资金拨入各社区的资金账户（还有 %(days)d 天）。"
                     "没有账户或没有拨入资金的社区，预算审核会因余额不足被拒绝。"),
    ),
    FundDate(
        "audit", 11, 30, gettext_lazy("%(date)s：年度资金使用审计"),
        gettext_lazy("%(date)s 前完成今年公服资金的使用审计（还有 %(days)d 天）：核对每个社区的资金流水、"
                     "已拨付项目的验收和决算，可在资金页面导出流水。"),
    ),
    FundDate(
        "unspent_return", 12, 20, gettext_lazy("%(date)s：未使用结余资金清理"),
        gettext_lazy("%(date)s 前清理今年未使用的公服资金结余（还有 %(days)d 天），按规定收回或结转。"),
    ),
)
FUND_CALENDAR_LEAD_DAYS = 14


def _details(code: str, subdistrict: Subdistrict) -> str:
    """What each date concerns in this subdistrict, read from the funds."""
    year = current_year()
    communities = list(subdistrict.communities.order_by("name"))
    if code == "allocation":
        missing = [c.name for c in communities if fund_for(c, year) is None]
        if missing:
            return _("还没有 %(year)d 年资金账户的社区：%(names)s。") % {"year": year, "names": "、".join(missing)}
        return ""
    lines = []
    for fund in Fund.objects.filter(community__in=communities, year=year).select_related("community"):
        balance, reserved = fund_sums(fund)
        if code == "unspent_return" and balance - reserved > 0:
            lines.append(
                _("%(community)s：可用结余 %(available)s 元（另有 %(reserved)s 元已为项目预留）。")
                % {"community": fund.community.name, "available": money(balance - reserved),
                   "reserved": money(reserved)}
            )
        if code == "audit" and reserved > 0:
            lines.append(
                _("%(community)s：%(reserved)s 元已预留但尚未拨付。")
                % {"community": fund.community.name, "reserved": money(reserved)}
            )
    return "\n".join(lines)


@shared_task(name="funding.tasks.warn_fund_calendar")
def warn_fund_calendar() -> int:
    return fund_calendar_warn(
        calendar=getattr(settings, "FUND_CALENDAR", FUND_CALENDAR),
        lead_days=getattr(settings, "FUND_CALENDAR_LEAD_DAYS", FUND_CALENDAR_LEAD_DAYS),
        details=_details,
    )


@shared_task(name="funding.tasks.history_checkpoint")
def history_checkpoint() -> int:
    """Daily (celery beat): verify the whole history and sign a checkpoint of the chain heads if it passes."""
    from .checkpoints import history_daily

    run = history_daily()
    return run.pk if run else 0


@shared_task(name="funding.tasks.history_run")
def history_run(run_id: int) -> int:
    """A verification asked for from the history page; a run already claimed is left alone."""
    from .checkpoints import history_run_execute

    run = history_run_execute(run_id=run_id)
    return run.pk if run else 0


@shared_task(name="funding.tasks.post_foundation_accounts")
def post_foundation_accounts() -> int:
    """R21: on the 1st, post every foundation's accounts for the month that ended (idempotent)."""
    from .foundation import post_last_months_accounts

    return len(post_last_months_accounts())


@shared_task(name="funding.tasks.open_closed_tenders")
def open_closed_tenders() -> int:
    """R24: open the bids of tenders whose close has passed and tell the residents (idempotent).

    Only a notice: every gate of a tender checks the time itself, and a later step opens the bids first.
    """
    from .tenders import tenders_close_due

    return tenders_close_due()
