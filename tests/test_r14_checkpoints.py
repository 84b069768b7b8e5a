"""R14: what a database owner with the triggers off could change, verify_history now names.

Each tamper of issue 9 (finding 6) gets a test: deleting the last event or the
last ledger entry, flipping a vote on a closed ballot, changing a ballot's
electorate, adding 5 000 to a contribution, setting a status directly,
rewriting an event and recomputing its chain with the project's own hash. Each
asserts that verify_history fails and names the table, the row and what differs.
On PostgreSQL the triggers are switched off as the owner would
(``ALTER TABLE ... DISABLE TRIGGER ALL``); on SQLite the append-only trigger
is dropped. The test's transaction rolls both back.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from funding import checkpoints as cp
from funding.ledger import entry_payload
from funding.models import Contribution, HistoryCheckpoint, HistoryRun, LedgerEntry
from proposals.enums import BallotKind
from proposals.history import event_payload
from proposals.models import Ballot, Proposal, ProposalEvent, Resolution, Vote
from tests.funding_support import drive_to_released, old_world
from yishi.chain import GENESIS, link_hash

pytestmark = pytest.mark.django_db

EVENTS = ProposalEvent._meta.db_table
LEDGER = LedgerEntry._meta.db_table


def tamper(sql, params=(), *tables):
    """Write as a database owner could: triggers of ``tables`` off, then raw SQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred FK checks pending in the test's transaction would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        else:
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
        cursor.execute(sql, params)


def verify(**options):
    """Run verify_history: (passed, stdout, the failure message + stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_history", stdout=out, stderr=err, **options)
    except CommandError as failed:
        return False, out.getvalue(), f"{failed}\n{err.getvalue()}"
    return True, out.getvalue(), err.getvalue()


@pytest.fixture
def city(db):
    """A released proposal (group and community ballots, contributions, ledger) and a signed checkpoint."""
    world = old_world()
    proposal, fund = drive_to_released(world)
    checkpoint, created = cp.checkpoint_write()
    assert created and checkpoint.number == 1
    return world, proposal, fund


# --------------------------------------------------------------------------- a valid history


def test_r14_valid_history_passes_every_layer(city):
    passed, out, err = verify()
    assert passed, err
    for line in ("proposal_events: 1 chains", "fund_ledger: 1 chains", "check ballots: 0 differences",
                 "check contributions: 0 differences", "check proposal_status: 0 differences",
                 "check resolutions: 0 differences", "checkpoint #1 of", "All history chains verify."):
        assert line in out


def test_r14_ballot_events_record_roll_votes_and_content(city):
    _world, proposal, _fund = city
    community = Ballot.objects.get(proposal=proposal, kind=BallotKind.COMMUNITY)
    opened = ProposalEvent.objects.get(proposal=proposal, kind="ballot_opened", data__ballot=community.pk)
    closed = ProposalEvent.objects.get(proposal=proposal, kind="approved")
    adopted = ProposalEvent.objects.get(proposal=proposal, kind="adopted")
    assert opened.data["electorate"] == 37 and len(opened.data["electors"]) == 64
    assert len(closed.data["votes"]) == 64 and closed.data["approve"] == 25
    assert adopted.data["content_hash"] == Resolution.objects.get(proposal=proposal).content_hash


# --------------------------------------------------------------------------- the tampers of issue 9


def test_r14_deleting_the_last_event_of_a_proposal_is_named(city):
    _world, proposal, _fund = city
    last = proposal.events.order_by("-seq").first()
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [last.pk], EVENTS)
    passed, _out, message = verify()
    assert not passed
    assert EVENTS in message and f"proposal {proposal.pk}: seq {last.seq} is missing" in message
    assert "checkpoint #1 recorded the chain up to seq" in message


def test_r14_deleting_the_last_ledger_entry_is_named(city):
    _world, _proposal, fund = city
    last = fund.entries.order_by("-seq").first()
    tamper(f"DELETE FROM {LEDGER} WHERE id = %s", [last.pk], LEDGER)
    passed, _out, message = verify()
    assert not passed
    assert LEDGER in message and f"fund {fund.pk}: seq {last.seq} is missing" in message


def test_r14_flipping_a_vote_on_a_closed_ballot_is_named(city):
    _world, proposal, _fund = city
    ballot = Ballot.objects.get(proposal=proposal, kind=BallotKind.COMMUNITY)
    vote = ballot.votes.filter(choice="approve").first()
    table = Vote._meta.db_table
    tamper(f"UPDATE {table} SET choice = 'oppose' WHERE id = %s", [vote.pk], table)
    passed, _out, message = verify()
    assert not passed
    assert f"proposals_ballot row {ballot.pk}" in message
    assert "approve_count is 25 but 24 approve votes are stored" in message
    assert "its votes differ from those recorded by the closing event" in message


def test_r14_changing_a_ballots_electorate_is_named(city):
    _world, proposal, _fund = city
    ballot = Ballot.objects.get(proposal=proposal, kind=BallotKind.COMMUNITY)
    tamper("UPDATE proposals_ballot SET electorate_size = 30 WHERE id = %s", [ballot.pk], "proposals_ballot")
    passed, _out, message = verify()
    assert not passed
    assert f"proposals_ballot row {ballot.pk}" in message
    assert "electorate_size is 30 but 37 electors are on the roll" in message
    assert "the opening event" in message and "froze 37" in message


def test_r14_shrinking_the_roll_with_the_electorate_is_still_named(city):
    """Deleting an elector and lowering electorate_size to match: the digest frozen at opening differs."""
    _world, proposal, _fund = city
    ballot = Ballot.objects.get(proposal=proposal, kind=BallotKind.COMMUNITY)
    voted = set(ballot.votes.values_list("voter_id", flat=True))
    absent = ballot.electors.exclude(user_id__in=voted).first()
    tamper("DELETE FROM proposals_ballotelector WHERE id = %s", [absent.pk], "proposals_ballotelector")
    tamper("UPDATE proposals_ballot SET electorate_size = 36 WHERE id = %s", [ballot.pk], "proposals_ballot")
    passed, _out, message = verify()
    assert not passed
    assert "the roll of electors differs from the one frozen by the opening event" in message


def test_r14_adding_5000_to_a_contribution_is_named(city):
    _world, proposal, _fund = city
    contribution = Contribution.objects.filter(proposal=proposal).first()
    table = Contribution._meta.db_table
    tamper(f"UPDATE {table} SET amount = amount + 5000 WHERE id = %s", [contribution.pk], table)
    passed, _out, message = verify()
    assert not passed
    assert f"{table} row {contribution.pk}" in message
    assert f"amount is {contribution.amount + 5000} but the event" in message
    assert f"contributions of proposal {proposal.pk} sum to" in message


def test_r14_setting_a_status_directly_is_named(city):
    _world, proposal, _fund = city
    tamper("UPDATE proposals_proposal SET status = 'settled' WHERE id = %s", [proposal.pk], "proposals_proposal")
    passed, _out, message = verify()
    assert not passed
    assert f"proposals_proposal row {proposal.pk}: status is 'settled' but its last event" in message
    assert "set 'released'" in message


def test_r14_rewriting_an_event_and_recomputing_the_chain_is_named(city):
    """The project's own hash function rebuilds a chain that links; only the signed checkpoint catches it."""
    _world, proposal, _fund = city
    events = list(proposal.events.order_by("seq"))
    prev = GENESIS
    for event in events:
        if event.seq == 2:
            event.reason = "改写过的说明"
        event.prev_hash = prev
        event.hash = link_hash(prev, event_payload(event))
        prev = event.hash
    for event in events:
        tamper(f"UPDATE {EVENTS} SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
               [event.reason, event.prev_hash, event.hash, event.pk], EVENTS)
    passed, out, message = verify()
    assert not passed
    assert "proposal_events: 1 chains" in out and "0 broken" in out  # the links themselves hold
    head = events[-1]
    assert f"{EVENTS} row {head.pk}" in message
    assert f"proposal {proposal.pk}, seq {head.seq}: hash differs from checkpoint #1" in message


def test_r14_rewriting_a_ledger_chain_is_named(city):
    _world, _proposal, fund = city
    entries = list(fund.entries.order_by("seq"))
    prev = GENESIS
    for entry in entries:
        if entry.seq == 1:
            entry.balance_delta += 5000
        entry.prev_hash = prev
        entry.hash = link_hash(prev, entry_payload(entry))
        prev = entry.hash
        tamper(f"UPDATE {LEDGER} SET balance_delta = %s, prev_hash = %s, hash = %s WHERE id = %s",
               [entry.balance_delta, entry.prev_hash, entry.hash, entry.pk], LEDGER)
    passed, _out, message = verify()
    assert not passed and f"fund {fund.pk}, seq {entries[-1].seq}: hash differs from checkpoint #1" in message


def test_r14_a_resolution_rewritten_with_its_content_hash_is_named(city):
    from proposals.services import content_hash

    _world, proposal, _fund = city
    resolution = Resolution.objects.get(proposal=proposal)
    table = Resolution._meta.db_table
    tamper(f"UPDATE {table} SET text = %s WHERE id = %s", ["改写的决议", resolution.pk], table)
    passed, _out, message = verify()
    assert not passed and f"{table} row {resolution.pk}: content does not match its content_hash" in message
    resolution.text = "改写的决议"
    forged = content_hash({
        "title": resolution.title, "text": resolution.text, "category": resolution.category,
        "budget": resolution.budget, "total": format(resolution.total, "f"),
        "community_share": format(resolution.community_share, "f"),
    })
    tamper(f"UPDATE {table} SET content_hash = %s WHERE id = %s", [forged, resolution.pk], table)
    passed, _out, message = verify()
    assert not passed and "content_hash differs from the one recorded by the adopting event" in message
    assert "content does not match" not in message


def test_r14_deleting_the_last_event_without_a_checkpoint_still_shows_in_the_status(db):
    """Before the first checkpoint the cross-check still sees a status its events no longer explain."""
    world = old_world()
    proposal, _fund = drive_to_released(world)
    last = proposal.events.order_by("-seq").first()
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [last.pk], EVENTS)
    passed, out, message = verify()
    assert not passed and "warning: no checkpoint yet" in out
    assert f"proposals_proposal row {proposal.pk}: status is 'released'" in message


@pytest.mark.postgres
def test_r14_triggers_on_refuse_the_same_tampers_on_postgresql(city, postgres):
    """With the triggers on (no owner's ALTER TABLE), PostgreSQL refuses the writes verify_history exists for."""
    from django.db import IntegrityError, transaction

    _world, proposal, fund = city
    for sql in (f"DELETE FROM {EVENTS} WHERE proposal_id = {proposal.pk}",
                f"DELETE FROM {LEDGER} WHERE fund_id = {fund.pk}",
                "UPDATE proposals_vote SET choice = 'oppose'"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert verify()[0]


# --------------------------------------------------------------------------- keys and signatures


def test_r14_a_wrong_key_fails_verification(city, settings):
    settings.YISHI_CHECKPOINT_KEY = "another-key-that-did-not-sign-checkpoint-one-0000"
    passed, _out, message = verify()
    assert not passed and "its signature cannot be verified" in message
    # Keeping the old key during a rotation verifies the old checkpoint again.
    settings.YISHI_CHECKPOINT_OLD_KEYS = ["development-only-checkpoint-key-never-use-in-production-yishi"]
    assert verify()[0]


def test_r14_a_checkpoint_re_signed_without_the_key_fails(city):
    """The attacker rewrites a chain and writes matching heads into the checkpoint, signing with a guess."""
    _world, proposal, _fund = city
    checkpoint = HistoryCheckpoint.objects.get()
    heads = checkpoint.heads
    heads["proposal_events"][str(proposal.pk)][1] = "f" * 64
    text = checkpoint.text.replace(checkpoint.heads_sha256, cp.heads_digest(heads))
    table = HistoryCheckpoint._meta.db_table
    import json

    tamper(f"UPDATE {table} SET heads = %s, heads_sha256 = %s, text = %s, signature = %s WHERE id = %s",
           [json.dumps(heads), cp.heads_digest(heads), text, cp.sign(text, "guessed-key"), checkpoint.pk], table)
    passed, _out, message = verify()
    assert not passed and "checkpoint #1: the signature does not match its text" in message


def test_r14_checkpoint_job_is_idempotent_and_refuses_to_sign_tampering(city):
    world, proposal, _fund = city
    first = HistoryCheckpoint.objects.get()
    again, created = cp.checkpoint_write()
    assert (again.pk, created) == (first.pk, False)
    run = cp.history_daily()
    assert run.ok and HistoryCheckpoint.objects.count() == 1 and run.checkpoint_id == first.pk
    from proposals import services as ps

    ps.opinion_record(proposal=proposal, supervisor=world.supervisor, text="已核对")
    second, created = cp.checkpoint_write()
    assert created and second.number == 2 and f"previous: {cp.text_digest(first.signed_text)}" in second.text
    tamper("UPDATE proposals_proposal SET status = 'settled' WHERE id = %s", [proposal.pk], "proposals_proposal")
    with pytest.raises(cp.CheckpointRefused):
        cp.checkpoint_write()
    run = cp.history_daily()
    assert run.ok is False and run.finding_count == 1 and HistoryCheckpoint.objects.count() == 2
    finding = run.findings.get()
    assert (finding.table, finding.row, finding.community_id) == ("proposals_proposal", proposal.pk,
                                                                  world.community.pk)


def test_r14_history_checkpoint_command_prints_the_text_to_keep(city):
    out = StringIO()
    call_command("history_checkpoint", stdout=out)
    assert "Nothing appended since checkpoint #1" in out.getvalue()
    assert "hmac_sha256: " in out.getvalue() and "number: 1" in out.getvalue()


def test_r14_kept_copies_catch_a_deleted_latest_checkpoint(city, tmp_path):
    world, proposal, _fund = city
    from proposals import services as ps

    ps.opinion_record(proposal=proposal, supervisor=world.supervisor, text="已核对")
    second, _created = cp.checkpoint_write()
    kept = tmp_path / "kept.txt"
    kept.write_text(HistoryCheckpoint.objects.get(number=1).signed_text + second.signed_text, encoding="utf-8")
    assert verify(kept=str(kept))[0]
    table = HistoryCheckpoint._meta.db_table
    tamper(f"DELETE FROM {table} WHERE id = %s", [second.pk])
    passed, _out, message = verify(kept=str(kept))
    assert not passed and "checkpoint #2, kept by you, is missing from the database" in message


def test_r14_a_checkpoint_deleted_from_the_middle_is_named(city):
    world, proposal, _fund = city
    from proposals import services as ps

    for text in ("一", "二"):
        ps.opinion_record(proposal=proposal, supervisor=world.supervisor, text=text)
        cp.checkpoint_write()
    tamper(f"DELETE FROM {HistoryCheckpoint._meta.db_table} WHERE number = 2")
    passed, _out, message = verify()
    assert not passed and "checkpoint #2 is missing (next is #3)" in message


def test_r14_restart_after_a_lost_key_is_marked(city, settings):
    settings.YISHI_CHECKPOINT_KEY = "a-new-key-after-the-old-one-was-lost-000000000000"
    with pytest.raises(CommandError):
        call_command("history_checkpoint", stdout=StringIO())
    out = StringIO()
    call_command("history_checkpoint", restart=True, stdout=out)
    assert "number: 2" in out.getvalue() and "restarted:" in out.getvalue()
    # Only the last checkpoint's signature is checked: #2, under the new key, verifies and matches.
    passed, _out, message = verify()
    assert passed, message


def test_r14_queued_run_runs_once_and_one_at_a_time(city, django_capture_on_commit_callbacks):
    world, _proposal, _fund = city
    with django_capture_on_commit_callbacks(execute=True):
        run = cp.history_run_queue(actor=world.supervisor)
    run.refresh_from_db()
    assert run.ok and run.finished_at and run.pending is None and run.chains == 2
    assert cp.history_run_execute(run_id=run.pk) is None  # already claimed: nothing runs twice
    waiting = HistoryRun.objects.create(requested_by=world.supervisor, pending=True)
    from yishi.errors import DomainError

    with pytest.raises(DomainError, match="已经有一次核验"):
        cp.history_run_queue(actor=world.supervisor)
    assert HistoryRun.objects.filter(pending=True).get() == waiting


def test_r14_proposal_statuses_all_explained_after_a_withdrawal(db):
    """A withdrawn proposal's status is explained by its last transition: a valid history passes."""
    from proposals import services as ps
    from tests.factories import build_world, make_proposal

    world = build_world(community_seats=5)
    proposal = make_proposal(world)
    ps.proposal_withdraw(proposal=proposal, actor=proposal.author, reason="不做了")
    assert verify()[0]
    assert Proposal.objects.get(pk=proposal.pk).status == "withdrawn"


def test_r14_queued_run_dropped_when_the_broker_is_down(city, monkeypatch, django_capture_on_commit_callbacks):
    from funding import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.history_run, "delay", down)
    world, _proposal, _fund = city
    with django_capture_on_commit_callbacks(execute=True):
        cp.history_run_queue(actor=world.supervisor)
    assert not HistoryRun.objects.filter(pending=True).exists()  # the button works again


def test_r14_ballot_check_streams_many_ballots_in_order(city):
    """Several ballots over two proposals: each ballot's roll and votes are matched to it, not a neighbour's."""
    from proposals.integrity import check_ballots
    from tests.funding_support import drive_to_approved

    world, _proposal, _fund = city
    drive_to_approved(world, title="第二个议案")
    assert Ballot.objects.count() == 4
    assert list(check_ballots()) == []
    ballot = Ballot.objects.order_by("pk")[1]
    tamper("DELETE FROM proposals_vote WHERE id = %s", [ballot.votes.first().pk], "proposals_vote")
    (finding, *rest) = list(check_ballots())
    assert finding.row == ballot.pk and all(f.row == ballot.pk for f in rest)
