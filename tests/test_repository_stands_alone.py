"""The repository stands on its own (issue 10): the domain is described in docs/domain.md, and no
file points at documents outside the repository."""

import re
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR).resolve()
# A relative path that climbs (../x), and the name of a Markdown document.
CLIMB = re.compile(r"(?:\.\./)+[\w.-]+")
MARKDOWN = re.compile(r"\b[\w-]+\.md\b")


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


def _outside(name: str, text: str) -> list[str]:
    """What ``text`` (the file ``name``) names outside the repository: a relative path that climbs out
    of it, an absolute path into the directory that holds the checkout, a Markdown document that is
    not in the repository."""
    here = (ROOT / name).parent
    climbing = [m for m in CLIMB.findall(text) if not (here / m).resolve().is_relative_to(ROOT)]
    beside = [m for m in re.findall(re.escape(str(ROOT.parent)) + r"/[\w.-]+", text)
              if not m.startswith(str(ROOT))]
    return climbing + beside


def test_no_file_refers_to_documents_outside_the_repository():
    files = list(_tracked_text_files())
    assert len(files) > 100  # the scan read the repository
    ours = {Path(name).name for name, _text in files}
    bad = [(name, m) for name, text in files for m in _outside(name, text)]
    bad += [(name, m) for name, text in files if name.endswith(".md") or name.startswith("docs/")
            for m in MARKDOWN.findall(text) if m not in ours]
    assert bad == []


def test_the_scan_finds_references_outside():
    """The check above can fail: a climbing path, a path beside the checkout, an unknown document."""
    up = "../"  # built here, so this file itself names nothing outside
    assert _outside("docs/x.md", f"see {up * 2}elsewhere/notes") == [f"{up * 2}elsewhere"]
    assert _outside("docs/x.md", f"see {up}README") == []
    assert _outside("docs/x.md", f"see {ROOT.parent}/other/file") == [f"{ROOT.parent}/other"]


def test_domain_document_has_every_rule_and_is_linked():
    domain = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    for n in range(1, 23):
        assert f"**R{n} " in domain, f"R{n} missing from docs/domain.md"
    assert "docs/domain.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(domain.md)" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
