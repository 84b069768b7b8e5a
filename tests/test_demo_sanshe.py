"""The 三社联动 part of the demo (needs/demo.py): 玉东社区's story is there and adds up."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from councils.models import User
from funding.enums import EntryKind
from funding.models import LedgerEntry
from grants.enums import AwardStatus, CallStatus
from grants.models import GrantAward, GrantCall
from needs.enums import NeedStatus, ProjectStatus
from needs.models import Need, ServiceProject
from organisations.enums import OrganisationStatus
from organisations.models import Organisation
from portal.demo import DEMO_PASSWORD

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    return demo


def test_demo_yudong_has_twenty_organisations_several_incubating(seeded):
    orgs = Organisation.objects.filter(communities__slug="yudong")
    assert orgs.count() == 20
    assert orgs.filter(status=OrganisationStatus.INCUBATING).count() >= 5
    assert orgs.get(name="睦林长者互助社").status == OrganisationStatus.ACTIVE


def test_demo_projects_and_needs(seeded):
    canteen = ServiceProject.objects.get(title="长寿食坊")
    assert canteen.status == ProjectStatus.COMPLETED and canteen.ratings.count() == 4
    assert canteen.claims.get(status="confirmed").organisation.name == "睦林长者互助社"
    assert ServiceProject.objects.get(title="四点半学堂").status == ProjectStatus.IN_SERVICE
    assert ServiceProject.objects.get(title="居家小修小补").claims.filter(status="pending").count() == 2
    channels = set(Need.objects.filter(community__slug="yudong").values_list("channel", flat=True))
    assert {"door_to_door", "evening_talk"} <= channels
    overdue = Need.objects.filter(community__slug="yudong", status=NeedStatus.OPEN, due_at__lte=timezone.now())
    assert overdue.exists()


def test_demo_micro_grants_thirty_thousand_eleven_awards(seeded):
    call = GrantCall.objects.get(community__slug="yudong")
    awards = GrantAward.objects.filter(call=call)
    assert call.pool == Decimal("30000.00") and call.status == CallStatus.CLOSED
    assert awards.count() == 11 and sum(a.amount for a in awards) == Decimal("30000.00")
    assert all(a.status == AwardStatus.ACCEPTED for a in awards)
    assert sum(a.people_served for a in awards) > 1000
    # Everything of the call's reservation was paid or returned.
    entries = LedgerEntry.objects.filter(fund=call.fund, kind__in=[
        EntryKind.GRANT_RESERVATION, EntryKind.GRANT_PAYMENT, EntryKind.GRANT_RESERVATION_CANCEL])
    assert sum(e.reserved_delta for e in entries) == Decimal("0.00")


def test_demo_accounts_of_the_organisations_log_in(seeded):
    for username in ("mulin_admin", "social_worker"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)


def test_demo_shows_one_conflict_of_interest_to_yudongs_supervisor(seeded, client):
    from organisations.models import ConflictFlag

    flag = ConflictFlag.objects.get()
    assert flag.decider.username == "yudong_staff" and flag.organisation.name == "玉东社工服务中心"
    client.force_login(User.objects.get(username="yudong_supervisor"))
    assert "四点半学堂" in client.get("/supervision/conflicts/").content.decode()
