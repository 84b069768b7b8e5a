"""Error pages read as sentences: 403 with the reason, 404, 500, DomainError, CSRF failure."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.test import Client
from django.urls import include, path

from tests.factories import UserFactory
from yishi.errors import DomainError, PermissionDenied


def _refused(request):
    raise DomainError("公示还没有结束：还剩 3 天。")


def _forbidden(request):
    raise PermissionDenied("只有本小组议事会成员可以发布公示。")


def _django_forbidden(request):
    raise DjangoPermissionDenied("您不是本社区的工作人员。")


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("test/refused/", _refused),
    path("test/forbidden/", _forbidden),
    path("test/django-forbidden/", _django_forbidden),
    path("test/broken/", _broken),
    path("", include("yishi.urls")),
]

pytestmark = pytest.mark.urls(__name__)


def test_domain_error_becomes_a_409_page_with_the_sentence(client, db):
    response = client.get("/test/refused/", headers={"referer": "http://testserver/me/"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "公示还没有结束：还剩 3 天。" in body
    assert 'class="alert alert-error"' in body
    assert 'href="http://testserver/me/"' in body  # back to where the user was
    assert "<html" in body


def test_domain_error_back_link_never_leaves_the_site(client, db):
    response = client.get("/test/refused/", headers={"referer": "https://evil.example/"})
    assert "evil.example" not in response.content.decode()


def test_domain_permission_error_is_403(client, db):
    response = client.get("/test/forbidden/")
    assert response.status_code == 403
    assert "只有本小组议事会成员可以发布公示。" in response.content.decode()


def test_domain_error_for_htmx_is_a_fragment(client, db):
    response = client.get("/test/refused/", headers={"hx-request": "true"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "公示还没有结束" in body and "<html" not in body


def test_403_page_shows_the_reason(client, db):
    response = client.get("/test/django-forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "您不是本社区的工作人员。" in body
    assert "您没有权限做这件事" in body


def test_403_page_for_htmx_is_a_fragment(client, db):
    response = client.get("/test/django-forbidden/", headers={"hx-request": "true"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "您不是本社区的工作人员。" in body and "<html" not in body


def test_404_page_is_friendly(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "找不到这个页面" in body and "<html" in body


def test_500_page_stands_alone(db):
    client = Client(raise_request_exception=False)
    response = client.get("/test/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器出错了" in body
    assert "{%" not in body and "boom" not in body


def test_500_template_renders_without_context(db):
    from django.template import loader

    html = loader.get_template("500.html").render()  # as django.views.defaults.server_error does
    assert "服务器出错了" in html


def test_csrf_failure_reads_as_a_sentence(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body
    assert "CSRF verification failed" not in body
    assert "_auth_user_id" in client.session  # nothing happened


def test_error_pages_keep_the_strict_csp(client, db):
    from tests.test_csp_headers import assert_strict_page

    assert_strict_page(client.get("/test/refused/"))
    assert_strict_page(client.get("/test/django-forbidden/"))


# --------------------------------------------------------------------------- the demo runs with DEBUG on


def test_404_in_debug_is_the_friendly_page_not_the_url_list(client, db, settings):
    settings.DEBUG = True
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "找不到这个页面" in body and "URLconf" not in body and "NOARCHIVE" not in body


def test_500_in_debug_is_the_friendly_page_not_the_traceback(db, settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.get("/test/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器出错了" in body and "Traceback" not in body and "boom" not in body


def test_debug_pages_come_back_when_asked_for(client, db, settings):
    settings.DEBUG = True
    settings.YISHI_DEBUG_PAGES = True
    body = client.get("/no/such/page/").content.decode()
    assert "NOARCHIVE" in body and "找不到这个页面" not in body


def test_favicon_ico_answers_the_site_icon(client):
    """Browsers ask /favicon.ico on pages that are not HTML (JSON, exports): no 404 in the console."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
