"""Turn a DomainError that escaped a view into a readable page, never a 500."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views import defaults
from django.utils.http import url_has_allowed_host_and_scheme

from yishi.errors import DomainError, PermissionDenied


def safe_referer(request) -> str:
    """The page the user came from, when it is on this site; else ""."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        status = 403 if isinstance(exception, PermissionDenied) else 409
        template = "portal/error_fragment.html" if getattr(request, "htmx", False) else "portal/error.html"
        context = {"message": str(exception), "back_url": safe_referer(request)}
        return render(request, template, context, status=status)


class FriendlyErrorPagesMiddleware:
    """The demo runs with DEBUG on, where Django answers 404 and 500 with its technical pages
    (every URL pattern, every setting). A newcomer should meet the same friendly pages as in
    production; ``YISHI_DEBUG_PAGES=1`` brings the technical ones back for a developer.

    Last in MIDDLEWARE, so it sees the response the handler made of the exception."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not settings.DEBUG or settings.YISHI_DEBUG_PAGES or response.status_code not in (404, 500):
            return response
        if getattr(response, "streaming", False) or not _is_technical(response):
            return response
        if response.status_code == 404:
            return defaults.page_not_found(request, Http404())
        return defaults.server_error(request)


def _is_technical(response) -> bool:
    """Django's own debug pages (HTML with a robots NONE,NOARCHIVE tag, or the plain-text traceback)."""
    if b'content="NONE,NOARCHIVE"' in response.content:
        return True
    return response.status_code == 500 and response.get("Content-Type", "").startswith("text/plain")
