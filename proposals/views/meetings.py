"""Council meetings: 应到/实到, attendance, minutes and agenda (councils.meeting_record, proposals.agenda_add)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils.enums import CouncilKind
from councils.models import Council, Meeting
from councils.policies import seated_members
from councils.services import meeting_record
from proposals import services
from proposals.enums import ProposalStatus as S
from proposals.forms import AgendaAddForm, MeetingForm, RoadshowForm, RoadshowQuestionForm
from proposals.models import AgendaItem, Proposal
from yishi.errors import DomainError

from .access import viewer_for
from .common import error_status, forbidden

# What a community council meets about: proposals that reached it.
COMMUNITY_AGENDA = [S.NOTICE, S.SUBMITTED, S.COMMUNITY_VOTE, S.APPROVED, S.REJECTED, S.FUNDED, S.RELEASED,
                    S.IN_PROGRESS, S.ACCEPTED, S.SETTLED]


def _recordable_councils(viewer):
    """Councils the viewer may record meetings for: those they sit on, and those of communities they staff."""
    if viewer.is_superuser:
        return Council.objects.all()
    return Council.objects.filter(Q(pk__in=viewer.council_ids) | Q(community_id__in=viewer.staff_community_ids))


def _agenda_candidates(council):
    if council.kind == CouncilKind.GROUP:
        qs = Proposal.objects.filter(group_id=council.group_id).exclude(status__in=[S.DRAFT, S.WITHDRAWN])
    else:
        qs = Proposal.objects.filter(group__community_id=council.community_id, status__in=COMMUNITY_AGENDA)
    return qs.order_by("-updated_at", "-pk")


def _may_read(viewer, meeting, user) -> bool:
    council = meeting.council
    community = council.community
    return (
        viewer.is_seated(council.pk)
        or viewer.is_staff_of(community.pk)
        or viewer.is_supervisor_of(community.pk, community.subdistrict_id)
        or (council.group_id is not None and viewer.is_resident_of(council.group_id))
        or any(a.user_id == user.pk for a in meeting.attendance.all())
    )


def _may_edit_agenda(viewer, meeting) -> bool:
    return viewer.is_seated(meeting.council_id) or viewer.is_staff_of(meeting.council.community_id)


@login_required
def meetings(request):
    """会议记录: meetings of the councils I sit on, staff or supervise."""
    viewer = viewer_for(request)
    if not (viewer.seats or viewer.staff_community_ids or viewer.board_community_ids
            or viewer.board_subdistrict_ids or viewer.is_superuser):
        return forbidden(request, _("只有议事会成员、社区工作人员和监督人员可以查看会议记录。"))
    if viewer.is_superuser:
        scope = Q()
    else:
        scope = (
            Q(council_id__in=viewer.council_ids)
            | Q(council__community_id__in=viewer.staff_community_ids | viewer.board_community_ids)
            | Q(council__community__subdistrict_id__in=viewer.board_subdistrict_ids)
        )
    rows = list(
        Meeting.objects.filter(scope)
        .select_related("council__community", "council__group")
        .annotate(
            present_count=Count("attendance", filter=Q(attendance__present=True), distinct=True),
            agenda_count=Count("agenda", distinct=True),
        )
        .order_by("-held_at", "-pk")[:100]
    )
    can_record = bool(viewer.council_ids or viewer.staff_community_ids or viewer.is_superuser)
    return render(request, "proposals/meetings.html", {"meetings": rows, "can_record": can_record})


@login_required
def meeting_new(request):
    """Record a meeting: choose the council, then time, place, who came, minutes and agenda."""
    viewer = viewer_for(request)
    councils = list(_recordable_councils(viewer).select_related("community", "group").order_by("kind", "name"))
    if not councils:
        return forbidden(request, _("只有议事会成员或社区工作人员可以记录会议。"))
    chosen = request.POST.get("council") or request.GET.get("council")
    council = None
    if len(councils) == 1:
        council = councils[0]
    elif chosen:
        council = next((c for c in councils if str(c.pk) == str(chosen)), None)
        if council is None:
            raise Http404
    if council is None:
        return render(request, "proposals/meeting_new.html", {"councils": councils, "council": None})
    members = seated_members(council)
    form_kwargs = {"members": members, "proposals": _agenda_candidates(council)}
    if request.method != "POST":
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = MeetingForm(initial={"held_at": now}, **form_kwargs)
        return render(request, "proposals/meeting_new.html", {"councils": councils, "council": council, "form": form})
    form = MeetingForm(request.POST, **form_kwargs)
    if not form.is_valid():
        return render(request, "proposals/meeting_new.html", {"councils": councils, "council": council, "form": form})
    data = form.cleaned_data
    try:
        with transaction.atomic():
            meeting = meeting_record(council=council, held_at=data["held_at"], attendees=list(data["attendees"]),
                                     minutes=data["minutes"], actor=request.user, location=data["location"])
            for proposal in data["agenda"]:
                services.agenda_add(meeting=meeting, proposal=proposal, actor=request.user)
    except DomainError as error:
        form.add_error(None, str(error))
        return render(request, "proposals/meeting_new.html", {"councils": councils, "council": council, "form": form},
                      status=error_status(request, error))
    messages.success(request, _("会议记录已保存。"))
    return redirect(reverse("proposals:meeting_detail", args=[meeting.pk]))


def _meeting_for(request, pk):
    meeting = get_object_or_404(
        Meeting.objects.select_related("council__community__subdistrict", "council__group", "recorded_by")
        .prefetch_related("attendance__user", "agenda__proposal", "agenda__presenter", "agenda__questions__asked_by"),
        pk=pk,
    )
    viewer = viewer_for(request)
    if _may_read(viewer, meeting, request.user):
        return meeting, None
    community = meeting.council.community
    if viewer.touches_community(community.pk, community.subdistrict_id):
        return meeting, _("只有本议事会成员、本院落居民、社区工作人员和监督人员可以查看这次会议记录。")
    raise Http404


def _detail(request, meeting, *, form=None, status=200, roadshow_forms=None):
    viewer = viewer_for(request)
    attendance = sorted(meeting.attendance.all(), key=lambda a: (not a.present, a.user.display_name))
    agenda = sorted(meeting.agenda.all(), key=lambda a: a.position)
    may_edit = _may_edit_agenda(viewer, meeting)
    if may_edit and form is None:
        on_agenda = [a.proposal_id for a in agenda]
        form = AgendaAddForm(proposals=_agenda_candidates(meeting.council).exclude(pk__in=on_agenda))
    roadshow_open = may_edit and meeting.council.kind == CouncilKind.COMMUNITY
    members = seated_members(meeting.council, meeting.held_at) if roadshow_open else None
    failed = roadshow_forms or {}
    for item in agenda:
        item.roadshow_open = roadshow_open and item.proposal.status in services.ROADSHOW_STATUSES
        if item.roadshow_open:
            item.roadshow_form = failed.get(("show", item.pk)) or RoadshowForm(
                prefix=f"rs{item.pk}", initial={"presentation": item.presentation,
                                                "self_raised_source": item.self_raised_source,
                                                "presenter": item.presenter.username if item.presenter else ""})
            item.question_form = failed.get(("q", item.pk)) or RoadshowQuestionForm(prefix=f"rq{item.pk}",
                                                                                    members=members)
    return render(request, "proposals/meeting_detail.html", {
        "meeting": meeting,
        "attendance": attendance,
        "present_count": sum(1 for a in attendance if a.present),
        "absent_count": sum(1 for a in attendance if not a.present),
        "agenda": agenda,
        "agenda_form": form if may_edit else None,
    }, status=status)


@login_required
def meeting_detail(request, pk):
    meeting, refusal = _meeting_for(request, pk)
    if refusal:
        return forbidden(request, refusal)
    return _detail(request, meeting)


@login_required
@require_POST
def agenda_add(request, pk):
    meeting, refusal = _meeting_for(request, pk)
    if refusal:
        return forbidden(request, refusal)
    if not _may_edit_agenda(viewer_for(request), meeting):
        return forbidden(request, _("只有议事会成员或社区工作人员可以安排议程。"))
    form = AgendaAddForm(request.POST, proposals=_agenda_candidates(meeting.council))
    if not form.is_valid():
        return _detail(request, meeting, form=form)
    try:
        services.agenda_add(meeting=meeting, proposal=form.cleaned_data["proposal"], actor=request.user)
    except DomainError as error:
        form.add_error(None, str(error))
        return _detail(request, meeting, form=form, status=error_status(request, error))
    messages.success(request, _("已列入议程。"))
    return redirect(reverse("proposals:meeting_detail", args=[meeting.pk]))


def _agenda_item_for(request, pk):
    item = get_object_or_404(AgendaItem.objects.select_related("meeting", "proposal__group"), pk=pk)
    meeting, refusal = _meeting_for(request, item.meeting_id)
    if refusal:
        return None, meeting, refusal
    if not _may_edit_agenda(viewer_for(request), meeting):
        return None, meeting, _("只有社区议事会成员或社区工作人员可以记录路演。")
    return item, meeting, None


@login_required
@require_POST
def roadshow_record(request, pk):
    """路演: record the group's presentation of its proposal at this meeting."""
    item, meeting, refusal = _agenda_item_for(request, pk)
    if refusal:
        return forbidden(request, refusal)
    form = RoadshowForm(request.POST, prefix=f"rs{item.pk}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.roadshow_record(item=item, actor=request.user, presenter=d["presenter"],
                                     presentation=d["presentation"], self_raised_source=d["self_raised_source"])
        except DomainError as error:
            form.add_error(None, str(error))
            return _detail(request, meeting, status=error_status(request, error),
                           roadshow_forms={("show", item.pk): form})
        messages.success(request, _("路演已记录。"))
        return redirect(reverse("proposals:meeting_detail", args=[meeting.pk]) + f"#agenda-{item.pk}")
    return _detail(request, meeting, status=400, roadshow_forms={("show", item.pk): form})


@login_required
@require_POST
def roadshow_question(request, pk):
    """A council member's question at the roadshow and the group's answer."""
    item, meeting, refusal = _agenda_item_for(request, pk)
    if refusal:
        return forbidden(request, refusal)
    form = RoadshowQuestionForm(request.POST, prefix=f"rq{item.pk}",
                                members=seated_members(meeting.council, meeting.held_at))
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.roadshow_question_record(item=item, actor=request.user, asked_by=d["asked_by"],
                                              question=d["question"], answer=d["answer"])
        except DomainError as error:
            form.add_error(None, str(error))
            return _detail(request, meeting, status=error_status(request, error),
                           roadshow_forms={("q", item.pk): form})
        messages.success(request, _("提问和回答已记录。"))
        return redirect(reverse("proposals:meeting_detail", args=[meeting.pk]) + f"#agenda-{item.pk}")
    return _detail(request, meeting, status=400, roadshow_forms={("q", item.pk): form})

