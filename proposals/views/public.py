"""Public pages: the list of notices and decisions, the proposal page, the printable notice poster."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Avg, Count, OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
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
from yishi.qr import qr_svg  # the poster's code; tests and funding's receipts import it from here too

from .access import PRIVATE_STATUSES, proposal_or_404, public_q, viewer_for

CENT = Decimal("0.01")
PAGE_SIZE = 20
PUBLIC_STATUSES = [s for s in S.values if s not in PRIVATE_STATUSES]


# --------------------------------------------------------------------------- list


def public_list(request):
    """公示与决议: every public proposal, newest first, filterable by community and status."""
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
    return render(request, "proposals/public_list.html", {"form": form, "page": page, "now": timezone.now()})


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


def _page_data(proposal) -> dict:
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
    events = list(proposal.events.select_related("actor", "on_behalf_of").order_by("seq"))
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
    viewer = viewer_for(request)
    data = _page_data(proposal)
    acts = _actions(request, proposal, data)
    forms = _action_forms(request, proposal, acts, bound)
    answer_forms = answer_forms or {}
    if acts.get("answer") and data["notice"] is not None:
        for objection in data["notice"].objections.all():
            if objection.answered_at is None:
                objection.answer_form = answer_forms.get(objection.pk) or ObjectionAnswerForm(
                    prefix=f"o{objection.pk}"
                )
    context = {
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
    return render(request, "proposals/detail.html", context, status=status)


def _shows_form(acts, key) -> bool:
    if key == "objection":
        return bool(acts.get("object") or acts.get("object_for"))
    if key in ("return", "withdraw", "group_ballot", "community_ballot", "rate", "answer"):
        return bool(acts.get(ACT_OF[key]))
    return False  # buttons without a form: the message goes to the top of the actions


def detail(request, pk: int):
    proposal = proposal_or_404(request, pk)
    return render_detail(request, proposal)


# --------------------------------------------------------------------------- the poster


def poster(request, pk: int):
    """A4 notice poster for the courtyard wall, with a QR code to the proposal page."""
    proposal = proposal_or_404(request, pk)
    if proposal.status in PRIVATE_STATUSES:
        raise Http404
    notice = (
        proposal.notices.filter(voided_at__isnull=True).select_related("resolution").order_by("-published_at").first()
    )
    if notice is None:
        raise Http404
    resolution = notice.resolution
    url = settings.SITE_URL + reverse("proposals:detail", args=[proposal.pk])
    return render(
        request, "proposals/poster.html",
        {
            "proposal": proposal, "notice": notice, "resolution": resolution, "rows": _resolution_rows(resolution),
            "url": url, "qr": mark_safe(qr_svg(url)),  # generated here from our own URL, no user text in it
        },
    )
