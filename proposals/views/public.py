"""Public pages: the list of notices and decisions, the proposal page, the printable notice poster."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Avg, Count, OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from councils.models import Community
from proposals import services
from proposals.enums import BEFORE_RELEASE, EDITABLE, BallotKind
from proposals.enums import ProposalStatus as S
from proposals.forms import (
    BallotOpenForm,
    FollowForm,
    ObjectionAnswerForm,
    ObjectionForm,
    PublicFilterForm,
    RatingForm,
    ReasonForm,
)
from proposals.models import Notice, Objection, Proposal, Rating, Vote
from proposals.stages import stepper
from yishi.public_cache import cached_content, cached_fragment, is_anonymous, paid_refunds, public_version
from yishi.qr import qr_svg  # the poster's code; tests and funding's receipts import it from here too

from .access import PRIVATE_STATUSES, proposal_or_404, public_q, viewer_for

CENT = Decimal("0.01")
PAGE_SIZE = 20
PUBLIC_STATUSES = [s for s in S.values if s not in PRIVATE_STATUSES]
LIST_PARAMETERS = {"community", "status", "page"}
# The proposal page shows the newest TIMELINE_PER_PAGE events and links to earlier ones: a
# proposal with hundreds of objections had its whole history rendered on every view (two
# thirds of the page's time, issue 8).
TIMELINE_PER_PAGE = 30


# --------------------------------------------------------------------------- list


def public_list(request):
    """公示与决议: every public proposal, newest first, filterable by community and status.

    Anonymous visitors get the body from the public cache (yishi.public_cache) when the query
    string holds only the page's own parameters: a withdrawal or a new notice (each an event)
    changes the key, so the list is never behind.
    """
    if is_anonymous(request) and set(request.GET) <= LIST_PARAMETERS:
        parts = [request.GET.get(k, "")[:40] for k in sorted(LIST_PARAMETERS)]
        body = cached_content(request, template="proposals/public_list.html", name="list", parts=parts,
                              context=lambda: _list_context(request))
        return render(request, "proposals/public_list.html", {"cached_content": body})
    return render(request, "proposals/public_list.html", _list_context(request))


def _list_context(request) -> dict:
    communities = Community.objects.select_related("subdistrict")
    form = PublicFilterForm(request.GET or None, communities=communities, statuses=PUBLIC_STATUSES)
    running_notice = Notice.objects.filter(proposal=OuterRef("pk"), voided_at__isnull=True).order_by("-published_at")
    qs = (
        Proposal.objects.filter(public_q())
        .select_related("group__community")
        .annotate(notice_ends_at=Subquery(running_notice.values("ends_at")[:1]))
        .order_by("-updated_at", "-pk")
    )
    if form.is_bound and form.is_valid():
        if form.cleaned_data["community"]:
            qs = qs.filter(group__community=form.cleaned_data["community"])
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"form": form, "page": page, "now": timezone.now()}


# --------------------------------------------------------------------------- the proposal page


def _resolution_rows(resolution) -> list[dict]:
    rows = []
    for line in resolution.budget or []:
        try:
            quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
            amount = (quantity * price).quantize(CENT)
        except (InvalidOperation, KeyError, TypeError):
            quantity = price = amount = None
        rows.append({"item": line.get("item", ""), "quantity": quantity, "unit": line.get("unit", ""),
                     "unit_price": price, "amount": amount})
    return rows


def timeline_before(request) -> int | None:
    """The ``?before=<seq>`` of the timeline's earlier pages, or None for the newest."""
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _timeline(proposal, before: int | None) -> tuple[list, int | None, int]:
    """The newest TIMELINE_PER_PAGE events before ``before`` (a seq), oldest first; the seq to
    link "earlier" to (or None); and how many events the proposal has.

    Keyset pagination on the chain's unique index (proposal, seq), so an old page costs what
    the newest does.
    """
    events = proposal.events.select_related("actor", "on_behalf_of").order_by("-seq")
    if before is not None:
        events = events.filter(seq__lt=before)
    rows = list(events[:TIMELINE_PER_PAGE + 1])
    earlier = rows[TIMELINE_PER_PAGE - 1].seq if len(rows) > TIMELINE_PER_PAGE else None
    # A proposal's events are numbered 1, 2, 3 … without gaps (proposals.history.event_write): on
    # the newest page the newest seq is their number; an earlier page counts them.
    total = proposal.events.count() if before is not None else (rows[0].seq if rows else 0)
    return rows[:TIMELINE_PER_PAGE][::-1], earlier, total


def _page_data(proposal, before: int | None = None) -> dict:
    """Everything the page shows, in a fixed number of queries whatever the number of rows."""
    lines = list(proposal.lines.all())
    resolutions = list(proposal.resolutions.order_by("number"))
    by_id = {r.pk: r for r in resolutions}
    notices = list(
        proposal.notices.select_related("published_by").prefetch_related(
            Prefetch(
                "objections",
                queryset=Objection.objects.select_related("resident", "answered_by", "recorded_by").order_by(
                    "filed_at", "pk"
                ),
            )
        ).order_by("-published_at")
    )
    for notice in notices:
        notice.resolution = by_id.get(notice.resolution_id)
    ballots = list(proposal.ballots.select_related("council", "resolution").order_by("opened_at", "pk"))
    events, earlier, event_count = _timeline(proposal, before)
    opinions = list(proposal.opinions.select_related("supervisor").order_by("created_at"))
    holds = list(proposal.holds.select_related("placed_by", "lifted_by").order_by("-placed_at"))
    ratings = proposal.ratings.aggregate(avg=Avg("stars"), n=Count("pk"))
    for resolution in resolutions:
        resolution.rows = _resolution_rows(resolution)
    current = next((n for n in notices if n.voided_at is None), None)
    open_ballots = [b for b in ballots if b.closed_at is None]
    return {
        "lines": lines,
        "resolutions": resolutions,
        "resolution": resolutions[-1] if resolutions else None,
        "notices": notices,
        "notice": current,
        "ballots": ballots,
        "closed_ballots": [b for b in ballots if b.closed_at is not None],
        "open_ballot": open_ballots[0] if open_ballots else None,
        "events": events,
        "events_earlier": earlier,
        "events_folded": before is not None,
        "event_count": event_count,
        "opinions": opinions,
        "holds": holds,
        "open_holds": [h for h in holds if h.lifted_at is None],
        "ratings": ratings,
    }


ACTION_FORMS = {
    # key: (form class, prefix)
    "return": (ReasonForm, "return"),
    "withdraw": (ReasonForm, "withdraw"),
    "group_ballot": (BallotOpenForm, "gb"),
    "community_ballot": (BallotOpenForm, "cb"),
    "objection": (ObjectionForm, "obj"),
    "rate": (RatingForm, "rate"),
}


def _actions(request, proposal, data) -> dict:
    """Exactly the actions this viewer's role allows now (the services check again)."""
    viewer = viewer_for(request)
    acts: dict = {}
    if not viewer.is_authenticated:
        return acts
    user = request.user
    group = proposal.group
    community = group.community
    status = proposal.status
    author = viewer.is_author(proposal)
    council_member = viewer.is_group_council_member(group.pk)
    staff = viewer.is_staff_of(community.pk)
    resident = viewer.is_resident_of(group.pk)
    open_ballot = data["open_ballot"]
    notice = data["notice"]
    now = timezone.now()

    acts["follow"] = True
    acts["following"] = proposal.followers.filter(pk=user.pk).exists()
    acts["edit"] = status in EDITABLE and open_ballot is None and (
        author or (status == S.GROUP_REVIEW and council_member)
    )
    acts["submit"] = status == S.DRAFT and author
    acts["return"] = status == S.GROUP_REVIEW and council_member and open_ballot is None
    acts["group_ballot"] = status == S.GROUP_REVIEW and council_member and open_ballot is None
    acts["publish"] = status == S.ADOPTED and council_member
    running = notice is not None and status == S.NOTICE and notice.is_running(now)
    acts["object"] = running and resident
    acts["object_for"] = running and staff
    acts["answer"] = council_member and notice is not None and status == S.NOTICE
    acts["submit_to_community"] = status == S.NOTICE and council_member
    if acts["submit_to_community"]:
        acts["blockers"] = services.submission_blockers(proposal, now)
    acts["community_ballot"] = status == S.SUBMITTED and staff
    acts["withdraw"] = status in BEFORE_RELEASE and open_ballot is None and (author or council_member)
    if open_ballot is not None:
        elector = open_ballot.electors.filter(user=user).exists()
        acts["ballot_link"] = viewer.sees_ballot(open_ballot, elector=elector)
        acts["elector"] = elector
        if elector:
            acts["my_vote"] = Vote.objects.filter(ballot=open_ballot, voter=user).first()
        can_close = (council_member or staff) if open_ballot.kind == BallotKind.GROUP else staff
        if can_close:
            tally = services.ballot_tally(open_ballot)
            acts["close_ballot"] = tally["decided"] or tally["remaining"] == 0 or now >= open_ballot.closes_at
    acts["rate"] = (
        status in (S.ACCEPTED, S.SETTLED)
        and resident
        and not Rating.objects.filter(proposal=proposal, resident=user).exists()
    )
    acts["any"] = any(
        acts.get(k) for k in ("edit", "submit", "return", "group_ballot", "publish", "object", "object_for",
                              "submit_to_community", "community_ballot", "withdraw", "ballot_link",
                              "close_ballot", "rate")
    )
    return acts


def _action_forms(request, proposal, acts, bound: dict | None) -> dict:
    forms = {}
    for key, (form_class, prefix) in ACTION_FORMS.items():
        if bound and key in bound:
            forms[key] = bound[key]
            continue
        kwargs = {"prefix": prefix}
        if key == "objection" and acts.get("object_for") and not acts.get("object"):
            kwargs["resident_queryset"] = residents_of(proposal.group)
        if key == "community_ballot":
            kwargs["default_days"] = 7
        forms[key] = form_class(**kwargs)
    return forms


def residents_of(group):
    from councils.models import User

    return User.objects.filter(
        residencies__group=group, residencies__verified_at__isnull=False, residencies__ends_at__isnull=True,
        residencies__starts_at__lte=timezone.now(),
    ).order_by("full_name", "username")


# Which entry of ``acts`` shows the form or button of each action (for placing an error beside it).
ACT_OF = {
    "return": "return", "withdraw": "withdraw", "group_ballot": "group_ballot",
    "community_ballot": "community_ballot", "rate": "rate", "publish": "publish", "submit": "submit",
    "submit_to_community": "submit_to_community", "close_ballot": "close_ballot", "answer": "answer",
}


def render_detail(request, proposal, *, bound: dict | None = None, answer_forms: dict | None = None,
                  error: str | None = None, error_key: str | None = None, status: int = 200):
    """The proposal page, optionally with one action's bound form or button carrying its error.

    A refusal is shown next to the form that caused it; when the viewer's role
    has no such form on the page (a 403), it is shown at the top of the actions.
    """
    context = detail_context(request, proposal, bound=bound, answer_forms=answer_forms, error=error,
                             error_key=error_key)
    return render(request, "proposals/detail.html", context, status=status)


def detail_context(request, proposal, *, bound=None, answer_forms=None, error=None, error_key=None) -> dict:
    viewer = viewer_for(request)
    data = _page_data(proposal, timeline_before(request))
    acts = _actions(request, proposal, data)
    forms = _action_forms(request, proposal, acts, bound)
    answer_forms = answer_forms or {}
    if acts.get("answer") and data["notice"] is not None:
        for objection in data["notice"].objections.all():
            if objection.answered_at is None:
                objection.answer_form = answer_forms.get(objection.pk) or ObjectionAnswerForm(
                    prefix=f"o{objection.pk}"
                )
    return {
        "proposal": proposal,
        **data,
        "acts": acts,
        "forms": forms,
        "follow_form": FollowForm(),
        "error": error,
        "error_key": error_key,
        "panel_error": error if error and not _shows_form(acts, error_key) else None,
        "names": viewer.sees_names(proposal),
        # The content hash is for those who check the record; residents see the resolution itself.
        "shows_hash": viewer.is_supervisor_of(proposal.group.community_id, proposal.group.community.subdistrict_id),
        "stage": stepper(proposal, notice=data["notice"], open_ballot=data["open_ballot"]),
        "is_public": proposal.status not in PRIVATE_STATUSES,
        "now": timezone.now(),
        "site_url": settings.SITE_URL,
    }


def _shows_form(acts, key) -> bool:
    if key == "objection":
        return bool(acts.get("object") or acts.get("object_for"))
    if key in ("return", "withdraw", "group_ballot", "community_ballot", "rate", "answer"):
        return bool(acts.get(ACT_OF[key]))
    return False  # buttons without a form: the message goes to the top of the actions


def detail(request, pk: int):
    """The proposal page.

    Anonymous visitors get it from the public cache (yishi.public_cache): every change to what it
    shows writes an event, a vote or a ledger entry, and a settled proposal's paid refunds (written
    without an event) are checked against the cached entry. A hit costs one query (the version):
    what an anonymous visitor may read depends on the proposal's status alone, which is part of
    that version, so the cached entry is only ever one a visitor could read.
    """
    if is_anonymous(request) and set(request.GET) <= {"before"}:
        before = timeline_before(request)

        def render_public():
            proposal = proposal_or_404(request, pk)  # 404 for a visitor unless public; nothing stored
            return {
                "title": proposal.title,
                "refunds": paid_refunds(pk) if proposal.status == S.SETTLED else None,
                "body": render_to_string("proposals/detail.html#content", detail_context(request, proposal), request),
            }

        entry = cached_fragment(
            f"public:proposal:{translation.get_language()}:{pk}:{before}", public_version(), render_public,
            fresh=lambda entry: entry["refunds"] is None or entry["refunds"] == paid_refunds(pk),
        )
        return render(request, "proposals/detail.html", {"proposal": {"title": entry["title"]},
                                                         "cached_content": entry["body"]})
    return render_detail(request, proposal_or_404(request, pk))


# --------------------------------------------------------------------------- the poster


def poster(request, pk: int):
    """A4 notice poster for the courtyard wall, with a QR code to the proposal page.

    The same sheet for everyone who may see it (the QR code is most of its cost), from the public
    cache; only a public proposal with a running notice has one, and both are part of the version.
    """

    def render_poster():
        proposal = proposal_or_404(request, pk)
        if proposal.status in PRIVATE_STATUSES:
            raise Http404
        notice = (
            proposal.notices.filter(voided_at__isnull=True).select_related("resolution")
            .order_by("-published_at").first()
        )
        if notice is None:
            raise Http404
        return {
            "title": proposal.title,
            "body": render_to_string("proposals/poster.html#content", _poster_context(proposal, notice), request),
        }

    entry = cached_fragment(f"public:poster:{translation.get_language()}:{pk}", public_version(), render_poster)
    return render(request, "proposals/poster.html", {"proposal": {"title": entry["title"]},
                                                     "cached_content": entry["body"]})


def _poster_context(proposal, notice) -> dict:
    resolution = notice.resolution
    url = settings.SITE_URL + reverse("proposals:detail", args=[proposal.pk])
    return {
        "proposal": proposal, "notice": notice, "resolution": resolution, "rows": _resolution_rows(resolution),
        "url": url, "qr": mark_safe(qr_svg(url)),  # generated here from our own URL, no user text in it
    }
