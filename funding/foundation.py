"""Community foundations (社区基金, R21): donations, designated money, monthly public accounts.

A donation is one DONATION ledger entry (R15) and one ``Donation`` row with a
receipt number that is gap-free per fund (a fund is one community and one
year): the number is taken from the fund's ``ReceiptCounter`` under a row lock
in the same transaction, so a rolled-back recording gives its number back and
two recordings never share one. A mistake is reversed by a CORRECTION entry.

Designated money (a donation for a category or a proposal) is spent only on
its purpose: when a project reserves money from a foundation, it may use the
fund's free money and the money designated for its own proposal or category,
never another purpose's (``draw_plan``); a micro-grant call for a category
likewise (``grant_draw_plan``), its draws written against its ledger entries. Lock order: proposal row,
fund row, counter row.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from proposals.enums import Category
from proposals.models import Proposal
from yishi.chain import GENESIS
from yishi.errors import DomainError, PermissionDenied

from .enums import DonationMethod, DonorKind, EntryKind, FundKind
from .ledger import entry_write, fund_sums, lock_fund
from .models import ZERO, Donation, Fund, LedgerEntry, MonthlyAccount, PurposeDraw, ReceiptCounter
from .selectors import money

PurposeKey = tuple[str, str]  # ("category", "elderly") or ("proposal", "12")


# --------------------------------------------------------------------------- who may record


def may_manage_foundation(user, fund: Fund) -> bool:
    """R21: community staff of the fund's community, or one of the foundation's managers."""
    if policies.is_community_staff(user, fund.community):
        return True
    return bool(getattr(user, "is_authenticated", False)) and fund.managers.filter(pk=user.pk).exists()


def _require_manager(user, fund: Fund, action: str) -> None:
    if not may_manage_foundation(user, fund):
        raise PermissionDenied(
            _("只有%(community)s的社区工作人员或基金管理人可以%(action)s。")
            % {"community": fund.community.name, "action": action}
        )


# --------------------------------------------------------------------------- purposes


def purpose_label(key: PurposeKey | None, proposals: dict | None = None) -> str:
    if key is None:
        return _("不限用途")
    kind, value = key
    if kind == "category":
        return _("%(category)s类项目") % {"category": Category(value).label}
    title = (proposals or {}).get(int(value))
    if title is None:
        title = Proposal.objects.filter(pk=int(value)).values_list("title", flat=True).first() or value
    return _("议案“%(title)s”") % {"title": title}


def _key(category: str, proposal_id) -> PurposeKey:
    return ("proposal", str(proposal_id)) if proposal_id else ("category", category)


def purpose_left(fund: Fund) -> dict[PurposeKey, dict]:
    """Per designated purpose: given (standing donations), spent (net draws) and left, in two queries."""
    out: dict[PurposeKey, dict] = defaultdict(lambda: {"given": ZERO, "spent": ZERO, "left": ZERO})
    given = (
        Donation.objects.filter(fund=fund, reversed_at__isnull=True)
        .filter(~Q(purpose_category="") | Q(purpose_proposal__isnull=False))
        .values("purpose_category", "purpose_proposal")
        .annotate(total=Sum("amount"))
    )
    for row in given:
        out[_key(row["purpose_category"], row["purpose_proposal"])]["given"] += row["total"]
    drawn = PurposeDraw.objects.filter(fund=fund).values("purpose_category", "purpose_proposal").annotate(
        total=Sum("amount")
    )
    for row in drawn:
        out[_key(row["purpose_category"], row["purpose_proposal"])]["spent"] += row["total"]
    for row in out.values():
        row["left"] = row["given"] - row["spent"]
    return dict(out)


def free_available(fund: Fund, lefts: dict | None = None) -> Decimal:
    """Available money that no purpose holds: balance − reserved − Σ designated left."""
    balance, reserved = fund_sums(fund)
    lefts = purpose_left(fund) if lefts is None else lefts
    return balance - reserved - sum((row["left"] for row in lefts.values()), ZERO)


def purposes_for(proposal: Proposal, category: str | None) -> list[PurposeKey]:
    """The designated purposes a proposal may use, most specific first."""
    keys: list[PurposeKey] = [("proposal", str(proposal.pk))]
    if category:
        keys.append(("category", category))
    return keys


def draw_plan(*, fund: Fund, proposal: Proposal, category: str | None, share: Decimal) -> list:
    """R21: check that ``share`` can come from ``fund`` for this proposal; the designated parts it takes.

    Call with the fund lock held, before the reservation is written; then
    ``draws_record`` with the plan and the reservation entry. Designated money
    for this proposal is used first, then money for its category, then free
    money. Refused, naming the purposes that hold the rest, when that is not enough.
    """
    lefts = purpose_left(fund)
    own = purposes_for(proposal, category)
    usable_designated = [(k, lefts[k]["left"]) for k in own if k in lefts and lefts[k]["left"] > 0]
    free = free_available(fund, lefts)
    usable = free + sum((amount for _k, amount in usable_designated), ZERO)
    if share > usable:
        held = [(k, row["left"]) for k, row in lefts.items() if k not in own and row["left"] > 0]
        held_text = "、".join(
            _("%(purpose)s %(amount)s 元") % {"purpose": purpose_label(k), "amount": money(v)} for k, v in held
        )
        raise DomainError(
            _(
                "%(fund)s可供本项目使用的只有 %(usable)s 元，本项目需要 %(share)s 元。"
                "基金中指定用途的捐赠只能用于指定的用途（%(held)s），不能用于本项目。"
            )
            % {"fund": fund, "usable": money(usable), "share": money(share), "held": held_text or _("无")},
            code="designated",
        )
    plan, left_to_draw = [], share
    for key, amount in usable_designated:
        part = min(amount, left_to_draw)
        if part <= 0:
            break
        plan.append((key, part))
        left_to_draw -= part
    return plan


def draws_record(*, fund: Fund, proposal: Proposal, entry: LedgerEntry, plan: list) -> None:
    for key, part in plan:
        _draw(fund=fund, entry=entry, proposal=proposal, key=key, amount=part)


def _draw(*, fund, entry, proposal, key: PurposeKey, amount: Decimal) -> PurposeDraw:
    kind, value = key
    return PurposeDraw.objects.create(
        fund=fund, entry=entry, proposal=proposal, amount=amount,
        purpose_category=value if kind == "category" else "",
        purpose_proposal_id=int(value) if kind == "proposal" else None,
    )


def give_back_draws(*, fund: Fund, proposal: Proposal, entry: LedgerEntry, amount: Decimal | None = None) -> None:
    """Return a proposal's designated draws to their purposes (all of them, or up to ``amount``).

    A cancelled reservation gives everything back; a savings return gives back
    at most the returned amount, designated money first (it came out first).
    """
    net = (
        PurposeDraw.objects.filter(fund=fund, proposal=proposal)
        .values("purpose_category", "purpose_proposal")
        .annotate(total=Sum("amount"))
    )
    rows = sorted(
        ((_key(r["purpose_category"], r["purpose_proposal"]), r["total"]) for r in net if r["total"] > 0),
        key=lambda kv: 0 if kv[0][0] == "proposal" else 1,
    )
    remaining = amount
    for key, total in rows:
        part = total if remaining is None else min(total, remaining)
        if part <= 0:
            break
        _draw(fund=fund, entry=entry, proposal=proposal, key=key, amount=-part)
        if remaining is not None:
            remaining -= part


# --------------------------------------------------------------------------- micro-grant calls


def grant_draw_plan(*, fund: Fund, category: str, pool: Decimal) -> list:
    """R21 for a micro-grant call on a foundation: the designated money its pool takes.

    Call with the fund lock held, before the pool's reservation is written; then
    ``grant_draws_record`` with the plan and the reservation entry. A call for a
    category (``category``, a ``proposals.enums.Category`` value, or "" for none)
    uses the money designated for that category first, then free money; never
    another purpose's. Refused with the reason when that is not enough: how much
    the call's purpose and the free money hold, and which purposes hold the rest.
    """
    lefts = purpose_left(fund)
    own: PurposeKey | None = ("category", category) if category else None
    designated = lefts[own]["left"] if own in lefts and lefts[own]["left"] > 0 else ZERO
    free = free_available(fund, lefts)
    if pool > free + designated:
        held = [(k, row["left"]) for k, row in lefts.items() if k != own and row["left"] > 0]
        held_text = "、".join(
            _("%(purpose)s %(amount)s 元") % {"purpose": purpose_label(k), "amount": money(v)} for k, v in held
        )
        raise DomainError(
            _(
                "%(fund)s能用于这次微创投的只有 %(usable)s 元（指定用于%(purpose)s的 %(designated)s 元，"
                "不限用途的 %(free)s 元），资金池需要 %(pool)s 元。指定用途的捐赠只能用于指定的用途"
                "（%(held)s），不能用于这次微创投。"
            )
            % {"fund": fund, "usable": money(free + designated), "purpose": purpose_label(own) if own else _("本方向"),
               "designated": money(designated), "free": money(free), "pool": money(pool),
               "held": held_text or _("无")},
            code="designated",
        )
    part = min(designated, pool)
    return [(own, part)] if part > 0 else []


def grant_draws_record(*, fund: Fund, entry: LedgerEntry, plan: list) -> None:
    """Write the designated parts of a call's pool against its reservation entry (no proposal)."""
    for key, part in plan:
        _draw(fund=fund, entry=entry, proposal=None, key=key, amount=part)


def grant_give_back(*, fund: Fund, entry: LedgerEntry, call_entries: list[int], still_used: Decimal) -> Decimal:
    """Give designated money back to its purpose when a call returns money (a refund, the closing return).

    The call's payments count against its designated money first (every yuan it
    pays serves the purpose the donors chose), so designated money comes back only
    when what the call still holds or has spent, ``still_used``, falls below what
    it drew. ``call_entries``: the call's ledger entries so far (its draws are on
    them). Returns the amount given back.
    """
    rows = (
        PurposeDraw.objects.filter(fund=fund, entry_id__in=call_entries)
        .values("purpose_category", "purpose_proposal")
        .annotate(total=Sum("amount"))
    )
    given_back = ZERO
    for row in rows:
        net = row["total"]
        back = net - max(min(net, still_used), ZERO)
        if back > 0:
            _draw(fund=fund, entry=entry, proposal=None, key=_key(row["purpose_category"], row["purpose_proposal"]),
                  amount=-back)
            given_back += back
    return given_back


# --------------------------------------------------------------------------- donations


def _purpose_fields(fund: Fund, purpose) -> dict:
    if purpose in (None, ""):
        return {}
    if isinstance(purpose, Proposal):
        if purpose.group.community_id != fund.community_id:
            raise DomainError(_("指定用途的议案不属于%(community)s。") % {"community": fund.community.name})
        return {"purpose_proposal": purpose}
    if isinstance(purpose, str) and purpose in Category.values:
        return {"purpose_category": purpose}
    raise DomainError(_("指定用途应为一个项目类别或本社区的一个议案。"))


def donation_record(
    *, fund: Fund, actor, donor_kind: str, donor_name: str, amount, method: str, paid_on,
    publish_name: bool = False, purpose=None,
) -> Donation:
    """R21: record a donation to a community foundation as one ledger entry with the next receipt number.

    ``purpose``: ``None`` (free money), a ``proposals.enums.Category`` value, or
    a ``Proposal`` of the fund's community. The date falls within the fund's
    year and not after today; an anonymous donation carries no name. The
    ledger shows the donor's name only with consent (``publish_name``).
    """
    from .services import _text, _to_date, _to_money

    if donor_kind not in DonorKind.values:
        raise DomainError(_("请选择捐赠人类型。"))
    if method not in DonationMethod.values:
        raise DomainError(_("请选择捐赠方式：现金、银行转账或微信/支付宝收款记录。"))
    amount = _to_money(amount, _("捐赠金额"))
    paid_on = _to_date(paid_on, _("捐赠日期"))
    donor_name = (donor_name or "").strip()
    if donor_kind == DonorKind.ANONYMOUS:
        if donor_name:
            raise DomainError(_("匿名捐赠不登记捐赠人姓名，请清空姓名或选择其他捐赠人类型。"), code="anonymous_named")
        publish_name = False
    else:
        donor_name = _text(donor_name, _("捐赠人姓名或名称"), 120)
    publish_name = bool(publish_name)
    if fund.kind != FundKind.FOUNDATION:
        raise DomainError(_("%(fund)s不是社区基金，不能登记捐赠。") % {"fund": fund}, code="not_foundation")
    if paid_on.year != fund.year:
        raise DomainError(
            _("捐赠日期 %(date)s 不在%(fund)s的年度内，请登记到 %(year)d 年的基金。")
            % {"date": paid_on.isoformat(), "fund": fund, "year": paid_on.year},
            code="wrong_year",
        )
    purpose_fields = _purpose_fields(fund, purpose)
    _require_manager(actor, fund, _("登记捐赠"))
    with transaction.atomic():
        lock_fund(fund)
        counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(fund=fund)
        counter.last_no += 1
        counter.save(update_fields=["last_no"])
        receipt = f"{fund.year}-{counter.last_no:04d}"
        purpose_key = ("proposal", str(purpose.pk)) if "purpose_proposal" in purpose_fields else (
            ("category", purpose_fields["purpose_category"]) if purpose_fields else None
        )
        memo = _("捐赠收据 %(no)s · %(kind)s · %(purpose)s") % {
            "no": receipt, "kind": DonorKind(donor_kind).label, "purpose": purpose_label(purpose_key),
        }
        public_name = donor_name if publish_name else Donation(donor_kind=donor_kind).public_name
        entry = entry_write(
            fund=fund, kind=EntryKind.DONATION, balance_delta=amount, actor=actor, counterparty=public_name,
            memo=memo,
        )
        return Donation.objects.create(
            fund=fund, receipt_no=counter.last_no, donor_kind=donor_kind, donor_name=donor_name, amount=amount,
            method=method, paid_on=paid_on, publish_name=publish_name, entry=entry, recorded_by=actor,
            **purpose_fields,
        )


def donation_reverse(*, donation: Donation, actor, reason: str) -> Donation:
    """R21: reverse a wrongly recorded donation by a CORRECTION entry of the opposite amount, with a reason.

    The receipt number stays taken (gap-free means every number is accounted
    for, reversed ones included). Refused when the money is no longer there:
    when a project has already drawn it (designated for a purpose, that
    purpose's left; free, the fund's free money).
    """
    from .services import _text

    reason = _text(reason, _("冲正理由"), 2000)
    with transaction.atomic():
        fund = lock_fund(donation.fund)
        _require_manager(actor, fund, _("冲正捐赠"))
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
        if donation.reversed_at is not None:
            raise DomainError(_("收据 %(no)s 的捐赠已经冲正过了。") % {"no": donation.receipt_number})
        lefts = purpose_left(fund)
        key = donation.purpose_key
        if key is not None:
            left = lefts.get(key, {}).get("left", ZERO)
            if left < donation.amount:
                raise DomainError(
                    _("%(purpose)s的捐赠只剩 %(left)s 元未使用，不能冲正 %(amount)s 元：已有项目使用了这笔钱。")
                    % {"purpose": purpose_label(key), "left": money(left), "amount": money(donation.amount)},
                    code="already_spent",
                )
        else:
            free = free_available(fund, lefts)
            if free < donation.amount:
                raise DomainError(
                    _("基金中不限用途的可用资金只有 %(free)s 元，不能冲正 %(amount)s 元：已有项目预留或使用了这笔钱。")
                    % {"free": money(free), "amount": money(donation.amount)},
                    code="already_spent",
                )
        entry = entry_write(
            fund=fund, kind=EntryKind.CORRECTION, balance_delta=-donation.amount, actor=actor,
            counterparty=donation.entry.counterparty, corrects=donation.entry,
            memo=_("冲正捐赠收据 %(no)s：%(reason)s") % {"no": donation.receipt_number, "reason": reason},
        )
        donation.reversed_at, donation.reversed_by = timezone.now(), actor
        donation.reversal_reason, donation.reversal_entry = reason, entry
        donation.save(update_fields=["reversed_at", "reversed_by", "reversal_reason", "reversal_entry"])
    return donation


def foundation_settings_update(*, fund: Fund, actor, purpose_text: str, giving_text: str,
                               giving_qr_text: str = "") -> Fund:
    """The public page's texts: what the foundation is for and how to give (no payment in Yishi)."""
    from .services import _text

    purpose_text = _text(purpose_text, _("基金宗旨"), 2000, required=False)
    giving_text = _text(giving_text, _("捐赠方式"), 2000, required=False)
    giving_qr_text = _text(giving_qr_text, _("收款码内容"), 300, required=False)
    if fund.kind != FundKind.FOUNDATION:
        raise DomainError(_("%(fund)s不是社区基金。") % {"fund": fund})
    _require_manager(actor, fund, _("修改基金介绍"))
    with transaction.atomic():
        fund = Fund.objects.select_for_update().get(pk=fund.pk)
        fund.purpose_text, fund.giving_text, fund.giving_qr_text = purpose_text, giving_text, giving_qr_text
        fund.save(update_fields=["purpose_text", "giving_text", "giving_qr_text"])
    return fund


# --------------------------------------------------------------------------- monthly accounts


def month_bounds(month: date):
    """The month's first instant and the next month's first instant, in the portal's time zone."""
    from datetime import datetime, time

    first = month.replace(day=1)
    last_day = calendar.monthrange(first.year, first.month)[1]
    after = date.fromordinal(first.replace(day=last_day).toordinal() + 1)
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(first, time.min), tz),
            timezone.make_aware(datetime.combine(after, time.min), tz))


def _s(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def monthly_figures(fund: Fund, month: date) -> dict:
    """The month's accounts computed from the ledger: every figure a sum of entries, to the fen.

    opening + income − spending + corrections = closing, where income is by
    donor kind (a reversal counts against the kind it reverses), spending is by
    project (releases, less savings returned) plus one row for micro-grants (payments,
    less refunds), and other corrections stand alone.
    """
    start, end = month_bounds(month)
    entries = list(
        LedgerEntry.objects.filter(fund=fund, created_at__lt=end)
        .filter(created_at__gte=start)
        .select_related("proposal")
        .order_by("seq")
    )
    before = LedgerEntry.objects.filter(fund=fund, created_at__lt=start).aggregate(b=Sum("balance_delta"))["b"]
    opening = before or ZERO
    donations = {
        d.entry_id: d
        for d in Donation.objects.filter(fund=fund, entry__in=[e.pk for e in entries]).select_related("fund")
    }
    reversed_kinds = dict(
        Donation.objects.filter(fund=fund, reversal_entry__in=[e.pk for e in entries]).values_list(
            "reversal_entry", "donor_kind"
        )
    )
    income = {kind: ZERO for kind in DonorKind.values}
    income["other"] = ZERO
    spending: dict[int | str, dict] = {}
    other_corrections = ZERO
    donors: list[dict] = []
    count = 0
    for e in entries:
        if e.kind == EntryKind.DONATION:
            d = donations.get(e.pk)
            income[d.donor_kind if d else "other"] += e.balance_delta
            count += 1
            if d is not None and d.publish_name:
                donors.append({"name": d.donor_name, "amount": _s(d.amount), "receipt": d.receipt_number})
        elif e.kind == EntryKind.ALLOCATION:
            income["other"] += e.balance_delta
        elif e.kind == EntryKind.CORRECTION and e.pk in reversed_kinds:
            income[reversed_kinds[e.pk]] += e.balance_delta
        elif e.kind == EntryKind.CORRECTION:
            other_corrections += e.balance_delta
        elif e.kind in (EntryKind.RELEASE, EntryKind.SAVINGS_RETURN):
            row = spending.setdefault(e.proposal_id, {"proposal": e.proposal_id, "title": e.proposal.title,
                                                      "amount": ZERO})
            row["amount"] -= e.balance_delta
        elif e.kind in (EntryKind.GRANT_PAYMENT, EntryKind.GRANT_REFUND):
            # Micro-grants paid from the foundation, less the unspent money grantees returned.
            row = spending.setdefault("grants", {"proposal": None, "title": _("公益微创投资助"), "amount": ZERO})
            row["amount"] -= e.balance_delta
    income_total = sum(income.values(), ZERO)
    spending_total = sum((row["amount"] for row in spending.values()), ZERO)
    closing = opening + sum((e.balance_delta for e in entries), ZERO)
    return {
        "month": month.strftime("%Y-%m"),
        "opening": _s(opening),
        "income": {k: _s(v) for k, v in income.items() if v or k in DonorKind.values},
        "income_total": _s(income_total),
        "donations": count,
        "spending": [{**row, "amount": _s(row["amount"])} for row in spending.values()],
        "spending_total": _s(spending_total),
        "corrections": _s(other_corrections),
        "closing": _s(closing),
        "donors": donors,
    }


def monthly_account_post(*, fund: Fund, month: date) -> MonthlyAccount:
    """Generate and post ``fund``'s accounts for ``month`` (a past month); posting twice returns the first.

    Run by the scheduled job on the 1st and by ``manage.py post_foundation_accounts``.
    The ledger-chain head is the fund's last entry at generation time.
    """
    month = month.replace(day=1)
    today = timezone.localdate()
    if (month.year, month.month) >= (today.year, today.month):
        raise DomainError(_("只能公开已经结束的月份的账目。"))
    if fund.kind != FundKind.FOUNDATION:
        raise DomainError(_("%(fund)s不是社区基金。") % {"fund": fund})
    with transaction.atomic():
        lock_fund(fund)
        existing = MonthlyAccount.objects.filter(fund=fund, month=month).first()
        if existing is not None:
            return existing
        head = (
            LedgerEntry.objects.filter(fund=fund, created_at__lte=timezone.now())
            .order_by("-seq").values("seq", "hash").first()
        )
        return MonthlyAccount.objects.create(
            fund=fund, month=month, data=monthly_figures(fund, month),
            chain_seq=head["seq"] if head else 0, chain_head=head["hash"] if head else GENESIS,
        )


def post_last_months_accounts(today: date | None = None) -> list[MonthlyAccount]:
    """Post last month's accounts for every foundation whose year covers it (the job on the 1st)."""
    today = today or timezone.localdate()
    last = date.fromordinal(today.replace(day=1).toordinal() - 1).replace(day=1)
    posted = []
    for fund in Fund.objects.filter(kind=FundKind.FOUNDATION, year=last.year).order_by("pk"):
        posted.append(monthly_account_post(fund=fund, month=last))
    return posted


# --------------------------------------------------------------------------- reads for the pages


def purpose_rows(fund: Fund) -> list[dict]:
    """Per designated purpose, given / spent / left, labelled (for the fund page); proposals in one query."""
    lefts = purpose_left(fund)
    ids = [int(v) for k, v in lefts if k == "proposal"]
    titles = dict(Proposal.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}
    rows = [{"key": k, "label": purpose_label(k, titles), **v} for k, v in lefts.items()]
    return sorted(rows, key=lambda r: (r["key"][0], r["label"]))


def paid_for(fund: Fund):
    """Projects the foundation paid (its release entries), newest first."""
    return (
        LedgerEntry.objects.filter(fund=fund, kind=EntryKind.RELEASE)
        .select_related("proposal__group")
        .order_by("-seq")
    )


def consenting_donations(fund: Fund):
    """Standing donations whose donors agreed to publish their names (the public list)."""
    return Donation.objects.filter(fund=fund, publish_name=True, reversed_at__isnull=True).order_by("-receipt_no")
