"""Funding records in the Django admin.

A fund is opened only through the service (street-office staff); its configuration
(cap, negative list, a foundation's managers) may be edited here; money records
are read-only: every movement goes through ``funding.services`` so that it is
checked, hash-chained and on the proposal's history. Ledger entries can never
be added, changed or deleted here.

Donations (R21) are read-only too: recording one takes the next gap-free receipt
number and writes its ledger entry, a correction is a reversing entry with a
reason (both on the foundation's manage page). The changelist shows the donor
as the public pages do — the name only with consent —; the change page shows
the recorded name to staff, as the receipt and the staff pages do. Designated
draws, receipt counters and posted monthly accounts are the ledger's companions
and never change here either.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from proposals.enums import Category

from .models import (
    Acceptance,
    Bid,
    BudgetReview,
    Contribution,
    Donation,
    Fund,
    HistoryCheckpoint,
    HistoryFinding,
    HistoryRun,
    LedgerEntry,
    MonthlyAccount,
    PurposeDraw,
    ReceiptCounter,
    Refund,
    Settlement,
    Tender,
    TenderBid,
)
from .selectors import fund_totals


class ReadOnlyAdmin(admin.ModelAdmin):
    """Show everything, change nothing: the services own these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["seq", "kind", "balance_delta", "reserved_delta", "proposal", "counterparty", "actor", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FundForm(forms.ModelForm):
    # The negative list as checkboxes of proposal categories rather than raw JSON.
    negative_list = forms.MultipleChoiceField(
        label=_("负面清单"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("不得使用本资金的议案类别。"),
    )

    class Meta:
        model = Fund
        fields = ["community", "year", "kind", "share_cap_percent", "negative_list", "managers"]

    def clean_managers(self):
        from .enums import FundKind

        managers = self.cleaned_data.get("managers")
        kind = self.instance.kind if self.instance.pk else self.cleaned_data.get("kind")
        if managers and kind != FundKind.FOUNDATION:
            raise forms.ValidationError(_("只有社区基金有基金管理人。"))
        return managers


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    form = FundForm
    list_display = ["__str__", "community", "year", "kind", "share_cap_percent", "balance", "available"]
    list_filter = ["kind", "year", "community__subdistrict"]
    search_fields = ["community__name"]
    readonly_fields = ["balance", "reserved", "available", "created_at", "created_by"]
    filter_horizontal = ["managers"]
    inlines = [LedgerEntryInline]

    def has_add_permission(self, request):
        # A fund is opened by street-office staff through ``fund_create`` (/street/funds/new/),
        # which checks who may open it and that the community has one fund per kind and year.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Which community, year and kind a fund is never changes once it has a ledger.
        fixed = ["community", "year", "kind"] if obj is not None else []
        return fixed + list(self.readonly_fields)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("余额"))
    def balance(self, obj):
        return fund_totals(obj)["balance"]

    @admin.display(description=_("已预留"))
    def reserved(self, obj):
        return fund_totals(obj)["reserved"]

    @admin.display(description=_("可用"))
    def available(self, obj):
        return fund_totals(obj)["available"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["fund", "seq", "kind", "balance_delta", "reserved_delta", "proposal", "actor", "created_at"]
    list_filter = ["kind", "fund__year", "fund__community"]
    search_fields = ["memo", "counterparty", "proposal__title"]
    list_select_related = ["fund__community", "proposal", "actor"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]


@admin.register(BudgetReview)
class BudgetReviewAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "decision", "total", "requested_share", "approved_share", "reviewer", "reviewed_at"]
    list_filter = ["decision"]
    list_select_related = ["proposal", "reviewer"]
    readonly_fields = [f.name for f in BudgetReview._meta.fields]


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "receipt_no", "payer", "amount", "paid_on", "recorded_by", "reversed_at"]
    list_filter = ["payer_kind"]
    search_fields = ["receipt_no", "payer", "proposal__title"]
    list_select_related = ["proposal", "recorded_by"]
    readonly_fields = [f.name for f in Contribution._meta.fields]


@admin.register(Bid)
class BidAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "contractor", "amount", "selected_at", "recorded_by"]
    search_fields = ["contractor", "proposal__title"]
    list_select_related = ["proposal", "recorded_by"]
    readonly_fields = [f.name for f in Bid._meta.fields] + ["panel"]


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "passed", "satisfaction", "supervisor", "recorded_at"]
    list_filter = ["passed", "satisfaction"]
    list_select_related = ["proposal", "supervisor"]
    readonly_fields = [f.name for f in Acceptance._meta.fields]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "approved_total", "actual_cost", "savings", "community_savings",
                    "refundable_total", "recorded_at"]
    list_select_related = ["proposal"]
    readonly_fields = [f.name for f in Settlement._meta.fields]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["contribution", "cause", "amount", "paid_on"]
    list_filter = ["cause"]
    list_select_related = ["contribution__proposal"]
    readonly_fields = [f.name for f in Refund._meta.fields]


# --------------------------------------------------------------------------- community foundations (R21)


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["receipt", "fund", "donor_kind", "donor", "amount", "method", "paid_on", "purpose", "reversed"]
    list_filter = ["donor_kind", "method", "publish_name", ("reversed_at", admin.EmptyFieldListFilter),
                   "fund__year", "fund__community"]
    list_select_related = ["fund__community", "purpose_proposal"]
    search_fields = ["=receipt_no", "fund__community__name", "purpose_proposal__title"]
    date_hierarchy = "paid_on"
    readonly_fields = [f.name for f in Donation._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        # "2026-0007", as printed on the receipt: the fund's year and the number.
        year, dash, number = search_term.strip().partition("-")
        if dash and year.isdigit() and number.isdigit():
            return queryset.filter(fund__year=int(year), receipt_no=int(number)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("收据号"), ordering="receipt_no")
    def receipt(self, obj):
        return obj.receipt_number

    @admin.display(description=_("捐赠人（公开显示）"))
    def donor(self, obj):
        return obj.public_name  # the name only with the donor's consent, as on every public page

    @admin.display(description=_("指定用途"))
    def purpose(self, obj):
        from .foundation import purpose_label

        key = obj.purpose_key
        return purpose_label(key, {obj.purpose_proposal_id: obj.purpose_proposal.title} if obj.purpose_proposal_id
                             else None) if key else "—"

    @admin.display(description=_("已冲正"), boolean=True)
    def reversed(self, obj):
        return obj.reversed_at is not None


@admin.register(PurposeDraw)
class PurposeDrawAdmin(ReadOnlyAdmin):
    list_display = ["fund", "entry", "proposal", "purpose_category", "purpose_proposal", "amount"]
    list_filter = ["purpose_category", "fund__community"]
    list_select_related = ["fund__community", "entry__fund__community", "proposal", "purpose_proposal"]
    readonly_fields = [f.name for f in PurposeDraw._meta.fields]


@admin.register(MonthlyAccount)
class MonthlyAccountAdmin(ReadOnlyAdmin):
    """Posted accounts are frozen: the chain head printed on them is checked against the ledger."""

    list_display = ["fund", "month", "chain_seq", "generated_at"]
    list_filter = ["fund__community", "fund__year"]
    list_select_related = ["fund__community"]
    readonly_fields = [f.name for f in MonthlyAccount._meta.fields]


@admin.register(ReceiptCounter)
class ReceiptCounterAdmin(ReadOnlyAdmin):
    """The last receipt number of a fund; changing it would skip or repeat numbers."""

    list_display = ["fund", "last_no"]
    list_select_related = ["fund__community"]
    readonly_fields = ["fund", "last_no"]


@admin.register(HistoryCheckpoint)
class HistoryCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["__str__"]


@admin.register(HistoryRun)
class HistoryRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__"]


@admin.register(HistoryFinding)
class HistoryFindingAdmin(ReadOnlyAdmin):
    list_display = ["__str__"]


from .models import Evaluation, EvaluatorAppointment  # noqa: E402 — performance evaluation (R26)


@admin.register(EvaluatorAppointment)
class EvaluatorAppointmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "subdistrict", "affiliation", "appointed_at", "ended_at"]
    list_select_related = ["user", "subdistrict"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "community", "proposal", "project", "stage", "evaluation_class", "total", "grade"]
    list_filter = ["stage", "evaluation_class", "grade"]
    list_select_related = ["community", "proposal", "project"]
@admin.register(Tender)
class TenderAdmin(ReadOnlyAdmin):
    """R24: the tender itself; no bid, bidder or amount here (sealed until the close; see TenderBidAdmin)."""

    list_display = ["title", "community", "published_at", "closes_at", "voting_days", "closed_at"]
    list_filter = ["community"]
    search_fields = ["title", "community__name"]
    list_select_related = ["community"]
    fields = ["title", "community", "proposal", "project", "requirements", "budget", "published_at",
              "published_by", "closes_at", "voting_days", "closed_at"]


@admin.register(TenderBid)
class TenderBidAdmin(ReadOnlyAdmin):
    """R24: bids of tenders whose close has passed only — sealed bids are not listed even to superusers."""

    list_display = ["tender", "organisation", "amount", "submitted_at", "selected_at"]
    search_fields = ["tender__title", "organisation__name"]
    list_select_related = ["tender", "organisation"]

    def get_queryset(self, request):
        from django.utils import timezone

        return super().get_queryset(request).filter(tender__closes_at__lte=timezone.now())
