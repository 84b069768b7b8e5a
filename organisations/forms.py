"""Forms of the staff page for organisations: shape only; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yishi.text import LineField, TextField

from .enums import OrganisationKind


class RegisterForm(forms.Form):
    name = LineField(label=_("名称"), max_length=80)
    kind = forms.ChoiceField(label=_("类别"), choices=OrganisationKind.choices)
    credit_code = LineField(label=_("统一社会信用代码（登记注册的社会组织和企业必填）"), max_length=18, required=False)
    admin = LineField(label=_("负责人的用户名"), max_length=150, required=False)


class IncubateForm(forms.Form):
    mentor = forms.TypedChoiceField(label=_("孵化机构"), coerce=int)

    def __init__(self, *args, mentors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].choices = [(o.pk, o.name) for o in mentors]
