"""Scope helpers shared by the money pages.

The membership snapshot comes from ``proposals.views.access.viewer_for`` (a
fixed number of queries per request), so scope checks cost the same on every
page. The rules are those of ``councils.policies``; the services check them
again under their locks.
"""

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from councils.models import Community
from proposals.views.access import viewer_for
from yishi.errors import PermissionDenied


def viewer(request):
    return viewer_for(request)


def street_q(v) -> Q:
    """Communities whose money street-office staff ``v`` keep."""
    if v.is_superuser:
        return Q()
    return Q(subdistrict_id__in=v.street_subdistrict_ids)


def supervised_q(v) -> Q:
    return Q(pk__in=v.board_community_ids) | Q(subdistrict_id__in=v.board_subdistrict_ids)


def is_street_staff(v) -> bool:
    return v.is_superuser or bool(v.street_subdistrict_ids)


def is_supervisor(v) -> bool:
    return bool(v.board_community_ids or v.board_subdistrict_ids)


def money_readers_q(v) -> Q:
    """Communities whose funds and ledgers ``v`` may read: street staff and supervisors in scope."""
    if v.is_superuser:
        return Q()
    return street_q(v) | supervised_q(v)


def street_communities(request):
    v = viewer(request)
    if not is_street_staff(v):
        raise PermissionDenied(_("这个页面只对街道办工作人员开放。"))
    return Community.objects.filter(street_q(v)).select_related("subdistrict").order_by("name")


def reader_communities(request):
    """Street staff or supervisors: the communities whose money they read; 403 for anyone else."""
    v = viewer(request)
    if not (is_street_staff(v) or is_supervisor(v)):
        raise PermissionDenied(_("资金台账只对街道办工作人员和监督人员开放。"))
    return Community.objects.filter(money_readers_q(v)).select_related("subdistrict").order_by("name")


def supervised_communities(request):
    v = viewer(request)
    if not (is_supervisor(v) or v.is_superuser):
        raise PermissionDenied(_("这个页面只对监督人员（监事会成员、廉情监督员、街道纪工委）开放。"))
    if v.is_superuser:
        return Community.objects.select_related("subdistrict").order_by("name")
    return Community.objects.filter(supervised_q(v)).select_related("subdistrict").order_by("name")


def refuse(request, community, reason: str):
    """An object outside the user's reach: 403 with ``reason`` if the user belongs there, else 404."""
    v = viewer(request)
    if v.touches_community(community.pk, community.subdistrict_id):
        raise PermissionDenied(reason)
    raise Http404


def pick_community(request, communities, param="community"):
    """``?community=`` narrowed to ``communities``; a community outside them is 404."""
    raw = request.GET.get(param) or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    for community in communities:
        if community.pk == int(raw):
            return community
    raise Http404
