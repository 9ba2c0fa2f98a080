"""Formula-cell escaping of the portal's CSVs (DESIGN §7, OWASP "CSV injection"): what the download
neutralises and the upload takes back."""

from __future__ import annotations

import pytest

from knooppunt.portaal.csvformaat import lees_cel, veilig

FORMULES = [
    "=SUM(1)",
    "+31 30 123 4567",
    "-2+3",
    "@Utrecht",
    "\t=1",
    "\r=1",
    ' =HYPERLINK("https://example.invalid")',
    "   +1",
    "\u00a0=SUM(1)",  # non-breaking space
    "\u2003@x",  # em space
    "\u202f-1",  # narrow no-break space
    "\u3000=1",  # ideographic space
    "\n=cmd|' /C calc'!A0",
    "\r\n=1",
    "\u2028=1",  # line separator
    "\u200b=1",  # zero-width space
    "\ufeff=1",  # zero-width no-break space (BOM)
    " \u00a0\t\n @x",
    "＝SUM(1)",  # full-width equals sign
]
GEWOON = ["", "Jansen", "'s-Hertogenbosch", "12345", "a=b", "1-3-2024", " ", "\u00a0", "Jan -", "info@x.nl"]


@pytest.mark.parametrize("waarde", FORMULES)
def test_formula_cells_are_neutralised_also_after_leading_spaces_and_line_breaks(waarde: str) -> None:
    assert veilig(waarde) == "'" + waarde


@pytest.mark.parametrize("waarde", GEWOON)
def test_ordinary_cells_are_written_as_they_are(waarde: str) -> None:
    assert veilig(waarde) == waarde


@pytest.mark.parametrize("waarde", FORMULES + GEWOON)
def test_the_upload_takes_back_what_the_download_neutralised(waarde: str) -> None:
    assert lees_cel(veilig(waarde)) == waarde.strip()
