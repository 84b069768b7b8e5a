"""Conflicts of interest (issue 11): a decider who belongs to the organisation the decision favours.

Three decisions carry money or work to an organisation: a micro-grant award, the acceptance of a
grant report (which pays the rest), and the confirmation of a claim on a service project. When the
decider is an admin, member or social worker of that organisation the decision goes through — a
small community may have one staff member who also volunteers — but a ``ConflictFlag`` is written
in the same transaction for the community's supervisors, and the page warns the decider before
they act (``relationship``). Scoring one's own organisation's application, and deciding on an
application one applied for in person, are refused outright (``grants.services``).
"""

from .enums import MemberRole
from .models import ConflictFlag, OrganisationMember


def relationship(user, organisation) -> str | None:
    """The user's role in the organisation (``MemberRole`` value), or None when they do not belong."""
    if organisation is None or not (user and getattr(user, "is_authenticated", False)):
        return None
    return OrganisationMember.objects.filter(organisation=organisation, user=user).values_list(
        "role", flat=True).first()


def relationships(user, organisation_ids) -> dict[int, str]:
    """``{organisation id: role}`` for the organisations among ``organisation_ids`` the user belongs to
    (one query, for a page that lists many)."""
    if not (user and getattr(user, "is_authenticated", False)):
        return {}
    return dict(OrganisationMember.objects.filter(user=user, organisation_id__in=set(organisation_ids) - {None})
                .values_list("organisation_id", "role"))


def with_my_role(user, items, organisation_of):
    """``items`` as a list, each with ``my_role``: the user's ``MemberRole`` in the organisation
    ``organisation_of(item)`` (an id), or None — what a page warns the decider of before they act."""
    items = list(items)
    roles = relationships(user, [organisation_of(item) for item in items])
    for item in items:
        role = roles.get(organisation_of(item))
        item.my_role = MemberRole(role) if role else None
    return items


def flag_if_member(*, decision: str, decider, organisation, community, object_id: int, subject: str,
                   amount=None) -> ConflictFlag | None:
    """Write the flag when ``decider`` belongs to ``organisation``; call inside the decision's transaction."""
    role = relationship(decider, organisation)
    if role is None:
        return None
    return ConflictFlag.objects.create(
        community=community, decider=decider, organisation=organisation, relationship=role, decision=decision,
        object_id=object_id, subject=subject[:200], amount=amount,
    )


def flags_in(communities):
    """The flags of these communities, newest first, with what a list shows."""
    return ConflictFlag.objects.filter(community__in=communities).select_related("community", "decider",
                                                                                 "organisation")
