"""The repository stands on its own (issue 10): the domain is described in docs/domain.md, and no
file points at documents outside the repository."""

import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
OUTSIDE = ("DESIGN" + ".md", "../" + "shared", "steering" + " repo", "/" + "work/")


def _tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in names.splitlines():
        path = ROOT / name
        if path.suffix in {".png", ".mo", ".ico", ".lock"} or not path.is_file():
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def test_no_file_refers_to_documents_outside_the_repository():
    files = list(_tracked_text_files())
    assert len(files) > 100  # the scan read the repository
    bad = [(name, word) for name, text in files for word in OUTSIDE if word in text]
    assert bad == []


def test_domain_document_has_every_rule_and_is_linked():
    domain = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    for n in range(1, 23):
        assert f"**R{n} " in domain, f"R{n} missing from docs/domain.md"
    assert "docs/domain.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(domain.md)" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
