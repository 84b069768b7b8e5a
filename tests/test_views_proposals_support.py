"""Shared fixtures and helpers of the proposal page tests (no tests here).

Import with ``from tests.test_views_proposals_support import *`` so the
fixtures below are visible to the module.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from proposals import services as ps
from tests.factories import UserFactory, build_world

HTMX = {"HTTP_HX_REQUEST": "true"}
SCRIPT = '<script>alert("x")</script>'
HUGE_TEXT = "长" * 10_000


@pytest.fixture
def other(db):
    """A second subdistrict and community: its people are outsiders to ``world``."""
    return build_world(prefix="外", group_seats=3, community_seats=3, residents=1)


@pytest.fixture
def stranger(db):
    """Logged in, but holding no residency, seat, post or board seat anywhere."""
    return UserFactory(full_name="路人")


def url(name, *args):
    return reverse(f"proposals:{name}", args=args or None)


def as_user(client, user):
    client.force_login(user)
    return client


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def queries_of(client, target, method="get", **kwargs) -> int:
    """Number of queries one request takes (after the caller warmed caches with a first request)."""
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(target, **kwargs)
    assert response.status_code == 200, response.content.decode()[:500]
    return len(ctx)


def text_of(response) -> str:
    return response.content.decode()


def objection(world, proposal, resident=None, text="后门改在哪里？"):
    notice = ps.current_notice(proposal)
    return ps.objection_file(notice=notice, resident=resident or world.residents[1], text=text)


def open_group_ballot(world, proposal):
    return ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                                closes_at=timezone.now() + timedelta(days=2))
