"""One helper every app's views share: make one service call and say how it went."""

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
