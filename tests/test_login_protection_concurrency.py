"""Failed logins arriving at once (PostgreSQL, threads, one connection each): every failure is
counted in one row, none answers 500, and the lock holds afterwards (issue 9, finding 4)."""

import pytest
from axes.models import AccessAttempt
from django.db.models import Sum
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from tests.test_r15_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_failures_are_all_counted_and_lock(postgres, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.TRUSTED_PROXY_COUNT = 0
    user = UserFactory()

    def guess(n):
        response = Client().post("/accounts/login/", {"username": user.username, "password": f"guess-{n}"},
                                 REMOTE_ADDR="198.51.100.7")
        return response.status_code

    statuses = run_at_once(12, guess)
    assert set(statuses) <= {200, 429}, statuses
    rows = AccessAttempt.objects.filter(username=user.username)
    assert rows.count() == 1  # one row per account, address and browser, however many raced
    counted = rows.aggregate(total=Sum("failures_since_start"))["total"]
    # Each attempt past the check adds one under the row lock, and the k-th to add sees at least k:
    # at most 4 are answered "wrong password", the rest are refused. A lost update would show here.
    assert 5 <= counted <= 12 and statuses.count(200) <= 4, (counted, statuses)
    print(f"12 concurrent guesses: {counted} had their password checked, {statuses.count(429)} answered 429")
    response = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD},
                             REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
