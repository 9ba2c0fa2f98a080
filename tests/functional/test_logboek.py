"""The logboek (DESIGN §4, issue #12 item 4): `GET /api/v1/logboek`, the SDK's `HubClient.logboek`
and `knooppunt client logboek` — the metadata of everything a participant sent or received in a
period, confirmed and expired messages included, never a third party's, never content."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from knooppunt.client.hub import HubClient
from knooppunt.jobs import verlopen
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.factories import Partij, envelop
from tests.functional.server import Hub, start_hub


def _stuur(client_voor: Any, van: Partij, aan: Partij, berichttype: str = "saldoverzoek", **kw: Any) -> str:
    env = envelop(van, aan, berichttype, **kw)
    r = client_voor(van).post("/berichten", json=env)
    assert r.status_code == 201, r.text
    return str(env["referentienummer"])


def _zet(rt: Runtime, referentienummer: str, **waarden: Any) -> None:
    """Metadata as the hub would have had it earlier (a message's arrival time, its module)."""
    with transactie(rt.sessions) as session:
        session.execute(update(Bericht).where(Bericht.referentienummer == referentienummer).values(**waarden))


def _logboek(client: Any, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/logboek", params=params)
    assert r.status_code == 200, r.text
    assert "volgende" not in r.json()  # DESIGN §4: only "when more remain"
    return list(r.json()["berichten"])


def _refs(berichten: list[dict[str, Any]]) -> list[str]:
    return [b["referentienummer"] for b in berichten]


def _nu(rt: Runtime) -> datetime:
    with rt.sessions() as session:
        return db_nu(session)


# A period around everything, also the notices the hub writes with a later clock in these tests.
ALLES = {"vanaf": "2000-01-01", "tot": "9999-12-31"}


def test_bevestigde_verlopen_en_geweigerde_berichten_staan_erin_met_hun_status(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    se = client_voor(energie)
    bevestigd = _stuur(client_voor, gemeente, energie)
    assert se.post(f"/berichten/{bevestigd}/bevestiging").status_code == 200
    geweigerd = _stuur(client_voor, gemeente, energie)
    r = se.post(f"/berichten/{geweigerd}/weigering", json={"reden": "INHOUD_ONGELDIG"})
    assert r.status_code == 200, r.text
    verlopen_ref = _stuur(client_voor, gemeente, energie)
    _zet(rt, verlopen_ref, verloopt_op=_nu(rt) - timedelta(minutes=1))
    assert verlopen.verloop_alles(rt.sessions, nu=_nu(rt), instellingen=rt.instellingen) == 1
    open_ref = _stuur(client_voor, gemeente, energie)

    shv = _logboek(client_voor(gemeente), **ALLES)
    per_ref = {b["referentienummer"]: b for b in shv}
    assert [per_ref[r]["status"] for r in (bevestigd, geweigerd, verlopen_ref, open_ref)] == [
        "bevestigd",
        "geweigerd",
        "verlopen",
        "aangeboden",
    ]
    assert per_ref[bevestigd]["antwoordUiterlijk"] is not None
    assert per_ref[verlopen_ref]["verlopenOp"] is not None
    # The hub's notices to the sender are in it too, as received, with their melding.
    meldingen = sorted(
        (b["berichttype"], b["melding"]["code"], b["melding"]["referentienummer"])
        for b in shv
        if b["afzender"] == "KNOOPPUNT"
    )
    assert meldingen == sorted(
        [
            ("ontvangstbevestiging", "BEVESTIGD", bevestigd),
            ("foutbericht", "GEWEIGERD", geweigerd),
            ("foutbericht", "VERLOPEN", verlopen_ref),
        ]
    ), meldingen
    # Metadata only: no message ever carries its content here, not even the open one.
    assert all(b.get("inhoud") is None for b in shv)
    # Times in Europe/Amsterdam, as everywhere on the wire.
    assert all(
        datetime.fromisoformat(b["ontvangenOp"]).utcoffset() in (timedelta(hours=1), timedelta(hours=2))
        for b in shv
    )
    # The recipient's logboek has the same four, received; the open one was not marked as fetched.
    ontvangen = {b["referentienummer"]: b for b in _logboek(se, **ALLES)}
    assert set(ontvangen) == {bevestigd, geweigerd, verlopen_ref, open_ref}
    assert ontvangen[open_ref]["status"] == "aangeboden"


def test_berichten_van_derden_staan_er_nooit_in(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie, kredietbank, woning = (
        cast["gemeente"],
        cast["energie"],
        cast["kredietbank"],
        cast["woning"],
    )
    eigen = _stuur(client_voor, gemeente, energie)
    vreemd = _stuur(client_voor, kredietbank, woning)
    ook_vreemd = _stuur(client_voor, kredietbank, energie)
    assert _refs(_logboek(client_voor(gemeente), **ALLES)) == [eigen]
    assert set(_refs(_logboek(client_voor(energie), **ALLES))) == {eigen, ook_vreemd}
    assert _refs(_logboek(client_voor(woning), **ALLES)) == [vreemd]
    assert _logboek(client_voor(cast["zorg"]), **ALLES) == []


def test_periode_vanaf_inclusief_tot_exclusief_en_een_datum_is_middernacht_in_amsterdam(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    # 1 November 2025 00:00 in Amsterdam is 31 October 23:00 UTC (winter time).
    tijden = {
        "voor": datetime(2025, 10, 31, 22, 59, 59, 999999, tzinfo=UTC),
        "begin": datetime(2025, 10, 31, 23, 0, tzinfo=UTC),
        "midden": datetime(2025, 11, 15, 12, 0, tzinfo=UTC),
        "eind": datetime(2025, 11, 30, 23, 0, tzinfo=UTC),
    }
    refs = {}
    for naam, moment in tijden.items():
        refs[naam] = _stuur(client_voor, gemeente, energie)
        _zet(rt, refs[naam], ontvangen_op=moment)
    shv = client_voor(gemeente)
    november = _logboek(shv, vanaf="2025-11-01", tot="2025-12-01")
    assert _refs(november) == [refs["begin"], refs["midden"]]
    assert november[0]["ontvangenOp"] == "2025-11-01T00:00:00+01:00"
    # The same bounds as times with an offset, and in UTC.
    assert _refs(_logboek(shv, vanaf="2025-11-01T00:00:00+01:00", tot="2025-11-30T23:00:00Z")) == [
        refs["begin"],
        refs["midden"],
    ]
    assert _refs(_logboek(shv, vanaf="2025-10-31T22:59:59.999999Z", tot="2025-11-15T12:00:00.000001Z")) == [
        refs["voor"],
        refs["begin"],
        refs["midden"],
    ]
    # An empty period (vanaf = tot) is empty, not an error.
    assert _logboek(shv, vanaf="2025-11-15T12:00:00Z", tot="2025-11-15T12:00:00Z") == []


def test_zonder_periode_de_laatste_30_dagen_tot_nu(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    nu = _nu(rt)
    oud, recent, net = (_stuur(client_voor, gemeente, energie) for _ in range(3))
    _zet(rt, oud, ontvangen_op=nu - timedelta(days=30, minutes=5))
    _zet(rt, recent, ontvangen_op=nu - timedelta(days=29, hours=23))
    shv = client_voor(gemeente)
    assert _refs(_logboek(shv)) == [recent, net]
    # Only tot: the 30 days before it.
    assert _refs(_logboek(shv, tot=(nu - timedelta(days=1)).isoformat())) == [oud, recent]
    assert _refs(_logboek(shv, tot=(nu - timedelta(minutes=1)).isoformat())) == [recent]
    # Only vanaf: from then until now.
    assert _refs(_logboek(shv, vanaf=(nu - timedelta(days=40)).isoformat())) == [oud, recent, net]


def test_richting_verzonden_of_ontvangen(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    vraag = envelop(gemeente, energie, "saldoverzoek")
    assert client_voor(gemeente).post("/berichten", json=vraag).status_code == 201
    antwoord = _stuur(
        client_voor,
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        conversatie=vraag["conversatieReferentienummer"],
        antwoord_op=vraag["referentienummer"],
    )
    shv = client_voor(gemeente)
    assert _refs(_logboek(shv, richting="verzonden", **ALLES)) == [vraag["referentienummer"]]
    ontvangen = _logboek(shv, richting="ontvangen", **ALLES)
    # Answering confirmed the question: the hub's receipt is received too, at the same moment.
    assert sorted((b["berichttype"], b["afzender"]) for b in ontvangen) == [
        ("ontvangstbevestiging", "KNOOPPUNT"),
        ("saldoverzoek_antwoord", energie.oin),
    ]
    assert antwoord in _refs(ontvangen)
    beide = _logboek(shv, **ALLES)
    assert set(_refs(beide)) == {vraag["referentienummer"], *_refs(ontvangen)}
    assert _refs(beide)[0] == vraag["referentienummer"]
    se = client_voor(energie)
    assert _refs(_logboek(se, richting="verzonden", **ALLES)) == [antwoord]
    assert _refs(_logboek(se, richting="ontvangen", **ALLES)) == [vraag["referentienummer"]]


def test_module_en_berichttype_filteren(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    saldo = _stuur(client_voor, gemeente, energie, "saldoverzoek")
    nuts = _stuur(client_voor, gemeente, energie, "saldoverzoek_nuts")
    pauze = _stuur(client_voor, gemeente, energie, "kennisgeving")
    _zet(rt, pauze, module="pauzeknop")  # as a kennisgeving of the pauzeknop module would be stored
    shv = client_voor(gemeente)
    assert _refs(_logboek(shv, module="pauzeknop", **ALLES)) == [pauze]
    assert _refs(_logboek(shv, module="schuldregeling", **ALLES)) == [saldo, nuts]
    assert _refs(_logboek(shv, berichttype="saldoverzoek_nuts", **ALLES)) == [nuts]
    assert _logboek(shv, module="pauzeknop", berichttype="saldoverzoek", **ALLES) == []
    # The inbox and /verzonden take module= too (DESIGN §4).
    se = client_voor(energie)
    inbox = se.get("/berichten", params={"module": "pauzeknop"})
    assert _refs(inbox.json()["berichten"]) == [pauze]
    verzonden = shv.get("/verzonden", params={"module": "schuldregeling"}).json()["berichten"]
    assert _refs(verzonden) == [nuts, saldo]
    assert shv.get("/verzonden", params={"module": "bewind"}).json()["berichten"] == []


def test_bladeren_met_volgende_geeft_alles_precies_eens_ook_bij_gelijke_tijden(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    tijd = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    refs = []
    # Sent and received, to two counterparts, several at the very same instant.
    for i in range(9):
        van, aan = (gemeente, energie) if i % 3 else (gemeente, woning)
        refs.append(_stuur(client_voor, van, aan))
        _zet(rt, refs[-1], ontvangen_op=tijd + timedelta(seconds=i // 4))
    vraag = envelop(gemeente, energie, "statusbericht")
    assert client_voor(gemeente).post("/berichten", json=vraag).status_code == 201
    antwoord = _stuur(
        client_voor, energie, gemeente, "statusverzoek", conversatie=vraag["conversatieReferentienummer"]
    )
    _zet(rt, vraag["referentienummer"], ontvangen_op=tijd)
    _zet(rt, antwoord, ontvangen_op=tijd + timedelta(seconds=1))
    shv = client_voor(gemeente)
    params = {"vanaf": "2025-06-01", "tot": "2025-06-03"}
    alles = _logboek(shv, **params, limit=1000)
    assert len(alles) == 11
    gezien: list[str] = []
    volgende = None
    paginas = 0
    while True:
        r = shv.get("/logboek", params={**params, "limit": 2, **({"volgende": volgende} if volgende else {})})
        assert r.status_code == 200, r.text
        gezien += _refs(r.json()["berichten"])
        paginas += 1
        volgende = r.json().get("volgende")
        if not volgende:
            break
    assert paginas == 6
    assert gezien == _refs(alles)
    assert len(set(gezien)) == 11
    # Oldest first by ontvangenOp.
    momenten = [datetime.fromisoformat(b["ontvangenOp"]) for b in alles]
    assert momenten == sorted(momenten)
    # The cursor is opaque, and a position: following it in one direction gives that direction's rest.
    eerste = shv.get("/logboek", params={**params, "limit": 3}).json()
    rest = _logboek(shv, **params, richting="ontvangen", volgende=eerste["volgende"])
    assert _refs(rest) == [antwoord]


def _cursor(tekst: str) -> str:
    return base64.urlsafe_b64encode(tekst.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("params", "naam"),
    [
        ({"vanaf": "gisteren"}, "vanaf"),
        ({"vanaf": "2025-11-01T09:00"}, "vanaf"),  # no time zone
        ({"vanaf": "2025-11-01T09:00:00 01:00"}, "vanaf"),  # an unescaped + in the query
        ({"tot": "2025-02-30"}, "tot"),
        ({"tot": "2025-11-01T24:00:00Z"}, "tot"),
        ({"tot": "2025-11-01\n"}, "tot"),
        ({"tot": "2025-11-01" + "0" * 40}, "tot"),
        ({"vanaf": "2025-12-01", "tot": "2025-11-01"}, "vanaf"),
        ({"vanaf": "9999-01-01"}, "vanaf"),  # after tot, which is now
        ({"richting": "beide"}, "richting"),
        ({"module": "onbekend"}, "module"),
        ({"berichttype": "saldo\x00verzoek"}, "berichttype"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"volgende": "nonsens"}, "volgende"),
        ({"volgende": _cursor("id:5")}, "volgende"),
        ({"volgende": _cursor("logboek:5")}, "volgende"),
        ({"volgende": _cursor("logboek:" + "9" * 19 + ".1")}, "volgende"),
        ({"volgende": _cursor("logboek:1.9223372036854775808")}, "volgende"),
        ({"volgende": _cursor("logboek:-1.1")}, "volgende"),
    ],
)
def test_ongeldige_parameter_is_een_400_die_hem_noemt(
    cast: dict[str, Partij], client_voor: Any, params: dict[str, str], naam: str
) -> None:
    r = client_voor(cast["gemeente"]).get("/logboek", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "ONGELDIG_VERZOEK"
    assert [v["name"] for v in r.json()["invalidParams"]] == [naam]


def test_ongeldige_periode_zegt_in_het_nederlands_wat_te_doen(
    cast: dict[str, Partij], client_voor: Any
) -> None:
    shv = client_voor(cast["gemeente"])
    [fout] = shv.get("/logboek", params={"vanaf": "2025-11-01T09:00"}).json()["invalidParams"]
    assert "tijdzone" in fout["reason"]
    [fout] = shv.get("/logboek", params={"vanaf": "2025-11-01T09:00:00 01:00"}).json()["invalidParams"]
    assert "%2B" in fout["reason"]
    [fout] = shv.get("/logboek", params={"vanaf": "2025-12-01", "tot": "2025-11-01"}).json()["invalidParams"]
    assert fout["reason"] == "ligt na tot"


def test_uiterste_momenten_zijn_geen_serverfout(cast: dict[str, Partij], client_voor: Any) -> None:
    """Year 1 with a positive offset and year 9999 with a negative one lie outside what UTC can
    hold: they are the first and last moment, not a 500."""
    shv = client_voor(cast["gemeente"])
    eigen = _stuur(client_voor, cast["gemeente"], cast["energie"])
    for vanaf, tot in [
        ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"),
        ("0001-01-01", "9999-12-31"),
        (None, "0001-01-05"),
    ]:
        params = {"tot": tot} | ({"vanaf": vanaf} if vanaf else {})
        verwacht = [] if vanaf is None else [eigen]
        assert _refs(_logboek(shv, **params)) == verwacht


# --- the SDK and `knooppunt client logboek` against a real `knooppunt serve` ----------------------


@pytest.fixture
def hub(database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]) -> Iterator[Hub]:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as h:
        yield h


def _cli(hub: Hub, partij: Partij, *args: str) -> subprocess.CompletedProcess[str]:
    verbinding = ["--hub", hub.url, "--cert", partij.cert_pad, "--key", partij.key_pad, "--ca", hub.ca]
    return subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "client", "logboek", *map(str, verbinding), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sdk_en_cli_logboek_tegen_een_echte_hub(hub: Hub, cast: dict[str, Partij]) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    with (
        HubClient(hub.url, cert=gemeente.cert_pad, key=gemeente.key_pad, ca=hub.ca) as shv,
        HubClient(hub.url, cert=energie.cert_pad, key=energie.key_pad, ca=hub.ca) as se,
    ):
        verzonden = [
            shv.verstuur(
                ontvanger=energie.oin,
                berichttype="saldoverzoek_nuts",
                payload=voorbeeld("schuldregeling", "saldoverzoek_nuts"),
                conversatie=str(uuid.uuid4()),
            ).referentienummer
            for _ in range(3)
        ]
        naar_woning = shv.verstuur(
            ontvanger=woning.oin,
            berichttype="saldoverzoek",
            payload=voorbeeld("schuldregeling", "saldoverzoek"),
            conversatie=str(uuid.uuid4()),
        ).referentienummer
        se.bevestig(verzonden[0])
        # The SDK follows volgende through pages of one.
        gelogd = list(shv.logboek(vanaf="2000-01-01", tot="9999-12-31", limit=1))
        assert [b["referentienummer"] for b in gelogd if b["afzender"] == gemeente.oin] == [
            *verzonden,
            naar_woning,
        ]
        assert [b["berichttype"] for b in gelogd if b["afzender"] == "KNOOPPUNT"] == ["ontvangstbevestiging"]
        assert [b["referentienummer"] for b in se.logboek(richting="verzonden")] == []
        assert {b["referentienummer"] for b in se.logboek(richting="ontvangen")} == set(verzonden)

    r = _cli(hub, gemeente, "--json", "--richting", "verzonden", "--berichttype", "saldoverzoek_nuts")
    assert r.returncode == 0, r.stderr
    regels = [json.loads(regel) for regel in r.stdout.splitlines()]
    assert [b["referentienummer"] for b in regels] == verzonden
    assert [b["status"] for b in regels] == ["bevestigd", "aangeboden", "aangeboden"]
    assert all("inhoud" not in b or b["inhoud"] is None for b in regels)

    vandaag = datetime.now(UTC).date()
    r = _cli(
        hub,
        gemeente,
        "--vanaf",
        (vandaag - timedelta(days=1)).isoformat(),
        "--tot",
        (vandaag + timedelta(days=2)).isoformat(),
        "--module",
        "schuldregeling",
    )
    assert r.returncode == 0, r.stderr
    kop, *rijen = r.stdout.splitlines()
    assert kop.split()[:3] == ["ontvangen", "op", "richting"]
    assert len(rijen) == 5
    per_ref = {rij.split()[-1]: rij.split() for rij in rijen}
    assert per_ref[verzonden[0]][2:7] == [
        "verzonden",
        energie.oin,
        "schuldregeling",
        "saldoverzoek_nuts",
        "bevestigd",
    ]
    assert per_ref[naar_woning][3] == woning.oin
    [ontvangst] = [rij for rij in per_ref.values() if "ontvangstbevestiging" in rij]
    assert ontvangst[2:4] == ["ontvangen", "KNOOPPUNT"]

    # A local time is Europe/Amsterdam: an hour-long window in the future holds nothing.
    r = _cli(hub, gemeente, "--vanaf", "2999-01-01T09:00", "--tot", "2999-01-01T10:00")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    assert "geen berichten" in r.stderr

    # The hub's refusal of a bad period comes back readably, with exit code 1.
    r = _cli(hub, gemeente, "--vanaf", "2025-12-01", "--tot", "2025-11-01")
    assert r.returncode == 1
    assert "vanaf: ligt na tot" in r.stderr
    assert json.loads(r.stdout)["fout"]["code"] == "ONGELDIG_VERZOEK"
    r = _cli(hub, gemeente, "--vanaf", "gisteren")
    assert r.returncode == 2
    assert "geen datum" in r.stderr
