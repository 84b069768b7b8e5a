"""The header's links, by role. Each names a URL that another app may or may not
have built yet; a name that does not resolve is left out instead of crashing
every page."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .roles import Roles


def reverse_or_none(name: str, *args, **kwargs) -> str | None:
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


# (label, URL name, who sees it)
NAV = [
    (_("公示与项目"), "proposals:public_list", lambda r, auth: True),
    (_("我的"), "portal:dashboard", lambda r, auth: auth),
    (_("我的小组"), "proposals:my_group", lambda r, auth: r.resident or r.group_council),
    (_("提出议案"), "proposals:create", lambda r, auth: r.resident),
    (_("小组审议"), "proposals:review_queue", lambda r, auth: r.group_council),
    (_("我的表决"), "proposals:my_ballots", lambda r, auth: r.group_council or r.community_council),
    (_("推选"), "elections:list", lambda r, auth: r.resident or r.supervisor or r.community_staff),
    (_("社区工作"), "councils:staff_home", lambda r, auth: r.community_staff or r.superuser),
    (_("预算审核"), "funding:review_queue", lambda r, auth: r.street_staff or r.superuser),
    (_("资金"), "funding:funds", lambda r, auth: r.street_staff or r.supervisor or r.superuser),
    (_("统计图表"), "funding:charts", lambda r, auth: r.street_staff or r.supervisor or r.superuser),
    (_("监督"), "funding:supervision", lambda r, auth: r.supervisor or r.superuser),
    (_("需求与服务"), "needs:ledger", lambda r, auth: auth),
    (_("社区活动"), "needs:activities", lambda r, auth: auth),
    (_("绩效评估"), "funding:evaluations", lambda r, auth: r.street_staff or r.evaluator or r.superuser),
    (_("评估报告"), "funding:evaluation_report", lambda r, auth: r.street_staff or r.supervisor or r.superuser),
    (_("需求台账"), "needs:staff", lambda r, auth: r.community_staff),
    (_("公益微创投"), "grants:calls", lambda r, auth: auth),
    (_("招标大厅"), "funding:tenders", lambda r, auth: auth),
    (_("社区党组织"), "councils:party_posts", lambda r, auth: r.street_staff or r.superuser),
    (_("组织登记"), "organisations:manage", lambda r, auth: r.community_staff),
    (_("超期需求"), "needs:overdue", lambda r, auth: r.supervisor),
]


def nav_links(roles: Roles, *, authenticated: bool, path: str) -> list[dict]:
    links = []
    for label, name, visible in NAV:
        if not visible(roles, authenticated):
            continue
        url = reverse_or_none(name)
        if url is None:
            continue
        links.append({"label": label, "url": url, "name": name, "current": False})
    # The link whose URL is the longest prefix of the page's path is the current one.
    best = max((link for link in links if path.startswith(link["url"])), key=lambda l: len(l["url"]), default=None)
    if best is not None:
        best["current"] = True
    return links


# The phone's bottom tab bar (issue 10): four places and "more". The third tab is the role's
# main work place, the first of these the person has; the rest of NAV is on the "more" page.
WORK_TABS = [
    ("proposals:my_ballots", "vote", lambda r: r.community_council or r.group_council),
    ("councils:staff_home", "work", lambda r: r.community_staff),
    ("funding:review_queue", "work", lambda r: r.street_staff),
    ("funding:supervision", "eye", lambda r: r.supervisor),
    ("proposals:review_queue", "work", lambda r: r.group_council),
    ("proposals:my_group", "group", lambda r: r.resident),
    ("funding:evaluations", "work", lambda r: r.evaluator),
]


def tab_links(roles: Roles, *, authenticated: bool, path: str) -> list[dict]:
    """Up to five tabs: home, proposals, the role's work (or log in), mine, more."""
    labels = {name: label for label, name, _v in NAV}
    tabs = [("portal:home", _("首页"), "home"), ("proposals:public_list", labels["proposals:public_list"], "list")]
    if authenticated:
        for name, icon, has in WORK_TABS:
            if has(roles) and reverse_or_none(name):
                tabs.append((name, labels[name], icon))
                break
        tabs.append(("portal:dashboard", labels["portal:dashboard"], "user"))
    else:
        tabs.append(("portal:login", _("登录"), "user"))
    tabs.append(("portal:more", _("更多"), "more"))
    links = []
    for name, label, icon in tabs:
        url = reverse_or_none(name)
        if url is not None:
            links.append({"label": label, "url": url, "icon": icon, "current": False})
    best = max((link for link in links if path == link["url"] or (link["url"] != "/" and path.startswith(link["url"]))),
               key=lambda l: len(l["url"]), default=None)
    if best is not None:
        best["current"] = True
    return links
