"""Payloads of schuldregeling 2.0 (DESIGN §3a, afsprakenstelsel 2.0) and of module betalingsregeling
(DESIGN §3b): one test per rule, named after it, with its source in the docstring; every refusal names
the field and says in Dutch what is wrong. Version 1.0 refuses what only 2.0 has."""

from __future__ import annotations

import re
import typing
from datetime import date, timedelta
from typing import Any

import pytest

from knooppunt.protocol.modules.schuldregeling.typen import GEEN_MEDEWERKING_REDENEN
from knooppunt.protocol.modules.schuldregeling.versie_2_0 import GeenMedewerkingCode
from knooppunt.protocol.payloads import OnbekendPayloadtype, OngeldigePayload, schema_voor, valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

S = "schuldregeling"
B = "betalingsregeling"


def _fout(module: str, code: str, versie: str, data: Any) -> OngeldigePayload:
    with pytest.raises(OngeldigePayload) as info:
        valideer(module, code, versie, data)
    return info.value


def _reden(fout: OngeldigePayload, veld: str) -> str:
    """The reason given for ``veld``; fails when that field is not named."""
    redenen = {f.veld: f.reden for f in fout.fouten}
    assert veld in redenen, f"{veld} niet genoemd in {fout}"
    return redenen[veld]


def _validator(module: str, code: str, versie: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = schema_voor(module, code, versie)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _geweigerd(module: str, code: str, versie: str, data: Any, veld: str) -> str:
    """Model and published JSON Schema both refuse ``data``; returns the model's reason for ``veld``."""
    reden = _reden(_fout(module, code, versie, data), veld)
    assert list(_validator(module, code, versie).iter_errors(data)), "het JSON Schema aanvaardt het"
    return reden


def _aanvaard(module: str, code: str, versie: str, data: Any) -> None:
    """Model and published JSON Schema both accept ``data``."""
    valideer(module, code, versie, data)
    _validator(module, code, versie).validate(data)


# --- schuldregeling 2.0: kennisgeving and kennisgeving publiek -------------------------------------------


@pytest.mark.parametrize("code", ["kennisgeving", "kennisgeving_bsn"])
def test_2_0_kennisgeving_adreskeuze_verplicht(code: str) -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): the kennisgeving says which address the creditor uses."""
    data = voorbeeld(S, code, "2.0")
    del data["adreskeuze"]
    data.pop("postadres", None)
    assert "verplicht" in _geweigerd(S, code, "2.0", data, "adreskeuze")
    data["adreskeuze"] = "werkadres"
    reden = _geweigerd(S, code, "2.0", data, "adreskeuze")
    assert reden == "moet een van deze waarden zijn: 'woonadres', 'postadres' of 'adres_shv'"


@pytest.mark.parametrize("code", ["kennisgeving", "kennisgeving_bsn"])
def test_2_0_kennisgeving_postadres_alleen_bij_adreskeuze_postadres(code: str) -> None:
    """Our design of adreskeuze (DESIGN §3a): ``postadres`` is given exactly with adreskeuze postadres."""
    data = voorbeeld(S, code, "2.0")
    data["adreskeuze"] = "postadres"
    data.pop("postadres", None)
    assert "verplicht bij adreskeuze 'postadres'" in _geweigerd(S, code, "2.0", data, "postadres")
    data["postadres"] = {
        "straatnaam": "Postbus",
        "huisnummer": 77,
        "postcode": "3500 GA",
        "woonplaats": "Utrecht",
    }
    _aanvaard(S, code, "2.0", data)
    for keuze in ("woonadres", "adres_shv"):
        data["adreskeuze"] = keuze
        reden = _geweigerd(S, code, "2.0", data, "postadres")
        assert f"niet bij {keuze!r}" in reden
        del data["postadres"]
        _aanvaard(S, code, "2.0", data)
        data["postadres"] = None  # null counts as absent, in the model and in the JSON Schema
        _aanvaard(S, code, "2.0", data)
        data["postadres"] = {
            "straatnaam": "Postbus",
            "huisnummer": 77,
            "postcode": "3500 GA",
            "woonplaats": "Utrecht",
        }


def test_2_0_kennisgeving_postadres_is_een_nederlands_adres() -> None:
    """The postadres is an ``adres`` (DESIGN §3 "Payloads"): postcode checked as everywhere."""
    data = voorbeeld(S, "kennisgeving_bsn", "2.0")
    data["postadres"]["postcode"] = "3500GA"
    assert "'3500 GA'" in _reden(_fout(S, "kennisgeving_bsn", "2.0", data), "postadres.postcode")


def test_2_0_kennisgeving_zonder_bsn_blijft_zonder_bsn() -> None:
    """Art. 3.1–3.2, unchanged in 2.0: a BSN only in the Kennisgeving publiek."""
    data = voorbeeld(S, "kennisgeving", "2.0")
    data["klant"]["bsn"] = "999993653"
    assert "kennisgeving_bsn" in _reden(_fout(S, "kennisgeving", "2.0", data), "klant.bsn")


# --- schuldregeling 2.0: kennisgeving antwoord --------------------------------------------------------------


def test_2_0_kennisgeving_antwoord_contactpersoon_se_verplicht() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): the kennisgeving antwoord gains contactpersoonSE."""
    data = voorbeeld(S, "kennisgeving_antwoord", "2.0")
    del data["contactpersoonSE"]
    assert "verplicht" in _geweigerd(S, "kennisgeving_antwoord", "2.0", data, "contactpersoonSE")
    valideer(
        S,
        "kennisgeving_antwoord",
        "1.0",
        voorbeeld(S, "kennisgeving_antwoord", "1.0") | {"contactpersoonSE": None},
    )


def test_2_0_kennisgeving_antwoord_antwoord_verplicht() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): the kennisgeving antwoord gains ``antwoord``."""
    data = voorbeeld(S, "kennisgeving_antwoord", "2.0")
    del data["antwoord"]
    assert "verplicht" in _geweigerd(S, "kennisgeving_antwoord", "2.0", data, "antwoord")
    data["antwoord"] = "akkoord"
    reden = _geweigerd(S, "kennisgeving_antwoord", "2.0", data, "antwoord")
    assert "'openstaande_vorderingen' of 'geen_openstaande_vorderingen'" in reden


def test_2_0_kennisgeving_antwoord_openstaande_vorderingen_genoemd() -> None:
    """Art. 4.1: with open debts the creditor gives its klantnummer or invoice numbers."""
    data = voorbeeld(S, "kennisgeving_antwoord", "2.0")
    del data["klantnummerSE"]
    data["factuurnummers"] = []
    reden = _geweigerd(S, "kennisgeving_antwoord", "2.0", data, "klantnummerSE")
    assert "4.1" in reden and "openstaande_vorderingen" in reden
    data["factuurnummers"] = ["F-1"]
    _aanvaard(S, "kennisgeving_antwoord", "2.0", data)
    data["factuurnummers"] = ["F-1", "F-1"]
    assert "meer dan eens" in _reden(_fout(S, "kennisgeving_antwoord", "2.0", data), "factuurnummers[1]")


def test_2_0_kennisgeving_antwoord_geen_openstaande_vorderingen_zonder_factuurnummers() -> None:
    """Our design of ``antwoord`` (DESIGN §3a): no open debts means no invoice numbers."""
    data = voorbeeld(S, "kennisgeving_antwoord", "2.0")
    data["antwoord"] = "geen_openstaande_vorderingen"
    reden = _geweigerd(S, "kennisgeving_antwoord", "2.0", data, "factuurnummers")
    assert "moet leeg zijn" in reden
    data["factuurnummers"] = []
    _aanvaard(S, "kennisgeving_antwoord", "2.0", data)
    del data["klantnummerSE"]  # the 4.1 rule holds only for open debts
    _aanvaard(S, "kennisgeving_antwoord", "2.0", data)


# --- schuldregeling 2.0: geen medewerking -------------------------------------------------------------------


def test_2_0_geen_medewerking_reden_verplicht() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): geen_medewerking has a required reason, code and text."""
    data = voorbeeld(S, "geen_medewerking", "2.0")
    del data["reden"]
    assert "verplicht" in _geweigerd(S, "geen_medewerking", "2.0", data, "reden")
    data["reden"] = {"code": "klant_onbekend"}
    assert "verplicht" in _geweigerd(S, "geen_medewerking", "2.0", data, "reden.tekst")


@pytest.mark.parametrize("code", GEEN_MEDEWERKING_REDENEN)
def test_2_0_geen_medewerking_redencodes(code: str) -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): the four reason codes, and no other."""
    data = voorbeeld(S, "geen_medewerking", "2.0")
    data["reden"]["code"] = code
    _aanvaard(S, "geen_medewerking", "2.0", data)
    data["reden"]["code"] = code.upper()
    reden = _geweigerd(S, "geen_medewerking", "2.0", data, "reden.code")
    assert reden.startswith("moet een van deze waarden zijn: 'klant_onbekend', 'recente_finale_kwijting'")


def test_2_0_geen_medewerking_codes_zijn_die_van_de_catalogus() -> None:
    """One list of reasons: the payload model and the catalogue's description say the same."""
    assert typing.get_args(GeenMedewerkingCode) == GEEN_MEDEWERKING_REDENEN


def test_2_0_kent_geen_klant_onbekend() -> None:
    """DESIGN §3a: geen_medewerking replaces klant_onbekend in 2.0; 1.0 has no geen_medewerking."""
    with pytest.raises(OnbekendPayloadtype, match=re.escape("geen versie '2.0'")):
        valideer(S, "klant_onbekend", "2.0", voorbeeld(S, "klant_onbekend", "1.0"))
    for code in ("geen_medewerking", "heroverweging"):
        with pytest.raises(OnbekendPayloadtype, match=re.escape("geen versie '1.0'")):
            valideer(S, code, "1.0", voorbeeld(S, code, "2.0"))


# --- schuldregeling 2.0: heroverweging ---------------------------------------------------------------------


def test_2_0_heroverweging_onderbouwing_verplicht() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): a heroverweging says why the creditor should reconsider."""
    data = voorbeeld(S, "heroverweging", "2.0")
    del data["onderbouwing"]
    assert "verplicht" in _geweigerd(S, "heroverweging", "2.0", data, "onderbouwing")
    data["onderbouwing"] = "  \n "
    assert "spaties" in _geweigerd(S, "heroverweging", "2.0", data, "onderbouwing")


def test_2_0_heroverweging_herzien_voorstel_optioneel() -> None:
    """Our design (DESIGN §3a): the revised offer is optional; without it the creditor reconsiders
    the same proposal."""
    data = voorbeeld(S, "heroverweging", "2.0")
    del data["herzienVoorstel"]
    _aanvaard(S, "heroverweging", "2.0", data)
    _aanvaard(S, "heroverweging", "2.0", {"klantnummerSHV": "K-1", "onderbouwing": "Nieuwe feiten."})


def test_2_0_heroverweging_herzien_aanbod_niet_hoger_dan_de_vordering() -> None:
    """Our design of the revised offer (as 9.1's betaalvoorstel): at most the debt, a percentage of 0–100."""
    data = voorbeeld(S, "heroverweging", "2.0")
    data["herzienVoorstel"]["vorderingen"][0]["aangebodenBedrag"] = 125001
    fout = _fout(S, "heroverweging", "2.0", data)
    assert "hoger dan" in _reden(fout, "herzienVoorstel.vorderingen[0].aangebodenBedrag")
    data = voorbeeld(S, "heroverweging", "2.0")
    data["herzienVoorstel"]["aanbodPercentage"] = 100.5
    assert "hoogstens 100" in _geweigerd(S, "heroverweging", "2.0", data, "herzienVoorstel.aanbodPercentage")
    data["herzienVoorstel"]["aanbodPercentage"] = 40
    data["herzienVoorstel"]["vorderingen"] = []
    assert "minstens 1" in _geweigerd(S, "heroverweging", "2.0", data, "herzienVoorstel.vorderingen")


# --- schuldregeling 2.0: typeSchuldregeling SA ------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg", "betaalvoorstel"],
)
def test_2_0_type_schuldregeling_sb_sk_sa(code: str) -> None:
    """DESIGN §3 "Payloads", §3a: typeSchuldregeling is SB, SK or SA in schuldregeling 2.0; BR and HF
    belong to module betalingsregeling."""
    data = voorbeeld(S, code, "2.0")
    for waarde in ("SB", "SK"):
        data["typeSchuldregeling"] = waarde
        _aanvaard(S, code, "2.0", data)
    if code == "betaalvoorstel":
        data["afloscapaciteitPerMaand"] = 0
    data["typeSchuldregeling"] = "SA"
    _aanvaard(S, code, "2.0", data)
    for waarde in ("BR", "HF"):
        data["typeSchuldregeling"] = waarde
        reden = _geweigerd(S, code, "2.0", data, "typeSchuldregeling")
        assert reden == "moet een van deze waarden zijn: 'SB', 'SK' of 'SA'"


def test_2_0_geaccordeerd_type_schuldregeling_sb_sk_sa() -> None:
    """DESIGN §3a: schuldregeling geaccordeerd takes the 2.0 values too."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    data["typeSchuldregeling"] = "SA"
    _aanvaard(S, "schuldregeling_geaccordeerd", "2.0", data)
    data["typeSchuldregeling"] = "HF"
    assert "'SA'" in _geweigerd(S, "schuldregeling_geaccordeerd", "2.0", data, "typeSchuldregeling")


def test_2_0_sa_zonder_afloscapaciteit() -> None:
    """DESIGN §3a, SA = zonder afloscapaciteit (our rule from the name): afloscapaciteitPerMaand is 0."""
    data = voorbeeld(S, "betaalvoorstel", "2.0")
    data["typeSchuldregeling"] = "SA"
    reden = _geweigerd(S, "betaalvoorstel", "2.0", data, "afloscapaciteitPerMaand")
    assert "moet 0 zijn bij typeSchuldregeling 'SA'" in reden and "'SB' of 'SK'" in reden
    data["afloscapaciteitPerMaand"] = 0
    _aanvaard(S, "betaalvoorstel", "2.0", data)


def test_2_0_betaalvoorstel_houdt_de_regels_van_1_0() -> None:
    """Art. 9.1–9.2, unchanged in 2.0: totals equal the debts, an own debt, an onderbouwing."""
    data = voorbeeld(S, "betaalvoorstel", "2.0")
    data["bedragConcurrent"] += 1
    assert "moet gelijk zijn aan" in _reden(_fout(S, "betaalvoorstel", "2.0", data), "bedragConcurrent")
    data = voorbeeld(S, "betaalvoorstel", "2.0")
    del data["onderbouwing"]
    _geweigerd(S, "betaalvoorstel", "2.0", data, "onderbouwing")


# --- schuldregeling 2.0: schuldregeling geaccordeerd -------------------------------------------------------


def test_2_0_geaccordeerd_vorderingstype_verplicht() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): per vordering a vorderingstype (values our design)."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    del data["vorderingen"][0]["vorderingstype"]
    _geweigerd(S, "schuldregeling_geaccordeerd", "2.0", data, "vorderingen[0].vorderingstype")
    data["vorderingen"][0]["vorderingstype"] = "achtergesteld"
    reden = _geweigerd(S, "schuldregeling_geaccordeerd", "2.0", data, "vorderingen[0].vorderingstype")
    assert reden == "moet een van deze waarden zijn: 'preferent' of 'concurrent'"


def test_2_0_geaccordeerd_klantnummer_shv_verplicht() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): schuldregeling geaccordeerd carries klantnummerSHV."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    del data["klantnummerSHV"]
    assert "verplicht" in _geweigerd(S, "schuldregeling_geaccordeerd", "2.0", data, "klantnummerSHV")


def test_1_0_geaccordeerd_zonder_klantnummer_shv() -> None:
    """DESIGN §3a: 2.0's geaccordeerd *gains* klantnummerSHV, so a 1.0 one without it is valid (an
    independent versions probe: the 1.0 schema required it); with it, it is kept."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "1.0")
    nummer = data.pop("klantnummerSHV")
    assert valideer(S, "schuldregeling_geaccordeerd", "1.0", data).model_dump()["klantnummerSHV"] is None
    assert "klantnummerSHV" not in schema_voor(S, "schuldregeling_geaccordeerd", "1.0").get("required", [])
    data["klantnummerSHV"] = nummer
    assert valideer(S, "schuldregeling_geaccordeerd", "1.0", data).model_dump()["klantnummerSHV"] == nummer


def test_2_0_geaccordeerd_uitbetaalmomenten_tellen_op_tot_de_prognose() -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a) uitbetaalmomenten; our rule: together the prognoseEindbedrag."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    data["uitbetaalmomenten"][-1]["bedrag"] = 12000
    reden = _reden(_fout(S, "schuldregeling_geaccordeerd", "2.0", data), "uitbetaalmomenten")
    assert "prognoseEindbedrag" in reden and "(37000)" in reden
    del data["uitbetaalmomenten"]
    assert "verplicht" in _geweigerd(S, "schuldregeling_geaccordeerd", "2.0", data, "uitbetaalmomenten")


def test_2_0_geaccordeerd_uitbetaalmomenten_op_datum() -> None:
    """Our rule for uitbetaalmomenten (DESIGN §3a): in date order, no date twice."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    data["uitbetaalmomenten"][1]["datum"] = data["uitbetaalmomenten"][0]["datum"]
    fout = _fout(S, "schuldregeling_geaccordeerd", "2.0", data)
    assert "oplopen" in _reden(fout, "uitbetaalmomenten[1].datum")
    data["uitbetaalmomenten"][1]["bedrag"] = 0
    assert "groter dan 0" in _reden(
        _fout(S, "schuldregeling_geaccordeerd", "2.0", data), "uitbetaalmomenten[1].bedrag"
    )


def test_2_0_geaccordeerd_sa_zonder_uitbetaling() -> None:
    """SA (DESIGN §3a): with a prognosis of 0 there is nothing to pay out, so no uitbetaalmomenten."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    data["typeSchuldregeling"] = "SA"
    data["vorderingen"][0].update(afkooppercentage=0, prognoseEindbedrag=0)
    data["uitbetaalmomenten"] = []
    _aanvaard(S, "schuldregeling_geaccordeerd", "2.0", data)


def test_2_0_geaccordeerd_betaalschema_heet_uitbetaalmomenten() -> None:
    """One name per thing: 2.0's uitbetaalmomenten replace 1.0's betaalschema."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "2.0")
    data["betaalschema"] = data.pop("uitbetaalmomenten")
    fout = _fout(S, "schuldregeling_geaccordeerd", "2.0", data)
    assert "geen bekend veld" in _reden(fout, "betaalschema")
    assert "verplicht" in _reden(fout, "uitbetaalmomenten")


@pytest.mark.parametrize(
    ("code", "dagen"), [("saldoverzoek", "10"), ("statusverzoek", "10"), ("betaalvoorstel", "10")]
)
def test_2_0_schema_noemt_tien_werkdagen(code: str, dagen: str) -> None:
    """Afsprakenstelsel 2.0 (DESIGN §3a): questions are answered within 10 working days; the
    published description says so, and 1.0's says 5."""
    assert f"{dagen} working days" in schema_voor(S, code, "2.0")["description"]
    assert "10 working days" not in schema_voor(S, code, "1.0")["description"]


# --- version 1.0 refuses what only 2.0 has -----------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "saldoverzoek",
        "saldoverzoek_publiek",
        "saldoverzoek_zorg",
        "betaalvoorstel",
        "schuldregeling_geaccordeerd",
    ],
)
@pytest.mark.parametrize("waarde", ["SA", "BR", "HF"])
def test_1_0_type_schuldregeling_sb_of_sk(code: str, waarde: str) -> None:
    """DESIGN §3 "Payloads": typeSchuldregeling is SB or SK in 1.0; SA arrives with 2.0, BR and HF
    belong to module betalingsregeling."""
    data = voorbeeld(S, code, "1.0")
    data["typeSchuldregeling"] = waarde
    assert (
        _geweigerd(S, code, "1.0", data, "typeSchuldregeling")
        == "moet een van deze waarden zijn: 'SB' of 'SK'"
    )


@pytest.mark.parametrize(
    ("code", "veld", "waarde"),
    [
        ("kennisgeving", "adreskeuze", "woonadres"),
        ("kennisgeving_bsn", "adreskeuze", "adres_shv"),
        ("kennisgeving_antwoord", "antwoord", "openstaande_vorderingen"),
        ("schuldregeling_geaccordeerd", "uitbetaalmomenten", [{"datum": "2024-10-01", "bedrag": 37500}]),
    ],
)
def test_1_0_weigert_velden_van_2_0(code: str, veld: str, waarde: Any) -> None:
    """DESIGN §3a: one JSON Schema per version; a 2.0 field in a 1.0 message is an unknown field."""
    data = voorbeeld(S, code, "1.0")
    data[veld] = waarde
    assert "geen bekend veld" in _geweigerd(S, code, "1.0", data, veld)


def test_1_0_geaccordeerd_zonder_vorderingstype() -> None:
    """DESIGN §3a: vorderingstype per vordering is new in 2.0."""
    data = voorbeeld(S, "schuldregeling_geaccordeerd", "1.0")
    data["vorderingen"][0]["vorderingstype"] = "concurrent"
    _geweigerd(S, "schuldregeling_geaccordeerd", "1.0", data, "vorderingen[0].vorderingstype")


# --- betalingsregeling (DESIGN §3b) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg", "betaalvoorstel"],
)
@pytest.mark.parametrize("waarde", ["SB", "SK", "SA"])
def test_betalingsregeling_type_br_of_hf(code: str, waarde: str) -> None:
    """DESIGN §3b: in module betalingsregeling typeSchuldregeling is BR or HF."""
    data = voorbeeld(B, code)
    data["typeSchuldregeling"] = waarde
    assert (
        _geweigerd(B, code, "2.0", data, "typeSchuldregeling")
        == "moet een van deze waarden zijn: 'BR' of 'HF'"
    )


def test_betalingsregeling_geaccordeerd_en_herzien_voorstel_br_of_hf() -> None:
    """DESIGN §3b: BR or HF also where the regeling is agreed or its terms revised."""
    data = voorbeeld(B, "schuldregeling_geaccordeerd")
    data["typeSchuldregeling"] = "SB"
    assert "'BR' of 'HF'" in _geweigerd(B, "schuldregeling_geaccordeerd", "2.0", data, "typeSchuldregeling")
    data = voorbeeld(B, "heroverweging")
    data["herzienVoorstel"]["typeSchuldregeling"] = "SK"
    assert "'BR' of 'HF'" in _geweigerd(B, "heroverweging", "2.0", data, "herzienVoorstel.typeSchuldregeling")


def test_betalingsregeling_betaalvoorstel_100_procent() -> None:
    """DESIGN §3b ("alleen de betaalvoorstellen betreffen 100% betalingsregelingen of
    herfinanciering"): every debt is offered in full."""
    data = voorbeeld(B, "betaalvoorstel")
    data["vorderingen"][1]["aangebodenBedrag"] = 299999  # another creditor's debt: also in full
    reden = _reden(_fout(B, "betaalvoorstel", "2.0", data), "vorderingen[1].aangebodenBedrag")
    assert "moet gelijk zijn aan bedrag (300000)" in reden and "100 %" in reden


def test_betalingsregeling_betaalvoorstel_totalen() -> None:
    """Art. 9.1 (as in schuldregeling): totals equal the debts; one debt is the recipient's own."""
    data = voorbeeld(B, "betaalvoorstel")
    data["aantalPreferent"] = 2
    assert "moet gelijk zijn aan" in _reden(_fout(B, "betaalvoorstel", "2.0", data), "aantalPreferent")
    data = voorbeeld(B, "betaalvoorstel")
    data["vorderingen"][0]["eigenVordering"] = False
    assert "eigenVordering" in _reden(_fout(B, "betaalvoorstel", "2.0", data), "vorderingen")


@pytest.mark.parametrize("veld", ["termijnbedrag", "aantalTermijnen", "eersteBetaaldatum"])
def test_betalingsregeling_br_in_termijnen(veld: str) -> None:
    """DESIGN §3b: a BR betaalvoorstel carries termijnbedrag, aantalTermijnen and eersteBetaaldatum."""
    data = voorbeeld(B, "betaalvoorstel")
    del data[veld]
    reden = _geweigerd(B, "betaalvoorstel", "2.0", data, veld)
    assert reden == f"{veld} is verplicht bij typeSchuldregeling 'BR' (betalingsregeling in termijnen)"


@pytest.mark.parametrize("veld", ["uitbetaaldatum", "financier"])
def test_betalingsregeling_hf_ineens_met_financier(veld: str) -> None:
    """DESIGN §3b: an HF betaalvoorstel carries uitbetaaldatum and financier, and no terms."""
    data = _hf_betaalvoorstel()
    _aanvaard(B, "betaalvoorstel", "2.0", data)
    del data[veld]
    reden = _geweigerd(B, "betaalvoorstel", "2.0", data, veld)
    assert reden == f"{veld} is verplicht bij typeSchuldregeling 'HF' (herfinanciering ineens)"


@pytest.mark.parametrize(
    ("type_", "veld", "waarde"),
    [
        ("HF", "termijnbedrag", 25000),
        ("HF", "aantalTermijnen", 5),
        ("HF", "eersteBetaaldatum", "2024-06-01"),
        ("BR", "uitbetaaldatum", "2024-07-01"),
        ("BR", "financier", "Kredietbank Voorbeeld"),
    ],
)
def test_betalingsregeling_velden_van_het_andere_type_geweigerd(type_: str, veld: str, waarde: Any) -> None:
    """DESIGN §3b: BR fields only with BR, HF fields only with HF (our rule: no ambiguous proposal)."""
    data = _hf_betaalvoorstel() if type_ == "HF" else voorbeeld(B, "betaalvoorstel")
    data[veld] = waarde
    reden = _geweigerd(B, "betaalvoorstel", "2.0", data, veld)
    assert f"niet bij {type_!r}" in reden and "laat het weg" in reden


def test_betalingsregeling_termijnen_betalen_de_vorderingen_volledig() -> None:
    """DESIGN §3b, 100 % in termijnen (our rule): aantalTermijnen × termijnbedrag covers the
    recipient's debts exactly, the last term paying the rest."""
    data = voorbeeld(B, "betaalvoorstel")  # 125000 in 5 terms of 25000
    data["aantalTermijnen"] = 4
    reden = _reden(_fout(B, "betaalvoorstel", "2.0", data), "aantalTermijnen")
    assert "moet 5 zijn" in reden and "100 %" in reden
    data["termijnbedrag"] = 40000  # 40000 × 3 + a last term of 5000
    data["aantalTermijnen"] = 5  # one term too many pays more than 100 %
    assert "moet 4 zijn" in _reden(_fout(B, "betaalvoorstel", "2.0", data), "aantalTermijnen")
    data["aantalTermijnen"] = 4
    valideer(B, "betaalvoorstel", "2.0", data)


def test_betalingsregeling_geaccordeerd_100_procent() -> None:
    """DESIGN §3b: the agreed regeling pays every debt in full."""
    data = voorbeeld(B, "schuldregeling_geaccordeerd")
    data["vorderingen"][0]["afkooppercentage"] = 90
    reden = _reden(_fout(B, "schuldregeling_geaccordeerd", "2.0", data), "vorderingen[0].afkooppercentage")
    assert "moet 100 zijn" in reden
    data = voorbeeld(B, "schuldregeling_geaccordeerd")
    data["vorderingen"][0]["prognoseEindbedrag"] = 100000
    data["uitbetaalmomenten"] = data["uitbetaalmomenten"][:4]  # 4 × 25000: the new prognosis
    fout = _fout(B, "schuldregeling_geaccordeerd", "2.0", data)
    assert "100 %" in _reden(fout, "vorderingen[0].prognoseEindbedrag")
    assert len(fout.fouten) == 1


def test_betalingsregeling_hf_een_uitbetaalmoment() -> None:
    """DESIGN §3b: a herfinanciering pays "100 % ineens", so exactly one uitbetaalmoment."""
    data = voorbeeld(B, "schuldregeling_geaccordeerd")
    data["typeSchuldregeling"] = "HF"
    reden = _reden(_fout(B, "schuldregeling_geaccordeerd", "2.0", data), "uitbetaalmomenten")
    assert "precies één uitbetaalmoment, niet 5" in reden
    data["uitbetaalmomenten"] = [{"datum": "2024-07-01", "bedrag": 125000}]
    valideer(B, "schuldregeling_geaccordeerd", "2.0", data)


def test_betalingsregeling_heroverweging_herzien_voorstel() -> None:
    """Our design (DESIGN §3a, §3b): a heroverweging may revise the BR/HF terms, with the same rules."""
    data = voorbeeld(B, "heroverweging")
    del data["herzienVoorstel"]["financier"]
    reden = _geweigerd(B, "heroverweging", "2.0", data, "herzienVoorstel.financier")
    assert "verplicht bij typeSchuldregeling 'HF'" in reden
    data["herzienVoorstel"] = {
        "typeSchuldregeling": "BR",
        "termijnbedrag": 12500,
        "aantalTermijnen": 10,
        "eersteBetaaldatum": "2024-07-01",
    }
    _aanvaard(B, "heroverweging", "2.0", data)
    data["herzienVoorstel"]["aanbodPercentage"] = 100  # a schuldregeling field: not here
    assert "geen bekend veld" in _reden(
        _fout(B, "heroverweging", "2.0", data), "herzienVoorstel.aanbodPercentage"
    )


def test_betalingsregeling_verder_gelijk_aan_schuldregeling_2_0() -> None:
    """DESIGN §3b: "gelijk aan de module schuldregeling" 2.0 — same fields where nothing differs."""
    for code in ("kennisgeving", "kennisgeving_antwoord", "geen_medewerking", "statusbericht", "reminder"):
        data = voorbeeld(S, code, "2.0")
        valideer(B, code, "2.0", data)
    data = voorbeeld(B, "geen_medewerking")
    del data["reden"]
    _geweigerd(B, "geen_medewerking", "2.0", data, "reden")
    with pytest.raises(OnbekendPayloadtype):
        valideer(B, "klant_onbekend", "2.0", {"klantnummerSHV": "K-1"})


def test_datums_in_de_toekomst_toegestaan_voor_planning() -> None:
    """Planned dates (eersteBetaaldatum, uitbetaaldatum, uitbetaalmomenten) lie in the future."""
    later = (date.today() + timedelta(days=400)).isoformat()
    data = voorbeeld(B, "betaalvoorstel")
    data["eersteBetaaldatum"] = later
    valideer(B, "betaalvoorstel", "2.0", data)
    data = _hf_betaalvoorstel()
    data["uitbetaaldatum"] = "01-07-2024"
    assert "JJJJ-MM-DD" in _reden(_fout(B, "betaalvoorstel", "2.0", data), "uitbetaaldatum")


def _hf_betaalvoorstel() -> dict[str, Any]:
    data = voorbeeld(B, "betaalvoorstel")
    for veld in ("termijnbedrag", "aantalTermijnen", "eersteBetaaldatum"):
        del data[veld]
    data.update(typeSchuldregeling="HF", uitbetaaldatum="2024-07-01", financier="Kredietbank Voorbeeld")
    return data


def test_par_3a_sdk_noemt_geen_medewerking_voor_klant_onbekend() -> None:
    """DESIGN §3a: 2.0's geen_medewerking replaces klant_onbekend, and an answer stays in its
    question's version: the SDK names the replacement instead of sending the user to version 1.0,
    in schuldregeling 2.0 and in betalingsregeling (DESIGN §3b)."""
    from knooppunt.client.berichten import VerzendFout, controleer_type

    with pytest.raises(VerzendFout) as info:
        controleer_type(S, "klant_onbekend", "2.0")
    assert info.value.code == "ONBEKENDE_VERSIE"
    assert "vervangt 'geen_medewerking' (met reden 'klant_onbekend')" in str(info.value)
    assert "Een antwoord blijft in de versie van zijn vraag" in str(info.value)
    with pytest.raises(VerzendFout) as info:
        controleer_type(B, "klant_onbekend", "2.0")
    assert info.value.code == "ONBEKEND_BERICHTTYPE"
    assert "in module betalingsregeling vervangt 'geen_medewerking'" in str(info.value)
