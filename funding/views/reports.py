"""Reports for street-office staff and supervisors: exports (XLSX, CSV) and SVG charts."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import charts as chart_builders
from .. import exports
from ..forms import ChartFilterForm
from .common import pick_community, reader_communities
from .street import fund_in_scope

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(table, fmt: str, filename: str):
    """CSV streams row by row; XLSX (a zip, written whole) comes from a temporary file."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    if fmt == "csv":
        response = StreamingHttpResponse(exports.csv_chunks(table), content_type=CONTENT_TYPES[fmt])
    else:
        response = FileResponse(exports.xlsx_file(table), content_type=CONTENT_TYPES[fmt])
    # ASCII file name for every browser; the sheet itself carries the Chinese title.
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _year(request):
    form = ChartFilterForm(request.GET or None)
    if form.is_valid() and form.cleaned_data.get("year"):
        return form, form.cleaned_data["year"]
    return form, None


@login_required
def ledger_export(request, pk, fmt):
    """One fund's whole ledger with running balances."""
    fund = fund_in_scope(request, pk)
    return _download(exports.ledger_table(fund), fmt, f"ledger-{fund.community.slug}-{fund.year}-{fund.kind}")


@login_required
def accounts_export(request, fmt):
    """Project accounts of the communities in scope (``?community=`` narrows, ``?year=`` by creation year)."""
    communities = reader_communities(request)
    chosen = pick_community(request, list(communities))
    scope = [chosen] if chosen else communities
    _form, year = _year(request)
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"accounts-{chosen.slug if chosen else 'all'}-{year or 'all'}-{stamp}"
    return _download(exports.accounts_table(scope, year), fmt, name)


@login_required
def charts(request):
    communities = reader_communities(request)
    form, year = _year(request)
    context = {
        "form": form,
        "year": year,
        "charts": [
            chart_builders.by_community(communities, year),
            chart_builders.by_category(communities, year),
            chart_builders.by_status(communities, year),
        ],
        "title": _("资金统计"),
    }
    return render(request, "funding/charts.html", context)
