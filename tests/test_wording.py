"""Wording a resident meets (issue 10, finding 12): one way to say the time left, round default
deadlines, dates that never break inside themselves."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from councils.forms import default_closes_at
from portal.templatetags.yishi import time_left
from proposals.forms import BallotOpenForm

ROOT = Path(settings.BASE_DIR)


def test_time_left_is_said_one_way_on_every_page():
    # Django's timeuntil says "4 日，16 小时"; our time_left says "4 天 16 小时".
    uses = [str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html") if "timeuntil" in p.read_text()]
    assert uses == []
    now = timezone.now()
    assert time_left(now + timedelta(days=4, hours=16, minutes=5), now=now) == "4 天 16 小时"


def test_default_ballot_deadlines_are_at_eight_in_the_evening():
    for closes_at in (default_closes_at(), BallotOpenForm().initial["closes_at"]):
        local = timezone.localtime(closes_at)
        assert (local.hour, local.minute, local.second) == (20, 0, 0)
        assert closes_at > timezone.now() + timedelta(days=2)


def test_dates_do_not_break_inside_themselves():
    css = (ROOT / "static" / "css" / "yishi.css").read_text()
    assert "time { white-space: nowrap; }" in css
