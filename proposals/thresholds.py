"""Threshold rules as values (R4, R7): one tally for group and community ballots.

A rule is (numerator, denominator, base, inclusive). With ``base`` the whole
electorate, "at least two thirds" is ``3 × approve ≥ 2 × electorate``; "more
than half" is ``2 × approve > 1 × electorate``. Integer arithmetic only.
"""

from dataclasses import dataclass

from .enums import ThresholdBase


@dataclass(frozen=True)
class Threshold:
    numerator: int
    denominator: int
    base: str = ThresholdBase.ELECTORATE
    inclusive: bool = True

    def __post_init__(self):
        if not (0 < self.numerator <= self.denominator):
            raise ValueError("threshold must be a fraction in (0, 1]")

    def passes(self, *, approve: int, electorate: int, votes_cast: int | None = None) -> bool:
        base = electorate if self.base == ThresholdBase.ELECTORATE else (votes_cast or 0)
        if base <= 0:
            return False
        left, right = self.denominator * approve, self.numerator * base
        return left >= right if self.inclusive else left > right

    def approvals_needed(self, *, electorate: int, votes_cast: int | None = None) -> int:
        """The smallest approve count that passes (may exceed the base: cannot pass)."""
        base = electorate if self.base == ThresholdBase.ELECTORATE else (votes_cast or 0)
        need = -(-self.numerator * base // self.denominator)  # ceil
        if not self.inclusive and self.denominator * need <= self.numerator * base:
            need += 1
        return max(need, 1)


# R4: more than half of the seated group-council members (3 of 5).
GROUP_MAJORITY = Threshold(1, 2, ThresholdBase.ELECTORATE, inclusive=False)
# R7: at least two thirds of all community-council members ("三分之二以上" counts the bound).
COMMUNITY_TWO_THIRDS = Threshold(2, 3, ThresholdBase.ELECTORATE, inclusive=True)
