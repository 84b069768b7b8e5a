"""The inbox pages: permission matrix, htmx fragments, query counts, preferences."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from notifications import selectors
from notifications import services as ns
from notifications.enums import NotificationKind as K
from notifications.models import KindPreference, MailPreference, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def note(user, n=1, kind=K.MEETING_REMINDER):
    ns.notifications_create(users=[user], kind=kind, key=f"test:{n}", title=f"第{n}条通知", body=f"内容{n}")
    return Notification.objects.get(user=user, key=f"test:{n}")


@pytest.fixture
def reader(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_inbox_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_inbox_shows_only_the_users_own_notifications(client, reader):
    note(reader, 1)
    note(UserFactory(), 2)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "第1条通知" in body and "第2条通知" not in body
    assert "Content-Security-Policy" in response.headers


def test_inbox_empty_says_so(client, reader):
    assert "还没有通知" in client.get(reverse("notifications:inbox")).content.decode()


def test_inbox_query_count_is_the_same_for_1_and_3_items(client, reader, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    note(reader, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("notifications:inbox")).status_code == 200
    note(reader, 2)
    note(reader, 3)
    # The base page's own queries (session, user, navigation) plus a count and one list query.
    with django_assert_num_queries(len(one)):
        response = client.get(reverse("notifications:inbox"))
    assert response.content.decode().count('class="card') == 3


def test_unread_count_fragment_counts_unread_only(client, reader):
    first = note(reader, 1)
    note(reader, 2)
    response = client.get(reverse("notifications:unread_count"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert ">2</span>" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    ns.notifications_mark_read(user=reader, notification=first)
    assert ">1</span>" in client.get(reverse("notifications:unread_count")).content.decode()


def test_unread_count_for_anonymous_is_an_empty_fragment_not_a_login_page(client):
    response = client.get(reverse("notifications:unread_count"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_mark_read_needs_post(client, reader):
    assert client.get(reverse("notifications:mark_read")).status_code == 405


def test_mark_read_anonymous_is_sent_to_log_in(client):
    other = note(UserFactory(), 1)
    response = client.post(reverse("notifications:mark_read"), {"notification": other.pk})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_read_of_someone_elses_notification_is_404_and_changes_nothing(client, reader):
    other = note(UserFactory(), 1)
    response = client.post(reverse("notifications:mark_read"), {"notification": other.pk})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_read_with_htmx_swaps_the_item_and_refreshes_the_badge(client, reader):
    mine = note(reader, 1)
    response = client.post(reverse("notifications:mark_read"), {"notification": mine.pk},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    body = response.content.decode()
    assert f'id="notification-{mine.pk}"' in body and "<html" not in body and "标为已读" not in body
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_mark_all_read_redirects_to_the_inbox(client, reader):
    note(reader, 1)
    note(reader, 2)
    response = client.post(reverse("notifications:mark_read"), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("notifications:inbox")
    assert selectors.unread_count(reader) == 0


def test_mark_read_rejects_a_malformed_id(client, reader):
    assert client.post(reverse("notifications:mark_read"), {"notification": "1; drop"}).status_code == 404


def test_preferences_anonymous_is_sent_to_log_in(client):
    assert client.get(reverse("notifications:preferences")).status_code == 302


def test_preferences_show_every_kind_on_by_default(client, reader):
    body = client.get(reverse("notifications:preferences")).content.decode()
    assert body.count('name="email_kinds"') == len(K.values)
    assert body.count("checked") == len(K.values) + 1  # every kind, and the mail language (Chinese)
    assert body.count('type="radio" name="language"') == 2


def test_preferences_save_kinds_off_and_digest(client, reader):
    keep = [K.VOTE_NEEDED, K.BALLOT_REMINDER]
    response = client.post(reverse("notifications:preferences"), {"email_kinds": keep, "digest": "on"})
    assert response.status_code == 302
    assert selectors.email_kinds(reader) == set(keep)
    assert MailPreference.objects.get(user=reader).digest is True
    assert KindPreference.objects.filter(user=reader, email=False).count() == len(K.values) - 2


def test_preferences_refuse_an_unknown_kind_and_change_nothing(client, reader):
    response = client.post(reverse("notifications:preferences"), {"email_kinds": ["<script>x</script>"]})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert "<script>x</script>" not in response.content.decode()
    assert not KindPreference.objects.exists()


def test_every_page_header_polls_the_unread_badge_with_htmx(client, reader):
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert 'hx-get="/inbox/count/"' in html and 'hx-trigger="load, every 60s' in html


def test_notification_templates_have_no_inline_script_or_style():
    for path in (Path(settings.BASE_DIR) / "templates" / "notifications").rglob("*.html"):
        text = path.read_text()
        assert "style=" not in text and "<script" not in text and "hx-on" not in text, path


def test_inbox_pages_keep_the_unread_filter(client, reader):
    from notifications.views import PAGE_SIZE

    for n in range(PAGE_SIZE + 1):
        note(reader, n)
    body = client.get(reverse("notifications:inbox"), {"unread": "1"}).content.decode()
    assert 'href="?unread=1&amp;page=2"' in body and "第 1 / 2 页" in body
    body = client.get(reverse("notifications:inbox"), {"unread": "1", "page": "2"}).content.decode()
    assert 'href="?unread=1&amp;page=1"' in body and "第 2 / 2 页" in body
