"""What the portal shows in every module (DESIGN §7 "For people at work": labels from the handbook,
amounts in euro, never internal codes or numbers a person cannot read), as an independent werkplek
tester found it wanting: the fund's amounts as bare cents, a maandaflossing typed in cents, "Klantnummer
BW", a hub notice that names a message type by its code and a participant by its OIN, "Fout bericht",
and check reasons with ISO dates in the upload."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from knooppunt.portaal import csvindeling, formulier, leesbaar
from knooppunt.portaal.weergave import berichttype_naam, melding_weergave, oins_in_melding
from knooppunt.protocol.modules.betalingsregeling.payloads import Termijnbedrag
from knooppunt.protocol.modules.waarborgfonds.payloads import PositiefBedrag
from knooppunt.protocol.payloads.register import PAYLOADS, veldnamen
from knooppunt.protocol.payloads.velden import Bedrag
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

_BEDRAGTYPEN = (Bedrag, PositiefBedrag, Termijnbedrag)


def _is_int(soort: Any) -> bool:
    return soort is int or any(_is_int(a) for a in typing.get_args(soort) if not isinstance(a, str | int))


def _is_bedrag(soort: Any) -> bool:
    if any(soort is b or soort == b for b in _BEDRAGTYPEN):
        return True
    return any(_is_bedrag(a) for a in typing.get_args(soort) if not isinstance(a, str | int))


def _gehele_velden() -> tuple[set[str], set[str]]:
    """(fields typed as an amount, every integer field) over all payload models of every module."""
    bedragen: set[str] = set()
    gehele: set[str] = set()
    gezien: set[Any] = set()

    def loop(model: type[BaseModel]) -> None:
        if model in gezien:
            return
        gezien.add(model)
        hints = typing.get_type_hints(model, include_extras=True)
        for naam in model.model_fields:
            soort = hints[naam]
            if _is_bedrag(soort):
                bedragen.add(naam)
            if _is_int(soort):
                gehele.add(naam)
            stapel = [soort]
            while stapel:
                s = stapel.pop()
                if isinstance(s, type) and issubclass(s, BaseModel):
                    loop(s)
                else:
                    stapel.extend(a for a in typing.get_args(s) if not isinstance(a, str | int | float))

    for model in PAYLOADS.values():
        loop(model)
    return bedragen, gehele


def test_elk_bedragveld_van_elke_module_is_een_bedrag() -> None:
    """docs/portaal.md: amounts in euro with a decimal comma. Every field typed as an amount in euro
    cents (``Bedrag``, the fund's ``PositiefBedrag``, a betalingsregeling's ``Termijnbedrag``) is in
    ``leesbaar.BEDRAGEN`` — shown as € 4.800,00 and typed in euro — and every integer field of every
    payload is an amount or a count (``formulier.GEHELE_GETALLEN``), never guessed from its name."""
    bedragen, gehele = _gehele_velden()
    assert {
        "brutoKredietsom",
        "nettoKredietsom",
        "maandaflossing",
        "uitstaandSaldo",
        "termijnbedrag",
    } <= bedragen
    assert bedragen <= leesbaar.BEDRAGEN, sorted(bedragen - leesbaar.BEDRAGEN)
    assert not leesbaar.BEDRAGEN & formulier.GEHELE_GETALLEN
    alle = set().union(*(veldnamen(m) for m in PAYLOADS.values()))
    assert alle >= leesbaar.BEDRAGEN
    niet_ingedeeld = {n for n in gehele if n not in leesbaar.BEDRAGEN | formulier.GEHELE_GETALLEN}
    assert niet_ingedeeld <= {"inhoud"}, sorted(niet_ingedeeld)  # inhoud: a PDF's base64, not an int
    for naam in leesbaar.BEDRAGEN:
        assert formulier.is_bedrag(naam)
    for naam in formulier.GEHELE_GETALLEN:
        assert not formulier.is_bedrag(naam)


def test_de_aanvraag_borgstelling_in_euro() -> None:
    """The fund saw "Bruto kredietsom 480000", "Maandaflossing 13334" (the readable copy and the
    message page); the kredietbank had to type the maandaflossing in cents."""
    payload = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0")
    regels = {r.label: r.waarde for r in leesbaar.regels(payload)}
    assert regels["Bruto kredietsom"] == "€ 4.800,00"
    assert regels["Netto kredietsom"] == "€ 4.500,00"
    assert regels["Maandaflossing"] == "€ 133,34"
    assert regels["Looptijd maanden"] == "36"
    overname = {
        r.label: r.waarde for r in leesbaar.regels(voorbeeld("waarborgfonds", "aanvraag_overname", "2.0"))
    }
    assert overname["Uitstaand saldo"].startswith("€ ")
    sj = formulier.sjabloon("waarborgfonds", "aanvraag_borgstelling", "2.0")
    maand = next(k for k in sj.kinderen if k.naam == "maandaflossing")
    assert maand.soort == "bedrag"
    assert formulier._scalair(maand, "133,34") == 13334
    assert formulier._scalair(maand, "133") == 13300


def test_bewind_schrijft_de_woorden_uit() -> None:
    """ "Klantnummer BW" and "Klantnummer SE volgens BW": the words written out, as the other modules
    do (``klantnummerSEVolgensSHV``)."""
    for naam in veldnamen(PAYLOADS[("bewind", "melding_bewind", "2.0")]):
        for tekst in (formulier.label(naam), leesbaar.label(naam)):
            assert " BW" not in tekst and " SE " not in tekst, tekst
    assert leesbaar.label("klantnummerBW") == "Klantnummer bewindvoerder"
    assert leesbaar.label("klantnummerSEVolgensBW") == "Klantnummer schuldeiser (volgens bewindvoerder)"
    assert formulier.label("klantnummerBW") == "Klantnummer bewindvoerder"


def test_een_melding_noemt_soorten_en_deelnemers_bij_naam() -> None:
    """A foutbericht said "Bericht bcfea3dd-… (melding_bewind) is niet binnen de bevestigingstermijn …
    verwijderd" and "Ontvanger 00000003505678950000"; the portal shows the type by its handbook name
    and the recipient by name, and writes *Foutbericht* as the handbook does (art. 17.1i). The notice
    itself (the API, the CSV) is not changed."""
    oin = "00000003505678950000"
    melding = {
        "code": "VERLOPEN",
        "omschrijving": (
            f"Bericht bcfea3dd-0000-4000-8000-000000000001 (melding_bewind) aan {oin} is verwijderd."
        ),
        "referentienummer": "bcfea3dd-0000-4000-8000-000000000001",
        "ontvanger": oin,
    }
    assert oins_in_melding(melding) == {oin}
    weergave = melding_weergave(melding, {oin: "Incasso Demostad"})
    assert weergave["omschrijving"] == (
        "Bericht bcfea3dd-0000-4000-8000-000000000001 (‘Melding bewind’) aan Incasso Demostad is verwijderd."
    )
    assert weergave["ontvanger"] == "Incasso Demostad"
    assert weergave["code"] == "VERLOPEN" and weergave["referentienummer"] == melding["referentienummer"]
    assert melding["ontvanger"] == oin  # the notice itself unchanged
    assert melding_weergave(melding, {})["ontvanger"] == oin  # no name known: the OIN stays
    assert berichttype_naam("foutbericht", "bewind", "2.0") == "Foutbericht (van knooppunt)"


def test_de_upload_schrijft_datums_in_een_reden_als_dd_mm_jjjj() -> None:
    """The hosted form shows a check's dates as dd-mm-jjjj (``formulier.nl_datums``); the CSV upload
    does so too (the werkplek's upload the same), except where a reason asks for the ISO form."""
    reden = "een pauze duurt hoogstens 8 maanden: einddatum (2027-09-07) mag niet na 2027-08-07 liggen"
    assert csvindeling.reden_bij_kolom(reden, "pauze.einddatum", "pauze.einddatum") == (
        "een pauze duurt hoogstens 8 maanden: einddatum (07-09-2027) mag niet na 07-08-2027 liggen"
    )
    iso = "moet een datum zijn in de vorm JJJJ-MM-DD (ISO 8601), bijvoorbeeld 2024-03-01"
    assert csvindeling.reden_bij_kolom(iso, "peildatum", "peildatum") == iso
