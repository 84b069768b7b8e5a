"""The direction of imports between the apps (docs/architecture.md, "Apps and the direction of
dependencies"): every import of one app by another, read with ``ast`` from every module (imports
inside functions too), must be an edge of the table below. ``councils`` imports nothing but
``yishi``; the community staff workbench that shows ballots and notices lives in
``proposals/views/staff.py`` for that reason.

A new edge is a design decision: if it is right, add it here and to docs/architecture.md.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# app -> the apps its modules may import (besides itself, Django and third-party packages).
ALLOWED = {
    "yishi": set(),  # settings, errors, chains, text: the base every app stands on
    "outbox": set(),  # the transactional outbox knows no app (handlers register themselves)
    "councils": {"yishi"},
    "organisations": {"councils", "yishi"},
    "proposals": {"councils", "outbox", "yishi"},
    "elections": {"councils", "notifications", "yishi"},
    "notifications": {"proposals", "councils", "outbox", "yishi"},
    # needs and organisations: the performance evaluation of service projects (R26); open tenders take bids from organisations, also for service projects (R24).
    "funding": {"proposals", "councils", "notifications", "needs", "organisations", "yishi"},
    "needs": {"organisations", "councils", "notifications", "yishi"},
    "grants": {"funding", "organisations", "councils", "notifications", "yishi"},
    "api": {"elections", "funding", "grants", "needs", "organisations", "proposals", "councils", "yishi"},
    # Photos of proposals, roadshows, needs and candidates: the one table, its serving view and its services.
    "photos": {"proposals", "needs", "elections", "councils", "yishi"},
    # The layer that composes the apps: home, dashboard, accounts, navigation, the demo seed.
    "portal": {"api", "councils", "elections", "funding", "grants", "needs", "notifications", "organisations",
               "outbox", "photos", "proposals", "yishi"},
}

# Single modules that compose more than their app's row allows, with the reason.
MODULE_EXCEPTIONS = {
    "yishi/urls.py": set(ALLOWED),  # the URL root mounts every app's pages
    "yishi/health.py": {"outbox"},  # the readiness probe reports the outbox backlog
    "elections/demo.py": {"proposals"},  # demo seed: the roadshow of the demo election
    "needs/demo.py": {"funding", "grants", "portal"},  # demo seed of the 三社联动 story
    "organisations/views.py": {"needs"},  # an organisation's page lists its claims
    "needs/views.py": {"photos"},  # a need is raised with its photo in one transaction; the ledger's thumbnail subquery
    "funding/demo_foundation.py": {"grants"},  # demo seed: the foundation's culture micro-grant call
    "funding/demo_tenders.py": {"portal"},  # demo seed: the demo accounts' shared password
}


def _apps():
    return sorted({p.parent.name for p in ROOT.glob("*/apps.py")} | {"yishi"})


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _edges():
    apps = set(_apps())
    for app in sorted(apps):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line, module in _imports(path):
                target = module.split(".")[0]
                if target in apps and target != app:
                    yield app, path.relative_to(ROOT).as_posix(), line, target


def test_every_app_has_a_row():
    assert set(_apps()) == set(ALLOWED), "a new app needs its row in ALLOWED (and in docs/architecture.md)"


def test_imports_follow_the_allowed_directions():
    edges = list(_edges())
    assert len(edges) > 50  # the scan read the apps
    bad = [
        f"{module}:{line} imports {target}"
        for app, module, line, target in edges
        if target not in ALLOWED[app] and target not in MODULE_EXCEPTIONS.get(module, set())
    ]
    assert bad == []


def test_councils_imports_nothing_from_proposals():
    assert [(m, line) for app, m, line, target in _edges() if app == "councils" and target != "yishi"] == []


def test_the_table_has_no_cycle():
    # Apart from the listed single modules, the apps form layers: no app reaches itself.
    def reaches(start, goal, seen):
        for nxt in ALLOWED[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [app for app in ALLOWED if reaches(app, app, {app})] == []


def test_the_layers_are_documented():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "tests/test_import_layers.py" in text
    assert "proposals/views/staff.py" in text


def test_touches_community_tells_members_from_outsiders(world):
    """The 403-or-404 question the staff pages ask (councils.policies, no proposals code)."""
    from councils import policies
    from tests.factories import UserFactory, build_world

    other = build_world(prefix="别处", group_seats=1, community_seats=3, residents=1)
    members = [world.residents[0], world.group_council.seats.first().user, world.community_council.seats.first().user,
               world.staff, world.street_staff, world.supervisor]
    assert [policies.touches_community(u, world.community) for u in members] == [True] * 6
    outsiders = [other.residents[0], other.staff, other.street_staff, other.supervisor, UserFactory()]
    assert [policies.touches_community(u, world.community) for u in outsiders] == [False] * 5
