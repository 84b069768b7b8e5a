"""Forms of the micro-grant pages: shape only; ``grants.services`` checks the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from councils.forms import ResidentsField
from yishi.text import LineField, TextField

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class CallForm(forms.Form):
    title = LineField(label=_("名称"), max_length=80)
    pool = forms.DecimalField(label=_("资金池（元）"), **MONEY)
    cap = forms.DecimalField(label=_("单个项目上限（元）"), **MONEY)
    applications_close = forms.DateTimeField(label=_("申请截止"),
                                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_on = forms.DateField(label=_("项目结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ApplyForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("申请组织"), coerce=int, required=False, empty_value=None)
    neighbours = ResidentsField(label=_("联名居民的登录名或手机号（居民申请时至少再填 2 位，用空格分开）"),
                                required=False, most=10)
    title = LineField(label=_("项目名称"), max_length=80)
    plan = TextField(label=_("项目计划"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    amount = forms.DecimalField(label=_("申请金额（元）"), **MONEY)
    cash = forms.DecimalField(label=_("自筹现金（元）"), initial=0, **MONEY)
    volunteer = forms.DecimalField(label=_("志愿服务折算（元）"), initial=0, **MONEY)
    in_kind = forms.DecimalField(label=_("实物（元）"), initial=0, **MONEY)

    def __init__(self, *args, organisations=(), community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("居民联名申请"))] + [(o.pk, o.name) for o in organisations]
        self.fields["neighbours"].within(community)


class ScoreForm(forms.Form):
    score = forms.IntegerField(label=_("分数（0–100）"), min_value=0, max_value=100)
    comment = LineField(label=_("评语"), max_length=2000, required=False)


class AwardForm(forms.Form):
    amount = forms.DecimalField(label=_("资助金额（元）"), **MONEY)


class GrantReportForm(forms.Form):
    people_served = forms.IntegerField(label=_("服务人次"), min_value=0, max_value=1_000_000)
    spent = forms.DecimalField(label=_("实际支出（元）"), **MONEY)
    report = TextField(label=_("项目报告"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
