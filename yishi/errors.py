"""The base of every refusal a service can give.

A service that refuses raises a ``DomainError`` whose message is a sentence a
person can act on (translated through gettext), and changes nothing: every
service runs in one transaction, so raising rolls back whatever it had begun.
Views catch ``DomainError`` and show ``str(error)`` next to what caused it.
"""


class DomainError(Exception):
    """A rule refused the action. ``str(error)`` is shown to the user."""

    def __init__(self, message, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


class PermissionDenied(DomainError):
    """The actor holds no membership that allows this action."""

    def __init__(self, message, *, code: str = "forbidden"):
        super().__init__(message, code=code)


class InvalidTransition(DomainError):
    """The proposal is not in a state that allows this step."""

    def __init__(self, message, *, code: str = "invalid_transition"):
        super().__init__(message, code=code)
