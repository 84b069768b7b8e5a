"""R17 under real concurrency: ten organisations' claims confirmed at once give exactly one confirmation."""

import pytest

from needs import services as ns
from needs.enums import ClaimStatus, ProjectStatus
from needs.models import Claim
from tests.factories import build_world
from tests.sanshe_support import organisation, project
from tests.test_r15_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_r17_ten_concurrent_confirms_give_exactly_one(postgres):
    world = build_world(community_seats=3)
    p = project(world)
    claims = []
    for n in range(10):
        org = organisation(world, f"组织{n + 1}")
        claims.append(ns.project_claim(project=p, organisation=org, actor=org.admin, plan=f"计划{n + 1}"))

    def confirm(n):
        ns.claim_confirm(claim=Claim.objects.get(pk=claims[n].pk), actor=world.staff)
        return "ok"

    results = run_at_once(10, confirm)
    assert results.count("ok") == 1, results
    assert results.count("already_confirmed") == 9, results
    assert Claim.objects.filter(project=p, status=ClaimStatus.CONFIRMED).count() == 1
    assert Claim.objects.filter(project=p, status=ClaimStatus.DECLINED).count() == 9
    p.refresh_from_db()
    assert p.status == ProjectStatus.CLAIMED
