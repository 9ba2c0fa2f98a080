"""An independent audit of DESIGN.md §5 "Logging" and "Deletion means gone, even from backups" (and
§8 where it names `knooppunt audit verify`, metrics and logs), written from DESIGN.md as an outside
tester would, through real `knooppunt serve` processes, the real CLI and a real SMTP server.

Whatever the hub claims is recomputed here without its code: the RFC 6962 root over the audit
entries (the entry bytes as docs/decisions/0019 defines them), the C2SP signed note's Ed25519
signature and key hash, and the AES-256-GCM sealing of stored inhoud under its day key (the stored
format of docs/decisions/0015), with `cryptography` alone. Each test quotes the sentence it checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, inspect, text
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.jobs import planner
from knooppunt.runtime import Runtime
from tests.conftest import MetCertificaat, maak_settings
from tests.factories import Partij, envelop
from tests.functional.server import start_hub, vrije_poort, wacht_op_antwoord, wacht_op_poort
from tests.integration.test_dagsleutels import _backup, pg_beheer  # noqa: F401  (a fixture)
from tests.ontvangers import SmtpOntvanger

# --- helpers: real processes ---------------------------------------------------------------------


def _omgeving(database_url: str, data_dir: Path, pki_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an operator's shell on this hub: development, this database, this data
    directory (master key, key store, audit key), no other KNOOPPUNT_* setting."""
    schoon = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
    return schoon | {
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        **extra,
    }


def _knooppunt(*args: str | Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knooppunt", *(str(a) for a in args)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _scrape(ops: int) -> tuple[str, list[Any]]:
    r = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=10)
    assert r.status_code == 200
    return r.text, [s for f in text_string_to_metric_families(r.text) for s in f.samples]


def _waarde(monsters: list[Any], naam: str) -> float:
    return float(sum(s.value for s in monsters if s.name == naam))


def _verstuur(client: Any, env: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = client.post("/berichten", json=env)
    assert r.status_code == status, r.text
    return dict(r.json())


# --- helpers: the audit log, recomputed without the hub's code -------------------------------------

AUDIT_NIET_IN_BLAD = {"id", "volgnummer", "hash", "ingevoegd_op"}
"""docs/operations.md "Audit log": the entry's fields, then "given by the sequencer, `volgnummer`
and `hash`"; `id` and `ingevoegd_op` are bookkeeping (decision 0019: "not hashed")."""


def _utc(waarde: Any) -> datetime:
    """A timestamp as the database driver gives it (SQLite: text without zone, which is UTC)."""
    moment = waarde if isinstance(waarde, datetime) else datetime.fromisoformat(str(waarde))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _auditregels(database_url: str) -> list[dict[str, Any]]:
    """Every audit entry as stored, in volgnummer order (unsequenced ones last, by id)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rijen = conn.execute(
                text("SELECT * FROM auditregels ORDER BY volgnummer IS NULL, volgnummer, id")
            ).mappings()
            return [dict(r) for r in rijen]
    finally:
        engine.dispose()


def _blad(regel: Mapping[str, Any]) -> bytes:
    """Decision 0019: leaf = SHA-256(0x00 || entry bytes), the entry bytes being the canonical JSON
    of its fields (sorted keys, no whitespace, UTF-8, `tijd` as YYYY-MM-DDTHH:MM:SS.ffffffZ),
    without `volgnummer`."""
    velden = {k: v for k, v in regel.items() if k not in AUDIT_NIET_IN_BLAD}
    velden["tijd"] = _utc(velden["tijd"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    tekst = json.dumps(velden, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + tekst.encode("utf-8")).digest()


def _mth(bladen: list[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash, written out as the RFC states it (recursively)."""
    if not bladen:
        return hashlib.sha256(b"").digest()
    if len(bladen) == 1:
        return bladen[0]
    k = 1
    while k * 2 < len(bladen):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(bladen[:k]) + _mth(bladen[k:])).digest()


def _sleutelhash(naam: str, publiek: bytes) -> bytes:
    """C2SP signed-note: key hash = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    return hashlib.sha256(naam.encode() + b"\n" + b"\x01" + publiek).digest()[:4]


def _publieke_sleutel(data_dir: Path) -> tuple[str, bytes]:
    """The development signing key's name and Ed25519 public key, from the key file in the data
    directory (docs/operations.md: `PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>`)."""
    delen = (data_dir / "audit-sleutel").read_text().strip().split("+", 4)
    assert delen[:2] == ["PRIVATE", "KEY"], "the audit key file is not in Go's note format"
    naam, hash_hex, waarde = delen[2:]
    ruw = base64.b64decode(waarde)
    assert ruw[:1] == b"\x01" and len(ruw) == 33
    publiek = (
        Ed25519PrivateKey.from_private_bytes(ruw[1:])
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert hash_hex == _sleutelhash(naam, publiek).hex()
    return naam, publiek


def _als_verificatiesleutel(naam: str, publiek: bytes) -> str:
    """The public key as `knooppunt audit verify --sleutel` takes it: name+hash+base64(0x01||key)."""
    waarde = base64.b64encode(b"\x01" + publiek).decode()
    return f"{naam}+{_sleutelhash(naam, publiek).hex()}+{waarde}"


def _lees_checkpoint(notitie: str, naam: str, publiek: bytes) -> tuple[str, int, bytes, list[str]]:
    """C2SP tlog-checkpoint in a C2SP signed note, checked with `cryptography` alone: the text
    (origin, tree size, base64 root hash, extension lines), one blank line, signature lines
    `— <name> <base64(key hash || Ed25519 signature)>`; one of them by this key over the text."""
    assert notitie.count("\n\n") == 1, notitie
    tekst, handtekeningen = notitie.split("\n\n")
    tekst += "\n"
    geldig = False
    for regel in handtekeningen.rstrip("\n").split("\n"):
        streep, sleutelnaam, waarde = regel.split(" ")
        assert streep == "\u2014", regel
        ruw = base64.b64decode(waarde, validate=True)
        if sleutelnaam != naam or ruw[:4] != _sleutelhash(naam, publiek):
            continue
        try:
            Ed25519PublicKey.from_public_bytes(publiek).verify(ruw[4:], tekst.encode())
            geldig = True
        except InvalidSignature:
            pass
    assert geldig, f"no valid signature by {naam} on:\n{notitie}"
    regels = tekst.split("\n")[:-1]
    origin, grootte, wortel = regels[0], regels[1], base64.b64decode(regels[2], validate=True)
    assert grootte.isdigit() and (grootte == "0" or not grootte.startswith("0")), grootte
    assert len(wortel) == 32
    return origin, int(grootte), wortel, regels[3:]


# --- helpers: stored inhoud and the database -----------------------------------------------------


def _alle_waarden(database_url: str) -> list[tuple[str, Any]]:
    """(table, value) of every column of every row of every table of the message database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            uit: list[tuple[str, Any]] = []
            for tabel in inspect(conn).get_table_names():
                for rij in conn.execute(text(f'SELECT * FROM "{tabel}"')):
                    uit.extend((tabel, waarde) for waarde in rij)
            return uit
    finally:
        engine.dispose()


def _bevat(waarden: list[tuple[str, Any]], spoor: bytes) -> list[str]:
    """The tables holding this trace (as text or as bytes) in any value."""
    tabellen = []
    for tabel, waarde in waarden:
        gewoon = waarde.tobytes() if isinstance(waarde, memoryview) else waarde
        ruw = gewoon if isinstance(gewoon, bytes) else str(gewoon).encode()
        if spoor in ruw:
            tabellen.append(tabel)
    return tabellen


def _opgeslagen(database_url: str) -> dict[str, str]:
    """referentienummer -> the stored text of its inhoud (docs: `berichtinhoud.jwe`)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rijen = conn.execute(
                text(
                    "SELECT b.referentienummer, i.jwe FROM berichtinhoud i "
                    "JOIN berichten b ON b.id = i.bericht_id"
                )
            )
            return {str(ref): str(jwe) for ref, jwe in rijen}
    finally:
        engine.dispose()


def _sporen(jwe: str) -> list[bytes]:
    """What of a JWE must not appear: the whole text, its encrypted key and its ciphertext."""
    delen = jwe.split(".")
    return [jwe.encode(), delen[1][:48].encode(), delen[3][:48].encode()]


# =================================================================================================
# §5 "Logging: metadata only, never `inhoud` or payload fields"; §8 "Structured JSON logs with a
# request id"; §5 "Metrics carry no participant labels."
# =================================================================================================


def test_logregels_json_met_request_id_zonder_inhoud_en_metrics_zonder_deelnemers(
    cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 "**Logging**: metadata only, never `inhoud` or payload fields"; §8 "Structured JSON logs
    with a request id"; §5 "Metrics carry no participant labels." — a served hub through a submit,
    a retry, a fetch of the inbox and of one message, a confirm, a refusal, a batch and hostile
    requests that put a payload marker where the hub might echo it. Every log line of a request is
    JSON and carries the request's id (the one the client sent in X-Request-ID, echoed back); no
    line holds a marker or any part of a ciphertext; /metrics on the operator listener, scraped
    after traffic from three participants, names none of them anywhere."""
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    markering = f"GEHEIM-{uuid.uuid4().hex}"
    payload = {"klant": {"achternaam": markering, "bsn": "111222333"}, "omschrijving": markering}
    ops = vrije_poort()
    verzoeken: list[tuple[str, str, int]] = []  # (request id, path, status)
    jwes: list[str] = []

    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "data",
        pki_dir=pki_dir,
        extra_args=["--ops-port", str(ops), "--job-interval", "0.3"],
    ) as hub:
        with hub.client(gemeente) as shv, hub.client(energie) as se, hub.client(zorg) as se_zorg:

            def doe(client: httpx.Client, methode: str, pad: str, **kwargs: Any) -> httpx.Response:
                verzoek_id = f"audit-{uuid.uuid4()}"
                headers = {"X-Request-ID": verzoek_id, **kwargs.pop("headers", {})}
                r = client.request(methode, pad, headers=headers, **kwargs)
                assert r.headers.get("X-Request-ID") == verzoek_id, "the request id is echoed"
                verzoeken.append((verzoek_id, f"/api/v1{pad}", r.status_code))
                return r

            vraag = envelop(gemeente, energie, "saldoverzoek", payload=payload)
            jwes.append(vraag["inhoud"])
            assert doe(shv, "POST", "/berichten", json=vraag).status_code == 201
            assert doe(shv, "POST", "/berichten", json=vraag).status_code == 200  # a retry
            inbox = doe(se, "GET", "/berichten").json()["berichten"]
            assert [b["inhoud"] for b in inbox] == [vraag["inhoud"]]  # byte for byte
            ref = vraag["referentienummer"]
            assert doe(se, "GET", f"/berichten/{ref}").json()["inhoud"] == vraag["inhoud"]
            assert doe(se, "POST", f"/berichten/{ref}/bevestiging").status_code == 200

            geweigerd = envelop(gemeente, zorg, "saldoverzoek_zorg", payload=payload)
            jwes.append(geweigerd["inhoud"])
            assert doe(shv, "POST", "/berichten", json=geweigerd).status_code == 201
            r = doe(
                se_zorg,
                "POST",
                f"/berichten/{geweigerd['referentienummer']}/weigering",
                json={"reden": "HANDTEKENING_ONGELDIG"},
            )
            assert r.status_code == 200, r.text
            reeks = envelop(gemeente, energie, "betaalvoorstel", payload=payload)
            jwes.append(reeks["inhoud"])
            r = doe(shv, "POST", "/verzendingen", json={"berichten": [reeks], "allesOfNiets": False})
            assert r.status_code == 200 and r.json()["berichten"][0]["status"] == 201, r.text

            # Hostile: the marker where a careless hub would echo it into a log line.
            vals = envelop(gemeente, energie, "saldoverzoek") | {"inhoud": f"{markering}.x.y.z.w"}
            assert 400 <= doe(shv, "POST", "/berichten", json=vals).status_code < 500
            kapot = b'{"referentienummer": "' + markering.encode() + b'", '
            r = doe(shv, "POST", "/berichten", content=kapot, headers={"Content-Type": "application/json"})
            assert r.status_code == 400
            onbekend = envelop(gemeente, energie, "saldoverzoek", payload=payload) | {
                "ontvanger": "00000003999999990000"
            }
            jwes.append(onbekend["inhoud"])
            assert doe(shv, "POST", "/berichten", json=onbekend).status_code == 422

        time.sleep(0.8)  # a few job runs: their lines are in the log too
        metrics, monsters = _scrape(ops)
        hub.stop()
        log = list(hub.log)

    # --- logs ---
    logtekst = "".join(log)
    for geheim in [markering, "111222333"] + [s.decode() for jwe in jwes for s in _sporen(jwe)]:
        assert geheim not in logtekst, f"{geheim[:30]}… staat in de log"
    json_regels = [json.loads(r) for r in log if r.lstrip().startswith("{")]
    assert all(isinstance(r, dict) for r in json_regels)
    van_een_verzoek = [r for r in json_regels if "path" in r or "method" in r or "status" in r]
    assert van_een_verzoek and all(r.get("request_id") for r in van_een_verzoek), [
        r for r in van_een_verzoek if not r.get("request_id")
    ]
    for verzoek_id, pad, status in verzoeken:
        eigen = [r for r in json_regels if r.get("request_id") == verzoek_id]
        assert [(r["path"], r["status"]) for r in eigen if r.get("event") == "verzoek"] == [(pad, status)], (
            verzoek_id,
            eigen,
        )

    # --- metrics ---
    assert _waarde(monsters, "knooppunt_database_up") == 1
    assert (
        sum(
            s.value
            for s in monsters
            if s.name == "knooppunt_http_requests_total" and s.labels.get("route") == "/api/v1/berichten"
        )
        >= 5
    ), "the traffic is counted"
    for partij in (gemeente, energie, zorg):
        for wie in (partij.oin, partij.naam, partij.kvk):
            assert wie not in metrics, f"{wie} staat in /metrics"
    for env in (vraag, geweigerd, reeks):
        assert env["referentienummer"] not in metrics
    labels = {k for s in monsters for k in s.labels}
    assert not labels & {"oin", "afzender", "ontvanger", "deelnemer", "naam", "kvk", "actor"}, labels


def _lees_stderr(proces: subprocess.Popen[bytes], log: list[str]) -> None:
    assert proces.stderr is not None
    for regel in iter(proces.stderr.readline, b""):
        log.append(regel.decode(errors="replace"))


@contextmanager
def _serve_stderr(tmp_path: Path, pki_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], list[str]]]:
    poort = vrije_poort()
    proces = subprocess.Popen(
        [
            sys.executable, "-m", "knooppunt", "serve", "--port", str(poort),
            "--tls-cert", str(pki_dir / "server.pem"), "--tls-key", str(pki_dir / "server-key.pem"),
            "--client-ca", str(pki_dir / "ca.pem"), "--job-interval", "0.3",
        ],
        env=_omgeving(f"sqlite:///{tmp_path / 'hub.sqlite3'}", tmp_path / "data", pki_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    log: list[str] = []
    try:
        wacht_op_poort(poort, proces, timeout=60)
        threading.Thread(target=_lees_stderr, args=(proces, log), daemon=True).start()
        wacht_op_antwoord(f"https://localhost:{poort}", pki_dir / "ca.pem", proces, log)
        yield proces, log
    finally:
        proces.terminate()
        try:
            proces.wait(15)
        except subprocess.TimeoutExpired:
            proces.kill()
            proces.wait(5)


def test_elke_regel_op_stderr_van_serve_is_een_json_logregel(tmp_path: Path, pki_dir: Path) -> None:
    """§8 "Structured JSON logs with a request id" (docs/operations.md "Logs": "JSON lines on
    stderr"): everything `knooppunt serve` writes to its log stream, from start to stop, is one
    JSON object per line — a log shipper parsing the stream as JSON loses nothing."""
    with _serve_stderr(tmp_path, pki_dir) as (proces, log):
        time.sleep(0.8)  # a few job runs
        proces.terminate()
        proces.wait(15)
        time.sleep(0.2)
        regels = [r for r in log if r.strip()]
        assert len(regels) >= 2
        niet_json = []
        for regel in regels:
            try:
                assert isinstance(json.loads(regel), dict)
            except (ValueError, AssertionError):
                niet_json.append(regel)
        assert niet_json == []


# =================================================================================================
# §5: "an append-only, tamper-evident audit log (who, what type, to whom, when, outcome …)"; the
# sequencer's gapless volgnummer and RFC 6962 tree; signed checkpoints that participants fetch.
# =================================================================================================


def test_auditlog_en_ondertekend_checkpoint_onafhankelijk_nagerekend(
    cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 "an append-only, tamper-evident audit log (who, what type, to whom, when, outcome …)";
    "a sequencer … gives them a gapless `volgnummer` and builds an **RFC 6962 Merkle tree** over
    them"; "It publishes **signed checkpoints** (C2SP tlog-checkpoint: origin, tree size, root hash;
    Ed25519) that participants can fetch"; "The signing key is kept outside the database."

    Through a served hub: each action's entry names who, what type, to whom, when (the very
    moment the API reports) and the outcome; the participant's checkpoint, fetched over mTLS, is a
    C2SP note whose Ed25519 signature and key hash check with `cryptography`, and whose root is the
    RFC 6962 tree hash recomputed here from the stored entries, volgnummer 1..n without gaps."""
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    data_dir = tmp_path / "data"
    with (
        start_hub(
            database_url=database_url,
            data_dir=data_dir,
            pki_dir=pki_dir,
            extra_args=["--job-interval", "0.3"],
        ) as hub,
        hub.client(gemeente) as shv,
        hub.client(energie) as se,
        hub.client(zorg) as se_zorg,
    ):
        vraag = envelop(gemeente, energie, "saldoverzoek")
        aangeboden = _verstuur(shv, vraag)
        assert se.get("/berichten").status_code == 200
        bevestigd = se.post(f"/berichten/{vraag['referentienummer']}/bevestiging")
        assert bevestigd.status_code == 200
        geweigerd = envelop(gemeente, zorg, "saldoverzoek_zorg")
        _verstuur(shv, geweigerd)
        r = se_zorg.post(
            f"/berichten/{geweigerd['referentienummer']}/weigering", json={"reden": "INHOUD_ONGELDIG"}
        )
        assert r.status_code == 200, r.text
        fout = envelop(gemeente, energie, "saldoverzoek") | {"ontvanger": "00000003999999990000"}
        assert shv.post("/berichten", json=fout).json()["code"] == "ONBEKENDE_ONTVANGER"
        [verzonden] = [
            b
            for b in shv.get("/verzonden").json()["berichten"]
            if b["referentienummer"] == vraag["referentienummer"]
        ]

        # Wait for the sequencer (embedded in serve) to number and sign everything.
        einde = time.monotonic() + 30
        while True:
            regels = _auditregels(database_url)
            r = se.get("/audit/checkpoint")
            if (
                r.status_code == 200
                and regels
                and all(x["volgnummer"] is not None for x in regels)
                and r.text.split("\n")[1] == str(len(regels))
            ):
                break
            assert time.monotonic() < einde, f"nothing sequenced and signed: {r.status_code} {r.text}"
            time.sleep(0.2)
        notitie = r.text
        assert r.headers["content-type"].startswith("text/plain")
        assert shv.get("/audit/checkpoint").text == notitie  # any participant fetches the same

    # Who, what type, to whom, when, outcome.
    def enige(actie: str, ref: str) -> dict[str, Any]:
        [regel] = [x for x in regels if x["actie"] == actie and x["referentienummer"] == ref]
        return regel

    v = enige("verstuurd", vraag["referentienummer"])
    assert (v["actor"], v["afzender"], v["ontvanger"], v["berichttype"], v["module"]) == (
        gemeente.oin,
        gemeente.oin,
        energie.oin,
        "saldoverzoek",
        "schuldregeling",
    )
    assert _utc(v["tijd"]) == datetime.fromisoformat(aangeboden["ontvangenOp"])
    o = enige("opgehaald", vraag["referentienummer"])
    assert (o["actor"], o["uitkomst"]) == (energie.oin, "eerste")
    assert _utc(o["tijd"]) == datetime.fromisoformat(verzonden["opgehaaldOp"])
    b = enige("bevestigd", vraag["referentienummer"])
    assert b["actor"] == energie.oin and _utc(b["tijd"]) == datetime.fromisoformat(verzonden["bevestigdOp"])
    w = enige("geweigerd", geweigerd["referentienummer"])
    assert (w["actor"], w["ontvanger"], w["uitkomst"]) == (zorg.oin, zorg.oin, "INHOUD_ONGELDIG")
    g = enige("geweigerd_bij_verzenden", fout["referentienummer"])
    assert (g["actor"], g["ontvanger"], g["berichttype"], g["uitkomst"]) == (
        gemeente.oin,
        "00000003999999990000",
        "saldoverzoek",
        "ONBEKENDE_ONTVANGER",
    )

    # Gapless volgnummer, RFC 6962 root, signed C2SP checkpoint.
    assert [x["volgnummer"] for x in regels] == list(range(1, len(regels) + 1))
    bladen = [_blad(x) for x in regels]
    assert [x["hash"] for x in regels] == [h.hex() for h in bladen], "the stored leaf hashes"
    naam, publiek = _publieke_sleutel(data_dir)
    origin, grootte, wortel, _ = _lees_checkpoint(notitie, naam, publiek)
    assert (origin, grootte) == (naam, len(regels))
    assert wortel == _mth(bladen)
    # A signature by another key under the same name does not pass as the hub's.
    vals = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with pytest.raises(AssertionError, match="no valid signature"):
        _lees_checkpoint(notitie, naam, vals)

    # The private key is in a file outside the database, nowhere in it.
    zaad = base64.b64decode((data_dir / "audit-sleutel").read_text().strip().split("+", 4)[4])[1:]
    waarden = _alle_waarden(database_url)
    for spoor in (
        zaad,
        zaad.hex().encode(),
        base64.b64encode(zaad)[:40],
        base64.b64encode(b"\x01" + zaad)[:40],
    ):
        assert _bevat(waarden, spoor) == []


def _sequence(rt: Runtime) -> None:
    """Let the sequencer run once (what serve and worker do on every job interval)."""
    from knooppunt.jobs import audit as audit_job

    audit_job.sequence(rt.sessions, rt.ondertekenaar(), max_wacht=timedelta(seconds=300))


def test_volgnummer_is_de_volgorde_tijd_mag_teruglopen_en_verify_met_sleutel_van_buiten(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 "`volgnummer` is the sequencing order and `tijd` may go backwards"; "`knooppunt audit
    verify` takes the public key as an argument (never from the database) and checks entries, tree,
    signatures and any exported checkpoint (a cut-off tail)"; exit codes as docs/operations.md
    says: "exit 0 when intact, 1 otherwise".

    An entry whose transaction committed late (an earlier `tijd`) is numbered after the others,
    the checkpoint a participant then fetches has the RFC 6962 root recomputed here in volgnummer
    order, and `audit verify` (a real process, the key given as text built here from the key file,
    the participant's checkpoint as the exported one) exits 0. Then the tail is cut off together with
    its signed head and an entry is edited: verify exits 1 and names both."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    data_dir = tmp_path / "data"  # the runtime's: its development audit key
    for _ in range(2):
        _verstuur(client_voor(gemeente), envelop(gemeente, energie, "saldoverzoek"))
    _sequence(rt)
    eerder = _auditregels(database_url)
    assert eerder and all(x["volgnummer"] is not None for x in eerder)

    # A transaction that committed after the sequencer ran, with a moment before all others.
    vroeg = min(_utc(x["tijd"]) for x in eerder) - timedelta(hours=1)
    with rt.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO auditregels (tijd, actor, actie, deelnemer, uitkomst) "
                "VALUES (:tijd, 'beheer:laat', 'deelnemer_gewijzigd', :oin, 'modules')"
            ),
            {
                "tijd": vroeg if rt.engine.dialect.name == "postgresql" else vroeg.replace(tzinfo=None),
                "oin": energie.oin,
            },
        )
    _sequence(rt)
    regels = _auditregels(database_url)
    assert regels[-1]["actor"] == "beheer:laat" and regels[-1]["volgnummer"] == len(eerder) + 1
    assert _utc(regels[-1]["tijd"]) < min(_utc(x["tijd"]) for x in eerder)

    naam, publiek = _publieke_sleutel(data_dir)
    r = client_voor(energie).get("/audit/checkpoint")
    assert r.status_code == 200, r.text
    bestand = tmp_path / "checkpoint.txt"
    bestand.write_text(r.text)
    _, grootte, wortel, _ = _lees_checkpoint(r.text, naam, publiek)
    assert grootte == len(regels) and wortel == _mth([_blad(x) for x in regels])

    env = _omgeving(database_url, data_dir, pki_dir)
    sleutel = _als_verificatiesleutel(naam, publiek)
    goed = _knooppunt("audit", "verify", "--sleutel", sleutel, "--checkpoint", bestand, env=env)
    assert goed.returncode == 0, goed.stdout + goed.stderr

    # The tail cut off with its signed head (the database alone then looks whole), and an edit.
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM auditregels WHERE volgnummer = :n"), {"n": grootte})
        conn.execute(text("DELETE FROM auditkoppen WHERE grootte = :n"), {"n": grootte})
        conn.execute(text("UPDATE auditregels SET ontvanger = :o WHERE volgnummer = 1"), {"o": gemeente.oin})
    fout = _knooppunt("audit", "verify", "--json", "--sleutel", sleutel, "--checkpoint", bestand, env=env)
    assert fout.returncode == 1, fout.stdout + fout.stderr
    soorten = {(p["volgnummer"], p["soort"]) for p in json.loads(fout.stdout)["problemen"]}
    assert {(1, "gewijzigd"), (grootte, "afgeknipt")} <= soorten, soorten


def test_te_lang_ongesequenceerd_meldt_verify_en_geeft_een_alarm(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 "`knooppunt audit verify` … reports entries left unsequenced longer than a configured
    number of seconds, which also raise an alert."

    With no sequencer running, a message is submitted; after more than the configured second the
    operator listener's /metrics shows the entries waiting and for how long, `audit verify` (a real
    process) reports them and exits 1, and the sequencer that finally runs (`knooppunt worker
    --once`) logs the alert as an error."""
    from knooppunt.ops import create_ops_app

    gemeente, energie = cast["gemeente"], cast["energie"]
    data_dir = tmp_path / "data"
    _verstuur(client_voor(gemeente), envelop(gemeente, energie, "saldoverzoek"))
    rt.ondertekenaar()  # the development signing key, made in the data directory on first use
    naam, publiek = _publieke_sleutel(data_dir)
    time.sleep(2.2)
    with TestClient(create_ops_app(rt)) as ops:
        metrics = ops.get("/metrics").text
    monsters = [s for f in text_string_to_metric_families(metrics) for s in f.samples]
    wachtend = sum(1 for x in _auditregels(database_url) if x["volgnummer"] is None)
    assert wachtend >= 1
    assert _waarde(monsters, "knooppunt_audit_ongesequenceerd") == wachtend
    assert _waarde(monsters, "knooppunt_audit_ongesequenceerd_oudste_seconden") > 1

    env = _omgeving(database_url, data_dir, pki_dir, KNOOPPUNT_AUDIT_MAX_ONGESEQUENCEERD_SECONDEN="1")
    verify = _knooppunt("audit", "verify", "--sleutel", _als_verificatiesleutel(naam, publiek), env=env)
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "ongesequenceerd" in verify.stdout

    worker = _knooppunt("worker", "--once", env=env)
    assert worker.returncode == 0, worker.stderr
    assert json.loads(worker.stdout)["audit_gesequenceerd"]["gesequenceerd"] == wachtend
    alarmen = [
        r
        for r in (json.loads(x) for x in worker.stderr.splitlines() if x.startswith("{"))
        if r.get("level") == "error" and "ongesequenceerd" in r.get("event", "")
    ]
    assert alarmen, worker.stderr


# =================================================================================================
# §5: "every beheer action and certificate change, which is e-mailed to the participant"
# =================================================================================================


@pytest.fixture
def smtp() -> Iterator[SmtpOntvanger]:
    server = SmtpOntvanger()
    yield server
    server.stop()


def test_beheeracties_en_certificaatwijzigingen_in_de_auditlog_en_gemaild(
    cli: Any,
    cast: dict[str, Partij],
    rt: Runtime,
    database_url: str,
    tmp_path: Path,
    pki_dir: Path,
    smtp: SmtpOntvanger,
) -> None:
    """§5 "the audit log (… every beheer action and certificate change, which is e-mailed to the
    participant)"; "every certificate issued or registered for anyone is an entry in the signed
    audit log, e-mailed to the participant".

    The operator's commands (a certificate added, the participant changed, the certificate
    retired) each leave an entry naming the beheerder, and `knooppunt worker` — a real process
    talking to a real SMTP server — mails each change to the participant's address."""
    from knooppunt.hub import notificaties
    from knooppunt.pki import ontwikkel_ca
    from knooppunt.store.db import db_nu, transactie

    energie = cast["energie"]
    with transactie(rt.sessions) as session:  # the participant's own address (set up beforehand)
        notificaties.stel_in(
            session,
            energie.oin,
            notificaties.Wijziging(emailadressen=["security@energie.example.nl"], modus="uit"),
            door="beheer:test",
            nu=db_nu(session),
            lokale_webhooks=False,
        )
    begin = len(_auditregels(database_url))
    nieuw = ontwikkel_ca.issue(
        pki_dir, oin=energie.oin, naam=energie.naam, basisnaam="energie-audit", uit_map=tmp_path
    )
    uit = cli(
        "deelnemer", "certificaat", "add", "--oin", energie.oin, "--certificaat", str(nieuw.certificaat)
    )
    assert uit.exit_code == 0, uit.output
    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--standaard-akkoord")
    assert uit.exit_code == 0, uit.output
    # DESIGN §2: a certificate's SHA-256 fingerprint (of its DER).
    vingerafdruk = hashlib.sha256(
        x509.load_pem_x509_certificate(nieuw.certificaat.read_bytes()).public_bytes(Encoding.DER)
    ).hexdigest()
    uit = cli("deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", vingerafdruk)
    assert uit.exit_code == 0, uit.output

    nieuw_in_log = _auditregels(database_url)[begin:]
    assert [(x["actie"], x["deelnemer"], x["certificaat"]) for x in nieuw_in_log] == [
        ("certificaat_toegevoegd", energie.oin, vingerafdruk),
        ("deelnemer_gewijzigd", energie.oin, None),
        ("certificaat_ingetrokken", energie.oin, vingerafdruk),
    ]
    assert all(str(x["actor"]).startswith("beheer:") and len(x["actor"]) > 7 for x in nieuw_in_log)

    worker = _knooppunt(
        "worker",
        "--once",
        env=_omgeving(
            database_url,
            tmp_path / "data",
            pki_dir,
            KNOOPPUNT_SMTP_HOST="127.0.0.1",
            KNOOPPUNT_SMTP_PORT=str(smtp.port),
            KNOOPPUNT_SMTP_STARTTLS="false",
            KNOOPPUNT_SMTP_AFZENDER="noreply@knooppunt.example.nl",
        ),
    )
    assert worker.returncode == 0, worker.stderr
    assert {tuple(ontvangers) for ontvangers, _ in smtp.ontvangen} == {("security@energie.example.nl",)}
    teksten = [m.get_content() for m in smtp.emails]
    assert len(teksten) == 3, teksten
    assert sum(vingerafdruk in t for t in teksten) == 2, "both certificate changes name the certificate"


def test_notificatie_instellingen_wijzigen_is_een_beheeractie_in_de_auditlog(
    cli: Any, cast: dict[str, Partij], database_url: str
) -> None:
    """§5 "the audit log (… every beheer action …)": the operator changing where a participant's
    notices go (the address that receives the certificate-change e-mails, a webhook and its
    secret) is a beheer action, and is recorded with who made it."""
    energie = cast["energie"]
    begin = len(_auditregels(database_url))
    uit = cli(
        "deelnemer", "notificaties", "--oin", energie.oin, "--email", "elders@example.nl", "--modus", "direct"
    )
    assert uit.exit_code == 0, uit.output
    nieuw = _auditregels(database_url)[begin:]
    (regel,) = [x for x in nieuw if x["deelnemer"] == energie.oin and str(x["actor"]).startswith("beheer:")]
    assert regel["actie"] == "notificaties_gewijzigd"
    assert regel["uitkomst"] == "email,modus"
    assert "elders" not in json.dumps(regel, default=str)


# =================================================================================================
# §5 "Deletion means gone, even from backups"
# =================================================================================================


def test_sqlite_secure_delete_overschrijft_de_bevestigde_inhoud(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, database_url: str
) -> None:
    """§5 "SQLite runs with `secure_delete`": once a message is confirmed, the bytes the hub stored
    for its inhoud are in no file of the SQLite database (main file, -wal, -shm) — deleted content
    is overwritten, not merely unlinked from the b-tree."""
    if rt.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's secure_delete")
    gemeente, energie = cast["gemeente"], cast["energie"]
    envs = [envelop(gemeente, energie, "saldoverzoek") for _ in range(3)]
    for env in envs:
        _verstuur(client_voor(gemeente), env)
    opgeslagen = _opgeslagen(database_url)
    assert set(opgeslagen) == {e["referentienummer"] for e in envs}
    refs = [e["referentienummer"] for e in envs]
    r = client_voor(energie).post("/bevestigingen", json={"referentienummers": refs})
    assert r.status_code == 200, r.text

    rt.engine.dispose()
    bestand = Path(str(rt.engine.url.database))
    with sqlite3.connect(bestand) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ruw = b"".join(p.read_bytes() for p in bestand.parent.glob(bestand.name + "*"))
    assert ruw
    for tekst in opgeslagen.values():
        midden = len(tekst) // 2
        for stuk in (tekst[20:80], tekst[midden : midden + 60], tekst[-60:]):
            assert stuk.encode() not in ruw, "stored inhoud survives its deletion in the SQLite file"


def test_inhoud_gaat_als_rij_weg_bij_bevestigen_weigeren_en_verlopen(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 "PostgreSQL rows are deleted, not blanked"; §2 "a message's `inhoud` goes at confirm,
    refusal or expiry": after each of the three, the row that held the stored inhoud no longer
    exists, and no value in any table of the message database still holds it; the message's
    metadata stays."""
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    bevestigd = envelop(gemeente, energie, "saldoverzoek")
    geweigerd = envelop(gemeente, zorg, "saldoverzoek_zorg")
    verlopen = envelop(gemeente, energie, "betaalvoorstel")
    verloopt = {}
    for env in (bevestigd, geweigerd, verlopen):
        verloopt[env["referentienummer"]] = datetime.fromisoformat(
            _verstuur(client_voor(gemeente), env)["verlooptOp"]
        )
    opgeslagen = _opgeslagen(database_url)
    engine = create_engine(database_url)

    def inhoudrijen() -> set[int]:
        with engine.connect() as conn:
            return {int(x) for x in conn.scalars(text("SELECT bericht_id FROM berichtinhoud"))}

    try:
        voor = inhoudrijen()
        assert len(voor) == 3
        assert (
            client_voor(energie).post(f"/berichten/{bevestigd['referentienummer']}/bevestiging").status_code
            == 200
        )
        r = client_voor(zorg).post(
            f"/berichten/{geweigerd['referentienummer']}/weigering", json={"reden": "ONTSLEUTELING_MISLUKT"}
        )
        assert r.status_code == 200, r.text
        assert len(inhoudrijen()) == 1
        moment = verloopt[verlopen["referentienummer"]] + timedelta(seconds=1)
        worker = _knooppunt(
            "worker",
            "--once",
            "--now",
            moment.isoformat(),
            env=_omgeving(database_url, tmp_path / "data", pki_dir),
        )
        assert worker.returncode == 0, worker.stderr
        assert json.loads(worker.stdout)["verlopen"] >= 1  # the hub's own receipts expire too
        assert inhoudrijen() == set()
        with engine.connect() as conn:
            statussen: dict[str, str] = dict(
                conn.execute(
                    text(
                        "SELECT referentienummer, status FROM berichten "
                        "WHERE referentienummer IN (:a, :b, :c)"
                    ),
                    {
                        "a": bevestigd["referentienummer"],
                        "b": geweigerd["referentienummer"],
                        "c": verlopen["referentienummer"],
                    },
                ).all()
            )
    finally:
        engine.dispose()
    assert statussen == {
        bevestigd["referentienummer"]: "bevestigd",
        geweigerd["referentienummer"]: "geweigerd",
        verlopen["referentienummer"]: "verlopen",
    }
    waarden = _alle_waarden(database_url)
    for tekst in opgeslagen.values():
        assert _bevat(waarden, tekst[20:80].encode()) == []
    for env in (bevestigd, geweigerd, verlopen):
        for spoor in _sporen(env["inhoud"]):
            assert _bevat(waarden, spoor) == []


def test_opgeslagen_inhoud_is_aes256gcm_onder_de_dagsleutel_met_afzender_en_referentienummer(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 "stored `inhoud` is additionally encrypted (AES-256-GCM, with `afzender` and
    `referentienummer` as associated data) under a hub data key per calendar day of
    `ontvangenOp`. Day keys are wrapped under a master key from configuration … and live in a key
    store apart from the message database"; "Recipients still receive exactly the JWE that was
    submitted."

    A hub configured with a master key (the setting `KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS`,
    `id:base64`) stores two messages of two senders. Opened here with `cryptography` alone: that
    master key unwraps the day's key from the key store (a file apart from the message database,
    holding only the wrapped key); the 32-byte day key opens each stored text to the submitted JWE,
    byte for byte — and opens nothing once afzender or referentienummer in the associated data is
    another message's."""
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    hoofd_id, hoofdsleutel = "contract", os.urandom(32)
    data_dir = tmp_path / "data"  # the runtime's: the same key store
    ingesteld = maak_settings(
        database_url,
        data_dir,
        pki_dir,
        dagsleutel_hoofdsleutels=f"{hoofd_id}:{base64.b64encode(hoofdsleutel).decode()}",
    )
    hub = runtime_mod.bouw(ingesteld, upgrade=False)
    envs = [envelop(gemeente, energie, "saldoverzoek"), envelop(kredietbank, energie, "saldoverzoek")]
    ontvangen = {}
    try:

        def als(partij: Partij) -> TestClient:
            app = MetCertificaat(create_app(hub), partij.pem)
            return TestClient(app, base_url="https://testserver/api/v1")  # type: ignore[arg-type]

        for env, van in zip(envs, (gemeente, kredietbank), strict=True):
            with als(van) as client:
                ontvangen[env["referentienummer"]] = datetime.fromisoformat(
                    _verstuur(client, env)["ontvangenOp"]
                )
        with als(energie) as client:
            inbox = client.get("/berichten").json()["berichten"]
    finally:
        hub.close()
    assert {b["referentienummer"]: b["inhoud"] for b in inbox} == {
        e["referentienummer"]: e["inhoud"] for e in envs
    }
    opgeslagen = _opgeslagen(database_url)

    sleutelopslag = data_dir / "dagsleutels.sqlite3"
    assert sleutelopslag.is_file()
    with sqlite3.connect(sleutelopslag) as conn:
        rijen = conn.execute("SELECT dag, hoofdsleutel_id, verpakt FROM dagsleutels").fetchall()
    dagen = {d.astimezone(UTC).date().isoformat() for d in ontvangen.values()}
    assert {r[0] for r in rijen} == dagen, "one key per calendar day (UTC) of ontvangenOp"

    dagsleutels: dict[str, bytes] = {}
    for dag, sid, verpakt in rijen:
        assert sid == hoofd_id
        sleutel = AESGCM(hoofdsleutel).decrypt(
            verpakt[:12], verpakt[12:], f"knooppunt-dagsleutel|{dag}|{sid}".encode()
        )
        assert len(sleutel) == 32  # AES-256
        dagsleutels[dag] = sleutel
        assert sleutel not in sleutelopslag.read_bytes(), "the key store holds the day key only wrapped"

    for env, van in zip(envs, (gemeente, kredietbank), strict=True):
        ref = env["referentienummer"]
        dag = ontvangen[ref].astimezone(UTC).date().isoformat()
        voorvoegsel, dagdeel, waarde = opgeslagen[ref].split(".", 2)
        assert (voorvoegsel, dagdeel) == ("kp1", dag.replace("-", ""))
        ruw = base64.b64decode(waarde)
        aesgcm = AESGCM(dagsleutels[dag])
        ad = f"knooppunt-inhoud|{van.oin}|{ref}|{dag}".encode()
        assert aesgcm.decrypt(ruw[:12], ruw[12:], ad).decode() == env["inhoud"]
        ander = next(e["referentienummer"] for e in envs if e is not env)
        for vals in (
            f"knooppunt-inhoud|{van.oin}|{ander}|{dag}",
            f"knooppunt-inhoud|{energie.oin}|{ref}|{dag}",
        ):
            with pytest.raises(InvalidTag):
                aesgcm.decrypt(ruw[:12], ruw[12:], vals.encode())

    # The message database holds neither the day keys nor their wrapped form, nor the master key.
    waarden = _alle_waarden(database_url)
    for _, _, verpakt in rijen:
        for spoor in (verpakt[:32], verpakt[12:44].hex().encode(), base64.b64encode(verpakt)[:40]):
            assert _bevat(waarden, spoor) == []
    for sleutel in [*dagsleutels.values(), hoofdsleutel]:
        for spoor in (sleutel, sleutel.hex().encode(), base64.b64encode(sleutel)[:40]):
            assert _bevat(waarden, spoor) == []
    if rt.engine.dialect.name == "sqlite":
        bestand = Path(str(rt.engine.url.database))
        ruw_db = b"".join(p.read_bytes() for p in bestand.parent.glob(bestand.name + "*"))
        for _, _, verpakt in rijen:
            assert bytes(verpakt) not in ruw_db


def test_productie_start_niet_zonder_hoofdsleutel(tmp_path: Path, pki_dir: Path) -> None:
    """§5 "Day keys are wrapped under a master key from configuration (a development key is
    generated on first start, like the development PKI; production refuses to start without one)":
    `knooppunt serve` in production without it exits non-zero, naming the setting, generating
    nothing; given one, that refusal is gone (it then stops at the next production check, the
    development CA)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")} | {
        "KNOOPPUNT_ENV": "production",
        "KNOOPPUNT_PORTAAL_ACTIEF": "false",
        "KNOOPPUNT_DATA_DIR": str(tmp_path / "data"),
        "KNOOPPUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'berichten.sqlite3'}",
        "KNOOPPUNT_SLEUTELOPSLAG_URL": f"sqlite:///{tmp_path / 'sleutels.sqlite3'}",
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
    }
    serve: list[str | Path] = [
        "serve",
        "--port",
        str(vrije_poort()),
        "--tls-cert",
        pki_dir / "server.pem",
        "--tls-key",
        pki_dir / "server-key.pem",
    ]
    zonder = _knooppunt(*serve, env=env)
    uitvoer = zonder.stdout + zonder.stderr
    assert zonder.returncode != 0 and "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS" in uitvoer, uitvoer
    assert "Traceback" not in uitvoer
    assert not (tmp_path / "data" / "dagsleutel-hoofdsleutel").exists()
    met = _knooppunt(
        *serve,
        env=env | {"KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS": "p1:" + base64.b64encode(os.urandom(32)).decode()},
    )
    assert "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS" not in met.stdout + met.stderr, met.stderr


def _jobs_op(rt: Runtime, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The jobs run at `moment` once it has really come: a dry run whose clock lies ahead
    (`worker --once --now`) keeps today's day key, for the live hub still seals under it (DESIGN §6),
    so the real clock is set to that moment too."""
    monkeypatch.setattr(planner, "werkelijke_tijd", lambda _rt: moment)
    return planner.draai_eenmaal(rt, nu=moment)


def test_dagsleutel_gaat_weg_zodra_niets_eronder_meer_op_te_halen_is(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """§5 "A job destroys a day's key once no message stored under it can still be fetched (all
    confirmed, refused or expired)." Every message of a day is confirmed that day; the job, run two
    days later (the day long over, nothing of it in flight), destroys that day's key — it does not
    wait for the bevestigingstermijn of messages that are already gone."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    envs = [envelop(gemeente, energie, "saldoverzoek") for _ in range(2)]
    antwoorden = [_verstuur(client_voor(gemeente), env) for env in envs]
    r = client_voor(energie).post(
        "/bevestigingen", json={"referentienummers": [e["referentienummer"] for e in envs]}
    )
    assert r.status_code == 200, r.text
    assert client_voor(energie).get("/berichten").json()["berichten"] == []
    dag = datetime.fromisoformat(antwoorden[0]["ontvangenOp"]).astimezone(UTC).date()
    twee_dagen_later = datetime(dag.year, dag.month, dag.day, 12, tzinfo=UTC) + timedelta(days=2)
    assert twee_dagen_later < min(datetime.fromisoformat(a["verlooptOp"]) for a in antwoorden)
    assert _jobs_op(rt, twee_dagen_later, monkeypatch)["dagsleutels_vernietigd"] == 1


def test_herstelde_backup_serveert_niets_van_een_dag_met_vernietigde_sleutel(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    database_url: str,
    tmp_path: Path,
    pki_dir: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """§5 "Then dead rows, WAL segments and database backups keep only ciphertext under a key that
    exists nowhere: a restore of the message database from any backup, master key at hand, serves
    none of that day's content once its key is destroyed."

    A backup taken before the recipient confirmed; the recipient confirms (getting the submitted JWE
    byte for byte); the job, run once that moment has come, destroys the day's key. Restored before that, the
    backup still serves the content; a `knooppunt serve` on the backup restored after it, with the
    same master key and key store, serves none of it: the inbox is empty and the message itself has
    no inhoud."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    envs = [envelop(gemeente, energie, "saldoverzoek") for _ in range(2)]
    antwoorden = [_verstuur(client_voor(gemeente), env) for env in envs]
    verstuurd = {e["referentienummer"]: e["inhoud"] for e in envs}
    herstel = _backup(rt, tmp_path)  # before confirming
    pg = request.getfixturevalue("pg_beheer") if rt.engine.dialect.name == "postgresql" else None

    se = client_voor(energie)
    assert {b["referentienummer"]: b["inhoud"] for b in se.get("/berichten").json()["berichten"]} == verstuurd
    assert se.post("/bevestigingen", json={"referentienummers": list(verstuurd)}).status_code == 200

    def hersteld(naam: str) -> str:
        url = str(herstel(pg))
        if url.startswith("sqlite:///"):  # a restore of its own each time
            eigen = tmp_path / f"{naam}.sqlite3"
            shutil.move(url.removeprefix("sqlite:///"), eigen)
            url = f"sqlite:///{eigen}"
        return url

    # Before the destruction the restored backup still serves the content (checked in process).
    voor = runtime_mod.bouw(maak_settings(hersteld("voor"), tmp_path / "data", pki_dir), upgrade=False)
    try:
        app = MetCertificaat(create_app(voor), energie.pem)
        with TestClient(app, base_url="https://testserver/api/v1") as ter_plekke:  # type: ignore[arg-type]
            inbox = ter_plekke.get("/berichten", params={"limit": 100}).json()["berichten"]
        assert {b["referentienummer"]: b["inhoud"] for b in inbox} == verstuurd
    finally:
        voor.close()

    laatste = max(datetime.fromisoformat(a["verlooptOp"]) for a in antwoorden)
    assert _jobs_op(rt, laatste + timedelta(days=2), monkeypatch)["dagsleutels_vernietigd"] == 1

    with (
        start_hub(
            database_url=hersteld("na"), data_dir=tmp_path / "data", pki_dir=pki_dir, extra_args=["--no-jobs"]
        ) as hub,
        hub.client(energie) as client,
    ):
        inbox = client.get("/berichten", params={"limit": 100}).json()["berichten"]
        los = [client.get(f"/berichten/{ref}") for ref in verstuurd]
    assert inbox == []
    for r in los:
        assert r.status_code in (200, 404, 410), r.text
        assert r.status_code != 200 or r.json().get("inhoud") is None
        for jwe in verstuurd.values():
            for spoor in _sporen(jwe):
                assert spoor.decode() not in r.text
