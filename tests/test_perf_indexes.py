"""The indexes added for speed (issue 8) serve the queries they are named for: EXPLAIN on PostgreSQL.

The tables here are tiny, so the planner would rightly prefer a sequential scan (and a sort);
with ``enable_seqscan``, ``enable_bitmapscan`` and ``enable_sort`` off it still picks an index
when one serves the query's filter and order, and only then.
"""

import pytest
from django.db import connection

from portal import selectors
from proposals.models import Proposal
from proposals.selectors import public_q

pytestmark = [pytest.mark.postgres]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
    return queryset.explain()


def test_home_latest_decisions_use_the_partial_event_index(postgres, db):
    qs = (
        selectors.ProposalEvent.objects.filter(kind__in=selectors.DECISIONS)
        .order_by("-created_at")[:8]
    )
    assert "event_decisions_idx" in _plan(qs)


def test_public_list_walks_the_recent_proposal_index(postgres, db):
    qs = Proposal.objects.filter(public_q()).order_by("-updated_at", "-pk")[:20]
    assert "proposal_recent_idx" in _plan(qs)
