"""Each notification kind reaches exactly the right people, in the inbox and by mail.

Every test builds two worlds (two subdistricts, each with a community, group,
councils and staff) and acts in the first: nobody of the second may be told.
Actions run inside ``django_capture_on_commit_callbacks(execute=True)`` so the
outbox's fast path (the eager ``deliver_message`` task for the row written with
the event) runs as it does after a real commit.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from councils.enums import StaffLevel
from councils.models import StaffPost
from notifications import services as ns
from notifications.enums import MailStatus
from notifications.enums import NotificationKind as K
from notifications.models import Notification
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import ProposalEvent
from tests.factories import (
    UserFactory,
    backdate_memberships,
    build_world,
    group_adopt,
    to_community_vote,
    to_group_review,
    to_notice,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def worlds(db):
    here = build_world(community_seats=6, residents=3)
    there = build_world(community_seats=6, residents=3, prefix="外")
    return here, there


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit callbacks (signal → receiver → task) at its end."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


def told(kind, proposal=None) -> set[int]:
    qs = Notification.objects.filter(kind=kind)
    if proposal is not None:
        qs = qs.filter(proposal=proposal)
    return set(qs.values_list("user_id", flat=True))


def mailed_to() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def pks(users) -> set[int]:
    return {u.pk for u in users}


def emails(users) -> set[str]:
    return {u.email for u in users}


def everyone(world) -> set[int]:
    users = [*world.group_members, *world.community_members, *world.residents, world.staff, world.street_staff,
             world.supervisor, world.party_member]
    return pks(users)


def assert_told_exactly(kind, expected, proposal=None, *, outsiders=()):
    assert told(kind, proposal) == pks(expected)
    assert mailed_to() == emails(expected)
    assert not told(kind) & set().union(*[everyone(w) for w in outsiders])


def test_review_needed_goes_to_the_group_council(worlds, committed):
    here, there = worlds
    p = ps.proposal_create(author=here.author, group=here.group, title="北苑后门维修", summary="修后门",
                           lines=[("后门维修", 1, "项", "12000")], community_share="6000")
    mail.outbox.clear()
    with committed():
        ps.proposal_submit(proposal=p, actor=here.author)
    assert_told_exactly(K.REVIEW_NEEDED, here.group_members, p, outsiders=[there])
    assert all("北苑后门维修" in m.subject for m in mail.outbox)


def test_submission_to_the_community_tells_community_staff_to_open_the_ballot(worlds, committed):
    here, there = worlds
    backdate_memberships(here)
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        p, _notice = to_notice(here)
    mail.outbox.clear()
    with committed():
        ps.proposal_submit_to_community(proposal=p, actor=here.group_members[0])
    # The community party organisation's posts are community posts (R23): its members are told too.
    assert_told_exactly(K.REVIEW_NEEDED, [here.staff, here.party_member], p, outsiders=[there])
    note = Notification.objects.get(kind=K.REVIEW_NEEDED, proposal=p, user=here.staff)
    assert note.url == reverse("councils:staff_home") and "请发起社区表决" in note.body


def test_vote_needed_goes_to_the_frozen_group_electorate_including_the_opener(worlds, committed):
    here, there = worlds
    p = to_group_review(here)
    mail.outbox.clear()
    with committed():
        ballot = ps.group_ballot_open(proposal=p, actor=here.group_members[0],
                                      closes_at=timezone.now() + timedelta(days=2))
    assert_told_exactly(K.VOTE_NEEDED, here.group_members, p, outsiders=[there])
    link = reverse("proposals:ballot", kwargs={"pk": ballot.pk})
    assert set(Notification.objects.filter(kind=K.VOTE_NEEDED).values_list("url", flat=True)) == {link}
    assert all(f"{settings.SITE_URL}{link}" in m.body for m in mail.outbox)


def test_vote_needed_for_a_community_ballot_goes_to_the_community_council(worlds, committed):
    here, there = worlds
    with committed():
        p, ballot = to_community_vote(here)
    assert told(K.VOTE_NEEDED, p) - pks(here.group_members) == pks(here.community_members)
    assert not told(K.VOTE_NEEDED) & everyone(there)
    notes = Notification.objects.filter(kind=K.VOTE_NEEDED, event__data__ballot=ballot.pk)
    assert set(notes.values_list("user_id", flat=True)) == pks(here.community_members)


def test_notice_published_goes_to_the_group_residents_but_not_the_publisher(worlds, committed):
    here, there = worlds
    p = to_group_review(here)
    group_adopt(here, p)
    mail.outbox.clear()
    with committed():
        ps.notice_publish(proposal=p, actor=here.group_members[0])
    expected = [*here.group_members[1:], *here.residents]
    assert_told_exactly(K.NOTICE_PUBLISHED, expected, p, outsiders=[there])


def test_objection_filed_goes_to_the_author_and_the_group_council(worlds, committed):
    here, there = worlds
    p, notice = to_notice(here)
    objector = here.residents[1]
    mail.outbox.clear()
    with committed():
        ps.objection_file(notice=notice, resident=objector, text="围墙防盗刺会伤到孩子")
    assert_told_exactly(K.OBJECTION_FILED, [here.author, *here.group_members], p, outsiders=[there])


def test_objection_answered_goes_to_the_objector_only(worlds, committed):
    here, there = worlds
    p, notice = to_notice(here)
    objector = here.residents[1]
    objection = ps.objection_file(notice=notice, resident=objector, text="围墙防盗刺会伤到孩子")
    mail.outbox.clear()
    with committed():
        ps.objection_answer(objection=objection, actor=here.group_members[0], upheld=False,
                            answer="防盗刺装在 2.2 米以上，孩子够不到")
    assert_told_exactly(K.OBJECTION_ANSWERED, [objector], p, outsiders=[there])
    assert "2.2 米" in Notification.objects.get(kind=K.OBJECTION_ANSWERED).body


def test_ballot_closed_goes_to_author_followers_council_and_electors_of_this_community(worlds, committed):
    here, there = worlds
    p, ballot = to_community_vote(here)
    ps.proposal_follow(proposal=p, user=here.residents[2])
    ps.proposal_follow(proposal=p, user=there.residents[0])  # a follower from another community
    for member in here.community_members[:4]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    mail.outbox.clear()
    with committed():
        ps.ballot_close(ballot=ballot, actor=here.staff)
    expected = [here.author, here.residents[2], *here.group_members, *here.community_members]
    assert told(K.BALLOT_CLOSED, p) == pks(expected)
    assert not told(K.BALLOT_CLOSED) & everyone(there)
    # The street office is mailed too, but to review the budget (the next test), not the outcome.
    assert mailed_to() == emails(expected) | {here.street_staff.email}
    note = Notification.objects.filter(kind=K.BALLOT_CLOSED).first()
    assert "赞成 4 票" in note.body and "通过" in note.title


def test_group_ballot_completed_by_the_last_vote_tells_author_and_council(worlds, committed):
    here, there = worlds
    p = to_group_review(here)
    ballot = ps.group_ballot_open(proposal=p, actor=here.group_members[0], closes_at=timezone.now() + timedelta(days=2))
    for member in here.group_members[:-1]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    mail.outbox.clear()
    with committed():
        ps.vote_cast(ballot=ballot, voter=here.group_members[-1], choice="oppose")
    p.refresh_from_db()
    assert p.status == S.ADOPTED
    assert_told_exactly(K.BALLOT_CLOSED, [here.author, *here.group_members], p, outsiders=[there])


def test_hold_placed_and_lifted_go_to_group_council_and_staff_in_scope(worlds, committed):
    here, there = worlds
    p = to_group_review(here)
    expected = [*here.group_members, here.staff, here.party_member, here.street_staff]
    mail.outbox.clear()
    with committed():
        hold = ps.hold_place(proposal=p, supervisor=here.supervisor, reason="合同价格需要复核")
    assert_told_exactly(K.HOLD_PLACED, expected, p, outsiders=[there])
    mail.outbox.clear()
    with committed():
        ps.hold_lift(hold=hold, actor=here.supervisor, reason="已复核")
    assert_told_exactly(K.HOLD_LIFTED, expected, p, outsiders=[there])


# --------------------------------------------------------------------------- money steps (funding services)


@pytest.fixture
def approved(worlds):
    from tests.funding_support import make_fund

    here, there = worlds
    p, ballot = to_community_vote(here)
    for member in here.community_members[:4]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=here.staff)
    p.refresh_from_db()
    assert p.status == S.APPROVED
    make_fund(here)
    return here, there, p


def test_a_passed_community_vote_asks_the_street_office_of_this_subdistrict_to_review(worlds, committed):
    here, there = worlds
    p, ballot = to_community_vote(here)
    for member in here.community_members[:4]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    mail.outbox.clear()
    with committed():
        ps.ballot_close(ballot=ballot, actor=here.staff)
    p.refresh_from_db()
    assert p.status == S.APPROVED
    street = Notification.objects.filter(kind=K.REVIEW_NEEDED, proposal=p, event__kind="approved")
    assert set(street.values_list("user_id", flat=True)) == {here.street_staff.pk}
    assert street.get().url == reverse("funding:review_queue") + f"#review-{p.pk}"
    assert here.street_staff.email in mailed_to()
    assert not told(K.REVIEW_NEEDED) & everyone(there)


def test_a_rejected_community_vote_asks_nobody_to_review_the_budget(worlds, committed):
    here, there = worlds
    p, ballot = to_community_vote(here)
    for member in here.community_members[:3]:  # 3 of 6 oppose: the 4 approvals needed cannot come
        ps.vote_cast(ballot=ballot, voter=member, choice="oppose")
    with committed():
        ps.ballot_close(ballot=ballot, actor=here.staff)
    p.refresh_from_db()
    assert p.status == S.REJECTED
    assert told(K.BALLOT_CLOSED, p)
    assert not Notification.objects.filter(kind=K.REVIEW_NEEDED, user=here.street_staff).exists()


def test_budget_approved_goes_to_author_and_group_council(approved, committed):
    from funding import services as fs

    here, there, p = approved
    mail.outbox.clear()
    with committed():
        fs.budget_approve(proposal=p, reviewer=here.street_staff)
    assert_told_exactly(K.BUDGET_APPROVED, [here.author, *here.group_members], p, outsiders=[there])
    assert not told(K.BUDGET_LOWERED)


def test_budget_lowered_is_its_own_kind(approved, committed):
    from funding import services as fs

    here, there, p = approved
    mail.outbox.clear()
    with committed():
        fs.budget_approve(proposal=p, reviewer=here.street_staff, community_share="15000")
    assert_told_exactly(K.BUDGET_LOWERED, [here.author, *here.group_members], p, outsiders=[there])
    assert "15,000.00" in Notification.objects.filter(kind=K.BUDGET_LOWERED).first().body
    assert not told(K.BUDGET_APPROVED)


def test_budget_returned_goes_to_author_and_group_council(approved, committed):
    from funding import services as fs

    here, there, p = approved
    mail.outbox.clear()
    with committed():
        fs.budget_return(proposal=p, reviewer=here.street_staff, reason="围墙单价偏高，请重新询价")
    assert_told_exactly(K.BUDGET_RETURNED, [here.author, *here.group_members], p, outsiders=[there])
    assert "重新询价" in Notification.objects.filter(kind=K.BUDGET_RETURNED).first().body


def test_funds_released_goes_to_group_council_community_and_street_staff(approved, committed):
    from funding import services as fs
    from tests.funding_support import contribute

    here, there, p = approved
    colleague = UserFactory(full_name="街道财务二")
    StaffPost.objects.create(user=colleague, level=StaffLevel.SUBDISTRICT, subdistrict=here.subdistrict)
    review = fs.budget_approve(proposal=p, reviewer=here.street_staff)
    contribute(here, p, p.total - review.approved_share)
    mail.outbox.clear()
    with committed():
        fs.funds_release(proposal=p, actor=here.street_staff)
    # The releasing officer did it; the colleague is told.
    expected = [*here.group_members, here.staff, here.party_member, colleague]
    assert_told_exactly(K.FUNDS_RELEASED, expected, p, outsiders=[there])


# --------------------------------------------------------------------------- scheduled messages


def test_notice_ended_job_tells_the_group_council_once(worlds, committed):
    here, there = worlds
    p, notice = to_notice(here)
    mail.outbox.clear()
    assert ns.notices_ended_notify() == 0
    with time_machine.travel(notice.ends_at + timedelta(minutes=1)):
        ns.notices_ended_notify()
        ns.notices_ended_notify()
    assert_told_exactly(K.NOTICE_ENDED, here.group_members, p, outsiders=[there])
    assert len(mail.outbox) == len(here.group_members)
    assert "可以把决议提交社区" in Notification.objects.filter(kind=K.NOTICE_ENDED).first().body


def test_notice_ended_lists_what_still_blocks_submission(worlds):
    here, _there = worlds
    p, notice = to_notice(here)
    ps.objection_file(notice=notice, resident=here.residents[1], text="价格太高")
    with time_machine.travel(notice.ends_at + timedelta(minutes=1)):
        ns.notices_ended_notify()
    assert "还有 1 条异议没有答复" in Notification.objects.filter(kind=K.NOTICE_ENDED).first().body


def test_ballot_reminder_once_per_elector_who_has_not_voted_within_24_hours(worlds):
    here, there = worlds
    p, ballot = to_community_vote(here, closes_in=timedelta(days=3))
    voted = here.community_members[:2]
    for member in voted:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    mail.outbox.clear()
    assert ns.ballot_reminders_send() == 0  # three days left: too early
    with time_machine.travel(ballot.closes_at - timedelta(hours=23)):
        ns.ballot_reminders_send()
        ns.ballot_reminders_send()
    assert_told_exactly(K.BALLOT_REMINDER, here.community_members[2:], p, outsiders=[there])
    with time_machine.travel(ballot.closes_at - timedelta(hours=1)):
        ns.ballot_reminders_send()
    assert len(mail.outbox) == len(here.community_members) - 2


def test_meeting_reminder_two_days_before_the_10th_once_per_member_and_month(worlds):
    here, there = worlds
    backdate_memberships(here)
    backdate_memberships(there)
    for day in (7, 10, 11):
        with time_machine.travel(datetime(timezone.now().year + 1, 3, day, 9, tzinfo=SHANGHAI)):
            ns.meeting_reminders_send()
    assert not Notification.objects.filter(kind=K.MEETING_REMINDER).exists()
    for day in (8, 9, 8):
        with time_machine.travel(datetime(timezone.now().year + 1, 3, day, 9, tzinfo=SHANGHAI)):
            ns.meeting_reminders_send()
    rows = Notification.objects.filter(kind=K.MEETING_REMINDER)
    assert sorted(rows.values_list("user_id", flat=True)) == sorted(pks([*here.group_members, *there.group_members]))
    assert rows.filter(user=here.group_members[0], body__contains=here.group_council.name).exists()
    assert not rows.filter(user=here.group_members[0], body__contains=there.group_council.name).exists()


def test_fund_calendar_warns_street_staff_of_their_own_subdistrict(worlds):
    from funding.tasks import warn_fund_calendar
    from tests.funding_support import make_fund

    here, there = worlds
    year = timezone.localdate().year
    backdate_memberships(here, days=400)
    backdate_memberships(there, days=400)
    with time_machine.travel(datetime(year, 12, 10, 9, tzinfo=SHANGHAI)):
        make_fund(here, amount="80000.00")
        warn_fund_calendar()
        warn_fund_calendar()
    rows = Notification.objects.filter(kind=K.FUND_CALENDAR)
    assert set(rows.values_list("user_id", flat=True)) == {here.street_staff.pk, there.street_staff.pk}
    mine = rows.get(user=here.street_staff)
    assert "结余" in mine.title and "80,000.00" in mine.body and here.community.name in mine.body
    assert here.community.name not in rows.get(user=there.street_staff).body
    with time_machine.travel(datetime(year, 12, 5, 9, tzinfo=SHANGHAI)):  # 15 days before: too early
        Notification.objects.filter(kind=K.FUND_CALENDAR).delete()
        warn_fund_calendar()
    assert not Notification.objects.filter(kind=K.FUND_CALENDAR).exists()


# --------------------------------------------------------------------------- preferences, digest, idempotency


def test_turning_a_kind_off_stops_its_mail_but_keeps_the_inbox(worlds, committed):
    here, _there = worlds
    quiet = here.group_members[1]
    ns.preferences_update(user=quiet, email_kinds=set(K.values) - {K.REVIEW_NEEDED}, digest=False)
    mail.outbox.clear()
    with committed():
        p = to_group_review(here)
    assert quiet.pk in told(K.REVIEW_NEEDED, p)
    assert Notification.objects.get(user=quiet, kind=K.REVIEW_NEEDED).mail_status == MailStatus.OFF
    assert quiet.email not in mailed_to()
    assert mailed_to() == emails(here.group_members) - {quiet.email}
    mail.outbox.clear()
    with committed():
        ps.group_ballot_open(proposal=p, actor=here.group_members[0], closes_at=timezone.now() + timedelta(days=2))
    assert quiet.email in mailed_to()  # other kinds still come by mail


def test_digest_sends_one_daily_mail_instead_of_single_mails(worlds, committed):
    here, _there = worlds
    reader = here.group_members[2]
    ns.preferences_update(user=reader, email_kinds=set(K.values), digest=True)
    mail.outbox.clear()
    with committed():
        p = to_group_review(here)
        ps.group_ballot_open(proposal=p, actor=here.group_members[0], closes_at=timezone.now() + timedelta(days=2))
    assert reader.email not in mailed_to()
    assert set(Notification.objects.filter(user=reader).values_list("mail_status", flat=True)) == {MailStatus.DIGEST}
    mail.outbox.clear()
    assert ns.digests_send() == 1
    assert ns.digests_send() == 0
    [digest] = mail.outbox
    assert digest.to == [reader.email]
    assert "新议案待审议" in digest.body and "请对“北苑后门维修”表决" in digest.body
    assert set(Notification.objects.filter(user=reader).values_list("mail_status", flat=True)) == {MailStatus.SENT}


def test_event_notify_twice_creates_and_sends_nothing_new(worlds, committed):
    here, _there = worlds
    with committed():
        p = to_group_review(here)
    event = ProposalEvent.objects.get(proposal=p, kind="submitted")
    rows, sent = Notification.objects.count(), len(mail.outbox)
    assert ns.event_notify(event_id=event.pk) == 0
    assert (Notification.objects.count(), len(mail.outbox)) == (rows, sent)


def test_a_person_without_an_address_gets_the_inbox_only(worlds, committed):
    here, _there = worlds
    here.group_members[3].email = ""
    here.group_members[3].save(update_fields=["email"])
    mail.outbox.clear()
    with committed():
        to_group_review(here)
    note = Notification.objects.get(user=here.group_members[3], kind=K.REVIEW_NEEDED)
    assert note.mail_status == MailStatus.NO_ADDRESS
    assert len(mail.outbox) == len(here.group_members) - 1


def test_a_broker_that_is_down_never_undoes_or_fails_the_action(worlds, committed, monkeypatch):
    from outbox import tasks
    from outbox.models import OutboxMessage
    from outbox.services import outbox_relay

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(tasks.deliver_message, "delay", refuse)
    here, _there = worlds
    p = ps.proposal_create(author=here.author, group=here.group, title="北苑后门维修", summary="修后门",
                           lines=[("后门维修", 1, "项", "12000")], community_share="6000")
    with committed():
        ps.proposal_submit(proposal=p, actor=here.author)
    p.refresh_from_db()
    assert p.status == S.GROUP_REVIEW
    assert not Notification.objects.exists()
    # The message waits in the outbox, written with the event; the relay delivers it later.
    event = ProposalEvent.objects.get(proposal=p, kind="submitted")
    assert OutboxMessage.objects.get(topic="proposals.event", ref=event.pk).delivered_at is None
    outbox_relay()
    assert_told_exactly(K.REVIEW_NEEDED, here.group_members, p)


def test_notification_text_is_chinese_even_when_the_actor_browses_in_english(worlds, committed):
    from django.utils import translation

    here, _there = worlds
    with translation.override("en"), committed():
        to_group_review(here)
    assert Notification.objects.filter(kind=K.REVIEW_NEEDED).first().title.startswith("新议案待审议")
