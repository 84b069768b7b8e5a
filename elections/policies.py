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
