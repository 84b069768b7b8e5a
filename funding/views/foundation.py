"""Community foundation pages (R21): the public page, a donation's public record, the monthly
accounts (A4), and for community staff and the foundation's managers: recording, receipts
(A5), reversals and the page's texts.

Public pages show a donor's name only with consent (``Donation.public_name``); the staff
pages and the receipt (handed to the donor) show the name as recorded.
"""

from datetime import date
from functools import partial

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yishi.qr import qr_svg
from yishi.views import attempt

from .. import foundation, services
from ..enums import DonorKind, FundKind
from ..forms import DonationForm, DonationReverseForm, FoundationSettingsForm
from ..ledger import fund_sums
from ..models import Donation, Fund, MonthlyAccount
from ..rmb import rmb_upper
from .common import refuse

PAGE_SIZE = 20


def _foundation(pk) -> Fund:
    return get_object_or_404(Fund.objects.select_related("community__subdistrict"), pk=pk,
                             kind=FundKind.FOUNDATION)


def _managed(request, pk) -> Fund:
    """The foundation, for its community staff and managers; 403 with the reason in scope, else 404."""
    fund = _foundation(pk)
    if not foundation.may_manage_foundation(request.user, fund):
        refuse(request, fund.community, _("只有本社区的社区工作人员或基金管理人可以登记和管理捐赠。"))
    return fund


def _donation(fund, no) -> Donation:
    return get_object_or_404(Donation.objects.select_related("fund__community", "purpose_proposal"),
                             fund=fund, receipt_no=no)


def _public_url(donation) -> str:
    return settings.SITE_URL + reverse("funding:donation_public", args=[donation.fund_id, donation.receipt_no])


# --------------------------------------------------------------------------- public


def foundation_list(request):
    """Every community foundation, newest year first (public)."""
    qs = Fund.objects.filter(kind=FundKind.FOUNDATION).select_related("community").order_by(
        "community__name", "-year")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "funding/foundation_list.html", {"page": page})


def foundation_page(request, pk):
    """What the foundation is for, how to give, what it paid for, purposes, donors who consented."""
    fund = _foundation(pk)
    balance, reserved = fund_sums(fund)
    rows = foundation.purpose_rows(fund)
    designated_left = sum((r["left"] for r in rows), 0)
    page = Paginator(foundation.consenting_donations(fund), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "funding/foundation.html", {
        "fund": fund, "balance": balance, "reserved": reserved, "available": balance - reserved,
        "free": balance - reserved - designated_left, "purposes": rows,
        "paid_for": foundation.paid_for(fund)[:PAGE_SIZE], "page": page,
        "accounts": MonthlyAccount.objects.filter(fund=fund).order_by("-month").only("pk", "month", "fund_id")[:24],
        "giving_qr": mark_safe(qr_svg(fund.giving_qr_text, size_mm=40)) if fund.giving_qr_text else "",
        "is_manager": foundation.may_manage_foundation(request.user, fund),
    })


def donation_public(request, pk, no):
    """The public record a receipt's QR code points to: number, amount, date, purpose; the name only with consent."""
    fund = _foundation(pk)
    donation = _donation(fund, no)
    return render(request, "funding/donation_public.html", {"fund": fund, "donation": donation,
                                                            "purpose": donation_purpose(donation)})


def monthly_accounts(request, pk, year, month):
    """One month's posted accounts, an A4 sheet for the notice board."""
    fund = _foundation(pk)
    try:
        first = date(year, month, 1)
    except ValueError as exc:
        raise Http404 from exc
    account = get_object_or_404(MonthlyAccount, fund=fund, month=first)
    labels = dict(DonorKind.choices) | {"other": _("其他收入")}
    income = [(labels.get(k, k), v) for k, v in account.data["income"].items()]
    return render(request, "funding/monthly_accounts.html", {"fund": fund, "account": account, "income": income,
                                                             "data": account.data})


def donation_purpose(donation) -> str:
    if donation.purpose_proposal_id:
        return foundation.purpose_label(("proposal", str(donation.purpose_proposal_id)),
                                        {donation.purpose_proposal_id: donation.purpose_proposal.title})
    return foundation.purpose_label(donation.purpose_key)


# --------------------------------------------------------------------------- staff and managers


def _manage_context(request, fund, *, form=None, settings_form=None):
    page = Paginator(
        Donation.objects.filter(fund=fund).select_related("fund", "recorded_by").order_by("-receipt_no"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return {
        "fund": fund, "page": page, "purposes": foundation.purpose_rows(fund),
        "form": form or DonationForm(fund=fund),
        "settings_form": settings_form or FoundationSettingsForm(initial={
            "purpose_text": fund.purpose_text, "giving_text": fund.giving_text,
            "giving_qr_text": fund.giving_qr_text}),
        "reverse_form": DonationReverseForm(),
    }


@login_required
def donations_manage(request, pk):
    fund = _managed(request, pk)
    return render(request, "funding/donations_manage.html", _manage_context(request, fund))


@login_required
@require_POST
def donation_add(request, pk):
    fund = _managed(request, pk)
    form = DonationForm(request.POST, fund=fund)
    if form.is_valid():
        data = form.cleaned_data
        made = {}

        def call():
            made["donation"] = services.donation_record(
                fund=fund, actor=request.user, donor_kind=data["donor_kind"], donor_name=data["donor_name"],
                amount=data["amount"], method=data["method"], paid_on=data["paid_on"],
                publish_name=data["publish_name"], purpose=form.purpose,
            )

        if attempt(request, call, success=_("已登记，请打印收据交给捐赠人。"), form=form):
            return redirect("funding:donation_receipt", pk=fund.pk, no=made["donation"].receipt_no)
    return render(request, "funding/donations_manage.html", _manage_context(request, fund, form=form))


@login_required
@require_POST
def donation_reverse(request, pk, no):
    fund = _managed(request, pk)
    donation = _donation(fund, no)
    form = DonationReverseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                from django.contrib import messages

                messages.error(request, error)
        return redirect("funding:donations_manage", pk=fund.pk)
    attempt(request, partial(services.donation_reverse, donation=donation, actor=request.user,
                             reason=form.cleaned_data["reason"]),
            success=_("已冲正，冲正记录已写入基金流水。"))
    return redirect("funding:donations_manage", pk=fund.pk)


@login_required
@require_POST
def foundation_settings(request, pk):
    fund = _managed(request, pk)
    form = FoundationSettingsForm(request.POST)
    if form.is_valid() and attempt(
        request, partial(foundation.foundation_settings_update, fund=fund, actor=request.user, **form.cleaned_data),
        success=_("已保存。"), form=form,
    ):
        return redirect("funding:donations_manage", pk=fund.pk)
    return render(request, "funding/donations_manage.html", _manage_context(request, fund, settings_form=form))


@login_required
def donation_receipt(request, pk, no):
    """The receipt handed to the donor (A5): number, amount in figures and in capitals, QR to the public record."""
    fund = _managed(request, pk)
    donation = _donation(fund, no)
    url = _public_url(donation)
    return render(request, "funding/donation_receipt.html", {
        "fund": fund, "donation": donation, "capitals": rmb_upper(donation.amount), "url": url,
        "qr": mark_safe(qr_svg(url, size_mm=30)),  # our own URL, no user text in it
        "purpose": donation_purpose(donation),
    })


