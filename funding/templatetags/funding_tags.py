"""The money side of a proposal page, so proposals' templates need not know funding.

Owned by the funding portal pages; ``money_panel`` renders what was reserved,
raised, released and settled for one proposal.
"""

from django import template

register = template.Library()


@register.inclusion_tag("funding/_money_panel.html", takes_context=True)
def money_panel(context, proposal):
    return {"proposal": proposal, "request": context.get("request"), "user": context.get("user")}
