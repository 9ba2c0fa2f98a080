"""Content-blind (DESIGN §1.3, §5): after a complete flow, no table (the audit log included), no
log line and no metric holds any ciphertext or any plaintext of the payloads."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from starlette.testclient import TestClient

from knooppunt.ops import create_ops_app
from knooppunt.runtime import Runtime
from tests.factories import Partij, envelop


def _alle_waarden(rt: Runtime) -> str:
    delen: list[str] = []
    with rt.engine.connect() as conn:
        for tabel in inspect(conn).get_table_names():
            for rij in conn.execute(text(f'SELECT * FROM "{tabel}"')):
                delen.extend(str(waarde) for waarde in rij)
    return "\n".join(delen)


def _sqlite_bestand(rt: Runtime) -> Path | None:
    if rt.engine.dialect.name != "sqlite" or not rt.engine.url.database:
        return None
    return Path(rt.engine.url.database)


def test_geen_inhoud_in_tabellen_of_logs(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    shv, se, se_zorg = client_voor(gemeente), client_voor(energie), client_voor(zorg)
    conversatie = str(uuid.uuid4())
    markeringen: list[str] = []
    versleuteld: list[str] = []

    def stuur(van: Partij, aan: Partij, berichttype: str, antwoord_op: str | None = None) -> str:
        markering = f"PLAINTEXT-{uuid.uuid4().hex}"
        env = envelop(
            van,
            aan,
            berichttype,
            conversatie=conversatie,
            antwoord_op=antwoord_op,
            payload={"klant": {"achternaam": markering, "bsn": "111222333"}, "omschrijving": markering},
        )
        markeringen.append(markering)
        versleuteld.append(env["inhoud"])
        r = client_voor(van).post("/berichten", json=env)
        assert r.status_code == 201, r.text
        return str(env["referentienummer"])

    vraag = stuur(gemeente, energie, "saldoverzoek_nuts")
    stuur(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=vraag)
    voorstel = stuur(gemeente, energie, "betaalvoorstel")
    se.get("/berichten")
    stuur(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    stuur(gemeente, energie, "schuldregeling_geaccordeerd")
    geweigerd = stuur(gemeente, zorg, "saldoverzoek_zorg")
    se_zorg.post(f"/berichten/{geweigerd}/weigering", json={"reden": "ONTSLEUTELING_MISLUKT"})

    # Everyone confirms what they received (receipts arrive as others confirm: a few rounds).
    for _ in range(3):
        for client in (shv, se, se_zorg):
            inbox = client.get("/berichten", params={"limit": 1000}).json()["berichten"]
            refs = [b["referentienummer"] for b in inbox]
            if refs:
                assert client.post("/bevestigingen", json={"referentienummers": refs}).status_code == 200
    for client in (shv, se, se_zorg):
        assert client.get("/berichten").json()["berichten"] == []

    database = _alle_waarden(rt)
    with rt.engine.connect() as conn:
        audit = "\n".join(str(rij) for rij in conn.execute(text("SELECT * FROM auditregels")))
    with TestClient(create_ops_app(rt)) as ops:
        metrics = ops.get("/metrics").text
    uitvoer = capsys.readouterr()
    logs = uitvoer.out + uitvoer.err + "\n".join(r.getMessage() for r in caplog.records)
    for geheim in markeringen + versleuteld + ["111222333"]:
        assert geheim not in database
        assert geheim not in logs
        assert geheim not in metrics
        # A fragment too: no column or label holds part of a ciphertext.
        assert geheim[-40:] not in audit
    # The only traces left are metadata: types, parties, times, outcomes.
    assert "saldoverzoek_nuts" in database
    for actie in ("verstuurd", "opgehaald", "bevestigd", "geweigerd"):
        assert f"'{actie}'" in audit
    assert 'knooppunt_berichten{berichttype="saldoverzoek_nuts",status="beantwoord"} 1.0' in metrics
    for partij in (gemeente, energie, zorg):
        assert partij.oin not in metrics

    bestand = _sqlite_bestand(rt)
    if bestand is not None:
        # secure_delete: deleted content is overwritten on disk too, not just unlinked.
        rt.engine.dispose()
        verbinding = sqlite3.connect(bestand)
        verbinding.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        verbinding.close()
        ruw = b"".join(p.read_bytes() for p in bestand.parent.glob(bestand.name + "*"))
        for geheim in versleuteld:
            assert geheim[-80:-20].encode() not in ruw
