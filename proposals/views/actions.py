"""POST-only actions on a proposal: each checks scope, validates a form, calls one service.

Outcome: a redirect to the proposal page with a message, or the page again
with the refusal (the ``DomainError`` sentence) next to the form that caused
it — 409 for a rule, 403 for a missing right, 200 for a form error.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from proposals import services
from proposals.forms import (
    BallotOpenForm,
    FollowForm,
    ObjectionAnswerForm,
    ObjectionForm,
    RatingForm,
    ReasonForm,
)
from proposals.models import Objection
from yishi.errors import DomainError

from .access import proposal_or_404, viewer_for
from .common import error_status
from .public import render_detail, residents_of


def _in_scope(request, pk):
    """The proposal, if readable and the user holds any membership in its community; 404 otherwise."""
    proposal = proposal_or_404(request, pk)
    community = proposal.group.community
    if not viewer_for(request).touches_community(community.pk, community.subdistrict_id):
        raise Http404
    return proposal


def _done(request, proposal, message):
    messages.success(request, message)
    return redirect(reverse("proposals:detail", args=[proposal.pk]))


def _refused(request, pk, error, *, key, form=None, answer_forms=None):
    """The page again, freshly read (nothing changed), with the sentence next to its form."""
    proposal = proposal_or_404(request, pk)
    if form is not None:
        form.add_error(None, str(error))
    bound = {key: form} if form is not None and key != "answer" else None
    return render_detail(
        request, proposal, bound=bound, answer_forms=answer_forms, error=str(error), error_key=key,
        status=error_status(request, error),
    )


def _invalid(request, proposal, *, key, form=None, answer_forms=None):
    return render_detail(request, proposal, bound={key: form} if form is not None else None,
                         answer_forms=answer_forms, error_key=key)


@login_required
@require_POST
def submit(request, pk):
    """DRAFT -> GROUP_REVIEW by the author."""
    proposal = _in_scope(request, pk)
    try:
        services.proposal_submit(proposal=proposal, actor=request.user)
    except DomainError as error:
        return _refused(request, pk, error, key="submit")
    return _done(request, proposal, _("已提交小组议事会讨论。"))


def _with_reason(request, pk, *, key: str, service, message):
    """A transition that needs a written reason (form prefix ``key``): validate, call, report."""
    proposal = _in_scope(request, pk)
    form = ReasonForm(request.POST, prefix=key)
    if not form.is_valid():
        return _invalid(request, proposal, key=key, form=form)
    try:
        service(proposal=proposal, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        return _refused(request, pk, error, key=key, form=form)
    return _done(request, proposal, message)


@login_required
@require_POST
def return_draft(request, pk):
    """GROUP_REVIEW -> DRAFT by the group council, with a reason."""
    return _with_reason(request, pk, key="return", service=services.proposal_return,
                        message=_("已退回提议人修改。"))


@login_required
@require_POST
def withdraw(request, pk):
    return _with_reason(request, pk, key="withdraw", service=services.proposal_withdraw, message=_("议案已撤回。"))


@login_required
@require_POST
def follow(request, pk):
    """Follow or stop following; anyone who may read the proposal may follow it."""
    proposal = proposal_or_404(request, pk)
    form = FollowForm(request.POST)
    form.is_valid()  # a missing or odd value means "stop following"
    following = bool(form.cleaned_data.get("follow"))
    services.proposal_follow(proposal=proposal, user=request.user, follow=following)
    if request.htmx:
        return render(request, "proposals/detail.html#follow",
                      {"proposal": proposal, "acts": {"follow": True, "following": following}})
    return _done(request, proposal, _("已关注，议案有进展时会通知您。") if following else _("已取消关注。"))


def _ballot_open(request, pk, *, opener, prefix: str, key: str, message: str):
    proposal = _in_scope(request, pk)
    form = BallotOpenForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _invalid(request, proposal, key=key, form=form)
    try:
        ballot = opener(proposal=proposal, actor=request.user, closes_at=form.cleaned_data["closes_at"])
    except DomainError as error:
        return _refused(request, pk, error, key=key, form=form)
    messages.success(request, message)
    return redirect(reverse("proposals:ballot", args=[ballot.pk]))


@login_required
@require_POST
def group_ballot_open(request, pk):
    """R4: the group council opens its ballot on the proposal as it stands."""
    return _ballot_open(request, pk, opener=services.group_ballot_open, prefix="gb",
                        key="group_ballot", message=_("小组表决已开始。"))


@login_required
@require_POST
def community_ballot_open(request, pk):
    """R7: community staff open the community council's ballot on the noticed resolution."""
    return _ballot_open(request, pk, opener=services.community_ballot_open, prefix="cb",
                        key="community_ballot", message=_("社区表决已开始。"))


@login_required
@require_POST
def notice_publish(request, pk):
    """R5: ADOPTED -> NOTICE."""
    proposal = _in_scope(request, pk)
    try:
        services.notice_publish(proposal=proposal, actor=request.user)
    except DomainError as error:
        return _refused(request, pk, error, key="publish")
    return _done(request, proposal, _("决议已公示。可以打印公示海报张贴在院落里。"))


@login_required
@require_POST
def objection_file(request, pk):
    """R5: a resident objects while the notice runs; community staff may record it for a resident."""
    proposal = _in_scope(request, pk)
    viewer = viewer_for(request)
    on_behalf = viewer.is_staff_of(proposal.group.community_id) and not viewer.is_resident_of(proposal.group_id)
    form = ObjectionForm(request.POST, prefix="obj",
                         resident_queryset=residents_of(proposal.group) if on_behalf else None)
    if not form.is_valid():
        return _invalid(request, proposal, key="objection", form=form)
    notice = services.current_notice(proposal)
    if notice is None:
        return _refused(request, pk, DomainError(_("这个议案没有正在进行的公示。")), key="objection", form=form)
    try:
        if on_behalf:
            services.objection_file(notice=notice, resident=form.cleaned_data["resident"],
                                    text=form.cleaned_data["text"], recorded_by=request.user)
        else:
            services.objection_file(notice=notice, resident=request.user, text=form.cleaned_data["text"])
    except DomainError as error:
        return _refused(request, pk, error, key="objection", form=form)
    return _done(request, proposal, _("异议已提交，小组议事会将作出答复。"))


@login_required
@require_POST
def objection_answer(request, pk):
    """R5: the group council dismisses an objection with a reason, or upholds it."""
    objection = get_object_or_404(Objection.objects.select_related("notice"), pk=pk)
    proposal = _in_scope(request, objection.notice.proposal_id)
    form = ObjectionAnswerForm(request.POST, prefix=f"o{objection.pk}")
    if not form.is_valid():
        return _invalid(request, proposal, key="answer", answer_forms={objection.pk: form})
    try:
        services.objection_answer(objection=objection, actor=request.user, upheld=form.upheld,
                                  answer=form.cleaned_data["answer"])
    except DomainError as error:
        return _refused(request, proposal.pk, error, key="answer", form=form, answer_forms={objection.pk: form})
    if form.upheld:
        message = _("异议已采纳：公示作废，议案退回小组重新议事。")
    else:
        message = _("已答复异议。")
    return _done(request, proposal, message)


@login_required
@require_POST
def submit_to_community(request, pk):
    """R6: NOTICE -> SUBMITTED once the notice ran its full time with every objection dismissed."""
    proposal = _in_scope(request, pk)
    try:
        services.proposal_submit_to_community(proposal=proposal, actor=request.user)
    except DomainError as error:
        return _refused(request, pk, error, key="submit_to_community")
    return _done(request, proposal, _("已提交社区议事会，等待社区工作人员发起表决。"))


@login_required
@require_POST
def rate(request, pk):
    proposal = _in_scope(request, pk)
    form = RatingForm(request.POST, prefix="rate")
    if not form.is_valid():
        return _invalid(request, proposal, key="rate", form=form)
    try:
        services.rating_record(proposal=proposal, resident=request.user, stars=form.cleaned_data["stars"],
                               comment=form.cleaned_data["comment"])
    except DomainError as error:
        return _refused(request, pk, error, key="rate", form=form)
    return _done(request, proposal, _("谢谢您的评价。"))
