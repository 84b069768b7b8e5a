"""The admin for the newer models: organisations, needs, grants, elections, donations and the foundation's records.

For a superuser every changelist and change page renders (with search and filters);
adding, changing or deleting what a service owns is refused (403) and changes nothing;
the one admin action that changes something goes through the service; ballot papers
and the roll are not in the admin, and no admin page shows what anyone chose; the
donations' changelist names a donor only with consent.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from elections.models import BallotPaper, ElectionVoter
from funding.models import Donation, Fund, MonthlyAccount, PurposeDraw, ReceiptCounter
from organisations.enums import OrganisationStatus
from organisations.models import Organisation, OrganisationEvent
from tests.factories import UserFactory
from tests.opendata_support import SECRET_DONOR, foundation_records, incubation, sanshe_world

pytestmark = pytest.mark.django_db

APPS = ["organisations", "needs", "grants", "elections"]
FOUNDATION_MODELS = [Donation, PurposeDraw, MonthlyAccount, ReceiptCounter]
EDITABLE = {"needs.responsetime", "funding.fund"}  # configuration, not records


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker):
    """One world for the module (building it is the slow part); the tests only read it or are refused."""
    with django_db_blocker.unblock():
        from django.db import transaction

        transaction.set_autocommit(False)
        try:
            data = sanshe_world()
            data.update(foundation_records(data["world"]))
            data["incubation"] = incubation(data["world"], data["org"])
            data.update(activity_and_conflict(data["world"], data["org"], data["needs"][0]))
            from needs.models import ResponseTime

            ResponseTime.objects.create(community=data["world"].community, days=10)
            yield data
        finally:
            transaction.rollback()
            transaction.set_autocommit(True)


def activity_and_conflict(world, org, need):
    """A running project of ``org``: its claim confirmed by a staff member who is also in ``org`` (the service
    writes a conflict flag), an activity published on it and a resident's sign-up."""
    from datetime import timedelta

    from django.utils import timezone

    import needs.services as ns
    import organisations.services as os_

    os_.organisation_member_add(organisation=org, user=world.staff, actor=org.admin)
    today = timezone.localdate()
    project = ns.service_project_list(
        community=world.community, actor=world.staff, title="四点半学堂", description="放学后的作业辅导",
        needs=[need], people_target=20, starts_on=today, ends_on=today + timedelta(days=60),
    )
    claim = ns.project_claim(project=project, organisation=org, actor=org.admin, plan="每周一到周五下午")
    ns.claim_confirm(claim=claim, actor=world.staff)
    activity = ns.activity_publish(project=project, actor=world.staff, title="作业辅导",
                                   starts_at=timezone.now() + timedelta(days=2), place="社区活动室", capacity=10)
    signup = ns.activity_signup(activity=activity, resident=world.residents[2])
    return {"activity": activity, "signup": signup}


@pytest.fixture
def su(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def new_models():
    models = [m for app in APPS for m in apps.get_app_config(app).get_models()]
    return [m for m in models if m not in (BallotPaper, ElectionVoter)] + FOUNDATION_MODELS


def label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def urls(model, pk=None):
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return {
        "changelist": reverse(f"{info}_changelist"), "add": reverse(f"{info}_add"),
        **({"change": reverse(f"{info}_change", args=[pk]), "delete": reverse(f"{info}_delete", args=[pk])}
           if pk is not None else {}),
    }


def test_every_new_model_is_registered_except_papers_and_roll():
    missing = [label(m) for m in new_models() if not admin.site.is_registered(m)]
    assert missing == []
    assert not admin.site.is_registered(BallotPaper) and not admin.site.is_registered(ElectionVoter)


@pytest.mark.parametrize("model", new_models(), ids=label)
def test_changelist_and_change_page_render(records, su, model):
    obj = model.objects.order_by("pk").first()
    assert obj is not None, f"the world has no {label(model)}"
    page = urls(model, obj.pk)
    assert su.get(page["changelist"]).status_code == 200
    assert su.get(page["changelist"], {"q": "秘"}).status_code == 200
    assert su.get(page["change"]).status_code == 200
    model_admin = admin.site._registry[model]
    for name in model_admin.list_filter:
        field = name[0] if isinstance(name, tuple) else name
        assert su.get(page["changelist"], {f"{field}__isnull": "False"} if "__" in field else {}).status_code == 200


@pytest.mark.parametrize("model", [m for m in new_models() if label(m) not in EDITABLE], ids=label)
def test_records_cannot_be_added_changed_or_deleted(records, su, model):
    obj = model.objects.order_by("pk").first()
    page = urls(model, obj.pk)
    before = model.objects.count()
    assert su.get(page["add"]).status_code == 403
    assert su.post(page["add"], {}).status_code == 403
    body = su.get(page["change"]).content.decode()
    assert 'name="_save"' not in body
    assert su.post(page["change"], {}).status_code == 403
    assert su.post(page["delete"], {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


def test_donations_changelist_names_donors_only_with_consent(records, su):
    body = su.get(urls(Donation)["changelist"]).content.decode()
    assert "晋阳商贸有限公司" in body and "居民（未公开姓名）" in body and "匿名捐赠人" in body
    assert SECRET_DONOR not in body
    # The receipt number as printed finds the donation.
    designated = Donation.objects.get(donor_name=SECRET_DONOR)
    found = su.get(urls(Donation)["changelist"], {"q": designated.receipt_number}).content.decode()
    assert designated.receipt_number in found
    others = Donation.objects.exclude(pk=designated.pk)
    assert others and not [d.receipt_number for d in others if d.receipt_number in found]
    assert su.get(urls(Donation)["changelist"], {"reversed_at__isempty": "0"}).status_code == 200


def test_designated_draw_of_a_call_is_listed(records, su):
    body = su.get(urls(PurposeDraw)["changelist"]).content.decode()
    draw = PurposeDraw.objects.get(entry=records["call"].reservation_entry)
    assert draw.amount == records["call"].pool - 500  # 500 designated for the elderly, 500 free
    assert urls(PurposeDraw, draw.pk)["change"] in body


def test_no_admin_page_shows_a_ballot_paper(records, su):
    from elections.models import Election

    election = Election.objects.get(pk=records["election"].pk)
    pages = [urls(Election, election.pk)["change"], urls(Election)["changelist"],
             reverse("admin:elections_electionround_change", args=[election.rounds.get().pk]),
             reverse("admin:elections_electionevent_changelist")]
    papers = [str(p.pk) for p in BallotPaper.objects.all()]
    assert papers
    for url in pages:
        body = su.get(url).content.decode()
        assert not [p for p in papers if p in body], url
    voter = records["voters"][0]
    body = su.get(reverse("admin:elections_candidate_changelist")).content.decode()
    assert voter.display_name not in body  # a voter who is not a candidate is on no election admin page


def test_fund_admin_sets_a_foundations_managers_but_not_an_ordinary_funds(records, su):
    foundation = records["fund"]
    manager = UserFactory(full_name="基金管理人")
    response = su.post(urls(Fund, foundation.pk)["change"], {
        "share_cap_percent": str(foundation.share_cap_percent), "managers": [manager.pk],
        "entries-TOTAL_FORMS": "0", "entries-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(foundation.managers.all()) == [manager]
    ordinary = records["call"].fund if records["call"].fund.kind != "foundation" else Fund.objects.exclude(
        kind="foundation").first()
    response = su.post(urls(Fund, ordinary.pk)["change"], {
        "share_cap_percent": str(ordinary.share_cap_percent), "managers": [manager.pk],
        "entries-TOTAL_FORMS": "0", "entries-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200 and "只有社区基金有基金管理人" in response.content.decode()
    assert not ordinary.managers.exists()


def test_activate_action_goes_through_the_service(records, su):
    from django.contrib.auth.models import Permission

    from organisations import services as os_

    world = records["world"]
    org = os_.organisation_register(name="新孵化的读书会", kind="self_organisation", communities=[world.community],
                                    actor=world.staff, admins=[UserFactory()])
    changelist = urls(Organisation)["changelist"]
    # An admin user who is not the community's staff: the service refuses, with its sentence.
    clerk = UserFactory(is_staff=True, full_name="后台管理员")
    clerk.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    su.force_login(clerk)
    response = su.post(changelist, {"action": "activate", "_selected_action": [org.pk]}, follow=True)
    assert response.status_code == 200
    assert "所服务社区的工作人员" in response.content.decode()
    org.refresh_from_db()
    assert org.status == OrganisationStatus.INCUBATING
    assert not OrganisationEvent.objects.filter(organisation=org, kind="activated").exists()
    # A superuser counts as staff everywhere: the service activates and writes its event.
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    su.force_login(admin_user)
    response = su.post(changelist, {"action": "activate", "_selected_action": [org.pk]}, follow=True)
    assert "现在正常运行" in response.content.decode()
    org.refresh_from_db()
    assert org.status == OrganisationStatus.ACTIVE
    assert OrganisationEvent.objects.filter(organisation=org, kind="activated", actor=admin_user).exists()
