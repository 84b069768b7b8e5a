"""Telling people what needs them: inbox rows and mail.

``event_notify`` maps one committed ``ProposalEvent`` to the people who need to
know; the scheduled services (reminders, notice ended, monthly meeting, fund
calendar, digest) do the same for time. All of them end in
``notifications_create``, which is idempotent: the database allows one row per
(user, event, kind) or (user, kind, key), and each mail is claimed with a
conditional UPDATE before it is sent, so two workers never send it twice.

``event_notify`` is the outbox handler of the topic ``proposals.event``: the
outbox row is written with the event, so a broker or worker that was down
only delays it (``outbox.services``). A mail the server refuses is handed to
the outbox too (topic ``notifications.mail``) and retried by
``notification_mail_send``.

Rules are never enforced here (docs/domain.md, Time): a late or lost message delays
nobody's right to act and lets nothing through early.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext


from councils.enums import CouncilKind
from councils.models import Council, User
from proposals.enums import BallotKind, BallotOutcome, EventKind, ProposalStatus
from proposals.models import Ballot, Notice, Objection, Proposal, ProposalEvent
from outbox.services import outbox_put_later
from proposals.services import submission_blockers

from . import messages, selectors
from .messages import Choice, Day, PerLanguage, When
from .messages import Msg as _  # sentences stored as msgid + parameters, put into words when shown
from .enums import MailStatus, NotificationKind
from .models import KindPreference, MailPreference, Notification

logger = logging.getLogger(__name__)
K = NotificationKind

# Group councils meet on this day of each month; members are reminded this many days ahead.
MEETING_DAY = 10
MEETING_REMINDER_DAYS = 2
# Electors who have not voted are reminded this long before a ballot closes.
BALLOT_REMINDER_BEFORE = timedelta(hours=24)
# The outbox topic of a mail to retry (``ref``: the Notification's id) and the first pause.
MAIL_TOPIC = "notifications.mail"
MAIL_RETRY_AFTER = timedelta(minutes=1)


# --------------------------------------------------------------------------- helpers


def _local(at: datetime) -> When:
    return When(at)


def _money(value) -> str:
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _url(name: str, **kwargs) -> str:
    """A path inside Yishi, or "" while the page does not exist yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def proposal_url(proposal: Proposal) -> str:
    return _url("proposals:detail", pk=proposal.pk)


def ballot_url(ballot: Ballot) -> str:
    return _url("proposals:ballot", pk=ballot.pk) or proposal_url(ballot.proposal)


def absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url else ""


def _mail_status_for(user_ids, kind: str) -> dict[int, str]:
    """Each user's mail status for a new notification of ``kind`` (preferences, address)."""
    muted = set(
        KindPreference.objects.filter(user_id__in=user_ids, kind=kind, email=False).values_list("user_id", flat=True)
    )
    digest = set(
        MailPreference.objects.filter(user_id__in=user_ids, digest=True).values_list("user_id", flat=True)
    )
    emails = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "email"))
    out = {}
    for pk in user_ids:
        if not emails.get(pk):
            out[pk] = MailStatus.NO_ADDRESS
        elif pk in muted:
            out[pk] = MailStatus.OFF
        elif pk in digest:
            out[pk] = MailStatus.DIGEST
        else:
            out[pk] = MailStatus.PENDING
    return out


def _message(notification: Notification) -> EmailMessage:
    """The mail of one notification, in the recipient's language."""
    with translation.override(notification.user.language or settings.LANGUAGE_CODE):
        body = render_to_string(
            "notifications/email/notification.txt",
            {
                "notification": notification,
                "link": absolute(notification.url),
                "kind": notification.get_kind_display(),
                "settings_link": absolute(_url("notifications:preferences")),
            },
        )
        subject = gettext("【议事】%(title)s") % {"title": notification.shown_title}
    return EmailMessage(subject=subject, body=body, to=[notification.user.email])


def _retry_mail_later(pks) -> None:
    """Hand mails that could not go out to the outbox relay, which retries them with growing pauses."""
    if pks:
        outbox_put_later(topic=MAIL_TOPIC, refs=pks, delay=MAIL_RETRY_AFTER)


def _send_pending(rows) -> int:
    """Send the mail of each PENDING row once: claim it first with a conditional UPDATE.

    A mail the server refuses is marked FAILED and handed to the outbox relay,
    which retries it; so is every mail of the batch when the server cannot be
    reached at all (they stay PENDING until then).
    """
    sent = 0
    rows = list(rows)
    if not rows:
        return 0
    failed = []
    try:
        with mailers.default as connection:
            for notification in rows:
                claimed = Notification.objects.filter(pk=notification.pk, mail_status=MailStatus.PENDING).update(
                    mail_status=MailStatus.SENT, mailed_at=timezone.now()
                )
                if not claimed:
                    continue  # another worker has it
                try:
                    connection.send_messages([_message(notification)])
                    sent += 1
                except Exception:
                    logger.exception("mail for notification %s failed; the outbox relay retries it", notification.pk)
                    Notification.objects.filter(pk=notification.pk).update(mail_status=MailStatus.FAILED)
                    failed.append(notification.pk)
    except Exception:
        # The server could not be reached (or dropped the connection): nothing unclaimed went out.
        logger.exception("mail server unavailable; %d mails wait for the outbox relay", len(rows))
        failed.extend(n.pk for n in rows)
    _retry_mail_later(failed)
    return sent


def notification_mail_send(*, notification_id: int) -> int:
    """Send one notification's mail that is still PENDING or FAILED (the outbox relay's retry). Returns 1 if sent.

    Claimed with a conditional UPDATE, so a mail another worker sent in the
    meantime is not sent again. If sending fails the row is FAILED again and
    the error propagates: the relay records it and tries later.
    """
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    retryable = [MailStatus.PENDING, MailStatus.FAILED]
    if notification is None or notification.mail_status not in retryable:
        return 0
    claimed = Notification.objects.filter(pk=notification.pk, mail_status__in=retryable).update(
        mail_status=MailStatus.SENT, mailed_at=timezone.now()
    )
    if not claimed:
        return 0
    try:
        with mailers.default as connection:
            connection.send_messages([_message(notification)])
    except Exception:
        Notification.objects.filter(pk=notification.pk).update(mail_status=MailStatus.FAILED, mailed_at=None)
        raise
    return 1


# --------------------------------------------------------------------------- creating


def notifications_create(
    *, users, kind: str, title, body, url: str = "", proposal: Proposal | None = None,
    event: ProposalEvent | None = None, key: str = "",
) -> int:
    """Put one notification in each user's inbox and mail those who want it now.

    ``title`` and ``body``: text, or sentences of ``notifications.messages`` (``Msg`` with its
    parameters), which each reader sees in their language.

    Idempotent: a user already told of this event (or this key) gets nothing
    new, also when two workers do it at once (unique constraints, ignore
    conflicts). Returns the number of mails sent by this call.
    """
    if event is None and not key:
        raise ValueError("a notification needs an event or a key")
    user_ids = sorted({u if isinstance(u, int) else u.pk for u in users})
    if not user_ids:
        return 0
    status = _mail_status_for(user_ids, kind)
    now = timezone.now()
    message = {"title": messages.to_json(title), "body": messages.to_json(body)}
    with translation.override(settings.LANGUAGE_CODE):  # the stored text: the admin's, and a fallback
        title, body = messages.render(message["title"]), messages.render(message["body"])
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=pk, kind=kind, proposal=proposal, event=event, key="" if event else key,
                title=title[:200], body=body[:4000], message=message, url=url, created_at=now,
                mail_status=status[pk],
            )
            for pk in user_ids
        ],
        ignore_conflicts=True,
    )
    mine = Notification.objects.filter(kind=kind, user_id__in=user_ids, mail_status=MailStatus.PENDING)
    mine = mine.filter(event=event) if event else mine.filter(event__isnull=True, key=key)
    return _send_pending(mine.select_related("user"))


# --------------------------------------------------------------------------- proposal events


@dataclass
class Plan:
    kind: str
    users: object
    title: str
    body: str
    url: str


def _others(users, event: ProposalEvent) -> list[User]:
    """Recipients without the person who did it: nobody needs telling what they just did."""
    skip = {event.actor_id, event.on_behalf_of_id} - {None}
    return [u for u in users if u.pk not in skip]


def _ballot_of(event: ProposalEvent) -> Ballot | None:
    pk = (event.data or {}).get("ballot")
    return Ballot.objects.filter(pk=pk, proposal_id=event.proposal_id).select_related("council").first() if pk else None


def _plans_ballot_opened(event: ProposalEvent, p: Proposal) -> list[Plan]:
    ballot = _ballot_of(event)
    if ballot is None:
        return []
    # The opener may be an elector too (a group-council member): they still need to vote.
    return [
        Plan(
            K.VOTE_NEEDED, selectors.ballot_electors(ballot),
            _("请对“%(title)s”表决") % {"title": p.title},
            _(
                "%(council)s就议案“%(title)s”发起了%(kind)s，截止时间 %(at)s。您是表决人之一，"
                "请在截止前表明赞成、反对或弃权；不投票不算赞成。"
            )
            % {"council": ballot.council.name, "title": p.title, "kind": Choice(BallotKind, ballot.kind),
               "at": _local(ballot.closes_at)},
            ballot_url(ballot),
        )
    ]


def _plans_submitted(event: ProposalEvent, p: Proposal) -> list[Plan]:
    return [
        Plan(
            K.REVIEW_NEEDED, _others(selectors.group_council_members(p.group), event),
            _("新议案待审议：%(title)s") % {"title": p.title},
            _("%(author)s提交了议案“%(title)s”（总预算 %(total)s 元），请小组议事会审议。")
            % {"author": p.author.display_name, "title": p.title, "total": _money(p.total)},
            proposal_url(p),
        )
    ]


def _plans_submitted_to_community(event: ProposalEvent, p: Proposal) -> list[Plan]:
    # Community staff open the community ballot (docs/domain.md, who uses it).
    return [
        Plan(
            K.REVIEW_NEEDED, _others(selectors.community_staff(p.group.community), event),
            _("议案提交社区：%(title)s") % {"title": p.title},
            _("%(group)s的议案“%(title)s”公示期满，已提交社区议事会（总预算 %(total)s 元）。请发起社区表决。")
            % {"group": p.group.name, "title": p.title, "total": _money(p.total)},
            _url("councils:staff_home"),
        )
    ]


def _plans_notice_published(event: ProposalEvent, p: Proposal) -> list[Plan]:
    notice = Notice.objects.filter(pk=(event.data or {}).get("notice"), proposal=p).first()
    if notice is None:
        return []
    return [
        Plan(
            K.NOTICE_PUBLISHED, _others(selectors.group_residents(p.group), event),
            _("公示：%(title)s") % {"title": p.title},
            _(
                "%(group)s议事会通过的决议“%(title)s”正在公示，至 %(at)s 结束。"
                "总预算 %(total)s 元，其中申请公服资金 %(share)s 元。如有异议，请在公示期内提出。"
            )
            % {"group": p.group.name, "title": p.title, "at": _local(notice.ends_at),
               "total": _money(notice.resolution.total), "share": _money(notice.resolution.community_share)},
            proposal_url(p),
        )
    ]


def _plans_objection_filed(event: ProposalEvent, p: Proposal) -> list[Plan]:
    users = [p.author, *selectors.group_council_members(p.group)]
    return [
        Plan(
            K.OBJECTION_FILED, _others(users, event),
            _("“%(title)s”收到一条异议") % {"title": p.title},
            _("公示中的议案“%(title)s”收到一条异议。小组议事会需要答复每一条异议，议案才能提交社区。")
            % {"title": p.title},
            proposal_url(p),
        )
    ]


def _plans_objection_answered(event: ProposalEvent, p: Proposal) -> list[Plan]:
    objection = Objection.objects.filter(pk=(event.data or {}).get("objection"), notice__proposal=p).first()
    if objection is None:
        return []
    verdict = _("已采纳，议案退回小组重新议事") if objection.upheld else _("未采纳")
    return [
        Plan(
            K.OBJECTION_ANSWERED, _others([objection.resident], event),
            _("您对“%(title)s”的异议已答复") % {"title": p.title},
            _("小组议事会答复了您的异议：%(verdict)s。答复：%(answer)s")
            % {"verdict": verdict, "answer": objection.answer},
            proposal_url(p),
        )
    ]


def _plans_ballot_closed(event: ProposalEvent, p: Proposal) -> list[Plan]:
    ballot = _ballot_of(event)
    if ballot is None or ballot.closed_at is None:
        return []
    followers = selectors.within_community(p.followers.all(), p.group.community)
    users = {
        u.pk: u
        for u in [p.author, *followers, *selectors.group_council_members(p.group), *selectors.ballot_electors(ballot)]
    }
    outcome = Choice(BallotOutcome, ballot.outcome)
    return [
        Plan(
            K.BALLOT_CLOSED, _others(users.values(), event),
            _("表决结果：“%(title)s”%(outcome)s") % {"title": p.title, "outcome": outcome},
            _(
                "%(kind)s已结束：赞成 %(approve)d 票，反对 %(oppose)d 票，弃权 %(abstain)d 票；"
                "应参加表决 %(electorate)d 人，通过需要 %(needed)d 票。结果：%(outcome)s。"
            )
            % {"kind": Choice(BallotKind, ballot.kind), "approve": ballot.approve_count, "oppose": ballot.oppose_count,
               "abstain": ballot.abstain_count, "electorate": ballot.electorate_size,
               "needed": (event.data or {}).get("needed", 0), "outcome": outcome},
            proposal_url(p),
        )
    ]


def _requested_share(event: ProposalEvent, p: Proposal):
    """The community share asked for: the event says so, or the latest resolution froze it."""
    amounts = event.amounts or {}
    for key in ("requested_share", "requested"):
        if amounts.get(key) is not None:
            return Decimal(amounts[key])
    resolution = p.resolutions.order_by("-number").first()
    return resolution.community_share if resolution else p.community_share


def _plans_approved(event: ProposalEvent, p: Proposal) -> list[Plan]:
    # Everyone who hears the outcome, and the street office, whose budget review comes next (R8).
    queue = _url("funding:review_queue")
    return [
        *_plans_ballot_closed(event, p),
        Plan(
            K.REVIEW_NEEDED, _others(selectors.street_staff(p.group.community.subdistrict), event),
            _("预算待审核：%(title)s") % {"title": p.title},
            _("%(community)s议事会表决通过了“%(title)s”（总预算 %(total)s 元，申请公服资金 %(share)s 元）。请审核预算。")
            % {"community": p.group.community.name, "title": p.title, "total": _money(p.total),
               "share": _money(_requested_share(event, p))},
            queue and f"{queue}#review-{p.pk}",
        ),
    ]


def _plans_budget_approved(event: ProposalEvent, p: Proposal) -> list[Plan]:
    amounts = event.amounts or {}
    approved = Decimal(amounts.get("community_share", p.community_share))
    requested = _requested_share(event, p)
    lowered = bool((event.data or {}).get("lowered")) or approved < requested
    users = _others([p.author, *selectors.group_council_members(p.group)], event)
    if lowered:
        return [
            Plan(
                K.BUDGET_LOWERED, users,
                _("“%(title)s”预算核减后通过") % {"title": p.title},
                _("街道审核了“%(title)s”的预算：公服资金由申请的 %(requested)s 元核减为 %(approved)s 元。%(reason)s")
                % {"title": p.title, "requested": _money(requested), "approved": _money(approved),
                   "reason": event.reason},
                proposal_url(p),
            )
        ]
    return [
        Plan(
            K.BUDGET_APPROVED, users,
            _("“%(title)s”预算审核通过") % {"title": p.title},
            _("街道审核通过了“%(title)s”的预算，核准公服资金 %(approved)s 元。下一步：登记居民自筹资金。")
            % {"title": p.title, "approved": _money(approved)},
            proposal_url(p),
        )
    ]


def _plans_budget_returned(event: ProposalEvent, p: Proposal) -> list[Plan]:
    return [
        Plan(
            K.BUDGET_RETURNED, _others([p.author, *selectors.group_council_members(p.group)], event),
            _("“%(title)s”预算被退回") % {"title": p.title},
            _("街道退回了“%(title)s”的预算，议案回到小组议事。理由：%(reason)s")
            % {"title": p.title, "reason": event.reason},
            proposal_url(p),
        )
    ]


def _money_watchers(p: Proposal) -> list[User]:
    community = p.group.community
    return [
        *selectors.group_council_members(p.group),
        *selectors.community_staff(community),
        *selectors.street_staff(community.subdistrict),
    ]


def _plans_funds_released(event: ProposalEvent, p: Proposal) -> list[Plan]:
    amount = (event.amounts or {}).get("community_share") or (event.amounts or {}).get("amount")
    return [
        Plan(
            K.FUNDS_RELEASED, _others(_money_watchers(p), event),
            _("“%(title)s”资金已拨付") % {"title": p.title},
            _("“%(title)s”的公服资金 %(amount)s 元已拨付，可以开始比选施工方。")
            % {"title": p.title, "amount": _money(amount if amount is not None else p.community_share)},
            proposal_url(p),
        )
    ]


def _plans_hold(event: ProposalEvent, p: Proposal) -> list[Plan]:
    placed = event.kind == EventKind.HOLD_PLACED
    return [
        Plan(
            K.HOLD_PLACED if placed else K.HOLD_LIFTED, _others(_money_watchers(p), event),
            (_("监督暂停：%(title)s") if placed else _("解除暂停：%(title)s")) % {"title": p.title},
            (
                _("监督人员暂停了“%(title)s”的资金拨付和决算，暂停解除前不能拨付。理由：%(reason)s")
                if placed
                else _("监督人员解除了“%(title)s”的暂停。理由：%(reason)s")
            )
            % {"title": p.title, "reason": event.reason},
            proposal_url(p),
        )
    ]


_HANDLERS = {
    EventKind.BALLOT_OPENED: _plans_ballot_opened,
    EventKind.SUBMITTED: _plans_submitted,
    EventKind.SUBMITTED_TO_COMMUNITY: _plans_submitted_to_community,
    EventKind.NOTICE_PUBLISHED: _plans_notice_published,
    EventKind.OBJECTION_FILED: _plans_objection_filed,
    EventKind.OBJECTION_ANSWERED: _plans_objection_answered,
    # A closing ballot writes one of these four, depending on its kind and outcome.
    EventKind.BALLOT_CLOSED: _plans_ballot_closed,
    EventKind.ADOPTED: _plans_ballot_closed,
    EventKind.APPROVED: _plans_approved,
    EventKind.REJECTED: _plans_ballot_closed,
    EventKind.BUDGET_APPROVED: _plans_budget_approved,
    EventKind.BUDGET_RETURNED: _plans_budget_returned,
    EventKind.FUNDS_RELEASED: _plans_funds_released,
    EventKind.HOLD_PLACED: _plans_hold,
    EventKind.HOLD_LIFTED: _plans_hold,
}


def event_notify(*, event_id: int) -> int:
    """Tell the people a committed proposal event concerns. Safe to run twice. Returns mails sent."""
    event = (
        ProposalEvent.objects.select_related("proposal__group__community__subdistrict", "proposal__author")
        .filter(pk=event_id)
        .first()
    )
    if event is None or event.kind not in _HANDLERS:
        return 0
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for plan in _HANDLERS[event.kind](event, event.proposal):
            sent += notifications_create(
                users=plan.users, kind=plan.kind, title=plan.title, body=plan.body, url=plan.url,
                proposal=event.proposal, event=event,
            )
    return sent


# --------------------------------------------------------------------------- scheduled


def ballot_reminders_send(*, now: datetime | None = None) -> int:
    """Remind electors who have not voted, within 24 h of ``closes_at``. Once per elector per ballot."""
    now = now or timezone.now()
    ballots = Ballot.objects.filter(
        closed_at__isnull=True, closes_at__gt=now, closes_at__lte=now + BALLOT_REMINDER_BEFORE
    ).select_related("proposal", "council")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for ballot in ballots:
            p = ballot.proposal
            sent += notifications_create(
                users=selectors.electors_not_voted(ballot), kind=K.BALLOT_REMINDER, key=f"ballot:{ballot.pk}",
                proposal=p, url=ballot_url(ballot),
                title=_("表决将于 %(at)s 截止：%(title)s") % {"at": _local(ballot.closes_at), "title": p.title},
                body=_(
                    "您还没有对“%(title)s”（%(kind)s）投票。表决将于 %(at)s 截止，截止后不能再投票；"
                    "不投票不算赞成。"
                )
                % {"title": p.title, "kind": Choice(BallotKind, ballot.kind), "at": _local(ballot.closes_at)},
            )
    return sent


def notices_ended_notify(*, now: datetime | None = None) -> int:
    """Tell a group council that its notice has run its full time and what, if anything, still blocks submission."""
    now = now or timezone.now()
    notices = Notice.objects.filter(
        voided_at__isnull=True, ends_at__lte=now, proposal__status=ProposalStatus.NOTICE
    ).select_related("proposal__group", "resolution")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for notice in notices:
            p = notice.proposal
            blockers = submission_blockers(p, now)
            body = _("“%(title)s”的公示已于 %(at)s 期满。") % {"title": p.title, "at": _local(notice.ends_at)}
            if blockers:
                # The reasons are proposals' sentences: kept in every language as they are now.
                body += _("提交社区前还需处理：") + PerLanguage.of(lambda p=p: " ".join(submission_blockers(p, now)))
            else:
                body += _("小组议事会现在可以把决议提交社区议事会。")
            sent += notifications_create(
                users=selectors.group_council_members(p.group), kind=K.NOTICE_ENDED, key=f"notice:{notice.pk}",
                proposal=p, url=proposal_url(p), title=_("公示期满：%(title)s") % {"title": p.title}, body=body,
            )
    return sent


def meeting_reminders_send(*, now: datetime | None = None) -> int:
    """Remind every group council of its monthly meeting on the 10th, from two days ahead until the day before.

    Sent once per member per council per month, so a worker that was down on
    the 8th still reminds on the 9th.
    """
    today = timezone.localdate(now or timezone.now())
    meeting_day = date(today.year, today.month, MEETING_DAY)
    if not (meeting_day - timedelta(days=MEETING_REMINDER_DAYS) <= today < meeting_day):
        return 0
    sent = 0
    councils = Council.objects.filter(kind=CouncilKind.GROUP).select_related("group")
    with translation.override(settings.LANGUAGE_CODE):
        for council in councils:
            sent += notifications_create(
                users=selectors.group_council_members(council.group), kind=K.MEETING_REMINDER,
                key=f"meeting:{council.pk}:{meeting_day:%Y-%m}", url=_url("proposals:meetings"),
                title=_("%(date)s 议事会例会") % {"date": Day(meeting_day, "MONTH_DAY_FORMAT")},
                body=_(
                    "%(council)s每月 %(day)d 日召开例会，本月例会在 %(date)s。"
                    "请准备要审议的议案，会后记录应到、实到和会议记录。"
                )
                % {"council": council.name, "day": MEETING_DAY, "date": Day(meeting_day, "DATE_FORMAT")},
            )
    return sent


@dataclass(frozen=True)
class FundDate:
    """A date in the public-service fund's year that street-office staff must not miss."""

    code: str
    month: int
    day: int
    title: str
    body: str


def fund_calendar_warn(*, calendar, lead_days: int, details=None, now: datetime | None = None) -> int:
    """Warn each subdistrict's street-office staff of fund-calendar dates ``lead_days`` ahead.

    ``calendar``: ``FundDate`` items; ``details(code, subdistrict) -> str``
    adds what is due (e.g. unspent balances). Once per person, subdistrict,
    date and year.
    """
    from councils.models import Subdistrict

    today = timezone.localdate(now or timezone.now())
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for item in calendar:
            due = date(today.year, item.month, item.day)
            if not (due - timedelta(days=lead_days) <= today <= due):
                continue
            for subdistrict in Subdistrict.objects.all():
                # The calendar's sentences (lazy strings, or text from settings) and the details are
                # funding's: kept in every language as they read now.
                def text(item=item, due=due, subdistrict=subdistrict):
                    body = str(item.body) % {"date": date_format(due, "DATE_FORMAT"), "days": (due - today).days}
                    extra = details(item.code, subdistrict) if details else ""
                    return f"{body}\n{extra}" if extra else body

                body = PerLanguage.of(text)
                title = PerLanguage.of(lambda item=item, due=due: str(item.title) % {
                    "date": date_format(due, "MONTH_DAY_FORMAT")})
                sent += notifications_create(
                    users=selectors.street_staff(subdistrict), kind=K.FUND_CALENDAR,
                    key=f"fund:{subdistrict.pk}:{item.code}:{due.year}",
                    title=title, body=body,
                    url=_url("funding:funds"),
                )
    return sent


def digests_send(*, now: datetime | None = None) -> int:
    """One mail per person with every notification waiting for their daily digest.

    Rows are claimed with ``select_for_update(skip_locked=True)``: a second
    worker skips a person already being sent, and a failed send rolls back so
    the rows wait for the next run.
    """
    user_ids = (
        Notification.objects.filter(mail_status=MailStatus.DIGEST).values_list("user_id", flat=True).distinct()
    )
    sent = 0
    for user_id in list(user_ids):
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(user_id=user_id, mail_status=MailStatus.DIGEST)
                .order_by("created_at", "pk")
            )
            if not rows:
                continue
            user = User.objects.get(pk=user_id)
            if not user.email:
                Notification.objects.filter(pk__in=[n.pk for n in rows]).update(mail_status=MailStatus.NO_ADDRESS)
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):  # the recipient's language
                body = render_to_string(
                    "notifications/email/digest.txt",
                    {
                        "user": user,
                        "items": [(n, absolute(n.url)) for n in rows],
                        "inbox_link": absolute(_url("notifications:inbox")),
                        "settings_link": absolute(_url("notifications:preferences")),
                    },
                )
                subject = gettext("【议事】今日汇总：%(n)d 条通知") % {"n": len(rows)}
            with mailers.default as connection:
                connection.send_messages([EmailMessage(subject=subject, body=body, to=[user.email])])
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
                mail_status=MailStatus.SENT, mailed_at=now or timezone.now()
            )
            sent += 1
    return sent


# --------------------------------------------------------------------------- the inbox


def notifications_mark_read(*, user: User, notification: Notification | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read. Returns rows changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification is not None:
        qs = qs.filter(pk=notification.pk)
    return qs.update(read_at=timezone.now())


def preferences_update(*, user: User, email_kinds, digest: bool, language: str | None = None) -> None:
    """Set which kinds come by mail (the rest stay in the inbox only), whether mail comes as a daily
    digest, and (when given) the language the mail is written in."""
    wanted = set(email_kinds)
    unknown = wanted - set(K.values)
    if unknown:
        raise ValueError(f"unknown notification kinds: {sorted(unknown)}")
    if language is not None and language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language: {language!r}")
    with transaction.atomic():
        if language is not None and user.language != language:
            user.language = language
            user.save(update_fields=["language"])
        MailPreference.objects.update_or_create(user=user, defaults={"digest": bool(digest)})
        for kind in K.values:
            KindPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": kind in wanted})

