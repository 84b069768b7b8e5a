"""Small helpers every proposal view uses: refusals as pages and htmx partials."""

from django.shortcuts import render

from yishi.errors import PermissionDenied


def forbidden(request, message: str):
    """403 with the reason, as a sentence (DESIGN: an action the user may not take)."""
    template = "portal/error_fragment.html" if getattr(request, "htmx", False) else "portal/error.html"
    return render(request, template, {"message": message}, status=403)


def error_status(request, error) -> int:
    """Status of a page or fragment that shows a refusal next to its form.

    403 for a missing right, 409 for a rule that refused; base.html's htmx
    config swaps both, so the fragment with the sentence still appears.
    """
    return 403 if isinstance(error, PermissionDenied) else 409


def template_for(request, page: str, partial: str | None) -> str:
    """``page#partial`` for an htmx request, the full page otherwise (STYLE: thin views)."""
    if partial and getattr(request, "htmx", False):
        return f"{page}#{partial}"
    return page
