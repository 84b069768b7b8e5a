from typing import ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from yishi.text import LineField


class LoginForm(AuthenticationForm):
    """Django's login form in the portal's words. Failed logins are counted and refused by
    django-axes (portal.login_guard), inside authenticate(), before the password is checked."""

    error_messages: ClassVar[dict] = {
        "invalid_login": _("用户名或密码不正确。请注意区分大小写。"),
        "inactive": _("这个账户已停用，请联系社区工作人员。"),
    }

    def get_invalid_login_error(self):
        return forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class LargeTextForm(forms.Form):
    large_text = forms.TypedChoiceField(
        choices=[("1", "on"), ("0", "off")], coerce=lambda v: v == "1"
    )
    next = LineField(required=False, max_length=2000)
