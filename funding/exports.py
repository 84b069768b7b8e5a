"""Exports of fund ledgers and project accounts as XLSX (openpyxl) and CSV.

Every yuan traceable: the ledger export lists each entry with the running
balance, reserved and available amounts and the entry's hash; the accounts
export lists each project from approval to settlement. Amounts stay ``Decimal``
(numbers in XLSX, ``1234.50`` in CSV); times are Asia/Shanghai. Text cells that
a spreadsheet would read as a formula (=, +, -, @) are prefixed with ``'``.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from proposals.enums import ProposalStatus
from proposals.models import Proposal

from .enums import EntryKind, ReviewDecision
from .models import ZERO, Bid, BudgetReview, Contribution, LedgerEntry, Settlement

MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"

# States from which a project has accounts worth exporting: approved by the community and on.
ACCOUNT_STATES = (
    ProposalStatus.APPROVED, ProposalStatus.FUNDED, ProposalStatus.RELEASED, ProposalStatus.IN_PROGRESS,
    ProposalStatus.ACCEPTED, ProposalStatus.SETTLED, ProposalStatus.WITHDRAWN,
)


@dataclass
class Table:
    title: str
    header: list
    rows: list = field(default_factory=list)
    money_columns: set = field(default_factory=set)
    totals: list | None = None


def safe_text(value):
    """Text that no spreadsheet will run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else ""


# --------------------------------------------------------------------------- ledger


def ledger_table(fund) -> Table:
    """Every entry of ``fund`` in order, with the running balance, reserved and available."""
    table = Table(
        title=str(fund),
        header=[
            _("序号"), _("时间"), _("类别"), _("余额变动"), _("预留变动"), _("余额"), _("预留"), _("可用"),
            _("议案"), _("来源/去向"), _("说明"), _("经办人"), _("哈希"),
        ],
        money_columns={3, 4, 5, 6, 7},
    )
    balance = reserved = ZERO
    labels = dict(EntryKind.choices)
    in_total = out_total = ZERO
    entries = LedgerEntry.objects.filter(fund=fund).select_related("proposal", "actor").order_by("seq")
    for e in entries.iterator(chunk_size=500):
        balance += e.balance_delta
        reserved += e.reserved_delta
        if e.balance_delta > 0:
            in_total += e.balance_delta
        else:
            out_total += e.balance_delta
        table.rows.append([
            e.seq, _local(e.created_at), str(labels.get(e.kind, e.kind)), e.balance_delta, e.reserved_delta,
            balance, reserved, balance - reserved, e.proposal.title if e.proposal else "", e.counterparty, e.memo,
            e.actor.display_name if e.actor else "", e.hash,
        ])
    table.totals = [
        _("合计"), "",
        _("流入 %(inflow)s / 流出 %(outflow)s") % {"inflow": f"{in_total:.2f}", "outflow": f"{-out_total:.2f}"},
        balance, reserved, balance, reserved, balance - reserved, "", "", "", "", "",
    ]
    return table


# --------------------------------------------------------------------------- project accounts


def _money_sub(queryset, field_name="s"):
    return Coalesce(Subquery(queryset, output_field=MONEY_OUT), Value(ZERO), output_field=MONEY_OUT)


def accounts_queryset(communities, year: int | None = None):
    """Projects from community approval on, annotated with every amount, in one query."""
    review = BudgetReview.objects.filter(proposal=OuterRef("pk"), decision=ReviewDecision.APPROVED)
    entries = LedgerEntry.objects.filter(proposal=OuterRef("pk"))
    settlement = Settlement.objects.filter(proposal=OuterRef("pk"))
    chosen = Bid.objects.filter(proposal=OuterRef("pk"), selected_at__isnull=False)
    qs = (
        Proposal.objects.filter(group__community__in=communities, status__in=ACCOUNT_STATES)
        .select_related("group__community")
        .annotate(
            approved_share=Subquery(review.values("approved_share")[:1], output_field=MONEY_OUT),
            approved_total=Subquery(review.values("total")[:1], output_field=MONEY_OUT),
            collected=_money_sub(
                Contribution.objects.filter(proposal=OuterRef("pk"), reversed_at__isnull=True)
                .values("proposal").annotate(s=Sum("amount")).values("s")
            ),
            released=_money_sub(entries.filter(kind=EntryKind.RELEASE).values("balance_delta")[:1]),
            contractor=Subquery(chosen.values("contractor")[:1]),
            contract_amount=Subquery(chosen.values("amount")[:1], output_field=MONEY_OUT),
            actual_cost=Subquery(settlement.values("actual_cost")[:1], output_field=MONEY_OUT),
            savings=Subquery(settlement.values("savings")[:1], output_field=MONEY_OUT),
            returned=Subquery(settlement.values("community_savings")[:1], output_field=MONEY_OUT),
            refundable=Subquery(settlement.values("refundable_total")[:1], output_field=MONEY_OUT),
        )
        .order_by("group__community__name", "created_at", "pk")
    )
    if year:
        qs = qs.filter(created_at__year=year)
    return qs


def accounts_table(communities, year: int | None = None) -> Table:
    table = Table(
        title=_("项目账目"),
        header=[
            _("社区"), _("居民小组"), _("议案"), _("状态"), _("总预算"), _("核定公服资金"), _("居民应筹"),
            _("已收自筹"), _("已拨付公服资金"), _("施工方"), _("合同金额"), _("实际支出"), _("结余"),
            _("退回资金账户"), _("应退居民"),
        ],
        money_columns={4, 5, 6, 7, 8, 10, 11, 12, 13, 14},
    )
    sums = [ZERO] * len(table.header)
    for p in accounts_queryset(communities, year):
        total = p.approved_total if p.approved_total is not None else p.total
        share = p.approved_share if p.approved_share is not None else p.community_share
        row = [
            p.group.community.name, p.group.name, p.title, p.get_status_display(), total, share, total - share,
            p.collected, -p.released if p.released else ZERO, p.contractor or "", p.contract_amount,
            p.actual_cost, p.savings, p.returned, p.refundable,
        ]
        for i in table.money_columns:
            if row[i] is not None:
                sums[i] += row[i]
        table.rows.append(row)
    table.totals = [_("合计"), "", _("%(n)d 个项目") % {"n": len(table.rows)}, ""] + [
        sums[i] if i in table.money_columns else "" for i in range(4, len(table.header))
    ]
    return table


# --------------------------------------------------------------------------- writers


def _cell_out(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    return safe_text(value) if isinstance(value, str) else value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(str(h)) for h in table.header])
    for row in table.rows:
        writer.writerow([_cell_out(v) for v in row])
    if table.totals:
        writer.writerow([_cell_out(v) for v in table.totals])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (table.title or "Sheet")[:31].translate({ord(c): "_" for c in "[]:*?/\\"})
    sheet.append([str(h) for h in table.header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)

    def write(row, bold=False):
        sheet.append([_xlsx_value(v) for v in row])
        for index, cell in enumerate(sheet[sheet.max_row]):
            if index in table.money_columns and isinstance(cell.value, (int, float, Decimal)):
                cell.number_format = MONEY_FORMAT
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula
            if bold:
                cell.font = Font(bold=True)

    for row in table.rows:
        write(row)
    if table.totals:
        write(table.totals, bold=True)
    for index, header in enumerate(table.header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(header)) * 2 + 4))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    if isinstance(value, str):
        return safe_text(value)
    return value
