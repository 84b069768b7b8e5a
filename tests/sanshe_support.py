"""Helpers for the needs, organisations and micro-grant tests (R16–R19).

Worlds are built a month ago (``old_world``) so memberships already hold when a
call is opened in the past; steps go through the public services.
"""

from datetime import date, timedelta

import time_machine
from django.utils import timezone

from grants import services as gs
from needs import services as ns
from organisations import services as os_
from tests.factories import UserFactory, make_resident
from tests.funding_support import D, make_fund, old_world  # noqa: F401 — re-exported for the tests

VALID_CODES = ["91350100M000100Y43", "91110000600037341L"]


def organisation(world, name="睦林长者互助社", *, active=True, kind="self_organisation", admin=None,
                 credit_code=None):
    admin = admin or UserFactory(full_name=f"{name}负责人")
    org = os_.organisation_register(name=name, kind=kind, communities=[world.community], actor=world.staff,
                                    credit_code=credit_code, admins=[admin])
    if active:
        os_.organisation_activate(organisation=org, actor=world.staff)
    org.admin = admin
    return org


def need(world, text="独居老人吃饭不方便", category="elderly", resident=None):
    resident = resident or world.residents[0]
    return ns.need_raise(community=world.community, text=text, category=category, actor=resident)


def project(world, needs=None, title="长寿食坊"):
    needs = needs or [need(world)]
    today = timezone.localdate()
    return ns.service_project_list(
        community=world.community, actor=world.staff, title=title, description="为老人提供午餐", needs=needs,
        people_target=40, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=90),
    )


def claimed_project(world, org=None):
    org = org or organisation(world)
    p = project(world)
    claim = ns.project_claim(project=p, organisation=org, actor=org.admin, plan="每天中午供餐")
    ns.claim_confirm(claim=claim, actor=world.staff)
    p.refresh_from_db()
    return p, org


def residents(world, n, prefix="联名居民", days_ago=20):
    """``n`` more verified residents of the world's group, resident since ``days_ago`` days."""
    from councils.models import Residency

    people = [make_resident(world.group, full_name=f"{prefix}{k + 1}") for k in range(n)]
    since = timezone.now() - timedelta(days=days_ago)
    Residency.objects.filter(user__in=people).update(starts_at=since, verified_at=since)
    return people


def open_call(world, fund, *, pool="30000.00", cap="3000.00", days_ago=10, close_after=5, ends_in=60):
    """A call opened ``days_ago`` days ago whose applications closed ``close_after`` days later."""
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=True):
        return gs.grant_call_open(
            community=world.community, fund=fund, actor=world.staff, title="公益微创投", pool=pool, cap=cap,
            applications_close=timezone.now() + timedelta(days=close_after),
            ends_on=timezone.localdate() + timedelta(days=ends_in),
        )


def apply_in_past(call, *, days_ago=8, **kwargs):
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=True):
        return gs.grant_apply(call=call, **kwargs)


def org_application(world, call, org, amount="3000.00", matched="1500.00", title=None):
    return apply_in_past(call, actor=org.admin, title=title or f"{org.name}项目", plan="暑期托管",
                         amount=amount, matched=matched, organisation=org)


def score_fully(world, application, scores=(80, 85, 90)):
    """Three panel members: staff, a community-council member and the supervisor."""
    reviewers = [world.staff, world.community_members[0], world.supervisor]
    for reviewer, score in zip(reviewers, scores, strict=True):
        gs.grant_score(application=application, reviewer=reviewer, score=score)


def today() -> date:
    return timezone.localdate()
