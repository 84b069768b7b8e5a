"""Helpers every app's views share: make one service call and say how it went.

``attempt`` runs one service call; ``submit`` is the POST of a form on a page that
redirects afterwards (check the form's shape, then ``attempt`` with its cleaned
data); ``require`` answers 403 with the reason when the user may not act.
"""

from django.contrib import messages

from .errors import DomainError, PermissionDenied


def attempt(request, call, *, success: str, form=None) -> bool:
    """Run ``call()`` (one service call). A refusal (``DomainError``) becomes the form's error,
    or an error message when there is no form, and changes nothing; ``PermissionDenied`` is left
    to answer 403. On success, ``success`` is shown as a message. True when it went through."""
    try:
        call()
    except PermissionDenied:
        raise
    except DomainError as exc:
        if form is None:
            messages.error(request, str(exc))
        else:
            form.add_error(None, str(exc))
        return False
    messages.success(request, success)
    return True


def form_invalid(request, form) -> None:
    """A form that failed its shape check, on a page that redirects: say what to fix."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{errors[0]}" if label else errors[0])
        return


def submit(request, form, call, *, success: str) -> bool:
    """A form posted from a page that redirects afterwards: when its shape is right, make the one
    service call ``call(cleaned_data)`` through ``attempt``; else say what to fix. True when it went
    through; the caller redirects either way."""
    if not form.is_valid():
        form_invalid(request, form)
        return False
    return attempt(request, lambda: call(form.cleaned_data), success=success)


def require(allowed: bool, reason: str) -> None:
    """403 with ``reason`` unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(reason)
