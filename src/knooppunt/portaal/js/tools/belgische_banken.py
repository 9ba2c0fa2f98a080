"""Writes python-stdnum's Belgian bank registry (stdnum/be/banks.dat, read through stdnum.numdb as
stdnum.be.iban does) into src/controles.js, between its ``// BEGIN belgische banken`` and
``// END belgische banken`` lines: the three-digit bank codes that name a registered bank, as
[first, last] ranges. stdnum.be.iban refuses an IBAN whose bank code is not registered; the page
must reach the same verdict (docs/portaal.md, "IBAN in the browser").

Run after python-stdnum was upgraded, then rebuild the bundle (``node build.mjs``)::

    python3 src/knooppunt/portaal/js/tools/belgische_banken.py           # rewrite the block
    python3 src/knooppunt/portaal/js/tools/belgische_banken.py --controleer  # exit 1 if stale

tests/unit/test_controles_iban_js.py fails when the block differs from the installed stdnum."""

from __future__ import annotations

import sys
from pathlib import Path

import stdnum
from stdnum import numdb

CONTROLES = Path(__file__).resolve().parents[1] / "src" / "controles.js"
BEGIN = "// BEGIN belgische banken"
EINDE = "// END belgische banken"


def reeksen() -> list[tuple[int, int]]:
    """The registered bank codes 000–999 as closed ranges, adjacent ones joined."""
    register = numdb.get("be/banks")
    uit: list[tuple[int, int]] = []
    for code in range(1000):
        if not register.info(f"{code:03d}")[0][1]:
            continue
        if uit and uit[-1][1] == code - 1:
            uit[-1] = (uit[-1][0], code)
        else:
            uit.append((code, code))
    return uit


def blok() -> str:
    """The generated lines, markers included."""
    paren = ",".join(f"[{a},{b}]" for a, b in reeksen())
    return (
        f"{BEGIN} (js/tools/belgische_banken.py, python-stdnum {stdnum.__version__}; do not edit)\n"
        f"const BE_BANKEN = [{paren}];\n"
        f"{EINDE}"
    )


def vervang(tekst: str) -> str:
    """controles.js with its block replaced by the installed stdnum's."""
    begin = tekst.index(BEGIN)
    einde = tekst.index(EINDE, begin) + len(EINDE)
    return tekst[:begin] + blok() + tekst[einde:]


def main(argumenten: list[str]) -> int:
    tekst = CONTROLES.read_text(encoding="utf-8")
    nieuw = vervang(tekst)
    if "--controleer" in argumenten:
        if nieuw != tekst:
            print(f"{CONTROLES}: the Belgian bank registry differs from python-stdnum {stdnum.__version__}")
            return 1
        return 0
    CONTROLES.write_text(nieuw, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
