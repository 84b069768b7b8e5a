"""Axes writes no line on a manage command, and still warns of a lockout."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def test_a_manage_command_prints_no_axes_line():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "System check identified no issues" in output  # the command ran and spoke
    assert "axes" not in output.lower()


@pytest.mark.django_db
def test_a_lockout_is_still_logged_as_a_warning(client, settings, caplog):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 0
    user = UserFactory()
    with caplog.at_level(logging.INFO, logger="axes"):
        for _ in range(3):
            client.post("/accounts/login/", {"username": user.username, "password": "wrong"},
                        REMOTE_ADDR="10.0.0.9")
    warnings = [r for r in caplog.records if r.name.startswith("axes") and r.levelno >= logging.WARNING]
    assert any("Locking out" in r.getMessage() for r in warnings), [r.getMessage() for r in caplog.records]
