"""The staff page for organisations: register (with the credit-code check), activate, incubate, graduate."""

import pytest
from django.urls import reverse

from organisations.enums import OrganisationStatus
from organisations.models import Incubation, Organisation
from tests.factories import build_world
from tests.sanshe_support import VALID_CODES, organisation

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)


def test_manage_page_permission_matrix(client):
    w = build_world(community_seats=3)
    other = build_world(community_seats=3, prefix="外")
    url = reverse("organisations:manage")
    assert client.get(url).status_code == 302
    login(client, w.residents[0])
    assert client.get(url).status_code == 403
    client.logout()
    login(client, other.staff)
    assert client.get(url + f"?community={w.community.slug}").status_code == 404
    client.logout()
    login(client, w.staff)
    assert client.get(url).status_code == 200


def test_register_with_a_wrong_check_character_says_so_and_creates_nothing(client):
    w = build_world(community_seats=3)
    login(client, w.staff)
    wrong = VALID_CODES[0][:-1] + "4"
    response = client.post(reverse("organisations:register"), {
        "community": w.community.slug, "name": "玉东妇女之家", "kind": "social_organisation", "credit_code": wrong,
        "admin": w.residents[0].username}, follow=True)
    assert "校验码" in response.content.decode()
    assert not Organisation.objects.exists()
    client.post(reverse("organisations:register"), {
        "community": w.community.slug, "name": "玉东妇女之家", "kind": "social_organisation",
        "credit_code": VALID_CODES[0], "admin": w.residents[0].username})
    org = Organisation.objects.get()
    assert org.status == OrganisationStatus.INCUBATING and org.members.get().user == w.residents[0]


def test_incubate_graduate_and_activate_through_the_page(client):
    w = build_world(community_seats=3)
    mentor = organisation(w, "睦林长者互助社")
    young = organisation(w, "玉东手工坊", active=False)
    login(client, w.staff)
    client.post(reverse("organisations:incubate", args=[young.pk]), {"mentor": mentor.pk})
    incubation = Incubation.objects.get()
    client.post(reverse("organisations:graduate", args=[incubation.pk]))
    young.refresh_from_db()
    assert young.status == OrganisationStatus.ACTIVE


def test_activate_by_another_community_staff_is_forbidden(client):
    w = build_world(community_seats=3)
    other = build_world(community_seats=3, prefix="外")
    young = organisation(w, "玉东手工坊", active=False)
    login(client, other.staff)
    assert client.post(reverse("organisations:activate", args=[young.pk])).status_code == 403
    young.refresh_from_db()
    assert young.status == OrganisationStatus.INCUBATING


@pytest.mark.parametrize("count", [1, 3])
def test_manage_page_queries_do_not_grow(client, django_assert_num_queries, count):
    w = build_world(community_seats=3)
    for k in range(count):
        organisation(w, f"组织{k}", active=bool(k % 2))
    login(client, w.staff)
    url = reverse("organisations:manage")
    client.get(url)
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200
