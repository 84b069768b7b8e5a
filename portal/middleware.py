"""Turn a DomainError that escaped a view into a readable page, never a 500."""

from django.shortcuts import render

from yishi.errors import DomainError, PermissionDenied


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
        return render(request, template, {"message": str(exception)}, status=status)
