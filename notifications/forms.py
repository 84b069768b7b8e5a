from django import forms
from django.utils.translation import gettext_lazy as _
from yishi.text import LineField

from councils.models import LANGUAGE_CHOICES

from .enums import NotificationKind


class PreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("通过邮件接收"), choices=NotificationKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("没有勾选的类别只出现在站内通知里，不发邮件。"),
    )
    digest = forms.BooleanField(
        label=_("每天汇总成一封邮件"), required=False,
        help_text=_("勾选后，每天傍晚 6 点把当天的通知合成一封邮件发送，不再逐条发送。"),
    )
    language = forms.ChoiceField(
        label=_("邮件语言"), choices=LANGUAGE_CHOICES, widget=forms.RadioSelect, required=False,
        help_text=_("通知邮件用这种语言书写。网页的语言用页面顶端的语言切换。"),
    )


class MarkReadForm(forms.Form):
    notification = forms.IntegerField(required=False, min_value=1)
    next = LineField(required=False, max_length=300)
