"""Bulk downloads of one community's public data for one year, streamed (R22).

/api/v1/bulk/<community>/<year>/<dataset>.<csv|json>; the rows are the API's own
schemas (``api.schemas``), so a download never holds a field the API does not publish.
Rows are read with ``iterator()`` and written as they come, so memory stays flat.
"""

import csv
import json
from datetime import date

from django.http import Http404, StreamingHttpResponse

from councils.models import Community
from funding.models import Donation, LedgerEntry
from proposals.models import Ballot, Notice

from . import schemas as out
from .api import public_awards, public_calls, public_elections, public_needs, public_projects, published_proposals


def _year_range(year):
    from .api import _end, _start

    return _start(date(year, 1, 1)), _end(date(year, 12, 31))


def _datasets(community: Community, year: int):
    start, end = _year_range(year)
    return {
        "proposals": (out.ProposalOut, published_proposals().select_related("group").filter(
            group__community=community, created_at__gte=start, created_at__lt=end).order_by("pk")),
        "notices": (out.NoticeOut, Notice.objects.select_related("resolution", "proposal__group").filter(
            proposal__group__community=community, published_at__gte=start, published_at__lt=end).order_by("pk")),
        "ballots": (out.BallotOut, Ballot.objects.select_related("council").filter(
            council__community=community, closed_at__gte=start, closed_at__lt=end).exclude(
            proposal__status__in=("draft", "group_review", "adopted")).order_by("pk")),
        "ledger": (out.LedgerEntryOut, LedgerEntry.objects.filter(
            fund__community=community, fund__year=year).order_by("fund_id", "seq")),
        "donations": (out.DonationOut, Donation.objects.select_related("fund").filter(
            fund__community=community, fund__year=year).order_by("pk")),
        "needs": (out.NeedOut, public_needs().filter(
            community=community, raised_at__gte=start, raised_at__lt=end)),
        "projects": (out.ServiceProjectOut, public_projects().filter(
            community=community, listed_at__gte=start, listed_at__lt=end)),
        "grant_calls": (out.GrantCallOut, public_calls().filter(
            community=community, opened_at__gte=start, opened_at__lt=end)),
        "grant_awards": (out.GrantAwardOut, public_awards().filter(
            call__community=community, awarded_at__gte=start, awarded_at__lt=end)),
        "elections": (out.ElectionOut, public_elections().filter(
            community=community, closes_at__gte=start, closes_at__lt=end)),
    }


class _Echo:
    def write(self, value):
        return value


def _rows(schema, qs):
    for obj in qs.iterator(chunk_size=500):
        yield schema.from_orm(obj).model_dump(mode="json")


def _csv(schema, qs):
    fields = list(schema.model_fields)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(fields)  # BOM: Excel opens Chinese text as UTF-8
    for row in _rows(schema, qs):
        yield writer.writerow([
            json.dumps(row[f], ensure_ascii=False) if isinstance(row[f], (list, dict)) else row[f] for f in fields
        ])


def _json(schema, qs):
    yield "["
    first = True
    for row in _rows(schema, qs):
        yield ("" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]\n"


def download(request, community: int, year: int, dataset: str, fmt: str):
    if request.method not in ("GET", "HEAD"):
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["GET", "HEAD"])
    community_obj = Community.objects.filter(pk=community).first()
    datasets = _datasets(community_obj, year) if community_obj and 2000 <= year <= 2100 else None
    if not datasets or dataset not in datasets or fmt not in ("csv", "json"):
        raise Http404
    schema, qs = datasets[dataset]
    if fmt == "csv":
        response = StreamingHttpResponse(_csv(schema, qs), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_json(schema, qs), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yishi-{community}-{year}-{dataset}.{fmt}"'
    return response
