"""Forms of the needs pages: they check shape; the services check the rules."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.forms import ResidentField
from yishi.images import PhotoField
from yishi.text import LineField, TextField

from .enums import Channel, Decision, NeedCategory, NeedStatus, ProjectStatus


class NeedForm(forms.Form):
    category = forms.ChoiceField(label=_("什么方面的需要"), choices=NeedCategory.choices, widget=forms.RadioSelect)
    text = TextField(label=_("说说您的需要"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    photo = PhotoField(label=_("拍张照片（可不填）"), required=False)


class RecordNeedForm(NeedForm):
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices, initial=Channel.DOOR_TO_DOOR)
    resident = ResidentField(label=_("居民的登录名或手机号（可不填，作为匿名需求）"), required=False)

    def __init__(self, *args, community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].within(community)


class LedgerFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部"))] + NeedCategory.choices)
    channel = forms.ChoiceField(label=_("来源渠道"), required=False, choices=[("", _("全部"))] + Channel.choices)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + NeedStatus.choices)
    overdue = forms.BooleanField(label=_("只看超期未回应"), required=False)


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label=_("回应"), choices=Decision.choices)
    reason = LineField(label=_("说明"), max_length=2000, required=False)
    project = forms.IntegerField(label=_("列入的项目"), required=False, widget=forms.Select)
    merge_into = forms.IntegerField(label=_("合并到需求编号"), required=False, min_value=1)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].widget.choices = [("", "—")] + [(p.pk, p.title) for p in projects]


class ProjectForm(forms.Form):
    title = LineField(label=_("项目名称"), max_length=80)
    description = TextField(label=_("项目内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    people_target = forms.IntegerField(label=_("计划服务人数"), min_value=1, max_value=1_000_000)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    needs = forms.TypedMultipleChoiceField(label=_("来自哪些需求"), coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, open_needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = [(n.pk, f"#{n.pk} {n.text[:40]}") for n in open_needs]


class ClaimForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("认领组织"), coerce=int)
    plan = TextField(label=_("服务计划"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]


class ServiceForm(forms.Form):
    served_on = forms.DateField(label=_("服务日期"), initial=timezone.localdate,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    people_served = forms.IntegerField(label=_("服务人次"), min_value=0, max_value=1_000_000)
    hours = forms.DecimalField(label=_("服务时长（小时）"), min_value=0, max_digits=7, decimal_places=1)
    volunteers = forms.IntegerField(label=_("志愿者人数"), min_value=0, initial=0, max_value=100_000)
    notes = LineField(label=_("说明"), max_length=2000, required=False)


class ReportForm(forms.Form):
    report = TextField(label=_("完成报告"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class StarsForm(forms.Form):
    stars = forms.TypedChoiceField(label=_("评分"), coerce=int, widget=forms.RadioSelect,
                                   choices=[(n, "★" * n) for n in range(5, 0, -1)])


class ProjectFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + ProjectStatus.choices)
