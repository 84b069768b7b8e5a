"""Reads of micro-grant calls for pages (R19)."""

from django.db.models import Count, Sum

from .models import GrantApplication, GrantAward, GrantCall


def calls_of(community):
    return (
        GrantCall.objects.filter(community=community)
        .annotate(awarded=Sum("awards__amount"), award_count=Count("awards", distinct=True))
        .order_by("-opened_at")
    )


def public_awards(call: GrantCall):
    """Awards with amount, matched resources (leverage) and people served; no applicant names of residents."""
    return (
        GrantAward.objects.filter(call=call)
        .select_related("application__organisation")
        .order_by("awarded_at", "pk")
    )


def call_totals(call: GrantCall) -> dict:
    row = GrantAward.objects.filter(call=call).aggregate(
        awarded=Sum("amount"), matched=Sum("application__matched"), served=Sum("people_served"),
    )
    awarded = row["awarded"] or 0
    return {
        "awarded": awarded,
        "matched": row["matched"] or 0,
        "served": row["served"] or 0,
        "left": call.pool - awarded,
        "leverage": (row["matched"] / awarded) if awarded else None,
    }


def applications_of(call: GrantCall):
    return (
        GrantApplication.objects.filter(call=call)
        .select_related("organisation")
        .annotate(score_count=Count("scores", distinct=True))
        .order_by("submitted_at", "pk")
    )
