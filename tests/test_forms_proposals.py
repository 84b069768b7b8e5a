"""Forms of the proposal pages check shape: lengths, Decimal money within the R3 ceiling, choices."""

from decimal import Decimal

import pytest

from proposals.forms import (
    BallotOpenForm,
    BudgetLineForm,
    BudgetLineFormSet,
    ObjectionAnswerForm,
    ObjectionForm,
    ProposalForm,
    RatingForm,
    ReasonForm,
    VoteForm,
)

GOOD = {"title": "北苑后门维修", "summary": "修后门", "category": "safety", "community_share": "18000"}


def test_proposal_form_accepts_decimal_money():
    form = ProposalForm(GOOD)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["community_share"] == Decimal("18000.00")
    assert isinstance(form.cleaned_data["community_share"], Decimal)


@pytest.mark.parametrize("share", ["-0.01", "10000000.01", "1e30", "NaN", "Infinity", "-Infinity", "一万", "1.001",
                                   "", "1" * 40])
def test_r3_proposal_form_rejects_bad_share(share):
    form = ProposalForm({**GOOD, "community_share": share})
    assert not form.is_valid()
    assert "community_share" in form.errors


def test_r3_proposal_form_allows_zero_share():
    assert ProposalForm({**GOOD, "community_share": "0"}).is_valid()


@pytest.mark.parametrize("field,value", [("title", "长" * 121), ("title", "长" * 10_000), ("summary", "长" * 5001),
                                         ("title", ""), ("summary", "   "), ("category", "salary-ish")])
def test_proposal_form_rejects_bad_text(field, value):
    assert not ProposalForm({**GOOD, field: value}).is_valid()


LINE = {"item": "后门维修", "quantity": "1", "unit": "项", "unit_price": "12000"}


@pytest.mark.parametrize("field,value", [
    ("quantity", "0"), ("quantity", "-1"), ("quantity", "1000000.01"), ("quantity", "abc"), ("quantity", "NaN"),
    ("unit_price", "0"), ("unit_price", "-5"), ("unit_price", "10000000.01"), ("unit_price", "1e12"),
    ("unit_price", "12.345"), ("item", "长" * 121), ("unit", "长" * 21), ("item", ""),
])
def test_r3_budget_line_form_rejects(field, value):
    assert not BudgetLineForm({**LINE, field: value}).is_valid()


def test_budget_line_form_as_line():
    form = BudgetLineForm({**LINE, "quantity": "100", "unit_price": "80"})
    assert form.is_valid()
    assert form.as_line() == ("后门维修", Decimal("100"), "项", Decimal("80"))


def _formset_data(n, **extra):
    data = {"lines-TOTAL_FORMS": str(n), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50"}
    for i in range(n):
        data.update({f"lines-{i}-{k}": v for k, v in LINE.items()})
    data.update(extra)
    return data


def test_budget_formset_limits():
    assert BudgetLineFormSet(_formset_data(50), prefix="lines").is_valid()
    assert not BudgetLineFormSet(_formset_data(51), prefix="lines").is_valid()
    assert not BudgetLineFormSet(_formset_data(0), prefix="lines").is_valid()
    assert not BudgetLineFormSet({"lines-TOTAL_FORMS": "x"}, prefix="lines").is_valid()


def test_reason_and_objection_lengths():
    assert not ReasonForm({"reason": "长" * 2001}).is_valid()
    assert ReasonForm({"reason": "预算要细化"}).is_valid()
    assert not ObjectionForm({"text": "长" * 2001}).is_valid()
    assert not ObjectionForm({"text": "  "}).is_valid()


def test_objection_answer_decisions():
    form = ObjectionAnswerForm({"decision": "uphold", "answer": "采纳"})
    assert form.is_valid() and form.upheld is True
    form = ObjectionAnswerForm({"decision": "dismiss", "answer": "不采纳，理由如下"})
    assert form.is_valid() and form.upheld is False
    assert not ObjectionAnswerForm({"decision": "maybe", "answer": "x"}).is_valid()


@pytest.mark.parametrize("choice,ok", [("approve", True), ("oppose", True), ("abstain", True), ("yes", False),
                                       ("", False)])
def test_vote_form_choices(choice, ok):
    assert VoteForm({"choice": choice}).is_valid() is ok


@pytest.mark.parametrize("stars,ok", [("1", True), ("5", True), ("0", False), ("6", False), ("x", False)])
def test_rating_form_stars(stars, ok):
    assert RatingForm({"stars": stars}).is_valid() is ok


def test_ballot_open_form_reads_local_time():
    form = BallotOpenForm({"closes_at": "2031-05-01T18:00"})
    assert form.is_valid()
    at = form.cleaned_data["closes_at"]
    assert at.utcoffset().total_seconds() == 8 * 3600  # Asia/Shanghai
    assert not BallotOpenForm({"closes_at": "next week"}).is_valid()
    assert BallotOpenForm().initial["closes_at"] is not None
