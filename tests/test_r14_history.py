"""R14: proposal events are append-only and hash-chained; verify_history names the first broken link."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from proposals.history import verify_proposal_chains
from proposals.models import AppendOnlyError, ProposalEvent, Resolution, Vote
from tests.factories import make_proposal, to_group_review, to_notice
from yishi.chain import GENESIS

pytestmark = pytest.mark.django_db

TABLE = ProposalEvent._meta.db_table


def without_append_only_trigger(sql, params=()):
    """Tamper as a database owner would: switch the append-only trigger off, then write SQL.

    The test's transaction rolls the trigger change back with everything else.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fire the deferred FK checks of rows written in this test first: ALTER TABLE
            # refuses to run on a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
        else:
            cursor.execute(f"DROP TRIGGER {TABLE}_append_only")
        cursor.execute(sql, params)


def run_verify():
    out, err = StringIO(), StringIO()
    call_command("verify_history", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_r14_events_chain_their_hashes(world):
    proposal, _notice = to_notice(world)
    events = list(proposal.events.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)


def test_r14_verify_history_passes_on_an_intact_history(world):
    to_notice(world)
    make_proposal(world, title="第二个议案")
    out, err = run_verify()
    assert "proposal_events: 2 chains" in out and "0 broken" in out
    assert err == ""


def test_r14_tampered_event_row_fails_verify_history_and_is_named(world):
    proposal, _notice = to_notice(world)
    victim = proposal.events.get(seq=3)
    without_append_only_trigger(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["改过的说明", victim.pk])
    with pytest.raises(CommandError) as failed:
        run_verify()
    message = str(failed.value)
    assert "chain proposal_events" in message
    assert f"proposal {proposal.pk}" in message
    assert "seq 3" in message and f"row pk {victim.pk}" in message
    assert "content does not match its hash" in message


def test_r14_tampered_status_in_a_later_event_is_named_not_an_earlier_one(world):
    proposal = to_group_review(world)
    last = proposal.events.order_by("-seq").first()
    without_append_only_trigger(f"UPDATE {TABLE} SET to_status = %s WHERE id = %s", ["approved", last.pk])
    results = list(verify_proposal_chains())
    assert len(results) == 1
    proposal_id, checked, bad, why = results[0]
    assert (proposal_id, checked, bad.pk) == (proposal.pk, last.seq - 1, last.pk)


def test_r14_deleted_event_is_named(world):
    proposal, _notice = to_notice(world)
    victim = proposal.events.get(seq=2)
    without_append_only_trigger(f"DELETE FROM {TABLE} WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError) as failed:
        run_verify()
    assert "seq 3" in str(failed.value) and "missing" in str(failed.value)


def test_r14_recomputed_hash_still_breaks_the_next_link(world):
    """Rewriting a row and its own hash is not enough: the next event names the old hash."""
    from proposals.history import event_payload
    from yishi.chain import link_hash

    proposal, _notice = to_notice(world)
    victim = proposal.events.get(seq=2)
    victim.reason = "改过的说明"
    forged = link_hash(victim.prev_hash, event_payload(victim))
    without_append_only_trigger(f"UPDATE {TABLE} SET reason = %s, hash = %s WHERE id = %s",
                                ["改过的说明", forged, victim.pk])
    with pytest.raises(CommandError) as failed:
        run_verify()
    assert "seq 3" in str(failed.value) and "prev_hash" in str(failed.value)


def test_r14_one_broken_chain_does_not_hide_another_proposals_result(world):
    first = make_proposal(world, title="一")
    second = make_proposal(world, title="二")
    without_append_only_trigger(f"UPDATE {TABLE} SET reason = 'x' WHERE proposal_id = %s", [first.pk])
    results = {pid: bad for pid, _n, bad, _why in verify_proposal_chains()}
    assert results[first.pk] is not None and results[second.pk] is None


def test_r14_verify_history_unknown_chain_refused(db):
    with pytest.raises(CommandError):
        call_command("verify_history", chain=["nope"], stdout=StringIO())


def test_r14_event_save_and_delete_refused_by_the_orm(world):
    event = make_proposal(world).events.get()
    event.reason = "改"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        ProposalEvent.objects.filter(pk=event.pk).update(reason="改")
    with pytest.raises(AppendOnlyError):
        ProposalEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        ProposalEvent.objects.bulk_update([event], ["reason"])
    assert ProposalEvent.objects.get(pk=event.pk).reason == ""


def test_r14_votes_and_resolutions_are_append_only_too(world):
    from tests.factories import group_adopt

    proposal = to_group_review(world)
    group_adopt(world, proposal)
    with pytest.raises(AppendOnlyError):
        Vote.objects.filter(ballot__proposal=proposal).update(choice="oppose")
    with pytest.raises(AppendOnlyError):
        Resolution.objects.filter(proposal=proposal).update(total=1)
    assert set(Vote.objects.filter(ballot__proposal=proposal).values_list("choice", flat=True)) == {"approve"}


@pytest.mark.parametrize("table", ["proposals_proposalevent", "proposals_vote", "proposals_resolution"])
def test_r14_database_refuses_a_raw_update(world, table):
    from tests.factories import group_adopt

    proposal = to_group_review(world)
    group_adopt(world, proposal)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id")


def test_r14_database_refuses_a_raw_delete_on_postgresql(world, postgres):
    make_proposal(world)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    assert ProposalEvent.objects.count() == 1
