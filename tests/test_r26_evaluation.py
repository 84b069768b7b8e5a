"""R26 evaluation: by street staff or an appointed evaluator, scores per criterion of the class in
range, mid-term and final once each, the final one public beside the final accounts, and the
subdistrict report of late payments, missing records and low participation."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from funding import evaluation as ev
from funding import evaluation_report as report
from funding import services as fs
from funding.enums import EvaluationClass, EvaluationGrade
from funding.exports import to_csv
from funding.models import Evaluation, EvaluatorAppointment
from needs import services as ns
from tests.factories import UserFactory, build_world
from tests.funding_support import drive_to_accepted, drive_to_released, old_world
from tests.sanshe_support import VALID_CODES, claimed_project, organisation

pytestmark = pytest.mark.django_db

HARDWARE_FULL = {"process": 25, "funds": 25, "quality": 30, "satisfaction": 20}


def _settled(world):
    p, _fund = drive_to_accepted(world)
    fs.settlement_record(proposal=p, actor=world.group_members[0], actual_cost="34500.00")
    p.refresh_from_db()
    return p


def _refused(call, fragment):
    before = Evaluation.objects.count()
    with pytest.raises(Exception) as info:
        call()
    assert fragment in str(info.value), str(info.value)
    assert Evaluation.objects.count() == before
    return info.value


def test_r26_street_staff_record_mid_term_then_final_once_each():
    world = old_world(group_seats=3, community_seats=3)
    p, _fund = drive_to_released(world)
    mid = fs.evaluation_record(actor=world.street_staff, stage="mid_term", proposal=p, findings="进度正常。",
                               scores={"process": 20, "funds": 22, "quality": 25, "satisfaction": 15})
    assert mid.evaluation_class == EvaluationClass.HARDWARE and mid.total == Decimal("82.0")
    assert mid.grade == EvaluationGrade.GOOD
    _refused(lambda: fs.evaluation_record(actor=world.street_staff, stage="final", proposal=p, findings="x",
                                          scores=HARDWARE_FULL), "决算")
    _refused(lambda: fs.evaluation_record(actor=world.street_staff, stage="mid_term", proposal=p, findings="x",
                                          scores=HARDWARE_FULL), "每个阶段一次")


def test_r26_scores_at_the_bounds_and_grades():
    world = old_world(group_seats=3, community_seats=3)
    p = _settled(world)
    e = fs.evaluation_record(actor=world.street_staff, stage="final", proposal=p, findings="按时完工，结余退回。",
                             scores={"process": 25, "funds": 25, "quality": "30", "satisfaction": Decimal("20.0")})
    assert e.total == Decimal("100.0") and e.grade == EvaluationGrade.EXCELLENT
    assert ev.grade_of(Decimal("89.9")) == EvaluationGrade.GOOD
    assert ev.grade_of(Decimal("60")) == EvaluationGrade.PASS
    assert ev.grade_of(Decimal("59.9")) == EvaluationGrade.FAIL


@pytest.mark.parametrize("scores, fragment", [
    ({"process": 26, "funds": 25, "quality": 30, "satisfaction": 20}, "满分 25 分"),
    ({"process": -1, "funds": 25, "quality": 30, "satisfaction": 20}, "0 到 25 分之间"),
    ({"process": 25, "funds": 25, "quality": 30}, "请给“居民满意度”打分"),
    ({"process": 25, "funds": 25, "quality": 30, "satisfaction": 20, "beauty": 5}, "不是硬件维护类的评估指标"),
    ({"process": "很好", "funds": 25, "quality": 30, "satisfaction": 20}, "应是数字"),
    ({"process": "24.55", "funds": 25, "quality": 30, "satisfaction": 20}, "一位小数"),
    ({}, "请给每一项"),
])
def test_r26_bad_scores_refused(scores, fragment):
    world = old_world(group_seats=3, community_seats=3)
    p = _settled(world)
    _refused(lambda: fs.evaluation_record(actor=world.street_staff, stage="final", proposal=p, findings="发现",
                                          scores=scores), fragment)


def test_r26_unknown_stage_missing_findings_and_two_subjects_refused():
    world = old_world(group_seats=3, community_seats=3)
    p = _settled(world)
    _refused(lambda: fs.evaluation_record(actor=world.street_staff, stage="yearly", proposal=p, findings="x",
                                          scores=HARDWARE_FULL), "中期评估")
    _refused(lambda: fs.evaluation_record(actor=world.street_staff, stage="final", proposal=p, findings=" ",
                                          scores=HARDWARE_FULL), "评估发现")
    _refused(lambda: fs.evaluation_record(actor=world.street_staff, stage="final", findings="x",
                                          scores=HARDWARE_FULL), "一个项目")


def test_r26_unappointed_user_refused_appointed_evaluator_accepted_then_ended():
    world = old_world(group_seats=3, community_seats=3)
    p = _settled(world)
    expert = UserFactory(full_name="评估专家")
    for outsider in (expert, world.staff, world.supervisor, world.group_members[0]):
        _refused(lambda u=outsider: fs.evaluation_record(actor=u, stage="final", proposal=p, findings="x",
                                                         scores=HARDWARE_FULL), "委托")
    with pytest.raises(Exception, match="街道办工作人员"):
        fs.evaluator_appoint(subdistrict=world.subdistrict, user=expert, actor=world.staff)
    appointment = fs.evaluator_appoint(subdistrict=world.subdistrict, user=expert, actor=world.street_staff,
                                       affiliation="成都某评估中心")
    with pytest.raises(Exception, match="已经是本街道委托的评估人"):
        fs.evaluator_appoint(subdistrict=world.subdistrict, user=expert, actor=world.street_staff)
    e = fs.evaluation_record(actor=expert, stage="final", proposal=p, findings="过程记录齐全。", scores=HARDWARE_FULL)
    assert e.appointment == appointment
    fs.evaluator_end(appointment=appointment, actor=world.street_staff)
    assert EvaluatorAppointment.objects.get(pk=appointment.pk).ended_at is not None


def test_r26_appointed_evaluator_of_another_subdistrict_refused():
    world = old_world(group_seats=3, community_seats=3)
    p = _settled(world)
    other = build_world(group_seats=3, community_seats=3, residents=1, prefix="外")
    expert = UserFactory()
    fs.evaluator_appoint(subdistrict=other.subdistrict, user=expert, actor=other.street_staff)
    _refused(lambda: fs.evaluation_record(actor=expert, stage="final", proposal=p, findings="x",
                                          scores=HARDWARE_FULL), "委托")


def test_r26_evaluator_who_runs_the_project_refused():
    world = build_world(community_seats=3)
    org = organisation(world, "玉东自组织", kind="self_organisation")
    project, _org = claimed_project(world, org)
    fs.evaluator_appoint(subdistrict=world.subdistrict, user=org.admin, actor=world.street_staff)
    scores = {"process": 20, "participation": 30, "results": 30, "satisfaction": 20}
    _refused(lambda: fs.evaluation_record(actor=org.admin, stage="mid_term", project=project, findings="x",
                                          scores=scores), "组织的成员")
    e = fs.evaluation_record(actor=world.street_staff, stage="mid_term", project=project, findings="居民自己办。",
                             scores=scores)
    assert e.evaluation_class == EvaluationClass.RESIDENT_RUN and e.community == world.community


def test_r26_service_project_final_evaluation_is_public_on_its_page(client):
    world = build_world(community_seats=3)
    project, org = claimed_project(world, organisation(world, "玉东社工服务中心", kind="social_organisation",
                                                       credit_code=VALID_CODES[0]))
    ns.service_record(project=project, actor=org.admin, served_on=timezone.localdate(), people_served=12,
                      hours="2", notes="")
    ns.project_complete(project=project, actor=org.admin, report="完成。")
    scores = {"process": 18, "delivery": 27, "expertise": 18, "participation": 12, "satisfaction": 14}
    fs.evaluation_record(actor=world.street_staff, stage="final", project=project, scores=scores,
                         findings="服务人次达到计划。")
    page = client.get(f"/service-projects/{project.pk}/").content.decode()
    assert "结项绩效评估" in page and "服务人次达到计划。" in page and "89.0" in page


def test_r26_final_evaluation_is_public_beside_the_final_accounts(client):
    world = old_world(group_seats=3, community_seats=3)
    p = _settled(world)
    fs.evaluation_record(actor=world.street_staff, stage="final", proposal=p, findings="结余 1500 元已退回。",
                         scores=HARDWARE_FULL)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert "结项绩效评估" in page and "结余 1500 元已退回。" in page


# --------------------------------------------------------------------------- the report


def test_r26_report_finds_late_release_missing_minutes_and_low_ratings():
    world = old_world(group_seats=3, community_seats=3)
    p, _fund = drive_to_released(world)
    later = timezone.now() + timedelta(days=report.BIDS_AFTER_DAYS + 1)
    row = report.proposal_row(report.proposals_queryset([world.community]).get(pk=p.pk), later)
    assert any("会议议程" in m for m in row.missing)
    assert any("比选报价只有 0 家" in m for m in row.missing)
    assert row.late == []
    soon = report.proposal_row(report.proposals_queryset([world.community]).get(pk=p.pk), timezone.now())
    assert not any("比选" in m for m in soon.missing)


def test_r26_report_late_budget_review_boundary():
    world = old_world(group_seats=3, community_seats=3)
    from tests.funding_support import drive_to_approved

    p = drive_to_approved(world)
    approved_at = p.events.filter(kind="approved").get().created_at
    qs = report.proposals_queryset([world.community])
    on_time = report.proposal_row(qs.get(pk=p.pk), approved_at + timedelta(days=report.LATE_DAYS, hours=23))
    late = report.proposal_row(qs.get(pk=p.pk), approved_at + timedelta(days=report.LATE_DAYS + 1))
    assert on_time.late == []
    assert late.late and "31 天" in late.late[0] and "仍在等待" in late.late[0]


def test_r26_report_service_project_low_participation_and_empty_activity():
    world = build_world(community_seats=3)
    project, org = claimed_project(world)
    activity = ns.activity_publish(project=project, actor=world.staff, title="健康讲座", place="活动室",
                                   starts_at=timezone.now() + timedelta(days=1), capacity=10)
    ns.activity_signup(activity=activity, resident=world.residents[0])
    with time_machine.travel(activity.ends_at + timedelta(hours=1)):
        row = report.project_row(report.projects_queryset([world.community]).get(pk=project.pk))
    assert any("1 次活动结束时无人签到" in m for m in row.missing)
    assert any("报名 1 人，名额 10 个" in m for m in row.low)
    with time_machine.travel(project.ends_on + timedelta(days=2)):
        row = report.project_row(report.projects_queryset([world.community]).get(pk=project.pk))
    assert any("不到计划 40 人的一半" in m for m in row.low)


def test_r26_report_csv_is_formula_guarded():
    world = build_world(community_seats=3)
    project, _org = claimed_project(world)
    type(project).objects.filter(pk=project.pk).update(title="=HYPERLINK(\"x\")")
    body = to_csv(report.report_table([world.community])).decode("utf-8-sig")
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body
