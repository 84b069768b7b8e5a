"""Reads of organisations for pages."""

from django.db.models import Count, Prefetch, Q

from .enums import OrganisationStatus
from .models import Incubation, Organisation


def directory(community=None, status=None):
    """The public directory: name, kind, status, communities served; no member names."""
    qs = Organisation.objects.exclude(status=OrganisationStatus.DISSOLVED)
    if community is not None:
        qs = qs.filter(communities=community)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("communities").order_by("name")


def open_incubation(organisation: Organisation) -> Incubation | None:
    return (
        Incubation.objects.filter(organisation=organisation, graduated_at__isnull=True)
        .select_related("mentor").first()
    )


def serving(community):
    """Organisations serving ``community``, with a count of open incubations they mentor."""
    return (
        Organisation.objects.filter(communities=community)
        .annotate(mentoring=Count("mentored", filter=Q(mentored__graduated_at__isnull=True)))
        .prefetch_related(Prefetch("incubations", queryset=Incubation.objects.select_related("mentor")))
        .order_by("name")
    )
