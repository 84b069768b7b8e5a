"""Issue 11: conflicts of interest. A decision on money or work for an organisation the decider
belongs to goes through but is flagged for supervisors, and the page warns the decider first;
deciding on one's own application in person is refused and changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from councils.enums import StaffLevel
from councils.models import StaffPost
from funding.models import LedgerEntry
from grants import services as gs
from grants.enums import ApplicationStatus
from grants.models import GrantAward
from needs import services as ns
from organisations.enums import ConflictDecision, MemberRole
from organisations.models import ConflictFlag, OrganisationMember
from tests import sanshe_support as ss
from tests.factories import build_world
from yishi.errors import DomainError
from yishi.history import AppendOnlyError

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(db):
    world = ss.old_world(community_seats=3)
    fund = ss.make_fund(world, "100000.00")
    return world, fund


def scored(world, application):
    """Three panel members who are not the staff member (who may belong to the applicant)."""
    for reviewer in [world.community_members[0], world.community_members[1], world.supervisor]:
        gs.grant_score(application=application, reviewer=reviewer, score=85)


def staff_owned_application(world, fund, role=MemberRole.ADMIN):
    org = ss.organisation(world)
    OrganisationMember.objects.create(organisation=org, user=world.staff, role=role)
    call = ss.open_call(world, fund)
    application = ss.org_application(world, call, org)
    scored(world, application)
    return org, call, application


def test_award_to_the_deciders_organisation_is_flagged(setting):
    world, fund = setting
    org, call, application = staff_owned_application(world, fund)
    award = gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    flag = ConflictFlag.objects.get()
    assert (flag.decision, flag.decider, flag.organisation, flag.relationship) == (
        ConflictDecision.GRANT_AWARD, world.staff, org, MemberRole.ADMIN)
    assert flag.object_id == award.pk and flag.amount == 2000 and flag.community == world.community
    assert flag.subject == application.title


def test_award_by_an_outsider_is_not_flagged(setting):
    world, fund = setting
    org = ss.organisation(world)
    call = ss.open_call(world, fund)
    application = ss.org_application(world, call, org)
    scored(world, application)
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    assert not ConflictFlag.objects.exists()


def test_accepting_the_report_of_ones_organisation_is_flagged(setting):
    world, fund = setting
    org, call, application = staff_owned_application(world, fund, role=MemberRole.MEMBER)
    award = gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    gs.grant_report(award=award, actor=org.admin, people_served=30, spent="1800.00", report="服务了30人次")
    gs.grant_report_accept(award=award, actor=world.staff)
    accept = ConflictFlag.objects.get(decision=ConflictDecision.GRANT_ACCEPT)
    assert accept.relationship == MemberRole.MEMBER and accept.amount == 1800 and accept.object_id == award.pk


def test_a_staff_member_who_applied_in_person_may_not_award_it(setting):
    world, fund = setting
    call = ss.open_call(world, fund)
    people = ss.residents(world, 3)
    since = timezone.now() - timedelta(days=20)
    StaffPost.objects.create(user=people[0], level=StaffLevel.COMMUNITY, subdistrict=world.subdistrict,
                             community=world.community, title="社区干事", starts_at=since)
    application = ss.apply_in_past(call, actor=people[1], title="亲子厨房", plan="周末亲子做饭", amount="2000",
                                   matched="500", residents=people[::2])
    scored(world, application)
    entries = LedgerEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        gs.grant_award(application=application, actor=people[0], amount="2000.00")
    assert exc.value.code == "conflict" and "联名居民" in str(exc.value)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert not GrantAward.objects.exists() and LedgerEntry.objects.count() == entries
    assert not ConflictFlag.objects.exists()
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")  # another staff member may


def test_confirming_a_claim_of_ones_organisation_is_flagged(setting):
    world, _fund = setting
    org = ss.organisation(world)
    OrganisationMember.objects.create(organisation=org, user=world.staff, role=MemberRole.SOCIAL_WORKER)
    project = ss.project(world)
    claim = ns.project_claim(project=project, organisation=org, actor=org.admin, plan="每天中午供餐")
    ns.claim_confirm(claim=claim, actor=world.staff)
    flag = ConflictFlag.objects.get()
    assert (flag.decision, flag.relationship, flag.object_id, flag.subject, flag.amount) == (
        ConflictDecision.CLAIM_CONFIRM, MemberRole.SOCIAL_WORKER, claim.pk, project.title, None)


def test_flags_are_append_only(setting):
    world, fund = setting
    _org, _call, application = staff_owned_application(world, fund)
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    with pytest.raises(AppendOnlyError):
        ConflictFlag.objects.update(subject="x")
    with pytest.raises(AppendOnlyError):
        ConflictFlag.objects.all().delete()


def test_the_page_warns_the_decider_before_the_award_and_the_confirm(client, setting):
    world, fund = setting
    org, call, application = staff_owned_application(world, fund)
    client.force_login(world.staff)
    with_warning = client.get(reverse("grants:call", args=[call.pk])).content.decode()
    assert "利益冲突提示" in with_warning and org.name in with_warning
    project = ss.project(world)
    ns.project_claim(project=project, organisation=org, actor=org.admin, plan="每天中午供餐")
    assert "利益冲突提示" in client.get(reverse("needs:project", args=[project.pk])).content.decode()
    # Someone who does not belong to the organisation sees no warning.
    OrganisationMember.objects.filter(user=world.staff).delete()
    assert "利益冲突提示" not in client.get(reverse("grants:call", args=[call.pk])).content.decode()
    assert "利益冲突提示" not in client.get(reverse("needs:project", args=[project.pk])).content.decode()


def test_supervisors_see_the_flags_in_their_scope_only(client, setting):
    world, fund = setting
    org, _call, application = staff_owned_application(world, fund)
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    url = reverse("organisations:conflicts")
    client.force_login(world.supervisor)
    page = client.get(url).content.decode()
    assert application.title in page and world.staff.display_name in page and org.name in page
    assert "负责人" in page and "确定微创投资助" in page
    client.force_login(world.street_staff)
    assert application.title in client.get(url).content.decode()
    other = build_world(community_seats=3, prefix="外")
    client.force_login(other.supervisor)
    response = client.get(url)
    assert response.status_code == 200 and application.title not in response.content.decode()
    for user in (world.staff, world.residents[0], org.admin):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
