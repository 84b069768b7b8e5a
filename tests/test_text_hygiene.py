"""Issue 9, finding 1: text hygiene at the edge.

Every text input of every form refuses C0/C1 controls (except newline and tab in long
text), bidi overrides and isolates and zero-width characters, with a sentence; text is
stored NFC, stripped and capped. Services refuse the same through ``check_text``.
"""

import importlib
import inspect
import unicodedata
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse

from funding import services as fs
from proposals import services as ps
from proposals.models import Objection, Proposal
from tests.factories import to_notice
from tests.funding_support import make_fund
from tests.test_views_funding import as_user
from tests.test_views_funding import world as funding_world
from yishi.errors import DomainError
from yishi.text import LineField, TextField, check_text, plain

FORM_MODULES = ["proposals.forms", "councils.forms", "funding.forms", "notifications.forms", "portal.forms",
                "organisations.forms", "needs.forms", "grants.forms", "elections.forms", "photos.forms"]

BAD = {
    "C0": "楼道扶手\x0b加装",
    "SOH": "某基金会\x01",
    "DEL": "a\x7fb",
    "C1": "a\x85b",
    "RLO": "报价\u202e0089",
    "LRI": "a\u2066b",
    "PDI": "a\u2069b",
    "ZWSP": "北\u200b苑",
    "WJ": "北\u2060苑",
    "BOM": "\ufeff北苑",
}


def _form_classes():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def _text_fields(cls):
    """The declared fields plus those a form adds in ``__init__`` (proxy and resident pickers)."""
    fields = dict(cls.base_fields)
    try:
        signature = inspect.signature(cls.__init__)
        kwargs = {}
        for p in signature.parameters.values():
            if p.kind == p.KEYWORD_ONLY and p.default is inspect.Parameter.empty:
                kwargs[p.name] = None
        form = cls(**kwargs)
    except (TypeError, AttributeError, RuntimeError):  # its __init__ needs real objects or the database:
        # the declared fields are checked
        return fields
    fields.update(form.fields)
    return fields


def test_every_text_input_of_every_form_uses_the_shared_field():
    plain_char_fields = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _form_classes()
        for name, field in _text_fields(cls).items()
        if isinstance(field, forms.CharField) and not isinstance(field, LineField)
        and not isinstance(field, forms.ModelChoiceField)
    ]
    # Django's own login form (username, password) is the auth helper's and checks no stored text.
    plain_char_fields = [f for f in plain_char_fields if not f.startswith("portal.forms.LoginForm")]
    assert plain_char_fields == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_line_field_refuses_with_a_sentence(kind):
    field = LineField(max_length=120)
    with pytest.raises(forms.ValidationError) as caught:
        field.clean(BAD[kind])
    message = " ".join(caught.value.messages)
    assert "请删除后重新输入" in message


@pytest.mark.parametrize("kind", sorted(BAD))
def test_text_field_refuses_the_same(kind):
    with pytest.raises(forms.ValidationError):
        TextField().clean("第一段\n" + BAD[kind])


def test_line_field_refuses_newline_and_tab_text_field_keeps_them():
    with pytest.raises(forms.ValidationError):
        LineField().clean("北苑\n后门")
    assert TextField().clean("第一段\r\n\t第二段\r第三段") == "第一段\n\t第二段\n第三段"


def test_emoji_joiner_allowed_in_long_text_only():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert TextField().clean(f"一家人 {family} 都同意") == f"一家人 {family} 都同意"
    with pytest.raises(forms.ValidationError):
        LineField().clean(f"一家人{family}")


def test_text_is_nfc_stripped_and_capped():
    decomposed = "Cafe\u0301 "
    assert LineField().clean(f"  {decomposed}") == unicodedata.normalize("NFC", "Café")
    with pytest.raises(forms.ValidationError):
        LineField(max_length=5).clean("一二三四五六")


def test_check_text_is_the_services_rule():
    with pytest.raises(DomainError, match="标题"):
        check_text("楼道扶手\x0b加装", "标题", 120)
    assert check_text("  北苑  ", "标题", 120) == "北苑"


def test_plain_cleans_stored_values_without_refusing():
    assert plain("某基金会\x01\u202e") == "某基金会"
    assert plain("第一段\n\t第二段") == "第一段\n\t第二段"
    assert plain(None) is None


# --------------------------------------------------------------------------- services and pages


def test_proposal_create_refuses_a_control_character_in_the_title(world):
    count = Proposal.objects.count()
    with pytest.raises(DomainError, match="控制字符"):
        ps.proposal_create(
            author=world.author, group=world.group, title="楼道扶手\x0b加装", summary="内容",
            lines=[("扶手", 1, "套", "100")], community_share="0",
        )
    assert Proposal.objects.count() == count


@pytest.mark.django_db
def test_fund_inflow_source_with_soh_is_refused_and_nothing_written():
    w = funding_world()
    fund = make_fund(w, "100.00")
    entries = fund.entries.count()
    with pytest.raises(DomainError):
        fs.fund_allocate(fund=fund, actor=w.street_staff, amount=Decimal("1"), source="某基金会\x01")
    assert fund.entries.count() == entries


@pytest.mark.django_db
def test_fund_inflow_form_answers_the_sentence(client):
    w = funding_world()
    fund = make_fund(w, "100.00")
    entries = fund.entries.count()
    response = as_user(client, w.street_staff).post(
        reverse("funding:fund_inflow", args=[fund.pk]), {"kind": "donation", "amount": "10", "source": "某基金会\x01"}
    )
    assert response.status_code in (200, 409)
    assert "控制字符" in response.content.decode()
    assert fund.entries.count() == entries


def test_objection_with_a_bidi_override_is_a_form_error(world, client):
    proposal, notice = to_notice(world)
    response = as_user(client, world.residents[1]).post(
        reverse("proposals:objection_file", args=[proposal.pk]), {"obj-text": "太贵了\u202e"}
    )
    assert response.status_code in (200, 409)
    assert "文字方向" in response.content.decode()
    assert not Objection.objects.filter(notice=notice).exists()
