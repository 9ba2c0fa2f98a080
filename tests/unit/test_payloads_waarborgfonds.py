"""Payloads of module waarborgfonds (DESIGN §3b, SBN's data dictionary): the rules of every type with
Dutch errors that name the field, and JSON Schemas that refuse what the models refuse. That every
type has a model, a valid example and a well-formed schema is checked for all modules in
test_payloads.py."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from knooppunt.protocol.modules.waarborgfonds import typen
from knooppunt.protocol.payloads import OngeldigePayload, schema_voor, valideer
from knooppunt.protocol.payloads.velden import vandaag
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

W = "waarborgfonds"
V = "2.0"
AANVRAGEN = ["voorbeoordeling", "aanvraag_borgstelling", "aanvraag_overname"]


def _fout(code: str, data: Any) -> OngeldigePayload:
    with pytest.raises(OngeldigePayload) as info:
        valideer(W, code, V, data)
    return info.value


def _reden(fout: OngeldigePayload, veld: str) -> str:
    """The reason for ``veld``; fails when that field is not named."""
    redenen = {f.veld: f.reden for f in fout.fouten}
    assert veld in redenen, f"{veld} niet genoemd in {fout}"
    return redenen[veld]


def _morgen() -> str:
    return (vandaag() + timedelta(days=1)).isoformat()


def test_elk_type_heeft_een_model_en_een_geldig_voorbeeld() -> None:
    for code in typen.CODES:
        valideer(W, code, V, voorbeeld(W, code))


def test_de_voorbeelden_vertellen_een_verhaal() -> None:
    kenmerken = {voorbeeld(W, c)["kenmerk"] for c in typen.CODES if "kenmerk" in voorbeeld(W, c)}
    assert kenmerken == {"KB-2026-0042", "KB-2024-0917"}
    assert (
        voorbeeld(W, "kredietinformatie")["peildatum"]
        == voorbeeld(W, "verzoek_kredietinformatie")["peildatum"]
    )


# --- aanvragen ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", AANVRAGEN)
@pytest.mark.parametrize("waarde", ["0123", "351", "35110", "3511 AB", "35a1", "3511\n", 3511])
def test_postcodegebied_vier_cijfers(code: str, waarde: Any) -> None:
    data = voorbeeld(W, code)
    data["postcodeGebied"] = waarde
    _reden(_fout(code, data), "postcodeGebied")


@pytest.mark.parametrize("code", AANVRAGEN)
def test_looptijd_van_1_tot_60_maanden(code: str) -> None:
    data = voorbeeld(W, code)
    for goed in (1, 60):
        data["looptijdMaanden"] = goed
        valideer(W, code, V, data)
    data["looptijdMaanden"] = 0
    assert "minstens 1" in _reden(_fout(code, data), "looptijdMaanden")
    data["looptijdMaanden"] = 61
    assert "60" in _reden(_fout(code, data), "looptijdMaanden")
    for fout in ("36", 36.5, True):
        data["looptijdMaanden"] = fout
        _reden(_fout(code, data), "looptijdMaanden")
    data["looptijdMaanden"] = 36.0  # an integer for JSON Schema, so for the SDK too
    assert valideer(W, code, V, data).model_dump()["looptijdMaanden"] == 36


@pytest.mark.parametrize("waarde", [0, -1, 4800.5, "480000"])
def test_bruto_kredietsom_positief_in_centen(waarde: Any) -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    data["brutoKredietsom"] = waarde
    _reden(_fout("aanvraag_borgstelling", data), "brutoKredietsom")


@pytest.mark.parametrize("veld", ["nettoKredietsom", "maandaflossing"])
def test_niet_hoger_dan_de_bruto_kredietsom(veld: str) -> None:
    data = voorbeeld(W, "voorbeoordeling")
    data[veld] = data["brutoKredietsom"] + 1
    assert "brutoKredietsom" in _reden(_fout("voorbeoordeling", data), veld)
    data[veld] = data["brutoKredietsom"]
    valideer(W, "voorbeoordeling", V, data)


@pytest.mark.parametrize(
    ("veld", "waarde"),
    [
        ("soortLening", "XX"),
        ("soortLening", "sk"),
        ("borgstellingCategorie", "500"),
        ("borgstellingCategorie", 100),
    ],
)
def test_codelijsten(veld: str, waarde: Any) -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    data[veld] = waarde
    _reden(_fout("aanvraag_borgstelling", data), veld)


@pytest.mark.parametrize("soort", ["PL", "SK", "SL"])
@pytest.mark.parametrize("categorie", ["100", "200", "300", "400"])
def test_elke_soort_lening_en_categorie(soort: str, categorie: str) -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    data.update(soortLening=soort, borgstellingCategorie=categorie)
    valideer(W, "aanvraag_borgstelling", V, data)


def test_contact_bereikbaar() -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    data["contact"] = {"naam": "M. de Boer"}
    assert "telefoonnummer of e-mailadres" in _reden(_fout("aanvraag_borgstelling", data), "contact.telefoon")


def test_voorbeoordeling_zonder_statistieken_en_pro_forma() -> None:
    aanvraag = voorbeeld(W, "aanvraag_borgstelling")
    data = voorbeeld(W, "voorbeoordeling")
    data["statistieken"] = aanvraag["statistieken"]
    data["proFormaBorgstelling"] = aanvraag["proFormaBorgstelling"]
    fout = _fout("voorbeoordeling", data)
    assert set(fout.velden) == {"statistieken", "proFormaBorgstelling"}


def test_statistieken() -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    data["statistieken"] = []
    _reden(_fout("aanvraag_borgstelling", data), "statistieken")
    data["statistieken"] = [{"code": "Kredietdoel", "waarde": "A"}, {"code": "Kredietdoel", "waarde": "A"}]
    assert "meer dan eens" in _reden(_fout("aanvraag_borgstelling", data), "statistieken[1]")
    data["statistieken"] = [{"code": "Kredietdoel", "waarde": "A"}, {"code": "Kredietdoel", "waarde": "B"}]
    valideer(W, "aanvraag_borgstelling", V, data)
    data["statistieken"] = [{"code": "Leeftijd", "waarde": "35-44"}]
    _reden(_fout("aanvraag_borgstelling", data), "statistieken[0].code")
    del data["statistieken"]
    _reden(_fout("aanvraag_borgstelling", data), "statistieken")


@pytest.mark.parametrize(
    "waarde", ["3F6C2A1E-8B4D-4E7A-9C15-2D8E7F0A1B3C", "3f6c2a1e8b4d4e7a9c152d8e7f0a1b3c", "pro-forma-1", ""]
)
def test_pro_forma_borgstelling_is_een_uuid(waarde: str) -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    data["proFormaBorgstelling"] = waarde
    _reden(_fout("aanvraag_borgstelling", data), "proFormaBorgstelling")


def test_aanvraag_zonder_pro_forma() -> None:
    data = voorbeeld(W, "aanvraag_borgstelling")
    del data["proFormaBorgstelling"]
    valideer(W, "aanvraag_borgstelling", V, data)


def test_overname() -> None:
    data = voorbeeld(W, "aanvraag_overname")
    data["uitstaandSaldo"] = data["brutoKredietsom"] + 1
    assert "brutoKredietsom" in _reden(_fout("aanvraag_overname", data), "uitstaandSaldo")
    data = voorbeeld(W, "aanvraag_overname")
    data["datumUitbetaald"] = _morgen()
    assert "toekomst" in _reden(_fout("aanvraag_overname", data), "datumUitbetaald")
    for veld in ("uitstaandSaldo", "datumUitbetaald", "statistieken"):
        data = voorbeeld(W, "aanvraag_overname")
        del data[veld]
        _reden(_fout("aanvraag_overname", data), veld)


# --- beëindiging and uitbetaling ------------------------------------------------------------------------


def test_beeindiging() -> None:
    data = voorbeeld(W, "beeindiging_borgstelling")
    data["datumBeeindigd"] = _morgen()
    assert "toekomst" in _reden(_fout("beeindiging_borgstelling", data), "datumBeeindigd")
    data = voorbeeld(W, "beeindiging_borgstelling")
    data["reden"] = "kwijtgescholden"
    _reden(_fout("beeindiging_borgstelling", data), "reden")
    del data["reden"]
    valideer(W, "beeindiging_borgstelling", V, data)


@pytest.mark.parametrize(
    "reden", ["overleden", "verhuisd_onbekend_adres", "nieuwe_schulden", "herberekening"]
)
def test_verzoek_uitbetaling_redenen(reden: str) -> None:
    valideer(W, "verzoek_uitbetaling", V, {"kenmerk": "KB-2026-0042", "reden": reden})


def test_verzoek_uitbetaling_anders_met_toelichting() -> None:
    data = {"kenmerk": "KB-2026-0042", "reden": "anders"}
    assert "anders" in _reden(_fout("verzoek_uitbetaling", data), "toelichting")
    valideer(W, "verzoek_uitbetaling", V, {**data, "toelichting": "Schuldsanering (Wsnp) uitgesproken."})
    _reden(_fout("verzoek_uitbetaling", {**data, "reden": "failliet"}), "reden")


# --- gebeurtenis --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gebeurtenis", ["borgstelling_afgegeven", "aanvraag_in_behandeling", "beeindigd", "uitbetaald"]
)
def test_gebeurtenis_zonder_toelichting(gebeurtenis: str) -> None:
    valideer(W, "gebeurtenis", V, {"kenmerk": "KB-2026-0042", "gebeurtenis": gebeurtenis})


@pytest.mark.parametrize(
    "gebeurtenis", ["pro_forma_afgewezen", "aanvraag_afgewezen", "ingetrokken", "uitbetaalverzoek_afgewezen"]
)
def test_afwijzing_met_toelichting(gebeurtenis: str) -> None:
    data = {"kenmerk": "KB-2026-0042", "gebeurtenis": gebeurtenis}
    assert "verplicht" in _reden(_fout("gebeurtenis", data), "toelichting")
    valideer(W, "gebeurtenis", V, {**data, "toelichting": "Bruto kredietsom vanaf € 10.000."})


def test_pro_forma_afgegeven_met_id() -> None:
    data: dict[str, Any] = {"kenmerk": "KB-2026-0042", "gebeurtenis": "pro_forma_afgegeven"}
    _reden(_fout("gebeurtenis", data), "proFormaBorgstelling")
    data["proFormaBorgstelling"] = voorbeeld(W, "aanvraag_borgstelling")["proFormaBorgstelling"]
    valideer(W, "gebeurtenis", V, data)
    data["gebeurtenis"] = "borgstelling_afgegeven"
    assert "alleen" in _reden(_fout("gebeurtenis", data), "proFormaBorgstelling")


def test_onbekende_gebeurtenis() -> None:
    _reden(_fout("gebeurtenis", {"kenmerk": "K", "gebeurtenis": "geaccepteerd"}), "gebeurtenis")


# --- kredietinformatie ----------------------------------------------------------------------------------


def test_verzoek_kredietinformatie() -> None:
    valideer(W, "verzoek_kredietinformatie", V, {"peildatum": vandaag().isoformat()})
    _reden(_fout("verzoek_kredietinformatie", {"peildatum": _morgen()}), "peildatum")
    data = {"peildatum": "2026-10-01", "laatsteAanlevering": "2026-10-02"}
    assert "peildatum" in _reden(_fout("verzoek_kredietinformatie", data), "laatsteAanlevering")


def test_kredietinformatie_minstens_een_krediet_elk_eenmaal() -> None:
    data = voorbeeld(W, "kredietinformatie")
    data["kredieten"].append(copy.deepcopy(data["kredieten"][0]))
    assert "meer dan eens" in _reden(_fout("kredietinformatie", data), "kredieten[1].kenmerk")
    data["kredieten"] = []
    _reden(_fout("kredietinformatie", data), "kredieten")


def test_kredietinformatie_datums() -> None:
    data = voorbeeld(W, "kredietinformatie")
    data["kredieten"][0]["uitbetaaldatum"] = "2026-10-02"
    fout = _fout("kredietinformatie", data)
    assert "peildatum" in _reden(fout, "kredieten[0].uitbetaaldatum")
    data = voorbeeld(W, "kredietinformatie")
    data["kredieten"][0]["betalingen"]["laatsteAflosdatum"] = "2026-01-15"
    assert "uitbetaaldatum" in _reden(
        _fout("kredietinformatie", data), "kredieten[0].betalingen.laatsteAflosdatum"
    )
    del data["kredieten"][0]["betalingen"]["laatsteAflosdatum"]
    valideer(W, "kredietinformatie", V, data)


def test_kredietinformatie_bedragen_en_vlaggen() -> None:
    data = voorbeeld(W, "kredietinformatie")
    krediet = data["kredieten"][0]
    krediet["kredietsom"]["netto"] = krediet["kredietsom"]["bruto"] + 1
    krediet["achterstanden"]["boeterente"] = -1
    krediet["dubieus"] = "nee"
    krediet["betalingsregeling"] = 1
    fout = _fout("kredietinformatie", data)
    assert set(fout.velden) >= {
        "kredieten[0].achterstanden.boeterente",
        "kredieten[0].dubieus",
        "kredieten[0].betalingsregeling",
    }
    data = voorbeeld(W, "kredietinformatie")
    data["kredieten"][0]["kredietsom"]["netto"] = 480001
    assert "bruto" in _reden(_fout("kredietinformatie", data), "kredieten[0].kredietsom.netto")


# --- JSON Schema and model refuse the same ----------------------------------------------------------------


def _validator(code: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = schema_voor(W, code, V)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


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
        ("voorbeoordeling", _zet(["postcodeGebied"], "3511\n")),
        ("voorbeoordeling", _zet(["postcodeGebied"], "0351")),
        ("voorbeoordeling", _zet(["looptijdMaanden"], 61)),
        ("voorbeoordeling", _zet(["brutoKredietsom"], 0)),
        ("voorbeoordeling", _zet(["statistieken"], [])),
        ("aanvraag_borgstelling", _zet(["soortLening"], "XX")),
        ("aanvraag_borgstelling", _zet(["borgstellingCategorie"], 100)),
        ("aanvraag_borgstelling", _zet(["statistieken"], [])),
        ("aanvraag_borgstelling", _zet(["statistieken", 0, "code"], "Leeftijd")),
        ("aanvraag_borgstelling", _zet(["proFormaBorgstelling"], "3f6c2a1e-8b4d-4e7a-9c15-2d8e7f0a1b3c\n")),
        ("aanvraag_overname", _zet(["datumUitbetaald"], "03-06-2024")),
        ("verzoek_uitbetaling", _zet(["reden"], "failliet")),
        ("gebeurtenis", _zet(["gebeurtenis"], "geaccepteerd")),
        ("kredietinformatie", _zet(["kredieten"], [])),
        ("kredietinformatie", _zet(["kredieten", 0, "dubieus"], "nee")),
    ],
)
def test_schema_en_model_weigeren_hetzelfde(code: str, bederf: Bederf) -> None:
    data = voorbeeld(W, code)
    bederf(data)
    _fout(code, data)
    assert list(_validator(code).iter_errors(data)), "het JSON Schema aanvaardt het"


def test_schema_beschrijft_de_velden_met_de_bron() -> None:
    schema = schema_voor(W, "aanvraag_borgstelling", V)
    assert "SBN" in schema["properties"]["soortLening"]["description"]
    assert schema["properties"]["soortLening"]["enum"] == ["PL", "SK", "SL"]
    assert set(schema["required"]) >= {
        "kenmerk",
        "soortLening",
        "borgstellingCategorie",
        "postcodeGebied",
        "brutoKredietsom",
        "looptijdMaanden",
        "statistieken",
        "contact",
    }
