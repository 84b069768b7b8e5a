"""Who acts for an organisation (R18): its member users; admins manage it."""

from .enums import MemberRole
from .models import Organisation, OrganisationMember


def is_member(user, organisation: Organisation) -> bool:
    if not (user and getattr(user, "is_authenticated", False)):
        return False
    return OrganisationMember.objects.filter(organisation=organisation, user=user).exists()


def is_admin(user, organisation: Organisation) -> bool:
    if not (user and getattr(user, "is_authenticated", False)):
        return False
    return OrganisationMember.objects.filter(organisation=organisation, user=user, role=MemberRole.ADMIN).exists()


def organisations_of(user):
    """Organisations ``user`` is a member of."""
    if not (user and getattr(user, "is_authenticated", False)):
        return Organisation.objects.none()
    return Organisation.objects.filter(members__user=user).distinct()
