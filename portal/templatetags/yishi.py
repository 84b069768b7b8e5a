"""Small tags every page uses: money in yuan, status badges, guarded URLs, the header."""

from decimal import Decimal, InvalidOperation

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.nav import nav_links, tab_links
from portal.roles import request_roles

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
    badge = format_html('<span class="badge badge-{}">{}</span>', proposal.status, proposal.get_status_display())
    # R23: a proposal of the community party organisation says so wherever its status shows.
    if getattr(proposal, "by_party", False):
        badge += format_html(' <span class="badge badge-party">{}</span>', _("党组织提议"))
    return badge


@register.filter
def time_left(deadline, now=None) -> str:
    """Time until ``deadline`` in words, two units at most: "6 天 23 小时", "已截止"."""
    if not deadline:
        return ""
    seconds = int((deadline - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return _("已截止")
    if seconds < 60:
        return _("不到 1 分钟")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d 天", "%(n)d 天", days) % {"n": days})
    if hours and len(parts) < 2:
        parts.append(ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours})
    if minutes and not days and len(parts) < 2:
        parts.append(ngettext("%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes})
    return " ".join(parts)


@register.simple_tag
def url_if_exists(name, *args, **kwargs) -> str:
    """Like ``{% url %}``, but "" when the name does not resolve (yet).

    ``{% url_if_exists 'proposals:detail' p.pk as detail_url %}{% if detail_url %}…``
    lets a page link to another app's page without crashing before it exists.
    """
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@register.inclusion_tag("portal/_tab_bar.html", takes_context=True)
def tab_bar(context):
    """The phone's bottom tab bar: four main places of the person's role and "more"."""
    request = context.get("request")
    user = context.get("user")
    authenticated = bool(user and user.is_authenticated)
    roles = request_roles(request) if request is not None else None
    if roles is None:
        return {"tabs": []}
    return {"tabs": tab_links(roles, authenticated=authenticated, path=request.path)}


@register.inclusion_tag("portal/_nav.html", takes_context=True)
def site_nav(context):
    """The header's role navigation (only links whose URL names exist)."""
    request = context.get("request")
    user = context.get("user")
    authenticated = bool(user and user.is_authenticated)
    roles = request_roles(request) if request is not None else None
    links = (
        nav_links(roles, authenticated=authenticated, path=request.path) if roles is not None else []
    )
    return {"links": links}
