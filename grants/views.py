"""Public pages of micro-grant calls (R19): awards, amounts, leverage (matched ÷ awarded), people served."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import GrantCall

PAGE_SIZE = 30


def calls(request):
    qs = GrantCall.objects.select_related("community").order_by("-opened_at")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grants/calls.html", {"page": page})


def call_detail(request, pk):
    call = get_object_or_404(GrantCall.objects.select_related("community", "fund"), pk=pk)
    page = Paginator(selectors.public_awards(call), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grants/call.html", {"call": call, "page": page, "totals": selectors.call_totals(call)})
