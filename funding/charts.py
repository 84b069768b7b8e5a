"""Server-rendered SVG bar charts of money by community, category and status.

No JavaScript and no ``style=`` attributes (CSP): the geometry is computed here
and written as SVG presentation attributes (x, y, width, height) and classes
that static/css/yishi.css colours. Each chart also carries its numbers as a
table for screen readers and for reading exact amounts.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, FilteredRelation, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from proposals.enums import Category, ProposalStatus
from proposals.models import Proposal

from .enums import EntryKind, ReviewDecision
from .models import ZERO

MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)

# Geometry of a horizontal bar chart, in SVG user units. The SVG is drawn at this width on a
# desktop and shrinks to the screen on a phone (yishi.css: svg { max-width: 100%; height: auto }),
# so each label sits on its own line above its bars: long Chinese names need no truncation.
WIDTH = 480
VALUE_WIDTH = 130
LABEL_HEIGHT = 26
BAR_HEIGHT = 20
BAR_GAP = 4
ROW_GAP = 14
TOP = 4
LABEL_SIZE = 20
VALUE_SIZE = 17


@dataclass
class Series:
    key: str
    label: str
    css: str
    fill: str  # SVG presentation attribute: allowed by the CSP, unlike style=


@dataclass
class BarChart:
    title: str
    series: list
    labels: list = field(default_factory=list)
    values: list = field(default_factory=list)  # one list per label, one value per series
    rows: list = field(default_factory=list)  # computed geometry
    height: int = 0
    width: int = WIDTH
    empty: bool = True

    def layout(self) -> "BarChart":
        peak = max((v for row in self.values for v in row), default=ZERO)
        self.empty = peak <= 0
        span = WIDTH - VALUE_WIDTH
        y = TOP
        self.rows = []
        for label, row in zip(self.labels, self.values):
            label_y = y + LABEL_SIZE
            y += LABEL_HEIGHT
            bars = []
            for series, value in zip(self.series, row):
                length = int((Decimal(value) / peak * span).to_integral_value()) if peak > 0 else 0
                if value > 0:
                    length = max(length, 2)  # a small amount is still visible
                bars.append({
                    "series": series, "value": value, "x": 0, "y": y, "width": length, "height": BAR_HEIGHT,
                    "text_x": length + 6, "text_y": y + BAR_HEIGHT - 3,
                })
                y += BAR_HEIGHT + BAR_GAP
            self.rows.append({"label": label, "label_y": label_y, "bars": bars})
            y += ROW_GAP
        self.height = max(y, 40)
        self.label_size, self.value_size = LABEL_SIZE, VALUE_SIZE
        return self


def _scope(communities, year):
    qs = Proposal.objects.filter(group__community__in=communities).exclude(status=ProposalStatus.DRAFT)
    if year:
        qs = qs.filter(created_at__year=year)
    return qs


def _sums(communities, year, by: str):
    """Budgets proposed, community share approved and released, summed per ``by`` in SQL.

    Joined, not one correlated subquery per proposal (1.8 s for a subdistrict's 20 000 proposals
    on the machine of docs/operations.md, 0.1 s joined): each proposal has at most one approval
    and one release (constraints review_one_approval and ledger_one_release_per_proposal), so
    the joins cannot multiply a sum.
    """
    return (
        _scope(communities, year)
        .alias(
            approval=FilteredRelation("budget_reviews", condition=Q(budget_reviews__decision=ReviewDecision.APPROVED)),
            release=FilteredRelation("ledger_entries", condition=Q(ledger_entries__kind=EntryKind.RELEASE)),
        )
        .values(by)
        .annotate(
            total=Sum("total"),
            approved=Coalesce(Sum("approval__approved_share"), Value(ZERO), output_field=MONEY_OUT),
            released_neg=Coalesce(Sum("release__reserved_delta"), Value(ZERO), output_field=MONEY_OUT),
        )
        .order_by()
    )


def _series():
    return [
        Series("total", _("议案总预算"), "bar-total", "#5b7fa6"),
        Series("approved", _("核定公服资金"), "bar-approved", "#c0392b"),
        Series("released", _("已拨付公服资金"), "bar-released", "#2e7d32"),
    ]


def by_community(communities, year=None) -> BarChart:
    """Per community: budgets proposed, community share approved, and released (one query)."""
    sums: dict[str, list] = {}
    for p in _sums(communities, year, "group__community__name"):
        # Two communities may share a name: their sums add up under it, as before.
        acc = sums.setdefault(p["group__community__name"], [ZERO, ZERO, ZERO])
        acc[0] += p["total"] or ZERO
        acc[1] += p["approved"]
        acc[2] += -p["released_neg"]
    chart = BarChart(title=_("按社区"), series=_series())
    for name in sorted(sums):
        chart.labels.append(name)
        chart.values.append(sums[name])
    return chart.layout()


def by_category(communities, year=None) -> BarChart:
    labels = dict(Category.choices)
    sums: dict[str, list] = {}
    for p in _sums(communities, year, "category"):
        acc = sums.setdefault(p["category"], [ZERO, ZERO, ZERO])
        acc[0] += p["total"] or ZERO
        acc[1] += p["approved"]
        acc[2] += -p["released_neg"]
    chart = BarChart(title=_("按类别"), series=_series())
    for value in Category.values:
        if value in sums:
            chart.labels.append(str(labels[value]))
            chart.values.append(sums[value])
    return chart.layout()


def by_status(communities, year=None) -> BarChart:
    """Per status: the total budget of the proposals in it, and how many there are."""
    rows = {
        r["status"]: r
        for r in _scope(communities, year).values("status").annotate(n=Count("pk"), s=Sum("total")).order_by()
    }
    chart = BarChart(title=_("按状态"), series=[Series("total", _("议案总预算"), "bar-total", "#5b7fa6")])
    for status in ProposalStatus:
        if status.value in rows:
            row = rows[status.value]
            chart.labels.append(f"{status.label}（{row['n']}）")
            chart.values.append([row["s"] or ZERO])
    return chart.layout()
