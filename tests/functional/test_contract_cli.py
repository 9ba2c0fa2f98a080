"""An independent check of the operator and participant command line against the contract, written
from DESIGN.md §3a, §5, §6, §8 and the README only, through real processes
(`python -m knooppunt …`) and real files: what a newcomer types, what an operator types
when something is wrong (every bad input exits non-zero with one clear line, never a traceback),
the expiry job at the exact end of the bevestigingstermijn, and the operator listener."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from knooppunt.runtime import Runtime
from tests.factories import Partij, envelop
from tests.functional.server import _lees_log, start_hub, vrije_poort, wacht_op_antwoord, wacht_op_poort

GEMEENTE = "00000001823288444000"
ENERGIE = "00000003123456780000"


def _omgeving(**extra: str) -> dict[str, str]:
    """The test process's environment without any KNOOPPUNT_* setting: a newcomer's shell."""
    schoon = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
    return schoon | extra


def knooppunt(*args: str | Path, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knooppunt", *(str(a) for a in args)],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _luistert_op(poort: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp writes them) on which something LISTENs on
    ``poort`` — so a test sees where the operator listener is bound, not only that it answers."""
    adressen = set()
    for tabel in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(tabel).exists():
            continue
        for regel in Path(tabel).read_text().splitlines()[1:]:
            velden = regel.split()
            adres, poort_hex = velden[1].rsplit(":", 1)
            if int(poort_hex, 16) == poort and velden[3] == "0A":  # 0A: LISTEN
                adressen.add(adres)
    return adressen


LOOPBACK = "0100007F"  # 127.0.0.1, little-endian
ALLE_ADRESSEN = {"00000000", "00000000000000000000000000000000"}


# --- the README, as a newcomer runs it -----------------------------------------------------------


@pytest.fixture
def nieuwe_hub(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    """`knooppunt serve` with no setup at all (README: `make run`, which is
    `KNOOPPUNT_ENV=development knooppunt serve --port 8443`), in an empty directory: it must make its
    development PKI and embedded SQLite database itself (DESIGN §8)."""
    poort, ops = vrije_poort(), vrije_poort()
    proces = subprocess.Popen(
        [sys.executable, "-m", "knooppunt", "serve", "--port", str(poort), "--ops-port", str(ops)],
        cwd=tmp_path,
        env=_omgeving(KNOOPPUNT_ENV="development"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log: list[str] = []
    try:
        wacht_op_poort(poort, proces, timeout=60)
        threading.Thread(target=_lees_log, args=(proces, log), daemon=True).start()
        wacht_op_antwoord(f"https://localhost:{poort}", tmp_path / ".knooppunt/pki/ca.pem", proces, log)
        yield tmp_path, poort, ops
    finally:
        proces.terminate()
        try:
            proces.wait(15)
        except subprocess.TimeoutExpired:
            proces.kill()
            proces.wait(5)


def test_readme_een_hub_zelf_besturen_zonder_instellingen(nieuwe_hub: tuple[Path, int, int]) -> None:
    """README "To drive a hub yourself", command for command, and DESIGN §8's operator CLI with its
    repeating flags (`--module`, `--schuldensoort`) and §3a's `--module schuldregeling:1.0,2.0`."""
    map_, poort, ops = nieuwe_hub
    env = _omgeving()  # no KNOOPPUNT_* at all: the defaults must find serve's database and PKI
    pki = map_ / ".knooppunt" / "pki"
    assert (map_ / ".knooppunt" / "knooppunt.sqlite3").is_file()

    r = knooppunt("pki", "issue", pki, "--oin", GEMEENTE, "--naam", "Gemeente Utrecht", cwd=map_, env=env)
    assert r.returncode == 0, r.stderr
    r = knooppunt(
        "pki", "issue", pki, "--oin", ENERGIE, "--naam", "Energie BV", "--key-type", "rsa", cwd=map_, env=env
    )
    assert r.returncode == 0, r.stderr
    r = knooppunt(
        "deelnemer", "add", "--oin", GEMEENTE, "--naam", "Gemeente Utrecht", "--rol", "SHV",
        "--kvk", "30280353", "--module", "schuldregeling:1.0,2.0", "--module", "saldoverzoek",
        "--certificaat", pki / f"{GEMEENTE}.pem", cwd=map_, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = knooppunt(
        "deelnemer", "add", "--oin", ENERGIE, "--naam", "Energie BV", "--rol", "SE", "--kvk", "12345678",
        "--module", "schuldregeling:2.0", "--schuldensoort", "nuts", "--schuldensoort", "zorg",
        "--gebruikt-bsn", "--standaard-akkoord", "--certificaat", pki / f"{ENERGIE}.pem", cwd=map_, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr

    lijst = knooppunt("deelnemer", "list", cwd=map_, env=env)
    assert lijst.returncode == 0, lijst.stderr
    assert GEMEENTE in lijst.stdout and ENERGIE in lijst.stdout
    assert "schuldregeling:2.0" in lijst.stdout  # a subset of versions is shown as --module takes it

    # The curl of the README: the adresboek over mutual TLS with the RSA certificate just issued.
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    ctx.load_cert_chain(str(pki / f"{ENERGIE}.pem"), str(pki / f"{ENERGIE}-key.pem"))
    with httpx.Client(base_url=f"https://localhost:{poort}", verify=ctx, timeout=30) as se:
        adresboek = se.get("/api/v1/adresboek")
        assert adresboek.status_code == 200, adresboek.text
        deelnemers = {d["oin"]: d for d in adresboek.json()["deelnemers"]}
        assert deelnemers[GEMEENTE]["versies"] == {"saldoverzoek": ["2.0"], "schuldregeling": ["1.0", "2.0"]}
        energie = deelnemers[ENERGIE]
        assert energie["versies"] == {"schuldregeling": ["2.0"]}
        assert energie["schuldensoorten"] == ["nuts", "zorg"]
        assert energie["gebruiktBsn"] is True and energie["standaardAkkoord"] is True
        # §8: the participant-facing API never serves the metrics (nor the operator's health checks).
        for pad in ("/metrics", "/api/v1/metrics", "/health/ready"):
            assert se.get(pad).status_code == 404, pad

    # §8: the operator listener is plain HTTP, bound to 127.0.0.1 unless --ops-host says otherwise.
    assert _luistert_op(ops) == {LOOPBACK}
    assert httpx.get(f"http://127.0.0.1:{ops}/health/live", timeout=10).json() == {"status": "ok"}
    gereed = httpx.get(f"http://127.0.0.1:{ops}/health/ready", timeout=10)
    assert gereed.status_code == 200 and gereed.json()["database"] == "bereikbaar"
    metriek = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=10)
    assert metriek.status_code == 200 and "knooppunt_database_up 1.0" in metriek.text
    assert GEMEENTE not in metriek.text and ENERGIE not in metriek.text  # §5: no participant labels


def test_ops_host_bindt_waar_de_beheerder_zegt(database_url: str, tmp_path: Path, pki_dir: Path) -> None:
    """§8 `--ops-host`: the operator listener on another address when asked (here all), with
    `/health/ready` checking the configured database, SQLite or PostgreSQL."""
    ops = vrije_poort()
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--ops-port", str(ops), "--ops-host", "0.0.0.0", "--no-jobs"],
    ):
        assert _luistert_op(ops) <= ALLE_ADRESSEN and _luistert_op(ops)
        gereed = httpx.get(f"http://127.0.0.1:{ops}/health/ready", timeout=10)
        assert gereed.status_code == 200 and gereed.json() == {"status": "ok", "database": "bereikbaar"}


# --- bad input: a clear message and a non-zero exit, never a traceback -----------------------------


def _geen_database() -> str:
    """A PostgreSQL address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        poort = s.getsockname()[1]
    return f"postgresql://knooppunt@127.0.0.1:{poort}/knooppunt"


CLIENT = ["client", "send", "--hub", "https://localhost:1", "--cert", "{energie_cert}"]
BERICHT = ["--ontvanger", "{gemeente}", "--berichttype", "kennisgeving_antwoord",
           "--module", "schuldregeling", "--conversatie", "{conversatie}"]  # fmt: skip

FOUTGEVALLEN: dict[str, tuple[list[str], dict[str, str], int, list[str]]] = {
    # name: (arguments, extra environment, exit code, what the message must say)
    "certificaatbestand ontbreekt": (
        ["deelnemer", "add", "--oin", "{energie}", "--naam", "E", "--rol", "SE", "--kvk", "{kvk}",
         "--module", "schuldregeling", "--certificaat", "bestaat-niet.pem"],
        {}, 2, ["--certificaat", "bestaat-niet.pem", "does not exist"],
    ),
    "certificaat is een sleutel": (
        ["deelnemer", "add", "--oin", "{energie}", "--naam", "E", "--rol", "SE", "--kvk", "{kvk}",
         "--module", "schuldregeling", "--certificaat", "{energie_key}"],
        {}, 2, ["--certificaat", "geen PEM-certificaat"],
    ),
    "oin met onbekend voorvoegsel": (
        ["deelnemer", "add", "--oin", "12345678901234567890", "--naam", "E", "--rol", "SE", "--kvk", "{kvk}",
         "--module", "schuldregeling", "--certificaat", "{energie_cert}"],
        {}, 1, ["OIN", "voorvoegsel", "00000003"],
    ),
    "onbekende module": (
        ["deelnemer", "add", "--oin", "{energie}", "--naam", "E", "--rol", "SE", "--kvk", "{kvk}",
         "--module", "schuldhulp", "--certificaat", "{energie_cert}"],
        {}, 1, ["'schuldhulp' is onbekend", "kies uit", "schuldregeling"],
    ),
    "onbekende versie": (
        ["deelnemer", "add", "--oin", "{energie}", "--naam", "E", "--rol", "SE", "--kvk", "{kvk}",
         "--module", "schuldregeling:3.0", "--certificaat", "{energie_cert}"],
        {}, 1, ["versie 3.0", "1.0, 2.0"],
    ),
    "onbekende rol": (
        ["deelnemer", "add", "--oin", "{energie}", "--naam", "E", "--rol", "XX", "--kvk", "{kvk}",
         "--module", "schuldregeling", "--certificaat", "{energie_cert}"],
        {}, 2, ["--rol", "SHV", "SE"],
    ),
    "deelnemer list met een onbekende module": (
        ["deelnemer", "list", "--module", "schuldhulp"], {}, 2,
        ["--module", "'schuldhulp' is onbekend", "kies uit"],
    ),
    "now geen iso 8601": (
        ["worker", "--once", "--now", "gisteren"], {}, 2, ["--now", "ISO 8601", "2026-12-01T09:00:00+01:00"],
    ),
    "now buiten development": (
        ["worker", "--once", "--now", "2026-12-01T09:00:00+01:00"],
        {"KNOOPPUNT_ENV": "production", "KNOOPPUNT_DATABASE_URL": "{geen_database}"},
        2, ["--now", "KNOOPPUNT_ENV=development"],
    ),
    "ops-port is de deelnemerspoort": (
        ["serve", "--port", "{vrij}", "--ops-port", "{vrij}", "--no-jobs"], {}, 2,
        ["--ops-port", "--port", "andere poort"],
    ),
    "ops-port is bezet": (
        ["serve", "--port", "{vrij}", "--ops-port", "{bezet}", "--no-jobs"], {}, 2,
        ["kan niet luisteren op 127.0.0.1:{bezet}", "--ops-host/--ops-port"],
    ),
    "verify zonder sleutel": (["audit", "verify"], {}, 2, ["--sleutel", "knooppunt audit sleutel"]),
    "verify met een sleutelbestand dat er niet is": (
        ["audit", "verify", "--sleutel", "sleutel.pub"], {}, 2, ["--sleutel", "sleutel.pub", "geen bestand"],
    ),
    "db upgrade zonder database": (
        ["db", "upgrade"], {"KNOOPPUNT_DATABASE_URL": "{geen_database}"}, 1,
        ["database is niet bereikbaar", "KNOOPPUNT_DATABASE_URL"],
    ),
    "deelnemer list zonder database": (
        ["deelnemer", "list"], {"KNOOPPUNT_DATABASE_URL": "{geen_database}"}, 1,
        ["database is niet bereikbaar", "KNOOPPUNT_DATABASE_URL"],
    ),
    "worker zonder database": (
        ["worker", "--once"], {"KNOOPPUNT_DATABASE_URL": "{geen_database}"}, 1,
        ["database is niet bereikbaar"],
    ),
    "client send zonder payloadbestand": (
        [*CLIENT, "--key", "{energie_key}", *BERICHT, "--payload", "antwoord.json"],
        {}, 2, ["--payload", "antwoord.json", "does not exist"],
    ),
    "client send met een sleutel die niet bij het certificaat hoort": (
        [*CLIENT, "--key", "{gemeente_key}", *BERICHT, "--payload", "{payload}"],
        {}, 2, ["horen niet bij elkaar", "--key"],
    ),
    "database-url van een database die de hub niet kent": (
        ["db", "upgrade"], {"KNOOPPUNT_DATABASE_URL": "mysql://knooppunt:geheim@db/knooppunt"}, 2,
        ["KNOOPPUNT_DATABASE_URL", "geen ondersteunde database-URL", "postgresql://"],
    ),
    "client send aan iets dat geen OIN is": (
        [*CLIENT, "--key", "{energie_key}", "--ontvanger", "123", *BERICHT[2:], "--payload", "{payload}"],
        {}, 2, ["ONGELDIGE_OIN", "ontvanger", "20 cijfers"],
    ),
    "client fetch met een sleutel die niet bij het certificaat hoort": (
        ["client", "fetch", *CLIENT[2:], "--key", "{gemeente_key}", "--verwerkt", "verwerkt.sqlite3"],
        {}, 2, ["horen niet bij elkaar"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("geval", FOUTGEVALLEN)
def test_foute_invoer_geeft_een_duidelijke_fout(
    geval: str, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path
) -> None:
    """DESIGN §8's commands with a mistake in them: the exit code is non-zero and the message says
    what was wrong and what to do, in one place, without a Python traceback."""
    args, extra, code, meldingen = FOUTGEVALLEN[geval]
    energie, gemeente = pki["energie"], pki["gemeente"]
    payload = tmp_path / "payload.json"
    payload.write_text("{}", encoding="utf-8")
    waarden = {
        "energie": energie.oin,
        "gemeente": gemeente.oin,
        "kvk": energie.kvk,
        "energie_cert": str(energie.cert_pad),
        "energie_key": str(energie.key_pad),
        "gemeente_key": str(gemeente.key_pad),
        "conversatie": "0f0e0d0c-0b0a-4908-8706-050403020100",
        "payload": str(payload),
        "geen_database": _geen_database(),
        "vrij": str(vrije_poort()),
    }
    bezet = socket.socket()
    bezet.bind(("127.0.0.1", 0))
    bezet.listen()
    waarden["bezet"] = str(bezet.getsockname()[1])
    env = _omgeving(
        KNOOPPUNT_ENV="development",
        KNOOPPUNT_DATA_DIR=str(tmp_path / "data"),
        KNOOPPUNT_DATABASE_URL=f"sqlite:///{tmp_path / 'knooppunt.sqlite3'}",
        KNOOPPUNT_TRUST_ANCHORS=str(pki_dir / "ca.pem"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    ) | {k: v.format(**waarden) for k, v in extra.items()}
    with bezet:
        r = knooppunt(*(a.format(**waarden) for a in args), cwd=tmp_path, env=env)
    uitvoer = r.stdout + r.stderr
    assert r.returncode == code, uitvoer
    for melding in meldingen:
        assert melding.format(**waarden) in uitvoer, uitvoer
    assert "Traceback" not in uitvoer, uitvoer
    assert "geheim" not in uitvoer, "a password in a setting is never echoed"


# --- §6: the expiry job at the end of the term, as a standalone process ---------------------------


def _worker(moment: datetime, database_url: str, data_dir: Path, pki_dir: Path) -> dict[str, Any]:
    r = knooppunt(
        "worker", "--once", "--now", moment.isoformat(),
        cwd=data_dir.parent,
        env=_omgeving(
            KNOOPPUNT_ENV="development",
            KNOOPPUNT_DATABASE_URL=database_url,
            KNOOPPUNT_DATA_DIR=str(data_dir),
            KNOOPPUNT_TRUST_ANCHORS=str(pki_dir / "ca.pem"),
        ),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    resultaat: dict[str, Any] = json.loads(r.stdout)
    return resultaat


def test_worker_once_laat_verlopen_op_het_einde_van_de_termijn_en_meldt_het_de_afzender(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    database_url: str,
    tmp_path: Path,
    pki_dir: Path,
) -> None:
    """§6: not confirmed by the end of the bevestigingstermijn → `verlopen`, a foutbericht
    `VERLOPEN` to the sender; `knooppunt worker --once --now` runs every due job once and exits;
    run again, it does nothing twice (idempotent)."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    vraag = envelop(gemeente, energie, "saldoverzoek")
    aangeboden = client_voor(gemeente).post("/berichten", json=vraag)
    assert aangeboden.status_code == 201, aangeboden.text
    verloopt = datetime.fromisoformat(aangeboden.json()["verlooptOp"])
    data_dir = tmp_path / "data"  # the runtime's: the same day-key store

    nog_net = _worker(verloopt - timedelta(seconds=1), database_url, data_dir, pki_dir)
    assert nog_net["verlopen"] == 0
    assert datetime.fromisoformat(nog_net["nu"]) == verloopt - timedelta(seconds=1)
    net_te_laat = _worker(verloopt + timedelta(seconds=1), database_url, data_dir, pki_dir)
    assert net_te_laat["verlopen"] == 1
    assert _worker(verloopt + timedelta(days=1), database_url, data_dir, pki_dir)["verlopen"] == 0

    [verzonden] = client_voor(gemeente).get("/verzonden").json()["berichten"]
    assert verzonden["referentienummer"] == vraag["referentienummer"]
    assert verzonden["status"] == "verlopen"
    meldingen = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert [(m["berichttype"], m["afzender"], m["melding"]["code"]) for m in meldingen] == [
        ("foutbericht", "KNOOPPUNT", "VERLOPEN")
    ]
    assert meldingen[0]["crossReferentienummer"] == vraag["referentienummer"]
    assert client_voor(energie).get("/berichten").json()["berichten"] == []


def test_worker_now_zonder_tijdzone_is_nederlandse_tijd(
    database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§6: the working days are counted in Europe/Amsterdam, so a `--now` without an offset is
    Dutch time (winter: UTC+1)."""
    uit = _worker(datetime(2026, 12, 1, 9, 0), database_url, tmp_path / "data", pki_dir)
    assert datetime.fromisoformat(uit["nu"]) == datetime.fromisoformat("2026-12-01T08:00:00+00:00")
    assert uit["nu"] == "2026-12-01T09:00:00+01:00"  # shown in Europe/Amsterdam, as every time
