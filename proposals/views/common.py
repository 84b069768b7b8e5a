"""Small helpers every proposal view uses: refusals as pages, htmx partials, the request's viewer."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from yishi.errors import PermissionDenied

from .access import viewer_for  # noqa: F401  (re-exported for the views)


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


def login_needed_message() -> str:
    return _("请先登录。")
