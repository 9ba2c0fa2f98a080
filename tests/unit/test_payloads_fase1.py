"""Payloads of the fase-1 modules (DESIGN §3b): ``saldoverzoek`` (Schuldinventarisatie), ``bewind``
(Meldingen bewindvoering) and ``pauzeknop`` (Landelijke pauzeknop). Every rule with a valid and an
invalid case, the Dutch reason checked at the field it names; each test is named after its source
(the module and the article or DESIGN rule)."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from knooppunt.client import jose
from knooppunt.config import Settings
from knooppunt.protocol.modules.pauzeknop.payloads import plus_maanden
from knooppunt.protocol.modules.saldoverzoek.payloads import grondslag_past_bij_rol
from knooppunt.protocol.payloads import OngeldigePayload, schema_voor, valideer
from knooppunt.protocol.payloads.velden import (
    PDF_MAX_BASE64,
    PDF_MAX_BYTES,
    pdf_document,
    vandaag,
    voorbeeld_pdf,
)
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.protocol.soorten import Rol
from tests.factories import Partij

V = "2.0"
SALDOVERZOEKEN = ["saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"]
GEEN_MEDEWERKING_CODES = [
    "klant_onbekend",
    "recente_finale_kwijting",
    "recente_poging_tot_stabilisatie",
    "geen_samenwerking_met_shv",
]


def _geldig(module: str, code: str, data: Any) -> None:
    valideer(module, code, V, data)
    _validator(module, code).validate(data)


def _fout(module: str, code: str, data: Any, *, schema: bool = True) -> OngeldigePayload:
    """The model refuses ``data``; so does the published JSON Schema unless ``schema`` is False (a
    rule JSON Schema cannot express, such as the elfproef or a date calculation)."""
    with pytest.raises(OngeldigePayload) as info:
        valideer(module, code, V, data)
    if schema:
        assert list(_validator(module, code).iter_errors(data)), "het JSON Schema aanvaardt het"
    return info.value


def _reden(fout: OngeldigePayload, veld: str) -> str:
    """The reason for ``veld``; fails when that field is not named."""
    redenen = {f.veld: f.reden for f in fout.fouten}
    assert veld in redenen, f"{veld} niet genoemd in {fout}"
    return redenen[veld]


def _validator(module: str, code: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = schema_voor(module, code, V)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _pdf_van(grootte: int) -> bytes:
    """A "PDF" of exactly ``grootte`` bytes: the header and filler (only the header is checked)."""
    return b"%PDF-1.7\n" + b"0" * (grootte - 9)


# --- saldoverzoek: the saldoverzoeken (5.1–5.5 without typeSchuldregeling, DESIGN §3b) ----------------


@pytest.mark.parametrize("code", SALDOVERZOEKEN)
def test_saldoverzoek_voorbeeld_geldig_en_zonder_type_schuldregeling(code: str) -> None:
    data = voorbeeld("saldoverzoek", code)
    _geldig("saldoverzoek", code, data)
    data["typeSchuldregeling"] = "SB"  # fase 1: there is no regeling yet
    assert "geen bekend veld" in _reden(_fout("saldoverzoek", code, data), "typeSchuldregeling")


@pytest.mark.parametrize("grondslag", ["wgs", "toestemmingsverklaring", "beschikking"])
def test_saldoverzoek_grondslag_wgs_toestemmingsverklaring_of_beschikking(grondslag: str) -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslag"] = grondslag
    _geldig("saldoverzoek", "saldoverzoek_zorg", data)
    data["grondslag"] = "machtiging"
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data), "grondslag")
    assert reden == "moet een van deze waarden zijn: 'wgs', 'toestemmingsverklaring' of 'beschikking'"
    del data["grondslag"]
    assert "verplicht" in _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data), "grondslag")


@pytest.mark.parametrize("code", SALDOVERZOEKEN)
@pytest.mark.parametrize("grondslag", ["toestemmingsverklaring", "beschikking"])
def test_saldoverzoek_grondslag_document_optioneel_bij_toestemmingsverklaring_en_beschikking(
    code: str, grondslag: str
) -> None:
    """DESIGN §3b: "with the signed document as an optional PDF of at most 1 MiB inside the
    payload": with the document, without it and with null, for the model and the JSON Schema."""
    data = voorbeeld("saldoverzoek", code)
    data["grondslag"] = grondslag
    data["grondslagDocument"] = pdf_document("getekend.pdf", voorbeeld_pdf("Getekend"))
    _geldig("saldoverzoek", code, data)
    del data["grondslagDocument"]
    _geldig("saldoverzoek", code, data)
    data["grondslagDocument"] = None
    _geldig("saldoverzoek", code, data)
    data["grondslagDocument"] = pdf_document("getekend.pdf", b"geen pdf")
    _reden(_fout("saldoverzoek", code, data, schema=False), "grondslagDocument.inhoud")


def test_saldoverzoek_grondslag_wgs_zonder_document() -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek")
    assert data["grondslag"] == "wgs" and "grondslagDocument" not in data
    _geldig("saldoverzoek", "saldoverzoek", data)
    data["grondslagDocument"] = pdf_document("aanmelding.pdf", voorbeeld_pdf("Aanmelding Wgs"))
    _geldig("saldoverzoek", "saldoverzoek", data)  # allowed, not required


@pytest.mark.parametrize(
    ("rol", "grondslag", "past"),
    [
        (Rol.BW, "beschikking", True),
        (Rol.BW, "wgs", False),
        (Rol.BW, "toestemmingsverklaring", False),
        (Rol.SHV, "wgs", True),
        (Rol.SHV, "toestemmingsverklaring", True),
        (Rol.SHV, "beschikking", False),
    ],
)
def test_saldoverzoek_grondslag_past_bij_de_rol_van_de_afzender(rol: Rol, grondslag: str, past: bool) -> None:
    """DESIGN §3b: a hulpverlener outside the Wgs sends a toestemmingsverklaring, a bewindvoerder the
    beschikking. The payload cannot know the sender's role; the SDK and the portal can."""
    reden = grondslag_past_bij_rol(rol, grondslag)
    assert (reden is None) == past
    if rol == Rol.BW and not past:
        assert reden is not None and "kies grondslag 'beschikking'" in reden
    if rol == Rol.SHV and not past:
        assert reden is not None and "'beschikking' is voor bewindvoerders" in reden


def test_saldoverzoek_grondslag_pdf_hoogstens_1_mib() -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslagDocument"] = pdf_document("groot.pdf", _pdf_van(PDF_MAX_BYTES))
    assert len(data["grondslagDocument"]["inhoud"]) == PDF_MAX_BASE64
    _geldig("saldoverzoek", "saldoverzoek_zorg", data)
    # One byte more has the same base64 length; the decoded size counts (and the schema's padding rule).
    data["grondslagDocument"] = pdf_document("te-groot.pdf", _pdf_van(PDF_MAX_BYTES + 1))
    assert len(data["grondslagDocument"]["inhoud"]) == PDF_MAX_BASE64
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data), "grondslagDocument.inhoud")
    assert reden == "het document is te groot: 1048577 bytes, hoogstens 1 MiB (1048576 bytes)"


def test_saldoverzoek_grondslag_pdf_te_groot_zonder_te_decoderen() -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslagDocument"]["inhoud"] = "A" * (PDF_MAX_BASE64 + 4)  # decoded: not even a PDF
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data), "grondslagDocument.inhoud")
    assert reden.startswith(
        "het document is te groot: hoogstens 1 MiB (1048576 bytes, in base64 1398104 tekens)"
    )


@pytest.mark.parametrize(
    "inhoud",
    [
        "JVBERi0xLjQK\nJVBERi0xLjQK",  # a line break (MIME style)
        "JVBERi0xLjQK JVBERi0xLjQK",
        "JVBERi0xLjQ",  # missing padding
        "JVBERi0x_LjQK",  # base64url alphabet
        "Dit is geen base64!",
    ],
)
def test_saldoverzoek_grondslag_pdf_is_base64(inhoud: str) -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslagDocument"]["inhoud"] = inhoud
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data, schema=False), "grondslagDocument.inhoud")
    assert reden.startswith("inhoud is geen geldige base64 (RFC 4648")


@pytest.mark.parametrize(
    "bestand",
    [b"\x89PNG\r\n\x1a\n" + b"0" * 20, b"PDF-1.4 zonder procent", b" %PDF-1.4", b"%PDF"],
)
def test_saldoverzoek_grondslag_pdf_begint_met_pdf_kop(bestand: bytes) -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslagDocument"]["inhoud"] = base64.b64encode(bestand).decode()
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data, schema=False), "grondslagDocument.inhoud")
    assert reden == "inhoud is geen PDF: een PDF-bestand begint met %PDF-"


def test_saldoverzoek_grondslag_pdf_mediatype_en_bestandsnaam() -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslagDocument"]["mediatype"] = "image/png"
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data), "grondslagDocument.mediatype")
    assert reden == "moet een van deze waarden zijn: 'application/pdf'"
    data = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    data["grondslagDocument"]["bestandsnaam"] = "C:\\Documenten\\toestemming.pdf"
    reden = _reden(
        _fout("saldoverzoek", "saldoverzoek_zorg", data, schema=False), "grondslagDocument.bestandsnaam"
    )
    assert "mag geen map bevatten" in reden
    del data["grondslagDocument"]["bestandsnaam"]
    _reden(_fout("saldoverzoek", "saldoverzoek_zorg", data), "grondslagDocument.bestandsnaam")


def test_saldoverzoek_publiek_met_bsn_5_4() -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_publiek")
    _geldig("saldoverzoek", "saldoverzoek_publiek", data)
    data["klant"]["bsn"] = "999993654"
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_publiek", data, schema=False), "klant.bsn")
    assert "elfproef" in reden
    del data["klant"]["bsn"]
    assert "verplicht" in _reden(_fout("saldoverzoek", "saldoverzoek_publiek", data), "klant.bsn")


@pytest.mark.parametrize("code", ["saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_zorg"])
def test_saldoverzoek_geen_bsn_buiten_publiek_5_4(code: str) -> None:
    data = voorbeeld("saldoverzoek", code)
    data["klant"]["bsn"] = "999993653"
    assert "saldoverzoek_publiek" in _reden(_fout("saldoverzoek", code, data), "klant.bsn")


def test_saldoverzoek_nuts_slimme_meter_akkoord_5_3() -> None:
    data = voorbeeld("saldoverzoek", "saldoverzoek_nuts")
    data["slimmeMeterAkkoord"] = False
    _geldig("saldoverzoek", "saldoverzoek_nuts", data)
    data["slimmeMeterAkkoord"] = "ja"
    assert "true of false" in _reden(_fout("saldoverzoek", "saldoverzoek_nuts", data), "slimmeMeterAkkoord")
    del data["slimmeMeterAkkoord"]
    assert "verplicht" in _reden(_fout("saldoverzoek", "saldoverzoek_nuts", data), "slimmeMeterAkkoord")


# --- saldoverzoek: the answer (6.1, 6.2; ongematchte schulden, DESIGN §3b) ----------------------------

_VORDERINGEN = [{"factuurnummerSE": "F-1", "schuldtype": "openstaand", "actueelBedrag": 1000}]
_TOTAAL = {"hoofdsom": 1000, "rente": 0, "kosten": 0, "incassokosten": 0, "actueelBedrag": 1000}
_OPENSTAAND = [{"actueelBedrag": 1000}]


def _antwoord(**vorm: Any) -> dict[str, Any]:
    data = voorbeeld("saldoverzoek", "saldoverzoek_antwoord")
    del data["openstaandeSchulden"]
    return {**data, **vorm}


@pytest.mark.parametrize(
    "vorm",
    [
        {"vorderingen": _VORDERINGEN},
        {"vorderingen": []},  # nihil: the client owes nothing
        {"totaalvordering": _TOTAAL},
        {"openstaandeSchulden": _OPENSTAAND},
    ],
    ids=["vorderingen", "nihil", "totaalvordering", "openstaandeSchulden"],
)
def test_saldoverzoek_antwoord_vorderingen_totaalvordering_of_openstaande_schulden(vorm: Any) -> None:
    _geldig("saldoverzoek", "saldoverzoek_antwoord", _antwoord(**vorm))


@pytest.mark.parametrize(
    "vorm",
    [
        {},
        {"vorderingen": None, "totaalvordering": None},
        {"vorderingen": _VORDERINGEN, "totaalvordering": _TOTAAL},
        {"vorderingen": _VORDERINGEN, "openstaandeSchulden": _OPENSTAAND},
        {"totaalvordering": _TOTAAL, "openstaandeSchulden": _OPENSTAAND},
    ],
    ids=["geen", "null", "vorderingen+totaal", "vorderingen+openstaand", "totaal+openstaand"],
)
def test_saldoverzoek_antwoord_precies_een_van_de_drie(vorm: Any) -> None:
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_antwoord", _antwoord(**vorm)), "vorderingen")
    assert reden.startswith(
        "geef precies één van vorderingen (gematcht, per factuur), totaalvordering of "
        "openstaandeSchulden (ongematchte schulden)"
    )


def test_saldoverzoek_antwoord_openstaande_schulden_niet_leeg() -> None:
    data = _antwoord(openstaandeSchulden=[])
    reden = _reden(_fout("saldoverzoek", "saldoverzoek_antwoord", data), "openstaandeSchulden")
    assert reden == "moet minstens 1 element bevatten"


def test_saldoverzoek_antwoord_openstaande_schuld_met_bedrag() -> None:
    data = _antwoord(openstaandeSchulden=[{"omschrijving": "Zonder bedrag"}])
    fout = _fout("saldoverzoek", "saldoverzoek_antwoord", data)
    assert "verplicht" in _reden(fout, "openstaandeSchulden[0].actueelBedrag")
    data = _antwoord(openstaandeSchulden=[{"actueelBedrag": -5}])
    fout = _fout("saldoverzoek", "saldoverzoek_antwoord", data)
    assert "negatief" in _reden(fout, "openstaandeSchulden[0].actueelBedrag")


def test_saldoverzoek_antwoord_totaalvordering_zonder_standaard_akkoord() -> None:
    """No betaalvoorstel in this module (DESIGN §3b), so no standaard akkoord (6.3, 7.1) either."""
    data = _antwoord(totaalvordering={**_TOTAAL, "standaardAkkoord": False})
    fout = _fout("saldoverzoek", "saldoverzoek_antwoord", data)
    assert "geen bekend veld" in _reden(fout, "totaalvordering.standaardAkkoord")


def test_saldoverzoek_antwoord_totaalvordering_is_som_van_onderdelen_6_2() -> None:
    data = _antwoord(totaalvordering={**_TOTAAL, "rente": 1})
    fout = _fout("saldoverzoek", "saldoverzoek_antwoord", data, schema=False)
    assert "hoofdsom + rente + kosten + incassokosten" in _reden(fout, "totaalvordering.actueelBedrag")


def test_saldoverzoek_antwoord_geen_dubbele_factuurnummers() -> None:
    data = _antwoord(vorderingen=_VORDERINGEN * 2)
    fout = _fout("saldoverzoek", "saldoverzoek_antwoord", data, schema=False)
    assert _reden(fout, "vorderingen[1]") == "'F-1' staat meer dan eens in vorderingen"


def test_saldoverzoek_reminder_15_1() -> None:
    _geldig("saldoverzoek", "reminder", {"klantnummerSHV": "SHV-1"})
    fout = _fout("saldoverzoek", "reminder", {"klantnummerSHV": "SHV-1", "toelichtng": "tikfout"})
    assert "bedoelt u toelichting?" in _reden(fout, "toelichtng")


# --- geen_medewerking in every fase-1 module (afsprakenstelsel 2.0, replacing 8.1) ---------------------

_KLANTNUMMER = {"saldoverzoek": "klantnummerSHV", "bewind": "klantnummerBW", "pauzeknop": "klantnummerSHV"}


@pytest.mark.parametrize("module", sorted(_KLANTNUMMER))
@pytest.mark.parametrize("code", GEEN_MEDEWERKING_CODES)
def test_geen_medewerking_reden_met_een_van_vier_codes(module: str, code: str) -> None:
    data = voorbeeld(module, "geen_medewerking")
    data["reden"]["code"] = code
    _geldig(module, "geen_medewerking", data)


@pytest.mark.parametrize("module", sorted(_KLANTNUMMER))
def test_geen_medewerking_reden_verplicht(module: str) -> None:
    data = voorbeeld(module, "geen_medewerking")
    assert _KLANTNUMMER[module] in data
    data["reden"]["code"] = "GEEN_MATCH"
    assert _reden(_fout(module, "geen_medewerking", data), "reden.code") == (
        "moet een van deze waarden zijn: 'klant_onbekend', 'recente_finale_kwijting', "
        "'recente_poging_tot_stabilisatie' of 'geen_samenwerking_met_shv'"
    )
    data["reden"] = {"code": "klant_onbekend"}
    assert "verplicht" in _reden(_fout(module, "geen_medewerking", data), "reden.tekst")
    del data["reden"]
    assert _reden(_fout(module, "geen_medewerking", data), "reden") == "is verplicht maar ontbreekt"


# --- bewind (own design; DESIGN §3b) -------------------------------------------------------------------


@pytest.mark.parametrize("soort", ["beschermingsbewind", "wsnp"])
def test_bewind_melding_soort_beschermingsbewind_of_wsnp(soort: str) -> None:
    data = voorbeeld("bewind", "melding_bewind")
    data["soort"] = soort
    _geldig("bewind", "melding_bewind", data)
    data["soort"] = "mentorschap"
    reden = _reden(_fout("bewind", "melding_bewind", data), "soort")
    assert reden == "moet een van deze waarden zijn: 'beschermingsbewind' of 'wsnp'"


@pytest.mark.parametrize("veld", ["soort", "ingangsdatum", "beschikking", "klant", "adres", "bewindvoerder"])
def test_bewind_melding_verplichte_velden(veld: str) -> None:
    data = voorbeeld("bewind", "melding_bewind")
    del data[veld]
    assert _reden(_fout("bewind", "melding_bewind", data), veld) == "is verplicht maar ontbreekt"


def test_bewind_beschikking_datum_rechtbank_zaaknummer() -> None:
    data = voorbeeld("bewind", "melding_bewind")
    for veld in ("datum", "rechtbank", "zaaknummer"):
        kopie = voorbeeld("bewind", "melding_bewind")
        del kopie["beschikking"][veld]
        assert "verplicht" in _reden(_fout("bewind", "melding_bewind", kopie), f"beschikking.{veld}")
    data["beschikking"]["rechtbank"] = "Utrecht"  # a location, not one of the eleven rechtbanken
    reden = _reden(_fout("bewind", "melding_bewind", data), "beschikking.rechtbank")
    assert "'Midden-Nederland'" in reden
    data = voorbeeld("bewind", "melding_bewind")
    data["beschikking"]["datum"] = (vandaag() + timedelta(days=1)).isoformat()
    reden = _reden(_fout("bewind", "melding_bewind", data, schema=False), "beschikking.datum")
    assert "ligt in de toekomst" in reden


def test_bewind_beschikking_pdf_optioneel_hoogstens_1_mib() -> None:
    data = voorbeeld("bewind", "melding_bewind")
    del data["beschikking"]["document"]
    _geldig("bewind", "melding_bewind", data)
    data["beschikking"]["document"] = pdf_document("beschikking.pdf", _pdf_van(PDF_MAX_BYTES))
    _geldig("bewind", "melding_bewind", data)
    data["beschikking"]["document"] = pdf_document("beschikking.pdf", _pdf_van(PDF_MAX_BYTES + 1))
    reden = _reden(_fout("bewind", "melding_bewind", data), "beschikking.document.inhoud")
    assert reden == "het document is te groot: 1048577 bytes, hoogstens 1 MiB (1048576 bytes)"
    data["beschikking"]["document"] = pdf_document("beschikking.docx", b"PK\x03\x04 een Word-bestand")
    reden = _reden(_fout("bewind", "melding_bewind", data, schema=False), "beschikking.document.inhoud")
    assert "geen PDF" in reden


def test_bewind_melding_met_pdf_van_1_mib_past_binnen_de_inhoudslimiet(pki: dict[str, Partij]) -> None:
    """DESIGN §4: ``inhoud`` at most 4 MiB by default, so that a payload may carry a 1 MiB PDF —
    after base64, signing and encryption (each adding a third) it still fits."""
    afzender, ontvanger = pki["kredietbank"], pki["energie"]  # RSA, the larger headers
    data = voorbeeld("bewind", "melding_bewind")
    data["beschikking"]["document"] = pdf_document("beschikking.pdf", _pdf_van(PDF_MAX_BYTES))
    payload = valideer("bewind", "melding_bewind", V, data).model_dump(mode="json", exclude_none=True)
    inhoud = jose.verzegel(
        payload,
        metadata={
            "referentienummer": str(uuid.uuid4()),
            "conversatieReferentienummer": str(uuid.uuid4()),
            "crossReferentienummer": None,
            "module": "bewind",
            "berichttype": "melding_bewind",
            "versie": V,
            "afzender": afzender.oin,
            "ontvanger": ontvanger.oin,
        },
        iat=int(time.time()),
        afzender_sleutel=afzender.sleutel,
        afzender_certificaat=afzender.certificaat,
        ontvanger_certificaat=ontvanger.certificaat,
    )
    limiet = Settings.model_fields["max_inhoud_bytes"].default
    assert 2 * PDF_MAX_BYTES < len(inhoud.encode()) <= limiet


@pytest.mark.parametrize(
    ("iban", "tekst"),
    [("NL20INGB0001234568", "mod-97"), ("NL20 INGB 0001 2345 67", "zonder spaties")],
)
def test_bewind_beheerrekening_iban_mod_97(iban: str, tekst: str) -> None:
    data = voorbeeld("bewind", "melding_bewind")
    _geldig("bewind", "melding_bewind", data)
    data["beheerrekening"] = iban
    assert tekst in _reden(_fout("bewind", "melding_bewind", data, schema=False), "beheerrekening")


def test_bewind_melding_zonder_bsn() -> None:
    """DESIGN §3: a BSN only in the ``*_bsn``/publiek variants; melding_bewind goes to every creditor."""
    data = voorbeeld("bewind", "melding_bewind")
    data["klant"]["bsn"] = "999993653"
    assert "bsn mag niet in dit bericht" in _reden(_fout("bewind", "melding_bewind", data), "klant.bsn")


def test_bewind_melding_bewind_antwoord_klantnummer_en_factuurnummers() -> None:
    data = voorbeeld("bewind", "melding_bewind_antwoord")
    _geldig("bewind", "melding_bewind_antwoord", {**data, "vorderingen": []})  # owes nothing here
    data["vorderingen"].append({"factuurnummerSE": "F-2023-55101"})
    fout = _fout("bewind", "melding_bewind_antwoord", data, schema=False)
    assert _reden(fout, "vorderingen[2]") == "'F-2023-55101' staat meer dan eens in vorderingen"
    for veld in ("klantnummerSE", "vorderingen", "contactpersoonSE"):
        kopie = voorbeeld("bewind", "melding_bewind_antwoord")
        del kopie[veld]
        assert "verplicht" in _reden(_fout("bewind", "melding_bewind_antwoord", kopie), veld)
    kopie = voorbeeld("bewind", "melding_bewind_antwoord")
    del kopie["vorderingen"][0]["factuurnummerSE"]
    _reden(_fout("bewind", "melding_bewind_antwoord", kopie), "vorderingen[0].factuurnummerSE")


@pytest.mark.parametrize("veld", ["einddatum", "reden"])
def test_bewind_einde_bewind_einddatum_en_reden(veld: str) -> None:
    data = voorbeeld("bewind", "einde_bewind")
    _geldig("bewind", "einde_bewind", data)
    del data[veld]
    assert "verplicht" in _reden(_fout("bewind", "einde_bewind", data), veld)


# --- pauzeknop: the kennisgeving with a pause (3.1, 3.2; pauze fields own design) -----------------------


@pytest.mark.parametrize("code", ["kennisgeving", "kennisgeving_bsn"])
def test_pauzeknop_kennisgeving_met_verplichte_pauze(code: str) -> None:
    data = voorbeeld("pauzeknop", code)
    _geldig("pauzeknop", code, data)
    del data["pauze"]
    assert _reden(_fout("pauzeknop", code, data), "pauze") == "is verplicht maar ontbreekt"


@pytest.mark.parametrize("fase", ["aanmelding", "toelating"])
def test_pauzeknop_fase_aanmelding_of_toelating(fase: str) -> None:
    data = voorbeeld("pauzeknop", "kennisgeving")
    data["pauze"]["fase"] = fase
    _geldig("pauzeknop", "kennisgeving", data)
    data["pauze"]["fase"] = "fase1"
    reden = _reden(_fout("pauzeknop", "kennisgeving", data), "pauze.fase")
    assert reden == "moet een van deze waarden zijn: 'aanmelding' of 'toelating'"


@pytest.mark.parametrize(
    ("ingang", "uiterlijk"),
    [
        ("2024-03-01", "2024-11-01"),
        ("2024-06-30", "2025-02-28"),  # no 30 February: the last day of that month
        ("2023-06-30", "2024-02-29"),  # a leap year
        ("2024-05-15", "2025-01-15"),  # over the turn of the year
    ],
)
def test_pauzeknop_einddatum_hoogstens_8_maanden(ingang: str, uiterlijk: str) -> None:
    data = voorbeeld("pauzeknop", "kennisgeving")
    data["pauze"].update(ingangsdatum=ingang, einddatum=uiterlijk)
    _geldig("pauzeknop", "kennisgeving", data)
    een_dag_later = (date.fromisoformat(uiterlijk) + timedelta(days=1)).isoformat()
    data["pauze"]["einddatum"] = een_dag_later
    reden = _reden(_fout("pauzeknop", "kennisgeving", data, schema=False), "pauze.einddatum")
    assert reden == (
        f"een pauze duurt hoogstens 8 maanden: einddatum ({een_dag_later}) mag niet na {uiterlijk} liggen"
    )


@pytest.mark.parametrize("einddatum", ["2024-03-01", "2024-02-29"])
def test_pauzeknop_einddatum_na_ingangsdatum(einddatum: str) -> None:
    data = voorbeeld("pauzeknop", "kennisgeving_bsn")
    data["pauze"].update(ingangsdatum="2024-03-01", einddatum=einddatum)
    reden = _reden(_fout("pauzeknop", "kennisgeving_bsn", data, schema=False), "pauze.einddatum")
    assert reden == f"einddatum ({einddatum}) moet na ingangsdatum (2024-03-01) liggen"
    data["pauze"]["einddatum"] = "2024-03-02"  # one day is a (short) pause
    _geldig("pauzeknop", "kennisgeving_bsn", data)


def test_pauzeknop_plus_maanden() -> None:
    assert plus_maanden(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert plus_maanden(date(2024, 12, 31), 8) == date(2025, 8, 31)
    assert plus_maanden(date(2024, 4, 30), 8) == date(2024, 12, 30)


def test_pauzeknop_kennisgeving_bsn_alleen_in_de_bsn_variant_3_2() -> None:
    data = voorbeeld("pauzeknop", "kennisgeving_bsn")
    del data["klant"]["bsn"]
    assert "verplicht" in _reden(_fout("pauzeknop", "kennisgeving_bsn", data), "klant.bsn")
    data = voorbeeld("pauzeknop", "kennisgeving")
    data["klant"]["bsn"] = "999993653"
    assert "kennisgeving_bsn" in _reden(_fout("pauzeknop", "kennisgeving", data), "klant.bsn")


# --- pauzeknop: the answer (4.1; pauze fields own design) ----------------------------------------------


def test_pauzeknop_antwoord_akkoord_met_incasso_opgeschort_tot() -> None:
    data = voorbeeld("pauzeknop", "kennisgeving_antwoord")
    _geldig("pauzeknop", "kennisgeving_antwoord", data)
    del data["pauze"]["incassoOpgeschortTot"]
    reden = _reden(_fout("pauzeknop", "kennisgeving_antwoord", data), "pauze.incassoOpgeschortTot")
    assert reden == "incassoOpgeschortTot is verplicht bij akkoord: tot wanneer is de incasso opgeschort?"


def test_pauzeknop_antwoord_reden_verplicht_zonder_akkoord() -> None:
    data = voorbeeld("pauzeknop", "kennisgeving_antwoord")
    data["pauze"] = {"akkoord": False}
    reden = _reden(_fout("pauzeknop", "kennisgeving_antwoord", data), "pauze.reden")
    assert reden == "reden is verplicht als de schuldeiser niet akkoord gaat met de pauze"
    data["pauze"]["reden"] = {"code": "LOPENDE_BESLAGLEGGING", "tekst": "Er loopt al een beslag."}
    _geldig("pauzeknop", "kennisgeving_antwoord", data)
    data["pauze"]["incassoOpgeschortTot"] = "2024-06-30"  # a shorter suspension, with its reason
    _geldig("pauzeknop", "kennisgeving_antwoord", data)


def test_pauzeknop_antwoord_akkoord_is_true_of_false() -> None:
    data = voorbeeld("pauzeknop", "kennisgeving_antwoord")
    data["pauze"]["akkoord"] = "ja"
    assert "true of false" in _reden(_fout("pauzeknop", "kennisgeving_antwoord", data), "pauze.akkoord")
    del data["pauze"]
    assert "verplicht" in _reden(_fout("pauzeknop", "kennisgeving_antwoord", data), "pauze")


def test_pauzeknop_antwoord_klantnummer_of_factuurnummers_4_1() -> None:
    data = voorbeeld("pauzeknop", "kennisgeving_antwoord")
    del data["klantnummerSE"]
    _geldig("pauzeknop", "kennisgeving_antwoord", data)  # the invoice numbers suffice
    data["factuurnummers"] = []
    reden = _reden(_fout("pauzeknop", "kennisgeving_antwoord", data), "klantnummerSE")
    assert "(4.1)" in reden


@pytest.mark.parametrize("veld", ["einddatum", "reden"])
def test_pauzeknop_pauze_beeindigd_einddatum_en_reden(veld: str) -> None:
    data = voorbeeld("pauzeknop", "pauze_beeindigd")
    _geldig("pauzeknop", "pauze_beeindigd", data)
    del data[veld]
    assert "verplicht" in _reden(_fout("pauzeknop", "pauze_beeindigd", data), veld)


# --- the published schemas say what is own design --------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "code"),
    [
        ("saldoverzoek", "saldoverzoek"),
        ("saldoverzoek", "saldoverzoek_antwoord"),
        ("bewind", "melding_bewind"),
        ("bewind", "melding_bewind_antwoord"),
        ("bewind", "einde_bewind"),
        ("pauzeknop", "kennisgeving"),
        ("pauzeknop", "kennisgeving_antwoord"),
        ("pauzeknop", "pauze_beeindigd"),
    ],
)
def test_fase1_schemas_noemen_eigen_ontwerp(module: str, code: str) -> None:
    """DESIGN §3b: our own designs for what has no public specification are marked as such."""
    assert "Our design choice" in str(schema_voor(module, code, V))
