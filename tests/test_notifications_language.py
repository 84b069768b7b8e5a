"""Notifications are put into words when they are read (issue 10): the inbox in the page's language,
mail in the recipient's language (``User.language``, set on the preferences page). Rows store a
message id and its parameters; rows written before that are shown as they were stored."""

import ast
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from notifications import messages
from notifications import services as ns
from notifications.enums import NotificationKind as K
from notifications.models import Notification
from proposals import services as ps
from tests.factories import build_world, to_group_review

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
ROOT = Path(settings.BASE_DIR)
TITLE = "北苑后门维修"  # the factories' proposal title: user content, Chinese in every language


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def opened(db, committed):
    """A group ballot opened: every group-council member has a VOTE_NEEDED notification (and a mail)."""
    world = build_world(community_seats=3, residents=1)
    zh_reader, en_reader = world.group_members[1], world.group_members[2]
    en_reader.language = "en"
    en_reader.save(update_fields=["language"])
    p = to_group_review(world)
    mail.outbox.clear()
    with committed():
        ps.group_ballot_open(proposal=p, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=2))
    return world, zh_reader, en_reader


def _inbox(client, user, language):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("notifications:inbox")).content.decode()


def _visible(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_one_notification_reads_chinese_to_a_chinese_reader_and_english_to_an_english_one(client, opened):
    _world, zh_reader, en_reader = opened
    zh = _inbox(client, zh_reader, "zh-hans")
    assert f"请对“{TITLE}”表决" in zh and "截止时间" in zh
    en = _inbox(client, en_reader, "en")
    assert f"Please vote on “{TITLE}”" in en and "Group ballot" in en
    assert "请对" not in en and "表决人" not in en
    # The same row follows the page's language, not the language it was written in.
    note = Notification.objects.get(user=zh_reader, kind=K.VOTE_NEEDED)
    assert note.title == f"请对“{TITLE}”表决"  # the stored text: the default language
    assert f"Please vote on “{TITLE}”" in _inbox(client, zh_reader, "en")
    with translation.override("en"):
        assert note.shown_title == f"Please vote on “{TITLE}”"
        body = note.shown_body
    # Nothing Chinese in the English body but the names people gave (council, proposal).
    for name in (TITLE, _world.group_council.name):
        body = body.replace(name, "")
    assert CJK.findall(body) == []


def test_mail_is_written_in_the_recipients_language(opened):
    world, zh_reader, en_reader = opened
    by_address = {m.to[0]: m for m in mail.outbox}
    en_mail, zh_mail = by_address[en_reader.email], by_address[zh_reader.email]
    assert en_mail.subject == f"[Yishi] Please vote on “{TITLE}”"
    assert "See details:" in en_mail.body and "查看详情" not in en_mail.body
    assert zh_mail.subject == f"【议事】请对“{TITLE}”表决"
    assert "查看详情：" in zh_mail.body


def test_the_daily_digest_is_in_the_recipients_language(db, committed):
    world = build_world(community_seats=3, residents=1)
    reader = world.group_members[1]
    reader.language = "en"
    reader.save(update_fields=["language"])
    ns.preferences_update(user=reader, email_kinds=K.values, digest=True)
    p = to_group_review(world)
    with committed():
        ps.group_ballot_open(proposal=p, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=2))
    mail.outbox.clear()
    assert ns.digests_send() >= 1
    digest = next(m for m in mail.outbox if m.to == [reader.email])
    assert f"Please vote on “{TITLE}”" in digest.body and "请对" not in digest.body


def test_rows_written_before_messages_are_shown_as_stored(client, db):
    world = build_world(community_seats=3, residents=1)
    reader = world.residents[0]
    Notification.objects.create(user=reader, kind=K.NOTICE_PUBLISHED, key="old:1", title="旧通知标题", body="旧通知内容")
    assert Notification.objects.get(key="old:1").message == {}  # the column's default for old rows
    html = _inbox(client, reader, "en")
    assert "旧通知标题" in html and "旧通知内容" in html


def test_scheduled_fund_calendar_warning_reads_in_each_language(client, db):
    from funding.tasks import FUND_CALENDAR

    world = build_world(community_seats=3, residents=1)
    now = datetime(2026, 3, 25, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert ns.fund_calendar_warn(calendar=FUND_CALENDAR, lead_days=14, now=now) >= 0
    note = Notification.objects.get(user=world.street_staff, kind=K.FUND_CALENDAR)
    with translation.override("en"):
        assert "annual public-service fund allocation" in note.shown_title
    with translation.override("zh-hans"):
        assert "年度公服资金下达" in note.shown_title
    assert "annual public-service fund allocation" in _visible(_inbox(client, world.street_staff, "en"))


def test_the_preferences_page_sets_the_mail_language(client, db):
    world = build_world(community_seats=3, residents=1)
    user = world.residents[0]
    assert user.language == "zh-hans"  # the default of every account
    client.force_login(user)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="language" value="zh-hans"' in page and "English" in page
    response = client.post(reverse("notifications:preferences"), {"email_kinds": K.values, "language": "en"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    response = client.post(reverse("notifications:preferences"), {"email_kinds": K.values, "language": "klingon"})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "en"


def _notify_msgids():
    """Every sentence the notify modules can store (the first argument of each ``_(...)`` call)."""
    found = []
    stored = {"_"}
    for name, calls in (("notifications/services.py", stored), ("needs/notify.py", stored),
                        ("grants/notify.py", stored), ("elections/notify.py", stored),
                        ("funding/tender_notify.py", stored), ("needs/activities.py", {"gettext_noop"})):
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in calls
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.append((name, node.args[0].value))
    return found


def test_every_notification_sentence_has_its_english():
    found = _notify_msgids()
    assert len(found) > 40
    with translation.override("en"):
        missing = [(name, msgid) for name, msgid in found if gettext(msgid) == msgid or CJK.search(gettext(msgid))]
    assert missing == []


def test_messages_render_parameters_in_the_readers_language():
    from proposals.enums import BallotKind

    at = datetime(2026, 3, 2, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    msg = messages.Msg("表决将于 %(at)s 截止：%(title)s") % {"at": messages.When(at), "title": TITLE}
    joined = msg + messages.Msg("%(kind)s") % {"kind": messages.Choice(BallotKind, "group")}
    data = messages.to_json(joined)
    assert messages.to_json(messages.Msg("x")) == {"m": "x"}
    with translation.override("zh-hans"):
        zh = messages.render(data)
    with translation.override("en"):
        en = messages.render(data)
    assert zh.startswith("表决将于 2026") and zh.endswith("小组表决")
    assert en.startswith("Ballot closes at ") and en.endswith("Group ballot") and "年" not in en
    # Unknown shapes and a msgid whose translation lost a parameter never raise.
    assert messages.render({"m": "%(gone)s 条", "p": {"other": 1}}) == "%(gone)s 条"
    assert messages.render({"choice": "no.such.Enum", "v": "x"}) == "x"


def test_tender_and_activity_notices_are_stored_as_messages():
    """The tender notices (R24) and the activity reminder (R25) are kept as message ids, not as sentences."""
    for name in ("funding/tender_notify.py", "needs/activities.py"):
        assert any(msgid for file, msgid in _notify_msgids() if file == name), name
    tree = ast.parse((ROOT / "funding/tender_notify.py").read_text(encoding="utf-8"))
    imported = {(node.module, alias.name, alias.asname) for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert ("notifications.messages", "Msg", "_") in imported
