"""Deletion means gone, even from backups (DESIGN §5): stored inhoud is sealed under a key per day
of ontvangenOp, kept in a key store apart from the message database and destroyed once nothing
under it can be fetched; recipients still get exactly the JWE that was submitted."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from structlog.testing import CapturingLogger

from knooppunt import app as app_module
from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.config import Settings, SettingsError
from knooppunt.hub import mailbox
from knooppunt.jobs import planner
from knooppunt.runtime import Runtime
from knooppunt.store import berichten as store
from knooppunt.store import dagsleutels as dagsleutels_module
from knooppunt.store import deelnemers
from knooppunt.store.dagsleutels import VOORVOEGSEL, Dagsleutels, Hoofdsleutels, SleutelFout, dagsleutels
from knooppunt.store.db import db_nu, maak_engine, transactie
from knooppunt.store.models import Bericht, BerichtInhoud
from tests.conftest import PG_URL, MetCertificaat, maak_settings
from tests.factories import Partij, envelop


def _sleutel() -> str:
    return base64.b64encode(bytes(range(32))).decode()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def pg_beheer() -> Iterator[Any]:
    """maak() -> the URL of a new, empty PostgreSQL database, dropped after the test."""
    beheer = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    namen: list[str] = []

    def maak() -> str:
        naam = f"knooppunt_dagsleutels_{uuid.uuid4().hex[:10]}"
        with beheer.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{naam}"'))
        namen.append(naam)
        return make_url(str(beheer.url)).set(database=naam).render_as_string(hide_password=False)

    yield maak
    with beheer.connect() as conn:
        for naam in namen:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
    beheer.dispose()


def _verstuur(client_voor: Any, van: Partij, aan: Partij, markering: str | None = None) -> dict[str, Any]:
    payload = {"omschrijving": markering} if markering else None
    env = envelop(van, aan, "saldoverzoek", payload=payload)
    r = client_voor(van).post("/berichten", json=env)
    assert r.status_code == 201, r.text
    return env


def _sporen(jwe: str) -> dict[str, bytes]:
    """What of a JWE must appear in no file: its text, and its ciphertext segment as raw bytes,
    hex and (standard) base64; the whole JWE as base64 too."""
    segment = jwe.split(".")[3]
    ruw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))[:48]
    return {
        "jwe": jwe.encode(),
        "ciphertext-segment": segment[:64].encode(),
        "ciphertext-bytes": ruw,
        "ciphertext-hex": ruw.hex().encode(),
        "ciphertext-base64": base64.b64encode(ruw)[:60],
        "jwe-base64": base64.b64encode(jwe.encode())[:80],
    }


def _bestanden(map_: Path) -> Iterator[Path]:
    return (p for p in map_.rglob("*") if p.is_file())


def nergens(jwes: list[str], bestanden: list[Path]) -> None:
    """Fail, naming the file, if any trace (`_sporen`) of these JWEs is in any of these files."""
    inhoud = {pad: pad.read_bytes() for pad in bestanden}
    for jwe in jwes:
        for soort, spoor in _sporen(jwe).items():
            for pad, data in inhoud.items():
                if spoor in data:
                    pytest.fail(f"{soort} van een ingezonden bericht staat in {pad}")


def _pg_dump(url: str, doel: Path, formaat: str = "plain") -> Path:
    """A pg_dump of the database: ``plain`` (uncompressed SQL, to search) or ``custom`` (to restore)."""
    subprocess.run(["pg_dump", f"--format={formaat}", f"--file={doel}", _libpq(url)], check=True)
    return doel


def test_ingezonden_jwe_staat_in_geen_bestand_of_dump_van_de_hub(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, tmp_path: Path
) -> None:
    """The submitted JWE — its text, bytes, hex and base64 — is in no file the hub wrote (the SQLite
    database with its -wal, the key store, the data dir) nor in a pg_dump of the PostgreSQL database,
    while the recipient fetches it intact."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    envs = [_verstuur(client_voor, gemeente, energie) for _ in range(3)]
    inbox = client_voor(energie).get("/berichten").json()["berichten"]
    assert [b["inhoud"] for b in inbox] == [e["inhoud"] for e in envs]

    bestanden = list(_bestanden(tmp_path))
    if rt.engine.dialect.name == "postgresql":
        bestanden.append(_pg_dump(rt.settings.database_url, tmp_path / "dump.sql"))
    else:
        assert any(p.name.endswith("-wal") for p in bestanden), "SQLite schreef geen WAL-bestand"
    assert any(p.name == "dagsleutels.sqlite3" for p in bestanden)
    nergens([e["inhoud"] for e in envs], bestanden)


def test_ontvanger_krijgt_precies_de_ingezonden_jwe_ook_uit_een_reeks(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """Recipients get byte for byte the JWE that was submitted (one at a time, in a verzending,
    from the inbox and one by one), while the database holds it only sealed."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    los = _verstuur(client_voor, gemeente, energie)
    reeks = [envelop(gemeente, energie, "saldoverzoek") for _ in range(3)]
    with transactie(rt.sessions) as session:
        afzender = deelnemers.haal(session, gemeente.oin)
        assert afzender is not None
        uitkomst = mailbox.verstuur_reeks(
            session,
            afzender,
            [
                mailbox.Envelop(
                    referentienummer=e["referentienummer"],
                    conversatie_referentienummer=e["conversatieReferentienummer"],
                    cross_referentienummer=None,
                    berichttype=e["berichttype"],
                    module=e["module"],
                    versie=e["versie"],
                    ontvanger=e["ontvanger"],
                    inhoud=e["inhoud"],
                )
                for e in reeks
            ],
            nu=db_nu(session),
            instellingen=rt.instellingen,
        )
    assert [nieuw for _, nieuw in uitkomst] == [True, True, True]
    verstuurd = {e["referentienummer"]: e["inhoud"] for e in [los, *reeks]}

    se = client_voor(energie)
    inbox = se.get("/berichten").json()["berichten"]
    assert {b["referentienummer"]: b["inhoud"] for b in inbox} == verstuurd
    for ref, jwe in verstuurd.items():
        assert se.get(f"/berichten/{ref}").json()["inhoud"] == jwe
    with rt.sessions() as session:
        opgeslagen = session.scalars(select(BerichtInhoud.jwe)).all()
    assert len(opgeslagen) == 4
    for tekst in opgeslagen:
        assert tekst.startswith(VOORVOEGSEL)
        assert not any(jwe in tekst for jwe in verstuurd.values())


def _backup(rt: Runtime, tmp_path: Path) -> Any:
    """A backup of the message database (a SQLite online backup or a pg_dump); returns
    herstel() -> the URL of a new database restored from it."""
    if rt.engine.dialect.name == "sqlite":
        bron = make_url(rt.settings.database_url).database
        assert bron
        kopie = tmp_path / "backup.sqlite3"
        with sqlite3.connect(bron) as van, sqlite3.connect(kopie) as naar:
            van.backup(naar)

        def herstel_sqlite(_: Any) -> str:
            hersteld = tmp_path / "hersteld.sqlite3"
            hersteld.write_bytes(kopie.read_bytes())
            return f"sqlite:///{hersteld}"

        return herstel_sqlite
    dump = _pg_dump(rt.settings.database_url, tmp_path / "backup.dump", "custom")

    def herstel_pg(pg_beheer: Any) -> str:
        url = str(pg_beheer())
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={_libpq(url)}", str(dump)], check=True)
        return url

    return herstel_pg


def test_herstelde_backup_serveert_niets_van_een_dag_met_vernietigde_sleutel(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    tmp_path: Path,
    pki_dir: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backup of the message database taken before the day key's destruction, restored after
    the job destroyed it, with the same master key and key store: the hub serves none of that
    day's content and answers as for an expired message. Before the destruction the same backup
    still serves it — the key, not the status, is what makes the content gone."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _verstuur(client_voor, gemeente, energie)
    ref = env["referentienummer"]
    herstel = _backup(rt, tmp_path)
    pg_beheer = request.getfixturevalue("pg_beheer") if rt.engine.dialect.name == "postgresql" else None

    def hersteld() -> Runtime:
        settings = maak_settings(herstel(pg_beheer), rt.settings.data_dir, pki_dir)
        return runtime_mod.bouw(settings, upgrade=False)

    def als_ontvanger(runtime: Runtime) -> TestClient:
        return TestClient(
            MetCertificaat(create_app(runtime), energie.pem), base_url="https://testserver/api/v1"
        )

    voor = hersteld()
    try:
        with als_ontvanger(voor) as se:
            assert [b["inhoud"] for b in se.get("/berichten").json()["berichten"]] == [env["inhoud"]]
    finally:
        voor.close()

    # The message expires; the job destroys its day's key (nothing of that day can be fetched).
    with rt.sessions() as session:
        ontvangen = session.scalars(select(Bericht.ontvangen_op).where(Bericht.referentienummer == ref)).one()
    later = ontvangen + timedelta(days=30)
    monkeypatch.setattr(planner, "werkelijke_tijd", lambda _rt: later)  # that moment has come
    uitkomst = planner.draai_eenmaal(rt, nu=later)
    assert uitkomst["verlopen"] == 1
    assert uitkomst["dagsleutels_vernietigd"] == 1
    dag = ontvangen.astimezone(UTC).date().isoformat()
    assert [d["vernietigdOp"] is not None for d in rt.dagsleutels.overzicht() if d["dag"] == dag] == [True]

    na = hersteld()
    try:
        with als_ontvanger(na) as se:
            # In the restored database the message is still open and within its term (real clock).
            with na.sessions() as session:
                bericht = store.op_referentie(session, ref)
                assert bericht is not None and bericht.status == "aangeboden"
                assert bericht.verloopt_op > db_nu(session)
            assert se.get("/berichten").json()["berichten"] == []
            een = se.get(f"/berichten/{ref}")
            assert een.status_code == 200
            assert (een.json()["status"], een.json().get("inhoud")) == ("verlopen", None)
        # Its term had passed before its key went: the restored hub's expiry job expires it and
        # tells the sender, as for any expired message.
        assert planner.draai_eenmaal(na, nu=ontvangen + timedelta(days=30))["verlopen"] == 1
        with TestClient(
            MetCertificaat(create_app(na), gemeente.pem), base_url="https://testserver/api/v1"
        ) as shv:
            meldingen = shv.get("/berichten").json()["berichten"]
        assert [(m["melding"]["code"], m["melding"]["referentienummer"]) for m in meldingen] == [
            ("VERLOPEN", ref)
        ]
    finally:
        na.close()


def test_productie_start_niet_zonder_hoofdsleutel_of_eigen_sleutelopslag(
    pki_dir: Path, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production refuses to start without a master key (no generated one), and with the key store
    missing or inside the message database; each time saying what to set."""
    basis: dict[str, Any] = {
        "env": "production",
        "data_dir": tmp_path / "data",
        "database_url": f"sqlite:///{tmp_path / 'berichten.sqlite3'}",
        "trust_anchors": [pki_dir / "ca.pem"],
    }
    with pytest.raises(SettingsError, match=r"KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS .*verplicht in productie"):
        runtime_mod.bouw(Settings(**basis))
    assert not (tmp_path / "data" / "dagsleutel-hoofdsleutel").exists()
    met_sleutel = {**basis, "dagsleutel_hoofdsleutels": f"p1:{_sleutel()}"}
    with pytest.raises(SettingsError, match="KNOOPPUNT_SLEUTELOPSLAG_URL is verplicht in productie"):
        runtime_mod.bouw(Settings(**met_sleutel))
    with pytest.raises(SettingsError, match="wijst naar de berichtendatabase"):
        runtime_mod.bouw(Settings(**met_sleutel, sleutelopslag_url=basis["database_url"]))
    with pytest.raises(SettingsError, match="32 bytes"):
        runtime_mod.bouw(
            Settings(**basis, dagsleutel_hoofdsleutels="p1:" + base64.b64encode(b"kort").decode())
        )

    # The operator sees it when `knooppunt serve` starts.
    monkeypatch.setenv("KNOOPPUNT_ENV", "production")
    monkeypatch.setenv("KNOOPPUNT_PORTAAL_ACTIEF", "false")
    for opdracht in (
        ["serve", "--tls-cert", str(pki_dir / "server.pem"), "--tls-key", str(pki_dir / "server-key.pem")],
        ["worker", "--once"],
    ):
        uit = cli(*opdracht)
        assert uit.exit_code == 2, uit.output
        assert "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS" in uit.output


def test_ontwikkeling_maakt_bij_eerste_start_een_hoofdsleutel(settings: Settings) -> None:
    """Like the development PKI: generated once in the data dir (mode 0600), the same on restart."""
    een = runtime_mod.bouw(settings, upgrade=False)
    twee = runtime_mod.bouw(settings, upgrade=False)
    try:
        pad = settings.data_dir / "dagsleutel-hoofdsleutel"
        assert pad.stat().st_mode & 0o777 == 0o600
        assert een.dagsleutels.hoofdsleutels == twee.dagsleutels.hoofdsleutels
    finally:
        een.close()
        twee.close()


# --- the key store ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def sleutelopslag_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sleutels.sqlite3'}"
    if not PG_URL:
        pytest.skip("KNOOPPUNT_TEST_DATABASE_URL is niet gezet: geen PostgreSQL voor deze test")
    return str(request.getfixturevalue("pg_beheer")())


class Klok:
    """A monotonic clock the test moves (the key cache's age)."""

    def __init__(self) -> None:
        self.tijd = 0.0

    def __call__(self) -> float:
        return self.tijd


def _opslag(url: str, sleutels: str = f"a:{_sleutel()}", klok: Klok | None = None) -> Dagsleutels:
    opslag = Dagsleutels(
        maak_engine(url, pool_size=2), Hoofdsleutels.uit_tekst(sleutels), klok=klok or Klok()
    )
    opslag.maak_schema()
    return opslag


NU = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _verzegel(opslag: Dagsleutels, ref: str, *, ontvangen: datetime = NU, dagen: int = 7) -> str:
    return opslag.verzegel(
        afzender="00000001001234567000",
        referentienummer=ref,
        ontvangen_op=ontvangen,
        verloopt_op=ontvangen + timedelta(days=dagen),
        jwe=f"eyJ.{ref}",
    )


def _open(opslag: Dagsleutels, ref: str, opgeslagen: str) -> str | None:
    return opslag.open_(afzender="00000001001234567000", referentienummer=ref, opgeslagen=opgeslagen)


def test_processen_worden_het_gelijktijdig_eens_over_de_dagsleutel(sleutelopslag_url: str) -> None:
    """Several processes (each its own key store connection) sealing at once on a new day all use
    one key: what one seals, every other opens."""
    opslagen = [_opslag(sleutelopslag_url) for _ in range(6)]
    begin = threading.Barrier(len(opslagen))
    verzegeld: dict[int, str] = {}

    def zegel(i: int) -> None:
        begin.wait()
        verzegeld[i] = _verzegel(opslagen[i], f"ref-{i}")

    threads = [threading.Thread(target=zegel, args=(i,)) for i in range(len(opslagen))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        for i, tekst in verzegeld.items():
            for opslag in opslagen:
                assert _open(opslag, f"ref-{i}", tekst) == f"eyJ.ref-{i}"
        assert len(opslagen[0].overzicht()) == 1
    finally:
        for opslag in opslagen:
            opslag.close()


def test_sleutel_gaat_pas_weg_als_niets_eronder_meer_op_te_halen_is(sleutelopslag_url: str) -> None:
    """Destroyed once the latest verloopt_op sealed under it has passed and the day ended more than
    a day ago; once only with several destroyers; never made again; content under it is gone — at
    once in the destroying process, in every other within the key cache's lifetime."""
    klok = Klok()
    eerste, tweede = _opslag(sleutelopslag_url, klok=klok), _opslag(sleutelopslag_url, klok=klok)
    try:
        kort = _verzegel(eerste, "kort", dagen=3)
        lang = _verzegel(tweede, "lang", dagen=9)  # another node, a longer term: raises uiterlijk
        assert _open(eerste, "lang", lang) == "eyJ.lang"
        assert eerste.vernietig_verlopen(nu=NU + timedelta(days=5)) == []  # "lang" can still be fetched
        assert _open(eerste, "kort", kort) == "eyJ.kort"

        later = NU + timedelta(days=9, seconds=1)
        uitkomsten: dict[int, list[str]] = {}
        threads = [
            threading.Thread(
                target=lambda i=i, o=o: uitkomsten.__setitem__(i, o.vernietig_verlopen(nu=later))
            )  # type: ignore[misc]
            for i, o in enumerate((eerste, tweede))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(uitkomsten.values()) == [[], ["2026-12-07"]]
        vernietiger, ander = (eerste, tweede) if uitkomsten[0] else (tweede, eerste)
        assert _open(vernietiger, "kort", kort) is None
        assert _open(vernietiger, "lang", lang) is None
        klok.tijd += ander.cache_seconden + 1
        assert _open(ander, "kort", kort) is None
        assert _open(ander, "lang", lang) is None
        with pytest.raises(SleutelFout, match="al vernietigd"):
            _verzegel(_opslag(sleutelopslag_url), "te-laat")
        assert eerste.vernietig_verlopen(nu=later) == []  # idempotent
    finally:
        eerste.close()
        tweede.close()


def test_vandaag_en_gisteren_blijven_ook_na_hun_uiterlijk(sleutelopslag_url: str) -> None:
    """A submit of a day may still be in flight shortly after midnight: that day's key is kept until
    the day after has ended too."""
    opslag = _opslag(sleutelopslag_url)
    try:
        _verzegel(opslag, "x", dagen=0)  # uiterlijk = ontvangen (a zero term, for the margin alone)
        assert opslag.vernietig_verlopen(nu=NU + timedelta(days=1)) == []
        assert opslag.vernietig_verlopen(nu=datetime(2026, 12, 9, 0, 0, 1, tzinfo=UTC)) == ["2026-12-07"]
    finally:
        opslag.close()


def test_herverpakken_na_rotatie_van_de_hoofdsleutel(sleutelopslag_url: str) -> None:
    """A new master key first, the old one behind it: every day key is rewrapped, after which the old
    master key can go; without it, an unwrapped key would say which master key is missing."""
    oud = f"oud:{_sleutel()}"
    nieuw = "nieuw:" + base64.b64encode(bytes(range(32, 64))).decode()
    opslag = _opslag(sleutelopslag_url, oud)
    opgeslagen = _verzegel(opslag, "r")
    opslag.close()

    alleen_nieuw = _opslag(sleutelopslag_url, nieuw)
    with pytest.raises(SleutelFout, match="'oud'"):
        _open(alleen_nieuw, "r", opgeslagen)
    alleen_nieuw.close()

    beide = _opslag(sleutelopslag_url, f"{nieuw},{oud}")
    assert beide.herverpak() == 1
    assert beide.herverpak() == 0
    assert {d["hoofdsleutel"] for d in beide.overzicht()} == {"nieuw"}
    beide.close()
    alleen_nieuw = _opslag(sleutelopslag_url, nieuw)
    try:
        assert _open(alleen_nieuw, "r", opgeslagen) == "eyJ.r"
    finally:
        alleen_nieuw.close()


def test_verzegelde_inhoud_opent_niet_onder_andere_afzender_of_referentie(tmp_path: Path) -> None:
    """afzender and referentienummer are the associated data: a row moved to another message opens
    to nothing."""
    opslag = _opslag(f"sqlite:///{tmp_path / 's.sqlite3'}")
    try:
        tekst = _verzegel(opslag, "r1")
        assert opslag.open_(afzender="00000001001234567000", referentienummer="r2", opgeslagen=tekst) is None
        assert opslag.open_(afzender="00000001009999999000", referentienummer="r1", opgeslagen=tekst) is None
    finally:
        opslag.close()


def test_inhoud_van_voor_de_dagsleutels_wordt_nog_geserveerd(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """A row stored before this scheme (a plain JWE, from before the upgrade) is served as it is."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _verstuur(client_voor, gemeente, energie)
    with transactie(rt.sessions) as session:
        session.execute(text("UPDATE berichtinhoud SET jwe = :jwe"), {"jwe": env["inhoud"]})
    inbox = client_voor(energie).get("/berichten").json()["berichten"]
    assert [b["inhoud"] for b in inbox] == [env["inhoud"]]


def test_vernietigde_sleutel_staat_in_geen_bestand_van_de_sleutelopslag(tmp_path: Path) -> None:
    """After destruction the wrapped day key is in no file of a SQLite key store: not in freed
    space (secure_delete), not in the WAL (checkpointed and truncated)."""
    opslag = _opslag(f"sqlite:///{tmp_path / 'sleutels' / 's.sqlite3'}")
    try:
        _verzegel(opslag, "r")
        with opslag.engine.connect() as conn:
            verpakt = conn.execute(select(dagsleutels.c.verpakt)).scalar_one()
        bestanden = lambda: {p: p.read_bytes() for p in (tmp_path / "sleutels").iterdir()}  # noqa: E731
        assert any(verpakt in data for data in bestanden().values())
        assert opslag.vernietig_verlopen(nu=NU + timedelta(days=30)) == ["2026-12-07"]
        assert [p for p, data in bestanden().items() if verpakt in data] == []
    finally:
        opslag.close()


def test_sleutelopslag_in_een_eigen_postgresql_database(
    database_url: str, tmp_path: Path, pki_dir: Path, request: pytest.FixtureRequest
) -> None:
    """KNOOPPUNT_SLEUTELOPSLAG_URL=postgresql://… (as an operator writes it): the key store's table
    is made there, not in the message database, and what one runtime seals another opens."""
    if not PG_URL:
        pytest.skip("KNOOPPUNT_TEST_DATABASE_URL is niet gezet: geen PostgreSQL voor deze test")
    opslag_url = _libpq(str(request.getfixturevalue("pg_beheer")()))
    assert opslag_url.startswith("postgresql://")
    sleutels = f"p1:{_sleutel()}"
    runtimes = [
        runtime_mod.bouw(
            maak_settings(
                database_url,
                tmp_path / f"data{i}",
                pki_dir,
                sleutelopslag_url=opslag_url,
                dagsleutel_hoofdsleutels=sleutels,
            ),
            upgrade=False,
        )
        for i in range(2)
    ]
    try:
        tekst = _verzegel(runtimes[0].dagsleutels, "r")
        assert _open(runtimes[1].dagsleutels, "r", tekst) == "eyJ.r"
        assert runtimes[0].dagsleutels.engine.dialect.name == "postgresql"
        with runtimes[0].engine.connect() as conn:
            assert not runtimes[0].engine.dialect.has_table(conn, "dagsleutels")
        assert not (tmp_path / "data0" / "dagsleutels.sqlite3").exists()
    finally:
        for rt in runtimes:
            rt.close()


def test_knooppunt_sleutels_status_en_herverpak(
    cast: dict[str, Partij], client_voor: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, rt: Runtime
) -> None:
    """The operator sees the day keys (never the keys themselves) and rewraps them after a rotation."""
    _verstuur(client_voor, cast["gemeente"], cast["energie"])
    ontwikkel = (rt.settings.data_dir / "dagsleutel-hoofdsleutel").read_text().strip()
    uit = cli("sleutels", "status")
    assert uit.exit_code == 0, uit.output
    assert "hoofdsleutel voor nieuwe dagsleutels: ontwikkel-1; 1 levende dagsleutel(s)" in uit.output
    monkeypatch.setenv("KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS", f"nieuw:{_sleutel()},{ontwikkel}")
    uit = cli("sleutels", "herverpak")
    assert uit.exit_code == 0, uit.output
    assert "1 dagsleutel(s) opnieuw verpakt onder hoofdsleutel nieuw" in uit.output
    regels = [json.loads(r) for r in cli("sleutels", "status", "--json").output.splitlines()]
    assert [(r["hoofdsleutel"], r["vernietigdOp"]) for r in regels] == [("nieuw", None)]


def test_een_ontbrekende_hoofdsleutel_zegt_status_en_herverpak_netjes(
    cast: dict[str, Partij], client_voor: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old master key left out of the setting before `herverpak` (independent operations
    probe): herverpak crashed with a traceback, status said nothing was wrong. Now herverpak says
    which key to put back (exit 1) and status warns (exit 1)."""
    _verstuur(client_voor, cast["gemeente"], cast["energie"])
    monkeypatch.setenv("KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS", f"k1:{_sleutel()}")
    uit = cli("sleutels", "herverpak")
    assert uit.exit_code == 1
    assert uit.output.startswith("fout: de dagsleutel van ") and "'ontwikkel-1'" in uit.output
    assert "Traceback" not in uit.output
    status = cli("sleutels", "status")
    assert status.exit_code == 1
    assert "hoofdsleutel(s) ontwikkel-1 van levende dagsleutels staan niet in" in status.output


def test_inbox_laat_een_bericht_zonder_dagsleutel_weg_en_vult_de_pagina_aan(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """A message whose day key is destroyed (here: its row sealed under a past day, as a restored
    backup would hold it) is left out of the inbox, and the page is filled up from the next ones."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    envs = [_verstuur(client_voor, gemeente, energie) for _ in range(3)]
    oud = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    midden = envs[1]
    with transactie(rt.sessions) as session:
        bericht = store.op_referentie(session, midden["referentienummer"])
        assert bericht is not None
        verzegeld = rt.dagsleutels.verzegel(
            afzender=bericht.afzender,
            referentienummer=bericht.referentienummer,
            ontvangen_op=oud,
            verloopt_op=oud + timedelta(days=7),
            jwe=midden["inhoud"],
        )
        session.execute(
            text("UPDATE berichtinhoud SET jwe = :jwe WHERE bericht_id = :id"),
            {"jwe": verzegeld, "id": bericht.id},
        )
    assert rt.dagsleutels.vernietig_verlopen(nu=oud + timedelta(days=30)) == ["2026-01-05"]

    se = client_voor(energie)
    gezien: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    for _ in range(4):  # pages of one: the gap must not end the paging
        pagina = se.get("/berichten", params=params).json()
        gezien += [b["inhoud"] for b in pagina["berichten"]]
        if not pagina.get("volgende"):
            break
        params["volgende"] = pagina["volgende"]
    assert gezien == [envs[0]["inhoud"], envs[2]["inhoud"]]
    assert se.get(f"/berichten/{midden['referentienummer']}").json()["status"] == "verlopen"


def test_onbekende_dagsleutel_wordt_niet_geserveerd_en_gemeld(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content sealed under a day that this key store never had (the wrong key store configured) is
    not served, and the log says so, once."""
    logger = CapturingLogger()
    monkeypatch.setattr(dagsleutels_module, "log", logger)
    sleutels = f"a:{_sleutel()}"
    juist = _opslag(f"sqlite:///{tmp_path / 'juist.sqlite3'}", sleutels)
    verkeerd = _opslag(f"sqlite:///{tmp_path / 'verkeerd.sqlite3'}", sleutels)
    try:
        tekst = _verzegel(juist, "r")
        assert _open(verkeerd, "r", tekst) is None
        assert _open(verkeerd, "r", tekst) is None
        assert _open(juist, "r", tekst) == "eyJ.r"
        meldingen = [c for c in logger.calls if "dagsleutel onbekend" in str(c.args)]
        assert [(c.method_name, c.kwargs["dag"]) for c in meldingen] == [("error", "2026-12-07")]
    finally:
        juist.close()
        verkeerd.close()


def test_de_dagsleutel_gaat_zodra_niets_van_die_dag_meer_open_is(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN §5: "A job destroys a day's key once no message stored under it can still be fetched
    (all confirmed, refused or expired)" — not only once the day's latest term has passed. While one
    message of the day is still open the key stays; once it is confirmed (the hub's own receipts,
    which hold no inhoud, do not count) the job destroys it, the day long over."""
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    eerste = _verstuur(client_voor, gemeente, energie)
    tweede = _verstuur(client_voor, gemeente, zorg)
    bevestiging = client_voor(energie).post(f"/berichten/{eerste['referentienummer']}/bevestiging")
    assert bevestiging.status_code == 200
    with rt.sessions() as session:
        bericht = store.op_referentie(session, tweede["referentienummer"])
        assert bericht is not None
        dag, verloopt = bericht.ontvangen_op.astimezone(UTC).date(), bericht.verloopt_op
    later = datetime(dag.year, dag.month, dag.day, 12, tzinfo=UTC) + timedelta(days=2)
    assert later < verloopt  # the term has not passed: only the message database can tell
    monkeypatch.setattr(planner, "werkelijke_tijd", lambda _rt: later)  # that moment has come

    assert planner.draai_eenmaal(rt, nu=later)["dagsleutels_vernietigd"] == 0  # the second is open
    assert client_voor(zorg).post(f"/berichten/{tweede['referentienummer']}/bevestiging").status_code == 200
    assert planner.draai_eenmaal(rt, nu=later)["dagsleutels_vernietigd"] == 1
    assert planner.draai_eenmaal(rt, nu=later)["dagsleutels_vernietigd"] == 0  # idempotent


def test_een_proefdraai_met_een_klok_vooruit_vernietigt_de_sleutel_van_vandaag_niet(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN §6: `worker --once --now` sets the jobs' clock "for tests, dry runs". A dry run ten
    days ahead expires and sweeps as at that moment, but today's key stays: the live hub still seals
    today's submits under it, and a hub started afterwards (no key in its memory) accepts them — not
    a 500 for every submit of the rest of the day. Once that moment has really come, the key goes."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    eerste = _verstuur(client_voor, gemeente, energie)
    bevestiging = client_voor(energie).post(f"/berichten/{eerste['referentienummer']}/bevestiging")
    assert bevestiging.status_code == 200
    _verstuur(client_voor, gemeente, energie)  # left open
    with rt.sessions() as session:
        bericht = store.op_referentie(session, eerste["referentienummer"])
        assert bericht is not None
        ontvangen = bericht.ontvangen_op
    later = ontvangen + timedelta(days=10)
    proef = planner.draai_eenmaal(rt, nu=later)
    assert proef["verlopen"] == 2  # the open one and the unconfirmed receipt, as at that moment
    assert proef["dagsleutels_vernietigd"] == 0
    dag = ontvangen.astimezone(UTC).date().isoformat()
    assert [d["vernietigdOp"] for d in rt.dagsleutels.overzicht() if d["dag"] == dag] == [None]

    herstart = runtime_mod.bouw(rt.settings, upgrade=False)
    try:
        with TestClient(
            MetCertificaat(create_app(herstart), gemeente.pem), base_url="https://testserver/api/v1"
        ) as shv:
            r = shv.post("/berichten", json=envelop(gemeente, energie, "saldoverzoek"))
            assert r.status_code == 201, r.text
    finally:
        herstart.close()

    monkeypatch.setattr(planner, "werkelijke_tijd", lambda _rt: later)  # that moment has come
    assert planner.draai_eenmaal(rt, nu=later)["dagsleutels_vernietigd"] == 1


def test_een_klok_die_terugspringt_voorbij_een_vernietigde_dagsleutel_geeft_503_geen_500(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN §4 "never a 500": a hub whose clock ran ahead (a faked clock, a dry run whose moment
    had come) destroyed today's key; once its clock is back, today's submits cannot be sealed. The
    sender gets 503 TIJDELIJK_NIET_BESCHIKBAAR saying nothing was stored and to repeat later, the
    operator a log line naming the day and the clock; nothing is stored."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    eerste = _verstuur(client_voor, gemeente, energie)
    bevestiging = client_voor(energie).post(f"/berichten/{eerste['referentienummer']}/bevestiging")
    assert bevestiging.status_code == 200
    with rt.sessions() as session:
        bericht = store.op_referentie(session, eerste["referentienummer"])
        assert bericht is not None
        later = bericht.ontvangen_op + timedelta(days=10)
    monkeypatch.setattr(planner, "werkelijke_tijd", lambda _rt: later)  # the clock ran ahead
    assert planner.draai_eenmaal(rt, nu=later)["dagsleutels_vernietigd"] == 1

    logs = CapturingLogger()
    monkeypatch.setattr(app_module, "log", logs)
    herstart = runtime_mod.bouw(rt.settings, upgrade=False)  # the clock is back: today again
    try:
        with TestClient(
            MetCertificaat(create_app(herstart), gemeente.pem), base_url="https://testserver/api/v1"
        ) as shv:
            tweede = envelop(gemeente, energie, "saldoverzoek")
            r = shv.post("/berichten", json=tweede)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "TIJDELIJK_NIET_BESCHIKBAAR"
            assert "niets opgeslagen" in r.json()["detail"]
            assert int(r.headers["Retry-After"]) > 0
    finally:
        herstart.close()
    with rt.sessions() as session:
        assert store.op_referentie(session, tweede["referentienummer"]) is None
    dag = later.date() - timedelta(days=10)
    [melding] = [c for c in logs.calls if "dagsleutel onbruikbaar" in str(c.args)]
    assert melding.method_name == "error"
    assert f"dagsleutel van {dag.isoformat()} is al vernietigd" in melding.kwargs["reden"]
    assert "klok" in melding.kwargs["reden"]
