"""The proposal form: drafts, budget lines added and removed in place (htmx and without JS), live totals (R3)."""

import pytest

from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Proposal, ProposalEvent
from tests.factories import group_adopt, make_proposal, to_group_review
from tests.test_views_proposals_support import *  # noqa: F403
from tests.test_views_proposals_support import (
    HTMX,
    HUGE_TEXT,
    SCRIPT,
    as_user,
    assert_login_redirect,
    text_of,
    url,
)

pytestmark = pytest.mark.django_db


def form_data(lines=None, **overrides):
    lines = lines if lines is not None else [
        ("后门维修", "1", "项", "12000"), ("消防通道整治", "1", "项", "16000"), ("围墙防盗刺", "100", "米", "80"),
    ]
    data = {
        "title": "北苑后门维修", "summary": "修后门、消防通道和围墙防盗刺", "category": "safety",
        "community_share": "18000", "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "50",
    }
    for i, (item, quantity, unit, price) in enumerate(lines):
        data.update({f"lines-{i}-item": item, f"lines-{i}-quantity": quantity, f"lines-{i}-unit": unit,
                     f"lines-{i}-unit_price": price})
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- permissions


def test_create_anonymous_redirected_to_login(world, client):
    assert_login_redirect(client.get(url("create")))
    assert_login_redirect(client.post(url("create"), form_data()))


def test_create_without_residency_is_403_with_reason(world, stranger, client):
    response = as_user(client, stranger).get(url("create"))
    assert response.status_code == 403
    assert "核实" in text_of(response)
    response = client.post(url("create"), form_data(op="save"))
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_create_page_for_resident(world, client):
    response = as_user(client, world.author).get(url("create"))
    assert response.status_code == 200
    body = text_of(response)
    assert 'name="lines-0-item"' in body and 'name="community_share"' in body
    assert 'name="author"' not in body  # only staff choose whom they enter it for
    assert 'hx-post="/proposals/new/?op=recalc"' in body


def test_edit_permission_matrix(world, other, client):
    proposal = make_proposal(world)
    assert_login_redirect(client.get(url("edit", proposal.pk)))
    assert as_user(client, world.author).get(url("edit", proposal.pk)).status_code == 200
    # Another resident of the group may read the draft but not edit it.
    response = as_user(client, world.residents[1]).get(url("edit", proposal.pk))
    assert response.status_code == 403 and "提议人" in text_of(response)
    assert as_user(client, other.residents[0]).get(url("edit", proposal.pk)).status_code == 404


def test_edit_by_group_member_in_review_but_not_after_adoption(world, client):
    proposal = to_group_review(world)
    assert as_user(client, world.group_members[1]).get(url("edit", proposal.pk)).status_code == 200
    group_adopt(world, proposal)
    response = client.get(url("edit", proposal.pk))
    assert response.status_code == 403
    assert "不能再修改" in text_of(response)


# --------------------------------------------------------------------------- saving


def test_create_saves_draft_with_three_lines(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(op="save"))
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response.url == url("detail", proposal.pk)
    assert proposal.status == S.DRAFT
    assert proposal.total == 36000 and proposal.community_share == 18000
    assert [b.item for b in proposal.lines.all()] == ["后门维修", "消防通道整治", "围墙防盗刺"]
    assert proposal.author == world.author and proposal.entered_by is None


def test_create_and_submit_goes_to_group_review(world, client):
    as_user(client, world.author).post(url("create"), form_data(op="submit"))
    assert Proposal.objects.get().status == S.GROUP_REVIEW


def test_create_skips_blank_extra_rows(world, client):
    data = form_data(lines=[("后门维修", "1", "项", "12000"), ("", "", "", "")], community_share="6000")
    response = as_user(client, world.author).post(url("create"), {**data, "op": "save"})
    assert response.status_code == 302
    assert Proposal.objects.get().lines.count() == 1


def test_create_on_behalf_by_staff_records_entered_by(world, client):
    page = text_of(as_user(client, world.staff).get(url("create")))
    assert 'name="author"' in page and world.residents[2].full_name in page
    response = client.post(url("create"), form_data(op="save", author=str(world.residents[2].pk)))
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.author == world.residents[2] and proposal.entered_by == world.staff
    event = ProposalEvent.objects.get(proposal=proposal)
    assert event.actor == world.staff and event.on_behalf_of == world.residents[2]


def test_create_on_behalf_of_resident_of_other_community_refused(world, other, client):
    response = as_user(client, world.staff).post(url("create"), form_data(op="save", author=str(other.residents[0].pk)))
    assert response.status_code == 200  # not a choice on this staff member's list
    assert not Proposal.objects.exists()


def test_edit_saves_and_bumps_revision(world, client):
    proposal = make_proposal(world)
    data = form_data(lines=[("后门维修", "2", "项", "12000")], community_share="10000", title="新标题")
    response = as_user(client, world.author).post(url("edit", proposal.pk), {**data, "op": "save"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "新标题" and proposal.total == 24000 and proposal.revision == 2


def test_edit_page_shows_existing_lines(world, client):
    proposal = make_proposal(world)
    body = text_of(as_user(client, world.author).get(url("edit", proposal.pk)))
    assert 'value="围墙防盗刺"' in body and 'value="100"' in body and 'value="80.00"' in body


# --------------------------------------------------------------------------- the cap (R3)


def test_r3_cap_exceeded_on_save_shows_the_sentence_and_saves_nothing(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(op="save", community_share="20000"))
    assert response.status_code == 422  # a form to correct, not a conflict
    body = text_of(response)
    assert body.count("申请公服资金最多为总预算的 50%，即 18,000.00 元") == 1  # said once
    assert not Proposal.objects.exists()


def test_r3_cap_exceeded_on_edit_leaves_proposal_unchanged(world, client):
    proposal = make_proposal(world)
    response = as_user(client, world.author).post(url("edit", proposal.pk),
                                                  form_data(op="save", community_share="30000"))
    assert response.status_code == 422
    assert text_of(response).count("申请公服资金最多为总预算的 50%") == 1
    proposal.refresh_from_db()
    assert proposal.community_share == 18000 and proposal.revision == 1


# --------------------------------------------------------------------------- htmx: lines and totals


def test_htmx_add_line_returns_the_lines_partial_with_one_more_row(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(op="add_line"), **HTMX)
    assert response.status_code == 200
    body = text_of(response)
    assert "<html" not in body and body.lstrip().startswith('<fieldset id="budget-lines"')
    assert 'name="lines-3-item"' in body
    assert 'name="lines-TOTAL_FORMS" value="4"' in body
    assert 'value="围墙防盗刺"' in body
    assert not Proposal.objects.exists()


def test_htmx_remove_line_keeps_the_others(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(remove="1"), **HTMX)
    body = text_of(response)
    assert 'name="lines-TOTAL_FORMS" value="2"' in body
    assert "消防通道整治" not in body
    assert 'value="后门维修"' in body and 'value="围墙防盗刺"' in body


def test_remove_the_only_line_keeps_one(world, client):
    data = form_data(lines=[("后门维修", "1", "项", "12000")])
    body = text_of(as_user(client, world.author).post(url("create"), {**data, "remove": "0"}, **HTMX))
    assert 'name="lines-TOTAL_FORMS" value="1"' in body


@pytest.mark.parametrize("index", ["-1", "99", "x"])
def test_remove_bad_index_changes_nothing(world, client, index):
    body = text_of(as_user(client, world.author).post(url("create"), form_data(remove=index), **HTMX))
    assert 'name="lines-TOTAL_FORMS" value="3"' in body


def test_add_line_without_javascript_returns_the_full_page(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(op="add_line"))
    body = text_of(response)
    assert response.status_code == 200 and "<html" in body
    assert 'name="lines-3-item"' in body
    assert 'name="title" value="北苑后门维修"' in body


def test_htmx_recalc_returns_totals_in_decimal(world, client):
    data = form_data(lines=[("漆", "3", "桶", "0.10"), ("刷", "3", "把", "0.20")], community_share="0.45")
    response = as_user(client, world.author).post(url("create") + "?op=recalc", data, **HTMX)
    body = text_of(response)
    assert body.lstrip().startswith('<div id="budget-totals"')
    # 0.30 + 0.60 = 0.90 exactly (a float sum would give 0.8999999…)
    assert "<strong>0.90</strong>" in body
    assert "0.45" in body


def test_htmx_recalc_explains_the_cap_when_exceeded(world, client):
    response = as_user(client, world.author).post(url("create") + "?op=recalc", form_data(community_share="20000"),
                                                  **HTMX)
    body = text_of(response)
    assert "36,000.00" in body
    assert "申请公服资金最多为总预算的 50%，即 18,000.00 元；其余 18,000.00 元需要居民自筹" in body


@pytest.mark.parametrize("price", ["abc", "-5", "1e30", "NaN", "Infinity", ""])
def test_htmx_recalc_ignores_lines_that_are_not_numbers(world, client, price):
    data = form_data(lines=[("后门维修", "1", "项", "12000"), ("坏", "1", "个", price)], community_share="6000")
    response = as_user(client, world.author).post(url("create") + "?op=recalc", data, **HTMX)
    assert response.status_code == 200
    assert "<strong>12,000.00</strong>" in text_of(response)


def test_recalc_without_javascript_returns_full_page(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(op="recalc"))
    assert "<html" in text_of(response) and "36,000.00" in text_of(response)


# --------------------------------------------------------------------------- bad input


BAD_LINES = [
    ("negative price", {"lines-0-unit_price": "-12000"}),
    ("zero quantity", {"lines-0-quantity": "0"}),
    ("huge price", {"lines-0-unit_price": "100000000000"}),
    ("exponent price", {"lines-0-unit_price": "1e30"}),
    ("NaN price", {"lines-0-unit_price": "NaN"}),
    ("Infinity quantity", {"lines-0-quantity": "Infinity"}),
    ("text quantity", {"lines-0-quantity": "十"}),
    ("three decimals", {"lines-0-unit_price": "1.005"}),
    ("huge quantity", {"lines-0-quantity": "10000001"}),
    ("negative share", {"community_share": "-1"}),
    ("text share", {"community_share": "一万"}),
    ("huge share", {"community_share": "99999999999999"}),
    ("long title", {"title": HUGE_TEXT}),
    ("long summary", {"summary": HUGE_TEXT}),
    ("long item", {"lines-0-item": HUGE_TEXT}),
    ("long unit", {"lines-0-unit": HUGE_TEXT}),
    ("empty title", {"title": "   "}),
    ("bad category", {"category": "<script>"}),
    ("too many lines", {"lines-TOTAL_FORMS": "51"}),
    ("garbage management form", {"lines-TOTAL_FORMS": "abc"}),
]


@pytest.mark.parametrize("case,overrides", BAD_LINES, ids=[c for c, _o in BAD_LINES])
def test_create_bad_input_is_a_form_error_and_saves_nothing(world, client, case, overrides):
    response = as_user(client, world.author).post(url("create"), form_data(op="save", **overrides))
    assert response.status_code in (200, 422), case
    assert "form-errors" in text_of(response) or "field-error" in text_of(response)
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("case,overrides", BAD_LINES, ids=[c for c, _o in BAD_LINES])
def test_edit_bad_input_leaves_proposal_unchanged(world, client, case, overrides):
    proposal = make_proposal(world)
    response = as_user(client, world.author).post(url("edit", proposal.pk), form_data(op="save", **overrides))
    assert response.status_code in (200, 422), case
    proposal.refresh_from_db()
    assert proposal.revision == 1 and proposal.title == "北苑后门维修" and proposal.total == 36000


@pytest.mark.parametrize("field,markup,escaped", [
    ("title", SCRIPT, "&lt;script&gt;"),
    ("summary", SCRIPT, "&lt;script&gt;"),
    ("lines-0-item", SCRIPT, "&lt;script&gt;"),
    ("lines-0-unit", "<img src=x>", "&lt;img src=x&gt;"),  # a unit is at most 20 characters
])
def test_markup_in_text_fields_is_escaped(world, client, field, markup, escaped):
    as_user(client, world.author).post(url("create"), form_data(op="save", **{field: markup}))
    proposal = Proposal.objects.get()
    for target in (url("detail", proposal.pk), url("edit", proposal.pk)):
        body = text_of(client.get(target))
        assert markup not in body
        assert escaped in body


@pytest.mark.parametrize("field", ["title", "summary", "lines-0-item"])
def test_markup_echoed_back_in_form_errors_is_escaped(world, client, field):
    response = as_user(client, world.author).post(url("create"), form_data(op="save", community_share="-1",
                                                                         **{field: SCRIPT}))
    assert SCRIPT not in text_of(response)
    assert not Proposal.objects.exists()


def test_submit_from_form_refused_for_proposal_already_in_review_shows_error(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.author).post(url("edit", proposal.pk), form_data(op="submit"))
    assert response.status_code == 409
    assert "不能提交小组议事" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.revision == 1  # the save rolled back with the refused submit


def test_edit_while_group_ballot_open_is_refused(world, client):
    proposal = to_group_review(world)
    from datetime import timedelta

    from django.utils import timezone

    ps.group_ballot_open(proposal=proposal, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=1))
    response = as_user(client, world.author).post(url("edit", proposal.pk), form_data(op="save", title="改"))
    assert response.status_code == 409
    assert "表决正在进行" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.title == "北苑后门维修"


# --------------------------------------------------------------------------- refuse early (issue 10)


def test_r8_negative_list_categories_are_not_offered_on_the_form(world, client):
    body = text_of(as_user(client, world.author).get(url("create")))
    assert 'value="greening"' in body
    for refused in ("property_fee", "government_duty", "salary"):
        assert f'value="{refused}"' not in body
    assert "公服资金不能用于：物业费等个人应付费用、政府部门职责事项、人员工资福利" in body


def test_r8_negative_list_category_posted_anyway_is_refused_and_saves_nothing(world, client):
    response = as_user(client, world.author).post(url("create"), form_data(op="save", category="salary"))
    assert response.status_code == 200
    assert "field-error" in text_of(response)
    assert not Proposal.objects.exists()


def test_r8_negative_list_category_refused_at_drafting_by_the_service(world):
    from yishi.errors import DomainError

    with pytest.raises(DomainError) as refusal:
        ps.proposal_create(author=world.author, group=world.group, title="代缴物业费", summary="x",
                           lines=[("物业费", 1, "项", "1000.00")], community_share="0", category="property_fee")
    assert "物业费等个人应付费用”不在公服资金的使用范围内" in str(refusal.value)
    assert not Proposal.objects.exists()
