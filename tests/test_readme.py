"""The README is the front door: its two set-up commands exist, and every screenshot the
browser tests save is linked from it (and every linked file exists)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_links_every_screenshot_and_only_files_that_exist():
    linked = set(re.findall(r"\((docs/screenshots/[\w-]+\.png)\)", README))
    saved = {str(p.relative_to(ROOT)) for p in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert saved, "no screenshots in docs/screenshots/"
    assert saved - linked == set(), "screenshots not linked from the README"
    assert linked - saved == set(), "README links screenshots that do not exist"


def test_readme_set_up_commands_name_scripts_that_exist():
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        assert f"bash {script}" in README
        assert (ROOT / script).is_file()
