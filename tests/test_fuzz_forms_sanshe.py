"""Issue 9's fuzz test, for the newer apps: needs, organisations, micro-grants, elections and donations.

Each form URL of those apps is posted, as the role that may use it, the same nasty payloads as
``tests/test_fuzz_forms.py``. No answer may be a 500, and a refused POST (anything but a redirect)
must change nothing.
"""

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elections.models import Candidate
from funding import services as fs
from funding.enums import FundKind
from funding.selectors import current_year
from grants import services as gs
from needs import services as ns
from tests import sanshe_support as ss
from tests.election_support import open_election
from tests.test_fuzz_forms import NASTY, form_fields

pytestmark = pytest.mark.django_db

FORM_MODULES = ["needs.forms", "grants.forms", "organisations.forms", "elections.forms", "funding.forms"]
WATCHED = [
    "needs.Need", "needs.NeedSupport", "needs.ServiceProject", "needs.Claim", "needs.ServiceRecord",
    "needs.ServiceRating", "needs.NeedsEvent", "organisations.Organisation", "organisations.OrganisationMember",
    "organisations.Incubation", "organisations.OrganisationEvent", "grants.GrantCall", "grants.GrantApplication",
    "grants.GrantApplicant", "grants.GrantScore", "grants.GrantAward", "grants.GrantEvent", "elections.Election",
    "elections.Candidate", "elections.ElectionRound", "elections.ElectionEvent", "elections.BallotPaper",
    "elections.ElectionVoter", "funding.Donation", "funding.LedgerEntry", "notifications.Notification",
]


FIELDS = sorted(form_fields(FORM_MODULES) | {"community", "confirm", "choices", "candidates", "next"})


def _counts():
    return {label: apps.get_model(label).objects.count() for label in WATCHED}


def newer_targets():
    """One world with a need, a listed project, a claim, an open call and an awarded application,
    an election in nomination and a foundation; (url, user) for each form of the newer apps."""
    w = ss.old_world(community_seats=3)
    fund = ss.make_fund(w, "100000.00")
    foundation = fs.fund_create(community=w.community, year=current_year(), actor=w.street_staff,
                                kind=FundKind.FOUNDATION)
    org = ss.organisation(w)
    mentor = ss.organisation(w, name="社工机构")
    incubating = ss.organisation(w, name="新组织", active=False)
    a_need = ss.need(w)
    listed = ss.project(w)
    claimed = ss.project(w, title="四点半学堂")
    a_claim = ns.project_claim(project=claimed, organisation=org, actor=org.admin, plan="放学后看护")
    closed_call = ss.open_call(w, fund)
    application = ss.org_application(w, closed_call, org)
    ss.score_fully(w, application)
    award = gs.grant_award(application=application, actor=w.staff, amount="2000.00")
    second = ss.org_application(w, closed_call, mentor, title="第二个项目")
    call = ss.open_call(w, fund, pool="5000.00", cap="1000.00", days_ago=1, close_after=10)
    election, people = open_election(w)
    candidate = Candidate.objects.filter(election=election).first()
    res, staff, admin = w.residents[0], w.staff, org.admin
    targets = [
        (reverse("needs:raise"), res),
        (reverse("needs:support", args=[a_need.pk]), w.residents[1]),
        (reverse("needs:rate", args=[listed.pk]), res),
        (reverse("needs:staff_record") + f"?community={w.community.slug}", staff),
        (reverse("needs:staff_project") + f"?community={w.community.slug}", staff),
        (reverse("needs:answer", args=[a_need.pk]), staff),
        (reverse("needs:claim", args=[listed.pk]), admin),
        (reverse("needs:confirm", args=[a_claim.pk]), staff),
        (reverse("needs:service", args=[claimed.pk]), admin),
        (reverse("needs:complete", args=[claimed.pk]), admin),
        (reverse("organisations:register") + f"?community={w.community.slug}", staff),
        (reverse("organisations:activate", args=[incubating.pk]), staff),
        (reverse("organisations:incubate", args=[incubating.pk]), staff),
        (reverse("grants:open"), staff),
        (reverse("grants:apply", args=[call.pk]), admin),
        (reverse("grants:score", args=[second.pk]), w.supervisor),
        (reverse("grants:award", args=[second.pk]), staff),
        (reverse("grants:report", args=[award.pk]), admin),
        (reverse("grants:accept", args=[award.pk]), staff),
        (reverse("grants:close", args=[call.pk]), staff),
        (reverse("elections:open"), staff),
        (reverse("elections:stand", args=[election.pk]), w.residents[-1]),
        (reverse("elections:statement", args=[candidate.pk]), candidate.user),
        (reverse("elections:nominate", args=[election.pk]), staff),
        (reverse("elections:ballot_cast", args=[election.pk]), people[0]),
        (reverse("elections:paper_ballot", args=[election.pk]), staff),
        (reverse("elections:close", args=[election.pk]), staff),
        (reverse("elections:runoff_open", args=[election.pk]), staff),
        (reverse("funding:donation_add", args=[foundation.pk]), staff),
        (reverse("funding:foundation_settings", args=[foundation.pk]), staff),
    ]
    return targets


@pytest.fixture
def scene(db):
    return newer_targets()


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.lists(NASTY, min_size=len(FIELDS), max_size=len(FIELDS)))
def test_every_newer_form_survives_nasty_input(client, scene, values, monkeypatch):
    from portal import ratelimit

    monkeypatch.setattr(ratelimit, "LIMITS", {})  # the fuzzer would otherwise meet the flood guard
    for url, user in scene:
        payload = dict(zip(FIELDS, values, strict=True))
        client.force_login(user)
        before = _counts()
        for body in (payload, {**payload, "confirm": "on"}):
            response = client.post(url, body)
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code != 302:
                assert _counts() == before, url  # refused: nothing half-done
            before = _counts()
