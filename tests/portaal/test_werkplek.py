"""For people at work (DESIGN §7, issue #14 item 4): clients by name and klantnummer instead of
UUIDs, the handbook's names instead of internal codes, correct Dutch (singular/plural, decimal
commas), one name for Excel's CSV UTF-8, inputs that look alike, what an upload confirmed along the
way, and demo clients with names."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from knooppunt.portaal import export, formulier, weergave
from knooppunt.portaal.csvformaat import EXCEL_CSV
from knooppunt.portaal.demo import KLANTEN
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.runtime import Runtime
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import demo_conversatie
from tests.portaal.test_upload import als_csv, saldo, saldoverzoeken, upload  # noqa: F401

ROOT = Path(__file__).parents[2]
PORTAAL = ROOT / "src" / "knooppunt" / "portaal"


def _zichtbaar(pagina: str) -> str:
    """The text a user reads: without <code> (numbers and column names shown as such), tags, or
    the page's <head>."""
    lichaam = pagina.split("<body>", 1)[-1]
    lichaam = re.sub(r"<code>.*?</code>", " ", lichaam, flags=re.S)
    lichaam = re.sub(r"<[^>]+>", " ", lichaam)
    return html.unescape(lichaam)


def _totaal(rij: dict[str, str]) -> dict[str, str]:
    return saldo(rij, **{"antwoord.totaal.actueelBedrag": "100"})


# --- 3. correct Dutch --------------------------------------------------------------------------------


def test_meervoud_en_grootte() -> None:
    assert weergave.meervoud(1, "rij", "rijen") == "1 rij"
    assert weergave.meervoud(2, "rij", "rijen") == "2 rijen"
    assert weergave.meervoud(0, "rij", "rijen") == "0 rijen"
    assert weergave.meervoud(1, "Er is {n} nieuw bericht", "Er zijn {n} nieuwe berichten") == (
        "Er is 1 nieuw bericht"
    )
    assert weergave.meervoud(3, "Er is {n} nieuw bericht", "Er zijn {n} nieuwe berichten") == (
        "Er zijn 3 nieuwe berichten"
    )
    assert weergave.grootte(5 * 1024 * 1024) == "5,0 MB"
    assert weergave.grootte(int(1.5 * 1024 * 1024)) == "1,5 MB"
    assert weergave.grootte(2048) == "2 kB"
    assert weergave.grootte(1) == "1 byte"
    assert weergave.bedrag(123456) == "€ 1.234,56"


def test_een_nieuw_bericht_in_het_enkelvoud(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    inloggen(portaal, "gemeente")
    gemeente = Gastclient(rt, kluis, oin_van("gemeente"), wie="test")
    berichten, _, _ = gemeente.open_berichten()
    nieuw = [b.referentienummer for b in berichten if b.status == "aangeboden"]
    assert len(nieuw) > 1  # the answers of client 1 and the hub's receipts
    assert f"Er zijn {len(nieuw)} nieuwe berichten." in portaal.get("/portaal/").text
    gemeente.bevestig(nieuw[1:])
    pagina = portaal.get("/portaal/").text.split("<main")[1]  # (the menu's counter is base.html's)
    assert "Er is 1 nieuw bericht." in pagina
    assert "1 nieuwe bericht" not in pagina and "1 onbevestigde berichten" not in pagina


def test_geen_zelfgemaakte_meervouden_meer_in_de_sjablonen() -> None:
    """One helper for singular/plural: no template builds a plural from pieces any more."""
    gevonden = []
    for sjabloon in PORTAAL.glob("templates/**/*.html"):
        if "beheer" in sjabloon.parts or sjabloon.name == "base.html":
            continue  # not this part of the portal
        tekst = sjabloon.read_text()
        for patroon in (r"\{\{ '' if [^}]+ == 1 else 'en' \}\}", r"\{\{ 'is' if [^}]+ == 1 else 'zijn' \}\}"):
            gevonden += [f"{sjabloon.name}: {m}" for m in re.findall(patroon, tekst)]
    assert gevonden == []


# --- 4. one name for Excel's format ------------------------------------------------------------------


def test_een_naam_voor_csv_utf_8(portaal: TestClient, demo: object) -> None:
    assert EXCEL_CSV == "CSV UTF-8"
    teksten = [p.read_text() for p in PORTAAL.rglob("*") if p.suffix in (".py", ".html")]
    teksten.append((ROOT / "docs" / "portaal.md").read_text())
    for tekst in teksten:
        assert "CSV UTF-8 (" not in tekst  # not '(puntkomma gescheiden)', not the long menu name
    inloggen(portaal, "energie")
    assert "Opslaan als ‘CSV UTF-8’" in portaal.get("/portaal/upload").text


# --- 2. names, not codes -----------------------------------------------------------------------------

CODES = sorted({t.code for t in CATALOGUS.alle() if "_" in t.code}, key=len, reverse=True)


@pytest.mark.parametrize("wie", ["gemeente", "energie", "incasso", "kredietbank", "bewindvoerder"])
def test_geen_interne_codes_op_de_paginas(portaal: TestClient, demo: object, rt: Runtime, wie: str) -> None:
    inloggen(portaal, wie)
    paden = ["/portaal/", "/portaal/ontvangen", "/portaal/verzonden", "/portaal/instellingen"]
    if wie in ("energie", "incasso"):
        paden.append("/portaal/upload")
    if wie in ("gemeente", "kredietbank", "bewindvoerder"):
        paden += ["/portaal/clienten", "/portaal/opstellen"]
        lijst = portaal.get("/portaal/clienten").text
        paden += sorted(set(re.findall(r'href="(/portaal/clienten/[0-9a-f-]{36})"', lijst)))
    for pad in paden:
        pagina = portaal.get(pad)
        assert pagina.status_code == 200, pad
        tekst = _zichtbaar(pagina.text)
        for code in CODES:
            assert not re.search(rf"\b{code}\b", tekst), f"{pad} toont de code {code}"
        assert not re.search(r"\[[A-Z][A-Z_]{4,}\]", tekst), pad
        for hubcode in ("VERLOPEN", "GEWEIGERD", "BEVESTIGD", "NIET_BEREIKBAAR", "ONGELDIG_ANTWOORD"):
            assert hubcode not in tekst, f"{pad} toont {hubcode}"


def test_hubteksten_met_namen_uit_het_handboek() -> None:
    assert weergave.leesbare_codes("stuur 'kennisgeving_bsn' in plaats van 'kennisgeving'") == (
        "stuur ‘Klant (BSN) gemeld voor SHV’ in plaats van ‘Klant gemeld voor SHV’"
    )
    assert weergave.leesbare_codes("Bericht x (saldoverzoek_zorg) is bevestigd") == (
        "Bericht x (‘Saldoverzoek zorg’) is bevestigd"
    )
    # Modules by their names (DESIGN §2: "the names in brackets are what people see").
    assert weergave.leesbare_codes("waarin u en X in module 'schuldregeling' al berichten hebben") == (
        "waarin u en X in module ‘Schuldregeling’ al berichten hebben"
    )
    assert weergave.leesbare_codes("doet niet mee aan module pauzeknop: gebruik") == (
        "doet niet mee aan module ‘Landelijke pauzeknop’: gebruik"
    )
    # Words that merely look like codes stay as they are.
    assert weergave.leesbare_codes("reden recente_finale_kwijting") == "reden recente_finale_kwijting"
    assert weergave.leesbare_codes("de module en de versie") == "de module en de versie"
    assert weergave.fouttekst("GEEN_STANDAARD_AKKOORD", "") == (
        "Uw organisatie staat in het adresboek niet als schuldeiser die standaard akkoord gaat."
    )
    assert weergave.foutcode("IETS_NIEUWS") == "Het knooppunt heeft het bericht niet aangenomen."


# --- 1 and 11. clients by name -----------------------------------------------------------------------


def test_demo_clienten_met_naam_en_klantnummer(portaal: TestClient, demo: object, rt: Runtime) -> None:
    inloggen(portaal, "gemeente")
    lijst = portaal.get("/portaal/clienten").text
    for nummer in (1, 2, 3):
        _, voorletters, _, voorvoegsel, achternaam = KLANTEN[nummer - 1]
        naam = " ".join(d for d in (voorletters, voorvoegsel, achternaam) if d)
        assert f"{naam} · SHV-2026-{nummer:04d}" in lijst
    assert "Cliënt zonder naam" not in lijst
    client = portaal.get(f"/portaal/clienten/{demo_conversatie(rt, 1)}").text
    assert "<h1>J. de Vries · SHV-2026-0001</h1>" in client
    verzonden = portaal.get("/portaal/verzonden").text
    assert "M. El Amrani · SHV-2026-0002" in verzonden


def test_de_schuldeiser_ziet_de_client_bij_een_ontvangen_bericht(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "energie")
    overzicht = portaal.get("/portaal/ontvangen").text
    ref = re.findall(r'href="/portaal/ontvangen/([0-9a-f-]{36})"', overzicht)[0]
    pagina = portaal.get(f"/portaal/ontvangen/{ref}").text
    rij = pagina.split('<th scope="row">Cliënt</th>')[1].split("</tr>")[0]
    assert "SHV-2026-000" in rij and "klantnummer SHV" in rij
    assert any(a in rij for _, _, _, _, a in KLANTEN)


def test_de_schuldeiser_ziet_trajecten_met_wie_niet_als_uuid(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],  # noqa: F811
) -> None:
    kop, rijen = saldoverzoeken
    assert upload(portaal, ("saldoverzoeken.csv", als_csv([_totaal(rijen[0])], kop))).status_code == 200
    pagina = portaal.get("/portaal/verzonden").text
    cel = pagina.split("<tbody>")[1].split("<td>")[1].split("</td>")[0]
    assert ">Traject met Gemeente Demodorp</a>" in cel


# --- 10. what an upload confirmed along the way ------------------------------------------------------


def test_upload_toont_wat_onderweg_bevestigd_is(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],  # noqa: F811
    rt: Runtime,
    kluis: Kluis,
) -> None:
    kop, rijen = saldoverzoeken
    een, twee, drie = rijen
    # The third question was confirmed before the upload: answering it confirms nothing new.
    Gastclient(rt, kluis, oin_van("energie"), wie="test").bevestig([drie["referentienummer"]])
    pagina = upload(
        portaal, ("saldoverzoeken.csv", als_csv([_totaal(een), _totaal(twee), _totaal(drie)], kop))
    )
    assert pagina.status_code == 200, pagina.text
    sectie = pagina.text.split('id="bevestigd-kop"')[1].split("</section>")[0]
    assert "Onderweg bevestigd" in sectie
    assert "2 vragen had u nog niet bevestigd; uw antwoorden hebben die meteen bevestigd" in sectie
    tabel = sectie.split("<tbody>")[1]
    assert tabel.count("<tr>") == 2
    assert tabel.count("<td>Saldoverzoek nuts</td><td>Gemeente Demodorp</td>") == 2
    assert "rij 2" in tabel and "rij 3" in tabel and "rij 4" not in tabel
    assert een["klantnummerSHV"] in tabel

    # Uploaded again: nothing is sent, nothing confirmed.
    opnieuw = upload(portaal, ("saldoverzoeken.csv", als_csv([_totaal(een)], kop)))
    assert "Alles was al verzonden" in opnieuw.text and "Onderweg bevestigd" not in opnieuw.text


# --- 6. inputs that look alike -----------------------------------------------------------------------


def _gestylede_typen() -> set[str]:
    css = (PORTAAL / "static" / "portaal.css").read_text()
    regel = next(r for r in css.split("}") if "input[type=text]" in r)
    return set(re.findall(r"input\[type=([a-z]+)\]", regel.split("{")[0]))


def test_het_telefoonveld_ziet_eruit_als_de_andere_velden(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "gemeente")
    pagina = portaal.get(
        "/portaal/opstellen/inhoud",
        params={"berichttype": "kennisgeving", "module": "schuldregeling", "ontvanger": oin_van("energie")},
    ).text
    telefoon = re.search(r'<input [^>]*name="p\.contactpersoonSHV\.telefoon"[^>]*>', pagina)
    assert telefoon is not None
    assert 'inputmode="tel"' in telefoon.group(0)  # still a phone keypad on a phone
    gestyled = _gestylede_typen()
    for pad in ("/portaal/opstellen/inhoud", "/portaal/instellingen"):
        html_ = pagina if pad.endswith("inhoud") else portaal.get(pad).text
        for invoer in re.findall(r"<input [^>]*>", html_):
            soort = re.search(r'type="([a-z]+)"', invoer)
            if soort is None or soort.group(1) in ("hidden", "checkbox", "radio", "file", "submit"):
                continue
            assert soort.group(1) in gestyled, f"{pad}: {invoer} is not styled like the other fields"


def test_het_wachtwoordveld_van_de_werkplek_ziet_eruit_als_de_andere_velden(
    portaal: TestClient, demo: object
) -> None:
    """Newcomer walk-through B10: the Sleutels page's password fields (unlock, a PKCS#12 file's
    password) were unstyled native inputs, 177 px wide beside 36rem fields."""
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/sleutels")
    assert pagina.status_code == 200
    invoer = re.findall(r"<input [^>]*>", pagina.text)
    assert any('type="password"' in i for i in invoer)
    gestyled = _gestylede_typen()
    for i in invoer:
        soort = re.search(r'type="([a-z]+)"', i)
        if soort is None or soort.group(1) in ("hidden", "checkbox", "radio", "file", "submit"):
            continue
        assert soort.group(1) in gestyled, f"/portaal/sleutels: {i} is not styled like the other fields"


# --- 2. enum options in words ------------------------------------------------------------------------

ZONDER_BETEKENIS = {("soortLening", "PL"), ("soortLening", "SK"), ("soortLening", "SL")}
"""Codes whose meaning neither the handbook nor DESIGN gives (SBN's types/soort_lening.yml is an
enum without meanings): shown as the code until someone who knows says what they are."""


def _keuzes(sj: formulier.Sjabloon) -> Iterator[formulier.Sjabloon]:
    if sj.soort == "keuze":
        yield sj
    for kind in sj.kinderen:
        yield from _keuzes(kind)


def test_elke_keuze_in_elk_formulier_heeft_woorden() -> None:
    """B9: an option of a compose form shows its handbook words, never a bare code ("SA" beside
    "SB – schuldbemiddeling"): the form description (formulier.OPTIES, which the hosted form and
    the werkplek both draw) has the words; the readable copy uses the same ones."""
    waarden = export.beschrijving()["leesbaar"]["waarden"]
    kaal = set()
    for t in CATALOGUS.alle():
        try:
            sj = formulier.sjabloon(t.module, t.code, t.versie)
        except LookupError:
            continue
        for keuze in _keuzes(sj):
            for code, label in keuze.opties:
                woorden = label
                if keuze.naam in waarden and code in waarden[keuze.naam]:
                    assert label == waarden[keuze.naam][code] or keuze.naam == "geslacht", (keuze.naam, code)
                # A code of capitals or digits is one formulier.optielabel cannot put into words
                # ("Amsterdam", a rechtbank, is a word already).
                is_code = code.isupper() or code.isdigit()
                if woorden == code and is_code and (keuze.naam, code) not in ZONDER_BETEKENIS:
                    kaal.add(f"{t.module} {t.versie} {t.code}: {keuze.naam} {code}")
    assert not kaal, sorted(kaal)
    assert waarden["typeSchuldregeling"]["SA"] == "SA – schuldregeling zonder afloscapaciteit"
