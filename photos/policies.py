"""Who may see, add and remove the photos of each kind of object.

Seeing a photo follows seeing its object: a draft's photos are the group's
business (404 to everyone else, like the draft itself); a candidate's face is
public when nominations close (the statements are published then), before that
only the candidate and the staff running the election see it. Adding and
removing is for the people who answer for the object (its author, the council,
the staff in scope); the services ask again under their locks.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies as cp
from elections import policies as ep
from elections.enums import ElectionStatus
from proposals.enums import ProposalStatus as S
from proposals.selectors import can_view_proposal

# Site photos may be added until the proposal is closed without being built.
PROPOSAL_CLOSED = (S.REJECTED, S.WITHDRAWN)
# A roadshow is recorded while the proposal waits for or is in its community vote.
ROADSHOW_STATUSES = (S.SUBMITTED, S.COMMUNITY_VOTE)


def _authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


def can_view_target(user, kind: str, target) -> bool:
    if kind == "proposal":
        return can_view_proposal(user, target)
    if kind == "agenda_item":
        return can_view_proposal(user, target.proposal)
    if kind == "need":
        return True  # the needs ledger is public (it never names who raised a need; nor do photos)
    if kind == "candidate":
        election = target.election
        if timezone.now() >= election.nominations_close:
            return True
        return _authenticated(user) and (target.user_id == user.pk or ep.can_manage(user, election))
    raise ValueError(kind)


def can_view(user, photo) -> bool:
    return photo.removed_at is None and can_view_target(user, photo.target_kind, photo.target)


def _proposal_people(user, proposal) -> bool:
    group = proposal.group
    return (
        user.pk in (proposal.author_id, proposal.entered_by_id)
        or cp.is_group_council_member(user, group)
        or cp.is_community_staff(user, group.community)
    )


def _roadshow_people(user, item) -> bool:
    council = item.meeting.council
    return cp.is_seated(user, council) or cp.is_community_staff(user, council.community)


def add_refusal(user, kind: str, target) -> str | None:
    """Why ``user`` may not add a photo to ``target`` now (a sentence), or None when they may."""
    if not _authenticated(user):
        return _("请先登录。")
    if kind == "proposal":
        if not _proposal_people(user, target):
            return _("只有提议人、小组议事会成员和社区工作人员可以为议案添加现场照片。")
        if target.status in PROPOSAL_CLOSED:
            return _("这个议案已经结束，不能再添加照片。")
        return None
    if kind == "agenda_item":
        if not _roadshow_people(user, target):
            return _("只有社区议事会成员或社区工作人员可以添加路演照片。")
        if target.proposal.status not in ROADSHOW_STATUSES:
            return _("只有已提交社区、尚未表决结束的议案才能添加路演照片。")
        return None
    if kind == "need":
        if target.resident_id != user.pk and not cp.is_community_staff(user, target.community):
            return _("只有提出需求的居民和社区工作人员可以为需求添加照片。")
        return None
    if kind == "candidate":
        election = target.election
        if target.user_id != user.pk and not ep.can_manage(user, election):
            return _("只有候选人本人和社区工作人员可以上传候选人照片。")
        if election.status != ElectionStatus.SCHEDULED or timezone.now() >= election.opens_at:
            return _("投票开始后不能再更换候选人照片。")
        return None
    raise ValueError(kind)


def remove_refusal(user, photo) -> str | None:
    """Why ``user`` may not remove ``photo`` (a sentence), or None. Staff in scope always may."""
    if not _authenticated(user):
        return _("请先登录。")
    if photo.uploaded_by_id == user.pk:
        return None
    kind, target = photo.target_kind, photo.target
    if kind == "proposal" and _proposal_people(user, target):
        return None
    if kind == "agenda_item" and _roadshow_people(user, target):
        return None
    if kind == "need" and (target.resident_id == user.pk or cp.is_community_staff(user, target.community)):
        return None
    if kind == "candidate" and (target.user_id == user.pk or ep.can_manage(user, target.election)):
        return None
    return _("只有上传人、对这件事负责的人和社区工作人员可以删除这张照片。")
