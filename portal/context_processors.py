from django.utils.functional import SimpleLazyObject

from .roles import request_roles


def portal(request):
    """Values every page needs: the larger-text preference and the user's roles.

    ``roles`` is lazy: a page that never shows the role navigation (the 500
    page, a fragment) costs no query for it. ``error_base`` lets the 403 and
    404 pages answer an htmx request with a fragment instead of a whole page.
    """
    user = getattr(request, "user", None)
    large = request.COOKIES.get("large_text") == "1" or bool(
        user and user.is_authenticated and getattr(user, "large_text", False)
    )
    return {
        "large_text": large,
        "roles": SimpleLazyObject(lambda: request_roles(request)),
        "error_base": "portal/_fragment_base.html" if getattr(request, "htmx", False) else "base.html",
    }
