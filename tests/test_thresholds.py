"""R4/R7: threshold rules as values, checked against exact fractions."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proposals.enums import ThresholdBase
from proposals.thresholds import COMMUNITY_TWO_THIRDS, GROUP_MAJORITY, Threshold


def reference(threshold: Threshold, approve: int, base: int) -> bool:
    if base <= 0:
        return False
    share = Fraction(approve, base)
    bar = Fraction(threshold.numerator, threshold.denominator)
    return share >= bar if threshold.inclusive else share > bar


@given(electorate=st.integers(min_value=1, max_value=200), data=st.data())
def test_r7_two_thirds_matches_fraction_arithmetic(electorate, data):
    approve = data.draw(st.integers(min_value=0, max_value=electorate))
    expected = Fraction(approve, electorate) >= Fraction(2, 3)
    assert COMMUNITY_TWO_THIRDS.passes(approve=approve, electorate=electorate) is expected


@given(electorate=st.integers(min_value=1, max_value=200), data=st.data())
def test_r4_group_majority_matches_fraction_arithmetic(electorate, data):
    approve = data.draw(st.integers(min_value=0, max_value=electorate))
    expected = Fraction(approve, electorate) > Fraction(1, 2)
    assert GROUP_MAJORITY.passes(approve=approve, electorate=electorate) is expected


@given(
    numerator=st.integers(min_value=1, max_value=12),
    extra=st.integers(min_value=0, max_value=12),
    inclusive=st.booleans(),
    electorate=st.integers(min_value=1, max_value=200),
    data=st.data(),
)
def test_r7_any_threshold_value_matches_fraction_and_approvals_needed(numerator, extra, inclusive, electorate, data):
    rule = Threshold(numerator, numerator + extra, ThresholdBase.ELECTORATE, inclusive)
    approve = data.draw(st.integers(min_value=0, max_value=electorate))
    assert rule.passes(approve=approve, electorate=electorate) is reference(rule, approve, electorate)
    needed = rule.approvals_needed(electorate=electorate)
    # ``needed`` is the smallest passing count: it passes, one fewer does not.
    assert reference(rule, needed, electorate)
    assert not reference(rule, needed - 1, electorate)


def test_r7_every_electorate_1_to_200_exhaustively():
    for electorate in range(1, 201):
        needed = COMMUNITY_TWO_THIRDS.approvals_needed(electorate=electorate)
        assert Fraction(needed, electorate) >= Fraction(2, 3) > Fraction(needed - 1, electorate)
        for approve in range(electorate + 1):
            assert COMMUNITY_TWO_THIRDS.passes(approve=approve, electorate=electorate) is (
                3 * approve >= 2 * electorate
            )


@pytest.mark.parametrize(
    ("electorate", "approve", "passes"),
    [(37, 24, False), (37, 25, True), (36, 23, False), (36, 24, True), (3, 2, True), (3, 1, False)],
)
def test_r7_two_thirds_boundaries(electorate, approve, passes):
    assert COMMUNITY_TWO_THIRDS.passes(approve=approve, electorate=electorate) is passes


@pytest.mark.parametrize(("electorate", "approve", "passes"), [(5, 3, True), (5, 2, False), (4, 2, False), (4, 3, True)])
def test_r4_majority_boundaries(electorate, approve, passes):
    assert GROUP_MAJORITY.passes(approve=approve, electorate=electorate) is passes


def test_r7_threshold_on_votes_cast_base():
    rule = Threshold(1, 2, ThresholdBase.VOTES_CAST, inclusive=False)
    assert rule.passes(approve=3, electorate=100, votes_cast=5)
    assert not rule.passes(approve=3, electorate=100, votes_cast=6)
    assert not rule.passes(approve=0, electorate=100, votes_cast=0)


@pytest.mark.parametrize(("numerator", "denominator"), [(0, 3), (4, 3), (-1, 2)])
def test_r7_threshold_refuses_a_value_outside_zero_to_one(numerator, denominator):
    with pytest.raises(ValueError):
        Threshold(numerator, denominator)
