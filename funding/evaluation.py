"""Performance evaluation of community-fund projects (绩效评估, R26).

Street-office staff of a subdistrict, or an evaluator they appoint for it
(``evaluator_appoint``), record a mid-term and a final evaluation of a proposal's
project or a service project: the class (hardware upkeep, professional service,
resident-run) decides the criteria (``enums.EVALUATION_CRITERIA``), each scored
from 0 to its full points, the total out of 100 gives the grade, and the
findings say what was seen. One evaluation per project and stage (a database
constraint). The final one is public beside the project's final accounts.

A refusal raises ``DomainError`` with a sentence a person can act on and changes nothing.
"""

import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from councils.models import Subdistrict
from proposals.enums import Category, ProposalStatus
from proposals.models import Proposal
from yishi.errors import DomainError, InvalidTransition, PermissionDenied
from yishi.text import check_text

from .enums import EVALUATION_CRITERIA, GRADE_FLOORS, EvaluationClass, EvaluationGrade, EvaluationStage
from .models import Evaluation, EvaluatorAppointment

PS = ProposalStatus
STAGE_STATES = {
    # proposal: money released and work under way (mid-term); final accounts posted (final).
    "proposal": {EvaluationStage.MID_TERM: (PS.RELEASED, PS.IN_PROGRESS, PS.ACCEPTED),
                 EvaluationStage.FINAL: (PS.SETTLED,)},
    # service project: serving (mid-term); completed with its report (final).
    "project": {EvaluationStage.MID_TERM: ("claimed", "in_service"), EvaluationStage.FINAL: ("completed",)},
}
# Proposals of these categories are resident-run activities rather than hardware upkeep.
RESIDENT_RUN_CATEGORIES = (Category.ELDERLY, Category.CULTURE)
TENTH = Decimal("0.1")


def criteria(evaluation_class: str):
    """[(code, label, full points)] of a class."""
    return EVALUATION_CRITERIA[evaluation_class]


def _short(label) -> str:
    """A criterion's name without its explanation (before the colon)."""
    return re.split("[：:]", str(label), maxsplit=1)[0]


def grade_of(total: Decimal) -> str:
    for floor, grade in GRADE_FLOORS:
        if total >= floor:
            return grade
    return EvaluationGrade.FAIL


def class_of(*, proposal=None, project=None) -> str:
    """The class a project is evaluated in: a proposal is hardware upkeep unless it runs an activity for
    residents; a service project is professional service unless a community self-organisation runs it."""
    if proposal is not None:
        return EvaluationClass.RESIDENT_RUN if proposal.category in RESIDENT_RUN_CATEGORIES else \
            EvaluationClass.HARDWARE
    from needs.selectors import confirmed_claim
    from organisations.enums import OrganisationKind

    claim = confirmed_claim(project)
    if claim is not None and claim.organisation.kind == OrganisationKind.SELF_ORGANISATION:
        return EvaluationClass.RESIDENT_RUN
    return EvaluationClass.PROFESSIONAL


def open_appointment(user, subdistrict_id: int) -> EvaluatorAppointment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return EvaluatorAppointment.objects.filter(user=user, subdistrict_id=subdistrict_id, ended_at__isnull=True).first()


def may_evaluate(user, community) -> bool:
    return policies.is_street_staff(user, community.subdistrict) or \
        open_appointment(user, community.subdistrict_id) is not None


def _scores(raw, evaluation_class: str) -> tuple[dict, Decimal]:
    if not isinstance(raw, dict) or not raw:
        raise DomainError(_("请给每一项评估指标打分。"))
    wanted = {code: (label, points) for code, label, points in criteria(evaluation_class)}
    unknown = [str(k) for k in raw if k not in wanted]
    if unknown:
        raise DomainError(
            _("“%(names)s”不是%(cls)s的评估指标；这一类的指标是：%(all)s。") % {
                "names": "、".join(unknown), "cls": EvaluationClass(evaluation_class).label,
                "all": "、".join(_short(label) for label, _p in wanted.values())})
    out, total = {}, Decimal("0")
    for code, (label, points) in wanted.items():
        name = _short(label)
        if code not in raw or raw[code] in (None, ""):
            raise DomainError(_("请给“%(name)s”打分（0 到 %(n)d 分）。") % {"name": name, "n": points})
        try:
            value = Decimal(str(raw[code]).strip())
        except (InvalidOperation, ValueError) as exc:
            raise DomainError(_("“%(name)s”的得分应是数字（0 到 %(n)d 分）。") % {"name": name, "n": points}) from exc
        if not value.is_finite() or value < 0 or value > points:
            raise DomainError(
                _("“%(name)s”满分 %(n)d 分，得分应在 0 到 %(n)d 分之间，您填的是 %(v)s。")
                % {"name": name, "n": points, "v": raw[code]})
        if value != value.quantize(TENTH):
            raise DomainError(_("“%(name)s”的得分最多保留一位小数。") % {"name": name})
        value = value.quantize(TENTH)
        out[code] = str(value)
        total += value
    return out, total


def evaluation_record(*, actor, stage: str, scores, findings: str, proposal: Proposal | None = None,
                      project=None, evaluation_class: str | None = None) -> Evaluation:
    """Record a mid-term or final evaluation of ``proposal`` or ``project`` (exactly one).

    ``scores``: {criterion code: points} for every criterion of the project's class
    (``class_of``, or ``evaluation_class`` to set it). By street-office staff of the
    project's subdistrict or an evaluator they appointed there; once per project and stage.
    """
    if (proposal is None) == (project is None):
        raise DomainError(_("请选择要评估的一个项目：议案项目或服务项目。"))
    if stage not in EvaluationStage.values:
        raise DomainError(_("评估阶段只能是“中期评估”或“结项评估”。"))
    findings = check_text(findings, _("评估发现"), 4000, multiline=True)
    subject = proposal if proposal is not None else project
    community = proposal.group.community if proposal is not None else project.community
    appointment = None
    if not policies.is_street_staff(actor, community.subdistrict):
        appointment = open_appointment(actor, community.subdistrict_id)
        if appointment is None:
            raise PermissionDenied(
                _("只有%(street)s的街道办工作人员或其委托的评估人可以评估这个项目。请联系街道办委托。")
                % {"street": community.subdistrict.name})
    if evaluation_class is None:
        evaluation_class = class_of(proposal=proposal, project=project)
    elif evaluation_class not in EvaluationClass.values:
        raise DomainError(_("项目类别只能是硬件维护类、专业服务类或居民自治类。"))
    clean, total = _scores(scores, evaluation_class)
    if appointment is not None:
        _refuse_conflict(actor, proposal=proposal, project=project)
    kind = "proposal" if proposal is not None else "project"
    with transaction.atomic():
        subject.refresh_from_db(from_queryset=type(subject).objects.select_for_update())
        if subject.status not in STAGE_STATES[kind][stage]:
            if stage == EvaluationStage.FINAL:
                message = _("“%(title)s”现在是“%(status)s”，结项评估要等项目决算（服务项目完成）之后。")
            else:
                message = _("“%(title)s”现在是“%(status)s”，中期评估在资金拨付后、项目实施（服务）期间进行。")
            raise InvalidTransition(message % {"title": subject.title, "status": subject.get_status_display()})
        lookup = {kind: subject, "stage": stage}
        if Evaluation.objects.filter(**lookup).exists():
            raise DomainError(
                _("“%(title)s”的%(stage)s已经做过了，每个阶段一次。") % {
                    "title": subject.title, "stage": EvaluationStage(stage).label}, code="already_evaluated")
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    community=community, proposal=proposal, project=project, stage=stage,
                    evaluation_class=evaluation_class, scores=clean, total=total, grade=grade_of(total),
                    findings=findings, evaluator=actor, appointment=appointment, recorded_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise DomainError(_("这个阶段刚刚已经有人评估过了。"), code="already_evaluated") from exc
        return evaluation


def _refuse_conflict(actor, *, proposal=None, project=None) -> None:
    """An appointed evaluator does not evaluate a project they run or decided on."""
    if proposal is not None and policies.is_group_council_member(actor, proposal.group):
        raise PermissionDenied(_("您是这个居民小组议事会的成员，不能评估本小组的项目，请街道另行委托评估人。"))
    if project is not None:
        from needs.selectors import confirmed_claim
        from organisations import policies as org_policies

        claim = confirmed_claim(project)
        if claim is not None and org_policies.is_member(actor, claim.organisation):
            raise PermissionDenied(_("您是承接这个项目的组织的成员，不能评估它，请街道另行委托评估人。"))


# --------------------------------------------------------------------------- appointments


def evaluator_appoint(*, subdistrict: Subdistrict, user, actor, affiliation: str = "") -> EvaluatorAppointment:
    """Street-office staff appoint ``user`` to evaluate projects of their subdistrict."""
    if not policies.is_street_staff(actor, subdistrict):
        raise PermissionDenied(_("只有%(street)s的街道办工作人员可以委托评估人。") % {"street": subdistrict.name})
    affiliation = check_text(affiliation, _("所在机构"), 120, required=False)
    if user is None or not getattr(user, "is_active", False):
        raise DomainError(_("请填写评估人的账号（登录名或手机号）。"))
    if policies.is_street_staff(user, subdistrict) and not user.is_superuser:
        raise DomainError(_("%(name)s是本街道的工作人员，本来就可以评估，不用委托。") % {"name": user.display_name})
    with transaction.atomic():
        if EvaluatorAppointment.objects.filter(subdistrict=subdistrict, user=user, ended_at__isnull=True).exists():
            raise DomainError(_("%(name)s已经是本街道委托的评估人。") % {"name": user.display_name})
        try:
            with transaction.atomic():
                return EvaluatorAppointment.objects.create(
                    subdistrict=subdistrict, user=user, affiliation=affiliation, appointed_by=actor)
        except IntegrityError as exc:
            raise DomainError(_("%(name)s已经是本街道委托的评估人。") % {"name": user.display_name}) from exc


def evaluator_end(*, appointment: EvaluatorAppointment, actor) -> EvaluatorAppointment:
    """Street-office staff end an appointment; the evaluations made under it stay."""
    if not policies.is_street_staff(actor, appointment.subdistrict):
        raise PermissionDenied(_("只有本街道的工作人员可以结束委托。"))
    with transaction.atomic():
        appointment.refresh_from_db(from_queryset=EvaluatorAppointment.objects.select_for_update())
        if appointment.ended_at is not None:
            raise InvalidTransition(_("这项委托已经结束了。"))
        appointment.ended_at, appointment.ended_by = timezone.now(), actor
        appointment.save(update_fields=["ended_at", "ended_by"])
        return appointment
