"""Performance evaluation pages (R26): the evaluators' workbench, the evaluation form, appointments,
and the subdistrict report of findings (late payments, missing records, low participation) with
its CSV export.

Who: street-office staff of a subdistrict, and evaluators they appointed there (workbench, form);
street staff appoint; street staff and supervisors read the report. Anyone else gets 403 with the
reason; a project outside the person's subdistricts is 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from councils.forms import AccountField
from councils.models import Community, Subdistrict
from proposals.enums import ProposalStatus as PS
from proposals.models import Proposal
from yishi.errors import PermissionDenied
from yishi.text import LineField, TextField
from yishi.views import attempt

from .. import evaluation as ev
from .. import evaluation_report as report
from ..enums import EvaluationClass, EvaluationStage
from ..models import Evaluation, EvaluatorAppointment
from .common import is_street_staff, is_supervisor, money_readers_q, viewer
from .reports import _download
from ..templatetags.evaluation_tags import with_rows

PAGE_SIZE = 20


def form_invalid(request, form) -> None:
    """A form that failed its shape check, on a page that redirects: say what to fix."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{errors[0]}" if label else errors[0])
        return


# --------------------------------------------------------------------------- forms


class EvaluationForm(forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("评估阶段"), choices=EvaluationStage.choices,
                              widget=forms.RadioSelect)
    findings = TextField(label=gettext_lazy("评估发现"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, evaluation_class, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = ev.criteria(evaluation_class)
        for code, label, points in self.criteria:
            self.fields[f"score_{code}"] = forms.DecimalField(
                label=f"{label}（{points}）", min_value=0, max_value=points, decimal_places=1, max_digits=4)
        self.order_fields(["stage", *[f"score_{c}" for c, _l, _p in self.criteria], "findings"])

    def scores(self) -> dict:
        return {code: self.cleaned_data[f"score_{code}"] for code, _l, _p in self.criteria}


class AppointForm(forms.Form):
    subdistrict = forms.ModelChoiceField(label=gettext_lazy("街道"), queryset=Subdistrict.objects.none())
    account = AccountField(label=gettext_lazy("评估人账号（登录名或手机号）"))
    affiliation = LineField(label=gettext_lazy("所在机构（可不填）"), max_length=120, required=False)

    def __init__(self, *args, subdistricts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].queryset = subdistricts


# --------------------------------------------------------------------------- scope


def _evaluator_subdistrict_ids(request) -> set:
    v = viewer(request)
    ids = set(v.street_subdistrict_ids)
    ids |= set(EvaluatorAppointment.objects.filter(user=request.user, ended_at__isnull=True)
               .values_list("subdistrict_id", flat=True))
    return ids


def _evaluation_scope(request):
    """Subdistricts whose projects the user evaluates; 403 for anyone who evaluates nowhere."""
    if request.user.is_superuser:
        return None  # everywhere
    ids = _evaluator_subdistrict_ids(request)
    if not ids:
        raise PermissionDenied(_("绩效评估只对街道办工作人员和街道委托的评估人开放。"))
    return ids


def _in_scope(request, community) -> None:
    ids = _evaluation_scope(request)
    if ids is not None and community.subdistrict_id not in ids:
        raise Http404


# --------------------------------------------------------------------------- workbench and form


@login_required
def workbench(request):
    """Projects waiting for an evaluation in the user's subdistricts, and (street staff) the appointments."""
    ids = _evaluation_scope(request)
    place = Q() if ids is None else Q(group__community__subdistrict_id__in=ids)
    evaluated = Evaluation.objects.filter(proposal=OuterRef("pk"))
    proposals = (Proposal.objects.filter(place, status__in=[PS.RELEASED, PS.IN_PROGRESS, PS.ACCEPTED, PS.SETTLED])
                 .select_related("group__community")
                 .annotate(mid=Exists(evaluated.filter(stage=EvaluationStage.MID_TERM)),
                           final=Exists(evaluated.filter(stage=EvaluationStage.FINAL)))
                 .order_by("-pk"))
    from needs.models import ServiceProject

    sp_place = Q() if ids is None else Q(community__subdistrict_id__in=ids)
    sp_evaluated = Evaluation.objects.filter(project=OuterRef("pk"))
    projects = (ServiceProject.objects.filter(sp_place, status__in=["claimed", "in_service", "completed"])
                .select_related("community")
                .annotate(mid=Exists(sp_evaluated.filter(stage=EvaluationStage.MID_TERM)),
                          final=Exists(sp_evaluated.filter(stage=EvaluationStage.FINAL)))
                .order_by("-pk"))
    v = viewer(request)
    street_ids = None if request.user.is_superuser else set(v.street_subdistrict_ids)
    appointments = form = None
    if street_ids is None or street_ids:
        subdistricts = Subdistrict.objects.all() if street_ids is None else Subdistrict.objects.filter(pk__in=street_ids)
        appointments = (EvaluatorAppointment.objects.filter(subdistrict__in=subdistricts, ended_at__isnull=True)
                        .select_related("user", "subdistrict").order_by("-appointed_at")[:100])
        form = AppointForm(subdistricts=subdistricts)
    recent = (Evaluation.objects.filter(Q() if ids is None else Q(community__subdistrict_id__in=ids))
              .select_related("proposal", "project", "community").order_by("-recorded_at")[:10])
    return render(request, "funding/evaluation/workbench.html", {
        "proposals": Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("page")),
        "projects": Paginator(projects, PAGE_SIZE).get_page(request.GET.get("sp")),
        "appointments": appointments, "appoint_form": form, "recent": recent,
    })


def _subject(kind, pk):
    if kind == "proposal":
        proposal = get_object_or_404(Proposal.objects.select_related("group__community__subdistrict"), pk=pk)
        return proposal, None, proposal.group.community
    if kind == "project":
        from needs.models import ServiceProject

        project = get_object_or_404(ServiceProject.objects.select_related("community__subdistrict"), pk=pk)
        return None, project, project.community
    raise Http404


@login_required
def evaluation_add(request, kind, pk):
    """Score a project by its class's criteria, with findings; one evaluation per stage."""
    proposal, project, community = _subject(kind, pk)
    _in_scope(request, community)
    evaluation_class = ev.class_of(proposal=proposal, project=project)
    form = EvaluationForm(request.POST or None, evaluation_class=evaluation_class)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: ev.evaluation_record(
                actor=request.user, stage=data["stage"], scores=form.scores(), findings=data["findings"],
                proposal=proposal, project=project), success=_("评估已记录。"), form=form):
            return redirect("funding:evaluations")
    done = [with_rows(e) for e in Evaluation.objects.filter(
        **({"proposal": proposal} if proposal else {"project": project})).select_related("appointment")
        .order_by("recorded_at")]
    return render(request, "funding/evaluation/form.html", {
        "subject": proposal or project, "kind": kind, "community": community, "form": form,
        "evaluation_class": EvaluationClass(evaluation_class).label, "done": done,
    })


@login_required
@require_POST
def appoint(request):
    v = viewer(request)
    if not is_street_staff(v):
        raise PermissionDenied(_("只有街道办工作人员可以委托评估人。"))
    subdistricts = Subdistrict.objects.all() if request.user.is_superuser else \
        Subdistrict.objects.filter(pk__in=v.street_subdistrict_ids)
    form = AppointForm(request.POST, subdistricts=subdistricts)
    if form.is_valid():
        data = form.cleaned_data
        attempt(request, lambda: ev.evaluator_appoint(subdistrict=data["subdistrict"], user=data["account"],
                                                      actor=request.user, affiliation=data["affiliation"]),
                success=_("已委托%(name)s为评估人。") % {"name": data["account"].display_name})
    else:
        form_invalid(request, form)
    return redirect("funding:evaluations")


@login_required
@require_POST
def appointment_end(request, pk):
    appointment = get_object_or_404(EvaluatorAppointment.objects.select_related("subdistrict", "user"), pk=pk)
    v = viewer(request)
    if not (request.user.is_superuser or appointment.subdistrict_id in v.street_subdistrict_ids):
        raise Http404
    attempt(request, lambda: ev.evaluator_end(appointment=appointment, actor=request.user),
            success=_("已结束对%(name)s的委托。") % {"name": appointment.user.display_name})
    return redirect("funding:evaluations")


# --------------------------------------------------------------------------- the subdistrict report


def _report_communities(request):
    v = viewer(request)
    if not (is_street_staff(v) or is_supervisor(v)):
        raise PermissionDenied(_("评估报告只对街道办工作人员和监督人员开放。"))
    communities = Community.objects.filter(money_readers_q(v)).select_related("subdistrict").order_by("name")
    raw = request.GET.get("community") or ""
    if raw:
        if not raw.isdigit():
            raise Http404
        chosen = communities.filter(pk=int(raw)).first()
        if chosen is None:
            raise Http404
        return communities, [chosen], chosen
    return communities, communities, None


@login_required
def report_page(request):
    """Per project: late payments, missing process records, low participation; the final grade."""
    communities, scope, chosen = _report_communities(request)
    now = timezone.now()
    proposals = Paginator(report.proposals_queryset(scope), PAGE_SIZE).get_page(request.GET.get("page"))
    projects = Paginator(report.projects_queryset(scope), PAGE_SIZE).get_page(request.GET.get("sp"))
    return render(request, "funding/evaluation/report.html", {
        "communities": communities, "chosen": chosen,
        "proposals": proposals, "proposal_rows": [report.proposal_row(p, now) for p in proposals.object_list],
        "projects": projects, "project_rows": [report.project_row(p, now) for p in projects.object_list],
        "late_days": report.LATE_DAYS, "acceptance_days": report.ACCEPTANCE_DAYS,
        "min_ratings": report.MIN_RATINGS,
    })


@login_required
def report_export(request):
    _communities, scope, chosen = _report_communities(request)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _download(report.report_table(scope), "csv",
                     f"evaluation-findings-{chosen.slug if chosen else 'all'}-{stamp}")
