"""Election pages: public list, election page with live turnout and results, the ballot with a
confirm step, the roll (staff and supervisors: who voted, never what), the A4 results notice,
and the staff workbench (open, nominate, paper ballots, count, runoff).

Every mutation is POST-only and calls one service; a refusal shows next to its form. Objects
outside the user's community answer 404; a role without the right, 403 with the reason.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies as cp
from councils.enums import StaffLevel
from councils.models import Community, StaffPost
from yishi.errors import PermissionDenied
from yishi.qr import qr_svg
from yishi.views import attempt

from . import policies, selectors, services
from .enums import CandidateResult, ElectionStatus, Phase
from .forms import (
    BallotForm,
    ElectionOpenForm,
    NominateForm,
    PaperBallotForm,
    RunoffForm,
    SelfNominationForm,
    StatementForm,
)
from .models import Candidate, Election, ElectionVoter

PAGE_SIZE = 20
ROLL_PAGE_SIZE = 50


def _election_or_404(pk: int) -> Election:
    try:
        return selectors.election_for_page(pk)
    except Election.DoesNotExist:
        raise Http404 from None


def _current_round(election):
    return next(r for r in election.rounds.all() if r.number == election.current_round)


def _round_candidates(election, round_):
    """The round's candidates; before the first round's roll is made, every candidate."""
    qs = round_.candidates.all() if round_.roll_frozen_at else election.candidates.all()
    return qs.select_related("user").order_by("user__full_name", "user__username")


def _require_staff(request, election):
    if not policies.can_manage(request.user, election):
        if policies.touches_community(request.user, election.community):
            raise PermissionDenied(_("只有本社区的工作人员可以管理推选。"))
        raise Http404


def _voter_state(user, election, round_, now) -> dict:
    """Whether ``user`` is (or, before the roll is made, will be) on the roll, and has voted."""
    if not (user and user.is_authenticated):
        return {"on_roll": False, "entry": None}
    if round_.roll_frozen_at is not None:
        entry = ElectionVoter.objects.filter(round=round_, user=user).first()
        return {"on_roll": entry is not None, "entry": entry}
    at = min(now, round_.opens_at)
    return {"on_roll": services.residents_in_scope(election, at).filter(user=user).exists(), "entry": None}


# --------------------------------------------------------------------------- public


def election_list(request):
    """推选: every election, newest first."""
    page = Paginator(selectors.elections_listed(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "elections/list.html", {"page": page})


def _detail_context(request, election) -> dict:
    now = timezone.now()
    round_ = _current_round(election)
    phase = election.phase(now)
    user = request.user
    voter = _voter_state(user, election, round_, now)
    my_candidacy = next((c for c in election.candidates.all() if user.is_authenticated and c.user_id == user.pk), None)
    return {
        "election": election,
        "phase": phase,
        "phases": Phase,
        "round": round_,
        "statements_public": now >= election.nominations_close,
        "voting": phase == Phase.VOTING,
        "show_turnout": phase in (Phase.VOTING, Phase.COUNTING),
        "turnout": selectors.turnout(round_) if phase in (Phase.VOTING, Phase.COUNTING) else None,
        "results": selectors.round_results(election),
        "voter": voter,
        "can_vote": phase == Phase.VOTING and voter["on_roll"] and not (voter["entry"] and voter["entry"].voted),
        "can_manage": policies.can_manage(user, election),
        "can_see_roll": policies.can_see_roll(user, election),
        "my_candidacy": my_candidacy,
        "statement_form": StatementForm(initial={"statement": my_candidacy.statement}) if my_candidacy else None,
        "statement_open": election.status == ElectionStatus.SCHEDULED and now < election.opens_at,
        "elected": [c for c in election.candidates.all() if c.result == CandidateResult.ELECTED],
        "may_stand": phase == Phase.NOMINATION and my_candidacy is None and user.is_authenticated
        and services.residents_in_scope(election, now).filter(user=user).exists(),
        "stand_form": SelfNominationForm(election=election),
    }


def election_detail(request, pk: int):
    election = _election_or_404(pk)
    return render(request, "elections/detail.html", _detail_context(request, election))


@login_required
@require_POST
def stand(request, pk: int):
    """自荐: the signed-in resident stands, naming 3 residents who support them."""
    election = _election_or_404(pk)
    if not policies.in_scope(request.user, election):
        raise Http404
    form = SelfNominationForm(request.POST, election=election)
    if form.is_valid() and attempt(request, lambda: services.candidate_nominate(
            election=election, candidate=request.user, actor=request.user, supporters=form.supporters()),
            success=_("您已登记为候选人。请在提名截止前写好个人陈述。"), form=form):
        return redirect("elections:detail", pk=election.pk)
    context = _detail_context(request, election)
    context["stand_form"] = form
    return render(request, "elections/detail.html", context, status=400)


def election_turnout(request, pk: int):
    """The live turnout fragment (numbers of voters only; never a count of votes while open)."""
    election = _election_or_404(pk)
    round_ = _current_round(election)
    phase = election.phase()
    return render(request, "elections/detail.html#turnout", {
        "election": election, "round": round_, "phase": phase, "phases": Phase,
        "show_turnout": phase in (Phase.VOTING, Phase.COUNTING), "turnout": selectors.turnout(round_),
    })


def election_notice(request, pk: int):
    """A4 results notice for the courtyard board, with a QR code to the election page."""
    election = _election_or_404(pk)
    if not election.rounds.all() or not any(r.closed_at for r in election.rounds.all()):
        raise Http404
    url = settings.SITE_URL + reverse("elections:detail", args=[election.pk])
    return render(request, "elections/notice.html", {
        "election": election, "results": selectors.round_results(election),
        "elected": [c for c in election.candidates.all() if c.result == CandidateResult.ELECTED],
        "url": url, "qr": mark_safe(qr_svg(url)),  # our own URL, no user text in it
    })


# --------------------------------------------------------------------------- voting


def _ballot_round(request, election):
    now = timezone.now()
    round_ = _current_round(election)
    if not policies.in_scope(request.user, election):
        raise Http404
    voter = _voter_state(request.user, election, round_, now)
    if not voter["on_roll"]:
        raise PermissionDenied(_("您不在这次推选的选民名册上（名册是投票开始时本小组的核实居民）。"))
    return round_, voter


@login_required
def ballot(request, pk: int):
    election = _election_or_404(pk)
    round_, voter = _ballot_round(request, election)
    form = BallotForm(candidates=_round_candidates(election, round_))
    return render(request, "elections/ballot.html", {
        "election": election, "round": round_, "form": form, "voter": voter,
        "voting": election.phase() == Phase.VOTING,
    })


@login_required
@require_POST
def ballot_cast(request, pk: int):
    """First POST shows the confirm step with the names ticked; the second (confirm=on) casts."""
    election = _election_or_404(pk)
    round_, voter = _ballot_round(request, election)
    form = BallotForm(request.POST, candidates=_round_candidates(election, round_))
    context = {"election": election, "round": round_, "form": form, "voter": voter, "voting": True}
    if form.is_valid() and len(form.cleaned_data["choices"]) > round_.seats:
        form.add_error("choices", _("最多可以选 %(seats)d 人，您选了 %(n)d 人。") % {
            "seats": round_.seats, "n": len(form.cleaned_data["choices"])})
    if not form.is_valid():
        return render(request, "elections/ballot.html", context, status=400)
    if request.POST.get("confirm") != "on":
        context.update(confirming=True, chosen=form.chosen())
        return render(request, "elections/ballot.html", context)
    call = lambda: services.election_ballot_cast(election=election, voter=request.user, choices=form.chosen())  # noqa: E731
    if attempt(request, call, success=_("您的选票已投出。选票不记姓名，任何人都看不到您选了谁。"), form=form):
        return redirect("elections:detail", pk=election.pk)
    return render(request, "elections/ballot.html", context, status=409)


@login_required
@require_POST
def statement(request, pk: int):
    candidate = get_object_or_404(Candidate.objects.select_related("election__community"), pk=pk)
    if candidate.user_id != request.user.pk:
        _require_staff(request, candidate.election)
    form = StatementForm(request.POST)
    if form.is_valid():
        attempt(request, lambda: services.candidate_statement_set(
            candidate=candidate, actor=request.user, statement=form.cleaned_data["statement"]),
            success=_("个人陈述已保存。"))
    else:
        messages.error(request, _("个人陈述最多 1000 字。"))
    return redirect("elections:detail", pk=candidate.election_id)


# --------------------------------------------------------------------------- roll


@login_required
def roll(request, pk: int):
    """选民名册: who voted, online or on paper and into which box. Never what anyone chose."""
    election = _election_or_404(pk)
    if not policies.can_see_roll(request.user, election):
        if policies.touches_community(request.user, election.community):
            raise PermissionDenied(_("选民名册只对社区工作人员和监督人员开放。"))
        raise Http404
    rounds = list(election.rounds.all())
    try:
        number = int(request.GET.get("round") or election.current_round)
    except ValueError:
        raise Http404 from None
    round_ = next((r for r in rounds if r.number == number), None)
    if round_ is None:
        raise Http404
    entries = ElectionVoter.objects.filter(round=round_).select_related("user", "recorded_by").order_by(
        "user__full_name", "user__username", "pk")
    page = Paginator(entries, ROLL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "elections/roll.html", {
        "election": election, "round": round_, "rounds": rounds, "page": page, "turnout": selectors.turnout(round_),
    })


# --------------------------------------------------------------------------- staff workbench


def _staff_communities(user):
    if user.is_superuser:
        return Community.objects.order_by("name")
    posts = StaffPost.objects.current().filter(user=user, level=StaffLevel.COMMUNITY)
    return Community.objects.filter(pk__in=posts.values("community")).order_by("name")


def _staff_community(request):
    communities = list(_staff_communities(request.user))
    if not communities:
        raise PermissionDenied(_("推选工作台只对社区工作人员开放。"))
    wanted = request.GET.get("community") or request.POST.get("community")
    if wanted:
        match = [c for c in communities if str(c.pk) == str(wanted)]
        if not match:
            raise Http404
        return match[0], communities
    return communities[0], communities


def _workbench(request, *, open_form=None, status=200):
    community, communities = _staff_community(request)
    page = Paginator(selectors.elections_listed().filter(community=community), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "elections/workbench.html", {
        "community": community, "communities": communities, "page": page,
        "open_form": open_form or ElectionOpenForm(community=community),
    }, status=status)


@login_required
def workbench(request):
    return _workbench(request)


@login_required
@require_POST
def election_open(request):
    community, _communities = _staff_community(request)
    form = ElectionOpenForm(request.POST, community=community)
    if form.is_valid():
        d = form.cleaned_data
        created = {}

        def call():
            created["e"] = services.election_open(
                target=d["target"], actor=request.user, seats=d["seats"], nominations_close=d["nominations_close"],
                opens_at=d["opens_at"], closes_at=d["closes_at"], uncontested=d["uncontested"])

        if attempt(request, call, success=_("推选已发起。请在提名截止前登记候选人。"), form=form):
            return redirect("elections:manage", pk=created["e"].pk)
    return _workbench(request, open_form=form, status=400)


def _manage(request, election, *, forms=None, status=200):
    forms = forms or {}
    round_ = _current_round(election)
    candidates = _round_candidates(election, round_)
    return render(request, "elections/manage.html", {
        "election": election, "round": round_, "phase": election.phase(), "phases": Phase,
        "turnout": selectors.turnout(round_),
        "nominate_form": forms.get("nominate") or NominateForm(),
        "paper_form": forms.get("paper") or PaperBallotForm(candidates=candidates),
        "runoff_form": forms.get("runoff") or RunoffForm(),
        "results": selectors.round_results(election),
        "events": election.events.select_related("actor").order_by("-created_at", "-pk")[:20],
    }, status=status)


@login_required
def manage(request, pk: int):
    election = _election_or_404(pk)
    _require_staff(request, election)
    return _manage(request, election)


@login_required
@require_POST
def nominate(request, pk: int):
    election = _election_or_404(pk)
    _require_staff(request, election)
    form = NominateForm(request.POST, election=election)
    if form.is_valid() and attempt(request, lambda: services.candidate_nominate(
            election=election, candidate=form.cleaned_data["candidate"], actor=request.user),
            success=_("候选人已登记。"), form=form):
        return redirect("elections:manage", pk=election.pk)
    return _manage(request, election, forms={"nominate": form}, status=400)


@login_required
@require_POST
def paper_ballot(request, pk: int):
    election = _election_or_404(pk)
    _require_staff(request, election)
    round_ = _current_round(election)
    form = PaperBallotForm(request.POST, candidates=_round_candidates(election, round_), election=election,
                           round_=round_)
    if form.is_valid() and attempt(request, lambda: services.election_paper_ballot(
            election=election, voter=form.cleaned_data["voter"], choices=form.chosen(), actor=request.user,
            box=form.cleaned_data["box"]), success=_("纸质选票已录入，名册上已标记该选民投票。"), form=form):
        return redirect("elections:manage", pk=election.pk)
    return _manage(request, election, forms={"paper": form}, status=400)


@login_required
@require_POST
def close(request, pk: int):
    election = _election_or_404(pk)
    _require_staff(request, election)
    attempt(request, lambda: services.election_close(election=election, actor=request.user),
            success=_("已计票。"))
    return redirect("elections:manage", pk=election.pk)


@login_required
@require_POST
def runoff_open(request, pk: int):
    election = _election_or_404(pk)
    _require_staff(request, election)
    form = RunoffForm(request.POST)
    if form.is_valid() and attempt(request, lambda: services.election_runoff_open(
            election=election, actor=request.user, closes_at=form.cleaned_data["closes_at"]),
            success=_("第二轮投票已开始。"), form=form):
        return redirect("elections:manage", pk=election.pk)
    return _manage(request, election, forms={"runoff": form}, status=400)
