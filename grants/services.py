"""Micro-grant calls (公益微创投, R19): open, apply, score, award, report, accept, close.

Each public function runs in one transaction. Lock order: call row, then
application/award row, then the fund row (``funding.ledger.lock_fund``). The
call row lock serialises awards, so their sum never exceeds the pool however
many arrive at once. Money moves only as ledger entries: the pool is reserved
when the call opens (GRANT_RESERVATION), each tranche is a GRANT_PAYMENT,
money a grantee did not spend of the first tranche comes back as GRANT_REFUND,
and closing cancels what is left of the reservation (GRANT_RESERVATION_CANCEL).
A call on a community foundation (R21) may use the foundation's free money and
the money donors designated for the call's purpose (``purpose_category``),
never another purpose's; the designated part is written as ``PurposeDraw`` rows
against the call's ledger entries, so the foundation's given / spent / left per
purpose stays true (``funding.foundation.grant_draw_plan``).
A refusal raises ``DomainError`` with a sentence a person can act on and
changes nothing.
"""

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from funding import foundation
from funding.enums import EntryKind, FundKind, PurposeCategory
from funding.ledger import entry_write, fund_sums, lock_fund
from funding.models import ZERO, Fund
from funding.selectors import money
from organisations import conflicts
from organisations import policies as org_policies
from organisations.enums import MAY_APPLY_FOR_GRANTS, ConflictDecision
from organisations.models import Organisation
from yishi.errors import DomainError, InvalidTransition, PermissionDenied

from . import notify
from .enums import (
    FIRST_TRANCHE,
    MIN_PANEL,
    MIN_RESIDENTS,
    ApplicationStatus,
    AwardStatus,
    CallStatus,
    GrantEventKind,
)
from .models import GrantApplicant, GrantApplication, GrantAward, GrantCall, GrantEvent, GrantScore

CENT = Decimal("0.01")
CEILING = Decimal(10000000)
K = GrantEventKind


def _money(value, what: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DomainError(_("%(what)s必须是数字。") % {"what": what}) from exc
    if not amount.is_finite():
        raise DomainError(_("%(what)s必须是数字。") % {"what": what})
    if abs(amount) > CEILING:
        raise DomainError(_("%(what)s不能超过 1000 万元。") % {"what": what})
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(what)s最多保留两位小数（分）。") % {"what": what})
    amount = amount.quantize(CENT)
    if amount < 0:
        raise DomainError(_("%(what)s不能是负数。") % {"what": what})
    if amount == 0 and not allow_zero:
        raise DomainError(_("%(what)s必须大于 0 元。") % {"what": what})
    return amount


def _text(value, what: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("请填写%(what)s。") % {"what": what})
    if len(value) > max_length:
        raise DomainError(_("%(what)s不能超过 %(n)d 个字。") % {"what": what, "n": max_length})
    return value


def first_tranche_of(amount: Decimal) -> Decimal:
    """R19: 70 % of the award, rounded down to the fen (never more than 70 %)."""
    return (Decimal(amount) * FIRST_TRANCHE).quantize(CENT, rounding=ROUND_DOWN)


def _event(*, call, kind, actor, application=None, award=None, from_status="", to_status="", data=None):
    return GrantEvent.objects.create(call=call, kind=kind, actor=actor, application=application, award=award,
                                     from_status=from_status, to_status=to_status, data=data or {})


def _require_staff(user, community, action: str) -> None:
    if not policies.is_community_staff(user, community):
        raise PermissionDenied(
            _("只有%(community)s的工作人员可以%(action)s。") % {"community": community.name, "action": action}
        )


def lock_call(call: GrantCall) -> GrantCall:
    call.refresh_from_db(from_queryset=GrantCall.objects.select_for_update())
    return call


def _require_open(call: GrantCall) -> None:
    if call.status != CallStatus.OPEN:
        raise InvalidTransition(_("微创投“%(title)s”已经结束。") % {"title": call.title})


def on_panel(user, community) -> bool:
    """R19: the panel — community staff, community-council members, supervisors of the community."""
    return (
        policies.is_community_staff(user, community)
        or policies.is_community_council_member(user, community)
        or policies.is_supervisor_of(user, community)
    )


def _matched(matched) -> tuple[Decimal, dict]:
    """Matched resources in yuan: one amount, or {"cash", "volunteer", "in_kind"} amounts."""
    if isinstance(matched, dict):
        labels = {"cash": _("自筹现金"), "volunteer": _("志愿服务折算"), "in_kind": _("实物")}
        unknown = set(matched) - set(labels)
        if unknown:
            raise DomainError(_("配套资源只分现金、志愿服务折算和实物三类。"))
        detail = {key: _money(matched[key], labels[key], allow_zero=True) for key in matched}
        return sum(detail.values(), ZERO), {k: format(v, "f") for k, v in detail.items()}
    total = _money(matched, _("配套资源"), allow_zero=True)
    return total, {}


def awarded_sum(call: GrantCall) -> Decimal:
    return GrantAward.objects.filter(call=call).aggregate(s=Sum("amount"))["s"] or ZERO


def paid_sum(call: GrantCall) -> Decimal:
    """Σ tranches paid out of the call's reservation (positive)."""
    first = GrantAward.objects.filter(call=call).aggregate(s=Sum("first_payment__balance_delta"))["s"] or ZERO
    final = GrantAward.objects.filter(call=call).aggregate(s=Sum("final_payment__balance_delta"))["s"] or ZERO
    return -(first + final)


# --------------------------------------------------------------------------- the call


def grant_call_open(*, community, fund: Fund, actor, title: str, pool, cap, applications_close: datetime,
                    ends_on: date, purpose: str | None = None) -> GrantCall:
    """Community staff open a call; its pool is reserved on ``fund`` (one of the community's funds).

    ``purpose``: a ``funding.enums.PurposeCategory`` (project category) value the call is for (or none). On a
    community foundation the pool may draw the money designated for that purpose
    and the free money, never money designated for anything else (R21).
    """
    _require_staff(actor, community, _("发布微创投"))
    purpose = (purpose or "").strip()
    if purpose and purpose not in PurposeCategory.values:
        raise DomainError(_("资助方向应为一个项目类别。"))
    title = _text(title, _("名称"), 80)
    pool = _money(pool, _("资金池"))
    cap = _money(cap, _("单个项目上限"))
    if cap > pool:
        raise DomainError(
            _("单个项目上限 %(cap)s 元不能超过资金池 %(pool)s 元。") % {"cap": money(cap), "pool": money(pool)}
        )
    if fund.community_id != community.pk:
        raise DomainError(_("只能使用%(community)s自己的资金账户。") % {"community": community.name})
    if not isinstance(applications_close, datetime):
        raise DomainError(_("请填写申请截止时间。"))
    if applications_close <= timezone.now():
        raise DomainError(_("申请截止时间必须晚于现在。"))
    if not isinstance(ends_on, date) or isinstance(ends_on, datetime):
        raise DomainError(_("请填写项目结束日期。"))
    if ends_on < timezone.localtime(applications_close).date():
        raise DomainError(_("项目结束日期不能早于申请截止。"))
    with transaction.atomic():
        lock_fund(fund)
        balance, reserved = fund_sums(fund)
        available = balance - reserved
        if pool > available:
            raise DomainError(
                _("%(fund)s可用余额只有 %(available)s 元，不够预留 %(pool)s 元的资金池。")
                % {"fund": str(fund), "available": money(available), "pool": money(pool)},
                code="shortfall",
            )
        plan = foundation.grant_draw_plan(fund=fund, category=purpose, pool=pool) if (
            fund.kind == FundKind.FOUNDATION) else []
        memo = _("微创投“%(title)s”资金池") % {"title": title}
        designated = sum((part for _key, part in plan), ZERO)
        if designated:
            memo += _("，其中指定用于%(purpose)s的捐赠 %(amount)s 元") % {
                "purpose": foundation.purpose_label(("category", purpose)), "amount": money(designated)}
        entry = entry_write(fund=fund, kind=EntryKind.GRANT_RESERVATION, reserved_delta=pool, actor=actor,
                            memo=memo)
        foundation.grant_draws_record(fund=fund, entry=entry, plan=plan)
        call = GrantCall.objects.create(
            community=community, fund=fund, title=title, purpose_category=purpose, pool=pool, cap=cap,
            applications_close=applications_close, ends_on=ends_on, opened_by=actor, reservation_entry=entry,
        )
        _event(call=call, kind=K.CALL_OPENED, actor=actor, to_status=CallStatus.OPEN,
               data={"pool": format(pool, "f"), "cap": format(cap, "f"), "entry": entry.pk,
                     **({"purpose": purpose, "designated": format(designated, "f")} if purpose else {})})
        return call


def _give_back_designated(call: GrantCall, fund: Fund, entry) -> None:
    """After a refund or the closing return: designated money the call no longer uses goes back to its purpose."""
    if fund.kind != FundKind.FOUNDATION or not call.purpose_category:
        return  # only such calls draw designated money
    awards = GrantAward.objects.filter(call=call)
    refunds = list(awards.filter(refund_entry__isnull=False).values_list("refund_entry_id", "refund_entry__balance_delta"))
    returned = sum((amount for _pk, amount in refunds), ZERO)
    entries = [call.reservation_entry_id, *(pk for pk, _amount in refunds)]
    if call.return_entry_id:
        entries.append(call.return_entry_id)
        returned += -call.return_entry.reserved_delta
    foundation.grant_give_back(fund=fund, entry=entry, call_entries=entries, still_used=call.pool - returned)


def grant_apply(*, call: GrantCall, actor, title: str, plan: str, amount, matched,
                organisation: Organisation | None = None, residents=()) -> GrantApplication:
    """An eligible organisation (through a member) or at least 3 verified residents apply (R19).

    ``matched``: the resources the applicants bring, in yuan (one amount, or cash/volunteer/in_kind).
    Residents applying: ``actor`` and ``residents`` together, at least 3. A resident or an
    organisation is on at most one application per call.
    """
    title = _text(title, _("项目名称"), 80)
    plan = _text(plan, _("项目计划"), 4000)
    amount = _money(amount, _("申请金额"))
    matched_total, detail = _matched(matched)
    community = call.community
    people = []
    if organisation is not None:
        if residents:
            raise DomainError(_("以组织名义申请时不用再列居民；居民联名申请请不要选择组织。"))
        if not org_policies.is_member(actor, organisation):
            raise PermissionDenied(_("只有%(org)s的成员可以代表它申请。") % {"org": organisation.name})
    else:
        people = list(dict.fromkeys([actor, *residents]))
        outsiders = [
            p.display_name for p in people
            if not ((r := policies.current_residency(p)) and r.group.community_id == community.pk)
        ]
        if outsiders:
            raise DomainError(
                _("%(names)s不是%(community)s的核实居民，不能联名申请。")
                % {"names": "、".join(outsiders), "community": community.name}
            )
        if len(people) < MIN_RESIDENTS:
            raise DomainError(
                _("居民申请需要至少 %(n)d 位本社区的核实居民联名，现在只有 %(have)d 位。")
                % {"n": MIN_RESIDENTS, "have": len(people)}
            )
    with transaction.atomic():
        lock_call(call)
        _require_open(call)
        if timezone.now() >= call.applications_close:
            raise DomainError(_("申请已于 %(at)s 截止。") % {
                "at": timezone.localtime(call.applications_close).strftime("%Y-%m-%d %H:%M")})
        if amount > call.cap:
            raise DomainError(
                _("申请金额 %(amount)s 元超过了单个项目上限 %(cap)s 元。")
                % {"amount": money(amount), "cap": money(call.cap)}
            )
        if organisation is not None:
            organisation.refresh_from_db()
            if organisation.status not in MAY_APPLY_FOR_GRANTS:
                raise DomainError(
                    _("%(org)s现在是“%(status)s”，孵化中或正常运行的组织才能申请。")
                    % {"org": organisation.name, "status": organisation.get_status_display()}
                )
            if not organisation.communities.filter(pk=community.pk).exists():
                raise DomainError(_("%(org)s没有登记为%(community)s服务。") % {
                    "org": organisation.name, "community": community.name})
            if GrantApplication.objects.filter(call=call, organisation=organisation).exists():
                raise DomainError(_("%(org)s已经申请过这次微创投，每个组织一份申请。") % {"org": organisation.name})
        else:
            taken = GrantApplicant.objects.filter(call=call, resident__in=people).select_related("resident")
            if taken:
                raise DomainError(
                    _("%(names)s已经在这次微创投的另一份申请上，每人只能参加一份。")
                    % {"names": "、".join(t.resident.display_name for t in taken)}
                )
        try:
            with transaction.atomic():
                application = GrantApplication.objects.create(
                    call=call, title=title, plan=plan, amount=amount, matched=matched_total, matched_detail=detail,
                    organisation=organisation, submitted_by=actor,
                )
                for person in people:
                    GrantApplicant.objects.create(application=application, call=call, resident=person)
        except IntegrityError as exc:
            raise DomainError(_("申请人已经在这次微创投的另一份申请上。")) from exc
        _event(call=call, kind=K.APPLIED, actor=actor, application=application, to_status=ApplicationStatus.SUBMITTED,
               data={"amount": format(amount, "f"), "matched": format(matched_total, "f"),
                     "organisation": organisation.pk if organisation else None,
                     "residents": [p.pk for p in people]})
        return application


def grant_score(*, application: GrantApplication, reviewer, score, comment: str = "") -> GrantScore:
    """A panel member scores an application (0–100) once, after applications close; never their own."""
    call = application.call
    community = call.community
    if not on_panel(reviewer, community):
        raise PermissionDenied(_("只有社区工作人员、社区议事会成员和监事会成员可以评审。"))
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("分数应是 0 到 100 的整数。")) from exc
    if not 0 <= score <= 100:
        raise DomainError(_("分数应是 0 到 100 的整数。"))
    comment = _text(comment, _("评语"), 2000, required=False)
    with transaction.atomic():
        lock_call(call)
        _require_open(call)
        application.refresh_from_db(from_queryset=GrantApplication.objects.select_for_update())
        if timezone.now() < call.applications_close:
            raise DomainError(_("申请截止后才能评审。"))
        if application.status != ApplicationStatus.SUBMITTED:
            raise InvalidTransition(_("这份申请已经有了结果，不再评审。"))
        if application.organisation_id and org_policies.is_member(reviewer, application.organisation):
            raise DomainError(
                _("您是%(org)s的成员，不能评审本组织的申请，请回避。") % {"org": application.organisation.name},
                code="conflict",
            )
        if GrantApplicant.objects.filter(application=application, resident=reviewer).exists():
            raise DomainError(_("您是这份申请的联名居民，不能评审它，请回避。"), code="conflict")
        if GrantScore.objects.filter(application=application, reviewer=reviewer).exists():
            raise DomainError(_("您已经给这份申请打过分了。"), code="already_scored")
        try:
            with transaction.atomic():
                row = GrantScore.objects.create(
                    application=application, reviewer=reviewer, score=score, comment=comment,
                    by_supervisor=policies.is_supervisor_of(reviewer, community),
                )
        except IntegrityError as exc:
            raise DomainError(_("您已经给这份申请打过分了。"), code="already_scored") from exc
        _event(call=call, kind=K.SCORED, actor=reviewer, application=application, data={"score": score})
        return row


def grant_award(*, application: GrantApplication, actor, amount) -> GrantAward:
    """Staff award an application (at most what it asked, the cap, and what is left of the pool);
    70 % is paid at once as a ledger entry."""
    call = application.call
    _require_staff(actor, call.community, _("确定资助"))
    amount = _money(amount, _("资助金额"))
    with transaction.atomic():
        lock_call(call)
        _require_open(call)
        application.refresh_from_db(from_queryset=GrantApplication.objects.select_for_update())
        if timezone.now() < call.applications_close:
            raise DomainError(_("申请截止、评审打分之后才能确定资助。"))
        if application.status != ApplicationStatus.SUBMITTED:
            raise InvalidTransition(_("这份申请已经有了结果（%(s)s）。") % {"s": application.get_status_display()},
                                    code="already_awarded")
        _refuse_own_application(actor, application, _("确定资助"))
        scores = list(GrantScore.objects.filter(application=application).values_list("by_supervisor", flat=True))
        if len(scores) < MIN_PANEL or not any(scores):
            raise DomainError(
                _("至少 %(n)d 位评审打分、其中至少一位监事会成员，才能确定资助；现在有 %(have)d 位。")
                % {"n": MIN_PANEL, "have": len(scores)},
                code="panel",
            )
        if amount > application.amount:
            raise DomainError(_("资助金额不能超过申请金额 %(a)s 元。") % {"a": money(application.amount)})
        if amount > call.cap:
            raise DomainError(
                _("资助金额 %(amount)s 元超过了单个项目上限 %(cap)s 元。") % {"amount": money(amount), "cap": money(call.cap)},
                code="above_cap",
            )
        left = call.pool - awarded_sum(call)
        if amount > left:
            raise DomainError(
                _("资金池只剩 %(left)s 元，不够资助 %(amount)s 元。") % {"left": money(left), "amount": money(amount)},
                code="pool_exhausted",
            )
        first = first_tranche_of(amount)
        fund = lock_fund(call.fund)
        payee = application.organisation.name if application.organisation_id else application.title
        entry = entry_write(
            fund=fund, kind=EntryKind.GRANT_PAYMENT, balance_delta=-first, reserved_delta=-first, actor=actor,
            counterparty=payee[:120],
            memo=_("微创投“%(call)s”首笔资助（70%%）：%(title)s") % {"call": call.title, "title": application.title},
        )
        award = GrantAward.objects.create(
            application=application, call=call, amount=amount, first_tranche=first, awarded_by=actor,
            first_payment=entry,
        )
        application.status = ApplicationStatus.AWARDED
        application.save(update_fields=["status"])
        conflicts.flag_if_member(decision=ConflictDecision.GRANT_AWARD, decider=actor,
                                 organisation=application.organisation, community=call.community,
                                 object_id=award.pk, subject=application.title, amount=amount)
        _event(call=call, kind=K.AWARDED, actor=actor, application=application, award=award,
               from_status=ApplicationStatus.SUBMITTED, to_status=ApplicationStatus.AWARDED,
               data={"amount": format(amount, "f"), "first_tranche": format(first, "f"), "entry": entry.pk})
        transaction.on_commit(lambda: notify.grant_awarded(award.pk))
        return award


def _refuse_own_application(actor, application: GrantApplication, action: str) -> None:
    """Money to oneself: a resident who applied in person never decides on that application."""
    if GrantApplicant.objects.filter(application=application, resident=actor).exists():
        raise DomainError(
            _("您是这份申请的联名居民，不能%(action)s，请另一位工作人员办理。") % {"action": action}, code="conflict")


def is_grantee(user, award: GrantAward) -> bool:
    application = award.application
    if application.organisation_id:
        return org_policies.is_member(user, application.organisation)
    return GrantApplicant.objects.filter(application=application, resident=user).exists()


def grant_report(*, award: GrantAward, actor, people_served, spent, report: str) -> GrantAward:
    """The grantee reports people served and money spent (not more than awarded)."""
    if not is_grantee(actor, award):
        raise PermissionDenied(_("只有获资助的组织成员或联名居民可以提交报告。"))
    try:
        people_served = int(str(people_served).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError(_("服务人次必须是整数。")) from exc
    if people_served < 0:
        raise DomainError(_("服务人次不能是负数。"))
    spent = _money(spent, _("实际支出"), allow_zero=True)
    report = _text(report, _("项目报告"), 4000)
    call = award.call
    with transaction.atomic():
        lock_call(call)
        award.refresh_from_db(from_queryset=GrantAward.objects.select_for_update())
        if award.status != AwardStatus.AWARDED:
            raise InvalidTransition(_("这笔资助已经提交过报告。"))
        if spent > award.amount:
            raise DomainError(
                _("实际支出 %(spent)s 元超过了资助金额 %(amount)s 元；超出部分请用配套资源列支，报告里只填资助资金的支出。")
                % {"spent": money(spent), "amount": money(award.amount)},
                code="overspent",
            )
        award.people_served, award.spent, award.report = people_served, spent, report
        award.reported_by, award.reported_at, award.status = actor, timezone.now(), AwardStatus.REPORTED
        award.save(update_fields=["people_served", "spent", "report", "reported_by", "reported_at", "status"])
        _event(call=call, kind=K.REPORTED, actor=actor, application=award.application, award=award,
               from_status=AwardStatus.AWARDED, to_status=AwardStatus.REPORTED,
               data={"people_served": people_served, "spent": format(spent, "f")})
        transaction.on_commit(lambda: notify.grant_reported(award.pk))
        return award


def grant_report_accept(*, award: GrantAward, actor) -> GrantAward:
    """Staff accept the report: the rest up to what was spent is paid; unspent first-tranche money comes back."""
    call = award.call
    _require_staff(actor, call.community, _("验收微创投报告"))
    with transaction.atomic():
        lock_call(call)
        award.refresh_from_db(from_queryset=GrantAward.objects.select_for_update())
        if award.status != AwardStatus.REPORTED:
            raise InvalidTransition(
                _("这笔资助现在是“%(s)s”，提交报告后才能验收。") % {"s": award.get_status_display()}
            )
        _refuse_own_application(actor, award.application, _("验收这份报告"))
        conflicts.flag_if_member(decision=ConflictDecision.GRANT_ACCEPT, decider=actor,
                                 organisation=award.application.organisation, community=call.community,
                                 object_id=award.pk, subject=award.application.title, amount=award.spent)
        fund = lock_fund(call.fund)
        title = award.application.title
        data = {}
        if award.spent > award.first_tranche:
            rest = award.spent - award.first_tranche
            award.final_payment = entry_write(
                fund=fund, kind=EntryKind.GRANT_PAYMENT, balance_delta=-rest, reserved_delta=-rest, actor=actor,
                counterparty=(award.application.organisation.name if award.application.organisation_id else title)[:120],
                memo=_("微创投“%(call)s”尾款：%(title)s") % {"call": call.title, "title": title},
            )
            data["final_payment"] = format(rest, "f")
        elif award.spent < award.first_tranche:
            back = award.first_tranche - award.spent
            award.refund_entry = entry_write(
                fund=fund, kind=EntryKind.GRANT_REFUND, balance_delta=back, actor=actor,
                memo=_("微创投“%(call)s”首笔未用完退回：%(title)s") % {"call": call.title, "title": title},
            )
            data["refund"] = format(back, "f")
        award.status, award.accepted_by, award.accepted_at = AwardStatus.ACCEPTED, actor, timezone.now()
        award.save(update_fields=["status", "accepted_by", "accepted_at", "final_payment", "refund_entry"])
        if award.refund_entry_id:
            _give_back_designated(call, fund, award.refund_entry)
        _event(call=call, kind=K.REPORT_ACCEPTED, actor=actor, application=award.application, award=award,
               from_status=AwardStatus.REPORTED, to_status=AwardStatus.ACCEPTED, data=data)
        return award


def grant_call_close(*, call: GrantCall, actor) -> GrantCall:
    """Staff close the call: what is left of the reservation (unawarded and unspent) returns to the fund.

    Refused while a report waits for acceptance, and — before the call's end date — while an
    award has not reported; after the end date an unreported award's second tranche lapses.
    """
    _require_staff(actor, call.community, _("结束微创投"))
    with transaction.atomic():
        lock_call(call)
        _require_open(call)
        waiting = GrantAward.objects.filter(call=call, status=AwardStatus.REPORTED).count()
        if waiting:
            raise DomainError(_("还有 %(n)d 份报告等待验收，请先验收再结束。") % {"n": waiting})
        unreported = GrantAward.objects.filter(call=call, status=AwardStatus.AWARDED).count()
        if unreported and timezone.localdate() <= call.ends_on:
            raise DomainError(
                _("还有 %(n)d 个资助项目没有提交报告；%(date)s 之后才能结束，未报告的尾款不再拨付。")
                % {"n": unreported, "date": call.ends_on.isoformat()}
            )
        remaining = call.pool - paid_sum(call)
        fund = lock_fund(call.fund)
        if remaining > 0:
            call.return_entry = entry_write(
                fund=fund, kind=EntryKind.GRANT_RESERVATION_CANCEL, reserved_delta=-remaining, actor=actor,
                memo=_("微创投“%(title)s”结束，未使用的资金池退回") % {"title": call.title},
            )
        call.status, call.closed_by, call.closed_at = CallStatus.CLOSED, actor, timezone.now()
        call.save(update_fields=["status", "closed_by", "closed_at", "return_entry"])
        if call.return_entry_id:
            _give_back_designated(call, fund, call.return_entry)
        GrantApplication.objects.filter(call=call, status=ApplicationStatus.SUBMITTED).update(
            status=ApplicationStatus.NOT_AWARDED
        )
        _event(call=call, kind=K.CALL_CLOSED, actor=actor, from_status=CallStatus.OPEN, to_status=CallStatus.CLOSED,
               data={"returned": format(max(remaining, ZERO), "f")})
        return call
