"""The CSV layouts in docs/modules/ are those the portal writes and reads (DESIGN §7; issue #12)."""

from __future__ import annotations

from tests.factories import csvdocs


def test_de_csv_indelingen_in_docs_modules_zijn_actueel() -> None:
    assert csvdocs.main(["--check"]) == 0, "run: python -m tests.factories.csvdocs"
