"""Forms of the money and supervision pages. They check shape; the services check the rules."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.forms import local_datetime_field
from councils.models import Community, User
from proposals.enums import ProposalStatus
from proposals.models import MONEY_CEILING
from yishi.fields import PeopleChoiceField
from yishi.text import LineField, TextField

from .enums import DonationMethod, DonorKind, FundKind, PayerKind, Satisfaction

CENT = Decimal("0.01")


class MoneyField(forms.DecimalField):
    """Yuan with at most two decimals, more than 0 and not above the ceiling (R3)."""

    def __init__(self, *, allow_zero=False, **kwargs):
        minimum = Decimal("0.00") if allow_zero else CENT
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("validators", [])
        kwargs["validators"] = [
            MinValueValidator(minimum, message=_("金额不能小于 %(limit_value)s 元。")),
            MaxValueValidator(MONEY_CEILING, message=_("金额不能超过 1000 万元。")),
            *kwargs["validators"],
        ]
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)
        self.error_messages.update({
            "invalid": _("请填写数字金额，例如 1800 或 1800.50。"),
            "max_digits": _("金额不能超过 1000 万元。"),
            "max_whole_digits": _("金额不能超过 1000 万元。"),
            "max_decimal_places": _("金额最多保留两位小数（分）。"),
        })

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace("，", "").replace("元", "").replace("¥", "")
        return super().to_python(value)


# --------------------------------------------------------------------------- street office


class BudgetApproveForm(forms.Form):
    """R8: approve, optionally lowering the community share (never raising it)."""

    community_share = MoneyField(
        label=_("核定公服资金（元）"), allow_zero=True,
        help_text=_("可以调低，不能调高；调低的部分由居民自筹补足。"),
    )

    def __init__(self, *args, requested=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.requested = requested
        if requested is not None:
            self.fields["community_share"].initial = requested

    def clean_community_share(self):
        share = self.cleaned_data["community_share"]
        if self.requested is not None and share > self.requested:
            raise forms.ValidationError(
                _("核定金额不能高于申请的 %(requested)s 元（只能调低）。"),
                params={"requested": f"{self.requested:,.2f}"},
            )
        return share


class BudgetReturnForm(forms.Form):
    reason = TextField(
        label=_("退回理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("议案将退回居民小组重新议事，理由会写入议案的历史记录。"),
    )


# --------------------------------------------------------------------------- group council: money of a project


class ContributionForm(forms.Form):
    """R9: a contribution as written on the receipt."""

    payer = LineField(
        label=_("缴款人"), max_length=100, help_text=_("住户（如 3 栋 2 单元 401）或单位名称。不会公开显示。")
    )
    payer_kind = forms.ChoiceField(label=_("缴款人类型"), choices=PayerKind.choices, initial=PayerKind.HOUSEHOLD)
    amount = MoneyField(label=_("金额（元）"))
    receipt_no = LineField(label=_("收据编号"), max_length=40)
    paid_on = forms.DateField(
        label=_("缴款日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
    )

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("缴款日期不能晚于今天。"))
        return paid_on


class ReversalForm(forms.Form):
    reason = TextField(label=_("冲正理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BidForm(forms.Form):
    contractor = LineField(label=_("施工方"), max_length=120)
    amount = MoneyField(label=_("报价（元）"))
    notes = TextField(label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PanelField(PeopleChoiceField):
    pass


class BidSelectForm(forms.Form):
    """R12: the chosen bid, the panel (with a supervisor) and, when not the lowest, the reason."""

    bid = forms.ModelChoiceField(label=_("选定的报价"), queryset=None, widget=forms.RadioSelect)
    panel = PanelField(
        label=_("比选小组"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text=_("至少包括一名监督人员。"),
    )
    reason = TextField(
        label=_("选定理由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("选定的不是最低报价时必须写明理由。"),
    )

    def __init__(self, *args, bids, panel_candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bid"].queryset = bids
        self.fields["bid"].label_from_instance = lambda b: f"{b.contractor} · {b.amount:,.2f} 元"
        self.fields["panel"].queryset = panel_candidates


class AcceptanceForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("验收结论"), choices=[("1", _("合格")), ("0", _("不合格"))],
        coerce=lambda v: v == "1", widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(label=_("居民满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    supervisor = forms.ModelChoiceField(label=_("到场监督人"), queryset=User.objects.none())
    party_member = forms.ModelChoiceField(
        label=_("到场党组织成员"), queryset=User.objects.none(), required=False,
        empty_label=_("（比选小组或本社区唯一的党组织成员）"),
        help_text=_("五步工作法：社区党组织牵头评议验收。"),
    )
    notes = TextField(label=_("验收意见"), max_length=4000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, supervisors, party_members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors
        self.fields["supervisor"].label_from_instance = lambda u: u.display_name
        if party_members is not None:
            self.fields["party_member"].queryset = party_members
        self.fields["party_member"].label_from_instance = lambda u: u.display_name


class SettlementForm(forms.Form):
    actual_cost = MoneyField(label=_("实际支出（元）"), help_text=_("不能超过核定总预算；结余按出资比例退回。"))


# --------------------------------------------------------------------------- supervision


class SupervisionFilterForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none(), required=False,
                                       empty_label=_("全部社区"))
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态")), *ProposalStatus.choices])
    hold = forms.ChoiceField(label=_("暂停拨付"), required=False,
                             choices=[("", _("不限")), ("open", _("有未解除的暂停")), ("none", _("没有暂停"))])
    q = LineField(label=_("标题包含"), required=False, max_length=60)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class OpinionForm(forms.Form):
    text = TextField(label=_("监督意见"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class HoldPlaceForm(forms.Form):
    reason = TextField(
        label=_("暂停理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("暂停期间不能拨付资金，也不能决算。"),
    )


class HoldLiftForm(forms.Form):
    reason = TextField(label=_("解除理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ChartFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)


# --------------------------------------------------------------------------- funds (street office)


class FundCreateForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("类别"), choices=FundKind.choices, initial=FundKind.PUBLIC_SERVICE)
    share_cap_percent = forms.DecimalField(
        label=_("单个项目公服资金上限（%）"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
        max_value=Decimal("100"), initial=Decimal("50"),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["year"].initial = timezone.localdate().year


class FundInflowForm(forms.Form):
    """Money into a fund: the year's allocation, or a donation (mostly to a community foundation)."""

    kind = forms.ChoiceField(label=_("类别"), choices=[("allocation", _("拨入")), ("donation", _("捐赠"))],
                             initial="allocation")
    amount = MoneyField(label=_("金额（元）"))
    source = LineField(label=_("来源 / 捐赠人"), max_length=120, required=False)
    memo = TextField(label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("kind") == "donation" and not data.get("source"):
            self.add_error("source", _("请填写捐赠人。"))
        return data


class LedgerCorrectForm(forms.Form):
    """A correction is a new entry, positive or negative; nothing is ever edited (R14)."""

    amount = forms.DecimalField(
        label=_("更正金额（元，可为负数）"), max_digits=12, decimal_places=2,
        min_value=-MONEY_CEILING, max_value=MONEY_CEILING,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = TextField(label=_("更正理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("更正金额不能为 0。"))
        return amount


# --------------------------------------------------------------------------- community foundations (R21)


class DonationForm(forms.Form):
    """R21: a donation as staff record it from the receipt book or the collection record."""

    donor_kind = forms.ChoiceField(label=_("捐赠人类型"), choices=DonorKind.choices, initial=DonorKind.RESIDENT)
    donor_name = LineField(label=_("捐赠人姓名或名称"), max_length=120, required=False,
                                 help_text=_("匿名捐赠不填。"))
    amount = MoneyField(label=_("金额（元）"))
    method = forms.ChoiceField(label=_("捐赠方式"), choices=DonationMethod.choices, initial=DonationMethod.CASH)
    paid_on = forms.DateField(
        label=_("捐赠日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
    )
    publish_name = forms.BooleanField(label=_("捐赠人同意公开姓名"), required=False)
    purpose_category = forms.ChoiceField(label=_("指定用途：项目类别"), required=False)
    purpose_proposal = forms.ModelChoiceField(label=_("指定用途：议案"), required=False, queryset=None)

    def __init__(self, *args, fund, **kwargs):
        from proposals.enums import Category
        from proposals.models import Proposal

        super().__init__(*args, **kwargs)
        self.fields["purpose_category"].choices = [("", _("不限用途"))] + list(Category.choices)
        self.fields["purpose_proposal"].queryset = (
            Proposal.objects.filter(group__community=fund.community)
            .exclude(status__in=[ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN])
            .order_by("-pk")
        )
        self.fields["paid_on"].initial = timezone.localdate()

    def clean_donor_name(self):
        return (self.cleaned_data.get("donor_name") or "").strip()

    def clean(self):
        data = super().clean()
        if data.get("purpose_category") and data.get("purpose_proposal"):
            self.add_error("purpose_proposal", _("指定用途只能选一项：项目类别或议案。"))
        if data.get("donor_kind") == DonorKind.ANONYMOUS and data.get("donor_name"):
            self.add_error("donor_name", _("匿名捐赠不登记姓名。"))
        if data.get("donor_kind") and data.get("donor_kind") != DonorKind.ANONYMOUS and not data.get("donor_name"):
            self.add_error("donor_name", _("请填写捐赠人姓名或名称。"))
        return data

    @property
    def purpose(self):
        return self.cleaned_data.get("purpose_proposal") or self.cleaned_data.get("purpose_category") or None


class DonationReverseForm(forms.Form):
    reason = TextField(label=_("冲正理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写冲正理由。"))
        return reason


class FoundationSettingsForm(forms.Form):
    purpose_text = TextField(label=_("基金宗旨"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    giving_text = TextField(label=_("捐赠方式"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("收款账户、开户行、联系人等，会公开显示。"))
    giving_qr_text = LineField(label=_("收款码内容"), max_length=300, required=False,
                                     help_text=_("用扫码工具读出收款码中的链接，粘贴在这里。"))


# --------------------------------------------------------------------------- open tenders (R24)


class TenderPublishForm(forms.Form):
    closes_at = local_datetime_field(_("投标截止时间"), help_text=_("北京时间。至少 24 小时以后；截止前报价保密。"))
    voting_days = forms.IntegerField(
        label=_("居民投票天数"), min_value=1, max_value=30, initial=3,
        help_text=_("截止后公开报价，居民在这些天里为投标方投票，每人一票。"),
    )
    requirements = TextField(
        label=_("招标要求"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("要做什么、工期、质量和资质要求。"),
    )


class TenderBidForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("投标组织"), queryset=None)
    amount = MoneyField(label=_("报价（元）"))
    plan = TextField(label=_("实施方案"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    qualifications = TextField(
        label=_("资质说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        only = list(organisations[:2])
        if len(only) == 1:  # most bidders run one organisation: chosen for them
            self.fields["organisation"].initial = only[0].pk


class TenderSelectForm(forms.Form):
    """The panel's choice (R12/R24): the bid, the panel (with a supervisor) and, when needed, the reason."""

    bid = forms.ModelChoiceField(label=_("选定的投标"), queryset=None, widget=forms.RadioSelect)
    panel = PanelField(
        label=_("比选小组"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("议案招标：至少包括一名监督人员。"),
    )
    reason = TextField(
        label=_("选定理由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("选定的既不是最低价、也不是居民得票最多的投标时，必须写明理由。"),
    )

    def __init__(self, *args, bids, panel_candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bid"].queryset = bids
        self.fields["bid"].label_from_instance = lambda b: f"{b.organisation.name} · {b.amount:,.2f} 元"
        self.fields["panel"].queryset = panel_candidates
