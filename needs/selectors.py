"""Reads of needs and projects for pages and services (R16, R17)."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .enums import DEFAULT_RESPONSE_DAYS, ClaimStatus, NeedStatus, ProjectStatus
from .models import Claim, Need, NeedSupport, ResponseTime, ServiceProject, ServiceRecord


def response_days(community) -> int:
    row = ResponseTime.objects.filter(community=community).values_list("days", flat=True).first()
    return row or DEFAULT_RESPONSE_DAYS


def confirmed_claim(project: ServiceProject) -> Claim | None:
    return (
        Claim.objects.filter(project=project, status=ClaimStatus.CONFIRMED).select_related("organisation").first()
    )


def overdue_needs(communities, now=None):
    """R16: open needs whose response time has run out (due_at ≤ now), oldest first."""
    now = now or timezone.now()
    return (
        Need.objects.filter(community__in=communities, status=NeedStatus.OPEN, due_at__lte=now)
        .select_related("community").order_by("due_at")
    )


def needs_ledger(community, *, category=None, channel=None, status=None, overdue=False, now=None, viewer=None):
    """The needs ledger of a community, newest first, filtered; with support counts.

    ``viewer``: annotate ``supported`` (the viewer pressed 我也需要) for the buttons.
    """
    qs = (
        Need.objects.filter(community=community)
        .select_related("project", "merged_into", "resident", "recorded_by", "group")
        .annotate(support_count=Count("supports", distinct=True))
    )
    if category:
        qs = qs.filter(category=category)
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status=NeedStatus.OPEN, due_at__lte=now or timezone.now())
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        qs = qs.annotate(supported=Exists(NeedSupport.objects.filter(need=OuterRef("pk"), resident=viewer)))
    return qs.order_by("-raised_at", "-pk")


def projects_of(community, status=None):
    """The project list with the confirmed organisation and people served, in one query.

    People served (R25) = the service records' people plus the check-ins at the project's activities.
    """
    from .models import Signup

    confirmed = Claim.objects.filter(project=OuterRef("pk"), status=ClaimStatus.CONFIRMED)
    checkins = (Signup.objects.filter(activity__project=OuterRef("pk"), checked_in_at__isnull=False).order_by()
                .values("activity__project").annotate(n=Count("pk")).values("n")[:1])
    # Subqueries, not joins: a join with the needs would count each record once per need.
    recorded = (ServiceRecord.objects.filter(project=OuterRef("pk")).order_by().values("project")
                .annotate(s=Sum("people_served")).values("s")[:1])
    qs = ServiceProject.objects.filter(community=community).annotate(
        served=Coalesce(Subquery(recorded, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(checkins, output_field=IntegerField()), Value(0)),
        need_count=Count("needs", distinct=True),
        has_claim=Exists(confirmed),
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-listed_at", "-pk")


def claims_with_organisations(projects):
    """{project id: confirmed organisation name} for a page of projects (one query)."""
    rows = Claim.objects.filter(project__in=projects, status=ClaimStatus.CONFIRMED).values_list(
        "project_id", "organisation__name", "organisation_id"
    )
    return {pid: (name, oid) for pid, name, oid in rows}


def open_projects(community):
    return ServiceProject.objects.filter(
        community=community, status__in=[ProjectStatus.LISTED, ProjectStatus.CLAIMED, ProjectStatus.IN_SERVICE]
    ).order_by("title")


def needs_of_resident(user):
    return (
        Need.objects.filter(Q(resident=user) | Q(supports__resident=user)).distinct()
        .select_related("project", "community").annotate(support_count=Count("supports", distinct=True))
        .order_by("-raised_at")
    )
