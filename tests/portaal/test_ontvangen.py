"""Received messages in the portal (art. 16.1, 17.1–17.5, DESIGN §7): the open inbox with the
moment each message expires, the zip (CSV per 17.1 item, readable copies, LEESMIJ), confirming,
downloading again, expiry, the hub's notices, refusing content that cannot be opened."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import delete, func, select, update
from starlette.testclient import TestClient

from knooppunt.hub import adresboek, mailbox
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal import csvformaat, csvindeling
from knooppunt.portaal.demo import KLANTEN
from knooppunt.portaal.gastclient import Gastclient, TeVersturen, bewaar_sleutel
from knooppunt.portaal.kluis import Kluis, Versleuteld
from knooppunt.portaal.weergave import tijdstip
from knooppunt.protocol.jwe import lees_kop
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store import berichten as store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, Bericht, BerichtInhoud, PortaalSleutel, PortaalSleutelblob
from tests.portaal.conftest import csrf_van, formulier, inloggen, oin_van

SR = "schuldregeling"


def client_van(rt: Runtime, kluis: Kluis, wie: str) -> Gastclient:
    return Gastclient(rt, kluis, oin_van(wie), wie="test")


def berichten_aan(rt: Runtime, wie: str, **filters: Any) -> list[Bericht]:
    with transactie(rt.sessions) as session:
        query = select(Bericht).where(Bericht.ontvanger == oin_van(wie)).order_by(Bericht.id)
        for veld, waarde in filters.items():
            query = query.where(getattr(Bericht, veld) == waarde)
        return list(session.scalars(query))


def download(portaal: TestClient, refs: list[str] | None = None) -> zipfile.ZipFile:
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    data: dict[str, Any] = {"csrf": csrf, "actie": "alle" if refs is None else "geselecteerd"}
    if refs is not None:
        data["ref"] = refs
    antwoord = portaal.post("/portaal/ontvangen/download", data=data)
    assert antwoord.status_code == 200, antwoord.text
    assert antwoord.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(antwoord.content))


def csv_rijen(zip_: zipfile.ZipFile, naam: str) -> list[dict[str, str]]:
    tekst = zip_.read(naam).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(tekst, newline=""), delimiter=";"))


def bevestig(portaal: TestClient, refs: list[str] | None = None, alle: str = "") -> Any:
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    return portaal.post("/portaal/ontvangen/bevestigen", data={"csrf": csrf, "ref": refs or [], "alle": alle})


def _rijen(tekst: str) -> list[str]:
    return tekst.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0].split("<tr>")[1:]


def conversatie_met(rt: Runtime, se: str) -> str:
    return berichten_aan(rt, se)[0].conversatie_referentienummer


# --- the page (16.1, 17.3) ------------------------------------------------------------------------


def test_16_1_17_3_overview_lists_open_messages_with_status_and_deadline(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/ontvangen")
    assert pagina.status_code == 200
    open_ = berichten_aan(rt, "energie")
    assert len(open_) == 6  # per demo client a kennisgeving and a saldoverzoek nuts
    assert "6 berichten klaar: 6 nieuw, 0 opgehaald (gedownload of bekeken)" in pagina.text
    for bericht in open_:
        assert f'value="{bericht.referentienummer}"' in pagina.text
    assert pagina.text.count("Gemeente Demodorp") >= 6
    assert pagina.text.count(">Nieuw<") == 6
    # art. 17.3: until when it can be confirmed, per message
    assert "Bevestigen vóór" in pagina.text
    assert tijdstip(open_[0].verloopt_op) in pagina.text
    assert "Saldoverzoek nuts" in pagina.text
    for knop in ("Download geselecteerde", "Download alle", "Bevestig download"):
        assert knop in pagina.text


def test_not_logged_in_is_sent_to_the_login_and_beheer_has_no_inbox(
    portaal: TestClient, demo: object
) -> None:
    assert portaal.get("/portaal/ontvangen").status_code == 303
    inloggen(portaal, "beheer")
    assert portaal.get("/portaal/ontvangen").status_code == 403


# --- the zip (17.1) ----------------------------------------------------------------------------------


def test_17_1_zip_has_one_csv_per_type_with_bom_semicolons_crlf_and_empty_answer_columns(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    inloggen(portaal, "energie")
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    antwoord = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf, "actie": "alle"})
    assert antwoord.status_code == 200
    naam = re.search(r'filename="([^"]+)"', antwoord.headers["content-disposition"])
    assert naam is not None
    assert re.fullmatch(r"knooppunt-\d{4}-\d{2}-\d{2}-6-berichten\.zip", naam.group(1))
    zip_ = zipfile.ZipFile(io.BytesIO(antwoord.content))
    namen = zip_.namelist()
    assert {"kennisgevingen.csv", "saldoverzoeken.csv", "LEESMIJ.txt"} <= set(namen)
    assert len([n for n in namen if n.startswith("leesbaar/") and n.endswith(".html")]) == 6

    ruw = zip_.read("saldoverzoeken.csv")
    assert ruw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    regels = ruw[3:].split(b"\r\n")
    assert regels[-1] == b"" and len(regels) == 1 + 3 + 1  # header, 3 rows, CRLF after the last
    kop = regels[0].decode().split(";")
    assert kop[:8] == [
        "referentienummer",
        "conversatieReferentienummer",
        "crossReferentienummer",
        "berichttype",
        "afzender",
        "afzenderNaam",
        "ontvangenOp",
        "verlooptOp",
    ]
    assert {"klant.achternaam", "adres.postcode", "vorderingen.1.factuurnummerSEVolgensSHV"} <= set(kop)
    assert "slimmeMeterAkkoord" in kop
    # the answer columns the upload reads, exactly, at the end
    assert kop[-len(csvformaat.SALDOVERZOEK.kolommen) :] == list(csvformaat.SALDOVERZOEK.kolommen)
    rijen = csv_rijen(zip_, "saldoverzoeken.csv")
    vragen = {b.referentienummer: b for b in berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")}
    assert {r["referentienummer"] for r in rijen} == set(vragen)
    for rij in rijen:
        vraag = vragen[rij["referentienummer"]]
        assert rij["conversatieReferentienummer"] == vraag.conversatie_referentienummer
        assert rij["afzender"] == oin_van("gemeente") and rij["afzenderNaam"] == "Gemeente Demodorp"
        assert rij["verlooptOp"].startswith(vraag.verloopt_op.date().isoformat()[:7])
        assert rij["slimmeMeterAkkoord"] in ("ja", "nee")
        assert all(rij[k] == "" for k in csvformaat.SALDOVERZOEK.kolommen)
    # a kennisgeving is answered (art. 4.1, 8.1) through the generic answer columns, with the
    # envelope's module and versie that the upload reads them by
    kennisgeving = csv_rijen(zip_, "kennisgevingen.csv")[0]
    antwoordkolommen = [k for k in kennisgeving if k.startswith("antwoord.")]
    assert antwoordkolommen == csvindeling.antwoordkolommen("schuldregeling", "1.0", "kennisgeving")
    assert all(kennisgeving[k] == "" for k in antwoordkolommen)
    assert (kennisgeving["module"], kennisgeving["versie"]) == ("schuldregeling", "1.0")


def test_17_1_formula_cells_are_neutralised(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    payload = voorbeeld(SR, "saldoverzoek_nuts")
    payload["klant"]["achternaam"] = "=SUM(1)"
    payload["adres"]["woonplaats"] = "@Utrecht"
    payload["contactpersoonSHV"]["telefoon"] = "+31 30 123 4567"
    verstuurd = client_van(rt, kluis, "gemeente").verstuur(
        TeVersturen(oin_van("energie"), "saldoverzoek_nuts", payload, conversatie_met(rt, "energie"))
    )
    inloggen(portaal, "energie")
    zip_ = download(portaal, [verstuurd.bericht.referentienummer])
    rij = csv_rijen(zip_, "saldoverzoeken.csv")[0]
    assert rij["klant.achternaam"] == "'=SUM(1)"
    assert rij["adres.woonplaats"] == "'@Utrecht"
    assert rij["contactpersoonSHV.telefoon"] == "'+31 30 123 4567"
    assert b"\r\n=SUM" not in zip_.read("saldoverzoeken.csv") and b";=SUM" not in zip_.read(
        "saldoverzoeken.csv"
    )


def test_17_1_formula_cells_after_leading_spaces_are_neutralised_too(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """Spreadsheets skip leading spaces (also non-breaking and other Unicode spaces) before a
    formula: such a cell gets the leading ' as well."""
    payload = voorbeeld(SR, "saldoverzoek_nuts")
    payload["klant"]["achternaam"] = " =SUM(1)"
    payload["adres"]["woonplaats"] = "\u00a0@Utrecht"
    payload["contactpersoonSHV"]["naam"] = "\u2003\u00a0-Jansen"
    verstuurd = client_van(rt, kluis, "gemeente").verstuur(
        TeVersturen(oin_van("energie"), "saldoverzoek_nuts", payload, conversatie_met(rt, "energie"))
    )
    inloggen(portaal, "energie")
    rij = csv_rijen(download(portaal, [verstuurd.bericht.referentienummer]), "saldoverzoeken.csv")[0]
    assert rij["klant.achternaam"] == "' =SUM(1)"
    assert rij["adres.woonplaats"] == "'\u00a0@Utrecht"
    assert rij["contactpersoonSHV.naam"] == "'\u2003\u00a0-Jansen"


def test_17_1_readable_copy_per_message_with_dutch_labels_and_euros(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    verstuurd = client_van(rt, kluis, "gemeente").verstuur(
        TeVersturen(
            oin_van("energie"),
            "betaalvoorstel",
            voorbeeld(SR, "betaalvoorstel"),
            conversatie_met(rt, "energie"),
        )
    )
    ref = verstuurd.bericht.referentienummer
    inloggen(portaal, "energie")
    zip_ = download(portaal, [ref])
    html = zip_.read(f"leesbaar/betaalvoorstel-{ref}.html").decode()
    assert html.startswith("{") is False and "<!doctype html>" in html
    assert "<h1>Betaalvoorstel</h1>" in html
    assert "Afloscapaciteit per maand" in html
    assert re.search(r"€ \d{1,3}(\.\d{3})*,\d{2}", html)  # amounts in euro, Dutch notation
    assert "Gemeente Demodorp" in html
    assert "<script" not in html
    # the betaalvoorstel CSV has the answer columns the upload reads, empty
    rij = csv_rijen(zip_, "betaalvoorstellen.csv")[0]
    assert all(rij[k] == "" for k in csvformaat.BETAALVOORSTEL.kolommen)
    assert rij["vorderingen.1.eigenVordering"] in ("ja", "nee")
    leesmij = " ".join(zip_.read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert "betaalvoorstellen.csv: 1 x Betaalvoorstel (17.1d)" in leesmij
    assert "Bevestig de download op het webportaal" in leesmij


def _geweigerd_statusverzoek(rt: Runtime, kluis: Kluis) -> tuple[Gastclient, Gastclient, str]:
    """Energie asks the gemeente for the status; the gemeente refuses it: a foutbericht GEWEIGERD
    waits for energie. Returns (energie, gemeente, the refused statusverzoek's number)."""
    energie, gemeente = client_van(rt, kluis, "energie"), client_van(rt, kluis, "gemeente")
    verzoek = energie.verstuur(
        TeVersturen(
            oin_van("gemeente"),
            "statusverzoek",
            voorbeeld(SR, "statusverzoek"),
            conversatie_met(rt, "energie"),
        )
    )
    gemeente.weiger(verzoek.bericht.referentienummer, "INHOUD_ONGELDIG")
    return energie, gemeente, verzoek.bericht.referentienummer


def test_17_1i_foutbericht_is_zipped_receipts_are_only_shown_in_the_portal(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    energie, gemeente, geweigerd = _geweigerd_statusverzoek(rt, kluis)
    # energie answers a saldoverzoek by API-like means; the gemeente confirms -> a receipt to energie
    vraag = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")[0]
    antwoord = energie.verstuur(
        TeVersturen(
            oin_van("gemeente"),
            "klant_onbekend",
            {"klantnummerSHV": "DEMO-0001"},
            vraag.conversatie_referentienummer,
            antwoord_op=vraag.referentienummer,
        )
    )
    gemeente.bevestig([antwoord.bericht.referentienummer])

    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/ontvangen")
    assert "Meldingen van het knooppunt" in pagina.text
    # Each notice says in Dutch what happened to which message of energie's (never a code or a bare
    # referentienummer: #14 item 4).
    meldingen = pagina.text.split('id="kop-meldingen"')[1]
    assert "GEWEIGERD" not in meldingen and "BEVESTIGD" not in meldingen
    assert '<span class="status verlopen">Geweigerd</span>' in meldingen
    assert '<span class="status bevestigd">Bevestigd</span>' in meldingen
    assert "<td>Statusverzoek aan Gemeente Demodorp van " in meldingen
    assert "<td>Klant onbekend aan Gemeente Demodorp van " in meldingen
    assert (
        "Statusverzoek aan Gemeente Demodorp is geweigerd: de inhoud voldoet niet aan het schema van het "
        "berichttype." in meldingen
    )
    assert "Klant onbekend is bevestigd door Gemeente Demodorp." in meldingen
    assert geweigerd not in meldingen.replace(f'value="{geweigerd}"', "").replace(
        f'id="melding-{geweigerd}"', ""
    ).replace(f'for="melding-{geweigerd}"', "")

    zip_ = download(portaal)
    assert "foutberichten.csv" in zip_.namelist()
    fout = csv_rijen(zip_, "foutberichten.csv")
    assert [(r["melding.code"], r["melding.referentienummer"]) for r in fout] == [("GEWEIGERD", geweigerd)]
    assert fout[0]["afzender"] == "KNOOPPUNT" and fout[0]["afzenderNaam"] == "Knooppunt"
    alles = b"".join(zip_.read(n) for n in zip_.namelist())
    assert b"ontvangstbevestiging" not in alles and b"BEVESTIGD" not in alles
    leesmij = " ".join(zip_.read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert "Ontvangstbevestigingen staan niet in de download" in leesmij


def test_17_1i_only_foutberichten_waiting_still_offers_the_download(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    energie = client_van(rt, kluis, "energie")
    energie.bevestig([b.referentienummer for b in energie.haal_op(waarvoor="test")])
    _geweigerd_statusverzoek(rt, kluis)
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/ontvangen").text
    assert "Er staan geen berichten klaar." in pagina
    meldingen = pagina.split('id="kop-meldingen"')[1]
    assert "foutberichten zitten ook in de download" in meldingen
    formulier_ = meldingen.split('<form method="post" action="/portaal/ontvangen/download"')[1].split(
        "</form>"
    )[0]
    assert '<button type="submit" name="actie" value="alle">Download het foutbericht</button>' in formulier_
    antwoord = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf_van(pagina), "actie": "alle"})
    assert antwoord.headers["content-type"] == "application/zip"
    zip_ = zipfile.ZipFile(io.BytesIO(antwoord.content))
    assert [r["melding.code"] for r in csv_rijen(zip_, "foutberichten.csv")] == ["GEWEIGERD"]
    # A receipt alone is shown, never downloaded: then there is no button.
    bevestig(portaal, alle="meldingen")
    assert 'action="/portaal/ontvangen/download"' not in portaal.get("/portaal/ontvangen").text


def test_hub_notices_are_confirmed_in_the_portal(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    _geweigerd_statusverzoek(rt, kluis)
    inloggen(portaal, "energie")
    pagina = bevestig(portaal, alle="meldingen")
    assert pagina.status_code == 200
    assert "U hebt 1 bericht bevestigd" in pagina.text
    assert "geen antwoord nodig" in pagina.text
    assert "GEWEIGERD" not in portaal.get("/portaal/ontvangen").text
    assert [b.status for b in berichten_aan(rt, "energie", berichttype="foutbericht")] == ["bevestigd"]


# --- confirm (17.2) ---------------------------------------------------------------------------------


def test_2_1_the_confirmation_names_the_answer_term_of_protocol_2_0(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """DESIGN §3a: 10 working days to answer a question of protocol 2.0 (5 in 1.0)."""
    vragen = [
        b
        for b in berichten_aan(rt, "incasso")
        if b.versie == "2.0" and b.berichttype in ("saldoverzoek", "betaalvoorstel")
    ]
    assert vragen, "the demo sends Demo Incasso BV questions in protocol 2.0"
    refs = [b.referentienummer for b in vragen]
    inloggen(portaal, "incasso")
    download(portaal, refs)
    pagina = bevestig(portaal, refs)
    assert pagina.status_code == 200, pagina.text
    assert "antwoordtermijn van 10 werkdagen (art. 2.1)" in pagina.text
    assert "5 werkdagen" not in pagina.text.split("<main", 1)[1].split("</main>", 1)[0]


def test_17_2_confirming_the_download_deletes_content_and_starts_the_answer_term(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    vragen = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")
    refs = [b.referentienummer for b in vragen]
    inloggen(portaal, "energie")
    download(portaal, refs)
    pagina = bevestig(portaal, refs)
    assert pagina.status_code == 200, pagina.text
    assert "U hebt 3 berichten bevestigd (art. 17.2)" in pagina.text
    assert "antwoordtermijn van 5 werkdagen (art. 2.1)" in pagina.text
    bevestigd = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")
    assert {b.status for b in bevestigd} == {"bevestigd"}
    for bericht in bevestigd:
        assert bericht.antwoord_uiterlijk is not None
        assert tijdstip(bericht.antwoord_uiterlijk) in pagina.text
    with transactie(rt.sessions) as session:
        ids = [b.id for b in bevestigd]
        assert session.scalars(select(BerichtInhoud).where(BerichtInhoud.bericht_id.in_(ids))).all() == []
    # the sender gets a receipt per message; the page no longer lists them
    bonnen = berichten_aan(rt, "gemeente", berichttype="ontvangstbevestiging")
    assert set(refs) <= {b.cross_referentienummer for b in bonnen}
    overzicht = portaal.get("/portaal/ontvangen").text
    assert not any(ref in overzicht for ref in refs)
    # DESIGN §6: the recipient, too, sees the questions it still has to answer, their
    # antwoordUiterlijk and, past it, that it is late: on Ontvangen and counted on the Overzicht.
    vragen = overzicht.split('id="kop-te-beantwoorden"')[1].split("</section>")[0]
    assert "U hebt 3 bevestigde vragen nog niet beantwoord." in vragen
    assert len(_rijen(vragen)) == 3 and "Te laat" not in vragen
    for bericht in bevestigd:
        assert f">{tijdstip(bericht.antwoord_uiterlijk)}</time>" in vragen
        assert f"<code>{bericht.referentienummer[:8]}</code>" in vragen
    assert vragen.count("Saldoverzoek nuts") == 3 and vragen.count("Gemeente Demodorp") == 3
    assert 'href="/portaal/upload"' in vragen
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.id == bevestigd[0].id)
            .values(antwoord_uiterlijk=db_nu(session) - timedelta(minutes=5))
        )
    # energie answers another one: it leaves the list.
    client_van(rt, kluis, "energie").verstuur(
        TeVersturen(
            oin_van("gemeente"),
            "klant_onbekend",
            {"klantnummerSHV": "DEMO-0001"},
            bevestigd[1].conversatie_referentienummer,
            antwoord_op=bevestigd[1].referentienummer,
        )
    )
    vragen = (
        portaal.get("/portaal/ontvangen").text.split('id="kop-te-beantwoorden"')[1].split("</section>")[0]
    )
    assert "U hebt 2 bevestigde vragen nog niet beantwoord; <strong>1 daarvan is te laat</strong>." in vragen
    rijen = _rijen(vragen)
    assert len(rijen) == 2
    assert bevestigd[0].referentienummer[:8] in rijen[0]  # the earliest deadline first
    assert '<span class="status te-laat">Te laat</span>' in rijen[0]
    assert "Te laat" not in rijen[1] and "Loopt nog" in rijen[1]
    assert bevestigd[1].referentienummer[:8] not in vragen
    start = portaal.get("/portaal/").text
    assert "U hebt 2 bevestigde vragen nog niet beantwoord; <strong>1 daarvan is te laat</strong>." in start
    assert 'href="/portaal/ontvangen#kop-te-beantwoorden"' in start


def test_17_2_a_message_never_downloaded_is_not_confirmed(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    vraag = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")[0]
    inloggen(portaal, "energie")
    pagina = bevestig(portaal, [vraag.referentienummer])
    assert "nog niet gedownload" in pagina.text
    assert berichten_aan(rt, "energie", referentienummer=vraag.referentienummer)[0].status == "aangeboden"
    assert bevestig(portaal).status_code == 400  # nothing chosen


def test_17_2_confirm_all_downloaded(portaal: TestClient, demo: object, rt: Runtime) -> None:
    kennisgevingen = [b.referentienummer for b in berichten_aan(rt, "energie", berichttype="kennisgeving")]
    inloggen(portaal, "energie")
    download(portaal, kennisgevingen)
    pagina = bevestig(portaal, alle="gedownload")
    assert "U hebt 3 berichten bevestigd" in pagina.text
    statussen = {b.berichttype: b.status for b in berichten_aan(rt, "energie")}
    assert statussen == {"kennisgeving": "bevestigd", "saldoverzoek_nuts": "aangeboden"}


# --- download again (17.4), only the chosen ones ------------------------------------------------------


def test_17_4_download_again_until_confirmed(portaal: TestClient, demo: object, rt: Runtime) -> None:
    vraag = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")[0]
    inloggen(portaal, "energie")
    eerste = download(portaal, [vraag.referentienummer])
    assert berichten_aan(rt, "energie", referentienummer=vraag.referentienummer)[0].status == "opgehaald"
    assert ">Opgehaald<" in portaal.get("/portaal/ontvangen").text
    tweede = download(portaal, [vraag.referentienummer])
    assert csv_rijen(eerste, "saldoverzoeken.csv") == csv_rijen(tweede, "saldoverzoeken.csv")
    bevestig(portaal, [vraag.referentienummer])
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    weg = portaal.post(
        "/portaal/ontvangen/download",
        data={"csrf": csrf, "actie": "geselecteerd", "ref": [vraag.referentienummer]},
    )
    assert weg.status_code == 400
    assert "staan niet meer klaar" in weg.text


def test_download_of_a_selection_marks_only_that_selection(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    gekozen = berichten_aan(rt, "energie")[-1]
    inloggen(portaal, "energie")
    zip_ = download(portaal, [gekozen.referentienummer])
    assert zip_.namelist() == [
        "saldoverzoeken.csv",
        f"leesbaar/saldoverzoek_nuts-{gekozen.referentienummer}.html",
        "LEESMIJ.txt",
    ]
    statussen = {b.referentienummer: b.status for b in berichten_aan(rt, "energie")}
    assert statussen.pop(gekozen.referentienummer) == "opgehaald"
    assert set(statussen.values()) == {"aangeboden"}


def test_a_download_holds_at_most_a_fetch_page_of_inhoud(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """DESIGN §4: 'Download alle' takes the oldest messages that fit in a fetch page's bytes
    (always one); a selection larger than that is refused with what to do."""
    import dataclasses

    open_ = [b for b in berichten_aan(rt, "energie") if b.status == "aangeboden" and b.grootte]
    assert len(open_) >= 3
    eerste, tweede = open_[0], open_[1]
    assert eerste.grootte is not None and tweede.grootte is not None
    rt.instellingen = dataclasses.replace(rt.instellingen, max_pagina_bytes=eerste.grootte + tweede.grootte)
    inloggen(portaal, "energie")
    assert "Een download is hoogstens" in portaal.get("/portaal/ontvangen").text
    zip_ = download(portaal)
    leesbaar = sorted(n for n in zip_.namelist() if n.startswith("leesbaar/"))
    assert leesbaar == sorted(f"leesbaar/{b.berichttype}-{b.referentienummer}.html" for b in (eerste, tweede))
    statussen = {b.referentienummer: b.status for b in berichten_aan(rt, "energie")}
    assert [statussen[b.referentienummer] for b in open_[:3]] == ["opgehaald", "opgehaald", "aangeboden"]

    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    te_veel = portaal.post(
        "/portaal/ontvangen/download",
        data={"csrf": csrf, "actie": "geselecteerd", "ref": [b.referentienummer for b in open_[:3]]},
    )
    assert te_veel.status_code == 400 and "Kies minder berichten" in te_veel.text
    rt.instellingen = dataclasses.replace(rt.instellingen, max_pagina_bytes=1024)
    assert download(portaal, [open_[2].referentienummer]).namelist()  # one message always goes


def test_download_needs_a_choice_and_csrf(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "energie")
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    leeg = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf, "actie": "geselecteerd"})
    assert leeg.status_code == 400 and "Kies ten minste één bericht" in leeg.text
    assert 'role="alert"' in leeg.text
    zonder = portaal.post("/portaal/ontvangen/download", data={"actie": "alle"})
    assert zonder.status_code == 403


# --- expiry (17.5) ------------------------------------------------------------------------------------


def test_17_5_expired_message_disappears_and_the_sender_is_told(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    vragen = berichten_aan(rt, "energie")
    later = max(b.verloopt_op for b in vragen) + timedelta(seconds=1)
    with transactie(rt.sessions) as session:
        verlopen = mailbox.verloop_reeks(session, nu=later, instellingen=rt.instellingen)
    assert verlopen >= len(vragen)
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/ontvangen")
    assert "Er staan geen berichten klaar." in pagina.text
    assert not any(b.referentienummer in pagina.text for b in vragen)
    meldingen = berichten_aan(rt, "gemeente", berichttype="foutbericht")
    over = {m.cross_referentienummer: m.melding for m in meldingen}
    for bericht in vragen:
        assert over[bericht.referentienummer] is not None
        assert over[bericht.referentienummer]["code"] == "VERLOPEN"


# --- one message, refusing content that cannot be opened -------------------------------------------


def _onleesbaar(rt: Runtime, kluis: Kluis) -> str:
    """A saldoverzoek whose signed metadata do not match its envelope (another referentienummer):
    the hub cannot see that, the recipient must refuse it."""
    gemeente = client_van(rt, kluis, "gemeente")
    bericht = TeVersturen(
        oin_van("energie"),
        "saldoverzoek_nuts",
        voorbeeld(SR, "saldoverzoek_nuts"),
        conversatie_met(rt, "energie"),
    )
    with gemeente.transactie() as (session, nu):
        envelop = gemeente.verzegel(session, bericht, sleutel=gemeente.sleutel(session, "test", nu), nu=nu)
        anders = mailbox.Envelop(
            referentienummer=str(uuid.uuid4()),
            conversatie_referentienummer=envelop.conversatie_referentienummer,
            cross_referentienummer=None,
            berichttype=envelop.berichttype,
            module=envelop.module,
            versie=envelop.versie,
            ontvanger=envelop.ontvanger,
            inhoud=envelop.inhoud,
        )
        mailbox.verstuur(session, gemeente.deelnemer(session), anders, nu=nu, instellingen=rt.instellingen)
    return anders.referentienummer


def test_message_that_cannot_be_opened_is_listed_in_leesmij_and_can_be_refused(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    ref = _onleesbaar(rt, kluis)
    inloggen(portaal, "energie")
    zip_ = download(portaal)
    leesmij = " ".join(zip_.read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert "BERICHTEN DIE NIET GEOPEND KONDEN WORDEN" in leesmij
    assert (
        f"- {ref} (Saldoverzoek nuts, van Gemeente Demodorp): de ondertekende metadata wijken af" in leesmij
    )
    assert ref not in zip_.read("saldoverzoeken.csv").decode("utf-8-sig")
    assert not any(ref in n for n in zip_.namelist())

    pagina = portaal.get(f"/portaal/ontvangen/{ref}")
    assert pagina.status_code == 200
    assert "kan niet worden geopend" in pagina.text and "Weigeren" in pagina.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', pagina.text)
    assert csrf is not None
    geweigerd = portaal.post(f"/portaal/ontvangen/{ref}/weigeren", data={"csrf": csrf.group(1)})
    assert geweigerd.status_code == 200, geweigerd.text
    assert "geweigerd" in geweigerd.text
    assert berichten_aan(rt, "energie", referentienummer=ref)[0].status == "geweigerd"
    melding = next(
        b for b in berichten_aan(rt, "gemeente", berichttype="foutbericht") if b.cross_referentienummer == ref
    )
    assert melding.melding is not None and melding.melding["code"] == "GEWEIGERD"
    assert melding.melding["reden"] == "METADATA_ONJUIST"


def test_a_message_that_opens_is_shown_and_cannot_be_refused(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    vraag = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")[0]
    inloggen(portaal, "energie")
    pagina = portaal.get(f"/portaal/ontvangen/{vraag.referentienummer}")
    assert pagina.status_code == 200
    assert "Klantnummer schuldhulpverlener" in pagina.text and "SHV-2026-000" in pagina.text
    assert "Akkoord met uitlezen slimme meter (art. 5.3)" in pagina.text
    assert berichten_aan(rt, "energie", referentienummer=vraag.referentienummer)[0].status == "opgehaald"
    csrf = re.search(r'name="csrf" value="([^"]+)"', pagina.text)
    assert csrf is not None
    weigeren = portaal.post(
        f"/portaal/ontvangen/{vraag.referentienummer}/weigeren", data={"csrf": csrf.group(1)}
    )
    assert weigeren.status_code == 409
    assert berichten_aan(rt, "energie", referentienummer=vraag.referentienummer)[0].status == "opgehaald"
    assert portaal.get(f"/portaal/ontvangen/{uuid.uuid4()}").status_code == 404
    assert portaal.get("/portaal/ontvangen/geen-nummer").status_code == 404


def test_after_a_certificate_change_messages_sealed_for_the_old_certificate_still_open(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis, tmp_path: Path
) -> None:
    """Key rollover of a hosted creditor: a new certificate and key, the old certificate retired.
    The messages sealed for the old certificate still wait (DESIGN §5); the portal opens each with
    the key its JWE kid names, not only with the newest key."""
    oin = oin_van("energie")
    oud = [b.referentienummer for b in berichten_aan(rt, "energie") if b.afzender != "KNOOPPUNT"]
    assert oud
    nieuw = ontwikkel_ca.issue(
        rt.settings.dev_pki_dir, oin=oin, naam="Demo Energie BV", basisnaam="energie-2", uit_map=tmp_path
    )
    info = lees_pem(nieuw.certificaat.read_bytes())
    # A new question, sealed for the new certificate (the old one is no encryption target now).
    vers = _wissel_certificaat_en_vraag(rt, kluis, nieuw, met_sleutel=True)

    with rt.sessions() as session:
        [oude_kid] = session.scalars(
            select(PortaalSleutel.kid).where(PortaalSleutel.oin == oin, PortaalSleutel.kid != info.kid)
        ).all()
        al_geaudit = session.scalar(select(func.max(Auditregel.id)))

    inloggen(portaal, "energie")
    zip_ = download(portaal)
    leesmij = zip_.read("LEESMIJ.txt").decode("utf-8-sig")
    assert "NIET GEOPEND" not in leesmij
    gezien = {
        r["referentienummer"]
        for naam in zip_.namelist()
        if naam.endswith(".csv")
        for r in csv_rijen(zip_, naam)
    }
    assert vers in gezien and set(oud) <= gezien
    with rt.sessions() as session:
        gebruikt = session.scalars(
            select(Auditregel.certificaat).where(
                Auditregel.actie == "sleutel_gebruikt",
                Auditregel.deelnemer == oin,
                Auditregel.id > al_geaudit,
            )
        ).all()
    assert set(gebruikt) == {oude_kid, info.kid}, "each key decrypted once, and audited"

    # Without the old key in the kluis, those messages say which key is missing; nothing is refused.
    with transactie(rt.sessions) as session:
        oude_rij = session.scalars(select(PortaalSleutel).where(PortaalSleutel.kid == oude_kid)).one()
        velden = ("kid", "oin", "certificaat_pem", "hoofdsleutel_id", "nonce", "versleuteld")
        bewaard = {k: getattr(oude_rij, k) for k in velden}
        session.execute(
            delete(PortaalSleutel).where(PortaalSleutel.oin == oin, PortaalSleutel.kid != info.kid)
        )
    zip_ = download(portaal)
    leesmij = " ".join(zip_.read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert "BERICHTEN DIE NIET GEOPEND KONDEN WORDEN" not in leesmij
    assert "WAARVAN HET PORTAAL DE SLEUTEL NIET HEEFT" in leesmij
    assert f"versleuteld voor uw certificaat met kid {oude_kid}" in leesmij
    assert "knooppunt portaal sleutel import" in leesmij and "Weiger deze berichten niet" in leesmij
    assert vers in {r["referentienummer"] for r in csv_rijen(zip_, "saldoverzoeken.csv")}
    vraag = next(
        r for r in oud if r not in {x["referentienummer"] for x in csv_rijen(zip_, "saldoverzoeken.csv")}
    )
    pagina = portaal.get(f"/portaal/ontvangen/{vraag}")
    assert pagina.status_code == 200
    assert "kan nog niet worden geopend" in pagina.text and "Weigeren</button>" not in pagina.text
    weigeren = portaal.post(f"/portaal/ontvangen/{vraag}/weigeren", data={"csrf": csrf_van(pagina.text)})
    assert weigeren.status_code == 409 and "niet geweigerd" in weigeren.text
    assert all(b.status != "geweigerd" for b in berichten_aan(rt, "energie"))

    # The old key put back later (the newest row now): the messages open again, and signing still
    # uses the key of the current certificate (a signature by the retired one would be refused).
    with transactie(rt.sessions) as session:
        session.add(PortaalSleutel(**bewaard, aangemaakt_op=db_nu(session) + timedelta(minutes=1)))
    zip_ = download(portaal)
    assert "SLEUTEL NIET HEEFT" not in zip_.read("LEESMIJ.txt").decode("utf-8-sig")
    energie = client_van(rt, kluis, "energie")
    with energie.transactie() as (session, nu):
        assert energie.sleutel(session, "test", nu).kid == info.kid


def test_a_renewal_on_the_same_key_pair_needs_no_new_key_in_the_kluis(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis, tmp_path: Path
) -> None:
    """The renewed certificate keeps the key pair: the key already in the kluis opens messages
    sealed for either certificate and signs under the new one."""
    oin = oin_van("energie")
    with rt.sessions() as session:
        [rij] = session.scalars(select(PortaalSleutel).where(PortaalSleutel.oin == oin)).all()
        pem = kluis.ontsleutel(oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld))
    sleutelbestand = tmp_path / "energie-key.pem"
    sleutelbestand.write_bytes(pem)
    nieuw = ontwikkel_ca.issue(
        rt.settings.dev_pki_dir,
        oin=oin,
        naam="Demo Energie BV",
        key_type="rsa"
        if isinstance(serialization.load_pem_private_key(pem, None), rsa.RSAPrivateKey)
        else "ec",
        basisnaam="energie-vernieuwd",
        uit_map=tmp_path,
        sleutel_van=sleutelbestand,
    )
    info = lees_pem(nieuw.certificaat.read_bytes())
    vers = _wissel_certificaat_en_vraag(rt, kluis, nieuw, met_sleutel=False)
    assert _jwe_kid_van(rt, vers) == info.kid  # sealed for the new certificate

    inloggen(portaal, "energie")
    zip_ = download(portaal)
    leesmij = zip_.read("LEESMIJ.txt").decode("utf-8-sig")
    assert "NIET GEOPEND" not in leesmij and "SLEUTEL NIET HEEFT" not in leesmij
    assert vers in {r["referentienummer"] for r in csv_rijen(zip_, "saldoverzoeken.csv")}
    energie = client_van(rt, kluis, "energie")
    with energie.transactie() as (session, nu):
        sleutel = energie.sleutel(session, "test", nu)
    assert sleutel.kid == info.kid  # signs under the current certificate, with the kept key


def _wissel_certificaat_en_vraag(
    rt: Runtime, kluis: Kluis, nieuw: ontwikkel_ca.UitgegevenCertificaat, *, met_sleutel: bool
) -> str:
    """Energie's certificate change as the beheerder makes it (the new one added, with its key in
    the kluis when `met_sleutel`; the old one retired), then a new saldoverzoek from the gemeente:
    its referentienummer."""
    oin = oin_van("energie")
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        [vorige] = [c.vingerafdruk for c in adresboek.haal(session, oin).certificaten]
        adresboek.voeg_certificaat_toe(
            session,
            oin,
            lees_pem(nieuw.certificaat.read_bytes()),
            gebruik=["tls", "ondertekening", "versleuteling"],
            nu=nu,
            ankers=rt.ankers,
            door="test",
        )
        if met_sleutel:
            bewaar_sleutel(
                session,
                kluis,
                oin=oin,
                certificaat_pem=nieuw.certificaat.read_bytes(),
                sleutel_pem=nieuw.sleutel.read_bytes(),
                nu=nu,
            )
        adresboek.trek_certificaat_in(session, oin, vorige, nu=nu, door="test")
    gemeente = client_van(rt, kluis, "gemeente")
    bericht = TeVersturen(
        oin, "saldoverzoek_nuts", voorbeeld(SR, "saldoverzoek_nuts"), conversatie_met(rt, "energie")
    )
    return gemeente.verstuur(bericht).bericht.referentienummer


def _jwe_kid_van(rt: Runtime, referentienummer: str) -> str:
    with rt.sessions() as session:
        bericht = store.op_referentie(session, referentienummer)
        assert bericht is not None
        jwe = store.inhoud(session, bericht.id)
    assert jwe is not None
    return str(lees_kop(jwe, max_bytes=len(jwe)).kid)


@pytest.mark.parametrize("wie", ["zorg", "belasting"])
def test_other_creditors_see_their_own_types(portaal: TestClient, demo: object, wie: str) -> None:
    inloggen(portaal, wie)
    zip_ = download(portaal)
    typen = {r["berichttype"] for r in csv_rijen(zip_, "saldoverzoeken.csv")}
    assert typen == {"saldoverzoek_zorg" if wie == "zorg" else "saldoverzoek_publiek"}
    if wie == "belasting":
        kop = next(
            csv.reader(io.StringIO(zip_.read("saldoverzoeken.csv").decode("utf-8-sig")), delimiter=";")
        )
        assert kop.index("klant.bsn") < kop.index("partner.geslacht")  # BSN among the klant.* columns
        assert "kennisgevingen_bsn.csv" in zip_.namelist()


# --- keys in the browser: the list names no client and says where the names are ----------------------


def _sleutels_in_de_browser(rt: Runtime, wie: str) -> None:
    """What the werkplek stores when a user makes keys there: a key blob (its content does not matter
    to this page, only that the organisation's keys are in the browser)."""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        session.add(
            PortaalSleutelblob(
                oin=oin_van(wie), onderwerp="dev:Bea Browser", blob="{}", aangemaakt_op=nu, gewijzigd_op=nu
            )
        )


def test_ontvangen_zegt_waar_de_namen_van_clienten_staan_bij_sleutels_in_de_browser(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """#14: the server cannot decrypt the client names of a participant whose keys are in the
    browser; the list says so truthfully and links to where they are shown (the werkplek's download
    table and its Cliënten part) — no names, and no bare traject references in their place."""
    inloggen(portaal, "energie")
    gehost = portaal.get("/portaal/ontvangen").text
    assert 'id="clienten-op-werkplek"' not in gehost  # hosted keys: the page as it was
    assert "Download alle" in gehost
    _sleutels_in_de_browser(rt, "energie")
    pagina = portaal.get("/portaal/ontvangen")
    assert pagina.status_code == 200
    notitie = pagina.text.split('id="clienten-op-werkplek"', 1)[1].split("</div>", 1)[0]
    assert "het knooppunt kan ze niet lezen" in notitie
    assert 'href="/portaal/sleutels#downloaden"' in notitie and 'href="/portaal/sleutels#clienten"' in notitie
    # The demo's clients are named in these messages' payloads: none of them on this page, and no
    # traject reference (conversation) in their place either.
    tabel = pagina.text.split('id="kop-berichten"', 1)[1].split('id="kop-meldingen"', 1)[0]
    open_ = berichten_aan(rt, "energie")
    assert len(open_) == 6 and tabel.count("<tr>") == 6 + 1
    for bericht in open_:
        assert bericht.conversatie_referentienummer[:8] not in tabel
    for _, _, voornaam, _, achternaam in KLANTEN:
        assert voornaam not in pagina.text and achternaam not in pagina.text


def test_ontvangen_zonder_berichten_noemt_de_werkplek_ook(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    inloggen(portaal, "energie")
    _sleutels_in_de_browser(rt, "energie")
    with transactie(rt.sessions) as session:
        for bericht in session.scalars(select(Bericht).where(Bericht.ontvanger == oin_van("energie"))):
            bericht.status = "bevestigd"
    pagina = portaal.get("/portaal/ontvangen").text
    assert "Er staan geen berichten klaar." in pagina
    assert 'id="clienten-op-werkplek"' in pagina


@pytest.mark.parametrize(
    ("wie", "menu", "pad", "post", "werkplek"),
    [
        ("gemeente", "Nieuw bericht", "/portaal/opstellen", "/portaal/opstellen/inhoud", "opstellen"),
        ("energie", "Antwoorden uploaden", "/portaal/upload", "/portaal/upload", "uploaden"),
    ],
)
def test_met_sleutels_in_de_browser_stelt_u_op_en_uploadt_u_op_de_werkplek(
    portaal: TestClient, demo: object, rt: Runtime, wie: str, menu: str, pad: str, post: str, werkplek: str
) -> None:
    """#14 (DESIGN §5 "Portal": no plaintext reaches the server): an organisation with keys in the
    browser was offered the server-side compose and upload; what the user typed or chose was posted
    to the server and refused with advice to have the beheerder register a key there (independent
    newcomer probe). Now the menu and those pages lead to the werkplek before any form is shown,
    and a post that arrives anyway is refused unread, saying where to go."""
    inloggen(portaal, wie)
    assert f'href="{pad}"' in portaal.get("/portaal/").text  # hosted keys: the server's pages
    _sleutels_in_de_browser(rt, wie)
    start = portaal.get("/portaal/").text
    assert f'href="/portaal/sleutels#{werkplek}"' in start and f'href="{pad}"' not in start
    assert menu in start
    r = portaal.get(pad, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/portaal/sleutels#{werkplek}")
    if pad == "/portaal/opstellen":
        r = portaal.get("/portaal/opstellen/inhoud?berichttype=saldoverzoek_nuts", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/portaal/sleutels")
    voor = _aantal_berichten(rt)
    r = portaal.post(post, data={"csrf": csrf_van(start), "veld.klant.achternaam": "Jansen"})
    assert r.status_code == 409, r.text
    assert "doet u op de werkplek" in r.text and "Het portaal heeft niets verstuurd" in r.text
    assert _aantal_berichten(rt) == voor


def _aantal_berichten(rt: Runtime) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Bericht)) or 0)


def test_een_onbruikbare_dagsleutel_geeft_een_nederlandse_503_en_verandert_niets(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node whose configuration lacks the master key a day key is wrapped under (DESIGN §5
    "Deletion means gone, even from backups"; docs/operations.md "Dagsleutels"): the portal says it
    cannot open stored messages now, in Dutch, 503 — not a 500 — and nothing is marked fetched."""
    from knooppunt.store.dagsleutels import Dagsleutels, SleutelFout

    inloggen(portaal, "energie")
    ref = berichten_aan(rt, "energie")[0].referentienummer

    def onbruikbaar(*_: Any, **__: Any) -> str | None:
        raise SleutelFout("de dagsleutel van 2026-12-07 is verpakt onder hoofdsleutel 'oud'")

    monkeypatch.setattr(Dagsleutels, "open_", onbruikbaar)
    pagina = portaal.get(f"/portaal/ontvangen/{ref}")
    assert pagina.status_code == 503
    assert "Tijdelijk niet beschikbaar" in pagina.text and "er is niets gewijzigd" in pagina.text
    assert "hoofdsleutel" not in pagina.text  # the reason is for the operator's log
    assert berichten_aan(rt, "energie", referentienummer=ref)[0].status == "aangeboden"
