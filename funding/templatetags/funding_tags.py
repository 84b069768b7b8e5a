"""The money side of a proposal page, so proposals' templates need not know funding.

``{% money_panel proposal %}`` renders what was requested, reserved, raised,
released, contracted and settled for one proposal. It is public: amounts and
contractors only, never who paid (DESIGN "Roles and permissions"). Users in
scope also get the money actions open to them (links to the money page, the
release button for street-office staff).
"""

from django import template

from proposals.enums import ProposalStatus as S

from .. import selectors

register = template.Library()

BEFORE_REVIEW = (S.DRAFT, S.GROUP_REVIEW, S.ADOPTED, S.NOTICE, S.SUBMITTED, S.COMMUNITY_VOTE)


def _roles(request, proposal) -> dict:
    none = {"group_member": False, "community_staff": False, "street_staff": False, "supervisor": False}
    if request is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return none
    from proposals.views.access import viewer_for

    v = viewer_for(request)
    group = proposal.group
    community = group.community
    return {
        "group_member": v.is_group_council_member(group.pk),
        "community_staff": v.is_staff_of(community.pk),
        "street_staff": v.is_street_staff_of(community.subdistrict_id),
        "supervisor": v.is_supervisor_of(community.pk, community.subdistrict_id),
    }


@register.inclusion_tag("funding/_money_panel.html", takes_context=True)
def money_panel(context, proposal):
    request = context.get("request")
    summary = selectors.money_summary(proposal)
    roles = _roles(request, proposal)
    in_scope = any(roles.values())
    return {
        "proposal": proposal,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "s": summary,
        "accounts": selectors.final_accounts(proposal, summary=summary) if proposal.status == S.SETTLED else None,
        "roles": roles,
        "in_scope": in_scope,
        "before_review": proposal.status in BEFORE_REVIEW,
        "blockers": summary["release_blockers"] if in_scope else [],
    }
