"""Performance evaluation in the demo (R26): 晋阳街道 appoints a third-party evaluator, who records the
final evaluation of the settled 北苑后门 project (public beside its final accounts); 玉林街道 appoints
the same evaluator, who records the mid-term evaluation of 四点半学堂 (in service).

Idempotent: when the back-gate project has its final evaluation, nothing is done.
"""

from django.contrib.auth.hashers import make_password

from councils.models import Subdistrict, User
from proposals.models import Proposal

from .evaluation import evaluation_record, evaluator_appoint
from .models import Evaluation, EvaluatorAppointment

EVALUATOR = ("evaluator", "彭立新", "成都市社区发展研究中心（第三方评估）")


def seed_evaluation(b, back_gate_title: str, password: str) -> None:
    from needs.models import ServiceProject

    proposal = Proposal.objects.filter(title=back_gate_title, status="settled").first()
    if proposal is None or Evaluation.objects.filter(proposal=proposal).exists():
        b.report.had("evaluations")
        return
    username, name, affiliation = EVALUATOR
    evaluator, _made = User.objects.get_or_create(
        username=username, defaults={"full_name": name, "password": make_password(password)})
    jinyang = Subdistrict.objects.get(slug="jinyang")
    yulin = Subdistrict.objects.get(slug="yulin")
    with b.at(b.day(-10, 9)):
        for subdistrict, street in ((jinyang, "streetstaff"), (yulin, "yulin_streetstaff")):
            if not EvaluatorAppointment.objects.filter(subdistrict=subdistrict, user=evaluator,
                                                       ended_at__isnull=True).exists():
                evaluator_appoint(subdistrict=subdistrict, user=evaluator, actor=b.u(street), affiliation=affiliation)
    with b.at(b.day(-9, 15)):
        evaluation_record(
            actor=evaluator, stage="final", proposal=proposal,
            scores={"process": 24, "funds": 25, "quality": 28, "satisfaction": 18},
            findings="议事、公示（7 天，异议 1 条已答复）、社区表决、3 家比选和验收记录齐全，验收时监督人员在场；"
                     "实际支出比预算节约 1 500 元，已按比例退回公服资金和缴款住户。后门、消防通道使用正常；"
                     "建议：围墙防盗刺每年检查一次，消防通道的停车管理写进院落公约。")
    school = ServiceProject.objects.filter(title="四点半学堂", status="in_service").first()
    if school is not None and not Evaluation.objects.filter(project=school).exists():
        with b.at(b.day(-5, 10)):
            evaluation_record(
                actor=evaluator, stage="mid_term", project=school,
                scores={"process": 17, "delivery": 24, "expertise": 17, "participation": 11, "satisfaction": 13},
                findings="服务记录按周填写，人次达到计划；亲子手工课 4 人报名 3 人签到。"
                         "建议：活动提前一周发布，给双职工家庭更多时间报名。")
    b.report.did("evaluations")
