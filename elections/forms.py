"""Forms for election pages. Forms check shape; the services check the rules."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from councils.enums import CouncilKind
from councils.forms import ResidentField, local_datetime_field
from councils.models import Council, SupervisoryBoard, User
from yishi.text import LineField, TextField


def _at(days: int, hour: int):
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


class ElectionOpenForm(forms.Form):
    target = forms.ChoiceField(label=_("推选哪个机构"))
    seats = forms.IntegerField(label=_("应选人数"), min_value=1, max_value=99, initial=5,
                               help_text=_("居民小组议事会至少 3 人。"))
    nominations_close = local_datetime_field(_("提名截止"))
    opens_at = local_datetime_field(_("投票开始"))
    closes_at = local_datetime_field(_("投票截止"))
    uncontested = forms.BooleanField(
        label=_("等额选举（候选人人数可以等于应选人数）"), required=False,
        help_text=_("不勾选时为差额选举：候选人必须多于应选人数。"),
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        councils = Council.objects.filter(community=community, kind=CouncilKind.GROUP).order_by("name")
        boards = SupervisoryBoard.objects.filter(community=community)
        self.targets = {f"council-{c.pk}": c for c in councils} | {f"board-{b.pk}": b for b in boards}
        self.fields["target"].choices = [(k, t.name) for k, t in self.targets.items()]
        if not self.is_bound:
            self.initial.update(nominations_close=_at(7, 18), opens_at=_at(8, 8), closes_at=_at(10, 18))

    def clean_target(self):
        return self.targets[self.cleaned_data["target"]]


class ElectorateForm(forms.Form):
    """A form whose ``ResidentField``s look names up among the election's residents only."""

    def __init__(self, *args, election=None, **kwargs):
        super().__init__(*args, **kwargs)
        if election is not None:
            from . import services

            residents = User.objects.filter(residencies__in=services.residents_in_scope(election, timezone.now()))
            for field in self.fields.values():
                if isinstance(field, ResidentField):
                    field.within(election.group or election.community, residents)


class NominateForm(ElectorateForm):
    candidate = ResidentField(label=_("候选人账号（登录名或手机号）"))


class SelfNominationForm(ElectorateForm):
    """自荐: a resident stands with at least 3 other residents of the group supporting them."""

    supporter1 = ResidentField(label=_("联名居民 1（登录名或手机号）"))
    supporter2 = ResidentField(label=_("联名居民 2（登录名或手机号）"))
    supporter3 = ResidentField(label=_("联名居民 3（登录名或手机号）"))

    def supporters(self) -> list:
        return [self.cleaned_data[f"supporter{n}"] for n in (1, 2, 3)]


class StatementForm(forms.Form):
    statement = TextField(label=_("个人陈述"), max_length=1000, required=False, widget=forms.Textarea(
        attrs={"rows": 5}), help_text=_("提名截止后向全体选民公布，投票开始后不能再改。"))


class BallotForm(forms.Form):
    """The ballot: tick at most as many candidates as seats; ticking none is a blank ballot."""

    choices = forms.MultipleChoiceField(label=_("候选人"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(c.user_id): c for c in candidates}
        self.fields["choices"].choices = [(k, c.user.display_name) for k, c in self.candidates.items()]

    def chosen(self) -> list:
        return [self.candidates[k].user for k in self.cleaned_data["choices"]]


class PaperBallotForm(BallotForm):
    """A marked paper entered by staff for a voter named by login name or phone, looked up on the
    round's frozen roll (before it is frozen, among the election's residents) and nowhere else."""

    voter = ResidentField(label=_("选民账号（登录名或手机号）"))
    box = LineField(label=_("票箱号"), max_length=20)

    def __init__(self, *args, election=None, round_=None, **kwargs):
        super().__init__(*args, **kwargs)
        if election is None:
            return
        from . import services
        from .models import ElectionVoter

        roll = ElectionVoter.objects.filter(round=round_).values("user_id") if round_ is not None else None
        if roll is not None and roll.exists():
            residents = User.objects.filter(pk__in=roll)
        else:
            residents = User.objects.filter(residencies__in=services.residents_in_scope(election, timezone.now()))
        self.fields["voter"].within(election.group or election.community, residents)


class RunoffForm(forms.Form):
    closes_at = local_datetime_field(_("第二轮投票截止"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["closes_at"] = _at(3, 18)
