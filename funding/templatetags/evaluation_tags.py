"""The final evaluation beside a project's final accounts (R26): public, on the proposal's money panel
and on the service project's page."""

from django import template

from ..enums import EVALUATION_CRITERIA, EvaluationStage
from ..models import Evaluation

register = template.Library()


def with_rows(evaluation):
    """(label, full points, score) per criterion, in the class's order."""
    if evaluation is not None:
        evaluation.rows = [(label, points, evaluation.scores.get(code, ""))
                           for code, label, points in EVALUATION_CRITERIA[evaluation.evaluation_class]]
    return evaluation


@register.inclusion_tag("funding/evaluation/_final_evaluation.html")
def final_evaluation(proposal=None, project=None):
    subject = {"proposal": proposal} if proposal is not None else {"project": project}
    evaluation = (Evaluation.objects.filter(**subject, stage=EvaluationStage.FINAL)
                  .select_related("appointment").first())
    return {"evaluation": with_rows(evaluation)}
