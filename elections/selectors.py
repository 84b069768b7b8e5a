"""Reads for election pages, in a fixed number of queries whatever the number of candidates.

Counts per candidate exist only for counted rounds (``ElectionRound.tallies`` is written at
closing), so no page can show a partial count while voting is open.
"""

from django.db.models import Count, Prefetch, Q

from .enums import OPEN_STATUSES
from .models import Candidate, Election, ElectionRound, ElectionVoter


def elections_listed():
    return Election.objects.select_related("community", "council", "board", "group").order_by("-opens_at", "-pk")


def running_in(community):
    return elections_listed().filter(community=community, status__in=OPEN_STATUSES)


def election_for_page(pk: int) -> Election:
    return (
        Election.objects.select_related("community__subdistrict", "council", "board", "group")
        .prefetch_related(
            Prefetch("candidates", queryset=Candidate.objects.select_related("user").order_by(
                "user__full_name", "user__username")),
            Prefetch("rounds", queryset=ElectionRound.objects.order_by("number").prefetch_related("candidates")),
        )
        .get(pk=pk)
    )


def turnout(round_: ElectionRound) -> dict:
    """Who has voted, as numbers only: the roll size and how many are marked."""
    row = ElectionVoter.objects.filter(round=round_).aggregate(
        roll=Count("pk"), voted=Count("pk", filter=Q(voted=True))
    )
    roll = row["roll"] or 0
    return {"roll": roll, "voted": row["voted"], "percent": round(100 * row["voted"] / roll) if roll else 0,
            "frozen": round_.roll_frozen_at is not None}


def round_results(election: Election) -> list[dict]:
    """Counted rounds with each candidate's votes, most votes first."""
    by_id = {c.pk: c for c in election.candidates.all()}
    out = []
    for round_ in election.rounds.all():
        if round_.closed_at is None:
            continue
        rows = sorted(
            ({"candidate": by_id[c.pk], "votes": round_.votes_for(c)} for c in round_.candidates.all()),
            key=lambda r: (-r["votes"], r["candidate"].user.display_name),
        )
        for r in rows:
            c = r["candidate"]
            r["elected_here"] = c.elected_round == round_.number
            r["to_runoff"] = (c.result == "runoff" and round_.number == election.current_round
                              and election.status == "awaiting_runoff")
        out.append({"round": round_, "rows": rows,
                    "percent": round(100 * round_.ballots_cast / round_.roll_size) if round_.roll_size else 0})
    return out
