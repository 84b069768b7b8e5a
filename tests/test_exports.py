"""Exports of ledgers and project accounts (XLSX, CSV) and the SVG charts page."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from funding import services as fs
from proposals.enums import ProposalStatus as S
from tests.funding_support import make_fund
from tests.test_views_funding import accepted, as_user, assert_login_redirect, bare, count_queries, funded, world

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def w():
    return world()


@pytest.fixture
def other():
    return world(prefix="外")


def body_of(response) -> bytes:
    assert response.streaming  # exports stream; nothing holds a whole ledger in memory
    return b"".join(response.streaming_content)


def read_csv(response):
    text = body_of(response).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese correctly with a BOM
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(body_of(response))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def settled(w):
    p = accepted(w)
    fs.settlement_record(proposal=p, actor=w.group_members[0], actual_cost="34500")
    p.refresh_from_db()
    return p


# --------------------------------------------------------------------------- ledger


def test_r15_ledger_csv_has_every_entry_and_running_balance(client, w):
    fund = make_fund(w, "300000.00")
    settled(w)
    response = as_user(client, w.street_staff).get(reverse("funding:ledger_export", args=[fund.pk, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert header[:3] == ["序号", "时间", "类别"]
    kinds = [r[2] for r in body]
    assert kinds == ["拨入", "预留", "拨付", "结余退回"]
    # Running balance after the last entry and the totals row agree with the fund: 300000 - 18000 + 750.
    assert body[-1][5] == "282750.00" and body[-1][7] == "282750.00"
    assert totals[0] == "合计" and totals[5] == "282750.00" and totals[6] == "0.00"
    assert sum(D(r[3]) for r in body) == D("282750.00")


def test_r15_ledger_xlsx_opens_with_numbers(client, w):
    fund = make_fund(w, "300000.00")
    funded(w)
    response = as_user(client, w.supervisor).get(reverse("funding:ledger_export", args=[fund.pk, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = read_xlsx(response)
    assert rows[0][0] == "序号"
    assert [r[2] for r in rows[1:-1]] == ["拨入", "预留"]
    assert D(str(rows[-1][5])) == D("300000.00")  # balance
    assert D(str(rows[-1][7])) == D("282000.00")  # available
    assert isinstance(rows[1][3], (int, float))


def test_ledger_export_neutralises_formulas(client, w):
    fund = make_fund(w, "100.00")
    fs.fund_allocate(fund=fund, actor=w.street_staff, amount="1", source="=HYPERLINK(\"http://x\")", memo="+1")
    client = as_user(client, w.street_staff)
    rows = read_csv(client.get(reverse("funding:ledger_export", args=[fund.pk, "csv"])))
    assert rows[2][9] == "'=HYPERLINK(\"http://x\")" and rows[2][10] == "'+1"
    xrows = read_xlsx(client.get(reverse("funding:ledger_export", args=[fund.pk, "xlsx"])))
    assert xrows[2][9] == "'=HYPERLINK(\"http://x\")"


def test_ledger_export_unknown_format_not_found(client, w):
    fund = make_fund(w)
    url = reverse("funding:ledger_export", args=[fund.pk, "pdf"])
    assert as_user(client, w.street_staff).get(url).status_code == 404


@pytest.mark.parametrize("who", ["staff", "author"])
def test_ledger_export_forbidden_for_other_roles(client, w, who):
    fund = make_fund(w)
    url = reverse("funding:ledger_export", args=[fund.pk, "csv"])
    assert as_user(client, getattr(w, who)).get(url).status_code == 403


def test_ledger_export_other_subdistrict_not_found(client, w, other):
    fund = make_fund(w)
    response = as_user(client, other.street_staff).get(reverse("funding:ledger_export", args=[fund.pk, "xlsx"]))
    assert response.status_code == 404


def test_ledger_export_anonymous_goes_to_login(client, w):
    fund = make_fund(w)
    assert_login_redirect(client.get(reverse("funding:ledger_export", args=[fund.pk, "csv"])))


# --------------------------------------------------------------------------- project accounts


def test_r13_accounts_export_totals_to_the_fen(client, w):
    make_fund(w)
    settled(w)
    funded(w)  # a second project, funded but not released
    client = as_user(client, w.street_staff)
    rows = read_csv(client.get(reverse("funding:accounts_export", args=["csv"])))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    col = {name: i for i, name in enumerate(header)}
    assert len(body) == 2
    done = next(r for r in body if r[col["状态"]] == "已决算")
    assert done[col["实际支出"]] == "34500.00" and done[col["结余"]] == "1500.00"
    assert done[col["退回资金账户"]] == "750.00" and done[col["应退居民"]] == "750.00"
    assert done[col["已拨付公服资金"]] == "18000.00" and done[col["施工方"]]
    assert totals[col["总预算"]] == "72000.00"
    assert totals[col["核定公服资金"]] == "36000.00"
    assert totals[col["已拨付公服资金"]] == "18000.00"
    xrows = read_xlsx(client.get(reverse("funding:accounts_export", args=["xlsx"])))
    assert D(str(xrows[-1][col["总预算"]])) == D("72000.00")
    assert D(str(xrows[-1][col["退回资金账户"]])) == D("750.00")


def test_accounts_export_only_scope(client, w, other):
    make_fund(w)
    funded(w)
    rows = read_csv(as_user(client, other.street_staff).get(reverse("funding:accounts_export", args=["csv"])))
    assert len(rows) == 2  # header and totals, no project of the other subdistrict


def test_accounts_export_other_community_filter_not_found(client, w, other):
    response = as_user(client, other.street_staff).get(reverse("funding:accounts_export", args=["csv"]),
                                                       {"community": w.community.pk})
    assert response.status_code == 404


def test_accounts_export_forbidden_and_anonymous(client, w):
    assert as_user(client, w.staff).get(reverse("funding:accounts_export", args=["csv"])).status_code == 403
    client.logout()
    assert_login_redirect(client.get(reverse("funding:accounts_export", args=["csv"])))


def test_accounts_export_queries_constant(client, w, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bare(w, 1, S.FUNDED)
    client = as_user(client, w.street_staff)
    url = reverse("funding:accounts_export", args=["csv"])
    read_csv(client.get(url))
    with CaptureQueriesContext(connection) as one:
        read_csv(client.get(url))  # the body streams: its queries run while it is read
    bare(w, 2, S.SETTLED)
    bare(w, 3, S.APPROVED)
    with django_assert_num_queries(len(one.captured_queries)):
        rows = read_csv(client.get(url))
    assert len(rows) == 5


# --------------------------------------------------------------------------- charts


def test_charts_render_svg_bars_without_inline_styles(client, w):
    make_fund(w)
    funded(w)
    bare(w, 9, S.SUBMITTED, total="2000.00")
    response = as_user(client, w.street_staff).get(reverse("funding:charts"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg class=\"bar-chart\"") == 3
    assert "style=" not in body
    assert w.community.name in body and "38,000.00" in body  # 36 000 + 2 000 proposed in the community
    widths = [int(x) for x in re.findall(r'<rect x="0" y="\d+" width="(\d+)"', body)]
    assert widths and max(widths) == 480 - 130  # the largest bar spans the plot


def test_charts_year_filter_bad_value_is_harmless(client, w):
    response = as_user(client, w.supervisor).get(reverse("funding:charts"), {"year": "<script>"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_charts_forbidden_and_anonymous(client, w):
    assert as_user(client, w.staff).get(reverse("funding:charts")).status_code == 403
    client.logout()
    assert_login_redirect(client.get(reverse("funding:charts")))


def test_charts_other_subdistrict_sees_none_of_it(client, w, other):
    make_fund(w)
    funded(w)
    body = as_user(client, other.street_staff).get(reverse("funding:charts")).content.decode()
    assert w.community.name not in body


def test_charts_queries_constant(client, w, django_assert_num_queries):
    bare(w, 1, S.SUBMITTED)
    client = as_user(client, w.street_staff)
    n = count_queries(client, reverse("funding:charts"))
    bare(w, 2, S.FUNDED)
    bare(w, 3, S.SETTLED)
    with django_assert_num_queries(n):
        client.get(reverse("funding:charts"))
