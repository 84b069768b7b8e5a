"""The count of one round (R20), as a pure function of the tallies.

First round: elected are candidates with more than half of the ballots cast
(blank ballots count as cast), most votes first, up to the seats. A tie at the
last seat elects none of the tied. Seats left go to a runoff among the next
candidates by votes, twice as many as the seats left, everyone tied at that
cut-off included. A runoff elects the most votes among those with at least one
third of that round's ballots, with the same tie rule. A round is valid only if
more than half of the roll voted (the runoff keeps the first round's rule).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoundCount:
    valid: bool
    elected: list = field(default_factory=list)
    runoff: list = field(default_factory=list)


def count_round(*, votes: dict, ballots_cast: int, roll_size: int, seats: int, runoff: bool) -> RoundCount:
    """``votes`` maps each candidate of the round (also those with no vote) to their votes."""
    if ballots_cast * 2 <= roll_size:
        return RoundCount(valid=False)
    if runoff:
        def qualifies(v):
            return v * 3 >= ballots_cast
    else:
        def qualifies(v):
            return v * 2 > ballots_cast
    # Most votes first; the id only makes the listing stable, it never decides a seat.
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    qualified = [(c, v) for c, v in ranked if qualifies(v)]
    if len(qualified) > seats and qualified[seats - 1][1] == qualified[seats][1]:
        tied = qualified[seats][1]
        elected = [c for c, v in qualified if v > tied]
    else:
        elected = [c for c, _v in qualified[:seats]]
    left = seats - len(elected)
    runoff_ids = []
    if left:
        rest = [(c, v) for c, v in ranked if c not in elected]
        size = 2 * left
        if len(rest) > size:
            cut = rest[size - 1][1]
            runoff_ids = [c for c, v in rest if v >= cut]
        else:
            runoff_ids = [c for c, _v in rest]
    return RoundCount(valid=True, elected=elected, runoff=runoff_ids)
