"""Uploading answers (art. 18.1–18.3, DESIGN §7): the downloaded file filled in and uploaded comes
back as answers the SHV opens and validates; every error is listed by file, row and column and
then nothing is sent; only .csv, at most 4 MiB; the separator and encoding are explained; files
are parsed in memory, never spooled to disk."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import starlette.formparsers
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.hub import mailbox
from knooppunt.portaal import csvformaat, csvimport, zegelen
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Auditregel, Bericht
from tests.portaal.conftest import formulier, inloggen, oin_van
from tests.portaal.test_ontvangen import berichten_aan, client_van, conversatie_met, csv_rijen, download

SR = "schuldregeling"
MIB = 1024 * 1024


def upload(portaal: TestClient, *bestanden: tuple[str, bytes], csrf: str | None = None) -> Any:
    if csrf is None:
        csrf, _ = formulier(portaal, "/portaal/upload")
    return portaal.post(
        "/portaal/upload",
        data={"csrf": csrf},
        files=[("bestanden", (naam, inhoud, "text/csv")) for naam, inhoud in bestanden],
    )


def als_csv(rijen: list[dict[str, str]], kop: list[str] | None = None, *, bom: bool = True) -> bytes:
    kop = kop or list(rijen[0])
    buffer = io.StringIO(newline="")
    schrijver = csv.DictWriter(
        buffer, kop, delimiter=";", lineterminator="\r\n", restval="", extrasaction="ignore"
    )
    schrijver.writeheader()
    schrijver.writerows(rijen)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def fouten(pagina: str) -> list[tuple[str, str, str, str]]:
    """The rows of the error table: (file, row, column, reason)."""
    tabel = pagina.split('class="foutentabel"', 1)[1].split("</table>", 1)[0]
    return [
        tuple(
            html.unescape(re.sub(r"<[^>]+>", "", cel)).strip()
            for cel in re.findall(r"<td>(.*?)</td>", rij, re.S)
        )  # type: ignore[misc]
        for rij in re.findall(r"<tr>(.*?)</tr>", tabel.split("<tbody>", 1)[1], re.S)
    ]


def verstuurd_door(rt: Runtime, wie: str) -> int:
    with transactie(rt.sessions) as session:
        return int(
            session.scalar(select(func.count()).select_from(Bericht).where(Bericht.afzender == oin_van(wie)))
            or 0
        )


def saldo(rij: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **rij,
        "antwoord.saldoverzoek": "saldo",
        "antwoord.klantnummerSE": "EN-778812",
        "antwoord.contactpersoonSE.naam": "Team Bijzonder Beheer",
        "antwoord.contactpersoonSE.email": "bijzonderbeheer@energie.example.nl",
        "antwoord.peildatum": "2024-03-01",
        **extra,
    }


def vordering(rij: dict[str, str], factuur: str, bedrag: str) -> dict[str, str]:
    return {
        **rij,
        "antwoord.vordering.factuurnummerSE": factuur,
        "antwoord.vordering.schuldtype": "openstaand",
        "antwoord.vordering.actueelBedrag": bedrag,
    }


@pytest.fixture
def saldoverzoeken(portaal: TestClient, demo: object) -> tuple[list[str], list[dict[str, str]]]:
    """energie logged in; its saldoverzoeken.csv from a download: (header, rows)."""
    inloggen(portaal, "energie")
    zip_ = download(portaal)
    tekst = zip_.read("saldoverzoeken.csv").decode("utf-8-sig")
    kop = next(csv.reader(io.StringIO(tekst), delimiter=";"))
    return kop, csv_rijen(zip_, "saldoverzoeken.csv")


# --- the round trip (18.1a, 18.2) ----------------------------------------------------------------


def test_18_1_downloaded_saldoverzoeken_filled_in_come_back_as_answers_the_shv_can_open(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime, kluis: Kluis
) -> None:
    kop, rijen = saldoverzoeken
    een, twee, drie = rijen
    ingevuld = [
        # two debts: two rows with the same referentienummer (the second only needs the debt)
        vordering(saldo(een, **{"antwoord.contactpersoonSE.telefoon": "'+31 30 123 4567"}), "F-1", "12345"),
        vordering({**een, **{k: "" for k in kop if k.startswith("antwoord.")}}, "F-2", "500"),
        saldo(twee, **{"antwoord.totaal.actueelBedrag": "0", "antwoord.peildatum": "1-3-2024"}),
        {**drie, "antwoord.saldoverzoek": "klant onbekend", "antwoord.reden.code": "ONBEKEND"},
    ]
    ingevuld[3]["antwoord.reden.tekst"] = "Niet gevonden op naam en geboortedatum"
    pagina = upload(portaal, ("saldoverzoeken.csv", als_csv(ingevuld, kop)))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    assert "Alle 3 berichten zijn versleuteld, ondertekend en aan het knooppunt aangeboden" in pagina.text
    assert 'Saldoverzoek antwoord</td><td class="getal">2' in pagina.text
    assert 'Klant onbekend</td><td class="getal">1' in pagina.text

    # the SHV opens, verifies and validates them with its own key
    ontvangen = {
        o.envelop["crossReferentienummer"]: o
        for o in client_van(rt, kluis, "gemeente").haal_op(waarvoor="test")
        if o.afzender == oin_van("energie")
    }
    assert set(ontvangen) == {een["referentienummer"], twee["referentienummer"], drie["referentienummer"]}
    for antwoord in ontvangen.values():
        assert antwoord.fout is None and antwoord.payload is not None
    eerste = ontvangen[een["referentienummer"]].payload
    assert eerste is not None
    assert [v["factuurnummerSE"] for v in eerste["vorderingen"]] == ["F-1", "F-2"]
    assert [v["actueelBedrag"] for v in eerste["vorderingen"]] == [12345, 500]
    assert eerste["contactpersoonSE"]["telefoon"] == "+31 30 123 4567"  # the download's ' is gone
    assert eerste["klantnummerSHV"] == een["klantnummerSHV"]
    tweede = ontvangen[twee["referentienummer"]].payload
    assert tweede is not None
    assert tweede["totaalvordering"] == {"actueelBedrag": 0, "standaardAkkoord": False}
    assert tweede["peildatum"] == "2024-03-01"
    derde = ontvangen[drie["referentienummer"]]
    assert derde.berichttype == "klant_onbekend" and derde.payload == {
        "klantnummerSHV": drie["klantnummerSHV"],
        "reden": {"code": "ONBEKEND", "tekst": "Niet gevonden op naam en geboortedatum"},
    }
    for antwoord in ontvangen.values():
        assert antwoord.envelop["conversatieReferentienummer"] == next(
            r["conversatieReferentienummer"]
            for r in rijen
            if r["referentienummer"] == antwoord.envelop["crossReferentienummer"]
        )
    # an answer confirms an unconfirmed question and marks it beantwoord
    assert {b.status for b in berichten_aan(rt, "energie", berichttype="saldoverzoek_nuts")} == {"beantwoord"}


def test_18_2_rows_without_an_answer_are_skipped(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    pagina = upload(
        portaal,
        (
            "saldoverzoeken.csv",
            als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "100"}), *rijen[1:]], kop),
        ),
    )
    assert pagina.status_code == 200
    cellen = '</td><td class="getal">'
    # 3 rows, 1 message, 2 rows without an answer
    assert (
        f"saldoverzoeken.csv</td><td>saldoverzoek antwoorden{cellen}3{cellen}1{cellen}2</td>" in pagina.text
    )
    assert verstuurd_door(rt, "energie") == 1
    leeg = upload(portaal, ("saldoverzoeken.csv", als_csv(rijen, kop)))
    assert leeg.status_code == 400 and "Er is niets te versturen" in leeg.text


def test_7_1_standaard_akkoord_only_for_a_creditor_with_the_adresboek_flag(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    nieuwe_browser: Any,
) -> None:
    kop, rijen = saldoverzoeken
    antwoord = saldo(
        rijen[0], **{"antwoord.saldoverzoek": "standaard akkoord", "antwoord.totaal.actueelBedrag": "100"}
    )
    pagina = upload(portaal, ("saldoverzoeken.csv", als_csv([antwoord], kop)))
    assert pagina.status_code == 422
    assert fouten(pagina.text) == [
        (
            "saldoverzoeken.csv",
            "2",
            f"antwoord.saldoverzoek ({csvformaat.kolomletter(kop.index('antwoord.saldoverzoek'))})",
            # The handbook's name instead of the type's code, no [CODE] (DESIGN §7 "labels from the
            # handbook, never internal codes").
            "U staat in het adresboek niet als schuldeiser die standaard akkoord gaat met betaalvoorstellen: "
            "antwoord met ‘Saldoverzoek antwoord’ (art. 7.1).",
        )
    ]
    assert verstuurd_door(rt, "energie") == 0

    # Demo Zorgverzekeraar NV has standaardAkkoord in the adresboek
    zorg = inloggen(nieuwe_browser(), "zorg")
    zip_ = download(zorg)
    zorgrijen = csv_rijen(zip_, "saldoverzoeken.csv")
    open_ = [r for r in zorgrijen]
    ingevuld = saldo(
        open_[0], **{"antwoord.saldoverzoek": "Standaard_Akkoord", "antwoord.totaal.actueelBedrag": "100"}
    )
    pagina = upload(zorg, ("saldoverzoeken.csv", als_csv([ingevuld], list(zorgrijen[0]))))
    assert pagina.status_code == 200, pagina.text
    verstuurd = berichten_aan(rt, "gemeente", berichttype="saldoverzoek_antwoord_standaard_akkoord")
    assert len(verstuurd) == 2  # the demo's own, and this one


# --- betaalvoorstel antwoorden (18.1b) and statusverzoeken (18.1c) ------------------------------------


def test_18_1b_betaalvoorstel_answers_niet_akkoord_needs_a_reason(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    vraag = client_van(rt, kluis, "gemeente").verstuur(
        TeVersturen(
            oin_van("energie"),
            "betaalvoorstel",
            voorbeeld(SR, "betaalvoorstel"),
            conversatie_met(rt, "energie"),
        )
    )
    inloggen(portaal, "energie")
    rijen = csv_rijen(download(portaal, [vraag.bericht.referentienummer]), "betaalvoorstellen.csv")
    zonder_reden = {**rijen[0], "antwoord.betaalvoorstel": "niet akkoord"}
    pagina = upload(portaal, ("betaalvoorstellen.csv", als_csv([zonder_reden])))
    assert pagina.status_code == 422
    [(bestand, rij, kolom, reden)] = fouten(pagina.text)
    assert (bestand, rij, kolom.split(" ")[0]) == ("betaalvoorstellen.csv", "2", "antwoord.reden.code")
    assert "een reden verplicht (art. 10.2)" in reden
    assert verstuurd_door(rt, "energie") == 0

    met_reden = {**zonder_reden, "antwoord.reden.code": "TE_LAAG", "antwoord.reden.tekst": "Aanbod te laag"}
    pagina = upload(portaal, ("betaalvoorstellen.csv", als_csv([met_reden])))
    assert pagina.status_code == 200, fouten(pagina.text)
    [antwoord] = [
        o
        for o in client_van(rt, kluis, "gemeente").haal_op(waarvoor="test")
        if o.berichttype == "betaalvoorstel_niet_akkoord"
    ]
    assert antwoord.payload == {
        "klantnummerSHV": rijen[0]["klantnummerSHV"],
        "reden": {"code": "TE_LAAG", "tekst": "Aanbod te laag"},
    }
    assert antwoord.envelop["crossReferentienummer"] == vraag.bericht.referentienummer


def test_18_1c_statusverzoeken_name_the_shv_and_the_conversation(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    conversatie = conversatie_met(rt, "energie")
    kop = [*csvformaat.STATUSVERZOEK.kolommen]
    goed = {
        "ontvanger": oin_van("gemeente"),
        "conversatieReferentienummer": conversatie,
        "klantnummerSHV": "DEMO-0001",
        "contactpersoonSE.naam": "Team",
        "contactpersoonSE.email": "team@energie.example.nl",
        "toelichting": "Hoe staat het?",
    }
    onbekend = {**goed, "conversatieReferentienummer": str(uuid.uuid4())}
    inloggen(portaal, "energie")
    pagina = upload(portaal, ("status.csv", als_csv([goed, onbekend], kop)))
    assert pagina.status_code == 422
    [(bestand, rij, kolom, reden)] = fouten(pagina.text)
    assert (bestand, rij, kolom.split(" ")[0]) == ("status.csv", "3", "conversatieReferentienummer")
    assert "14.1" in reden and "GEEN_EERDER_CONTACT" not in reden  # a sentence, not the hub's code
    assert verstuurd_door(rt, "energie") == 0

    pagina = upload(portaal, ("status.csv", als_csv([goed], kop)))
    assert pagina.status_code == 200, fouten(pagina.text)
    [verzoek] = [
        o
        for o in client_van(rt, kluis, "gemeente").haal_op(waarvoor="test")
        if o.berichttype == "statusverzoek"
    ]
    assert verzoek.payload is not None and verzoek.payload["toelichting"] == "Hoe staat het?"
    assert verzoek.conversatie == conversatie


def test_18_2_several_files_at_once(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    status = {
        "ontvanger": oin_van("gemeente"),
        "conversatieReferentienummer": rijen[0]["conversatieReferentienummer"],
        "klantnummerSHV": "DEMO-0001",
    }
    pagina = upload(
        portaal,
        ("a.csv", als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "1"})], kop)),
        ("b.csv", als_csv([saldo(rijen[1], **{"antwoord.totaal.actueelBedrag": "2"})], kop)),
        ("c.csv", als_csv([status])),
    )
    assert pagina.status_code == 200, fouten(pagina.text)
    assert "Alle 3 berichten" in pagina.text
    assert verstuurd_door(rt, "energie") == 3


# --- validation first, of everything (18.3c) -------------------------------------------------------


def test_18_3c_every_error_listed_by_file_row_and_column_and_nothing_sent(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    goed = als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "100"})], kop)
    fout = als_csv(
        [
            saldo(rijen[1], **{"antwoord.totaal.actueelBedrag": "123,45", "antwoord.klantnummerSE": ""}),
            saldo(rijen[2], **{"antwoord.peildatum": "2024-02-30", "antwoord.saldoverzoek": "misschien"}),
            saldo(
                {**rijen[2], "referentienummer": str(uuid.uuid4())}, **{"antwoord.totaal.actueelBedrag": "1"}
            ),
        ],
        kop,
    )
    pagina = upload(portaal, ("goed.csv", goed), ("fout.csv", fout))
    assert pagina.status_code == 422
    assert "Er zijn 4 fouten gevonden in 1 bestand. Er is niets verstuurd" in pagina.text
    assert 'role="alert"' in pagina.text and 'aria-invalid="true"' in pagina.text
    lijst = {(f[0], f[1], f[2].split(" ")[0]): f[3] for f in fouten(pagina.text)}
    assert set(lijst) == {
        ("fout.csv", "2", "antwoord.totaal.actueelBedrag"),
        ("fout.csv", "2", "antwoord.klantnummerSE"),
        ("fout.csv", "3", "antwoord.saldoverzoek"),
        ("fout.csv", "4", "referentienummer"),
    }
    assert "hele eurocenten" in lijst[("fout.csv", "2", "antwoord.totaal.actueelBedrag")]
    assert "is verplicht" in lijst[("fout.csv", "2", "antwoord.klantnummerSE")]
    assert (
        "'saldo', 'standaard akkoord' of 'klant onbekend'"
        in lijst[("fout.csv", "3", "antwoord.saldoverzoek")]
    )
    assert "geen bericht aan u" in lijst[("fout.csv", "4", "referentienummer")]
    # the column letter, as a spreadsheet shows it
    letter = csvformaat.kolomletter(kop.index("antwoord.totaal.actueelBedrag"))
    assert f"antwoord.totaal.actueelBedrag ({letter})" in pagina.text
    assert verstuurd_door(rt, "energie") == 0  # not even goed.csv


def test_18_3c_a_refusal_at_submit_time_sends_nothing(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hub refuses one message while the batch is submitted (say, the adresboek changed after
    the dry run): the whole batch rolls back, and the refusal is in the audit log."""
    kop, rijen = saldoverzoeken
    monkeypatch.setattr(Gastclient, "controleer_reeks", lambda self, berichten: [None] * len(berichten))
    bestand = als_csv(
        [
            saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "1"}),
            saldo(
                rijen[1],
                **{"antwoord.saldoverzoek": "standaard akkoord", "antwoord.totaal.actueelBedrag": "2"},
            ),
        ],
        kop,
    )
    pagina = upload(portaal, ("saldoverzoeken.csv", bestand))
    assert pagina.status_code == 422
    [(_, rij, kolom, reden)] = fouten(pagina.text)
    assert (rij, kolom.split(" ")[0]) == ("3", "antwoord.saldoverzoek") and "standaard akkoord" in reden
    assert "GEEN_STANDAARD_AKKOORD" not in reden
    assert verstuurd_door(rt, "energie") == 0
    with transactie(rt.sessions) as session:
        uitkomsten = list(
            session.scalars(select(Auditregel.uitkomst).where(Auditregel.actie == "geweigerd_bij_verzenden"))
        )
    assert uitkomsten == ["GEEN_STANDAARD_AKKOORD"]


def test_an_answer_to_an_expired_question_is_refused(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    later = max(b.verloopt_op for b in berichten_aan(rt, "energie"))
    from datetime import timedelta

    with transactie(rt.sessions) as session:
        mailbox.verloop_reeks(session, nu=later + timedelta(seconds=1), instellingen=rt.instellingen)
    pagina = upload(
        portaal,
        ("saldoverzoeken.csv", als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "1"})], kop)),
    )
    assert pagina.status_code == 422
    [(_, _, kolom, reden)] = fouten(pagina.text)
    assert kolom.startswith("referentienummer") and "is verlopen" in reden and "17.5" in reden


def test_answer_in_the_wrong_file_and_unknown_columns_are_explained(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    kennisgeving = berichten_aan(rt, "energie", berichttype="kennisgeving")[0]
    verkeerd = saldo(
        {
            **rijen[0],
            "referentienummer": kennisgeving.referentienummer,
            "conversatieReferentienummer": kennisgeving.conversatie_referentienummer,
        },
        **{"antwoord.totaal.actueelBedrag": "1"},
    )
    pagina = upload(portaal, ("saldoverzoeken.csv", als_csv([verkeerd], kop)))
    assert "is een klant gemeld voor shv, geen saldoverzoek" in fouten(pagina.text)[0][3]
    tikfout = als_csv(
        [
            {
                "referentienummer": "x",
                "conversatieReferentienummer": "y",
                "klantnummerSHV": "z",
                "antwoord.saldoverzoek": "saldo",
                "antwoord.totaal.actueelbedragg": "1",
            }
        ]
    )
    [(_, rij, kolom, reden)] = fouten(upload(portaal, ("tik.csv", tikfout)).text)
    assert (
        rij == "1"
        and kolom.startswith("antwoord.totaal.actueelbedragg")
        and "Bedoelt u 'antwoord.totaal.actueelBedrag'" in reden
    )


# --- file requirements (18.3a, 18.3b), separator and encoding ----------------------------------------


def test_18_3a_only_csv_files(portaal: TestClient, demo: object, rt: Runtime) -> None:
    inloggen(portaal, "energie")
    pagina = upload(portaal, ("antwoorden.xlsx", b"PK\x03\x04 not a csv"))
    assert pagina.status_code == 422
    [(bestand, _, _, reden)] = fouten(pagina.text)
    assert bestand == "antwoorden.xlsx" and "Alleen bestanden met de extensie .csv" in reden
    pagina = upload(portaal, ("antwoorden.csv", b"PK\x03\x04\x14\x00 zipped workbook"))
    assert "Excel-werkmap (.xlsx)" in fouten(pagina.text)[0][3]


def test_18_3b_a_file_over_4_mib_is_refused_with_a_clear_message(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    inloggen(portaal, "energie")
    te_groot = b"referentienummer;antwoord.saldoverzoek\r\n" + b"x" * (4 * MIB)
    pagina = upload(portaal, ("groot.csv", te_groot))
    assert pagina.status_code == 422
    [(bestand, _, _, reden)] = fouten(pagina.text)
    assert bestand == "groot.csv"
    # Sizes with a decimal comma (#14 item 4).
    assert "de grens is 4 MB (4.194.304 bytes) per bestand (art. 18.3b)" in reden
    assert re.search(r"Het bestand is 4,0 MB \(4\.19[0-9]\.[0-9]{3} bytes\)", reden)  # why, when just over
    assert "Verdeel de rijen over meerdere bestanden" in reden


def test_more_than_ten_files_is_refused(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "energie")
    pagina = upload(portaal, *((f"{i}.csv", b"a;b\r\n") for i in range(11)))
    assert pagina.status_code == 400 and "upload er hoogstens 10 tegelijk" in pagina.text


def test_wrong_separator_is_explained(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]]
) -> None:
    kop, rijen = saldoverzoeken
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=",").writerows([kop, [rijen[0][k] for k in kop]])
    pagina = upload(portaal, ("komma.csv", buffer.getvalue().encode()))
    [(_, rij, _, reden)] = fouten(pagina.text)
    assert rij == "1" and "Het scheidingsteken is een komma (,)" in reden and "puntkomma (;)" in reden


def test_wrong_encoding_is_explained(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]]
) -> None:
    kop, rijen = saldoverzoeken
    rij = saldo(
        rijen[0],
        **{"antwoord.totaal.actueelBedrag": "1", "antwoord.totaal.omschrijving": "Energie in België"},
    )
    ansi = als_csv([rij], kop, bom=False).decode("utf-8").encode("cp1252")
    [(_, nummer, _, reden)] = fouten(upload(portaal, ("ansi.csv", ansi)).text)
    assert nummer == "2" and "niet in UTF-8 opgeslagen" in reden and "CSV UTF-8" in reden
    utf16 = als_csv([rij], kop, bom=False).decode("utf-8").encode("utf-16")
    assert "UTF-16" in fouten(upload(portaal, ("utf16.csv", utf16)).text)[0][3]


def test_utf8_without_bom_is_fine(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    rij = saldo(
        rijen[0],
        **{"antwoord.totaal.actueelBedrag": "1", "antwoord.totaal.omschrijving": "Energie in België"},
    )
    assert upload(portaal, ("zonder-bom.csv", als_csv([rij], kop, bom=False))).status_code == 200
    assert verstuurd_door(rt, "energie") == 1


# --- in memory only (18.3d), CSRF, who may upload ----------------------------------------------------


@pytest.fixture
def geen_schijf(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any temporary file fails the test; any file opened for writing outside the database is
    recorded (an audit hook sees every open())."""

    def verboden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a temporary file was created during the upload")

    for naam in ("SpooledTemporaryFile", "NamedTemporaryFile", "TemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, naam, verboden)
    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", verboden)
    geschreven: list[str] = []
    actief = [True]

    def haak(gebeurtenis: str, argumenten: tuple[Any, ...]) -> None:
        schrijft = (
            gebeurtenis == "open"
            and actief[0]
            and len(argumenten) > 1
            and isinstance(argumenten[1], str)
            and any(m in argumenten[1] for m in "wax+")
        )
        if schrijft and not str(argumenten[0]).endswith((".sqlite3", "-wal", "-shm", "-journal")):
            geschreven.append(str(argumenten[0]))

    sys.addaudithook(haak)
    yield geschreven
    actief[0] = False


def test_18_3d_upload_is_parsed_in_memory_and_never_spooled_to_disk(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    geen_schijf: list[str],
) -> None:
    kop, rijen = saldoverzoeken
    # 3 MB: three answers and thousands of rows without an answer (skipped), well past the 1 MB
    # at which Starlette's own parser would spool to a temporary file.
    opvulling = [{**rijen[0], "referentienummer": "", "klant.achternaam": "x" * 200} for _ in range(6_000)]
    ingevuld = [saldo(r, **{"antwoord.totaal.actueelBedrag": "1"}) for r in rijen]
    bestand = als_csv([*ingevuld, *opvulling], kop)
    assert 2 * MIB < len(bestand) < 4 * MIB
    pagina = upload(portaal, ("groot.csv", bestand))
    assert pagina.status_code == 200, fouten(pagina.text)
    assert verstuurd_door(rt, "energie") == 3
    assert geen_schijf == []


def test_upload_needs_the_csrf_token_and_sends_nothing_without_it(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    kop, rijen = saldoverzoeken
    bestand = ("s.csv", als_csv([saldo(rijen[0], **{"antwoord.totaal.actueelBedrag": "1"})], kop))
    assert upload(portaal, bestand, csrf="vervalst").status_code == 403
    assert portaal.post("/portaal/upload", files=[("bestanden", bestand)]).status_code == 403
    assert verstuurd_door(rt, "energie") == 0


def test_upload_is_for_creditors(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "gemeente")
    assert portaal.get("/portaal/upload").status_code == 403


def test_upload_page_explains_the_columns_and_offers_templates(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/upload")
    assert pagina.status_code == 200
    assert '<label for="bestanden">' in pagina.text and 'accept=".csv,text/csv"' in pagina.text
    for soort in csvformaat.SOORTEN:
        sjabloon = portaal.get(f"/portaal/upload/sjabloon/{soort.sjabloon}")
        assert sjabloon.status_code == 200
        assert sjabloon.content.startswith(b"\xef\xbb\xbf")
        assert sjabloon.content[3:].decode().strip().split(";") == list(
            dict.fromkeys((*soort.sleutels, *soort.kolommen))
        )


def test_18_2_every_kind_of_file_is_recognised_from_its_header() -> None:
    """Each kind's own template is recognised as that kind, and nothing else is wrong with it."""
    for soort in csvformaat.SOORTEN:
        kop = list(dict.fromkeys((*soort.sleutels, *soort.kolommen)))
        resultaat = csvimport.lees([csvformaat.Bestand("t.csv", (";".join(kop) + "\r\n").encode(), 10)])
        assert resultaat.fouten == [] and resultaat.bestanden[0].soort is soort


def test_a_large_upload_is_sealed_in_worker_processes_and_opens_at_the_shv(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    kluis: Kluis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From `zegelen.PARALLEL_VANAF` messages on, sealing runs in worker processes (here from 2)."""
    kop, rijen = saldoverzoeken
    monkeypatch.setattr(zegelen, "PARALLEL_VANAF", 2)
    assert zegelen.aantal_werkers(3) > 1 or (os.cpu_count() or 1) == 1
    pagina = upload(
        portaal,
        (
            "s.csv",
            als_csv(
                [saldo(r, **{"antwoord.totaal.actueelBedrag": str(i)}) for i, r in enumerate(rijen)], kop
            ),
        ),
    )
    assert pagina.status_code == 200, fouten(pagina.text)
    geopend = [
        o
        for o in client_van(rt, kluis, "gemeente").haal_op(waarvoor="test")
        if o.afzender == oin_van("energie")
    ]
    assert len(geopend) == 3 and all(o.fout is None and o.payload for o in geopend)
    assert sorted(o.payload["totaalvordering"]["actueelBedrag"] for o in geopend if o.payload) == [0, 1, 2]


def test_the_docs_list_the_upload_columns_exactly() -> None:
    """docs/portaal.md, "Antwoorden uploaden", names every column of every kind of file."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "portaal.md").read_text()
    for soort in csvformaat.SOORTEN:
        assert ";".join(dict.fromkeys((*soort.sleutels, *soort.kolommen))) in docs, soort.code
