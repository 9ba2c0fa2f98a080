"""An independent check of DESIGN §7's download zip and CSV upload contract (art. 16–18), as a
creditor's clerk and an outside tester would check them, written from DESIGN.md alone. Each test
quotes the sentence it checks. What tests/portaal/test_ontvangen.py, test_upload.py,
test_upload_idempotent.py and test_werkplek.py already check is not repeated here; this file holds
the statements they leave out or check less strictly than DESIGN words them (the zip's items a–i
together, every saldoverzoek variant, each formula character, the deadline per row, expiry before
the sweep, the 4 MiB boundary, a bad file beside good ones, the dry run of a whole batch, nothing of
an upload stored anywhere, the numbers' bits, verzendingen of 1,000)."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.hub import mailbox
from knooppunt.jobs import verlopen as verlopen_job
from knooppunt.portaal.gastclient import TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.weergave import AMSTERDAM, tijdstip
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Base, Bericht, BerichtInhoud, PortaalUploadgeheim
from tests.portaal.conftest import formulier, inloggen, oin_van
from tests.portaal.test_ontvangen import berichten_aan, bevestig, client_van, csv_rijen, download
from tests.portaal.test_upload import als_csv, fouten, saldo, saldoverzoeken, upload, verstuurd_door

__all__ = ["saldoverzoeken"]  # the fixture

SR = "schuldregeling"
MIB = 1024 * 1024
BOM = b"\xef\xbb\xbf"

# DESIGN §7 / art. 17.1: the items of the zip, each a CSV of its own.
ITEMS = {
    "a": ("kennisgeving",),
    "b": ("kennisgeving_bsn",),
    "c": ("saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"),
    "d": ("betaalvoorstel",),
    "e": ("reminder",),
    "f": ("statusbericht",),
    "g": ("schuldregeling_geaccordeerd",),
    "h": ("schuldregeling_beeindigd",),
    "i": ("foutbericht",),
}
HANDBOEKNAMEN = {
    "kennisgeving": "Klant gemeld voor SHV",
    "kennisgeving_bsn": "Klant (BSN) gemeld voor SHV",
    "saldoverzoek": "Saldoverzoek",
    "saldoverzoek_nuts": "Saldoverzoek nuts",
    "saldoverzoek_publiek": "Saldoverzoek publiek",
    "saldoverzoek_zorg": "Saldoverzoek zorg",
    "betaalvoorstel": "Betaalvoorstel",
    "reminder": "Reminderbericht",
    "statusbericht": "Statusbericht",
    "schuldregeling_geaccordeerd": "Schuldregeling geaccordeerd",
    "schuldregeling_beeindigd": "Schuldregeling beëindigd",
}
ENVELOP = ["referentienummer", "conversatieReferentienummer", "crossReferentienummer", "berichttype"]


def _kop(zip_: zipfile.ZipFile, naam: str) -> list[str]:
    return next(csv.reader(io.StringIO(zip_.read(naam).decode("utf-8-sig"), newline=""), delimiter=";"))


def _sjabloonkolommen(portaal: TestClient, naam: str) -> list[str]:
    """The columns of an upload template, as the upload page offers it (the public contract of what
    the upload reads)."""
    pagina = portaal.get("/portaal/upload").text
    assert f"/portaal/upload/sjabloon/{naam}" in pagina, naam
    sjabloon = portaal.get(f"/portaal/upload/sjabloon/{naam}")
    assert sjabloon.status_code == 200
    return sjabloon.content.decode("utf-8-sig").strip().split(";")


def _conversaties(rt: Runtime, wie: str) -> list[str]:
    """The demo's conversations of the gemeente with this creditor, oldest first."""
    return list(dict.fromkeys(b.conversatie_referentienummer for b in berichten_aan(rt, wie)))


def _stuur(
    rt: Runtime, kluis: Kluis, van: str, naar: str, berichttype: str, conversatie: str, **kw: Any
) -> str:
    payload = kw.pop("payload", None) or voorbeeld(SR, berichttype)
    verstuurd = client_van(rt, kluis, van).verstuur(
        TeVersturen(oin_van(naar), berichttype, payload, conversatie, **kw)
    )
    return verstuurd.bericht.referentienummer


# --- the zip (17.1) -----------------------------------------------------------------------------------


def test_17_1_the_zip_has_a_csv_per_item_a_to_i_a_readable_copy_per_message_and_no_receipt(
    portaal: TestClient, nieuwe_browser: Callable[[], TestClient], demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """DESIGN §7: "downloads messages as a zip (17.1: a kennisgeving, b kennisgeving_bsn, c
    saldoverzoek in all variants, d betaalvoorstel, e reminder, f statusbericht, g
    schuldregeling_geaccordeerd, h schuldregeling_beeindigd, i foutbericht; receipts are shown in
    the portal, not zipped) — per message type a CSV (`;`, UTF-8 with BOM ...) with the question
    columns and, for types that are answered, empty answer columns, plus a readable copy per
    message". One creditor receives every item but b (the hub sends a kennisgeving_bsn only to a
    creditor that uses the BSN, so b is checked with Demo Belastingen): every item is its own CSV,
    each message is one row of the CSV of its item and nowhere else, with its own readable copy;
    only the kennisgevingen, saldoverzoeken and betaalvoorstellen carry (empty) answer columns (§3:
    `kennisgeving_antwoord` and `klant_onbekend` answer a kennisgeving); the receipt that
    waits in the same inbox is shown on the page and is nowhere in the zip; LEESMIJ names each CSV
    with its item."""
    een, twee = _conversaties(rt, "energie")[:2]
    saldovraag = berichten_aan(
        rt, "energie", berichttype="saldoverzoek_nuts", conversatie_referentienummer=een
    )
    verwacht: dict[str, set[str]] = {"kennisgeving": set(), "saldoverzoek_nuts": set()}
    for b in berichten_aan(rt, "energie"):
        verwacht[b.berichttype].add(b.referentienummer)
    verwacht["betaalvoorstel"] = {_stuur(rt, kluis, "gemeente", "energie", "betaalvoorstel", een)}
    verwacht["reminder"] = {
        _stuur(rt, kluis, "gemeente", "energie", "reminder", een, antwoord_op=saldovraag[0].referentienummer)
    }
    verwacht["statusbericht"] = {_stuur(rt, kluis, "gemeente", "energie", "statusbericht", een)}
    verwacht["schuldregeling_beeindigd"] = {
        _stuur(rt, kluis, "gemeente", "energie", "schuldregeling_beeindigd", een)
    }
    # g: after energie accepted a betaalvoorstel in the second conversation; the gemeente confirms
    # that answer, so a receipt waits for energie too.
    voorstel = _stuur(rt, kluis, "gemeente", "energie", "betaalvoorstel", twee)
    akkoord = _stuur(rt, kluis, "energie", "gemeente", "betaalvoorstel_akkoord", twee, antwoord_op=voorstel)
    client_van(rt, kluis, "gemeente").bevestig([akkoord])
    verwacht["schuldregeling_geaccordeerd"] = {
        _stuur(rt, kluis, "gemeente", "energie", "schuldregeling_geaccordeerd", twee)
    }
    # i: a statusverzoek of energie's refused by the gemeente -> a foutbericht from the hub
    verzoek = _stuur(rt, kluis, "energie", "gemeente", "statusverzoek", een)
    client_van(rt, kluis, "gemeente").weiger(verzoek, "INHOUD_ONGELDIG")
    [fout] = berichten_aan(rt, "energie", berichttype="foutbericht")
    verwacht["foutbericht"] = {fout.referentienummer}
    [bon] = berichten_aan(rt, "energie", berichttype="ontvangstbevestiging")

    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/ontvangen").text
    assert "Meldingen van het knooppunt" in pagina and "Bevestigd" in pagina.split('id="kop-meldingen"')[1]
    zip_ = download(portaal)
    bestanden = [n for n in zip_.namelist() if n.endswith(".csv")]
    items: dict[str, str] = {}
    for naam in bestanden:
        ruw = zip_.read(naam)
        assert ruw.startswith(BOM), naam
        assert ruw[3:].split(b"\r\n", 1)[0].count(b";") > 3, f"{naam}: not ;-separated"
        kop = _kop(zip_, naam)
        envelop = kop[: kop.index("afzender")]
        assert envelop[:3] == ENVELOP[:3] and ENVELOP[3] in envelop, naam
        typen = {r["berichttype"] for r in csv_rijen(zip_, naam)}
        [item] = [letter for letter, soorten in ITEMS.items() if typen <= set(soorten)]
        assert item not in items.values(), f"item {item} split over two files"
        items[naam] = item
        antwoordkolommen = [k for k in kop if k.startswith("antwoord.")]
        if item in ("a", "c", "d"):
            assert antwoordkolommen, f"{naam}: a question of item {item} is answered"
            assert all(r[k] == "" for r in csv_rijen(zip_, naam) for k in antwoordkolommen)
        else:
            assert not antwoordkolommen, f"{naam}: item {item} is not answered"
    assert sorted(items.values()) == ["a", "c", "d", "e", "f", "g", "h", "i"]

    gezien: dict[str, set[str]] = {}
    for naam in bestanden:
        for rij in csv_rijen(zip_, naam):
            gezien.setdefault(rij["berichttype"], set()).add(rij["referentienummer"])
    assert gezien == verwacht
    alles = b"".join(zip_.read(n) for n in zip_.namelist())
    assert bon.referentienummer.encode() not in alles and b"ontvangstbevestiging" not in alles

    kopieen = sorted(n for n in zip_.namelist() if n.startswith("leesbaar/"))
    assert kopieen == sorted(f"leesbaar/{t}-{r}.html" for t, refs in verwacht.items() for r in refs)
    for berichttype, refs in verwacht.items():
        for ref in refs:
            html = zip_.read(f"leesbaar/{berichttype}-{ref}.html").decode()
            assert ref in html
            if berichttype in HANDBOEKNAMEN:
                assert f"<h1>{HANDBOEKNAMEN[berichttype]}</h1>" in html, berichttype
                assert berichttype not in re.sub(r"<[^>]*>", "", html).replace(ref, ""), "an internal code"

    leesmij = " ".join(zip_.read("LEESMIJ.txt").decode("utf-8-sig").split())
    for naam, item in items.items():
        assert re.search(rf"{re.escape(naam)}: \d+ x (?:(?!\.csv:).)*?\(17\.1{item}\)", leesmij), (naam, item)

    belasting = inloggen(nieuwe_browser(), "belasting")
    bsn_zip = download(belasting)
    kennisgevingen = [
        n
        for n in bsn_zip.namelist()
        if n.endswith(".csv") and "kennisgeving_bsn" in bsn_zip.read(n).decode("utf-8-sig")
    ]
    [naam] = kennisgevingen
    assert {r["berichttype"] for r in csv_rijen(bsn_zip, naam)} == {"kennisgeving_bsn"}
    antwoordkolommen = [k for k in _kop(bsn_zip, naam) if k.startswith("antwoord.")]
    assert antwoordkolommen and all(r[k] == "" for r in csv_rijen(bsn_zip, naam) for k in antwoordkolommen)
    assert naam not in items, "b is a CSV of its own, not a's"
    leesmij = " ".join(bsn_zip.read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert re.search(rf"{re.escape(naam)}: 3 x (?:(?!\.csv:).)*?\(17\.1b\)", leesmij)


@pytest.mark.parametrize(
    ("wie", "variant"),
    [
        ("energie", "saldoverzoek_nuts"),
        ("zorg", "saldoverzoek_zorg"),
        ("belasting", "saldoverzoek_publiek"),
        ("woning", "saldoverzoek"),
    ],
)
def test_17_1c_every_saldoverzoek_variant_comes_with_the_empty_answer_columns_the_upload_reads(
    portaal: TestClient, demo: object, rt: Runtime, wie: str, variant: str
) -> None:
    """DESIGN §7: "c saldoverzoek in all variants ... for types that are answered, empty answer
    columns". Each variant (plain, nuts, publiek, zorg) is in the saldoverzoeken CSV with every
    answer column of the upload's saldoverzoek template, empty, on every row — not only the nuts
    variant."""
    open_ = {
        b.referentienummer for b in berichten_aan(rt, wie, berichttype=variant) if b.status == "aangeboden"
    }
    assert open_, f"the demo sends {wie} a {variant}"
    inloggen(portaal, wie)
    antwoord = [
        k for k in _sjabloonkolommen(portaal, "saldoverzoek-antwoorden.csv") if k.startswith("antwoord.")
    ]
    assert "antwoord.saldoverzoek" in antwoord
    zip_ = download(portaal, sorted(open_))
    [naam] = [n for n in zip_.namelist() if n.endswith(".csv")]
    kop = _kop(zip_, naam)
    assert kop[-len(antwoord) :] == antwoord, "the answer columns, after the question's"
    rijen = csv_rijen(zip_, naam)
    assert {r["referentienummer"] for r in rijen} == open_
    assert {r["berichttype"] for r in rijen} == {variant}
    for rij in rijen:
        assert all(rij[k] == "" for k in antwoord)
        assert rij["klantnummerSHV"], "the question's own columns are filled"


def test_17_1a_a_kennisgeving_is_answered_so_its_csv_has_empty_answer_columns(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """DESIGN §7: "per message type a CSV ... with the question columns and, for types that are
    answered, empty answer columns"; §3: `kennisgeving_antwoord` and `klant_onbekend` answer
    `kennisgeving*` (art. 4.1, 8.1); §7 "Every module": the creditor "uploads answers for every type
    it answers". The kennisgevingen CSV of schuldregeling 1.0 has empty answer columns, as its 2.0
    counterpart does."""
    inloggen(portaal, "energie")
    refs = [b.referentienummer for b in berichten_aan(rt, "energie", berichttype="kennisgeving")]
    zip_ = download(portaal, refs)
    [naam] = [n for n in zip_.namelist() if n.endswith(".csv")]
    antwoord = [k for k in _kop(zip_, naam) if k.startswith("antwoord.")]
    assert antwoord
    assert all(r[k] == "" for r in csv_rijen(zip_, naam) for k in antwoord)


def _kennisgevingen(
    portaal: TestClient, rt: Runtime, wie: str = "energie"
) -> tuple[list[str], list[dict[str, str]]]:
    """The creditor's kennisgevingen CSV of 1.0 as downloaded: its header and rows."""
    berichttype = "kennisgeving_bsn" if wie == "belasting" else "kennisgeving"
    refs = [b.referentienummer for b in berichten_aan(rt, wie, berichttype=berichttype)]
    assert len(refs) >= 2, f"the demo sends {wie} kennisgevingen"
    inloggen(portaal, wie)
    zip_ = download(portaal, refs)
    [naam] = [n for n in zip_.namelist() if n.endswith(".csv")]
    assert naam == f"{'kennisgevingen_bsn' if wie == 'belasting' else 'kennisgevingen'}.csv"
    return _kop(zip_, naam), csv_rijen(zip_, naam)


@pytest.mark.parametrize("wie", ["energie", "belasting"])
def test_17_1ab_a_kennisgeving_is_answered_by_uploading_the_downloaded_file(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis, wie: str
) -> None:
    """DESIGN §3: `kennisgeving_antwoord` and `klant_onbekend` answer `kennisgeving*` (4.1, 8.1); §7:
    the creditor "uploads answers for every type it answers" and "a re-uploaded file ... sends nothing
    twice: an answer's `referentienummer` is a UUIDv8 made from an HMAC". The kennisgevingen CSV of
    1.0 (a, and b for a creditor that uses the BSN), its answer columns filled in — one row *Klant
    gemeld voor SHV antwoord*, one *Klant onbekend* — and uploaded: the SHV opens both answers, in
    version 1.0, each answering its own kennisgeving in its conversation, numbered UUIDv8; the same
    file again sends nothing."""
    kop, rijen = _kennisgevingen(portaal, rt, wie)
    een, twee = rijen[:2]
    assert (een["module"], een["versie"]) == (SR, "1.0")
    ingevuld = [
        {**een, "antwoord.berichttype": "Klant gemeld voor SHV antwoord", "antwoord.klantnummerSE": "KL-77"},
        {
            **twee,
            "antwoord.berichttype": "Klant onbekend",
            "antwoord.reden.code": "ONBEKEND",
            "antwoord.reden.tekst": "Geen klant van ons",
        },
        *rijen[2:],  # no answer: skipped
    ]
    bestand = als_csv(ingevuld, kop)
    pagina = upload(portaal, (f"{wie}.csv", bestand))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text

    ontvangen = {
        o.envelop["crossReferentienummer"]: o
        for o in client_van(rt, kluis, "gemeente").haal_op(waarvoor="test")
        if o.afzender == oin_van(wie)
    }
    assert set(ontvangen) == {een["referentienummer"], twee["referentienummer"]}
    ja, onbekend = ontvangen[een["referentienummer"]], ontvangen[twee["referentienummer"]]
    assert (ja.berichttype, onbekend.berichttype) == ("kennisgeving_antwoord", "klant_onbekend")
    for antwoord, vraag in ((ja, een), (onbekend, twee)):
        assert antwoord.fout is None and antwoord.payload is not None
        assert (antwoord.envelop["module"], antwoord.envelop["versie"]) == (SR, "1.0")
        assert antwoord.envelop["conversatieReferentienummer"] == vraag["conversatieReferentienummer"]
        assert _is_uuid8(antwoord.referentienummer)
    assert ja.payload is not None and ja.payload["klantnummerSE"] == "KL-77"
    assert ja.payload["klantnummerSHV"] == een["klantnummerSHV"]
    assert onbekend.payload is not None and onbekend.payload["reden"] == {
        "code": "ONBEKEND",
        "tekst": "Geen klant van ons",
    }
    voor = verstuurd_door(rt, wie)
    assert voor == 2
    opnieuw = upload(portaal, ("nogmaals.csv", bestand))
    assert opnieuw.status_code == 200 and "Er is niets verstuurd" in opnieuw.text
    assert verstuurd_door(rt, wie) == voor


def test_18_3c_a_wrong_kennisgeving_answer_stops_the_whole_upload_with_its_row_and_column(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: "if any row of any file fails nothing is submitted (18.3c) — every error shown by
    file, row and column", with the hub's dry run. A good saldoverzoek answer file beside a
    kennisgevingen file with one good row, one row whose answer is not an answer to a kennisgeving
    and one that names a message that was not sent to this creditor: both errors are listed with
    their file, row and column, and nothing of any file is sent."""
    saldo_kop, saldo_rijen = saldoverzoeken
    kop, rijen = _kennisgevingen(portaal, rt)
    goed = {**rijen[0], "antwoord.berichttype": "kennisgeving_antwoord", "antwoord.klantnummerSE": "K-1"}
    fout = {**rijen[1], "antwoord.berichttype": "Betaalvoorstel akkoord", "antwoord.klantnummerSE": "K-2"}
    vreemd = {**goed, "referentienummer": str(uuid.uuid4())}
    pagina = upload(
        portaal,
        ("saldo.csv", _een_antwoord(saldo_rijen, saldo_kop)),
        ("kennisgevingen.csv", als_csv([goed, fout], kop)),
    )
    assert pagina.status_code == 422
    [(bestand, rij, kolom, reden)] = fouten(pagina.text)
    assert (bestand, rij, kolom.split(" ")[0]) == ("kennisgevingen.csv", "3", "antwoord.berichttype")
    assert "Klant onbekend" in reden
    assert verstuurd_door(rt, "energie") == 0

    pagina = upload(
        portaal,
        ("saldo.csv", _een_antwoord(saldo_rijen, saldo_kop)),
        ("kennisgevingen.csv", als_csv([goed, vreemd], kop)),
    )
    assert pagina.status_code == 422
    [(bestand, rij, kolom, reden)] = fouten(pagina.text)
    assert (bestand, rij, kolom.split(" ")[0]) == ("kennisgevingen.csv", "3", "referentienummer")
    assert verstuurd_door(rt, "energie") == 0


FORMULES = {
    "=": '=HYPERLINK("http://x.example")',
    "+": "+31 30 999 0000",
    "-": "-2+3",
    "@": "@SUM(A1)",
}


def test_17_1_a_cell_starting_with_each_formula_character_gets_a_leading_quote_in_every_csv(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """DESIGN §7: "cells starting with `= + - @` get a leading `'`". Each of the four characters, at
    the very start of a cell, in the CSV of a saldoverzoek, a kennisgeving and a betaalvoorstel (not
    only in one file): the cell is written with one `'` before it and the rest unchanged; a cell with
    the same character further on, and an ordinary cell, are written as they are."""
    een = _conversaties(rt, "energie")[0]
    refs = []
    for teken, waarde in FORMULES.items():
        for berichttype in ("saldoverzoek_nuts", "kennisgeving", "betaalvoorstel"):
            payload = voorbeeld(SR, berichttype)
            payload["klantnummerSHV"] = f"K{teken}"  # which row is which
            payload["klant"]["achternaam"] = waarde
            payload["contactpersoonSHV"]["naam"] = f"A{teken}B"  # the character further on
            refs.append(_stuur(rt, kluis, "gemeente", "energie", berichttype, een, payload=payload))
    inloggen(portaal, "energie")
    zip_ = download(portaal, refs)
    bestanden = [n for n in zip_.namelist() if n.endswith(".csv")]
    assert len(bestanden) == 3
    for naam in bestanden:
        rijen = {r["klantnummerSHV"]: r for r in csv_rijen(zip_, naam)}
        for teken, waarde in FORMULES.items():
            rij = rijen[f"K{teken}"]
            assert rij["klant.achternaam"] == "'" + waarde, (naam, teken)
            assert rij["contactpersoonSHV.naam"] == f"A{teken}B", (naam, teken)
            assert rij["klant.voornamen"] == voorbeeld(SR, "kennisgeving")["klant"]["voornamen"]
        ruw = zip_.read(naam).decode("utf-8-sig")
        for waarde in FORMULES.values():
            # no cell in the file starts with the formula itself (quoted or not)
            assert not re.search(r'(^|;|\r\n)"?' + re.escape(waarde[0]) + re.escape(waarde[1:4]), ruw), naam


@pytest.mark.parametrize("begin", ["\t", "\r"], ids=["tab", "cr"])
def test_17_1_a_cell_starting_with_a_tab_or_carriage_return_is_neutralised_too(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis, begin: str
) -> None:
    """DESIGN §7: "cells starting with `= + - @` get a leading `'`" — OWASP's CSV-injection advice
    adds the tab and the carriage return, which spreadsheets skip before a formula. Such a cell is
    written with the leading `'` as well, and the file still reads as one row per message."""
    een = _conversaties(rt, "energie")[0]
    payload = voorbeeld(SR, "saldoverzoek_nuts")
    payload["klant"]["achternaam"] = begin + "=1+2"
    ref = _stuur(rt, kluis, "gemeente", "energie", "saldoverzoek_nuts", een, payload=payload)
    inloggen(portaal, "energie")
    [rij] = csv_rijen(download(portaal, [ref]), "saldoverzoeken.csv")
    assert rij["klant.achternaam"] == "'" + begin + "=1+2"
    assert rij["referentienummer"] == ref


@pytest.fixture
def ander_rt(rt: Runtime) -> Runtime:
    """The runtime on the same database with terms other than the defaults (DESIGN §6: "Term
    lengths and extra closing days are configuration")."""
    settings = rt.settings.model_copy(
        update={
            "bevestigingstermijn_werkdagen": 6,
            "antwoordtermijn_werkdagen": 7,
            "antwoordtermijn_2_werkdagen": 9,
        }
    )
    return dataclasses.replace(rt, settings=settings, instellingen=runtime_mod.instellingen_uit(settings))


def test_17_3_the_leesmij_names_the_terms_this_hub_applies(ander_rt: Runtime, demo: object) -> None:
    """DESIGN §7: the zip holds a LEESMIJ and the creditor "sees until when it can still confirm
    (17.3)"; §6: term lengths are configuration. The LEESMIJ that explains when a message expires
    and when an answer is due names the terms this hub applies (here 6 working days to confirm, 7
    to answer in 1.0 and 9 in 2.0), not the defaults."""
    with TestClient(create_app(ander_rt), base_url="https://testserver", follow_redirects=False) as browser:
        inloggen(browser, "energie")
        leesmij = " ".join(download(browser).read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert "binnen 6 werkdagen na ontvangst" in leesmij
    assert "binnen 7 werkdagen na het bevestigen" in leesmij
    assert "2.0 en in de andere modules binnen 9 werkdagen" in leesmij
    assert "5 werkdagen" not in leesmij and "10 werkdagen" not in leesmij


def test_17_3_the_leesmij_names_a_modules_own_answer_term(portaal: TestClient, demo: object) -> None:
    """DESIGN §3a/§3b: a module may set its own answer term. The LEESMIJ names it for a question of
    such a module in the download (the pauzeknop's kennisgeving: 10 working days), and names no
    such term for a download without one."""
    inloggen(portaal, "incasso")
    leesmij = " ".join(download(portaal).read("LEESMIJ.txt").decode("utf-8-sig").split())
    assert "Kennisgeving (pauze) (Landelijke pauzeknop 2.0): binnen 10 werkdagen" in leesmij
    inloggen(portaal, "energie")
    assert "Eigen termijnen" not in download(portaal).read("LEESMIJ.txt").decode("utf-8-sig")


# --- until when (17.3), again (17.4), expired (17.5) ------------------------------------------------


def _rij_van(pagina: str, ref: str) -> str:
    """The table row of the inbox page that lists this message."""
    for rij in re.findall(r"<tr>(.*?)</tr>", pagina, re.S):
        if f'value="{ref}"' in rij:
            return str(rij)
    raise AssertionError(f"{ref} is not listed")


def test_17_3_every_message_shows_its_own_moment_until_which_it_can_be_confirmed(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """DESIGN §7: "sees until when it can still confirm (17.3)". Each message's own term, in its own
    row of the list (before and after downloading), and exactly that moment in the verlooptOp
    column of the CSV — not one date for all, not rounded to the day."""
    open_ = berichten_aan(rt, "energie")
    with transactie(rt.sessions) as session:
        basis = db_nu(session).replace(microsecond=0) + timedelta(days=2)
        termijnen = {}
        for i, bericht in enumerate(open_):
            termijnen[bericht.referentienummer] = basis + timedelta(days=i, hours=i, minutes=7 * i, seconds=i)
            session.execute(
                update(Bericht)
                .where(Bericht.id == bericht.id)
                .values(verloopt_op=termijnen[bericht.referentienummer])
            )
    inloggen(portaal, "energie")
    for _ in range(2):  # new, then downloaded
        pagina = portaal.get("/portaal/ontvangen").text
        for ref, termijn in termijnen.items():
            rij = _rij_van(pagina, ref)
            assert tijdstip(termijn) in rij, ref
            anderen = [tijdstip(t) for r, t in termijnen.items() if r != ref]
            assert not any(t in rij for t in anderen), ref
        zip_ = download(portaal)
    gezien = {
        r["referentienummer"]: r["verlooptOp"]
        for n in zip_.namelist()
        if n.endswith(".csv")
        for r in csv_rijen(zip_, n)
    }
    assert gezien == {r: t.astimezone(AMSTERDAM).isoformat(timespec="seconds") for r, t in termijnen.items()}


def test_17_4_download_all_again_gives_the_downloaded_messages_again(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """DESIGN §7: "may download again while not confirmed and not expired (17.4)" — with 'Download
    alle' as well: a second download of everything gives the already downloaded messages again,
    with the same rows."""
    inloggen(portaal, "energie")
    eerste = download(portaal)
    assert {b.status for b in berichten_aan(rt, "energie")} == {"opgehaald"}
    tweede = download(portaal)
    assert eerste.namelist() == tweede.namelist()
    for naam in eerste.namelist():
        if naam.endswith(".csv"):
            assert csv_rijen(eerste, naam) == csv_rijen(tweede, naam)


def test_17_4_a_message_past_its_term_is_not_downloaded_again_even_before_the_expiry_job_ran(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """DESIGN §7: "may download again while not confirmed and not expired (17.4)". A downloaded
    message whose term has passed is expired, whether or not the expiry job has run yet: it is no
    longer listed, not in 'Download alle', not given when chosen, and cannot be confirmed."""
    inloggen(portaal, "energie")
    download(portaal)
    vraag = berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")[0]
    ref = vraag.referentienummer
    with transactie(rt.sessions) as session:
        voorbij = db_nu(session) - timedelta(minutes=1)
        session.execute(update(Bericht).where(Bericht.id == vraag.id).values(verloopt_op=voorbij))
    assert berichten_aan(rt, "energie", referentienummer=ref)[0].status == "opgehaald"  # not swept

    pagina = portaal.get("/portaal/ontvangen").text
    assert ref not in pagina
    zip_ = download(portaal)
    assert not any(ref in zip_.read(n).decode("utf-8-sig") for n in zip_.namelist()), "in 'Download alle'"
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    gekozen = portaal.post(
        "/portaal/ontvangen/download", data={"csrf": csrf, "actie": "geselecteerd", "ref": [ref]}
    )
    assert gekozen.status_code == 400 and gekozen.headers["content-type"].startswith("text/html")
    assert "niet meer klaar" in gekozen.text
    bevestigd = bevestig(portaal, [ref])
    assert "U hebt 1 bericht bevestigd" not in bevestigd.text
    assert berichten_aan(rt, "energie", referentienummer=ref)[0].status != "bevestigd"


def test_17_5_the_expiry_job_deletes_expired_messages_and_the_sender_sees_it_in_the_portal(
    portaal: TestClient, nieuwe_browser: Callable[[], TestClient], demo: object, rt: Runtime
) -> None:
    """DESIGN §7: "expired messages disappear and the sender is told (17.5)" (the handbook: "wordt
    deze verwijderd van het Schuldenknooppunt"). After the expiry job: the creditor's list is empty
    and nothing can be downloaded, the messages' content is gone from the hub, and the debt
    counsellor, logged in to the portal, reads per message that it expired unconfirmed."""
    open_ = berichten_aan(rt, "energie")
    later = max(b.verloopt_op for b in open_) + timedelta(seconds=1)
    verlopen_job.verloop_alles(rt.sessions, nu=later, instellingen=rt.instellingen)

    inloggen(portaal, "energie")
    assert "Er staan geen berichten klaar." in portaal.get("/portaal/ontvangen").text
    csrf, _ = formulier(portaal, "/portaal/ontvangen")
    alle = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf, "actie": "alle"})
    assert alle.status_code == 400 and alle.headers["content-type"].startswith("text/html")
    with transactie(rt.sessions) as session:
        inhoud = session.scalars(
            select(BerichtInhoud.bericht_id).where(BerichtInhoud.bericht_id.in_([b.id for b in open_]))
        ).all()
    assert inhoud == [], "the content of expired messages is deleted from the hub"
    assert {b.status for b in berichten_aan(rt, "energie")} == {"verlopen"}

    gemeente = inloggen(nieuwe_browser(), "gemeente")
    meldingen = gemeente.get("/portaal/ontvangen").text.split('id="kop-meldingen"', 1)[1]
    tekst = " ".join(re.sub(r"<[^>]+>", " ", meldingen).split())
    for naam in ("Saldoverzoek nuts", "Klant gemeld voor SHV"):
        zin = f"{naam} aan Demo Energie BV is niet binnen de bevestigingstermijn bevestigd en is verlopen"
        assert tekst.count(zin) == 3, naam


# --- uploads: only .csv, at most 4 MiB each (18.3a, 18.3b) -----------------------------------------


def _een_antwoord(rijen: list[dict[str, str]], kop: list[str], bedrag: str = "100") -> bytes:
    return als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": bedrag})], kop)


@pytest.mark.parametrize(
    "naam", ["saldoverzoeken.txt", "saldoverzoeken.csv.txt", "saldoverzoeken", "saldoverzoeken.csvx"]
)
def test_18_3a_a_good_csv_under_another_extension_is_refused(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime, naam: str
) -> None:
    """DESIGN §7: "only `.csv` files" (art. 18.3a: "Alleen csv bestanden met csv-extentie"). A file
    whose content is a well-formed answer file but whose name does not end in .csv is refused, the
    error names that file, and nothing is sent."""
    kop, rijen = saldoverzoeken
    pagina = upload(portaal, (naam, _een_antwoord(rijen, kop)))
    assert pagina.status_code == 422
    [(bestand, _rij, _kolom, reden)] = fouten(pagina.text)
    assert bestand == naam and ".csv" in reden
    assert verstuurd_door(rt, "energie") == 0


def _precies(kop: list[str], rijen: list[dict[str, str]], grootte: int) -> bytes:
    """A saldoverzoek answer file of exactly `grootte` bytes: one answer, then rows without an
    answer (skipped) to fill it up."""
    begin = _een_antwoord(rijen, kop)
    rest = grootte - len(begin)
    regel = b"x" * 998 + b"\r\n"
    opvulling = regel * (rest // len(regel) - 1)
    laatste = rest - len(opvulling)
    assert laatste >= len(regel)
    bestand = begin + opvulling + b"x" * (laatste - 2) + b"\r\n"
    assert len(bestand) == grootte
    return bestand


def test_18_3b_a_file_of_exactly_4_mib_is_accepted(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: "at most 4 MiB each". A file of exactly 4 MiB (4,194,304 bytes) is within the
    limit: read, and its answer sent."""
    kop, rijen = saldoverzoeken
    pagina = upload(portaal, ("precies-4-mib.csv", _precies(kop, rijen, 4 * MIB)))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    assert verstuurd_door(rt, "energie") == 1


def test_18_3b_a_file_of_4_mib_and_one_byte_is_refused_and_nothing_is_sent(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: "at most 4 MiB each". One byte more than 4 MiB is refused for its size (art.
    18.3b), and its answer is not sent."""
    kop, rijen = saldoverzoeken
    pagina = upload(portaal, ("te-groot.csv", _precies(kop, rijen, 4 * MIB + 1)))
    assert pagina.status_code == 422
    [(bestand, _rij, _kolom, reden)] = fouten(pagina.text)
    assert bestand == "te-groot.csv" and "18.3b" in reden
    assert verstuurd_door(rt, "energie") == 0


# --- all or nothing, every error by file, row and column (18.3c) --------------------------------------


@pytest.mark.parametrize("slecht", ["extensie", "grootte", "formaat"])
def test_18_3c_one_refused_file_beside_good_ones_sends_nothing_of_any(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime, slecht: str
) -> None:
    """DESIGN §7: "if any row of any file fails nothing is submitted (18.3c)" — the handbook: "validatie
    fouten bevat of formaat fouten dan worden alle bestanden niet verwerkt". Two good files and one
    bad one (not .csv, over 4 MiB, or not a CSV of a known kind): nothing of the good files is sent,
    and the error names the bad file."""
    kop, rijen = saldoverzoeken
    goed = [
        ("a.csv", als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "1"})], kop)),
        ("b.csv", als_csv([saldo(rijen[1], **{"antwoord.totaal.actueelBedrag": "2"})], kop)),
    ]
    fout = {
        "extensie": ("c.txt", als_csv([saldo(rijen[2], **{"antwoord.totaal.actueelBedrag": "3"})], kop)),
        "grootte": ("c.csv", _precies(kop, [rijen[2]], 4 * MIB + 1)),
        "formaat": ("c.csv", b"naam;bedrag\r\nJansen;12\r\n"),
    }[slecht]
    pagina = upload(portaal, *goed, fout)
    assert pagina.status_code == 422
    assert {f[0] for f in fouten(pagina.text)} == {fout[0]}
    assert "Er is niets verstuurd" in pagina.text
    assert verstuurd_door(rt, "energie") == 0
    # the same good files alone go
    assert upload(portaal, *goed).status_code == 200
    assert verstuurd_door(rt, "energie") == 2


def test_18_3c_errors_in_several_files_and_of_the_hubs_dry_run_are_all_shown_by_file_row_and_column(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: ""validation" includes a dry run of every hub rule, and if any row of any file fails
    nothing is submitted (18.3c) — every error shown by file, row and column". Three files with
    errors — a cell the portal cannot read, a row the hub would refuse (a statusverzoek to a
    creditor instead of a debt counsellor), a row the hub would refuse for the sender's adresboek
    entry (standaard akkoord, 7.1) — and a good fourth: every error is listed, each with its file,
    its row and its column (and that column's letter), and nothing is sent."""
    kop, rijen = saldoverzoeken
    status_kop = [k for k in _sjabloonkolommen(portaal, "statusverzoeken.csv")]
    leesfout = als_csv(
        [
            saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "1"}),
            saldo(rijen[1], **{"antwoord.totaal.actueelBedrag": "twaalf"}),
        ],
        kop,
    )
    statusverzoek = {
        "ontvanger": oin_van("zorg"),
        "conversatieReferentienummer": rijen[0]["conversatieReferentienummer"],
        "klantnummerSHV": rijen[0]["klantnummerSHV"],
        "contactpersoonSE.naam": "Team",
        "contactpersoonSE.email": "team@energie.example.nl",
        "toelichting": "Hoe staat het?",
    }
    rolfout = als_csv([statusverzoek], status_kop)
    akkoord = als_csv(
        [
            saldo(
                rijen[2],
                **{"antwoord.saldoverzoek": "standaard akkoord", "antwoord.totaal.actueelBedrag": "5"},
            )
        ],
        kop,
    )
    goed = als_csv([{**statusverzoek, "ontvanger": oin_van("gemeente")}], status_kop)
    pagina = upload(
        portaal, ("lees.csv", leesfout), ("status.csv", rolfout), ("akkoord.csv", akkoord), ("goed.csv", goed)
    )
    assert pagina.status_code == 422
    gevonden = fouten(pagina.text)
    plekken = {(f[0], f[1], f[2].split(" ")[0]) for f in gevonden}
    assert plekken == {
        ("lees.csv", "3", "antwoord.totaal.actueelBedrag"),
        ("status.csv", "2", "ontvanger"),
        ("akkoord.csv", "2", "antwoord.saldoverzoek"),
    }, gevonden
    for bestand, _rij, kolom, reden in gevonden:
        assert re.fullmatch(r"\S+ \([A-Z]{1,3}\)", kolom), (bestand, kolom)  # the spreadsheet letter
        assert reden and not re.search(r"\b[A-Z]{4,}_[A-Z_]+\b", reden), reden  # no internal code
    assert "Er zijn 3 fouten gevonden in 3 bestanden" in pagina.text
    assert verstuurd_door(rt, "energie") == 0


def test_18_3c_the_dry_run_judges_the_upload_as_a_whole(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: ""validation" includes a dry run of every hub rule, and if any row of any file fails
    nothing is submitted". A hub rule that depends on the messages before it in the same upload —
    the cap on one sender's unconfirmed messages to one recipient (here 1) — is found in the dry run:
    two statusverzoeken, each acceptable on its own, are refused together, the second row named, and
    neither is sent."""
    _kop, rijen = saldoverzoeken
    rt.instellingen = dataclasses.replace(rt.instellingen, max_open=1)
    verzoek = {
        "ontvanger": oin_van("gemeente"),
        "conversatieReferentienummer": rijen[0]["conversatieReferentienummer"],
        "klantnummerSHV": rijen[0]["klantnummerSHV"],
        "toelichting": "Hoe staat het?",
    }
    status_kop = _sjabloonkolommen(portaal, "statusverzoeken.csv")
    twee = als_csv([verzoek, {**verzoek, "toelichting": "En de betaling?"}], status_kop)
    pagina = upload(portaal, ("status.csv", twee))
    assert pagina.status_code == 422, pagina.text
    [(bestand, rij, _kolom, _reden)] = fouten(pagina.text)
    assert (bestand, rij) == ("status.csv", "3")
    assert verstuurd_door(rt, "energie") == 0
    assert upload(portaal, ("status.csv", als_csv([verzoek], status_kop))).status_code == 200
    assert verstuurd_door(rt, "energie") == 1


def test_18_3c_every_error_is_shown_also_past_a_thousand(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: "if any row of any file fails nothing is submitted (18.3c) — every error shown by
    file, row and column". A file of 1,001 rows that each name no valid referentienummer: all 1,001
    errors are listed, each with its row."""
    kop, rijen = saldoverzoeken
    fout = [
        saldo({**rijen[0], "referentienummer": f"geen-nummer-{i}"}, **{"antwoord.totaal.actueelBedrag": "1"})
        for i in range(1001)
    ]
    pagina = upload(portaal, ("veel.csv", als_csv(fout, kop)))
    assert pagina.status_code == 422
    assert "Er zijn 1001 fouten gevonden in 1 bestand" in pagina.text
    assert sorted(int(f[1]) for f in fouten(pagina.text)) == list(range(2, 1003))
    assert verstuurd_door(rt, "energie") == 0


def _foutregels(pagina: str) -> list[str]:
    """The lines of the compact error list (per file, one error or one repeated error per line)."""
    return [
        html.unescape(regel)
        for groep in pagina.split('class="foutgroep"')[1:]
        for regel in re.findall(r"<li>(.*?)</li>", groep.split("</details>", 1)[0], re.S)
    ]


def test_18_3c_every_error_is_shown_also_when_every_row_of_a_big_file_is_wrong(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: "every error shown by file, row and column". A file of 12,000 answers whose every row
    has two errors — an amount of its own in euros instead of cents, and the same unreadable date —
    lists all 24,000: every row with its own amount and column, and the date's error with all its
    rows; nothing is sent."""
    _kop, rijen = saldoverzoeken
    fout = [
        saldo(
            {**rijen[0], "referentienummer": str(uuid.uuid4())},
            **{"antwoord.totaal.actueelBedrag": f"{i},50", "antwoord.peildatum": "gisteren"},
        )
        for i in range(12000)
    ]
    kolommen = ["referentienummer", "conversatieReferentienummer", "klantnummerSHV", *fout[0]]
    kolommen = [k for k in dict.fromkeys(kolommen) if k in kolommen[:3] or k.startswith("antwoord.")]
    bestand = als_csv(fout, kolommen)
    assert len(bestand) <= 4 * MIB
    pagina = upload(portaal, ("groot.csv", bestand))
    assert pagina.status_code == 422
    assert "Er zijn 24000 fouten gevonden in 1 bestand" in pagina.text
    regels = _foutregels(pagina.text)
    bedrag = {}
    for regel in regels:
        gevonden = re.fullmatch(r"rij (\d+) · antwoord\.totaal\.actueelBedrag \(\w+\): '(\d+),50' .*", regel)
        if gevonden:
            bedrag[int(gevonden[1])] = int(gevonden[2])
    assert bedrag == {rij: rij - 2 for rij in range(2, 12002)}
    [datum] = [r for r in regels if "antwoord.peildatum" in r]
    assert datum.startswith("rijen 2–12001 · antwoord.peildatum (") and "JJJJ-MM-DD" in datum
    assert verstuurd_door(rt, "energie") == 0


# --- the three kinds of file (18.1, 18.2) ----------------------------------------------------------------


def test_18_1b_betaalvoorstel_akkoord_is_sent_as_an_accepting_answer_to_that_betaalvoorstel(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """DESIGN §7: "betaalvoorstel antwoorden (akkoord / niet akkoord + reden)". A row that says
    akkoord reaches the debt counsellor as an accepting answer to that betaalvoorstel, in its
    conversation, with what the row gave (here the payment details) and no reason."""
    een = _conversaties(rt, "energie")[0]
    vraag = _stuur(rt, kluis, "gemeente", "energie", "betaalvoorstel", een)
    inloggen(portaal, "energie")
    [rij] = csv_rijen(download(portaal, [vraag]), "betaalvoorstellen.csv")
    ingevuld = {
        **rij,
        "antwoord.betaalvoorstel": "akkoord",
        "antwoord.klantnummerSE": "EN-1",
        "antwoord.betaalgegevens.iban": "NL91ABNA0417164300",
        "antwoord.betaalgegevens.betalingskenmerk": "EN-1",
    }
    pagina = upload(portaal, ("betaalvoorstellen.csv", als_csv([ingevuld])))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    [antwoord] = [
        o
        for o in client_van(rt, kluis, "gemeente").haal_op(waarvoor="test")
        if o.afzender == oin_van("energie")
    ]
    assert antwoord.fout is None and antwoord.berichttype == "betaalvoorstel_akkoord"
    assert antwoord.envelop["crossReferentienummer"] == vraag
    assert antwoord.envelop["conversatieReferentienummer"] == een
    assert antwoord.payload is not None and "reden" not in antwoord.payload
    assert antwoord.payload["betaalgegevens"]["iban"] == "NL91ABNA0417164300"
    assert antwoord.payload["klantnummerSHV"] == rij["klantnummerSHV"]


# --- parsed in memory, never stored (18.3d) ------------------------------------------------------------


@pytest.fixture
def geschreven(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """Every path opened for writing while the test runs (an audit hook sees every open()), and a
    temporary directory of the test's own that `tempfile` uses meanwhile."""
    tijdelijk = tmp_path / "tijdelijk"
    tijdelijk.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tijdelijk))
    paden: list[str] = []
    actief = [True]

    def haak(gebeurtenis: str, argumenten: tuple[Any, ...]) -> None:
        if (
            gebeurtenis == "open"
            and actief[0]
            and len(argumenten) > 1
            and isinstance(argumenten[0], (str, Path))
        ):
            modus = argumenten[1]
            if isinstance(modus, str) and any(m in modus for m in "wax+"):
                paden.append(str(argumenten[0]))

    sys.addaudithook(haak)
    yield paden, tijdelijk
    actief[0] = False


def test_18_3d_nothing_of_an_uploaded_file_is_stored_in_a_table_a_file_or_a_log(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    tmp_path: Path,
    geschreven: tuple[list[str], Path],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DESIGN §7: "files are parsed in memory and never stored (18.3d)". A refused upload and then an
    accepted one, whose file name and cells carry a unique mark (in an answer cell that is sent,
    encrypted, and in cells the upload does not send): afterwards no table of the hub holds the mark
    or the file name, no file anywhere under the test's data directory or database holds it, no
    temporary file was made, no file opened for writing holds it, and no log line names it."""
    kop, rijen = saldoverzoeken
    merk = uuid.uuid4().hex
    naam = f"antwoorden-{merk}.csv"
    ingevuld = [
        saldo(
            {**rijen[0], "klant.achternaam": f"Vries-{merk}"},
            **{"antwoord.totaal.actueelBedrag": "100", "antwoord.totaal.omschrijving": f"Energie {merk}"},
        ),
        {**rijen[1], "klant.achternaam": f"Jansen {merk}"},  # no answer: skipped
    ]
    fout = [saldo(rijen[2], **{"antwoord.totaal.actueelBedrag": f"{merk}"})]
    geweigerd = upload(portaal, (naam, als_csv(ingevuld, kop)), (f"fout-{merk}.csv", als_csv(fout, kop)))
    assert geweigerd.status_code == 422
    aanvaard = upload(portaal, (naam, als_csv(ingevuld, kop)))
    assert aanvaard.status_code == 200, aanvaard.text
    assert verstuurd_door(rt, "energie") == 1

    paden, tijdelijk = geschreven
    assert list(tijdelijk.iterdir()) == [], "a temporary file was made"
    for teken in (merk, merk.encode()):
        with transactie(rt.sessions) as session:
            for tabel in Base.metadata.sorted_tables:
                for rij in session.execute(select(tabel)).all():
                    for waarde in rij:
                        if isinstance(waarde, (str, bytes)) and type(waarde) is type(teken):
                            assert teken not in waarde, tabel.name  # type: ignore[operator]
                        elif isinstance(waarde, (dict, list)):
                            assert merk not in str(waarde), tabel.name
    for pad in [*tmp_path.rglob("*"), *(Path(p) for p in paden)]:
        if pad.is_file():
            assert merk.encode() not in pad.read_bytes(), pad
    uitvoer = capsys.readouterr()
    for tekst in (uitvoer.out, uitvoer.err, caplog.text):
        assert merk not in tekst


# --- the answers' numbers (DESIGN §7 "For people at work") ---------------------------------------------


def _is_uuid8(nummer: str) -> bool:
    waarde = uuid.UUID(nummer)
    return (
        str(waarde) == nummer
        and (waarde.int >> 76) & 0xF == 8  # version nibble
        and (waarde.int >> 62) & 0b11 == 0b10  # RFC 9562 variant
    )


def test_every_answer_sent_by_upload_has_a_uuidv8_number_with_the_rfc_9562_variant(
    portaal: TestClient,
    nieuwe_browser: Callable[[], TestClient],
    demo: object,
    rt: Runtime,
    kluis: Kluis,
) -> None:
    """DESIGN §7: "an answer's `referentienummer` is a UUIDv8" (RFC 9562: version nibble 8, variant
    bits 10). Every kind of answer an upload sends — saldo, klant onbekend, standaard akkoord,
    betaalvoorstel akkoord and niet akkoord — reaches the hub under such a number, in the canonical
    lower-case form."""
    een = _conversaties(rt, "energie")[0]
    voorstellen = [_stuur(rt, kluis, "gemeente", "energie", "betaalvoorstel", een) for _ in range(2)]
    al_ontvangen = {b.referentienummer for b in berichten_aan(rt, "gemeente")}
    inloggen(portaal, "energie")
    zip_ = download(portaal)
    kop = _kop(zip_, "saldoverzoeken.csv")
    rijen = csv_rijen(zip_, "saldoverzoeken.csv")
    saldobestand = als_csv(
        [
            saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "100"}),
            {**rijen[1], "antwoord.saldoverzoek": "klant onbekend"},
        ],
        kop,
    )
    bv = {r["referentienummer"]: r for r in csv_rijen(zip_, "betaalvoorstellen.csv")}
    bvbestand = als_csv(
        [
            {**bv[voorstellen[0]], "antwoord.betaalvoorstel": "akkoord"},
            {
                **bv[voorstellen[1]],
                "antwoord.betaalvoorstel": "niet akkoord",
                "antwoord.reden.code": "TE_LAAG",
                "antwoord.reden.tekst": "Te laag",
            },
        ]
    )
    pagina = upload(portaal, ("s.csv", saldobestand), ("b.csv", bvbestand))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    zorg = inloggen(nieuwe_browser(), "zorg")
    zorgzip = download(zorg)
    zorgrij = next(r for r in csv_rijen(zorgzip, "saldoverzoeken.csv"))
    standaard = saldo(
        zorgrij, **{"antwoord.saldoverzoek": "standaard akkoord", "antwoord.totaal.actueelBedrag": "7"}
    )
    assert (
        upload(zorg, ("z.csv", als_csv([standaard], _kop(zorgzip, "saldoverzoeken.csv")))).status_code == 200
    )

    nieuw = [
        b
        for b in berichten_aan(rt, "gemeente")
        if b.referentienummer not in al_ontvangen and b.afzender in (oin_van("energie"), oin_van("zorg"))
    ]
    assert sorted(b.berichttype for b in nieuw) == [
        "betaalvoorstel_akkoord",
        "betaalvoorstel_niet_akkoord",
        "klant_onbekend",
        "saldoverzoek_antwoord",
        "saldoverzoek_antwoord_standaard_akkoord",
    ]
    for bericht in nieuw:
        assert _is_uuid8(bericht.referentienummer), (bericht.berichttype, bericht.referentienummer)


def _ingevuld(rijen: list[dict[str, str]]) -> list[dict[str, str]]:
    return [saldo(r, **{"antwoord.totaal.actueelBedrag": str(100 * (i + 1))}) for i, r in enumerate(rijen)]


def _antwoordnummers(rt: Runtime, wie: str) -> list[str]:
    return [b.referentienummer for b in berichten_aan(rt, "gemeente", afzender=oin_van(wie))]


def test_another_user_of_the_same_participant_uploading_the_same_file_sends_nothing_twice(
    portaal: TestClient,
    nieuwe_browser: Callable[[], TestClient],
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
) -> None:
    """DESIGN §7: "a re-uploaded file ... sends nothing twice: an answer's `referentienummer` is a
    UUIDv8 made from an HMAC, under a secret of the participant, of the question's number and the
    row, so the same row always gets the same number ... those rows are skipped and shown as already
    sent". The secret is the participant's, not the user's or the session's: a colleague who logs in
    separately and uploads the same file sends nothing."""
    kop, rijen = saldoverzoeken
    bestand = als_csv(_ingevuld(rijen), kop)
    assert upload(portaal, ("saldoverzoeken.csv", bestand)).status_code == 200
    eerst = _antwoordnummers(rt, "energie")
    assert len(eerst) == 3

    collega = inloggen(nieuwe_browser(), "energie", naam="Tweede Medewerker")
    pagina = upload(collega, ("kopie.csv", bestand))
    assert pagina.status_code == 200, pagina.text
    assert "Er is niets verstuurd" in pagina.text
    al = pagina.text.split('class="al-verzonden"', 1)[1].split("</table>", 1)[0]
    assert al.count("al verzonden op") == 3
    assert _antwoordnummers(rt, "energie") == eerst


def test_the_number_depends_on_the_participants_secret_not_only_on_the_question_and_the_row(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """DESIGN §7: the number is "made from an HMAC, under a secret of the participant, of the
    question's number and the row, so ... nobody without the secret can test guesses about its
    content". The same rows answered under another secret get other numbers: the number is not a
    function of the question and the row alone that anyone could recompute; and under one secret
    the same row keeps its number."""
    kop, rijen = saldoverzoeken
    bestand = als_csv(_ingevuld(rijen), kop)
    assert upload(portaal, ("saldoverzoeken.csv", bestand)).status_code == 200
    eerst = set(_antwoordnummers(rt, "energie"))
    with transactie(rt.sessions) as session:
        weg = session.execute(
            delete(PortaalUploadgeheim).where(PortaalUploadgeheim.oin == oin_van("energie"))
        )
        assert weg.rowcount == 1  # type: ignore[attr-defined]
    assert upload(portaal, ("saldoverzoeken.csv", bestand)).status_code == 200
    daarna = set(_antwoordnummers(rt, "energie")) - eerst
    assert len(daarna) == 3 and all(_is_uuid8(n) for n in daarna)
    assert "Er is niets verstuurd" in upload(portaal, ("saldoverzoeken.csv", bestand)).text
    assert len(_antwoordnummers(rt, "energie")) == 6


# --- verzendingen of at most 1,000; a broken-off submission completed (DESIGN §7) ----------------------


def test_an_upload_of_1001_messages_goes_in_verzendingen_of_1000_and_a_broken_off_one_is_completed(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DESIGN §7: "An upload is validated all-or-nothing (18.3c: every row of every file, and the hub's
    dry run) and then submitted in `verzendingen` of at most 1,000; if the submission breaks off,
    submitting the same upload again completes it and sends nothing twice." 1,001 statusverzoeken in
    one file, with the portal's own part size: the hub receives a part of 1,000 and a part of 1. When
    the connection drops at the second part, the first stays sent; the same file again sends only
    the missing one."""
    _kop, rijen = saldoverzoeken
    status_kop = _sjabloonkolommen(portaal, "statusverzoeken.csv")
    rij = {
        "ontvanger": oin_van("gemeente"),
        "conversatieReferentienummer": rijen[0]["conversatieReferentienummer"],
        "klantnummerSHV": rijen[0]["klantnummerSHV"],
    }
    bestand = als_csv([{**rij, "toelichting": f"Vraag {i}"} for i in range(1001)], status_kop)
    echt = mailbox.verstuur_reeks
    delen: list[int] = []
    breek_af = [True]

    def telt(session: Any, afzender: Any, envelops: Any, **kw: Any) -> Any:
        delen.append(len(envelops))
        if breek_af[0] and len(delen) == 2:
            raise ConnectionError("de verbinding viel weg")
        return echt(session, afzender, envelops, **kw)

    monkeypatch.setattr(mailbox, "verstuur_reeks", telt)
    afgebroken = upload(portaal, ("status.csv", bestand))  # the portal's Dutch error page
    assert afgebroken.status_code == 500 and "niet dubbel verstuurd" in afgebroken.text
    assert delen == [1000, 1]
    assert verstuurd_door(rt, "energie") == 1000

    breek_af[0] = False
    delen.clear()
    pagina = upload(portaal, ("status.csv", bestand))
    assert pagina.status_code == 200, pagina.text
    assert delen == [1]
    assert verstuurd_door(rt, "energie") == 1001
    assert "1000 rijen zijn overgeslagen omdat die berichten al eerder zijn verzonden" in pagina.text
    nummers = [b.referentienummer for b in berichten_aan(rt, "gemeente", afzender=oin_van("energie"))]
    assert len(set(nummers)) == 1001
