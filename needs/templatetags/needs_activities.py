"""The activities of a project on its page (R25): people served with check-ins, the next activities."""

from django import template

from .. import activities as acts
from ..views_activities import past_for, upcoming_for

register = template.Library()


@register.simple_tag
def people_served(project) -> int:
    """Service records' people plus activity check-ins."""
    return acts.people_served(project)


@register.inclusion_tag("needs/activities/_project_panel.html", takes_context=True)
def project_activities_panel(context, project):
    user = context["request"].user
    return {"project": project, "upcoming": upcoming_for(project), "past": past_for(project),
            "manager": acts.may_manage(user, project)}
