"""Refusals: every DomainError message is a sentence a person can act on, and a refusal changes nothing."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from councils import services as cs
from proposals import services as ps
from proposals.enums import EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Hold, Notice, Objection, Opinion, Rating, Vote
from tests.factories import (
    BACK_GATE_LINES,
    UserFactory,
    build_world,
    make_proposal,
    to_community_vote,
    to_group_review,
    to_notice,
)
from yishi.errors import DomainError, InvalidTransition

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SERVICE_FILES = [ROOT / "councils" / "services.py", ROOT / "proposals" / "services.py"]
ERRORS = {"DomainError", "PermissionDenied", "InvalidTransition"}
SENTENCE_END = ("。", "？", "！")


def _raised_messages():
    """(file, line, gettext literals) for every ``raise <DomainError subclass>(...)`` in the services."""
    for path in SERVICE_FILES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            if not (isinstance(func, ast.Name) and func.id in ERRORS):
                continue
            message = node.exc.args[0] if node.exc.args else None
            calls = ast.walk(message) if message is not None else []
            literals = [
                call.args[0].value
                for call in calls
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_"
                and call.args and isinstance(call.args[0], ast.Constant)
            ]
            yield path.name, node.lineno, message, literals


def test_every_raised_domain_error_is_a_translated_sentence():
    found = list(_raised_messages())
    assert len(found) > 50  # the scan sees the services' refusals
    for filename, line, message, literals in found:
        where = f"{filename}:{line}"
        assert literals, f"{where}: message is not wrapped in gettext _()"
        text = literals[0]
        assert text.strip(), f"{where}: empty message"
        joined_later = isinstance(message, ast.BinOp) and isinstance(message.op, ast.Add)
        if joined_later:  # "还不能提交社区议事会：" + the blockers, each a sentence of its own
            assert text.endswith("："), where
        else:
            assert text.endswith(SENTENCE_END), f"{where}: {text!r} does not end a sentence"


def test_submission_blockers_are_sentences(world):
    proposal, notice = to_notice(world)
    ps.objection_file(notice=notice, resident=world.residents[1], text="价格太高。")
    blockers = ps.submission_blockers(proposal)
    assert len(blockers) == 2
    assert all(b.endswith("。") for b in blockers)


def snapshot(proposal):
    proposal.refresh_from_db()
    return (
        proposal.status, proposal.revision, proposal.total, proposal.title,
        proposal.events.count(),
        Ballot.objects.filter(proposal=proposal).count(),
        Ballot.objects.filter(proposal=proposal, closed_at__isnull=False).count(),
        Vote.objects.filter(ballot__proposal=proposal).count(),
        Notice.objects.filter(proposal=proposal).count(),
        Notice.objects.filter(proposal=proposal, voided_at__isnull=False).count(),
        Objection.objects.filter(notice__proposal=proposal).count(),
        Objection.objects.filter(notice__proposal=proposal, answered_at__isnull=False).count(),
        Opinion.objects.filter(proposal=proposal).count(),
        Hold.objects.filter(proposal=proposal).count(),
        Rating.objects.filter(proposal=proposal).count(),
    )


def refusals(world):
    """(name, proposal, action) triples: each action must be refused."""
    later = timezone.now() + timedelta(days=2)
    draft = make_proposal(world, title="草稿")
    review = to_group_review(world, title="小组议事")
    noticed, notice = to_notice(world, title="公示中")
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="价格太高。")
    stranger = UserFactory()
    member = world.group_members[0]
    return [
        ("submit by a stranger", draft, lambda: ps.proposal_submit(proposal=draft, actor=stranger)),
        ("submit twice", review, lambda: ps.proposal_submit(proposal=review, actor=review.author)),
        ("edit by a stranger", draft, lambda: ps.proposal_update(
            proposal=draft, actor=stranger, title="x", summary="y", lines=BACK_GATE_LINES, community_share="1")),
        ("edit in notice", noticed, lambda: ps.proposal_update(
            proposal=noticed, actor=noticed.author, title="x", summary="y", lines=BACK_GATE_LINES,
            community_share="1")),
        ("edit with blank title", draft, lambda: ps.proposal_update(
            proposal=draft, actor=draft.author, title=" ", summary="y", lines=BACK_GATE_LINES, community_share="1")),
        ("return a draft", draft, lambda: ps.proposal_return(proposal=draft, actor=member, reason="退回。")),
        ("return without reason", review, lambda: ps.proposal_return(proposal=review, actor=member, reason="")),
        ("return by a resident", review, lambda: ps.proposal_return(
            proposal=review, actor=world.residents[1], reason="退回。")),
        ("withdraw by a stranger", review, lambda: ps.proposal_withdraw(
            proposal=review, actor=stranger, reason="不要了。")),
        ("withdraw without reason", review, lambda: ps.proposal_withdraw(
            proposal=review, actor=review.author, reason=" ")),
        ("group ballot on a draft", draft, lambda: ps.group_ballot_open(proposal=draft, actor=member, closes_at=later)),
        ("group ballot by a resident", review, lambda: ps.group_ballot_open(
            proposal=review, actor=world.residents[1], closes_at=later)),
        ("group ballot too short", review, lambda: ps.group_ballot_open(
            proposal=review, actor=member, closes_at=timezone.now() + timedelta(minutes=1))),
        ("group ballot too long", review, lambda: ps.group_ballot_open(
            proposal=review, actor=member, closes_at=timezone.now() + timedelta(days=61))),
        ("community ballot in notice", noticed, lambda: ps.community_ballot_open(
            proposal=noticed, actor=world.staff, closes_at=later)),
        ("community ballot by a member", noticed, lambda: ps.community_ballot_open(
            proposal=noticed, actor=member, closes_at=later)),
        ("publish in review", review, lambda: ps.notice_publish(proposal=review, actor=member)),
        ("publish twice", noticed, lambda: ps.notice_publish(proposal=noticed, actor=member)),
        ("object without text", noticed, lambda: ps.objection_file(notice=notice, resident=world.residents[2], text="")),
        ("object as a stranger", noticed, lambda: ps.objection_file(notice=notice, resident=stranger, text="反对。")),
        ("answer by a stranger", noticed, lambda: ps.objection_answer(
            objection=objection, actor=stranger, upheld=True, answer="采纳。")),
        ("submit to community early", noticed, lambda: ps.proposal_submit_to_community(
            proposal=noticed, actor=member)),
        ("submit to community from review", review, lambda: ps.proposal_submit_to_community(
            proposal=review, actor=member)),
        ("opinion by a resident", review, lambda: ps.opinion_record(
            proposal=review, supervisor=world.residents[1], text="意见。")),
        ("hold by a member", review, lambda: ps.hold_place(proposal=review, supervisor=member, reason="暂停。")),
        ("hold without reason", review, lambda: ps.hold_place(proposal=review, supervisor=world.supervisor, reason="")),
        ("rate a draft", draft, lambda: ps.rating_record(proposal=draft, resident=world.residents[1], stars=5)),
        ("rate with 6 stars", draft, lambda: ps.rating_record(proposal=draft, resident=world.residents[1], stars=6)),
        ("transition outside the table", draft, lambda: _transition(draft, S.APPROVED, member)),
    ]


def _transition(proposal, to_status, actor):
    with transaction.atomic():
        ps.lock_proposal(proposal)
        ps.proposal_transition(proposal=proposal, to_status=to_status, actor=actor, kind=EventKind.APPROVED)


def test_every_refusal_is_a_sentence_and_changes_nothing(world):
    cases = refusals(world)
    for name, proposal, action in cases:
        before = snapshot(proposal)
        with pytest.raises(DomainError) as refused:
            action()
        message = str(refused.value)
        assert message.strip(), name
        assert "%(" not in message and "%s" not in message, f"{name}: unformatted {message!r}"
        assert message.endswith(SENTENCE_END), f"{name}: {message!r}"
        assert snapshot(proposal) == before, name


def test_refused_transition_writes_no_event(world):
    proposal = make_proposal(world)
    events = proposal.events.count()
    with pytest.raises(InvalidTransition) as refused:
        _transition(proposal, S.SUBMITTED, world.author)
    assert "草稿" in str(refused.value)
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT and proposal.events.count() == events


def test_refused_late_vote_and_early_close_write_no_event(db):
    world = build_world(community_seats=3)
    proposal, ballot = to_community_vote(world)
    before = snapshot(proposal)
    with pytest.raises(DomainError):
        ps.ballot_close(ballot=ballot, actor=world.staff)
    with time_machine.travel(ballot.closes_at + timedelta(minutes=1)):
        with pytest.raises(DomainError):
            ps.vote_cast(ballot=ballot, voter=world.community_members[0], choice="approve")
    assert snapshot(proposal) == before


def test_council_refusals_are_sentences(world):
    stranger = UserFactory()
    cases = [
        lambda: cs.residency_verify(resident=stranger, group=world.group, actor=stranger),
        lambda: cs.residency_verify(resident=world.residents[0], group=world.group, actor=world.staff),
        lambda: cs.seat_assign(council=world.group_council, user=stranger, actor=world.staff),
        lambda: cs.seat_assign(council=world.group_council, user=world.group_members[0], actor=world.staff),
        lambda: cs.board_seat_assign(board=world.board, user=world.supervisor, actor=world.staff),
        lambda: cs.meeting_record(council=world.group_council, held_at=timezone.now(), attendees=[], minutes="",
                                  actor=world.group_members[0]),
        lambda: cs.staff_post_assign(user=stranger, actor=world.staff, level="community",
                                     subdistrict=world.subdistrict, community=world.community),
    ]
    for action in cases:
        with pytest.raises(DomainError) as refused:
            action()
        message = str(refused.value)
        assert message.endswith(SENTENCE_END) and not re.search(r"%\(\w+\)", message), message
