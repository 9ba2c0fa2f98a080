"""Payload models of module schuldregeling (DESIGN §3 "Payloads"): one model per participant-authored
message type, the rules of the standard with Dutch errors that name the field, and JSON Schemas that
accept the same examples."""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from knooppunt.protocol import payloads
from knooppunt.protocol.catalogus import CATALOGUS, HUB_BERICHTTYPEN
from knooppunt.protocol.payloads import (
    JSON_SCHEMA_DIALECT,
    PAYLOADS,
    OnbekendPayloadtype,
    OngeldigePayload,
    payloadmodel,
    schema_voor,
    valideer,
)
from knooppunt.protocol.payloads.register import veldnamen
from knooppunt.protocol.payloads.velden import vandaag
from knooppunt.protocol.payloads.voorbeelden import VOORBEELDEN, voorbeeld

S = "schuldregeling"
LOWER_CAMEL = re.compile(r"^[a-z][a-z\d]*([A-Z][a-zA-Z\d]*)*$")

# Every participant-authored type of the catalogue, derived from it: a new type without a model fails.
TYPEN = [(t.module, t.code, t.versie) for t in CATALOGUS.alle() if not t.door_knooppunt]
HUB_TYPEN = [(t.module, t.code, t.versie) for t in CATALOGUS.alle() if t.door_knooppunt]


def _id(sleutel: tuple[str, str, str]) -> str:
    return f"{sleutel[1]}-{sleutel[2]}"


def _fout(code: str, data: Any) -> OngeldigePayload:
    with pytest.raises(OngeldigePayload) as info:
        valideer(S, code, "1.0", data)
    return info.value


def _reden(fout: OngeldigePayload, veld: str) -> str:
    """The reason for ``veld``; fails when that field is not named."""
    redenen = {f.veld: f.reden for f in fout.fouten}
    assert veld in redenen, f"{veld} niet genoemd in {fout}"
    assert veld in str(fout)
    return redenen[veld]


# --- coverage of the catalogue -------------------------------------------------------------------------


def test_elk_berichttype_van_deelnemers_heeft_een_payloadmodel_en_voorbeeld() -> None:
    assert {c for (_, c, _) in TYPEN} >= {"kennisgeving", "saldoverzoek_antwoord", "reminder"}
    ontbrekend = [sleutel for sleutel in TYPEN if sleutel not in PAYLOADS]
    assert not ontbrekend, f"berichttypen zonder payloadmodel: {ontbrekend}"
    assert set(PAYLOADS) == set(TYPEN), "payloadmodellen zonder berichttype in de catalogus"
    assert set(VOORBEELDEN) == set(TYPEN)


@pytest.mark.parametrize("sleutel", HUB_TYPEN, ids=_id)
def test_berichten_van_het_knooppunt_hebben_geen_payload(sleutel: tuple[str, str, str]) -> None:
    assert sleutel[1] in HUB_BERICHTTYPEN
    assert sleutel not in PAYLOADS
    with pytest.raises(OnbekendPayloadtype, match="knooppunt zelf"):
        payloadmodel(*sleutel)


def test_onbekend_type_of_versie() -> None:
    with pytest.raises(OnbekendPayloadtype, match="bestaat niet"):
        valideer(S, "bestaat_niet", "1.0", {})
    with pytest.raises(OnbekendPayloadtype, match="bestaat niet"):
        valideer("geen_module", "saldoverzoek", "1.0", {})
    with pytest.raises(OnbekendPayloadtype, match=re.escape("geen versie '9.9'; bekend: 1.0")):
        valideer(S, "saldoverzoek", "9.9", {})


def test_alle_veldnamen_zijn_lower_camel_case() -> None:
    for model in PAYLOADS.values():
        for naam in veldnamen(model):
            assert LOWER_CAMEL.match(naam), (model.__name__, naam)


def test_payloads_zijn_puur() -> None:
    """Only pydantic, python-stdnum, the standard library and knooppunt.protocol."""
    toegestaan = {"pydantic", "pydantic_core", "stdnum"} | set(sys.stdlib_module_names)
    map_ = Path(payloads.__file__).parent
    for bestand in map_.glob("*.py"):
        for knoop in ast.walk(ast.parse(bestand.read_text())):
            namen: list[str] = []
            if isinstance(knoop, ast.Import):
                namen = [a.name for a in knoop.names]
            elif isinstance(knoop, ast.ImportFrom) and knoop.module:
                namen = [knoop.module]
            for naam in namen:
                assert naam.startswith("knooppunt.protocol") or naam.split(".")[0] in toegestaan, (
                    bestand.name,
                    naam,
                )


# --- valid examples --------------------------------------------------------------------------------


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_voorbeeld_is_geldig_en_blijft_gelijk(sleutel: tuple[str, str, str]) -> None:
    data = voorbeeld(*sleutel)
    model = valideer(*sleutel, data)
    assert isinstance(model, PAYLOADS[sleutel])
    # The model writes exactly the wire form back (names, dates as ISO text, amounts as integers).
    assert model.model_dump(mode="json", exclude_unset=True) == data


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_voorbeeld_als_json_tekst(sleutel: tuple[str, str, str]) -> None:
    data = voorbeeld(*sleutel)
    model = valideer(*sleutel, json.dumps(data).encode())
    assert model.model_dump(mode="json", exclude_unset=True) == data


def test_voorbeeld_is_een_kopie() -> None:
    voorbeeld(S, "kennisgeving")["klant"]["achternaam"] = "Anders"
    assert VOORBEELDEN[(S, "kennisgeving", "1.0")]["klant"]["achternaam"] == "Vries"


def test_minimale_payloads() -> None:
    valideer(S, "klant_onbekend", "1.0", {"klantnummerSHV": "K-1"})
    valideer(S, "reminder", "1.0", {"klantnummerSHV": "K-1"})
    valideer(S, "statusverzoek", "1.0", {"klantnummerSHV": "K-1"})
    valideer(S, "betaalvoorstel_akkoord", "1.0", {"klantnummerSHV": "K-1"})
    valideer(S, "kennisgeving_antwoord", "1.0", {"klantnummerSHV": "K-1", "factuurnummers": ["F1"]})


# --- rules, each failing with the field named ------------------------------------------------------


def test_negatief_bedrag() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["vorderingen"][0]["rente"] = -1
    assert "negatief" in _reden(_fout("saldoverzoek_antwoord", data), "vorderingen[0].rente")


@pytest.mark.parametrize("waarde", [12.5, "125000", True, float("nan"), float("inf")])
def test_bedrag_is_een_geheel_getal_in_centen(waarde: Any) -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["vorderingen"][1]["actueelBedrag"] = waarde
    assert "geheel getal" in _reden(_fout("saldoverzoek_antwoord", data), "vorderingen[1].actueelBedrag")


def test_bedrag_met_nul_als_breuk_is_een_geheel_getal() -> None:
    """JSON Schema counts 125000.0 as an integer, so the SDK does too, and keeps it as 125000."""
    data = voorbeeld(S, "saldoverzoek_antwoord")
    bedrag = data["vorderingen"][1]["actueelBedrag"]
    data["vorderingen"][1]["actueelBedrag"] = float(bedrag)
    gegevens = valideer(S, "saldoverzoek_antwoord", "1.0", data).model_dump(mode="json", exclude_unset=True)
    assert gegevens["vorderingen"][1]["actueelBedrag"] == bedrag
    assert type(gegevens["vorderingen"][1]["actueelBedrag"]) is int
    assert json.dumps(gegevens["vorderingen"][1]["actueelBedrag"]) == str(bedrag)


def test_actueel_bedrag_is_de_som_van_zijn_onderdelen() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["vorderingen"][0]["actueelBedrag"] += 1
    reden = _reden(_fout("saldoverzoek_antwoord", data), "vorderingen[0].actueelBedrag")
    assert "hoofdsom + rente + kosten + incassokosten" in reden


def test_onderdelen_samen_niet_meer_dan_actueel_bedrag() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["vorderingen"][1]["hoofdsom"] = 30001  # only hoofdsom given, more than actueelBedrag
    assert "kleiner dan" in _reden(_fout("saldoverzoek_antwoord", data), "vorderingen[1].actueelBedrag")


def test_totaalvordering_is_de_som_van_zijn_onderdelen() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord_standaard_akkoord")
    data["totaalvordering"]["rente"] = 0
    _reden(_fout("saldoverzoek_antwoord_standaard_akkoord", data), "totaalvordering.actueelBedrag")


@pytest.mark.parametrize(
    ("veld", "delta"),
    [("aantalPreferent", 1), ("bedragPreferent", -1), ("aantalConcurrent", -1), ("bedragConcurrent", 100)],
)
def test_betaalvoorstel_totalen_gelijk_aan_de_vorderingen(veld: str, delta: int) -> None:
    data = voorbeeld(S, "betaalvoorstel")
    data[veld] += delta
    fout = _fout("betaalvoorstel", data)
    assert "moet gelijk zijn aan" in _reden(fout, veld)
    assert len(fout.fouten) == 1


def test_betaalvoorstel_aanbod_niet_hoger_dan_de_vordering() -> None:
    data = voorbeeld(S, "betaalvoorstel")
    data["vorderingen"][0]["aangebodenBedrag"] = 125001
    assert "hoger dan" in _reden(_fout("betaalvoorstel", data), "vorderingen[0].aangebodenBedrag")


def test_betaalvoorstel_bevat_een_eigen_vordering() -> None:
    data = voorbeeld(S, "betaalvoorstel")
    data["vorderingen"][0]["eigenVordering"] = False
    assert "eigenVordering" in _reden(_fout("betaalvoorstel", data), "vorderingen")


@pytest.mark.parametrize(
    ("waarde", "tekst"), [(100.5, "hoogstens 100"), (-1, "negatief"), (33.333, "decimalen")]
)
def test_percentage_van_0_tot_100(waarde: float, tekst: str) -> None:
    data = voorbeeld(S, "betaalvoorstel")
    data["aanbodPercentage"] = waarde
    assert tekst in _reden(_fout("betaalvoorstel", data), "aanbodPercentage")


def test_betaalvoorstel_alleen_typen_van_de_module_schuldregeling() -> None:
    data = voorbeeld(S, "betaalvoorstel")
    data["typeSchuldregeling"] = "BR"
    assert "'SB' of 'SK'" in _reden(_fout("betaalvoorstel", data), "typeSchuldregeling")  # SA: 2.0


def test_betaalschema_telt_op_tot_de_prognose() -> None:
    data = voorbeeld(S, "schuldregeling_geaccordeerd")
    data["betaalschema"][-1]["bedrag"] = 12000
    assert "prognoseEindbedrag" in _reden(_fout("schuldregeling_geaccordeerd", data), "betaalschema")


def test_betaalschema_op_datum() -> None:
    data = voorbeeld(S, "schuldregeling_geaccordeerd")
    data["betaalschema"][2]["datum"] = data["betaalschema"][0]["datum"]
    assert "oplopen" in _reden(_fout("schuldregeling_geaccordeerd", data), "betaalschema[2].datum")


def test_prognose_niet_hoger_dan_de_vordering() -> None:
    data = voorbeeld(S, "schuldregeling_geaccordeerd")
    data["vorderingen"][0]["prognoseEindbedrag"] = 125001
    fout = _fout("schuldregeling_geaccordeerd", data)
    assert "hoger dan" in _reden(fout, "vorderingen[0].prognoseEindbedrag")


@pytest.mark.parametrize(
    ("bsn", "tekst"), [("999993654", "elfproef"), ("99999365", "9 cijfers"), ("999.99.3653", "9 cijfers")]
)
def test_ongeldig_bsn(bsn: str, tekst: str) -> None:
    data = voorbeeld(S, "kennisgeving_bsn")
    data["klant"]["bsn"] = bsn
    assert tekst in _reden(_fout("kennisgeving_bsn", data), "klant.bsn")


@pytest.mark.parametrize("code", ["kennisgeving_bsn", "saldoverzoek_publiek"])
def test_bsn_verplicht_in_de_bsn_varianten(code: str) -> None:
    data = voorbeeld(S, code)
    del data["klant"]["bsn"]
    assert "verplicht" in _reden(_fout(code, data), "klant.bsn")
    del data["partner"]["bsn"]  # the partner's BSN is optional
    data["klant"]["bsn"] = "999993653"
    valideer(S, code, "1.0", data)


@pytest.mark.parametrize(
    ("code", "persoon"),
    [
        ("kennisgeving", "klant"),
        ("kennisgeving", "partner"),
        ("saldoverzoek", "klant"),
        ("saldoverzoek_nuts", "klant"),
    ],
)
def test_bsn_niet_in_een_bericht_zonder_bsn(code: str, persoon: str) -> None:
    data = voorbeeld(S, code)
    data[persoon]["bsn"] = "999993653"  # a valid BSN, still not allowed here
    reden = _reden(_fout(code, data), f"{persoon}.bsn")
    assert "kennisgeving_bsn" in reden and "saldoverzoek_publiek" in reden


def test_bsn_niet_in_een_vervolgbericht() -> None:
    data = voorbeeld(S, "betaalvoorstel")
    data["klant"]["bsn"] = None
    _reden(_fout("betaalvoorstel", data), "klant.bsn")


@pytest.mark.parametrize(
    ("iban", "tekst"),
    [("NL91ABNA0417164301", "mod-97"), ("NL91 ABNA 0417 1643 00", "zonder spaties"), ("XX00", "geen IBAN")],
)
def test_ongeldige_iban(iban: str, tekst: str) -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["betaalgegevens"]["iban"] = iban
    assert tekst in _reden(_fout("saldoverzoek_antwoord", data), "betaalgegevens.iban")


def test_geen_iban_vorm_noemt_de_vorm_niet_de_mod_97() -> None:
    """DESIGN §3 (IBAN mod-97): a value that is not shaped like an IBAN is told what an IBAN looks
    like; the mod-97 text is kept for an IBAN whose check digits are wrong."""
    data = voorbeeld("bewind", "melding_bewind", "2.0")
    data["beheerrekening"] = "geen-iban"
    reden = _reden(_fout_module("bewind", "melding_bewind", "2.0", data), "beheerrekening")
    assert "mod-97" not in reden
    assert "'geen-iban' is geen IBAN" in reden
    assert "landcode van 2 letters, 2 controlecijfers en het rekeningnummer" in reden
    data["beheerrekening"] = "NL91ABNA0417164301"
    reden = _reden(_fout_module("bewind", "melding_bewind", "2.0", data), "beheerrekening")
    assert reden == "IBAN 'NL91ABNA0417164301' is ongeldig (de controle (mod-97) klopt niet)"


def _fout_module(module: str, code: str, versie: str, data: Any) -> OngeldigePayload:
    with pytest.raises(OngeldigePayload) as info:
        valideer(module, code, versie, data)
    return info.value


@pytest.mark.parametrize(
    ("postcode", "tekst"),
    [
        ("3511AB", "'3511 AB'"),
        ("3511 ab", "'3511 AB'"),
        ("0511 AB", "geen geldige"),
        ("3511 SS", "geen geldige"),
    ],
)
def test_ongeldige_postcode(postcode: str, tekst: str) -> None:
    data = voorbeeld(S, "kennisgeving")
    data["adres"]["postcode"] = postcode
    assert tekst in _reden(_fout("kennisgeving", data), "adres.postcode")


@pytest.mark.parametrize("code", ["betaalvoorstel_niet_akkoord", "schuldregeling_beeindigd"])
def test_reden_verplicht(code: str) -> None:
    data = voorbeeld(S, code)
    del data["reden"]
    assert "verplicht" in _reden(_fout(code, data), "reden")
    data["reden"] = {"code": "OVERIG"}
    assert "verplicht" in _reden(_fout(code, data), "reden.tekst")
    data["reden"] = {"code": "OVERIG", "tekst": "   "}
    assert "spaties" in _reden(_fout(code, data), "reden.tekst")


def test_onbekend_veld_met_suggestie() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["klantnummerSe"] = data.pop("klantnummerSE")
    data["vorderingen"][0]["incasokosten"] = 0
    fout = _fout("saldoverzoek_antwoord", data)
    assert "bedoelt u klantnummerSE?" in _reden(fout, "klantnummerSe")
    assert "verplicht" in _reden(fout, "klantnummerSE")
    assert "bedoelt u incassokosten?" in _reden(fout, "vorderingen[0].incasokosten")


def test_saldoverzoek_antwoord_per_vordering_of_als_totaal() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["totaalvordering"] = {"actueelBedrag": 1, "standaardAkkoord": False}
    assert "6.2" in _reden(_fout("saldoverzoek_antwoord", data), "vorderingen")
    del data["totaalvordering"], data["vorderingen"]
    _reden(_fout("saldoverzoek_antwoord", data), "vorderingen")
    data["vorderingen"] = []  # nihil: the client owes nothing
    valideer(S, "saldoverzoek_antwoord", "1.0", data)
    data["vorderingen"] = None  # null counts as absent, in the model and in the JSON Schema
    data["totaalvordering"] = {"actueelBedrag": 0, "standaardAkkoord": False}
    valideer(S, "saldoverzoek_antwoord", "1.0", data)
    _validator((S, "saldoverzoek_antwoord", "1.0")).validate(data)


def test_standaard_akkoord_vlag_volgt_het_berichttype() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord_standaard_akkoord")
    valideer(S, "saldoverzoek_antwoord_standaard_akkoord", "1.0", data)
    _reden(_fout("saldoverzoek_antwoord", data), "totaalvordering.standaardAkkoord")
    data["totaalvordering"]["standaardAkkoord"] = False
    valideer(S, "saldoverzoek_antwoord", "1.0", data)
    _reden(_fout("saldoverzoek_antwoord_standaard_akkoord", data), "totaalvordering.standaardAkkoord")


def test_schuldtype() -> None:
    data = voorbeeld(S, "saldoverzoek_antwoord")
    data["vorderingen"][0]["schuldtype"] = "verkocht"
    reden = _reden(_fout("saldoverzoek_antwoord", data), "vorderingen[0].schuldtype")
    assert reden == "moet een van deze waarden zijn: 'openstaand', 'overgedragen' of 'onbekend'"
    data["vorderingen"][0]["schuldtype"] = "openstaand"
    data["vorderingen"][0]["overgedragenAan"] = "Incasso BV"
    _reden(_fout("saldoverzoek_antwoord", data), "vorderingen[0].overgedragenAan")


def test_slimme_meter_akkoord_in_saldoverzoek_nuts() -> None:
    data = voorbeeld(S, "saldoverzoek_nuts")
    del data["slimmeMeterAkkoord"]
    _reden(_fout("saldoverzoek_nuts", data), "slimmeMeterAkkoord")
    data["slimmeMeterAkkoord"] = "ja"
    assert "true of false" in _reden(_fout("saldoverzoek_nuts", data), "slimmeMeterAkkoord")
    assert "geen bekend veld" in _reden(_fout("saldoverzoek", data), "slimmeMeterAkkoord")  # nuts only


@pytest.mark.parametrize(
    "datum",
    ["01-03-2024", "2024-02-30", "2024-03-01T10:00:00", 20240301, "20240301", "2024-W10-1", "２０２４-03-01"],
)
def test_datum_is_iso_8601(datum: Any) -> None:
    data = voorbeeld(S, "schuldregeling_geaccordeerd")
    data["datumAkkoord"] = datum
    assert "JJJJ-MM-DD" in _reden(_fout("schuldregeling_geaccordeerd", data), "datumAkkoord")


def test_datum_niet_in_de_toekomst() -> None:
    morgen = (vandaag() + timedelta(days=1)).isoformat()
    data = voorbeeld(S, "statusbericht")
    data["datumGebeurtenis"] = morgen
    assert "toekomst" in _reden(_fout("statusbericht", data), "datumGebeurtenis")
    data = voorbeeld(S, "kennisgeving")
    data["klant"]["geboortedatum"] = morgen
    assert "toekomst" in _reden(_fout("kennisgeving", data), "klant.geboortedatum")


@pytest.mark.parametrize("status", ["dwangakkoord_aangevraagd", "uitstel", "opschorting"])
def test_statusbericht_gebeurtenis_van_13_2_met_datum(status: str) -> None:
    data = voorbeeld(S, "statusbericht")
    data["status"] = status
    del data["datumGebeurtenis"]
    assert "13.2" in _reden(_fout("statusbericht", data), "datumGebeurtenis")
    data["status"] = "lopend"
    valideer(S, "statusbericht", "1.0", data)


def test_statusbericht_overig_met_toelichting() -> None:
    data = voorbeeld(S, "statusbericht")
    data["status"] = "overig"
    del data["toelichting"]
    _reden(_fout("statusbericht", data), "toelichting")


def test_contactpersoon_bereikbaar() -> None:
    data = voorbeeld(S, "kennisgeving")
    data["contactpersoonSHV"] = {"naam": "A. Jansen"}
    reden = _reden(_fout("kennisgeving", data), "contactpersoonSHV.telefoon")
    assert "telefoonnummer of e-mailadres" in reden
    data["contactpersoonSHV"] = {"naam": "A. Jansen", "telefoon": "12345", "email": "geen-adres"}
    fout = _fout("kennisgeving", data)
    _reden(fout, "contactpersoonSHV.telefoon")
    _reden(fout, "contactpersoonSHV.email")


def test_adres() -> None:
    data = voorbeeld(S, "kennisgeving")
    data["adres"].update(huisnummer=0, huisletter="1", huisnummertoevoeging="a-b")
    fout = _fout("kennisgeving", data)
    assert "minstens 1" in _reden(fout, "adres.huisnummer")
    _reden(fout, "adres.huisletter")
    _reden(fout, "adres.huisnummertoevoeging")


def test_kennisgeving_antwoord_meldt_iets() -> None:
    fout = _fout("kennisgeving_antwoord", {"klantnummerSHV": "K-1"})
    assert "4.1" in _reden(fout, "klantnummerSE")
    fout = _fout("kennisgeving_antwoord", {"klantnummerSHV": "K-1", "factuurnummers": ["F1", "F1"]})
    _reden(fout, "factuurnummers[1]")


def test_klantnummer_zonder_spaties_aan_de_randen() -> None:
    fout = _fout("reminder", {"klantnummerSHV": " K-1"})
    assert "spaties" in _reden(fout, "klantnummerSHV")
    fout = _fout("reminder", {"klantnummerSHV": ""})
    assert "leeg" in _reden(fout, "klantnummerSHV")


def test_elke_fout_wordt_gemeld() -> None:
    data = voorbeeld(S, "kennisgeving")
    data["klant"]["bsn"] = "123"
    data["adres"]["postcode"] = "1234"
    del data["klant"]["achternaam"]
    data["extra"] = 1
    fout = _fout("kennisgeving", data)
    assert set(fout.velden) == {"klant.bsn", "klant.achternaam", "adres.postcode", "extra"}
    assert str(fout).startswith("Ongeldige inhoud voor schuldregeling/kennisgeving versie 1.0 (4 fouten):")
    assert fout.als_invalid_params()[0].keys() == {"name", "reason"}


@pytest.mark.parametrize("data", [[], "geen json", b"{", None, 3])
def test_inhoud_geen_object(data: Any) -> None:
    fout = _fout("reminder", data)
    assert fout.velden == ["inhoud"]


# --- JSON Schemas -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_schema_heeft_dialect_id_en_titel(sleutel: tuple[str, str, str]) -> None:
    schema = schema_voor(*sleutel)
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["$id"] == f"urn:knooppunt:payload:{sleutel[0]}:{sleutel[1]}:{sleutel[2]}"
    assert sleutel[1] in schema["title"] and sleutel[2] in schema["title"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert "eurocenten" in schema["description"]


def test_schemas_zijn_kopieen_met_unieke_ids() -> None:
    schema_voor(S, "reminder", "1.0")["title"] = "veranderd"
    assert schema_voor(S, "reminder", "1.0")["title"] != "veranderd"
    assert len({schema_voor(*k)["$id"] for k in TYPEN}) == len(TYPEN)


def test_bsn_alleen_in_de_schemas_van_de_bsn_varianten() -> None:
    for sleutel in TYPEN:
        tekst = str(schema_voor(*sleutel))
        assert ("'bsn'" in tekst) == (sleutel[1] in {"kennisgeving_bsn", "saldoverzoek_publiek"}), sleutel


def _validator(sleutel: tuple[str, str, str]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = schema_voor(*sleutel)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_schema_aanvaardt_het_voorbeeld(sleutel: tuple[str, str, str]) -> None:
    _validator(sleutel).validate(voorbeeld(*sleutel))


Bederf = Callable[[dict[str, Any]], None]


def _zet(pad: list[str | int], waarde: Any) -> Bederf:
    def bederf(data: dict[str, Any]) -> None:
        doel: Any = data
        for stap in pad[:-1]:
            doel = doel[stap]
        doel[pad[-1]] = waarde

    return bederf


@pytest.mark.parametrize(
    ("code", "bederf"),
    [
        ("saldoverzoek_antwoord", _zet(["vorderingen", 0, "rente"], -1)),
        ("saldoverzoek_antwoord", _zet(["vorderingen", 0, "rente"], 1.5)),
        ("saldoverzoek_antwoord", _zet(["totaalvordering"], {"actueelBedrag": 0, "standaardAkkoord": False})),
        ("saldoverzoek_antwoord", _zet(["betaalgegevens", "iban"], "NL91 ABNA 0417 1643 00")),
        ("kennisgeving", _zet(["klant", "bsn"], "999993653")),
        ("kennisgeving", _zet(["adres", "postcode"], "3511ab")),
        ("kennisgeving", _zet(["contactpersoonSHV"], {"naam": "A"})),
        ("kennisgeving", _zet(["contactpersoonSHV"], {"naam": "A", "telefoon": None, "email": None})),
        ("saldoverzoek_antwoord", _zet(["vorderingen"], None)),
        ("kennisgeving_bsn", _zet(["klant", "bsn"], "99999365")),
        ("kennisgeving_antwoord", _zet(["klantnummerSE"], None)),
        ("betaalvoorstel", _zet(["aanbodPercentage"], 101)),
        ("betaalvoorstel", _zet(["typeSchuldregeling"], "HF")),
        ("statusbericht", _zet(["status"], "onbekend")),
        ("schuldregeling_geaccordeerd", _zet(["datumAkkoord"], "15-04-2024")),
        ("reminder", _zet(["toelichtng"], "tikfout")),
    ],
)
def test_schema_en_model_weigeren_hetzelfde(code: str, bederf: Bederf) -> None:
    data = voorbeeld(S, code)
    if code == "kennisgeving_antwoord":
        data["factuurnummers"] = []
    bederf(data)
    _fout(code, data)
    assert list(_validator((S, code, "1.0")).iter_errors(data)), "het JSON Schema aanvaardt het"
