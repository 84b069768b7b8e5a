"""R17: the project list, claiming (exactly one confirmed claim), service, completion and rating."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from needs import services as ns
from needs.enums import ClaimStatus, NeedStatus, ProjectStatus
from needs.models import Claim, ServiceRating, ServiceRecord
from tests.factories import build_world
from tests.sanshe_support import claimed_project, need, organisation, project
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def world3(db):
    return build_world(community_seats=3)


def test_r17_project_lists_needs(world3):
    n1, n2 = need(world3), need(world3, text="老人送餐", resident=world3.residents[1])
    p = project(world3, needs=[n1, n2])
    assert p.status == ProjectStatus.LISTED
    assert set(p.needs.values_list("status", flat=True)) == {NeedStatus.LISTED}


def test_r17_project_from_answered_need_refused(world3):
    n = need(world3)
    ns.need_answer(need=n, actor=world3.staff, decision="decline", reason="已转物业")
    with pytest.raises(DomainError) as exc:
        project(world3, needs=[n])
    assert "已经回应过" in str(exc.value)
    assert not world3.community.service_projects.exists()


def test_r17_claim_on_a_non_listed_project_refused(world3):
    p, _org = claimed_project(world3)
    late = organisation(world3, "四点半学堂志愿队")
    with pytest.raises(DomainError) as exc:
        ns.project_claim(project=p, organisation=late, actor=late.admin, plan="我们也来")
    assert exc.value.code == "not_listed" and "只有待认领的项目可以认领" in str(exc.value)
    assert not Claim.objects.filter(organisation=late).exists()


def test_r17_incubating_organisation_cannot_claim(world3):
    p = project(world3)
    young = organisation(world3, "新芽读书会", active=False)
    with pytest.raises(DomainError) as exc:
        ns.project_claim(project=p, organisation=young, actor=young.admin, plan="读书")
    assert "正常运行的组织才能认领" in str(exc.value)
    assert not Claim.objects.exists()


def test_r17_only_members_claim_for_an_organisation(world3):
    p = project(world3)
    org = organisation(world3)
    with pytest.raises(PermissionDenied):
        ns.project_claim(project=p, organisation=org, actor=world3.residents[0], plan="x")


def test_r17_confirm_declines_the_others_and_a_second_confirm_is_refused(world3):
    p = project(world3)
    a, b = organisation(world3, "甲组织"), organisation(world3, "乙组织")
    claim_a = ns.project_claim(project=p, organisation=a, actor=a.admin, plan="甲的计划")
    claim_b = ns.project_claim(project=p, organisation=b, actor=b.admin, plan="乙的计划")
    ns.claim_confirm(claim=claim_a, actor=world3.staff)
    claim_b.refresh_from_db()
    assert claim_b.status == ClaimStatus.DECLINED and "甲组织" in claim_b.decline_reason
    with pytest.raises(DomainError) as exc:
        ns.claim_confirm(claim=claim_b, actor=world3.staff)
    assert exc.value.code == "already_confirmed" and "甲组织" in str(exc.value)
    assert Claim.objects.filter(project=p, status=ClaimStatus.CONFIRMED).get() == claim_a
    p.refresh_from_db()
    assert p.status == ProjectStatus.CLAIMED


def test_r17_confirmed_constraint_holds_without_the_service(world3):
    p = project(world3)
    a, b = organisation(world3, "甲组织"), organisation(world3, "乙组织")
    Claim.objects.create(project=p, organisation=a, plan="x", claimed_by=a.admin, status=ClaimStatus.CONFIRMED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(project=p, organisation=b, plan="y", claimed_by=b.admin, status=ClaimStatus.CONFIRMED)


def test_r17_only_the_confirmed_organisation_records_service(world3):
    p, org = claimed_project(world3)
    other = organisation(world3, "乙组织")
    with pytest.raises(PermissionDenied):
        ns.service_record(project=p, actor=other.admin, served_on=timezone.localdate(), people_served=10,
                          hours=2, notes="")
    assert not ServiceRecord.objects.exists()
    record = ns.service_record(project=p, actor=org.admin, served_on=timezone.localdate(), people_served=32,
                               hours="3.5", notes="午餐", volunteers=4)
    assert record.volunteers == 4 and record.organisation == org
    p.refresh_from_db()
    assert p.status == ProjectStatus.IN_SERVICE


def test_r17_service_in_the_future_refused(world3):
    p, org = claimed_project(world3)
    with pytest.raises(DomainError):
        ns.service_record(project=p, actor=org.admin, served_on=timezone.localdate() + timedelta(days=1),
                          people_served=1, hours=1, notes="")
    assert not ServiceRecord.objects.exists()


def test_r17_completion_needs_service_and_a_report_and_meets_the_needs(world3):
    p, org = claimed_project(world3)
    with pytest.raises(DomainError):
        ns.project_complete(project=p, actor=org.admin, report="完成")
    ns.service_record(project=p, actor=org.admin, served_on=timezone.localdate(), people_served=30, hours=2,
                      notes="")
    with pytest.raises(DomainError):
        ns.project_complete(project=p, actor=org.admin, report="  ")
    ns.project_complete(project=p, actor=org.admin, report="三个月供餐 2 400 人次")
    p.refresh_from_db()
    assert p.status == ProjectStatus.COMPLETED
    assert set(p.needs.values_list("status", flat=True)) == {NeedStatus.MET}


def test_r17_supporters_and_raiser_rate_once(world3):
    n = need(world3, resident=world3.residents[0])
    ns.need_support(need=n, resident=world3.residents[1])
    org = organisation(world3)
    p = project(world3, needs=[n])
    ns.claim_confirm(claim=ns.project_claim(project=p, organisation=org, actor=org.admin, plan="x"),
                     actor=world3.staff)
    with pytest.raises(DomainError):
        ns.service_rate(project=p, resident=world3.residents[1], stars=5)
    ns.service_record(project=p, actor=org.admin, served_on=timezone.localdate(), people_served=3, hours=1, notes="")
    ns.project_complete(project=p, actor=org.admin, report="完成")
    ns.service_rate(project=p, resident=world3.residents[1], stars=5)
    ns.service_rate(project=p, resident=world3.residents[0], stars=4)
    with pytest.raises(DomainError) as exc:
        ns.service_rate(project=p, resident=world3.residents[1], stars=1)
    assert exc.value.code == "already_rated"
    with pytest.raises(PermissionDenied):
        ns.service_rate(project=p, resident=world3.residents[2], stars=3)
    with pytest.raises(DomainError):
        ns.service_rate(project=p, resident=world3.residents[0], stars=6)
    assert sorted(ServiceRating.objects.values_list("stars", flat=True)) == [4, 5]


def test_r17_closing_a_project_reopens_its_needs(world3):
    n = need(world3)
    p = project(world3, needs=[n])
    ns.project_close(project=p, actor=world3.staff, reason="无人认领")
    n.refresh_from_db()
    assert n.status == NeedStatus.OPEN and n.project is None and n.due_at > timezone.now()
