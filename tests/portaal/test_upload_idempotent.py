"""A portal upload is idempotent (DESIGN §7, decision 0016): an answer's referentienummer is a
UUIDv8 from an HMAC, under a secret of the participant, of the question and the answer, so a
re-upload or a double click sends nothing twice — those rows are shown as already sent."""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.hub import mailbox
from knooppunt.portaal import antwoordnummers, csvformaat
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import ONTWIKKEL_BESTAND, Kluis, KluisFout, Versleuteld
from knooppunt.runtime import Runtime
from knooppunt.store import portaal as portaal_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Base, Bericht, PortaalUploadgeheim
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.test_ontvangen import conversatie_met
from tests.portaal.test_upload import als_csv, fouten, saldo, saldoverzoeken, upload, verstuurd_door

__all__ = ["saldoverzoeken"]  # the fixture


def antwoorden_van(rt: Runtime, wie: str) -> list[Bericht]:
    with transactie(rt.sessions) as session:
        return list(
            session.scalars(select(Bericht).where(Bericht.afzender == oin_van(wie)).order_by(Bericht.id))
        )


def ingevuld(rijen: list[dict[str, str]]) -> list[dict[str, str]]:
    """energie's three saldoverzoeken answered with a total each."""
    return [
        saldo(rij, **{"antwoord.totaal.actueelBedrag": str(100 * (i + 1))}) for i, rij in enumerate(rijen)
    ]


def test_the_same_file_uploaded_twice_sends_each_answer_once(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    nieuwe_browser: Callable[[], TestClient],
) -> None:
    kop, rijen = saldoverzoeken
    bestand = als_csv(ingevuld(rijen), kop)
    eerste = upload(portaal, ("saldoverzoeken.csv", bestand))
    assert eerste.status_code == 200, eerste.text
    assert "Alle 3 berichten zijn versleuteld" in eerste.text

    tweede = upload(portaal, ("saldoverzoeken.csv", bestand))
    assert tweede.status_code == 200, tweede.text
    assert "Er is niets verstuurd: alle 3 berichten in deze upload waren al verzonden" in tweede.text
    al = tweede.text.split('class="al-verzonden"', 1)[1].split("</table>", 1)[0]
    assert al.count("al verzonden op") == 3
    for rij in rijen:  # each named by its client (#14 item 4), not by the question's number
        assert rij["klantnummerSHV"] in al

    antwoorden = antwoorden_van(rt, "energie")
    assert len(antwoorden) == 3
    assert sorted(a.cross_referentienummer or "" for a in antwoorden) == sorted(
        r["referentienummer"] for r in rijen
    )
    # the debt counsellor's client view shows each answer once
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    for antwoord in antwoorden:
        pagina = gemeente.get(f"/portaal/clienten/{antwoord.conversatie_referentienummer}")
        assert pagina.status_code == 200
        energie = pagina.text.split("<caption>Berichten met Demo Energie BV</caption>", 1)[1].split(
            "</table>"
        )[0]
        assert energie.count(f"/berichten/{antwoord.referentienummer}") == 1
        assert energie.count("antwoord op Saldoverzoek") == 1


def test_a_file_with_one_changed_row_sends_only_that_rows_new_answer_beside_the_first(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    nieuwe_browser: Callable[[], TestClient],
) -> None:
    """Decision 0016: a different answer to a question already answered gets a new number; the
    hub's rules accept it (an answer may follow an answer, as with the API), so it is sent beside
    the first, and the result page says so. The unchanged rows are already sent."""
    kop, rijen = saldoverzoeken
    eerst = ingevuld(rijen)
    assert upload(portaal, ("saldoverzoeken.csv", als_csv(eerst, kop))).status_code == 200
    gewijzigd = [*eerst[:2], {**eerst[2], "antwoord.totaal.actueelBedrag": "999"}]
    pagina = upload(portaal, ("saldoverzoeken.csv", als_csv(gewijzigd, kop)))
    assert pagina.status_code == 200, pagina.text
    assert "<strong>Het bericht is versleuteld" in pagina.text  # correct Dutch (DESIGN §7): no "1 Het"
    assert "De ontvanger kan het nu ophalen" in pagina.text
    assert "2 rijen zijn overgeslagen omdat die berichten al eerder zijn verzonden" in pagina.text
    assert "1 vraag had al een ander antwoord van u." in pagina.text
    # The question by its name and sender, not by its number (#14 item 4).
    assert (
        "saldoverzoeken.csv, rij 4: Saldoverzoek antwoord op Saldoverzoek nuts van Gemeente Demodorp ("
        in pagina.text
    )
    al = pagina.text.split('class="al-verzonden"', 1)[1].split("</table>", 1)[0]
    assert rijen[0]["klantnummerSHV"] in al and rijen[1]["klantnummerSHV"] in al
    assert rijen[2]["klantnummerSHV"] not in al

    antwoorden = antwoorden_van(rt, "energie")
    assert len(antwoorden) == 4
    per_vraag = [a.cross_referentienummer for a in antwoorden]
    assert per_vraag.count(rijen[2]["referentienummer"]) == 2
    assert per_vraag.count(rijen[0]["referentienummer"]) == 1
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    tweede = antwoorden[-1]
    pagina = gemeente.get(f"/portaal/clienten/{tweede.conversatie_referentienummer}")
    energie = pagina.text.split("<caption>Berichten met Demo Energie BV</caption>", 1)[1].split("</table>")[0]
    assert energie.count("antwoord op Saldoverzoek") == 2

    # the same changed file again: nothing new
    nogmaals = upload(portaal, ("saldoverzoeken.csv", als_csv(gewijzigd, kop)))
    assert "Er is niets verstuurd: alle 3 berichten" in nogmaals.text
    assert verstuurd_door(rt, "energie") == 4


def test_a_file_saved_again_by_a_spreadsheet_gets_the_same_numbers(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """The HMAC covers the answer as parsed and validated, not the file's bytes: no BOM, another
    column order, a Dutch date (1-3-2024) and quoted cells give the same numbers."""
    kop, rijen = saldoverzoeken
    assert upload(portaal, ("saldoverzoeken.csv", als_csv(ingevuld(rijen), kop))).status_code == 200
    opnieuw = [{**r, "antwoord.peildatum": "1-3-2024"} for r in ingevuld(rijen)]
    tekst = als_csv(opnieuw, list(reversed(kop)), bom=False).decode("utf-8")
    tekst = tekst.replace("Team Bijzonder Beheer", '"Team Bijzonder Beheer"')
    pagina = upload(portaal, ("kopie van saldoverzoeken.csv", tekst.encode("utf-8")))
    assert pagina.status_code == 200, pagina.text
    assert "Er is niets verstuurd: alle 3 berichten in deze upload waren al verzonden" in pagina.text
    assert verstuurd_door(rt, "energie") == 3


def _tegelijk(portaal: TestClient, nieuwe_browser: Callable[[], TestClient], bestand: bytes) -> list[Any]:
    """Two uploads of the same file from the same browser session at once (a double click)."""
    csrf = portaal.get("/portaal/upload").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    tweede = nieuwe_browser()
    tweede.cookies.update(portaal.cookies)
    uitkomsten: list[Any] = [None, None]

    def stuur(index: int, client: TestClient) -> None:
        uitkomsten[index] = upload(client, ("saldoverzoeken.csv", bestand), csrf=csrf)

    draden = [threading.Thread(target=stuur, args=(i, c)) for i, c in enumerate((portaal, tweede))]
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join(timeout=120)
    return uitkomsten


def test_a_double_click_sends_nothing_twice(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    nieuwe_browser: Callable[[], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both uploads pass the dry run before either submits (a barrier after sealing): the one
    that submits second finds the numbers and shows every row as already sent — not a refusal
    of the whole upload."""
    kop, rijen = saldoverzoeken
    samen = threading.Barrier(2, timeout=60)
    zegel = Gastclient._zegel_reeks

    def zegel_en_wacht(self: Gastclient, *args: Any, **kwargs: Any) -> Any:
        envelops = zegel(self, *args, **kwargs)
        samen.wait()
        return envelops

    monkeypatch.setattr(Gastclient, "_zegel_reeks", zegel_en_wacht)
    een, twee = _tegelijk(portaal, nieuwe_browser, als_csv(ingevuld(rijen), kop))
    assert een.status_code == twee.status_code == 200, (een.text, twee.text)
    teksten = sorted([een.text, twee.text], key=lambda t: "Er is niets verstuurd" in t)
    assert "Alle 3 berichten zijn versleuteld" in teksten[0]
    assert "Er is niets verstuurd: alle 3 berichten in deze upload waren al verzonden" in teksten[1]
    assert sorted(a.cross_referentienummer or "" for a in antwoorden_van(rt, "energie")) == sorted(
        r["referentienummer"] for r in rijen
    )


def test_losing_the_race_for_a_number_inside_the_submit_skips_instead_of_failing(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    database_url: str,
    nieuwe_browser: Callable[[], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both submits look for existing numbers before either commits: one inserts, the other's
    insert waits for it and then meets REFERENTIENUMMER_CONFLICT (its JWE differs). The upload
    submits again without those numbers and shows them as already sent."""
    if database_url.startswith("sqlite"):
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE): a submit cannot read before another commits"
        )
    kop, rijen = saldoverzoeken
    samen = threading.Barrier(2, timeout=60)
    aanroepen: dict[int, int] = {}
    echt = mailbox.verstuurd_set

    def tel_en_wacht(*args: Any, **kwargs: Any) -> dict[str, Any]:
        draad = threading.get_ident()
        aanroepen[draad] = aanroepen.get(draad, 0) + 1
        gevonden = echt(*args, **kwargs)
        if aanroepen[draad] == 2:  # 1: the dry run; 2: inside the submit transaction
            samen.wait()
        return gevonden

    monkeypatch.setattr(mailbox, "verstuurd_set", tel_en_wacht)
    een, twee = _tegelijk(portaal, nieuwe_browser, als_csv(ingevuld(rijen), kop))
    assert een.status_code == twee.status_code == 200, (een.text, twee.text)
    assert sorted(aanroepen.values()) == [2, 3]  # the loser looked again after the conflict
    teksten = sorted([een.text, twee.text], key=lambda t: "Er is niets verstuurd" in t)
    assert "Alle 3 berichten zijn versleuteld" in teksten[0]
    assert "Er is niets verstuurd: alle 3 berichten in deze upload waren al verzonden" in teksten[1]
    assert len(antwoorden_van(rt, "energie")) == 3


def _geheim(rt: Runtime, kluis: Kluis, wie: str) -> bytes:
    with transactie(rt.sessions) as session:
        rij = portaal_store.uploadgeheim(session, oin_van(wie))
        assert rij is not None
        return kluis.ontsleutel_waarde(
            antwoordnummers.DOEL,
            rij.oin,
            versleuteld=Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld),
        )


def test_the_secret_is_per_participant_random_encrypted_and_never_shown_or_logged(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    kluis: Kluis,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    kop, rijen = saldoverzoeken
    paginas = [upload(portaal, ("saldoverzoeken.csv", als_csv(ingevuld(rijen), kop))) for _ in range(2)]
    geheim = _geheim(rt, kluis, "energie")
    assert len(geheim) == antwoordnummers.GEHEIM_BYTES

    # the numbers the hub holds are UUIDv8s made under this very secret
    antwoorden = antwoorden_van(rt, "energie")
    for antwoord in antwoorden:
        assert uuid.UUID(antwoord.referentienummer).version == 8
    with transactie(rt.sessions) as session:
        rij = portaal_store.uploadgeheim(session, oin_van("energie"))
        assert rij is not None and geheim not in rij.versleuteld  # encrypted at rest
        # another participant gets its own secret, made at random; asking again gives the same one
        ander = antwoordnummers.geheim(session, kluis, oin_van("zorg"), nu=db_nu(session))
        assert ander != geheim
        assert antwoordnummers.geheim(session, kluis, oin_van("zorg"), nu=db_nu(session)) == ander
        # a row already there wins over a concurrent first upload's
        winnaar = portaal_store.voeg_uploadgeheim_toe(
            session,
            PortaalUploadgeheim(
                oin=oin_van("energie"),
                hoofdsleutel_id=kluis.huidige_id,
                nonce=b"\0" * 12,
                versleuteld=b"ander",
                aangemaakt_op=db_nu(session),
            ),
        )
        assert winnaar.versleuteld == rij.versleuteld
        # in no table in plain form
        for tabel in Base.metadata.sorted_tables:
            for waarden in session.execute(select(tabel)).all():
                for waarde in waarden:
                    assert not (isinstance(waarde, bytes) and geheim in waarde), tabel.name
                    assert not (isinstance(waarde, str) and geheim.hex() in waarde), tabel.name
        # bound to its participant (associated data): moved to another, it does not decrypt
        session.add(
            PortaalUploadgeheim(
                oin=oin_van("woning"),
                hoofdsleutel_id=rij.hoofdsleutel_id,
                nonce=rij.nonce,
                versleuteld=rij.versleuteld,
                aangemaakt_op=rij.aangemaakt_op,
            )
        )
        session.flush()
        with pytest.raises(KluisFout):
            antwoordnummers.geheim(session, kluis, oin_van("woning"), nu=db_nu(session))

    # never shown, never logged: in no form
    vormen = {
        geheim.hex(),
        base64.b64encode(geheim).decode(),
        base64.urlsafe_b64encode(geheim).decode().rstrip("="),
    }
    uitvoer = capsys.readouterr()
    teksten = [p.text for p in paginas] + [uitvoer.out, uitvoer.err, caplog.text]
    assert "al_verzonden=3" in uitvoer.out + uitvoer.err + caplog.text  # the upload's log line was seen
    for vorm in vormen:
        assert not any(vorm in tekst for tekst in teksten)


def test_after_a_master_key_rotation_the_secret_and_so_the_numbers_stay_the_same(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    kluis: Kluis,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kop, rijen = saldoverzoeken
    assert upload(portaal, ("saldoverzoeken.csv", als_csv(ingevuld(rijen), kop))).status_code == 200
    geheim = _geheim(rt, kluis, "energie")
    oud = (rt.settings.data_dir / ONTWIKKEL_BESTAND).read_text().strip()
    nieuw = "nieuw-2:" + base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("KNOOPPUNT_PORTAAL_HOOFDSLEUTELS", f"{nieuw},{oud}")
    uitkomst = cli("portaal", "herversleutel")
    assert uitkomst.exit_code == 0, uitkomst.output
    assert "1 uploadgeheim(en)" in uitkomst.output
    assert _geheim(rt, Kluis.uit_tekst(nieuw), "energie") == geheim


def test_a_statusverzoek_uploaded_twice_on_one_day_is_sent_once_and_a_duplicate_row_is_an_error(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    conversatie = conversatie_met(rt, "energie")
    kop = [*csvformaat.STATUSVERZOEK.kolommen]
    verzoek = {
        "ontvanger": oin_van("gemeente"),
        "conversatieReferentienummer": conversatie,
        "klantnummerSHV": "DEMO-0001",
        "contactpersoonSE.naam": "Team",
        "contactpersoonSE.email": "team@energie.example.nl",
        "toelichting": "Hoe staat het?",
    }
    inloggen(portaal, "energie")
    dubbel = upload(portaal, ("status.csv", als_csv([verzoek, verzoek], kop)))
    assert dubbel.status_code == 422
    [(bestand, rij, _kolom, reden)] = fouten(dubbel.text)
    assert (bestand, rij) == ("status.csv", "3")
    assert "hetzelfde statusverzoek als op rij 2 van status.csv" in reden
    assert verstuurd_door(rt, "energie") == 0

    assert upload(portaal, ("status.csv", als_csv([verzoek], kop))).status_code == 200
    nogmaals = upload(portaal, ("status.csv", als_csv([verzoek], kop)))
    assert nogmaals.status_code == 200
    assert "Er is niets verstuurd: het bericht in deze upload was al verzonden" in nogmaals.text
    assert verstuurd_door(rt, "energie") == 1
    # another question in the same conversation is another message
    ander = upload(portaal, ("status.csv", als_csv([{**verzoek, "toelichting": "En nu?"}], kop)))
    assert "Het bericht is versleuteld" in ander.text
    assert verstuurd_door(rt, "energie") == 2


def test_the_same_day_gives_the_same_statusverzoek_number_another_day_another() -> None:
    def nummer(dag: str) -> str:
        return antwoordnummers.uuid8(
            b"k" * 32,
            antwoordnummers.canoniek(
                berichttype="statusverzoek",
                module="schuldregeling",
                versie="1.0",
                conversatie="c",
                antwoord_op=None,
                payload={"toelichting": "Hoe staat het?"},
                ontvanger="00000003123456780000",
                dag=dag,
            ),
        )

    assert nummer("2026-12-05") == nummer("2026-12-05") != nummer("2026-12-06")


def test_a_secret_that_cannot_be_decrypted_stops_the_upload_and_is_never_replaced(
    portaal: TestClient, saldoverzoeken: tuple[list[str], list[dict[str, str]]], rt: Runtime
) -> None:
    """A new secret would give new numbers and send everything again: the upload stops instead."""
    kop, rijen = saldoverzoeken
    bestand = als_csv(ingevuld(rijen), kop)
    assert upload(portaal, ("saldoverzoeken.csv", bestand)).status_code == 200
    with transactie(rt.sessions) as session:
        rij = portaal_store.uploadgeheim(session, oin_van("energie"))
        assert rij is not None
        rij.nonce = bytes(12)
    pagina = upload(portaal, ("saldoverzoeken.csv", bestand))
    assert pagina.status_code == 409
    assert "uploadgeheim van uw organisatie is niet te ontsleutelen" in pagina.text
    assert verstuurd_door(rt, "energie") == 3


def test_a_first_click_submitted_during_the_second_clicks_dry_run_leaves_it_all_already_sent(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    nieuwe_browser: Callable[[], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second upload looked for its numbers before the first was submitted, and the hub's dry
    run then finds them taken: already sent, not an error that stops the upload."""
    kop, rijen = saldoverzoeken
    bestand = als_csv(ingevuld(rijen), kop)
    csrf = portaal.get("/portaal/upload").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    eerste_klik = nieuwe_browser()
    eerste_klik.cookies.update(portaal.cookies)
    echt = Gastclient.ontvangen
    eerste: list[Any] = []

    def ontvangen(self: Gastclient, nummers: Any) -> Any:
        if not eerste:
            eerste.append(None)
            eerste.append(upload(eerste_klik, ("saldoverzoeken.csv", bestand), csrf=csrf))
        return echt(self, nummers)

    monkeypatch.setattr(Gastclient, "ontvangen", ontvangen)
    tweede = upload(portaal, ("saldoverzoeken.csv", bestand), csrf=csrf)
    assert "Alle 3 berichten zijn versleuteld" in eerste[1].text
    assert tweede.status_code == 200, tweede.text
    assert "Er is niets verstuurd: alle 3 berichten in deze upload waren al verzonden" in tweede.text
    assert verstuurd_door(rt, "energie") == 3


def test_an_upload_goes_in_parts_and_a_broken_off_one_is_completed_by_uploading_again(
    portaal: TestClient,
    saldoverzoeken: tuple[list[str], list[dict[str, str]]],
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DESIGN §7: validated all or nothing, then submitted in verzendingen of at most 1,000 (here 2);
    when the submission breaks off after the first part, the same upload again completes it and
    sends nothing twice."""
    from knooppunt.portaal import gastclient

    kop, rijen = saldoverzoeken
    bestand = als_csv(ingevuld(rijen), kop)
    monkeypatch.setattr(gastclient, "DEEL", 2)
    echt = mailbox.verstuur_reeks
    delen: list[int] = []

    def breekt_af(session: Any, afzender: Any, envelops: Any, **kw: Any) -> Any:
        delen.append(len(envelops))
        if len(delen) == 2:
            raise RuntimeError("de verbinding viel weg")
        return echt(session, afzender, envelops, **kw)

    monkeypatch.setattr(mailbox, "verstuur_reeks", breekt_af)
    # The portal's Dutch error page (500), not a traceback: the user may send the same file again.
    afgebroken = upload(portaal, ("saldoverzoeken.csv", bestand))
    assert afgebroken.status_code == 500 and "niet dubbel verstuurd" in afgebroken.text
    assert delen == [2, 1]
    assert len(antwoorden_van(rt, "energie")) == 2  # the first part stays sent

    monkeypatch.setattr(mailbox, "verstuur_reeks", echt)
    opnieuw = upload(portaal, ("saldoverzoeken.csv", bestand))
    assert opnieuw.status_code == 200, opnieuw.text
    antwoorden = antwoorden_van(rt, "energie")
    assert len(antwoorden) == 3
    assert len({a.referentienummer for a in antwoorden}) == 3
