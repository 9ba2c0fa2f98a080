"""Every demo creditor answers with its own data (``voorbeeldschuldeisers``): not the examples'
energy company's klantnummer, contact, IBAN name or invoices, and an invoice number "volgens SHV"
only where the question gave one (art. 6.1: the creditor answers about what the counsellor asked)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from knooppunt.cli.demo import PARTIJEN
from knooppunt.portaal.browserdemo import PORTAALDEELNEMERS, TEGENPARTIJEN
from knooppunt.portaal.demo import DEELNEMERS
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import VOORBEELDEN, voorbeeld
from knooppunt.protocol.payloads.voorbeeldschuldeisers import Voorbeeldschuldeiser, eigen_gegevens

DEMOS: dict[str, Sequence[Voorbeeldschuldeiser]] = {
    "portaal demo": [d.schuldeiser for d in DEELNEMERS if d.schuldeiser is not None],
    "portaal demo --browsersleutels": [
        s for s in (*(d.schuldeiser for d in PORTAALDEELNEMERS), *(t.schuldeiser for t in TEGENPARTIJEN)) if s
    ],
    "knooppunt demo": [p.schuldeiser for p in PARTIJEN if p.schuldeiser is not None],
}
SCHULDEISERS = [s for profielen in DEMOS.values() for s in profielen]
VAN_HET_VOORBEELD = ("EN-778812", "@energie.example.nl", "Energie Voorbeeld", "F-2023-55101", "F-2022-31877")
"""The examples' energy company: only `knooppunt demo`'s own energy company may sound like it."""


def test_every_demo_creditor_has_its_own_data() -> None:
    rollen = {d.sleutel: d.rol for d in DEELNEMERS} | {p.sleutel: p.rol for p in PARTIJEN}
    assert all((d.schuldeiser is not None) == (d.rol == "SE") for d in DEELNEMERS), rollen
    assert all((p.schuldeiser is not None) == (p.rol == "SE") for p in PARTIJEN), rollen
    assert [t.sleutel for t in TEGENPARTIJEN if t.schuldeiser is not None] == ["nuts"]
    for demo, profielen in DEMOS.items():
        for veld in ("naam", "afkorting", "email", "iban"):
            waarden = [getattr(p, veld) for p in profielen]
            assert len(set(waarden)) == len(waarden), f"{demo}: two creditors share a {veld}"


@pytest.mark.parametrize("sleutel", sorted(VOORBEELDEN), ids="/".join)
def test_every_example_stays_valid_with_every_creditors_own_data(sleutel: tuple[str, str, str]) -> None:
    module, code, versie = sleutel
    vraag = eigen_gegevens(voorbeeld(module, code, versie), SCHULDEISERS[0])
    for schuldeiser in SCHULDEISERS:
        valideer(module, code, versie, eigen_gegevens(voorbeeld(module, code, versie), schuldeiser))
        valideer(
            module, code, versie, eigen_gegevens(voorbeeld(module, code, versie), schuldeiser, vraag=vraag)
        )


@pytest.mark.parametrize("sleutel", sorted(VOORBEELDEN), ids="/".join)
def test_no_demo_creditor_speaks_for_the_examples_energy_company(sleutel: tuple[str, str, str]) -> None:
    energie = next(p.schuldeiser for p in PARTIJEN if p.sleutel == "energie")
    for schuldeiser in SCHULDEISERS:
        if schuldeiser == energie:
            continue
        eigen = eigen_gegevens(voorbeeld(*sleutel), schuldeiser)
        # A betaalvoorstel lists the other creditors too: the examples' energy company may be one.
        if "vorderingen" in eigen:
            eigen["vorderingen"] = [v for v in eigen["vorderingen"] if v.get("eigenVordering") is not False]
        tekst = json.dumps(eigen, ensure_ascii=False)
        assert not [w for w in VAN_HET_VOORBEELD if w in tekst], (schuldeiser.naam, tekst)


def _belastingdienst() -> Voorbeeldschuldeiser:
    schuldeiser = next(p.schuldeiser for p in PARTIJEN if p.naam == "Belastingdienst")
    assert schuldeiser is not None
    return schuldeiser


def test_an_answer_is_the_creditors_own_and_echoes_only_what_the_question_gave() -> None:
    nuts = next(t.schuldeiser for t in TEGENPARTIJEN if t.sleutel == "nuts")
    assert nuts is not None
    # The counsellor left the creditor's numbers empty (the browser demo's compose form).
    vraag = {**voorbeeld("schuldregeling", "saldoverzoek", "1.0"), "klantnummerSHV": "SHV-2026-0201"}
    del vraag["klantnummerSEVolgensSHV"]
    vraag["vorderingen"] = []
    antwoord = eigen_gegevens(voorbeeld("schuldregeling", "saldoverzoek_antwoord", "1.0"), nuts, vraag=vraag)
    assert antwoord["klantnummerSHV"] == "SHV-2026-0201"
    assert antwoord["klantnummerSE"] == nuts.klantnummer("SHV-2026-0201")
    assert antwoord["klantnummerSE"].startswith("NU-")
    assert antwoord["contactpersoonSE"] == {"naam": "Team Schulden", "email": nuts.email}
    assert antwoord["betaalgegevens"] == {
        "iban": nuts.iban,
        "tenNaamVan": "Demo Nuts B.V.",
        "betalingskenmerk": antwoord["klantnummerSE"],
    }
    assert not [v for v in antwoord["vorderingen"] if "factuurnummerSEVolgensSHV" in v]
    assert [v["factuurnummerSE"][:3] for v in antwoord["vorderingen"]] == ["NU-", "NU-"]
    assert antwoord["vorderingen"][0]["omschrijving"] == "Jaarafrekening gas en stroom 2023"
    valideer("schuldregeling", "saldoverzoek_antwoord", "1.0", antwoord)

    # The counsellor gave the creditor's number and an invoice: the answer echoes them.
    vraag |= {"klantnummerSEVolgensSHV": "K-42", "vorderingen": [{"factuurnummerSEVolgensSHV": "NUTS-9"}]}
    antwoord = eigen_gegevens(voorbeeld("schuldregeling", "saldoverzoek_antwoord", "1.0"), nuts, vraag=vraag)
    assert antwoord["klantnummerSE"] == antwoord["betaalgegevens"]["betalingskenmerk"] == "K-42"
    eerste, tweede = antwoord["vorderingen"]
    assert eerste["factuurnummerSEVolgensSHV"] == eerste["factuurnummerSE"] == "NUTS-9"
    assert "factuurnummerSEVolgensSHV" not in tweede


def test_knooppunt_demo_belastingdienst_answers_a_kennisgeving_with_its_own_klantnummer() -> None:
    from knooppunt.cli.demo import samenvatting

    belasting = _belastingdienst()
    vraag = eigen_gegevens(voorbeeld("schuldregeling", "kennisgeving_bsn", "1.0"), belasting)
    assert vraag["klantnummerSEVolgensSHV"] == belasting.klantnummer("SHV-2024-0042")
    antwoord = eigen_gegevens(
        voorbeeld("schuldregeling", "kennisgeving_antwoord", "1.0"), belasting, vraag=vraag
    )
    gelezen = samenvatting("kennisgeving_antwoord", antwoord)
    assert gelezen == f"klantnummer bij SE {vraag['klantnummerSEVolgensSHV']}"
    assert gelezen.startswith("klantnummer bij SE BD-")
    assert all(f.startswith("BD-") for f in antwoord["factuurnummers"])


def test_a_betaalvoorstel_names_the_recipient_as_its_own_creditor_once() -> None:
    belasting = _belastingdienst()
    voorstel = eigen_gegevens(voorbeeld("schuldregeling", "betaalvoorstel", "1.0"), belasting)
    namen = [(v["eigenVordering"], v["schuldeiser"]) for v in voorstel["vorderingen"]]
    assert namen == [
        (True, "Belastingdienst"),
        (False, "Zorgverzekeraar Voorbeeld"),
        (False, "Energie Voorbeeld B.V."),
    ]
