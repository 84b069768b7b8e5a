"""Forms for the community-staff pages. Forms check shape; services check the rules."""

import re
from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from yishi.text import LineField

from .enums import BoardTitle, SeatRole
from .models import Council, ResidentGroup, Residency, SupervisoryBoard, User

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``; the value is read in Asia/Shanghai (the active time zone)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_INPUT)


def local_datetime_field(label, *, required=True, help_text=""):
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text, widget=LocalDateTimeInput(),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )


class AccountField(LineField):
    """An existing account named by its login name or phone number."""

    default_error_messages = {
        "missing": _("找不到这个账号。请核对登录名或手机号；没有账号的居民请先到社区开户。"),
        "ambiguous": _("有多个账号使用这个手机号，请改填登录名。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("label", _("账号（登录名或手机号）"))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        users = list(User.objects.filter(Q(username=value) | Q(phone=value), is_active=True)[:3])
        exact = [u for u in users if u.username == value]
        if exact:
            return exact[0]
        if not users:
            raise forms.ValidationError(self.error_messages["missing"], code="missing")
        if len(users) > 1:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        return users[0]


NAME_SEPARATORS = re.compile(r"[\s,，、;；]+")


def in_scope(residents, value: str) -> list:
    """At most two accounts among ``residents`` (a User queryset) whose login name or phone is ``value``;
    the login name first."""
    users = list(residents.filter(Q(username=value) | Q(phone=value), is_active=True).distinct()[:3])
    exact = [u for u in users if u.username == value]
    return exact[:1] or users[:2]


class ResidentField(LineField):
    """A resident picked by login name or phone, looked up only among ``residents`` (set by the form,
    e.g. a community's verified residents). An account that does not exist and one outside the scope
    get the same answer, so the field tells nobody who lives elsewhere."""

    default_error_messages = {
        "missing": _("在%(scope)s的已核实居民中找不到“%(value)s”。请核对登录名或手机号。"),
        "ambiguous": _("有多位居民使用手机号“%(value)s”，请改填登录名。"),
    }

    def __init__(self, *, residents=None, scope="", **kwargs):
        kwargs.setdefault("max_length", 150)
        super().__init__(**kwargs)
        self.residents, self.scope = residents, scope

    def within(self, community, residents=None) -> None:
        """Look names up among ``residents`` (default: the community's current verified residents)."""
        if residents is None and community is not None:
            residents = User.objects.filter(residencies__in=Residency.objects.current().filter(
                group__community=community, verified_at__isnull=False))
        self.residents, self.scope = residents, community.name if community is not None else ""

    def find(self, value: str):
        users = in_scope(self.residents if self.residents is not None else User.objects.none(), value)
        if not users:
            raise forms.ValidationError(self.error_messages["missing"], code="missing",
                                        params={"scope": self.scope, "value": value})
        if len(users) > 1:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"value": value})
        return users[0]

    def clean(self, value):
        value = super().clean(value)
        return self.find(value) if value else None


class ResidentsField(ResidentField):
    """Several residents, login names or phones separated by spaces or commas; at most ``most`` of them,
    each looked up as ``ResidentField`` does. Every name not found is said at once."""

    def __init__(self, *, most=10, **kwargs):
        kwargs.setdefault("max_length", 400)
        super().__init__(**kwargs)
        self.most = most

    def clean(self, value):
        value = LineField.clean(self, value)
        names = list(dict.fromkeys(n for n in NAME_SEPARATORS.split(value or "") if n))
        if len(names) > self.most:
            raise forms.ValidationError(_("最多填写 %(n)d 位居民。") % {"n": self.most}, code="too_many")
        people, missing = [], []
        for name in names:
            try:
                people.append(self.find(name))
            except forms.ValidationError as exc:
                if exc.code != "missing":
                    raise
                missing.append(name)
        if missing:
            raise forms.ValidationError(self.error_messages["missing"], code="missing",
                                        params={"scope": self.scope, "value": "”“".join(missing)})
        return list(dict.fromkeys(people))


class ResidentRegisterForm(forms.Form):
    """Staff register (and so verify) a resident of one of their groups (R1)."""

    account = AccountField()
    group = forms.ModelChoiceField(label=_("居民小组"), queryset=ResidentGroup.objects.none())

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        # A group's label names its community: joined, or one query per group in the choice list.
        self.fields["group"].queryset = (
            ResidentGroup.objects.filter(community=community).select_related("community").order_by("name")
        )


class SeatAssignForm(forms.Form):
    """Seat a member on one of the community's councils for a term (R2)."""

    council = forms.ModelChoiceField(label=_("议事会"), queryset=Council.objects.none())
    account = AccountField()
    role = forms.ChoiceField(label=_("职务"), choices=SeatRole.choices, initial=SeatRole.MEMBER)
    starts_at = local_datetime_field(_("任期开始"), required=False, help_text=_("不填即从现在开始。"))
    ends_at = local_datetime_field(_("任期结束"), required=False, help_text=_("不填表示任期未定。"))

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = Council.objects.filter(community=community).order_by("kind", "name")

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if ends and ends <= (starts or timezone.now()):
            self.add_error("ends_at", _("任期结束时间必须晚于开始时间。"))
        return data


class BoardSeatAssignForm(forms.Form):
    """Seat a supervisor on the community's board (R2: not a council member or staff here)."""

    board = forms.ModelChoiceField(label=_("监事会"), queryset=SupervisoryBoard.objects.none())
    account = AccountField()
    title = forms.ChoiceField(label=_("身份"), choices=BoardTitle.choices, initial=BoardTitle.MEMBER)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = SupervisoryBoard.objects.filter(community=community)


def default_closes_at(days: int = 7):
    """A round deadline people can remember: 20:00 Beijing time, ``days`` days from today."""
    return (timezone.localtime() + timedelta(days=days)).replace(hour=20, minute=0, second=0, microsecond=0)
