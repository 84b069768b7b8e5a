"""Telling people about steps they must act on (needs, claims, micro-grants).

Called from the services with ``transaction.on_commit``, so a refused step
tells nobody; each message has a key, so running twice tells nobody twice
(``notifications_create`` is idempotent). Rules are never enforced here.
"""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from councils.enums import StaffLevel
from councils.models import BoardSeat, StaffPost
from notifications.enums import NotificationKind as K
from notifications.messages import Choice
from notifications.messages import Msg as _  # put into words in each reader's language when shown
from notifications.services import notifications_create
from organisations.models import OrganisationMember


def community_staff(community):
    return list(StaffPost.objects.current().filter(level=StaffLevel.COMMUNITY, community=community)
                .values_list("user_id", flat=True))


def supervisors(community):
    return list(
        BoardSeat.objects.current()
        .filter(Q(board__community=community) | Q(board__subdistrict_id=community.subdistrict_id))
        .values_list("user_id", flat=True)
    )


def organisation_people(organisation_ids):
    return list(OrganisationMember.objects.filter(organisation_id__in=organisation_ids).values_list("user_id", flat=True))


def need_answered(need_id: int) -> int:
    from .enums import NeedStatus
    from .models import Need

    need = Need.objects.select_related("project").get(pk=need_id)
    if need.resident_id is None:
        return 0
    answer = Choice(NeedStatus, need.status)
    body = _("您提出的需求“%(text)s”：%(answer)s。%(reason)s") % {
        "text": need.text[:40], "answer": answer, "reason": need.answer_reason}
    return notifications_create(users=[need.resident_id], kind=K.NEED_ANSWERED, title=_("您的需求已回应"), body=body,
                                url=reverse("needs:mine"), key=f"need:{need.pk}:{need.status}")


def claim_waiting(claim_id: int) -> int:
    from .models import Claim

    claim = Claim.objects.select_related("project__community", "organisation").get(pk=claim_id)
    return notifications_create(
        users=community_staff(claim.project.community), kind=K.CLAIM_WAITING, title=_("项目认领待确认"),
        body=_("%(org)s认领了项目“%(title)s”，请确认。") % {"org": claim.organisation.name, "title": claim.project.title},
        url=reverse("needs:project", args=[claim.project_id]), key=f"claim:{claim.pk}:waiting",
    )


def claims_decided(project_id: int) -> int:
    from .enums import ClaimStatus
    from .models import Claim

    sent = 0
    for claim in Claim.objects.filter(project_id=project_id).exclude(status=ClaimStatus.PENDING).select_related(
            "project", "organisation"):
        if claim.status == ClaimStatus.CONFIRMED:
            body = _("%(org)s认领的项目“%(title)s”已确认，可以开始服务并记录。") % {
                "org": claim.organisation.name, "title": claim.project.title}
        else:
            body = claim.decline_reason
        sent += notifications_create(
            users=organisation_people([claim.organisation_id]), kind=K.CLAIM_DECIDED, title=_("项目认领结果"),
            body=body, url=reverse("needs:project", args=[project_id]), key=f"claim:{claim.pk}:decided",
        )
    return sent


def service_completed(project_id: int) -> int:
    from .models import Need, NeedSupport, ServiceProject

    project = ServiceProject.objects.get(pk=project_id)
    needs = Need.objects.filter(project=project)
    users = set(needs.exclude(resident=None).values_list("resident_id", flat=True))
    users |= set(NeedSupport.objects.filter(need__in=needs).values_list("resident_id", flat=True))
    return notifications_create(
        users=users, kind=K.SERVICE_COMPLETED, title=_("服务已完成，请评价"),
        body=_("项目“%(title)s”已完成，欢迎给服务打分。") % {"title": project.title},
        url=reverse("needs:mine"), key=f"project:{project.pk}:completed",
    )


def overdue_needs_notify(*, now=None) -> int:
    """Tell the supervisors of each community about needs that just passed their response time."""
    from councils.models import Community

    from .selectors import overdue_needs

    now = now or timezone.now()
    sent = 0
    for community in Community.objects.filter(needs__status="open", needs__due_at__lte=now).distinct():
        for need in overdue_needs([community], now=now)[:200]:
            sent += notifications_create(
                users=supervisors(community), kind=K.NEED_OVERDUE, title=_("需求超期未回应"),
                body=_("%(community)s的需求“%(text)s”已超过回应时限。") % {
                    "community": community.name, "text": need.text[:40]},
                url=reverse("needs:overdue"), key=f"need:{need.pk}:overdue",
            )
    return sent
