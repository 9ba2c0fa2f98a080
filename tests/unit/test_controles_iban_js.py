"""The national IBAN checks in the browser (src/knooppunt/portaal/js/src/controles.js, run in Node by
js/test/controles.mjs) against the Python field type (velden._iban, python-stdnum): stdnum.iban asks
stdnum.<land>.iban after the IBAN's own mod-97 — Belgium (the BBAN's mod 97 and the registered bank
code of stdnum/be/banks.dat), Spain (the CCC's two control digits), Montenegro (the BBAN mod 97) and
Norway (the account number's mod 11, or Luhn after the postgiro code 0000). The page must give the
same verdict with the same Dutch text; the embedded bank registry must be the installed stdnum's.

Needs node and npm; skipped without them, failing instead with CI=true."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.util import get_cc_module

from knooppunt.protocol.payloads import velden
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "the werkplek's IBAN checks")


def _banken() -> ModuleType:
    spec = importlib.util.spec_from_file_location("belgische_banken", JS / "tools" / "belgische_banken.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _iban(land: str, bban: str) -> str:
    """An IBAN whose own check digits (mod-97) are right, whatever the national ones say."""
    return f"{land}{stdnum_iban.calc_check_digits(land + '00' + bban)}{bban}"


def _be(eerste_tien: str) -> str:
    """A Belgian IBAN whose national check digits are right."""
    return _iban("BE", eerste_tien + f"{int(eerste_tien) % 97 or 97:02d}")


# Per country: (IBANs python-stdnum accepts, IBANs only its national check refuses).
GEVALLEN: dict[str, tuple[list[str], list[str]]] = {
    "BE": (
        ["BE71096123456769", _be("0000000000"), _be("9991234567"), _be("2200000000")],
        [
            "BE68539007547034",  # bank code 539: not in the registry
            _be("1120000001"),  # 112: not in the registry
            _iban("BE", "0961234567" + "70"),  # national digits off by one
            _iban("BE", "0000000000" + "00"),  # 0 is written 97
        ],
    ),
    "ES": (
        ["ES9121000418450200051332", "ES7921000813610123456789", _iban("ES", "0" * 20)],
        [_iban("ES", "2100041846" + "0200051332"), _iban("ES", "2100041845" + "0200051333")],
    ),
    "ME": (["ME25505000012345678951"], [_iban("ME", "505000012345678952")]),
    "NO": (
        ["NO9386011117947", _iban("NO", "0000123456" + luhn.calc_check_digit("123456"))],
        [
            _iban("NO", "86011117948"),
            _iban("NO", "0000123456" + str((int(luhn.calc_check_digit("123456")) + 1) % 10)),
        ],
    ),
}


def _verdict(waarde: str) -> str | None:
    try:
        velden._iban(waarde)
    except ValueError as exc:
        return str(exc)
    return None


def test_de_landen_met_een_nationale_controle_zijn_deze() -> None:
    """The page ports every stdnum.<land>.iban python-stdnum has (for the countries of its IBAN
    registry); a new one in an upgrade needs porting too."""
    tekst = (JS / "src" / "controles.js").read_text(encoding="utf-8")
    registry = set(re.findall(r'"([A-Z]{2})":"', tekst))
    assert len(registry) > 80
    nationaal = set(re.findall(r"^  ([A-Z]{2}): \(bban\) =>", tekst, flags=re.MULTILINE))
    assert {land for land in registry if get_cc_module(land, "iban")} == nationaal == set(GEVALLEN)


def test_de_gevallen_raken_de_nationale_controle() -> None:
    """The valid cases pass python-stdnum; the invalid ones pass the IBAN's own checks and fail only
    the national one — so the comparison below tests the ported checks."""
    for land, (goed, fout) in GEVALLEN.items():
        assert all(_verdict(w) is None for w in goed), land
        for w in fout:
            assert stdnum_iban.is_valid(w, check_country=False), w
            assert _verdict(w) is not None, w


NATIONAAL = "het nationale controlegetal van het rekeningnummer klopt niet"
MOD97 = "de controle (mod-97) klopt niet"
TEKSTEN: list[tuple[str, str]] = [
    # Spain: the CCC's control digits (a weighted mod 11), the bank's and the account's.
    (_iban("ES", "2100041846" + "0200051332"), NATIONAAL),
    (_iban("ES", "2100041845" + "0200051333"), NATIONAAL),
    # Norway: the account number's mod 11, and Luhn after the postgiro code 0000.
    (_iban("NO", "86011117948"), NATIONAAL),
    (_iban("NO", "0000123456" + str((int(luhn.calc_check_digit("123456")) + 1) % 10)), NATIONAAL),
    # Belgium and Montenegro: their national check digits are a mod 97 of the account number.
    (_iban("BE", "0961234567" + "70"), MOD97),
    (_iban("ME", "505000012345678952"), MOD97),
    # The IBAN's own check digits, in any country.
    ("ES9221000418450200051332", MOD97),
    ("NO9486011117947", MOD97),
    ("NL91ABNA0417164301", MOD97),
]
"""An account whose check fails, and the text a user reads: a national check that is no mod 97 must
not say that the IBAN's mod-97 failed (issue #14)."""


def test_de_tekst_noemt_de_controle_die_faalt() -> None:
    for waarde, tekst in TEKSTEN:
        assert _verdict(waarde) == f"IBAN {waarde!r} is ongeldig ({tekst})", waarde


def test_nationale_controles_gelijk_aan_python(node: str) -> None:
    """BE, ES, ME and NO IBANs: the page's verdict and Dutch text are the Python field type's (a
    national check that is no mod 97 with its own text, as Python's)."""
    waarden = [w for goed, fout in GEVALLEN.values() for w in (*goed, *fout)]
    waarden += [w for w, _ in TEKSTEN]
    waarden += ["be71 0961 2345 6769", "BE71-0961-2345-6770", "NL91ABNA0417164300"]
    uit = draai_script(
        node, JS / "test" / "controles.mjs", {"waarden": [{"soort": "iban", "waarde": w} for w in waarden]}
    )
    assert uit["waarden"] == [_verdict(w) for w in waarden]


def test_belgische_banken_in_controles_js_zijn_die_van_stdnum() -> None:
    """controles.js's BE_BANKEN block is what js/tools/belgische_banken.py writes from the installed
    python-stdnum (stdnum/be/banks.dat); rerun the tool after an upgrade."""
    banken = _banken()
    tekst = (JS / "src" / "controles.js").read_text(encoding="utf-8")
    assert banken.vervang(tekst) == tekst
    reeksen = banken.reeksen()
    assert not any(a <= 112 <= b for a, b in reeksen) and not any(a <= 539 <= b for a, b in reeksen)
