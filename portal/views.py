from urllib.parse import urlsplit

from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from yishi.public_cache import cached_content, cached_fragment, is_anonymous, public_version

from . import selectors
from .forms import LargeTextForm, LoginForm
from .nav import nav_links
from .roles import request_roles

LARGE_TEXT_COOKIE_AGE = 365 * 24 * 3600


def _home_context() -> dict:
    return {
        "notices": selectors.notices_running(),
        "decisions": selectors.decisions_recent(),
        "counts": selectors.public_counts(),
    }


def home(request):
    """What Yishi is, notices running now and the latest decisions; for everyone.

    Anonymous visitors get the body from the public cache (yishi.public_cache), keyed by the
    newest event, vote and ledger entry: a new notice or decision shows at the next request.
    """
    if is_anonymous(request):
        body = cached_content(request, template="portal/home.html", name="home", context=_home_context)
        return render(request, "portal/home.html", {"cached_content": body})
    # Signed in, the page greets the person; what it lists is the same for everyone, cached alike.
    return render(request, "portal/home.html", cached_fragment("public:home-data", public_version(), _home_context))


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


def _is_site_path(url: str) -> bool:
    """A path on this site ("/me/?x=1"), not a URL with a scheme or a host of its own."""
    parts = urlsplit(url)
    return url.startswith("/") and not url.startswith(("//", "/\\")) and not parts.scheme and not parts.netloc


def more(request):
    """The phone's "more" tab: every page of the person's role that is not on the tab bar."""
    links = nav_links(request_roles(request), authenticated=request.user.is_authenticated, path=request.path)
    return render(request, "portal/more.html", {"links": links})


class LoginView(auth_views.LoginView):
    """The login page answers everyone alike: a signed-in visitor gets the same form, not a
    redirect, so a ``?next=`` probe cannot tell whether someone is logged in, and another
    person can sign in on a shared phone or kiosk."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = False

    def get_redirect_url(self):
        url = super().get_redirect_url()  # "" unless on this host
        return url if _is_site_path(url) else ""

    def form_valid(self, form):
        if self.request.user.is_authenticated:
            # The previous person leaves first: their session is flushed and the messages
            # waiting for them are dropped, so the next person sees nothing of theirs.
            for _message in messages.get_messages(self.request):
                pass
            auth.logout(self.request)
        return super().form_valid(form)


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


# The site's icon (the same as templates/portal/_favicon.html): browsers ask /favicon.ico for pages
# that are not HTML (the JSON checkpoints, exports), where no <link rel="icon"> can point elsewhere.
FAVICON_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='6' "
    "fill='#9e2a1c'/><rect x='9' y='9' width='14' height='14' rx='2' fill='none' stroke='#fff' "
    "stroke-width='3'/></svg>"
)


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    return HttpResponse(FAVICON_SVG, content_type="image/svg+xml")
