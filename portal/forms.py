from typing import ClassVar

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from yishi.text import LineField

from . import throttle


class LoginForm(AuthenticationForm):
    """Django's login form with failed-login throttling (per username and per address)."""

    error_messages: ClassVar[dict] = {
        "invalid_login": _("用户名或密码不正确。请注意区分大小写。"),
        "inactive": _("这个账户已停用，请联系社区工作人员。"),
        "throttled": _("登录失败次数过多，请 %(minutes)s 分钟后再试；忘记密码请联系社区工作人员重置。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        ip = throttle.client_ip(self.request)
        if throttle.is_throttled(username, ip):
            # Refused before the password is checked: a guesser learns nothing.
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled",
                params={"minutes": throttle.window_minutes()},
            )
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            throttle.record_failure(username, ip)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        throttle.clear_username(username)
        return self.cleaned_data

    def get_invalid_login_error(self):
        return forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class LargeTextForm(forms.Form):
    large_text = forms.TypedChoiceField(
        choices=[("1", "on"), ("0", "off")], coerce=lambda v: v == "1"
    )
    next = LineField(required=False, max_length=2000)
