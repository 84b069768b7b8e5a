"""The needs ledger, the project list, claims and service (R16, R17).

Each public function runs in one transaction: the row it changes re-read under
its lock, every rule checked again, the change saved and one ``NeedsEvent``
written. A refusal raises ``DomainError`` with a sentence a person can act on
and changes nothing. Lock order: project row, then its claims, then needs (by pk).
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from councils.models import Community
from organisations import conflicts
from organisations import policies as org_policies
from organisations.enums import MAY_CLAIM, ConflictDecision
from organisations.models import Organisation
from yishi.errors import DomainError, InvalidTransition, PermissionDenied

from . import notify
from .enums import (
    NEED_TRANSITIONS,
    PROJECT_TRANSITIONS,
    Channel,
    ClaimStatus,
    Decision,
    NeedCategory,
    NeedsEventKind,
    NeedStatus,
    ProjectStatus,
)
from .models import (
    Claim,
    Need,
    NeedsEvent,
    NeedSupport,
    ServiceProject,
    ServiceRating,
    ServiceRecord,
)
from .selectors import confirmed_claim, response_days

N = NeedStatus
P = ProjectStatus
K = NeedsEventKind


# --------------------------------------------------------------------------- helpers


def _text(value, what: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("请填写%(what)s。") % {"what": what})
    if len(value) > max_length:
        raise DomainError(_("%(what)s不能超过 %(n)d 个字。") % {"what": what, "n": max_length})
    return value


def _count(value, what: str, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError(_("%(what)s必须是整数。") % {"what": what}) from exc
    if number < minimum:
        raise DomainError(_("%(what)s不能少于 %(n)d。") % {"what": what, "n": minimum})
    if number > maximum:
        raise DomainError(_("%(what)s不能超过 %(n)d。") % {"what": what, "n": maximum})
    return number


def _date(value, what: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise DomainError(_("%(what)s的格式应为 2026-05-01。") % {"what": what}) from exc
    if not isinstance(value, date):
        raise DomainError(_("请填写%(what)s。") % {"what": what})
    return value


def _event(*, community, kind, actor, need=None, project=None, claim=None, on_behalf_of=None,
           from_status="", to_status="", reason="", data=None) -> NeedsEvent:
    return NeedsEvent.objects.create(
        community=community, kind=kind, actor=actor, need=need, project=project, claim=claim,
        on_behalf_of=on_behalf_of, from_status=from_status, to_status=to_status, reason=reason or "",
        data=data or {},
    )


def _require_staff(user, community: Community, action: str) -> None:
    if not policies.is_community_staff(user, community):
        raise PermissionDenied(
            _("只有%(community)s的工作人员可以%(action)s。") % {"community": community.name, "action": action}
        )


def _resident_of_community(user, community: Community):
    residency = policies.current_residency(user)
    if residency is None or residency.group.community_id != community.pk:
        return None
    return residency


def _move_need(need: Need, to_status: str) -> str:
    old = need.status
    if to_status not in NEED_TRANSITIONS[old]:
        raise InvalidTransition(
            _("这条需求现在是“%(old)s”，不能再改为“%(new)s”。") % {"old": N(old).label, "new": N(to_status).label}
        )
    need.status = to_status
    return old


def _move_project(project: ServiceProject, to_status: str, *, also=()) -> str:
    old = project.status
    if to_status not in PROJECT_TRANSITIONS[old]:
        raise InvalidTransition(
            _("项目“%(title)s”现在是“%(old)s”，不能转为“%(new)s”。")
            % {"title": project.title, "old": P(old).label, "new": P(to_status).label}
        )
    project.status = to_status
    project.save(update_fields=["status", *also])
    return old


def lock_project(project: ServiceProject) -> ServiceProject:
    project.refresh_from_db(from_queryset=ServiceProject.objects.select_for_update())
    return project


def _require_confirmed_member(project: ServiceProject, actor, action: str) -> Organisation:
    claim = confirmed_claim(project)
    if claim is None:
        raise InvalidTransition(_("项目“%(title)s”还没有确认认领的组织。") % {"title": project.title})
    if not org_policies.is_member(actor, claim.organisation):
        raise PermissionDenied(
            _("只有认领这个项目的%(org)s的成员可以%(action)s。") % {"org": claim.organisation.name, "action": action}
        )
    return claim.organisation


# --------------------------------------------------------------------------- needs (R16)


def need_raise(*, community: Community, text: str, category: str, actor, resident=None,
               channel: str = Channel.ONLINE) -> Need:
    """A verified resident raises a need (``actor`` is the resident), or community staff record one
    from a channel on a named ``resident``'s behalf or anonymously (``resident=None``).

    The need is due for an answer after the community's response time (default 14 days).
    """
    text = _text(text, _("需求内容"), 1000)
    if category not in NeedCategory.values:
        raise DomainError(_("请选择需求类别。"))
    if channel not in Channel.values:
        raise DomainError(_("请选择需求的来源渠道。"))
    staff = policies.is_community_staff(actor, community)
    if resident is not None and resident != actor:
        if not staff:
            raise PermissionDenied(_("只有社区工作人员可以代居民登记需求。"))
        residency = _resident_of_community(resident, community)
        if residency is None:
            raise DomainError(
                _("%(name)s不是%(community)s的核实居民；可以不填姓名，作为匿名需求登记。")
                % {"name": resident.display_name, "community": community.name}
            )
    elif staff and resident is None and _resident_of_community(actor, community) is None:
        residency = None  # staff record an anonymous need (from a talk, the hotline...)
    else:
        residency = _resident_of_community(actor, community)
        if residency is None:
            raise PermissionDenied(
                _("只有%(community)s的核实居民可以提出需求。请先到社区办理居民核实。") % {"community": community.name}
            )
        resident = actor
    with transaction.atomic():
        now = timezone.now()
        need = Need.objects.create(
            community=community, group=residency.group if residency else None, text=text, category=category,
            channel=channel, resident=resident, recorded_by=actor, raised_at=now,
            due_at=now + timedelta(days=response_days(community)),
        )
        _event(community=community, kind=K.NEED_RAISED, actor=actor, need=need,
               on_behalf_of=resident if resident is not None and resident != actor else None,
               to_status=N.OPEN, data={"channel": channel, "anonymous": resident is None})
        return need


def need_support(*, need: Need, resident) -> NeedSupport:
    """我也需要: a verified resident of the need's community supports it, at most once; not their own."""
    community = need.community
    if _resident_of_community(resident, community) is None:
        raise PermissionDenied(
            _("只有%(community)s的核实居民可以点“我也需要”。") % {"community": community.name}
        )
    with transaction.atomic():
        need.refresh_from_db(from_queryset=Need.objects.select_for_update())
        if need.resident_id == resident.pk:
            raise DomainError(_("这是您自己提出的需求，不用再点“我也需要”；社区会回应您。"), code="own_need")
        if need.status not in (N.OPEN, N.LISTED):
            raise InvalidTransition(
                _("这条需求已经“%(status)s”，不再收集“我也需要”。") % {"status": need.get_status_display()}
            )
        if NeedSupport.objects.filter(need=need, resident=resident).exists():
            raise DomainError(_("您已经点过“我也需要”了，每人一次。"), code="already_supported")
        try:
            with transaction.atomic():
                support = NeedSupport.objects.create(need=need, resident=resident)
        except IntegrityError as exc:
            raise DomainError(_("您已经点过“我也需要”了，每人一次。"), code="already_supported") from exc
        _event(community=community, kind=K.NEED_SUPPORTED, actor=resident, need=need)
        return support


def need_answer(*, need: Need, actor, decision: str, reason: str = "", project: ServiceProject | None = None,
                merge_into: Need | None = None) -> Need:
    """Staff answer an open need: list it in a project, merge it into another need, or decline with a reason."""
    community = need.community
    _require_staff(actor, community, _("回应需求"))
    if decision not in Decision.values:
        raise DomainError(_("请选择回应方式：列入项目、合并或不予列入。"))
    reason = _text(reason, _("理由"), 2000, required=decision == Decision.DECLINE)
    with transaction.atomic():
        if project is not None:
            lock_project(project)
        need.refresh_from_db(from_queryset=Need.objects.select_for_update())
        if need.status != N.OPEN:
            raise InvalidTransition(
                _("这条需求已经回应过（%(status)s），不能再回应。") % {"status": need.get_status_display()}
            )
        data = {"decision": decision}
        if decision == Decision.LIST:
            if project is None:
                raise DomainError(_("请选择要列入的服务项目。"))
            if project.community_id != community.pk:
                raise DomainError(_("只能列入本社区的服务项目。"))
            if project.status not in (P.LISTED, P.CLAIMED, P.IN_SERVICE):
                raise DomainError(
                    _("项目“%(title)s”已经“%(status)s”，请选择一个还在进行的项目。")
                    % {"title": project.title, "status": project.get_status_display()}
                )
            to = N.LISTED
            need.project = project
            data["project"] = project.pk
        elif decision == Decision.MERGE:
            if merge_into is None:
                raise DomainError(_("请选择要合并到的需求。"))
            merge_into.refresh_from_db()
            if merge_into.pk == need.pk:
                raise DomainError(_("需求不能合并到它自己。"))
            if merge_into.community_id != community.pk:
                raise DomainError(_("只能合并到本社区的需求。"))
            if merge_into.status not in (N.OPEN, N.LISTED):
                raise DomainError(
                    _("要合并到的需求已经“%(status)s”，请选择一条待回应或已列入项目的需求。")
                    % {"status": merge_into.get_status_display()}
                )
            to = N.MERGED
            need.merged_into = merge_into
            data["merged_into"] = merge_into.pk
        else:
            to = N.DECLINED
        old = _move_need(need, to)
        need.answered_at = timezone.now()
        need.answered_by = actor
        need.answer_reason = reason
        need.save(update_fields=["status", "project", "merged_into", "answered_at", "answered_by", "answer_reason"])
        _event(community=community, kind=K.NEED_ANSWERED, actor=actor, need=need, project=project,
               from_status=old, to_status=to, reason=reason, data=data)
        transaction.on_commit(lambda: notify.need_answered(need.pk))
        return need


# --------------------------------------------------------------------------- projects and claims (R17)


def service_project_list(*, community: Community, actor, title: str, description: str, needs, people_target,
                         starts_on, ends_on) -> ServiceProject:
    """Staff list a service project built from one or more open needs; the needs become LISTED."""
    _require_staff(actor, community, _("列入服务项目"))
    title = _text(title, _("项目名称"), 80)
    description = _text(description, _("项目内容"), 4000)
    people_target = _count(people_target, _("计划服务人数"), minimum=1)
    starts_on = _date(starts_on, _("开始日期"))
    ends_on = _date(ends_on, _("结束日期"))
    if ends_on < starts_on:
        raise DomainError(_("结束日期不能早于开始日期。"))
    need_ids = sorted({n.pk for n in (needs or [])})
    if not need_ids:
        raise DomainError(_("请至少选择一条需求：项目清单从居民的需求来。"))
    with transaction.atomic():
        locked = list(Need.objects.select_for_update().filter(pk__in=need_ids).order_by("pk"))
        if any(n.community_id != community.pk for n in locked):
            raise DomainError(_("只能用本社区的需求生成项目。"))
        not_open = [n for n in locked if n.status != N.OPEN]
        if not_open:
            raise DomainError(
                _("有 %(n)d 条需求已经回应过，不能再列入新项目，请重新选择。") % {"n": len(not_open)}
            )
        now = timezone.now()
        project = ServiceProject.objects.create(
            community=community, title=title, description=description, people_target=people_target,
            starts_on=starts_on, ends_on=ends_on, listed_by=actor, listed_at=now,
        )
        _event(community=community, kind=K.PROJECT_LISTED, actor=actor, project=project, to_status=P.LISTED,
               data={"needs": need_ids})
        for need in locked:
            old = _move_need(need, N.LISTED)
            need.project = project
            need.answered_at, need.answered_by = now, actor
            need.save(update_fields=["status", "project", "answered_at", "answered_by"])
            _event(community=community, kind=K.NEED_ANSWERED, actor=actor, need=need, project=project,
                   from_status=old, to_status=N.LISTED, data={"decision": Decision.LIST, "project": project.pk})
            transaction.on_commit(lambda pk=need.pk: notify.need_answered(pk))
        return project


def project_claim(*, project: ServiceProject, organisation: Organisation, actor, plan: str) -> Claim:
    """A member of an ACTIVE organisation serving the community claims a LISTED project with a plan."""
    plan = _text(plan, _("服务计划"), 4000)
    if not org_policies.is_member(actor, organisation):
        raise PermissionDenied(_("只有%(org)s的成员可以代表它认领项目。") % {"org": organisation.name})
    with transaction.atomic():
        lock_project(project)
        organisation.refresh_from_db()
        if project.status != P.LISTED:
            raise InvalidTransition(
                _("项目“%(title)s”现在是“%(status)s”，只有待认领的项目可以认领。")
                % {"title": project.title, "status": project.get_status_display()},
                code="not_listed",
            )
        if organisation.status not in MAY_CLAIM:
            raise DomainError(
                _("%(org)s现在是“%(status)s”，正常运行的组织才能认领项目。")
                % {"org": organisation.name, "status": organisation.get_status_display()}
            )
        if not organisation.communities.filter(pk=project.community_id).exists():
            raise DomainError(
                _("%(org)s没有登记为%(community)s服务，请先请社区登记服务社区。")
                % {"org": organisation.name, "community": project.community.name}
            )
        if Claim.objects.filter(project=project, organisation=organisation, status=ClaimStatus.PENDING).exists():
            raise DomainError(_("%(org)s已经认领过这个项目，正在等待社区确认。") % {"org": organisation.name})
        claim = Claim.objects.create(project=project, organisation=organisation, plan=plan, claimed_by=actor)
        _event(community=project.community, kind=K.PROJECT_CLAIMED, actor=actor, project=project, claim=claim,
               to_status=ClaimStatus.PENDING, data={"organisation": organisation.pk})
        transaction.on_commit(lambda: notify.claim_waiting(claim.pk))
        return claim


def claim_confirm(*, claim: Claim, actor) -> Claim:
    """Staff confirm one claim; the project becomes CLAIMED and every other pending claim is declined."""
    project = claim.project
    _require_staff(actor, project.community, _("确认项目认领"))
    with transaction.atomic():
        lock_project(project)
        claim.refresh_from_db(from_queryset=Claim.objects.select_for_update())
        if project.status != P.LISTED:
            current = confirmed_claim(project)
            raise InvalidTransition(
                _("项目“%(title)s”已经确认由%(org)s认领，不能再确认其他认领。")
                % {"title": project.title, "org": current.organisation.name if current else "—"},
                code="already_confirmed",
            )
        if claim.status != ClaimStatus.PENDING:
            raise InvalidTransition(_("这份认领已经处理过（%(s)s）。") % {"s": claim.get_status_display()})
        now = timezone.now()
        claim.status, claim.decided_by, claim.decided_at = ClaimStatus.CONFIRMED, actor, now
        try:
            with transaction.atomic():
                claim.save(update_fields=["status", "decided_by", "decided_at"])
        except IntegrityError as exc:
            raise InvalidTransition(_("这个项目刚刚已经确认了另一份认领。"), code="already_confirmed") from exc
        conflicts.flag_if_member(decision=ConflictDecision.CLAIM_CONFIRM, decider=actor,
                                 organisation=claim.organisation, community=project.community, object_id=claim.pk,
                                 subject=project.title)
        old = _move_project(project, P.CLAIMED)
        _event(community=project.community, kind=K.CLAIM_CONFIRMED, actor=actor, project=project, claim=claim,
               from_status=old, to_status=P.CLAIMED, data={"organisation": claim.organisation_id})
        reason = _("社区已确认由%(org)s认领这个项目。") % {"org": claim.organisation.name}
        others = Claim.objects.select_for_update().filter(project=project, status=ClaimStatus.PENDING)
        for other in others.exclude(pk=claim.pk).order_by("pk"):
            other.status, other.decided_by, other.decided_at, other.decline_reason = (
                ClaimStatus.DECLINED, actor, now, reason
            )
            other.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
            _event(community=project.community, kind=K.CLAIM_DECLINED, actor=actor, project=project, claim=other,
                   from_status=ClaimStatus.PENDING, to_status=ClaimStatus.DECLINED, reason=reason)
        transaction.on_commit(lambda: notify.claims_decided(project.pk))
        return claim


def service_record(*, project: ServiceProject, actor, served_on, people_served, hours, notes,
                   volunteers=0) -> ServiceRecord:
    """A member of the confirmed organisation records a day's service; the first one starts the service."""
    served_on = _date(served_on, _("服务日期"))
    people_served = _count(people_served, _("服务人次"))
    volunteers = _count(volunteers, _("志愿者人数"))
    notes = _text(notes, _("说明"), 2000, required=False)
    try:
        hours = Decimal(str(hours).strip())
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("服务时长必须是数字（小时）。")) from exc
    if not hours.is_finite() or hours <= 0 or hours > 10000:
        raise DomainError(_("服务时长应大于 0 小时。"))
    if hours != hours.quantize(Decimal("0.1")):
        raise DomainError(_("服务时长最多保留一位小数。"))
    with transaction.atomic():
        lock_project(project)
        organisation = _require_confirmed_member(project, actor, _("记录服务"))
        if project.status not in (P.CLAIMED, P.IN_SERVICE):
            raise InvalidTransition(
                _("项目“%(title)s”已经“%(status)s”，不能再记录服务。")
                % {"title": project.title, "status": project.get_status_display()}
            )
        if served_on > timezone.localdate():
            raise DomainError(_("服务日期不能晚于今天。"))
        if served_on < project.starts_on:
            raise DomainError(
                _("服务日期不能早于项目开始日期 %(d)s。") % {"d": project.starts_on.isoformat()}
            )
        record = ServiceRecord.objects.create(
            project=project, organisation=organisation, served_on=served_on, people_served=people_served,
            hours=hours, volunteers=volunteers, notes=notes, recorded_by=actor,
        )
        old = project.status
        if old == P.CLAIMED:
            _move_project(project, P.IN_SERVICE)
        _event(community=project.community, kind=K.SERVICE_RECORDED, actor=actor, project=project,
               from_status=old, to_status=project.status,
               data={"record": record.pk, "people_served": people_served, "hours": str(hours),
                     "volunteers": volunteers})
        return record


def project_complete(*, project: ServiceProject, actor, report: str) -> ServiceProject:
    """The confirmed organisation completes the project with a report; its needs become MET."""
    report = _text(report, _("完成报告"), 4000)
    with transaction.atomic():
        lock_project(project)
        _require_confirmed_member(project, actor, _("提交完成报告"))
        if project.status != P.IN_SERVICE:
            raise InvalidTransition(
                _("项目“%(title)s”现在是“%(status)s”，请先记录至少一次服务再提交完成报告。")
                % {"title": project.title, "status": project.get_status_display()}
            )
        project.report, project.completed_at = report, timezone.now()
        old = _move_project(project, P.COMPLETED, also=("report", "completed_at"))
        _event(community=project.community, kind=K.PROJECT_COMPLETED, actor=actor, project=project,
               from_status=old, to_status=P.COMPLETED)
        for need in Need.objects.select_for_update().filter(project=project, status=N.LISTED).order_by("pk"):
            _move_need(need, N.MET)
            need.save(update_fields=["status"])
            _event(community=project.community, kind=K.NEED_MET, actor=actor, need=need, project=project,
                   from_status=N.LISTED, to_status=N.MET)
        transaction.on_commit(lambda: notify.service_completed(project.pk))
        return project


def project_close(*, project: ServiceProject, actor, reason: str) -> ServiceProject:
    """Staff close a project that will not be completed; its listed needs are open again, due anew."""
    _require_staff(actor, project.community, _("关闭服务项目"))
    reason = _text(reason, _("关闭理由"), 2000)
    with transaction.atomic():
        lock_project(project)
        project.close_reason = reason
        old = _move_project(project, P.CLOSED, also=("close_reason",))
        _event(community=project.community, kind=K.PROJECT_CLOSED, actor=actor, project=project,
               from_status=old, to_status=P.CLOSED, reason=reason)
        now = timezone.now()
        days = response_days(project.community)
        for need in Need.objects.select_for_update().filter(project=project, status=N.LISTED).order_by("pk"):
            _move_need(need, N.OPEN)
            need.project, need.answered_at, need.answered_by = None, None, None
            need.due_at = now + timedelta(days=days)
            need.save(update_fields=["status", "project", "answered_at", "answered_by", "due_at"])
            _event(community=project.community, kind=K.NEED_ANSWERED, actor=actor, need=need, project=project,
                   from_status=N.LISTED, to_status=N.OPEN, reason=reason)
        return project


def service_rate(*, project: ServiceProject, resident, stars) -> ServiceRating:
    """A resident who raised or supported one of the project's needs rates the completed service once (1–5)."""
    try:
        stars = int(stars)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("请选择 1 到 5 颗星。")) from exc
    if not 1 <= stars <= 5:
        raise DomainError(_("请选择 1 到 5 颗星。"))
    with transaction.atomic():
        lock_project(project)
        if project.status != P.COMPLETED:
            raise InvalidTransition(_("项目完成后才能评价服务。"))
        needs = Need.objects.filter(project=project)
        concerned = (
            needs.filter(resident=resident).exists()
            or NeedSupport.objects.filter(need__in=needs, resident=resident).exists()
        )
        if not concerned:
            raise PermissionDenied(_("提出或点过“我也需要”这个项目所解决需求的居民才能评价。"))
        if ServiceRating.objects.filter(project=project, resident=resident).exists():
            raise DomainError(_("您已经评价过这个项目了，每人一次。"), code="already_rated")
        try:
            with transaction.atomic():
                rating = ServiceRating.objects.create(project=project, resident=resident, stars=stars)
        except IntegrityError as exc:
            raise DomainError(_("您已经评价过这个项目了，每人一次。"), code="already_rated") from exc
        _event(community=project.community, kind=K.SERVICE_RATED, actor=resident, project=project,
               data={"stars": stars})
        return rating


# --------------------------------------------------------------------------- activities (R25), in needs.activities

from .activities import (  # noqa: E402,F401 — the public API names live here too
    activity_cancel,
    activity_checkin,
    activity_checkin_by_token,
    activity_publish,
    activity_signup,
    resident_birth_date_record,
)
