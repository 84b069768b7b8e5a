"""The public organisations directory and an organisation's page (R18): no member names in public."""

from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import get_object_or_404, render

from councils.models import Community

from . import selectors
from .enums import OrganisationStatus
from .models import Organisation

PAGE_SIZE = 30


def directory(request):
    community = None
    if request.GET.get("community"):
        community = Community.objects.filter(slug=request.GET["community"]).first()
    status = request.GET.get("status") if request.GET.get("status") in OrganisationStatus.values else None
    page = Paginator(selectors.directory(community, status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organisations/directory.html", {
        "page": page, "community": community, "statuses": OrganisationStatus.choices, "status": status,
        "communities": Community.objects.order_by("name"),
    })


def detail(request, pk):
    organisation = get_object_or_404(Organisation.objects.prefetch_related("communities"), pk=pk)
    from needs.enums import ClaimStatus
    from needs.models import Claim

    claims = (
        Claim.objects.filter(organisation=organisation, status=ClaimStatus.CONFIRMED)
        .select_related("project").annotate(served=Sum("project__records__people_served"))
        .order_by("-claimed_at")[:50]
    )
    incubations = organisation.incubations.select_related("mentor").order_by("-started_at")
    mentored = organisation.mentored.select_related("organisation").order_by("-started_at")
    return render(request, "organisations/detail.html", {
        "organisation": organisation, "claims": claims, "incubations": incubations, "mentored": mentored,
        "member_count": organisation.members.count(),
    })
