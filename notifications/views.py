"""The inbox: list, unread badge (htmx), mark read, mail preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import MarkReadForm, PreferencesForm
from .models import Notification

PAGE_SIZE = 30


@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "notifications/inbox.html",
        {"page": page, "notifications": page.object_list, "unread_only": unread_only},
    )


@require_GET
def unread_count(request):
    """The header badge, polled by htmx. Anonymous visitors get an empty fragment, not a login page."""
    response = render(request, "notifications/_badge.html", {"unread": selectors.unread_count(request.user)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def mark_read(request):
    """Mark one notification (``notification`` in the form) or all of them read."""
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        raise Http404
    notification = None
    if form.cleaned_data["notification"]:
        notification = get_object_or_404(Notification, pk=form.cleaned_data["notification"], user=request.user)
    services.notifications_mark_read(user=request.user, notification=notification)
    if request.htmx and notification is not None:
        notification.refresh_from_db()
        response = render(request, "notifications/inbox.html#item", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    next_url = form.cleaned_data["next"]
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.preferences_update(
                user=request.user, email_kinds=form.cleaned_data["email_kinds"], digest=form.cleaned_data["digest"],
                language=form.cleaned_data["language"] or None,
            )
            messages.success(request, _("通知设置已保存。"))
            return redirect("notifications:preferences")
    else:
        form = PreferencesForm(
            initial={
                "email_kinds": sorted(selectors.email_kinds(request.user)),
                "digest": selectors.wants_digest(request.user),
                "language": request.user.language,
            }
        )
    return render(request, "notifications/preferences.html", {"form": form, "has_email": bool(request.user.email)})
