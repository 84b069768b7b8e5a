from django.shortcuts import render

from councils.models import Community


def about(request):
    """What the open data API publishes and what it never does (R22), with a curl example."""
    from django.utils import timezone

    community = Community.objects.order_by("pk").first()
    return render(request, "api/about.html", {"example_community": community.pk if community else 1,
                                              "example_year": timezone.localdate().year})
