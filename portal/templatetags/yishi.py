"""Small filters every page uses: money in yuan, status badges, local times."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def yuan(value) -> str:
    """36000 -> "36,000.00" (money is Decimal, 2 places)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


@register.simple_tag
def status_badge(proposal):
    return format_html(
        '<span class="badge badge-{}">{}</span>', proposal.status, proposal.get_status_display()
    )
