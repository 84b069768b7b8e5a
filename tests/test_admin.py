"""The admin: every councils and proposals model is there; proposal records are read-only."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from councils.models import BoardSeat, Seat
from proposals.models import ProposalEvent
from tests.factories import UserFactory, to_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def models_of(app_label):
    from django.apps import apps

    return list(apps.get_app_config(app_label).get_models())


@pytest.mark.parametrize("app_label", ["councils", "proposals"])
def test_every_model_is_registered(app_label):
    missing = [m.__name__ for m in models_of(app_label) if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("app_label", ["councils", "proposals"])
def test_every_changelist_and_change_page_renders(admin_client, world, app_label):
    to_notice(world)
    for model in models_of(app_label):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = admin_client.get(url)
        assert response.status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert admin_client.get(url).status_code == 200, url


def test_changelist_search_and_filters_work(admin_client, world):
    to_notice(world)
    response = admin_client.get(reverse("admin:proposals_proposal_changelist"), {"q": "后门", "status": "notice"})
    assert response.status_code == 200 and "北苑后门维修" in response.content.decode()
    response = admin_client.get(reverse("admin:councils_seat_changelist"), {"term": "current"})
    assert response.status_code == 200


@pytest.mark.parametrize("model_name", ["proposalevent", "vote", "resolution", "proposal", "ballot"])
def test_proposal_records_are_read_only(admin_client, world, model_name):
    to_notice(world)
    assert admin_client.get(reverse(f"admin:proposals_{model_name}_add")).status_code == 403
    model = admin.site._registry
    model_admin = next(a for m, a in model.items() if m._meta.model_name == model_name and m._meta.app_label == "proposals")
    obj = model_admin.model.objects.first()
    change_url = reverse(f"admin:proposals_{model_name}_change", args=[obj.pk])
    page = admin_client.get(change_url).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(change_url, {}).status_code == 403
    delete_url = reverse(f"admin:proposals_{model_name}_delete", args=[obj.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert model_admin.model.objects.filter(pk=obj.pk).exists()


def test_event_count_unchanged_by_admin_visits(admin_client, world):
    proposal, _notice = to_notice(world)
    before = ProposalEvent.objects.count()
    admin_client.get(reverse("admin:proposals_proposalevent_changelist"))
    assert ProposalEvent.objects.count() == before


def test_r2_admin_refuses_to_seat_a_supervisor(admin_client, world):
    world.community.council_size = 40
    world.community.save(update_fields=["council_size"])
    response = admin_client.post(reverse("admin:councils_seat_add"), {
        "council": world.community_council.pk, "user": world.supervisor.pk, "role": "member",
        "starts_at_0": "2026-01-01", "starts_at_1": "00:00:00",
    })
    assert response.status_code == 200  # the form again, with the error
    assert "监督人员" in response.content.decode()
    assert not Seat.objects.filter(user=world.supervisor).exists()


def test_r2_admin_refuses_a_council_member_on_the_board(admin_client, world):
    member = world.community_members[0]
    response = admin_client.post(reverse("admin:councils_boardseat_add"), {
        "board": world.board.pk, "user": member.pk, "title": "member",
        "starts_at_0": "2026-01-01", "starts_at_1": "00:00:00",
    })
    assert response.status_code == 200
    assert "不能同时担任监督人员" in response.content.decode()
    assert not BoardSeat.objects.filter(user=member).exists()


def test_r20_admin_lists_elections_but_never_the_roll_or_ballot_papers(admin_client, world):
    from elections.models import BallotPaper, Election, ElectionVoter
    from tests.election_support import cast_all, close, open_election, roll_users

    election, people = open_election(world, seats=3, candidates=4)
    cast_all(election, [(v, people[:3]) for v in roll_users(world)[:6]])
    close(election)
    assert not admin.site.is_registered(BallotPaper)
    assert not admin.site.is_registered(ElectionVoter)
    for name in ("election", "candidate", "electionround", "electionevent"):
        assert admin_client.get(reverse(f"admin:elections_{name}_changelist")).status_code == 200
    url = reverse("admin:elections_election_change", args=[Election.objects.get().pk])
    assert admin_client.get(url).status_code == 200


def _now_fields():
    now = timezone.localtime() + timedelta(minutes=1)  # after the world's seats began (to the second)
    return {"starts_at_0": now.strftime("%Y-%m-%d"), "starts_at_1": now.strftime("%H:%M:%S")}


def test_admin_seat_beyond_the_council_size_is_a_form_error(admin_client, world):
    """Issue 9, finding 9: the admin add form goes through seat_assign, which keeps the size."""
    council = world.community_council
    seated = Seat.objects.current().filter(council=council).count()
    world.community.council_size = seated
    world.community.save(update_fields=["council_size"])
    newcomer = UserFactory()
    response = admin_client.post(reverse("admin:councils_seat_add"), {
        "council": council.pk, "user": newcomer.pk, "role": "member",
        **_now_fields(),
    })
    assert response.status_code == 200  # the form again, with the service's sentence
    assert "达到社区设定的人数" in response.content.decode()
    assert not Seat.objects.filter(user=newcomer).exists()
    assert Seat.objects.current().filter(council=council).count() == seated


def test_admin_seat_within_the_council_size_is_added_by_the_service(admin_client, world):
    council = world.community_council
    world.community.council_size = Seat.objects.current().filter(council=council).count() + 1
    world.community.save(update_fields=["council_size"])
    newcomer = UserFactory()
    response = admin_client.post(reverse("admin:councils_seat_add"), {
        "council": council.pk, "user": newcomer.pk, "role": "member",
        **_now_fields(),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    seat = Seat.objects.get(user=newcomer)
    assert seat.assigned_by is not None  # the service recorded who seated the member


def test_admin_council_page_lists_seats_without_adding(admin_client, world):
    council = world.community_council
    page = admin_client.get(reverse("admin:councils_council_change", args=[council.pk])).content.decode()
    assert "seats-TOTAL_FORMS" not in page or 'name="seats-0-user"' not in page
