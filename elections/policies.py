"""Who may do what in an election. Memberships come from ``councils.policies``."""

from councils import policies as cp


def can_manage(user, election) -> bool:
    """Community staff run the elections of their community's councils and board."""
    return cp.is_community_staff(user, election.community)


def can_see_roll(user, election) -> bool:
    """Staff and supervisors see who voted and how (online, paper and box); nobody sees choices."""
    return can_manage(user, election) or cp.is_supervisor_of(user, election.community)


def in_scope(user, election) -> bool:
    """Residents of the community, its staff and supervisors may read an election's private pages."""
    if can_see_roll(user, election):
        return True
    residency = cp.current_residency(user)
    return residency is not None and residency.group.community_id == election.community_id


def touches_community(user, community) -> bool:
    """Any membership in the community (or over it): tells a 403 from a 404."""
    if not (user and user.is_authenticated):
        return False
    if can_see_roll_in(user, community):
        return True
    if cp.holds_post_or_seat_in(user, community):
        return True
    residency = cp.current_residency(user)
    return residency is not None and residency.group.community_id == community.pk


def can_see_roll_in(user, community) -> bool:
    return cp.is_community_staff(user, community) or cp.is_supervisor_of(user, community)
