"""Telling grantees and staff about micro-grant steps they must act on (after commit, idempotent by key)."""

from django.urls import reverse

from councils.enums import StaffLevel
from councils.models import StaffPost
from notifications.enums import NotificationKind as K
from notifications.messages import Msg as _  # put into words in each reader's language when shown
from notifications.services import notifications_create


def community_staff(community):
    return list(StaffPost.objects.current().filter(level=StaffLevel.COMMUNITY, community=community)
                .values_list("user_id", flat=True))


def _grantees(application):
    if application.organisation_id:
        return list(application.organisation.members.values_list("user_id", flat=True))
    return list(application.applicants.values_list("resident_id", flat=True))


def grant_awarded(award_id: int) -> int:
    from .models import GrantAward

    award = GrantAward.objects.select_related("application", "call").get(pk=award_id)
    return notifications_create(
        users=_grantees(award.application), kind=K.GRANT_AWARDED, title=_("微创投获资助"),
        body=_("“%(title)s”获资助 %(amount)s 元，首笔 %(first)s 元已拨付；项目结束后请提交报告（服务人次、实际支出）。")
        % {"title": award.application.title, "amount": award.amount, "first": award.first_tranche},
        url=reverse("grants:call", args=[award.call_id]), key=f"grant_award:{award.pk}:awarded",
    )


def grant_reported(award_id: int) -> int:
    from .models import GrantAward

    award = GrantAward.objects.select_related("application", "call__community").get(pk=award_id)
    return notifications_create(
        users=community_staff(award.call.community), kind=K.GRANT_REPORT_WAITING, title=_("微创投报告待验收"),
        body=_("“%(title)s”提交了报告，请验收后拨付尾款。") % {"title": award.application.title},
        url=reverse("grants:call", args=[award.call_id]), key=f"grant_award:{award.pk}:reported",
    )
