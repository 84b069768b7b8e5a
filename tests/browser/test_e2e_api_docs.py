"""The open data API's documentation page (R22) in Chromium: its assets come from our static files and
Swagger UI renders under the strict CSP without a violation."""

import pytest

pytestmark = pytest.mark.browser


def test_r22_api_docs_render_under_the_csp(people, watch, live_server):
    context = people()
    page = context.new_page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15000)  # Swagger UI drew the operations from openapi.json
    assert page.locator(".opblock").count() >= 10
    assert all(url.startswith(live_server.url) for url in requested), [u for u in requested
                                                                       if not u.startswith(live_server.url)]
    page.goto(f"{live_server.url}/api/")
    assert "curl" in page.content()
    watch.assert_clean()
