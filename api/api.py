"""The open data API (R22): read-only JSON under /api/v1/, built with django-ninja.

Every list answers without a filter and narrows with ``community`` and
``since``/``until`` (dates, Asia/Shanghai); pages of ``page_size`` (default 50,
at most 200). GET only: no route takes another method, and there is no
authentication because nothing here is private. Throttled per client address
through the cache (``yishi.cache.DegradingRedisCache`` falls open when Redis
is away, so the API keeps answering). ETags, CORS and caching headers are added
around every view in ``api.urls``.

The 三社联动 half (needs, service projects, organisations, micro-grant calls and
awards, election results) is published the same way, each as a list and a detail
(``resource`` below registers both).
"""

from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Avg, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.throttling import AnonRateThrottle

from councils.models import Community, Council, ResidentGroup, Seat
from elections.models import Candidate, Election, ElectionRound
from funding.models import Donation, Fund, LedgerEntry
from grants.models import GrantApplication, GrantAward, GrantCall
from needs.models import Claim, Need, NeedSupport, ServiceProject, ServiceRating, ServiceRecord
from organisations.models import Organisation
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Notice, Proposal

from . import schemas as out

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# "From NOTICE on" (R22): drafts and proposals still in their group are never published.
UNPUBLISHED = (S.DRAFT, S.GROUP_REVIEW, S.ADOPTED)

api = NinjaAPI(
    title="议事 Yishi open data",
    version="1",
    description=(
        "Read-only public data of the neighbourhood councils: communities, groups, councils, proposals "
        "from their public notice on, notices, ballot outcomes, fund ledgers and donations (names only "
        "with the donor's consent), needs (never who raised them), service projects, organisations, micro-grant "
        "calls and awards, election results. Never published: phone numbers, addresses, contributors' names, "
        "names of donors without consent, who raised a need, drafts, who voted or how, ballot papers or the roll."
    ),
    urls_namespace="api-v1",
    throttle=[AnonRateThrottle(getattr(settings, "API_THROTTLE_RATE", "600/m"))],
)


class Filters(Schema):
    community: int | None = None
    since: date | None = None
    until: date | None = None


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(date.fromordinal(day.toordinal() + 1), time.min))


def narrow(qs, filters: Filters, *, community: str, when: str | None, is_date: bool = False):
    """Apply the common filters; ``when`` is the field the date range applies to."""
    if filters.community is not None:
        qs = qs.filter(**{community: filters.community})
    if when is not None:
        if filters.since is not None:
            qs = qs.filter(**{f"{when}__gte": filters.since if is_date else _start(filters.since)})
        if filters.until is not None:
            qs = qs.filter(**{f"{when}__lt" if not is_date else f"{when}__lte":
                              filters.until if is_date else _end(filters.until)})
    return qs


def paged(fn):
    return paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)(fn)


def published_proposals():
    return Proposal.objects.exclude(status__in=UNPUBLISHED).exclude(
        Q(status=S.WITHDRAWN) & ~Q(notices__isnull=False)
    ).distinct()


router = Router()


@router.get("/communities", response=list[out.CommunityOut], tags=["communities"])
@paged
def community_list(request, filters: Query[Filters]):
    qs = Community.objects.select_related("subdistrict").order_by("pk")
    return qs.filter(pk=filters.community) if filters.community is not None else qs


@router.get("/groups", response=list[out.GroupOut], tags=["communities"])
@paged
def group_list(request, filters: Query[Filters]):
    return narrow(ResidentGroup.objects.order_by("pk"), filters, community="community_id", when=None)


@router.get("/councils", response=list[out.CouncilOut], tags=["councils"])
@paged
def council_list(request, filters: Query[Filters]):
    seats = Seat.objects.current().select_related("user").order_by("role", "starts_at", "pk")
    qs = Council.objects.order_by("pk").prefetch_related(Prefetch("seats", queryset=seats, to_attr="current_seats"))
    return narrow(qs, filters, community="community_id", when=None)


@router.get("/proposals", response=list[out.ProposalOut], tags=["proposals"])
@paged
def proposal_list(request, filters: Query[Filters]):
    qs = published_proposals().select_related("group").order_by("pk")
    return narrow(qs, filters, community="group__community_id", when="created_at")


@router.get("/proposals/{proposal_id}", response=out.ProposalOut, tags=["proposals"])
def proposal_detail(request, proposal_id: int):
    proposal = published_proposals().select_related("group").filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    return proposal


@router.get("/notices", response=list[out.NoticeOut], tags=["proposals"])
@paged
def notice_list(request, filters: Query[Filters]):
    qs = Notice.objects.select_related("resolution", "proposal__group").order_by("pk")
    return narrow(qs, filters, community="proposal__group__community_id", when="published_at")


@router.get("/ballots", response=list[out.BallotOut], tags=["proposals"])
@paged
def ballot_list(request, filters: Query[Filters]):
    """Closed ballots with their outcome and counts (never who voted or how)."""
    qs = Ballot.objects.filter(closed_at__isnull=False).exclude(proposal__status__in=UNPUBLISHED)
    qs = qs.select_related("council").order_by("pk")
    return narrow(qs, filters, community="council__community_id", when="closed_at")


@router.get("/funds", response=list[out.FundOut], tags=["money"])
@paged
def fund_list(request, filters: Query[Filters]):
    qs = Fund.objects.annotate(balance_sum=Sum("entries__balance_delta"), reserved_sum=Sum("entries__reserved_delta"))
    qs = qs.order_by("pk")
    if filters.since is not None:
        qs = qs.filter(year__gte=filters.since.year)
    if filters.until is not None:
        qs = qs.filter(year__lte=filters.until.year)
    return narrow(qs, filters, community="community_id", when=None)


@router.get("/funds/{fund_id}/ledger", response=list[out.LedgerEntryOut], tags=["money"])
@paged
def fund_ledger(request, fund_id: int, filters: Query[Filters]):
    if not Fund.objects.filter(pk=fund_id).exists():
        raise Http404
    qs = LedgerEntry.objects.filter(fund_id=fund_id).order_by("seq")
    return narrow(qs, filters, community="fund__community_id", when="created_at")


@router.get("/donations", response=list[out.DonationOut], tags=["money"])
@paged
def donation_list(request, filters: Query[Filters]):
    """Donations to community foundations; the donor's name only with consent, otherwise the kind of donor."""
    qs = Donation.objects.select_related("fund").order_by("pk")
    return narrow(qs, filters, community="fund__community_id", when="paid_on", is_date=True)


# --------------------------------------------------------------------------- the 三社联动 half (R16–R20)


def resource(path: str, schema, queryset, *, name: str, tag: str, community: str, when: str, is_date=False,
             distinct=False):
    """Register ``GET path`` (a filtered, paginated list) and ``GET path/{item_id}`` (one row) for ``queryset()``.

    ``community`` and ``when`` are the lookups the ``community`` and ``since``/``until``
    filters apply to; a row outside ``queryset()`` (unpublished) is not found by id either.
    """

    def listing(request, filters: Query[Filters]):
        qs = narrow(queryset(), filters, community=community, when=when, is_date=is_date)
        return qs.distinct() if distinct else qs  # a many-to-many filter would repeat rows

    def detail(request, item_id: int):
        row = queryset().filter(pk=item_id).first()
        if row is None:
            raise Http404
        return row

    listing.__name__, detail.__name__ = f"{name}_list", f"{name}_detail"
    listing.__doc__ = detail.__doc__ = schema.__doc__
    router.get(path, response=list[schema], tags=[tag])(paged(listing))
    router.get(f"{path}/{{item_id}}", response=schema, tags=[tag])(detail)


def _total(model, field: str, *, to: str = "project", function=Sum, output=None, **filters):
    """A per-row aggregate of a related table as a subquery (no join fan-out between two aggregates)."""
    rows = model.objects.filter(**{to: OuterRef("pk")}, **filters).order_by().values(to)
    return Subquery(rows.annotate(v=function(field)).values("v")[:1], output_field=output)


def public_needs():
    return Need.objects.select_related("project").annotate(
        support_count=Coalesce(_total(NeedSupport, "pk", to="need", function=Count, output=IntegerField()), 0)
    ).order_by("pk")


def public_projects():
    claims = Claim.objects.select_related("organisation").order_by("claimed_at", "pk")
    return ServiceProject.objects.annotate(
        served_sum=_total(ServiceRecord, "people_served"),
        hours_sum=_total(ServiceRecord, "hours"),
        rating_count=_total(ServiceRating, "pk", function=Count, output=IntegerField()),
        rating_avg=_total(ServiceRating, "stars", function=Avg),
    ).prefetch_related(
        Prefetch("claims", queryset=claims), Prefetch("needs", queryset=Need.objects.only("pk", "project_id"))
    ).order_by("pk")


def public_organisations():
    return Organisation.objects.prefetch_related(
        Prefetch("communities", queryset=Community.objects.only("pk"))
    ).order_by("pk")


def public_calls():
    return GrantCall.objects.annotate(
        application_count=_total(GrantApplication, "pk", to="call", function=Count, output=IntegerField()),
        award_count=_total(GrantAward, "pk", to="call", function=Count, output=IntegerField()),
        awarded_sum=_total(GrantAward, "amount", to="call"),
        matched_sum=_total(GrantAward, "application__matched", to="call"),
        served_sum=_total(GrantAward, "people_served", to="call"),
    ).order_by("pk")


def public_awards():
    return GrantAward.objects.select_related("call", "application__organisation").order_by("pk")


def public_elections():
    """Elections with at least one counted round, with those rounds only (never a paper or the roll)."""
    counted = ElectionRound.objects.filter(closed_at__isnull=False).order_by("number").prefetch_related(
        Prefetch("candidates", queryset=Candidate.objects.select_related("user"))
    )
    return (
        Election.objects.filter(rounds__closed_at__isnull=False).distinct()
        .select_related("council", "board")
        .prefetch_related(
            Prefetch("candidates", queryset=Candidate.objects.select_related("user")),
            Prefetch("rounds", queryset=counted, to_attr="counted_rounds"),
        ).order_by("pk")
    )


resource("/needs", out.NeedOut, public_needs, name="need", tag="needs",
         community="community_id", when="raised_at")
resource("/projects", out.ServiceProjectOut, public_projects, name="project", tag="needs",
         community="community_id", when="listed_at")
resource("/organisations", out.OrganisationOut, public_organisations, name="organisation", tag="organisations",
         community="communities__id", when="registered_at", distinct=True)
resource("/grant-calls", out.GrantCallOut, public_calls, name="grant_call", tag="grants",
         community="community_id", when="opened_at")
resource("/grant-awards", out.GrantAwardOut, public_awards, name="grant_award", tag="grants",
         community="call__community_id", when="awarded_at")
resource("/elections", out.ElectionOut, public_elections, name="election", tag="elections",
         community="community_id", when="closes_at")


api.add_router("/", router)
