from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yishi.public_cache import cached_content, is_anonymous

from . import selectors
from .forms import LargeTextForm, LoginForm
from .roles import request_roles

LARGE_TEXT_COOKIE_AGE = 365 * 24 * 3600


def _home_context() -> dict:
    return {
        "notices": selectors.notices_running(),
        "decisions": selectors.decisions_recent(),
        "counts": selectors.public_counts(),
    }


def home(request):
    """What Yishi is, notices running now and the latest decisions; for everyone."""
    if is_anonymous(request):
        body = cached_content(request, template="portal/home.html", name="home", context=_home_context)
        return render(request, "portal/home.html", {"cached_content": body})
    return render(request, "portal/home.html", _home_context())


@login_required
def dashboard(request):
    """What needs me: one section per membership the user holds."""
    user = request.user
    roles = request_roles(request)
    context = {
        "roles": roles,
        "residency": selectors.residency_of(user),
        # Staff, councillors and supervisors need not live here: their work comes first.
        "work_roles": roles.group_council or roles.community_council or roles.any_staff
        or roles.supervisor or user.is_superuser,
    }
    residency = context["residency"]
    if residency is not None and residency.is_verified:
        context["group_proposals"] = selectors.group_proposals(user, residency.group)
    if roles.group_council or roles.community_council:
        context["ballots"] = selectors.ballots_awaiting(user)
    if roles.group_council:
        context["review_count"] = selectors.review_queue_count(user)
    if roles.community_staff or user.is_superuser:
        context["staff"] = selectors.staff_counts(user)
    if roles.street_staff or user.is_superuser:
        context["street"] = selectors.street_counts(user)
    if roles.supervisor:
        context["supervision"] = selectors.supervisor_counts(user)
    return render(request, "portal/dashboard.html", context)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView answers GET with 405)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("您已退出登录。"))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改。"))
        return response


def _safe_next(request, candidate: str | None) -> str:
    for url in (candidate, request.META.get("HTTP_REFERER")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
    return reverse("portal:home")


@require_POST
def large_text(request):
    """Turn the larger-text mode on or off: a cookie for everyone, and the account's setting."""
    form = LargeTextForm(request.POST)
    if not form.is_valid():
        return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    on = form.cleaned_data["large_text"]
    user = request.user
    if user.is_authenticated and user.large_text != on:
        user.large_text = on
        user.save(update_fields=["large_text"])
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"]))
    response.set_cookie(
        "large_text", "1" if on else "0", max_age=LARGE_TEXT_COOKIE_AGE, samesite="Lax",
        httponly=True, secure=request.is_secure(),
    )
    return response
