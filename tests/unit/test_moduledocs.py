"""The module docs (docs/modules/) describe what the catalogue holds, not what it will once hold."""

from __future__ import annotations

from pathlib import Path

from knooppunt.protocol.payloads import schema_voor

DOCS = Path(__file__).resolve().parents[2] / "docs" / "modules"


def test_pauzeknop_kennisgeving_heeft_adreskeuze_al() -> None:
    """DESIGN §3a/§3b: schuldregeling 2.0's kennisgeving has adreskeuze and pauzeknop's kennisgeving
    imports it, so the doc lists the field and promises no future change."""
    for code in ("kennisgeving", "kennisgeving_bsn"):
        assert "adreskeuze" in schema_voor("pauzeknop", code, "2.0")["required"]
    tekst = (DOCS / "pauzeknop.md").read_text(encoding="utf-8")
    assert "gains `adreskeuze`" not in tekst
    kennisgeving = tekst.split("- **kennisgeving**", 1)[1].split("- **", 1)[0]
    assert "`adreskeuze`" in kennisgeving
