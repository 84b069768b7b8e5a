"""Turn a DomainError that escaped a view into a readable page, never a 500."""

from django.shortcuts import render
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
