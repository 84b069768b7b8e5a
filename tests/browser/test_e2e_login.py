"""Logging in on a shared phone, and the page a guesser gets (issue 9, findings 4 and 10)."""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory

from .helpers import log_in


@pytest.mark.browser
def test_signing_in_on_a_shared_phone_logs_the_previous_resident_out(people, watch):
    first = UserFactory(full_name="王秀兰")
    second = UserFactory(full_name="李建国")
    page = people().new_page()
    log_in(page, first.username, PASSWORD)
    expect(page.get_by_text("王秀兰").first).to_be_visible()

    page.goto("/accounts/login/")  # the form, not a redirect to the first resident's pages
    expect(page.get_by_text("在这里登录另一个账户，会先让当前账户退出")).to_be_visible()
    log_in(page, second.username, PASSWORD)
    expect(page.get_by_text("李建国").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("王秀兰")
    watch.assert_clean()


@pytest.mark.browser
@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_a_guesser_gets_a_page_that_says_when_to_try_again(people, watch):
    user = UserFactory()
    page = people().new_page()
    watch.allowed_statuses = {429}
    for n in range(3):
        page.goto("/accounts/login/")
        form = page.locator("main form")
        form.get_by_label("用户名").fill(user.username)
        form.get_by_label("密码").fill(f"guess-{n}")
        form.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="暂时不能登录")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("分钟后）再试")
    watch.assert_clean()
