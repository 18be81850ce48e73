"""docs/ansible.md shows the playbook and inventory file the tests run, as they are."""

from pathlib import Path

from django.conf import settings

DOCS = Path(settings.BASE_DIR) / "docs"


def test_the_page_shows_the_files_the_tests_run():
    page = (DOCS / "ansible.md").read_text()
    for name in ("leased.reservoir.yml", "lease_and_configure.yml"):
        assert (DOCS / "ansible" / name).read_text().rstrip() in page, name
