"""Forms of the proposal pages: they check the shape of input, the services check the rules.

Every text field has the model's maximum length, every amount is a Decimal
with two places inside the R3 ceiling, and nothing here changes state.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.forms import AccountField, local_datetime_field
from councils.models import User
from yishi.fields import PeopleChoiceField
from yishi.text import LineField, TextField

from . import hooks
from .enums import Category, ProposalStatus, ProxyReason, VoteChoice
from .models import MONEY_CEILING

MAX_LINES = 50
MAX_QUANTITY = Decimal("1000000")
CENT = Decimal("0.01")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class PersonChoiceField(forms.ModelChoiceField):
    """A select of people by name (never phone or address)."""

    def label_from_instance(self, obj) -> str:
        return obj.display_name




def _datetime_local(**attrs):
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format=DATETIME_LOCAL)


def _money_field(label, *, minimum=Decimal("0.01"), required=True, help_text=""):
    return forms.DecimalField(
        label=label, max_digits=12, decimal_places=2, required=required, help_text=help_text,
        validators=[MinValueValidator(minimum), MaxValueValidator(MONEY_CEILING)],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}),
    )


# --------------------------------------------------------------------------- drafting


class BudgetLineForm(forms.Form):
    item = LineField(label=_("项目"), max_length=120)
    quantity = forms.DecimalField(
        label=_("数量"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(CENT), MaxValueValidator(MAX_QUANTITY)],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}),
    )
    unit = LineField(label=_("单位"), max_length=20)
    unit_price = _money_field(_("单价（元）"))

    def as_line(self) -> tuple:
        d = self.cleaned_data
        return (d["item"], d["quantity"], d["unit"], d["unit_price"])


BudgetLineFormSet = formset_factory(
    BudgetLineForm, extra=0, min_num=1, validate_min=True, max_num=MAX_LINES, validate_max=True,
    absolute_max=MAX_LINES,
)
BudgetLineFormSet.prefix = "lines"


class ProposalForm(forms.Form):
    """Title, text, category and the community share; the lines come in ``BudgetLineFormSet``."""

    title = LineField(label=_("标题"), max_length=120)
    summary = TextField(
        label=_("内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("要做什么、为什么、在哪里，写清楚让邻居们看得明白。"),
    )
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.OTHER)
    community_share = _money_field(
        _("申请公服资金（元）"), minimum=Decimal("0.00"),
        help_text=_("其余部分由居民自筹。公服资金最多为总预算的一半（以基金规定为准）。"),
    )

    def __init__(self, *args, author_queryset=None, community=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Categories public money may not pay for are not offered (R8's negative list); the
        # service refuses them too, with the reason, should one be posted anyway.
        refused = set(hooks.negative_list(community)) if community is not None else set()
        if refused:
            field = self.fields["category"]
            field.choices = [(v, label) for v, label in Category.choices if v not in refused]
            field.help_text = _("公服资金不能用于：%(list)s。这类事项请向物业或有关部门反映。") % {
                "list": str(_("、")).join(str(Category(v).label) for v in Category.values if v in refused)
            }
        if author_queryset is not None:
            # Community staff entering a proposal for a resident without a phone.
            self.fields = {
                "author": PersonChoiceField(
                    label=_("代哪位居民录入"), queryset=author_queryset,
                    help_text=_("议案记在这位居民名下，历史中注明由您代录。"),
                ),
                **self.fields,
            }


# --------------------------------------------------------------------------- group council and residents


class ReasonForm(forms.Form):
    reason = TextField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class BallotOpenForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("表决截止时间"), widget=_datetime_local(),
        help_text=_("北京时间。截止后不再接受投票；全部成员投完票时自动结束。"),
    )

    def __init__(self, *args, default_days: int = 3, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "closes_at",  # a round deadline people can remember: 20:00 Beijing time
            timezone.localtime(timezone.now() + timedelta(days=default_days)).replace(
                hour=20, minute=0, second=0, microsecond=0
            ),
        )
        super().__init__(*args, **kwargs)


class ObjectionForm(forms.Form):
    text = TextField(
        label=_("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请写明您不同意的地方和理由。小组议事会会逐条答复。"),
    )

    def __init__(self, *args, resident_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resident_queryset is not None:
            self.fields = {
                "resident": PersonChoiceField(label=_("代哪位居民录入"), queryset=resident_queryset),
                **self.fields,
            }


class ObjectionAnswerForm(forms.Form):
    DISMISS, UPHOLD = "dismiss", "uphold"
    decision = forms.ChoiceField(
        label=_("答复结果"), widget=forms.RadioSelect,
        choices=[(DISMISS, _("不予采纳（说明理由）")), (UPHOLD, _("采纳：决议退回小组重新议事"))],
    )
    answer = TextField(label=_("答复内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    @property
    def upheld(self) -> bool:
        return self.cleaned_data["decision"] == self.UPHOLD


class VoteForm(forms.Form):
    choice = forms.ChoiceField(label=_("表决意见"), choices=VoteChoice.choices, widget=forms.RadioSelect)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, voter_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if voter_queryset is not None:
            self.fields = {
                "voter": PersonChoiceField(
                    label=_("代哪位成员录入（纸质表决）"), queryset=voter_queryset, required=False,
                    empty_label=_("我本人投票"),
                ),
                **self.fields,
                **proxy_reason_fields(required=False),
            }

    def clean(self):
        data = super().clean()
        if data.get("voter") is not None and "proxy_reason" in self.fields:
            if not data.get("proxy_reason"):
                self.add_error("proxy_reason", _("代录表决必须说明依据。"))
            if not data.get("proxy_detail"):
                self.add_error("proxy_detail", _("请写明委托方式、表决票编号或会议。"))
        return data


def proxy_reason_fields(*, required: bool) -> dict:
    """Why staff enter a member's vote: the kind and a detail, stored on the vote."""
    return {
        "proxy_reason": forms.ChoiceField(
            label=_("代录依据"), choices=[("", "—"), *ProxyReason.choices], required=required,
        ),
        "proxy_detail": LineField(
            label=_("代录说明"), max_length=200, required=required,
            help_text=_("例如：本人电话委托（时间）、纸质表决票编号、哪次会议现场表决。"),
        ),
    }


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("评分"), coerce=int, widget=forms.RadioSelect,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
    )
    comment = TextField(label=_("评价（可不填）"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class FollowForm(forms.Form):
    follow = forms.BooleanField(required=False)


# --------------------------------------------------------------------------- meetings


class MeetingForm(forms.Form):
    held_at = forms.DateTimeField(label=_("会议时间"), widget=_datetime_local(), help_text=_("北京时间。"))
    location = LineField(label=_("地点"), max_length=120, required=False)
    attendees = PeopleChoiceField(
        label=_("实到成员"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("应到人数按会议时在任的成员自动计算。"),
    )
    minutes = TextField(label=_("会议记录"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}))
    agenda = PeopleChoiceField(
        label=_("议程（讨论的议案）"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members=None, proposals=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["attendees"].queryset = members
        self.fields["agenda"].queryset = proposals
        self.fields["agenda"].label_from_instance = lambda p: p.title


class AgendaAddForm(forms.Form):
    proposal = forms.ModelChoiceField(label=_("议案"), queryset=None)

    def __init__(self, *args, proposals=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"].queryset = proposals
        self.fields["proposal"].label_from_instance = lambda p: p.title


class RoadshowForm(forms.Form):
    """路演 recorded at a community-council meeting (proposals.services.roadshow_record)."""

    presenter = LineField(label=_("介绍人账号（登录名或手机号）"), max_length=150)
    presentation = TextField(label=_("项目介绍"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    self_raised_source = TextField(label=_("自筹资金来源"), max_length=2000,
                                         widget=forms.Textarea(attrs={"rows": 3}))

    def clean_presenter(self):
        return AccountField().clean(self.cleaned_data["presenter"])


class RoadshowQuestionForm(forms.Form):
    asked_by = forms.ModelChoiceField(label=_("提问的议事会成员"), queryset=None)
    question = TextField(label=_("提问"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    answer = TextField(label=_("回答"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asked_by"].queryset = members
        self.fields["asked_by"].label_from_instance = lambda u: u.display_name


# --------------------------------------------------------------------------- public list


class PublicFilterForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=None, required=False, empty_label=_("全部社区"))
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, communities=None, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["status"].choices = [("", _("全部状态"))] + [
            (s, ProposalStatus(s).label) for s in statuses
        ]


# --------------------------------------------------------------------------- the community staff workbench
# (proposals/views/staff.py; moved from councils so that councils imports nothing from proposals)


class StaffBallotOpenForm(forms.Form):
    """Staff open the community council's ballot on a submitted proposal (R7), from the staff home."""

    closes_at = local_datetime_field(_("表决截止时间"), help_text=_("北京时间。至少 5 分钟后，最长 60 天。"))


class ProxyVoteForm(forms.Form):
    """A paper vote entered by staff for a member without a phone (recorded as such)."""

    account = AccountField(label=_("表决人账号（登录名或手机号）"))
    choice = forms.ChoiceField(
        label=_("选择"), widget=forms.RadioSelect,
        choices=[("approve", _("赞成")), ("oppose", _("反对")), ("abstain", _("弃权"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(proxy_reason_fields(required=True))


class ProxyObjectionForm(forms.Form):
    """A written objection entered by staff for a resident without a phone."""

    account = AccountField(label=_("异议人账号（登录名或手机号）"))
    text = TextField(label=_("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
