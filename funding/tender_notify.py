"""Telling people about open tenders (R24): organisations when one is published, residents when they may vote.

Called with ``transaction.on_commit`` from ``funding.tenders``; keyed, so running
twice tells nobody twice. Sealed: nothing here names a bidder or an amount
before the close — the published message carries the tender only.
"""

from django.db.models import Q
from django.urls import reverse

from notifications.enums import NotificationKind as K
from notifications.messages import Msg as _  # put into words in each reader's language when shown
from notifications.messages import When
from notifications.services import notifications_create
from organisations.enums import ENTERPRISE_MAY_BID, MAY_BID, MemberRole, OrganisationKind
from organisations.models import OrganisationMember

from .models import Tender


def eligible_admins(tender: Tender) -> list[int]:
    """Admins of ACTIVE organisations serving the tender's community, and of every registered company."""
    serving = Q(organisation__status__in=MAY_BID, organisation__communities=tender.community_id)
    companies = Q(organisation__kind=OrganisationKind.ENTERPRISE, organisation__status__in=ENTERPRISE_MAY_BID)
    return list(
        OrganisationMember.objects.filter(role=MemberRole.ADMIN).filter(serving | companies)
        .values_list("user_id", flat=True).distinct()
    )


def tender_published(tender_id: int) -> int:
    tender = Tender.objects.select_related("community").get(pk=tender_id)
    return notifications_create(
        users=eligible_admins(tender), kind=K.TENDER_PUBLISHED,
        title=_("新的招标：%(title)s") % {"title": tender.title},
        body=_("%(community)s发布招标“%(title)s”，投标截止 %(at)s。") % {
            "community": tender.community.name, "title": tender.title, "at": When(tender.closes_at)},
        url=reverse("funding:tender", args=[tender.pk]), key=f"tender:{tender.pk}:published",
    )


def tender_voting(tender_id: int) -> int:
    from .tenders import voters_of

    tender = Tender.objects.select_related("community", "proposal").get(pk=tender_id)
    n = tender.bids.count()
    if n == 0:
        return 0
    return notifications_create(
        users=list(voters_of(tender).values_list("user_id", flat=True)), kind=K.TENDER_VOTING,
        title=_("请为“%(title)s”的投标方投票") % {"title": tender.title},
        body=_("“%(title)s”的投标已截止，共 %(n)d 家投标，报价已公开。请在 %(at)s 前投票，每人一票。") % {
            "title": tender.title, "n": n, "at": When(tender.votes_close_at)},
        url=reverse("funding:tender_ballot", args=[tender.pk]), key=f"tender:{tender.pk}:voting",
        proposal=tender.proposal,
    )
