"""Demo accounts get e-mail addresses once the demo world is built, so that what a person does in
the demo afterwards is mailed (printed to the console by the demo's mail backend).

Given after the seed's transaction has committed: the seeded history fills inboxes, mails nobody.
"""

from django.db.models import Value
from django.db.models.functions import Concat

from councils.models import User

DEMO_MAIL_DOMAIN = "demo.yishi.example"  # reserved for examples (RFC 2606): never a real mailbox


def give_demo_accounts_addresses(usernames) -> int:
    """Set ``<username>@demo.yishi.example`` where the account has no address yet; returns how many."""
    return User.objects.filter(username__in=list(usernames), email="").update(
        email=Concat("username", Value(f"@{DEMO_MAIL_DOMAIN}"))
    )
