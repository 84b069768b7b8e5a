"""The proposal form: budget lines added and removed in place, totals recomputed live (R3).

One view serves new and existing drafts. The form posts back to itself with
an ``op``:

- ``add_line`` / ``remove`` (a row number): the form again with one row more or
  less, nothing saved (htmx swaps only the lines fieldset; without JavaScript
  the whole page comes back);
- ``recalc``: the totals recomputed on the server in Decimal (htmx posts it on
  every input pause; without JavaScript a button does);
- ``save``: the draft saved through ``proposal_create`` / ``proposal_update``;
- ``submit``: saved, then handed to the group council (``proposal_submit``).
"""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from councils.models import Residency, User
from proposals import hooks, services
from proposals.enums import EDITABLE
from proposals.enums import ProposalStatus as S
from proposals.forms import MAX_LINES, MAX_QUANTITY, BudgetLineFormSet, ProposalForm
from proposals.models import MONEY_CEILING
from yishi.errors import DomainError

from .access import proposal_or_404, viewer_for
from .common import error_status, forbidden, template_for

CENT = Decimal("0.01")
LINE_FIELDS = ("item", "quantity", "unit", "unit_price")
PREFIX = "lines"
PAGE = "proposals/form.html"


# --------------------------------------------------------------------------- rows and totals


def rows_from_post(data) -> list[dict]:
    """The budget rows as typed, at most ``MAX_LINES``, each value cut to a sane length."""
    try:
        count = int(data.get(f"{PREFIX}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        count = 0
    count = max(0, min(count, MAX_LINES))
    return [{f: str(data.get(f"{PREFIX}-{i}-{f}", ""))[:200] for f in LINE_FIELDS} for i in range(count)]


def formset_for(rows: list[dict], *, bound: bool = False):
    """A formset showing ``rows`` exactly as typed.

    Bound (with its errors and ``aria-invalid``) only after a save was tried;
    while a row is being added or removed, the rows show without complaints.
    """
    if not bound:
        return BudgetLineFormSet(initial=rows, prefix=PREFIX)
    data = {f"{PREFIX}-TOTAL_FORMS": str(len(rows)), f"{PREFIX}-INITIAL_FORMS": "0",
            f"{PREFIX}-MIN_NUM_FORMS": "1", f"{PREFIX}-MAX_NUM_FORMS": str(MAX_LINES)}
    for i, row in enumerate(rows):
        for f in LINE_FIELDS:
            data[f"{PREFIX}-{i}-{f}"] = row.get(f, "")
    return BudgetLineFormSet(data, prefix=PREFIX)


def _number(raw: str, ceiling: Decimal) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value > ceiling:
        return None
    return value


def budget_summary(rows: list[dict], share_raw, community) -> dict:
    """R3 totals for what is typed so far: line amounts, total, shares, and the cap's sentence if exceeded."""
    amounts = []
    total = Decimal("0.00")
    for row in rows:
        quantity = _number(row.get("quantity", ""), MAX_QUANTITY)
        price = _number(row.get("unit_price", ""), MONEY_CEILING)
        amount = None
        if quantity is not None and price is not None:
            # R3: each line rounded to the fen half-up, as services.lines_total does.
            amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        amounts.append(amount)
        if amount is not None:
            total += amount
    cap = hooks.share_cap(community)
    max_share = (Decimal(cap.numerator) * total / Decimal(cap.denominator)).quantize(CENT, rounding=ROUND_FLOOR)
    share = None
    share_error = None
    raw = str(share_raw or "").strip()
    if raw:
        try:
            share = services.check_shares(total=total, community_share=raw, community=community)
        except DomainError as error:
            share_error = str(error)
    return {
        "amounts": amounts,
        "total": total,
        "share": share,
        "self_raised": (total - share) if share is not None else None,
        "share_error": share_error,
        "cap_percent": f"{float(cap) * 100:g}",
        "max_share": max_share,
    }


# --------------------------------------------------------------------------- who may draft


def _staff_residents(viewer):
    """Residents community staff may enter a proposal for (R1: verified, in a community they serve)."""
    qs = User.objects.filter(
        pk__in=Residency.objects.current().filter(verified_at__isnull=False).filter(
            **({} if viewer.is_superuser else {"group__community_id__in": viewer.staff_community_ids})
        ).values("user")
    )
    return qs.order_by("full_name", "username")


def _page(request, *, proposal, form, rows, community, show_errors=False, partial=None, status=200,
          formset_errors=()):
    formset = formset_for(rows, bound=show_errors)
    summary = budget_summary(rows, form["community_share"].value(), community)
    if show_errors and summary["share_error"] and summary["share_error"] in form.non_field_errors():
        summary["share_error"] = None  # the refusal is already said once, at the top of the form
    context = {
        # Errors about the set of lines as a whole (too many, none, a tampered count).
        "formset_errors": list(formset_errors),
        "proposal": proposal,
        "form": form,
        "formset": formset,
        "rows_count": formset.total_form_count(),
        "max_lines": MAX_LINES,
        "summary": summary,
        "show_errors": show_errors,
        "form_url": reverse("proposals:edit", args=[proposal.pk]) if proposal else reverse("proposals:create"),
        "community": community,
    }
    return render(request, template_for(request, PAGE, partial), context, status=status)


def _handle(request, *, proposal, author_queryset, community, initial_rows, initial):
    """Shared by create and edit: see the module docstring for the ``op`` values."""
    if request.method != "POST":
        form = ProposalForm(initial=initial, author_queryset=author_queryset, community=community)
        return _page(request, proposal=proposal, form=form, rows=initial_rows, community=community)

    op = request.POST.get("op") or request.GET.get("op") or "save"
    rows = rows_from_post(request.POST) or [dict.fromkeys(LINE_FIELDS, "")]
    form = ProposalForm(request.POST, author_queryset=author_queryset, community=community)
    remove = request.POST.get("remove")
    if remove is not None:
        try:
            index = int(remove)
        except ValueError:
            index = -1
        if 0 <= index < len(rows) and len(rows) > 1:
            rows.pop(index)
        return _page(request, proposal=proposal, form=form, rows=rows, community=community, partial="lines")
    if op == "add_line":
        if len(rows) < MAX_LINES:
            rows.append(dict.fromkeys(LINE_FIELDS, ""))
        return _page(request, proposal=proposal, form=form, rows=rows, community=community, partial="lines")
    if op == "recalc":
        return _page(request, proposal=proposal, form=form, rows=rows, community=community, partial="totals")

    formset = BudgetLineFormSet(request.POST, prefix=PREFIX)
    if not (form.is_valid() and formset.is_valid()):
        return _page(request, proposal=proposal, form=form, rows=rows, community=community, show_errors=True,
                     formset_errors=formset.non_form_errors())
    data = form.cleaned_data
    # Too much public money is a form to correct (422), said once, before any service is asked;
    # a refusal by the proposal's state (a ballot open, already submitted) stays a 409 below.
    share_error = budget_summary(rows, data["community_share"], community)["share_error"]
    if share_error:
        form.add_error(None, share_error)
        return _page(request, proposal=proposal, form=form, rows=rows, community=community, show_errors=True,
                     status=422)
    lines = [f.as_line() for f in formset.forms if f.has_changed() and f.cleaned_data]
    fields = {"title": data["title"], "summary": data["summary"], "lines": lines,
              "community_share": data["community_share"], "category": data["category"]}
    existing = proposal
    try:
        with transaction.atomic():
            if proposal is None:
                author = data.get("author") or request.user
                residency = Residency.objects.current().filter(user=author, verified_at__isnull=False).select_related(
                    "group__community").first()
                if residency is None:
                    raise DomainError(_("这位居民还没有核实的居住登记，不能提出议案。"))
                entered_by = request.user if author.pk != request.user.pk else None
                proposal = services.proposal_create(author=author, group=residency.group, entered_by=entered_by,
                                                    **fields)
            else:
                services.proposal_update(proposal=proposal, actor=request.user, **fields)
            if op == "submit":
                services.proposal_submit(proposal=proposal, actor=request.user)
    except DomainError as error:
        # Everything was rolled back: show the form again over what is stored (nothing, for a new one).
        form.add_error(None, str(error))
        fresh = proposal_or_404(request, existing.pk) if existing is not None else None
        return _page(request, proposal=fresh, form=form, rows=rows, community=community, show_errors=True,
                     status=error_status(request, error))
    if op == "submit":
        messages.success(request, _("议案已提交小组议事会。"))
    else:
        messages.success(request, _("草稿已保存。"))
    return redirect(reverse("proposals:detail", args=[proposal.pk]))


@login_required
def create(request):
    """A verified resident drafts a proposal; community staff may enter one for a resident (R1)."""
    viewer = viewer_for(request)
    staff = bool(viewer.staff_community_ids) or viewer.is_superuser
    if viewer.residency_group_id is None and not staff:
        return forbidden(request, _("只有已核实的居民可以提出议案。请先请社区工作人员核实您的居住信息。"))
    author_queryset = _staff_residents(viewer) if staff else None
    residency = None
    if viewer.residency_group_id is not None:
        residency = Residency.objects.current().filter(user=request.user, verified_at__isnull=False).select_related(
            "group__community").first()
    if residency is not None:
        community = residency.group.community
    else:
        from councils.models import Community

        community = Community.objects.filter(pk__in=viewer.staff_community_ids).first() or Community.objects.first()
    initial = {"author": request.user.pk} if staff and residency is not None else {}
    return _handle(request, proposal=None, author_queryset=author_queryset, community=community,
                   initial_rows=[dict.fromkeys(LINE_FIELDS, "")], initial=initial)


@login_required
def edit(request, pk):
    """Edit a draft (author) or a proposal in group review (author or group council), R4 revision bump."""
    proposal = proposal_or_404(request, pk)
    viewer = viewer_for(request)
    allowed = proposal.status in EDITABLE and (
        viewer.is_author(proposal)
        or (proposal.status == S.GROUP_REVIEW and viewer.is_group_council_member(proposal.group_id))
    )
    if not allowed:
        if proposal.status not in EDITABLE:
            return forbidden(request, _("议案当前状态为“%(status)s”，不能再修改。")
                             % {"status": proposal.get_status_display()})
        return forbidden(request, _("只有提议人或小组议事会成员可以修改这个议案。"))
    initial_rows = [
        {"item": b.item, "quantity": f"{b.quantity.normalize():f}", "unit": b.unit, "unit_price": f"{b.unit_price:f}"}
        for b in proposal.lines.all()
    ]
    initial = {"title": proposal.title, "summary": proposal.summary, "category": proposal.category,
               "community_share": proposal.community_share}
    return _handle(request, proposal=proposal, author_queryset=None, community=proposal.group.community,
                   initial_rows=initial_rows or [dict.fromkeys(LINE_FIELDS, "")], initial=initial)
