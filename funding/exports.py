"""Exports of fund ledgers and project accounts as XLSX (openpyxl) and CSV.

Every yuan traceable: the ledger export lists each entry with the running
balance, reserved and available amounts and the entry's hash; the accounts
export lists each project from approval to settlement. Amounts stay ``Decimal``
(numbers in XLSX, ``1234.50`` in CSV); times are Asia/Shanghai.

Exports are the only pages that show "everything", so they stream: a table's
rows are a generator over ``.iterator(chunk_size=...)``, CSV goes out through a
``StreamingHttpResponse`` and XLSX is written by a write-only workbook into a
temporary file (memory stays flat at any ledger length; 50 000 entries take
about a second). They never fail on a stored value: control, bidi and
zero-width characters are dropped from text cells (``yishi.text.plain``; rows
written before the forms refused them must still export), and text that a
spreadsheet would read as a formula (=, +, -, @, |, tab, CR) is prefixed with ``'``.
"""

import csv
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, FilteredRelation, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from proposals.enums import ProposalStatus
from proposals.models import Proposal
from yishi.text import plain

from .enums import EntryKind, ReviewDecision
from .models import ZERO, LedgerEntry

FORMULA_START = ("=", "+", "-", "@", "|", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
CHUNK = 2000
CENTS = Decimal("0.01")

# States from which a project has accounts worth exporting: approved by the community and on.
ACCOUNT_STATES = (
    ProposalStatus.APPROVED, ProposalStatus.FUNDED, ProposalStatus.RELEASED, ProposalStatus.IN_PROGRESS,
    ProposalStatus.ACCEPTED, ProposalStatus.SETTLED, ProposalStatus.WITHDRAWN,
)


class Totals(list):
    """The last row of a table: sums, written in bold."""


@dataclass
class Table:
    title: str
    header: list
    # The body, then (optionally) one ``Totals`` row; a generator, consumed once by a writer.
    rows: Iterable = field(default_factory=list)
    money_columns: set = field(default_factory=set)


def safe_text(value):
    """Text that no spreadsheet will run as a formula and that every format can hold."""
    if not isinstance(value, str):
        return value
    value = plain(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else ""


# --------------------------------------------------------------------------- ledger


def ledger_table(fund) -> Table:
    """Every entry of ``fund`` in order, with the running balance, reserved and available."""
    return Table(
        title=str(fund),
        header=[
            _("序号"), _("时间"), _("类别"), _("余额变动"), _("预留变动"), _("余额"), _("预留"), _("可用"),
            _("议案"), _("来源/去向"), _("说明"), _("经办人"), _("哈希"),
        ],
        rows=_ledger_rows(fund),
        money_columns={3, 4, 5, 6, 7},
    )


def _ledger_rows(fund) -> Iterator[list]:
    balance = reserved = in_total = out_total = ZERO
    labels = {k: str(v) for k, v in EntryKind.choices}
    # Only the columns shown: a full proposal row (its summary) per entry would cost more than the rest.
    entries = (
        LedgerEntry.objects.filter(fund=fund).order_by("seq")
        .values_list(
            "seq", "created_at", "kind", "balance_delta", "reserved_delta", "proposal__title", "counterparty",
            "memo", "actor__full_name", "actor__username", "hash",
        )
    )
    for seq, at, kind, delta, reserved_delta, title, counterparty, memo, full_name, username, digest in (
        entries.iterator(chunk_size=CHUNK)
    ):
        balance += delta
        reserved += reserved_delta
        if delta > 0:
            in_total += delta
        else:
            out_total += delta
        yield [
            seq, _local(at), labels.get(kind, kind), delta, reserved_delta, balance, reserved, balance - reserved,
            title or "", counterparty, memo, full_name or username or "", digest,
        ]
    yield Totals([
        _("合计"), "",
        _("流入 %(inflow)s / 流出 %(outflow)s") % {"inflow": f"{in_total:.2f}", "outflow": f"{-out_total:.2f}"},
        balance, reserved, balance, reserved, balance - reserved, "", "", "", "", "",
    ])


# --------------------------------------------------------------------------- project accounts


def accounts_queryset(communities, year: int | None = None):
    """Projects from community approval on with every amount, in one query without subqueries.

    Each joined table holds at most one row per proposal (one approval, one release,
    one selected bid, one settlement: database constraints), except contributions,
    which GROUP BY sums; so the joins cannot multiply a sum. Correlated subqueries
    here cost PostgreSQL's JIT a second at a subdistrict's size.
    """
    qs = (
        Proposal.objects.filter(group__community__in=communities, status__in=ACCOUNT_STATES)
        .alias(
            approval=FilteredRelation("budget_reviews", condition=Q(budget_reviews__decision=ReviewDecision.APPROVED)),
            release=FilteredRelation("ledger_entries", condition=Q(ledger_entries__kind=EntryKind.RELEASE)),
            chosen=FilteredRelation("bids", condition=Q(bids__selected_at__isnull=False)),
            paid_in=FilteredRelation("contributions", condition=Q(contributions__reversed_at__isnull=True)),
        )
        .annotate(
            community_name=F("group__community__name"),
            group_name=F("group__name"),
            approved_share=F("approval__approved_share"),
            approved_total=F("approval__total"),
            released=F("release__balance_delta"),
            contractor=F("chosen__contractor"),
            contract_amount=F("chosen__amount"),
            actual_cost=F("settlement__actual_cost"),
            savings=F("settlement__savings"),
            returned=F("settlement__community_savings"),
            refundable=F("settlement__refundable_total"),
            collected=Coalesce(Sum("paid_in__amount"), Value(ZERO)),
        )
        .only("pk", "title", "status", "total", "community_share", "created_at", "group_id", "by_party")
        .order_by("group__community__name", "created_at", "pk")
    )
    if year:
        qs = qs.filter(created_at__year=year)
    return qs


def accounts_table(communities, year: int | None = None) -> Table:
    return Table(
        title=_("项目账目"),
        header=[
            _("社区"), _("居民小组"), _("议案"), _("状态"), _("总预算"), _("核定公服资金"), _("居民应筹"),
            _("已收自筹"), _("已拨付公服资金"), _("施工方"), _("合同金额"), _("实际支出"), _("结余"),
            _("退回资金账户"), _("应退居民"), _("提议方"),
        ],
        rows=_accounts_rows(communities, year),
        money_columns={4, 5, 6, 7, 8, 10, 11, 12, 13, 14},
    )


def _accounts_rows(communities, year) -> Iterator[list]:
    money_columns = (4, 5, 6, 7, 8, 10, 11, 12, 13, 14)
    sums = dict.fromkeys(money_columns, ZERO)
    count = 0
    for p in accounts_queryset(communities, year).iterator(chunk_size=CHUNK):
        total = p.approved_total if p.approved_total is not None else p.total
        share = p.approved_share if p.approved_share is not None else p.community_share
        row = [
            p.community_name, p.group_name, p.title, p.get_status_display(), total, share, total - share,
            p.collected, -p.released if p.released else ZERO, p.contractor or "", p.contract_amount,
            p.actual_cost, p.savings, p.returned, p.refundable,
            _("党组织提议") if p.by_party else _("居民提议"),
        ]
        for i in money_columns:
            if row[i] is not None:
                sums[i] += row[i]
        count += 1
        yield row
    yield Totals([_("合计"), "", _("%(n)d 个项目") % {"n": count}, ""] + [
        sums.get(i, "") for i in range(4, 15)
    ] + [""])


# --------------------------------------------------------------------------- writers


def _cell_out(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.quantize(CENTS), "f")
    return safe_text(value) if isinstance(value, str) else value


class _Line:
    """A file-like object for ``csv.writer`` that hands back what it was given."""

    def write(self, value):
        return value


def csv_chunks(table: Table) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly; a few hundred
    rows per chunk (one chunk per row would cost a socket write per row)."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([safe_text(str(h)) for h in table.header])).encode("utf-8")
    for batch in itertools.batched(table.rows, 500):
        yield "".join(writer.writerow([_cell_out(v) for v in row]) for row in batch).encode("utf-8")


def to_csv(table: Table) -> bytes:
    return b"".join(csv_chunks(table))


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(CENTS)
    if isinstance(value, str):
        # openpyxl raises IllegalCharacterError on C0 controls; plain() drops them, and this
        # catches anything a future change to plain() might let through.
        value = safe_text(value)
        return ILLEGAL_CHARACTERS_RE.sub("", value) if ILLEGAL_CHARACTERS_RE.search(value) else value
    return value


def write_xlsx(table: Table, out) -> None:
    """Write ``table`` as XLSX into the binary file ``out`` (write-only: rows go to disk as they come)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet((plain(str(table.title)) or "Sheet")[:31].translate(
        {ord(c): "_" for c in "[]:*?/\\"}
    ) or "Sheet")
    for index, header in enumerate(table.header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(header)) * 2 + 4))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def styled(value, *, money=False, strong=False):
        cell = WriteOnlyCell(sheet, value=value)
        if money:
            cell.number_format = MONEY_FORMAT
        if strong:
            cell.font = bold
        return cell

    sheet.append([styled(str(h), strong=True) for h in table.header])
    money = table.money_columns
    for row in table.rows:
        strong = isinstance(row, Totals)
        # Decimals from the database and their sums already have two places; only text needs cleaning.
        values = [_xlsx_value(v) if type(v) is str else v for v in row]
        if strong:
            sheet.append([
                styled(v, money=i in money and isinstance(v, (int, Decimal)), strong=True) for i, v in enumerate(values)
            ])
        else:
            # Plain values for text (a str is always written as a string, never a formula, since
            # safe_text() quoted any leading "="); a styled cell only where a number needs its format.
            sheet.append([
                styled(v, money=True) if i in money and isinstance(v, Decimal) else v for i, v in enumerate(values)
            ])
    workbook.save(out)


def xlsx_file(table: Table):
    """The workbook in a temporary file, rewound (disk, not memory, holds a long ledger)."""
    out = tempfile.TemporaryFile()
    write_xlsx(table, out)
    out.seek(0)
    return out


def to_xlsx(table: Table) -> bytes:
    with xlsx_file(table) as out:
        return out.read()
