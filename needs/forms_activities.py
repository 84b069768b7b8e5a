"""Forms of the activity pages (R25): they check shape; ``needs.activities`` checks the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from councils.forms import AccountField, local_datetime_field
from yishi.text import LineField, TextField


class ActivityForm(forms.Form):
    title = LineField(label=_("活动名称"), max_length=80)
    starts_at = local_datetime_field(_("开始时间"), help_text=_("北京时间。"))
    ends_at = local_datetime_field(_("结束时间"), required=False, help_text=_("不填即开始后两小时。"))
    place = LineField(label=_("地点"), max_length=120)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000)
    min_age = forms.IntegerField(label=_("最低年龄（岁，可不填）"), required=False, min_value=0, max_value=120)
    description = TextField(label=_("活动内容（可不填）"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))


class BirthDateForm(forms.Form):
    account = AccountField(label=_("居民账号（登录名或手机号）"))
    birth_date = forms.DateField(label=_("出生日期"), widget=forms.DateInput(attrs={"type": "date"}))
