"""The audit log (DESIGN §5): what is recorded, in the same transaction as the action and without a
lock; the sequencer that numbers entries gaplessly and signs an RFC 6962 Merkle tree over them
(crash-safe, one at a time, never holding up an insert, never skipping a late commit);
`knooppunt audit verify --sleutel` finds every kind of tampering; the retention purge leaves a
tree that still verifies."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select, text

from knooppunt import metrics
from knooppunt.hub import adresboek, audit, mailbox, sequencer
from knooppunt.hub.merkle import Rand
from knooppunt.hub.notitie import Checkpoint, Ondertekenaar
from knooppunt.jobs import audit as audit_job
from knooppunt.jobs import verlopen
from knooppunt.runtime import Runtime
from knooppunt.store import audit as audit_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditanker, Auditkop, Auditregel
from tests.conftest import DATABASES, PG_URL, _psycopg, maak_settings
from tests.factories import Partij, envelop


def _regels(rt: Runtime) -> list[Auditregel]:
    """Every entry in insert order (sequenced or not)."""
    with rt.sessions() as session:
        return list(session.scalars(select(Auditregel).order_by(Auditregel.id)))


def _acties(rt: Runtime, vanaf: int = 0) -> list[tuple[str, str | None, str | None]]:
    return [(r.actie, r.referentienummer, r.uitkomst) for r in _regels(rt) if r.id > vanaf]


def _kop(rt: Runtime) -> int:
    """The highest id so far."""
    with rt.sessions() as session:
        return int(session.scalar(select(func.coalesce(func.max(Auditregel.id), 0))) or 0)


def _sql(rt: Runtime, *opdrachten: str) -> None:
    with rt.engine.begin() as conn:
        for opdracht in opdrachten:
            conn.execute(text(opdracht))


def _sequence(rt: Runtime, **opties: Any) -> int:
    return int(
        audit_job.sequence(rt.sessions, rt.ondertekenaar(), max_wacht=timedelta(seconds=300), **opties)[
            "gesequenceerd"
        ]
    )


def _volgnummers(rt: Runtime) -> list[int]:
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Auditregel.volgnummer)
                .where(Auditregel.volgnummer.is_not(None))
                .order_by(Auditregel.volgnummer)
            )
        )


def _publiek(rt: Runtime) -> str:
    return rt.ondertekenaar().publiek.als_tekst()


# --- what is recorded ---------------------------------------------------------------------------


def test_registratie_en_certificaten_worden_vastgelegd_door_de_beheerder(
    cli: Any, rt: Runtime, pki: dict[str, Partij]
) -> None:
    energie = pki["energie"]
    basis = ["--oin", energie.oin, "--naam", energie.naam, "--rol", "SE", "--kvk", energie.kvk]
    assert (
        cli(
            "deelnemer", "add", *basis, "--module", "schuldregeling", "--certificaat", str(energie.cert_pad)
        ).exit_code
        == 0
    )
    vingerafdruk = json.loads(cli("deelnemer", "list", "--json").output.splitlines()[0])["certificaten"][0][
        "vingerafdruk"
    ]
    eerste = cli(
        "deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", vingerafdruk
    )
    assert eerste.exit_code == 0, eerste.output
    # its last one: said (an operator probe locked a participant out without a word)
    assert "geen geldig TLS-certificaat meer" in eerste.output, eerste.output
    # Retiring it again changes nothing, so records nothing — here given as openssl prints it (an
    # operator probe: "sha256 Fingerprint=AB:CD:…" was NIET_GEVONDEN).
    zoals_openssl = "sha256 Fingerprint=" + ":".join(
        vingerafdruk[i : i + 2].upper() for i in range(0, len(vingerafdruk), 2)
    )
    uit = cli("deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", zoals_openssl)
    assert uit.exit_code == 0 and vingerafdruk in uit.output, uit.output
    assert "was al ingetrokken" in uit.output, uit.output

    regels = _regels(rt)
    assert [(r.actie, r.deelnemer, r.certificaat) for r in regels] == [
        ("deelnemer_toegevoegd", energie.oin, None),
        ("certificaat_toegevoegd", energie.oin, vingerafdruk),
        ("certificaat_ingetrokken", energie.oin, vingerafdruk),
    ]
    assert {r.actor for r in regels} == {regels[0].actor}
    assert regels[0].actor.startswith("beheer:") and len(regels[0].actor) > len("beheer:")
    assert regels[0].uitkomst == "SE" and regels[1].uitkomst == "tls,ondertekening,versleuteling"


def test_levenscyclus_van_berichten_wordt_vastgelegd(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    shv, se = client_voor(gemeente), client_voor(energie)
    begin = _kop(rt)
    conversatie = str(uuid.uuid4())

    vraag = envelop(gemeente, energie, "saldoverzoek", conversatie=conversatie)
    assert shv.post("/berichten", json=vraag).status_code == 201
    assert shv.post("/berichten", json=vraag).status_code == 200  # a retry is no new action
    assert se.get("/berichten").status_code == 200
    assert se.get("/berichten").status_code == 200  # fetched again
    antwoord = envelop(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        conversatie=conversatie,
        antwoord_op=vraag["referentienummer"],
    )
    assert se.post("/berichten", json=antwoord).status_code == 201  # confirms the question too
    geweigerd = envelop(gemeente, zorg, "saldoverzoek_zorg")
    assert shv.post("/berichten", json=geweigerd).status_code == 201
    r = client_voor(zorg).post(
        f"/berichten/{geweigerd['referentienummer']}/weigering", json={"reden": "HANDTEKENING_ONGELDIG"}
    )
    assert r.status_code == 200
    inbox = [b["referentienummer"] for b in shv.get("/berichten").json()["berichten"]]
    assert shv.post("/bevestigingen", json={"referentienummers": inbox}).status_code == 200

    v, a, g = vraag["referentienummer"], antwoord["referentienummer"], geweigerd["referentienummer"]
    acties = _acties(rt, begin)
    assert acties[:7] == [
        ("verstuurd", v, None),
        ("opgehaald", v, "eerste"),
        ("opgehaald", v, "opnieuw"),
        ("verstuurd", a, None),
        ("bevestigd", v, "door_antwoord"),
        ("verstuurd", g, None),
        ("geweigerd", g, "HANDTEKENING_ONGELDIG"),
    ]
    # The SHV's inbox: the answer, the receipt and the foutbericht; fetched, then confirmed at once.
    assert [a for a, _, _ in acties[7:]] == ["opgehaald"] * 3 + ["bevestigd"] * 3
    assert {ref for _, ref, _ in acties[10:]} == set(inbox)

    regels = {(r.actie, r.referentienummer): r for r in _regels(rt)}
    verstuurd = regels[("verstuurd", v)]
    assert (verstuurd.actor, verstuurd.afzender, verstuurd.ontvanger) == (
        gemeente.oin,
        gemeente.oin,
        energie.oin,
    )
    assert (verstuurd.berichttype, verstuurd.module) == ("saldoverzoek", "schuldregeling")
    assert regels[("opgehaald", v)].actor == energie.oin
    assert regels[("bevestigd", v)].actor == energie.oin


def test_geweigerd_verzenden_wordt_vastgelegd_hoewel_niets_anders_blijft(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    begin = _kop(rt)
    env = envelop(gemeente, energie, "saldoverzoek") | {"ontvanger": "00000003999999990000"}
    r = client_voor(gemeente).post("/berichten", json=env)
    assert (r.status_code, r.json()["code"]) == (422, "ONBEKENDE_ONTVANGER")
    # A rule deeper down (art. 9.3 needs a conversation; here: an answer to nothing).
    antwoord = envelop(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=str(uuid.uuid4()))
    r = client_voor(energie).post("/berichten", json=antwoord)
    assert r.json()["code"] == "ONGELDIG_ANTWOORD"

    regels = [r for r in _regels(rt) if r.id > begin]
    assert [(r.actie, r.uitkomst, r.referentienummer) for r in regels] == [
        ("geweigerd_bij_verzenden", "ONBEKENDE_ONTVANGER", env["referentienummer"]),
        ("geweigerd_bij_verzenden", "ONGELDIG_ANTWOORD", antwoord["referentienummer"]),
    ]
    assert (regels[0].actor, regels[0].ontvanger, regels[0].berichttype) == (
        gemeente.oin,
        "00000003999999990000",
        "saldoverzoek",
    )
    with rt.sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM berichten")) == 0


def test_verlopen_wordt_vastgelegd_in_een_insert_per_batch(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    refs = []
    for _ in range(3):
        env = envelop(gemeente, energie, "saldoverzoek")
        assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
        refs.append(env["referentienummer"])
    begin = _kop(rt)
    later = datetime.now(UTC) + timedelta(days=30)
    assert verlopen.verloop_alles(rt.sessions, nu=later, instellingen=rt.instellingen) == 3
    regels = [r for r in _regels(rt) if r.id > begin]
    assert [(r.actie, r.actor) for r in regels] == [("verlopen", "KNOOPPUNT")] * 3
    assert sorted(r.referentienummer or "" for r in regels) == sorted(refs)
    assert {r.tijd for r in regels} == {later}


def test_een_teruggedraaide_actie_laat_geen_regel_achter(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    begin = _kop(rt)
    env = envelop(gemeente, energie, "saldoverzoek")
    envelop_ = mailbox.Envelop(
        referentienummer=env["referentienummer"],
        conversatie_referentienummer=env["conversatieReferentienummer"],
        cross_referentienummer=None,
        berichttype="saldoverzoek",
        module="schuldregeling",
        versie="1.0",
        ontvanger=energie.oin,
        inhoud=env["inhoud"],
    )
    with pytest.raises(RuntimeError), transactie(rt.sessions) as session:
        afzender = adresboek.haal(session, gemeente.oin)
        mailbox.verstuur(session, afzender, envelop_, nu=db_nu(session), instellingen=rt.instellingen)
        raise RuntimeError("iets anders gaat mis na het versturen")
    assert _kop(rt) == begin
    with transactie(rt.sessions) as session:
        afzender = adresboek.haal(session, gemeente.oin)
        mailbox.verstuur(session, afzender, envelop_, nu=db_nu(session), instellingen=rt.instellingen)
    assert _acties(rt, begin) == [("verstuurd", env["referentienummer"], None)]


def _vul(rt: Runtime, aantal: int = 8, *, tijd: datetime | None = None) -> None:
    with transactie(rt.sessions) as session:
        nu = tijd or db_nu(session)
        audit.noteer(
            session,
            [
                {
                    "actie": "verstuurd",
                    "actor": "00000001823288444000",
                    "tijd": nu,
                    "berichttype": "saldoverzoek",
                    "afzender": "00000001823288444000",
                    "ontvanger": "00000003123456780000",
                    "referentienummer": str(uuid.uuid4()),
                }
                for _ in range(aantal)
            ],
        )


# --- appending and the sequencer ------------------------------------------------------------------


def test_een_regel_wacht_zonder_volgnummer_tot_de_sequencer_hem_nummert_en_ondertekent(rt: Runtime) -> None:
    _vul(rt, 3)
    assert [(r.volgnummer, r.hash) for r in _regels(rt)] == [(None, None)] * 3
    assert _sequence(rt) == 3
    regels = _regels(rt)
    assert [r.volgnummer for r in regels] == [1, 2, 3]
    assert all(r.hash == sequencer.blad(r.__dict__).hex() for r in regels)
    with rt.sessions() as session:
        kop = audit_store.nieuwste_kop(session)
    assert kop is not None and kop.grootte == 3
    rand = Rand()
    rand.voeg_alle_toe(bytes.fromhex(r.hash or "") for r in regels)
    assert kop.wortel == rand.wortel().hex()
    assert kop.checkpoint.startswith(f"{rt.ondertekenaar().naam}\n3\n")
    assert _sequence(rt) == 0  # idempotent: nothing waits, no new head


def test_gelijktijdige_schrijvers_en_sequencers_geven_gapless_volgnummers_zonder_dubbelen(
    rt: Runtime,
) -> None:
    """Writers (own connections) insert and roll back while two sequencers run at once."""
    vastgelegd: list[int] = []
    fouten: list[BaseException] = []
    klaar = threading.Event()

    def schrijver(nummer: int) -> None:
        try:
            for i in range(12):
                aantal = 1 + (i % 3)
                try:
                    with transactie(rt.sessions) as session:
                        nu = db_nu(session)
                        audit.noteer(
                            session,
                            [
                                {
                                    "actie": "ingelogd",
                                    "actor": f"beheer:t{nummer}",
                                    "tijd": nu,
                                    "uitkomst": str(i),
                                }
                                for _ in range(aantal)
                            ],
                        )
                        if i % 4 == 3:
                            raise KeyError("teruggedraaid")
                except KeyError:
                    continue
                vastgelegd.append(aantal)
        except BaseException as exc:  # pragma: no cover - reported below
            fouten.append(exc)

    def sequencer_draad() -> None:
        try:
            while not klaar.is_set():
                _sequence(rt, batch=5)
        except BaseException as exc:  # pragma: no cover - reported below
            fouten.append(exc)

    schrijvers = [threading.Thread(target=schrijver, args=(n,)) for n in range(4)]
    sequencers = [threading.Thread(target=sequencer_draad) for _ in range(2)]
    for draad in schrijvers + sequencers:
        draad.start()
    for draad in schrijvers:
        draad.join(120)
    klaar.set()
    for draad in sequencers:
        draad.join(120)
    assert not fouten, fouten
    _sequence(rt)
    assert _volgnummers(rt) == list(range(1, sum(vastgelegd) + 1))
    with rt.sessions() as session:
        groottes = list(session.scalars(select(Auditkop.grootte).order_by(Auditkop.grootte)))
    assert groottes[-1] == sum(vastgelegd) and len(groottes) == len(set(groottes))
    assert audit.controleer(rt.engine, sleutel=rt.ondertekenaar().publiek).intact


def test_een_gecrashte_sequencer_laat_niets_half_achter_en_de_volgende_maakt_het_af(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _vul(rt, 4)
    _sequence(rt)
    _vul(rt, 5)

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("de sequencer sterft na het nummeren, voor de boomkop")

    with monkeypatch.context() as m:
        m.setattr(audit_store, "voeg_kop_toe", crash)
        with pytest.raises(RuntimeError, match="sterft"):
            _sequence(rt)
    # The whole run rolled back: the 5 still wait, the tree still ends at 4.
    assert _volgnummers(rt) == [1, 2, 3, 4]
    assert _sequence(rt) == 5
    assert _volgnummers(rt) == list(range(1, 10))
    assert audit.controleer(rt.engine, sleutel=rt.ondertekenaar().publiek).intact


_SEQUENCER_DIE_HANGT = """
import sys, time
from datetime import timedelta
from knooppunt import runtime
from knooppunt.config import load_settings
from knooppunt.jobs import audit
from knooppunt.store import audit as store

echt = store.ken_toe
def ken_toe_en_hang(session, toewijzingen):
    echt(session, toewijzingen)
    print("genummerd", len(toewijzingen), flush=True)
    time.sleep(600)
store.ken_toe = ken_toe_en_hang
rt = runtime.bouw(load_settings(), upgrade=False)
audit.sequence(rt.sessions, rt.ondertekenaar(), max_wacht=timedelta(seconds=300))
"""


def test_een_gedode_sequencer_wordt_door_de_volgende_hervat(
    cli: Any, rt: Runtime, settings: Any, tmp_path: Path
) -> None:
    """A real process killed (SIGKILL) in the middle of its run, holding the lock and half its
    work done: the database drops it all, and `knooppunt audit sequence` completes the work."""
    _vul(rt, 6)
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": settings.effective_database_url,
        "KNOOPPUNT_DATA_DIR": str(settings.data_dir),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    proces = subprocess.Popen(
        [sys.executable, "-c", _SEQUENCER_DIE_HANGT], env=omgeving, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proces.stdout is not None
        assert proces.stdout.readline().strip() == "genummerd 6"
    finally:
        proces.send_signal(signal.SIGKILL)
        proces.wait(30)
    uit = cli("audit", "sequence")
    assert uit.exit_code == 0, uit.output
    assert json.loads(uit.stdout)["gesequenceerd"] == 6
    assert _volgnummers(rt) == list(range(1, 7))
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 0


def test_twee_sequencer_processen_tegelijk_nummeren_alles_precies_eens(
    rt: Runtime, settings: Any, tmp_path: Path
) -> None:
    """`knooppunt audit sequence` twice at the same moment, as two real processes (two nodes)."""
    for _ in range(6):
        _vul(rt, 500)
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": settings.effective_database_url,
        "KNOOPPUNT_DATA_DIR": str(settings.data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": ",".join(str(p) for p in settings.trust_anchors),
    }
    rt.ondertekenaar()  # the development key exists before both start
    processen = [
        subprocess.Popen(
            [sys.executable, "-m", "knooppunt.cli.main", "audit", "sequence"],
            env=omgeving,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    uitvoer = [p.communicate(timeout=120) for p in processen]
    assert [p.returncode for p in processen] == [0, 0], uitvoer
    assert sum(json.loads(out.strip().splitlines()[-1])["gesequenceerd"] for out, _ in uitvoer) == 3000
    assert _volgnummers(rt) == list(range(1, 3001))
    assert audit.controleer(rt.engine, sleutel=rt.ondertekenaar().publiek).intact


def test_invoegen_wacht_niet_op_een_lopende_sequencer(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a sequencer holds its lock mid-run, requests still commit their entries (PostgreSQL;
    SQLite has one writer at a time by design, so there the sequencer's run is kept short)."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer; the lock-free insert is a PostgreSQL property")
    _vul(rt, 3)
    binnen, door = threading.Event(), threading.Event()
    echt = audit_store.ken_toe

    def ken_toe_en_wacht(session: Any, toewijzingen: Any) -> None:
        echt(session, toewijzingen)
        binnen.set()
        door.wait(30)

    monkeypatch.setattr(audit_store, "ken_toe", ken_toe_en_wacht)
    fouten: list[BaseException] = []

    def draai() -> None:
        try:
            _sequence(rt)
        except BaseException as exc:  # pragma: no cover - reported below
            fouten.append(exc)

    draad = threading.Thread(target=draai)
    draad.start()
    try:
        assert binnen.wait(30)
        begin = time.monotonic()
        _vul(rt, 2)  # commits while the sequencer holds the lock and has not committed
        assert time.monotonic() - begin < 5
        with rt.sessions() as session:
            wachtend = session.scalar(select(func.count()).where(Auditregel.volgnummer.is_(None)))
        assert wachtend == 5  # the 3 being numbered are not committed yet, the 2 new ones are
    finally:
        door.set()
        draad.join(60)
    assert not fouten, fouten
    monkeypatch.setattr(audit_store, "ken_toe", echt)
    assert _sequence(rt) == 2
    assert _volgnummers(rt) == [1, 2, 3, 4, 5]


def test_een_later_gecommitte_lagere_id_wordt_toch_gesequenceerd(rt: Runtime) -> None:
    """An entry whose transaction commits after a higher id was sequenced is numbered after it:
    nothing skipped, no gap. Also: a second writer commits its entries while the first still holds
    its own open — there is no lock between writers any more (PostgreSQL; SQLite has one writer at
    a time)."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a lower id cannot commit later")
    traag = rt.sessions()
    try:
        nu = db_nu(traag)
        audit_store.voeg_toe(traag, [{"actie": "ingelogd", "actor": "beheer:traag", "tijd": nu}])
        _vul(rt, 2)  # higher ids, committed first
        assert _sequence(rt) == 2
        traag.commit()
    finally:
        traag.close()
    assert _sequence(rt) == 1
    regels = sorted(_regels(rt), key=lambda r: r.volgnummer or 0)
    assert [r.volgnummer for r in regels] == [1, 2, 3]
    assert regels[-1].actor == "beheer:traag" and regels[-1].id < regels[0].id
    assert audit.controleer(rt.engine, sleutel=rt.ondertekenaar().publiek).intact


def test_te_lang_ongesequenceerde_regels_zijn_een_alarm_en_een_fout_voor_verify(
    cli: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _vul(rt, 2)
    _sequence(rt)
    _vul(rt, 3)
    # As if the sequencer had been down for ten minutes.
    with rt.engine.begin() as conn:
        tien_minuten_terug = db_nu(conn) - timedelta(minutes=10)
        conn.execute(
            Auditregel.__table__.update()  # type: ignore[attr-defined]
            .where(Auditregel.volgnummer.is_(None))
            .values(ingevoegd_op=tien_minuten_terug)
        )
    uit = cli("audit", "verify", "--sleutel", _publiek(rt))
    assert uit.exit_code == 1
    assert "ongesequenceerd: 3 auditregel(s) zonder volgnummer" in uit.stdout
    assert "langer dan 300 s" in uit.stdout
    monkeypatch.setenv("KNOOPPUNT_AUDIT_MAX_ONGESEQUENCEERD_SECONDEN", "3600")
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 0

    peilingen = metrics.registry(rt.engine).collect()
    waarden = {s.name: s.value for m in peilingen for s in m.samples}
    assert waarden["knooppunt_audit_ongesequenceerd"] == 3
    assert waarden["knooppunt_audit_ongesequenceerd_oudste_seconden"] >= 600
    assert waarden["knooppunt_audit_volgnummer"] == 2

    alarmen = metrics.AUDIT_TE_LANG_ONGESEQUENCEERD._value.get()
    with structlog.testing.capture_logs() as logs:
        assert _sequence(rt) == 3
    assert metrics.AUDIT_TE_LANG_ONGESEQUENCEERD._value.get() == alarmen + 1
    [alarm] = [log for log in logs if log["event"] == "auditregels te lang ongesequenceerd"]
    assert alarm["log_level"] == "error" and alarm["gewacht_seconden"] >= 600
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 0
    with structlog.testing.capture_logs() as logs:
        _sequence(rt)
    assert not [log for log in logs if log["log_level"] == "error"]


# --- verify -------------------------------------------------------------------------------------


def test_verify_meldt_een_intacte_boom(cli: Any, rt: Runtime) -> None:
    uit = cli("audit", "verify", "--sleutel", _publiek(rt))
    assert uit.exit_code == 0 and "leeg" in uit.output
    _vul(rt)
    _sequence(rt)
    uit = cli("audit", "verify", "--sleutel", _publiek(rt))
    assert uit.exit_code == 0, uit.output
    assert (
        "8 auditregels, volgnummer 1 t/m 8; 1 ondertekende boomkoppen: boom en handtekeningen intact"
        in uit.output
    )
    rapport = json.loads(cli("audit", "verify", "--json", "--sleutel", _publiek(rt)).stdout)
    assert rapport["intact"] is True and rapport["aantal"] == 8 and rapport["boomgrootte"] == 8


def test_verify_vraagt_een_publieke_sleutel_van_buiten_de_database(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    uit = cli("audit", "verify")
    assert uit.exit_code == 2 and "--sleutel" in uit.output
    uit = cli("audit", "verify", "--sleutel", "onzin")
    assert uit.exit_code == 2 and "naam+hash+base64" in uit.output
    bestand = tmp_path / "audit.pub"
    bestand.write_text(cli("audit", "sleutel").stdout)
    _vul(rt, 2)
    _sequence(rt)
    assert cli("audit", "verify", "--sleutel", str(bestand)).exit_code == 0


def _vul_in_twee_runs(rt: Runtime) -> None:
    """8 entries, sequenced as 4 + 4: signed heads of sizes 4 and 8."""
    _vul(rt, 4)
    _sequence(rt)
    _vul(rt, 4)
    _sequence(rt)


@pytest.mark.parametrize(
    ("ingreep", "verwacht"),
    [
        (
            ["UPDATE auditregels SET ontvanger = '00000003567890120000' WHERE volgnummer = 3"],
            {(3, "gewijzigd"), (4, "boom")},
        ),
        (["UPDATE auditregels SET tijd = tijd WHERE volgnummer = 4"], set()),  # no change, no report
        # Edit a field and put another entry's leaf hash in: the leaf and the tree both fail.
        (
            [
                "UPDATE auditregels SET actie = 'geweigerd', "
                "hash = (SELECT hash FROM auditregels WHERE volgnummer = 7) WHERE volgnummer = 6"
            ],
            {(6, "gewijzigd"), (8, "boom")},
        ),
        (["DELETE FROM auditregels WHERE volgnummer = 3"], {(3, "ontbreekt")}),
        (["DELETE FROM auditregels WHERE volgnummer IN (3, 4)"], {(3, "ontbreekt")}),
        # Swap two entries (each keeps its own, correct leaf hash): only the tree can tell.
        (
            [
                "UPDATE auditregels SET volgnummer = -1 WHERE volgnummer = 5",
                "UPDATE auditregels SET volgnummer = 5 WHERE volgnummer = 6",
                "UPDATE auditregels SET volgnummer = 6 WHERE volgnummer = -1",
            ],
            {(8, "boom")},
        ),
        # A head whose root was changed: its signature no longer covers it.
        (
            ["UPDATE auditkoppen SET wortel = '" + "0" * 64 + "' WHERE grootte = 4"],
            {(4, "handtekening"), (4, "boom")},
        ),
        # An entry slipped in behind the sequencer's back.
        (
            [
                "INSERT INTO auditregels (volgnummer, tijd, actor, actie, hash, ingevoegd_op) VALUES "
                "(9, '2026-12-01 10:00:00', 'beheer:x', 'ingelogd', 'x', '2026-12-01 10:00:00')"
            ],
            {(9, "gewijzigd"), (9, "niet_ondertekend")},
        ),
    ],
    ids=[
        "veld-gewijzigd",
        "niets-gewijzigd",
        "hash-vervangen",
        "midden-verwijderd",
        "twee-verwijderd",
        "verwisseld",
        "kop-gewijzigd",
        "buiten-de-sequencer",
    ],
)
def test_verify_vindt_elke_ingreep(
    cli: Any, rt: Runtime, ingreep: list[str], verwacht: set[tuple[int, str]]
) -> None:
    _vul_in_twee_runs(rt)
    _sql(rt, *ingreep)
    uit = cli("audit", "verify", "--json", "--sleutel", _publiek(rt))
    rapport = json.loads(uit.stdout)
    assert {(p["volgnummer"], p["soort"]) for p in rapport["problemen"]} == verwacht
    assert uit.exit_code == (1 if verwacht else 0)
    if verwacht:
        tekst = cli("audit", "verify", "--sleutel", _publiek(rt))
        assert tekst.exit_code == 1
        for volgnummer, soort in verwacht:
            assert f"volgnummer {volgnummer}: {soort}" in tekst.stdout


def test_een_regel_met_herberekende_bladhash_valt_door_de_ondertekende_boom(cli: Any, rt: Runtime) -> None:
    _vul_in_twee_runs(rt)
    with transactie(rt.sessions) as session:
        regel = session.scalars(select(Auditregel).where(Auditregel.volgnummer == 2)).one()
        regel.ontvanger = "00000003567890120000"
        regel.hash = sequencer.blad(regel.__dict__).hex()
    rapport = json.loads(cli("audit", "verify", "--json", "--sleutel", _publiek(rt)).stdout)
    assert {(p["volgnummer"], p["soort"]) for p in rapport["problemen"]} == {(4, "boom")}


def test_een_afgeknipte_staart_vindt_verify_met_een_geexporteerd_checkpoint(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    _vul_in_twee_runs(rt)
    bestand = tmp_path / "checkpoint.txt"
    assert cli("audit", "checkpoint", "--uit", str(bestand)).exit_code == 0
    notitie = bestand.read_text()
    assert notitie.startswith(f"{rt.ondertekenaar().naam}\n8\n") and "\n\n\u2014 " in notitie
    _vul(rt, 2)  # the log grows after the checkpoint: still fine
    _sequence(rt)
    assert cli("audit", "verify", "--sleutel", _publiek(rt), "--checkpoint", str(bestand)).exit_code == 0

    # Cut off the tail at a signed head, the heads after it too: the log alone looks whole...
    _sql(rt, "DELETE FROM auditregels WHERE volgnummer >= 5", "DELETE FROM auditkoppen WHERE grootte >= 5")
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 0
    # ...the checkpoint kept outside the database does not.
    uit = cli("audit", "verify", "--sleutel", _publiek(rt), "--checkpoint", str(bestand))
    assert uit.exit_code == 1
    assert "volgnummer 5: afgeknipt: volgnummer 5 t/m 8 ontbreekt" in uit.stdout


def test_een_afgeknipte_staart_met_achtergebleven_koppen_vindt_verify_ook_zonder_checkpoint(
    cli: Any, rt: Runtime
) -> None:
    _vul_in_twee_runs(rt)
    _sql(rt, "DELETE FROM auditregels WHERE volgnummer >= 6")
    uit = cli("audit", "verify", "--sleutel", _publiek(rt))
    assert uit.exit_code == 1 and "volgnummer 6: afgeknipt: volgnummer 6 t/m 8 ontbreekt" in uit.stdout


def test_een_herschreven_en_opnieuw_ondertekende_geschiedenis_valt_door_de_echte_sleutel(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    """Whoever rewrites entries, rebuilds the whole tree and signs it with a key of their own (even
    under the hub's key name) fails against the real public key, and against an exported
    checkpoint."""
    _vul_in_twee_runs(rt)
    bestand = tmp_path / "checkpoint.txt"
    bestand.write_text(cli("audit", "checkpoint").stdout)
    vervalser = Ondertekenaar.nieuw(rt.ondertekenaar().naam)
    with transactie(rt.sessions) as session:
        regels = list(session.scalars(select(Auditregel).order_by(Auditregel.volgnummer)))
        session.execute(text("DELETE FROM auditkoppen"))
        rand = Rand()
        for regel in regels:
            regel.ontvanger = "00000003567890120000"
            blad = sequencer.blad(regel.__dict__)
            regel.hash = blad.hex()
            rand.voeg_toe(blad)
            if rand.grootte in (4, 8):
                wortel = rand.wortel()
                session.add(
                    Auditkop(
                        grootte=rand.grootte,
                        wortel=wortel.hex(),
                        rand=rand.als_tekst(),
                        tijd=datetime.now(UTC),
                        checkpoint=Checkpoint(vervalser.naam, rand.grootte, wortel).ondertekend(vervalser),
                    )
                )
    # With the forger's key it all looks fine — which is why the key never comes from the database.
    assert cli("audit", "verify", "--sleutel", vervalser.publiek.als_tekst()).exit_code == 0
    uit = cli("audit", "verify", "--json", "--sleutel", _publiek(rt))
    rapport = json.loads(uit.stdout)
    assert uit.exit_code == 1
    assert {(p["volgnummer"], p["soort"]) for p in rapport["problemen"]} == {
        (4, "handtekening"),
        (8, "handtekening"),
    }
    uit = cli("audit", "verify", "--sleutel", _publiek(rt), "--checkpoint", str(bestand))
    assert uit.exit_code == 1 and "volgnummer 8: checkpoint" in uit.stdout and "herschreven" in uit.stdout


def test_na_een_herstel_begint_een_nieuw_log_onder_een_nieuwe_sleutel(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    """A restore of the message database from a backup drops the entries after it; checkpoints
    exported since then no longer match (an independent operator probe: verify then fails every day,
    and the restored hub would sign other entries under the same numbers — a fork). The procedure of
    docs/operations.md: a new key and origin for the restored log, verify with both keys; the old
    checkpoints past the backup stay the evidence of what the restore lost."""
    _vul_in_twee_runs(rt)
    oud = _publiek(rt)
    voor = tmp_path / "checkpoint-8.txt"
    assert cli("audit", "checkpoint", "--uit", str(voor)).exit_code == 0
    # The restore: the backup had entries 1-4 and the head of size 4.
    _sql(rt, "DELETE FROM auditregels WHERE volgnummer >= 5", "DELETE FROM auditkoppen WHERE grootte >= 5")
    nieuw = Ondertekenaar.nieuw("knooppunt.example.nl/audit-2")
    _vul(rt, 2)
    audit_job.sequence(rt.sessions, nieuw, max_wacht=timedelta(seconds=300))
    # The old key alone refuses the new heads; the new key alone the old ones; both: intact.
    uit = cli("audit", "verify", "--sleutel", oud)
    assert uit.exit_code == 1 and "volgnummer 6: handtekening" in uit.stdout, uit.stdout
    assert cli("audit", "verify", "--sleutel", nieuw.publiek.als_tekst()).exit_code == 1
    uit = cli("audit", "verify", "--json", "--sleutel", oud, "--sleutel", nieuw.publiek.als_tekst())
    assert uit.exit_code == 0, uit.stdout
    rapport = json.loads(uit.stdout)
    assert [s["vanafBoomgrootte"] for s in rapport["sleutels"]] == [4, 6]
    assert rapport["sleutels"][1]["sleutel"].startswith("knooppunt.example.nl/audit-2+")
    uit = cli("audit", "verify", "--sleutel", oud, "--sleutel", nieuw.publiek.als_tekst())
    assert "auditsleutel knooppunt.example.nl/audit-2+" in uit.stdout and "vanaf boomgrootte 6" in uit.stdout
    # The checkpoint exported before the restore: what the restore lost, reported as such.
    uit = cli(
        "audit", "verify", "--sleutel", oud, "--sleutel", nieuw.publiek.als_tekst(), "--checkpoint", str(voor)
    )
    assert uit.exit_code == 1 and "afgeknipt" in uit.stdout
    # A new checkpoint, of the new log, verifies.
    na = tmp_path / "checkpoint-6.txt"
    na.write_text(cli("audit", "checkpoint").stdout)
    uit = cli(
        "audit", "verify", "--sleutel", oud, "--sleutel", nieuw.publiek.als_tekst(), "--checkpoint", str(na)
    )
    assert uit.exit_code == 0, uit.stdout


def test_checkpoint_van_een_leeg_log_en_een_onleesbaar_checkpoint(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    uit = cli("audit", "checkpoint")
    assert uit.exit_code == 1 and "nog geen ondertekend checkpoint" in uit.output
    onzin = tmp_path / "onzin.txt"
    onzin.write_text("geen checkpoint")
    uit = cli("audit", "verify", "--sleutel", _publiek(rt), "--checkpoint", str(onzin))
    assert uit.exit_code == 2 and "checkpoint" in uit.output


def test_audit_sleutel_maakt_een_sleutel_die_serve_en_worker_gebruiken(
    cli: Any, rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bestand = tmp_path / "audit.key"
    uit = cli("audit", "sleutel", "--nieuw", str(bestand), "--naam", "knooppunt.example.nl/audit")
    assert uit.exit_code == 0, uit.output
    publiek = uit.stdout.strip()
    assert publiek.startswith("knooppunt.example.nl/audit+")
    assert bestand.stat().st_mode & 0o777 == 0o600
    assert cli("audit", "sleutel", "--nieuw", str(bestand), "--naam", "x").exit_code == 1  # never overwrites
    monkeypatch.setenv("KNOOPPUNT_AUDIT_SLEUTEL_FILE", str(bestand))
    assert cli("audit", "sleutel").stdout.strip() == publiek
    _vul(rt, 2)
    assert json.loads(cli("worker", "--once").stdout)["audit_gesequenceerd"]["gesequenceerd"] == 2
    assert cli("audit", "verify", "--sleutel", publiek).exit_code == 0
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 1  # the development key


def test_productie_draait_geen_sequencer_zonder_auditsleutel(tmp_path: Path) -> None:
    """Production refuses serve (with jobs) and worker without the signing key (they load it at
    start through this function); development makes one in the data dir."""
    from knooppunt.config import Settings, SettingsError
    from knooppunt.runtime import laad_audit_sleutel

    productie = {
        "env": "production",
        "database_url": "postgresql://x@localhost/x",
        "trust_anchors": [tmp_path],
    }
    with pytest.raises(SettingsError, match="KNOOPPUNT_AUDIT_SLEUTEL_FILE is verplicht in productie"):
        laad_audit_sleutel(Settings(**productie))  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="niet te lezen"):
        laad_audit_sleutel(Settings(**productie, audit_sleutel_file=tmp_path / "bestaat-niet"))  # type: ignore[arg-type]
    ontwikkel = laad_audit_sleutel(Settings(data_dir=tmp_path))
    assert (tmp_path / "audit-sleutel").stat().st_mode & 0o777 == 0o600
    assert laad_audit_sleutel(Settings(data_dir=tmp_path)) == ontwikkel  # the same key every time


def test_deelnemers_halen_het_nieuwste_checkpoint_op(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente = cast["gemeente"]
    with transactie(rt.sessions) as session:
        session.execute(text("DELETE FROM auditregels"))  # nothing sequenced yet
    r = client_voor(gemeente).get("/audit/checkpoint")
    assert (r.status_code, r.json()["code"]) == (404, "GEEN_CHECKPOINT")
    _vul(rt, 3)
    _sequence(rt)
    r = client_voor(gemeente).get("/audit/checkpoint")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    from knooppunt.hub.notitie import lees_checkpoint

    checkpoint = lees_checkpoint(r.text, rt.ondertekenaar().publiek)
    assert checkpoint.grootte == 3
    assert client_voor(None).get("/audit/checkpoint").status_code == 401


def test_het_checkpoint_draagt_de_hash_van_de_portaalcode(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, cli: Any
) -> None:
    """DESIGN §5 "The code": the bundle's hash is published in the docs and in the audit checkpoints,
    so a changed bundle is visible to every participant that fetches one."""
    from knooppunt.hub.notitie import lees_checkpoint
    from knooppunt.portaal import bundel

    _vul(rt, 2)
    assert _sequence(rt, extensies=rt.checkpointextensies()) >= 2  # the cast's registrations too
    r = client_voor(cast["gemeente"]).get("/audit/checkpoint")
    checkpoint = lees_checkpoint(r.text, rt.ondertekenaar().publiek)
    sha = hashlib.sha256(bundel.BUNDEL.read_bytes()).hexdigest()
    assert checkpoint.extensies == (f"knooppunt-portaal-bundel sha256:{sha}",)
    # Another bundle served later shows up in `audit verify`: each change with the tree size of the
    # first signed head that names it.
    ander = "knooppunt-portaal-bundel sha256:" + "0" * 64
    _vul(rt, 2)
    assert _sequence(rt, extensies=(ander,)) == 2
    uit = cli("audit", "verify", "--sleutel", _publiek(rt), "--json")
    assert uit.exit_code == 0, uit.output
    verslag = json.loads(uit.stdout)
    assert [b["bundel"] for b in verslag["portaalcode"]] == [f"sha256:{sha}", "sha256:" + "0" * 64]
    assert verslag["portaalcode"][1]["vanafBoomgrootte"] == verslag["boomgrootte"]
    tekst = cli("audit", "verify", "--sleutel", _publiek(rt)).stdout
    assert f"portaalcode sha256:{sha} vanaf boomgrootte" in tekst
    # Without the portal there is no bundle to name.
    zonder = dataclasses.replace(rt, settings=rt.settings.model_copy(update={"portaal_actief": False}))
    assert zonder.checkpointextensies() == ()


# --- retention ----------------------------------------------------------------------------------


def test_worker_schoont_oude_regels_op_en_de_rest_blijft_verifieerbaar(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    nu = datetime.now(UTC)
    _vul(rt, 5, tijd=nu - timedelta(days=2600))  # past the default 2557 days
    _sequence(rt)
    _vul(rt, 3, tijd=nu - timedelta(days=10))
    _sequence(rt)
    bestand = tmp_path / "checkpoint.txt"
    bestand.write_text(cli("audit", "checkpoint").stdout)

    uit = cli("worker", "--once")
    assert uit.exit_code == 0, uit.output
    resultaat = json.loads(uit.stdout)
    assert resultaat["audit_opgeschoond"] == 5
    assert resultaat["audit_gesequenceerd"]["gesequenceerd"] == 1  # the purge's own entry
    regels = sorted(_regels(rt), key=lambda r: r.volgnummer or 0)
    assert [r.volgnummer for r in regels] == [6, 7, 8, 9]
    assert (regels[-1].actie, regels[-1].actor, regels[-1].uitkomst) == (
        "audit_opgeschoond",
        "KNOOPPUNT",
        "t/m 5",
    )
    with rt.sessions() as session:
        anker = session.get(Auditanker, 1)
        assert anker is not None and anker.volgnummer == 5
    verify = cli("audit", "verify", "--sleutel", _publiek(rt), "--checkpoint", str(bestand))
    assert verify.exit_code == 0, verify.output
    assert "volgnummer 6 t/m 9" in verify.output and "opgeschoond t/m 5" in verify.output
    # Idempotent: nothing more is due.
    assert json.loads(cli("worker", "--once").stdout)["audit_opgeschoond"] == 0

    # Tampering right after the anchor is still found.
    _sql(rt, "UPDATE auditregels SET ontvanger = '00000003567890120000', hash = NULL WHERE volgnummer = 6")
    uit = cli("audit", "verify", "--sleutel", _publiek(rt))
    assert (
        uit.exit_code == 1 and "volgnummer 6: gewijzigd" in uit.stdout and "volgnummer 8: boom" in uit.stdout
    )


def test_opschonen_in_batches_houdt_de_boom_verifieerbaar(rt: Runtime, cli: Any) -> None:
    termijn = timedelta(days=2557)
    oud = datetime.now(UTC) - timedelta(days=3000)
    for _ in range(3):  # three runs: heads at 3, 6, 9
        _vul(rt, 3, tijd=oud)
        _sequence(rt)
    with rt.sessions() as session:
        nu = db_nu(session)
    assert audit_job.schoon_op(rt.sessions, nu=nu, bewaartermijn=termijn, batch=2) == 9
    _sequence(rt)
    # Each batch its own transaction with its own audit_opgeschoond entry; the anchor moved along.
    regels = sorted(_regels(rt), key=lambda r: r.volgnummer or 0)
    assert [(r.volgnummer, r.actie) for r in regels] == [(n, "audit_opgeschoond") for n in range(10, 15)]
    with rt.sessions() as session:
        assert list(session.scalars(select(Auditkop.grootte).order_by(Auditkop.grootte))) == [9, 14]
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 0


def test_opschonen_weigert_regels_die_niet_bij_de_ondertekende_boom_passen(rt: Runtime, cli: Any) -> None:
    """A purge would destroy the evidence of tampering: it refuses, and verify still sees it."""
    _vul(rt, 4, tijd=datetime.now(UTC) - timedelta(days=3000))
    _sequence(rt)
    with transactie(rt.sessions) as session:
        regel = session.scalars(select(Auditregel).where(Auditregel.volgnummer == 2)).one()
        regel.ontvanger = "00000003567890120000"
        regel.hash = sequencer.blad(regel.__dict__).hex()
    with rt.sessions() as session:
        nu = db_nu(session)
    with pytest.raises(audit.OpschonenGeweigerd, match="ondertekende wortel"):
        audit_job.schoon_op(rt.sessions, nu=nu, bewaartermijn=timedelta(days=2557))
    assert _volgnummers(rt) == [1, 2, 3, 4]
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 1


def test_bewaartermijn_is_configureerbaar(cli: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    _vul(rt, 3, tijd=datetime.now(UTC) - timedelta(days=40))
    _vul(rt, 1)
    _sequence(rt)
    assert json.loads(cli("worker", "--once").stdout)["audit_opgeschoond"] == 0
    monkeypatch.setenv("KNOOPPUNT_AUDIT_BEWAARTERMIJN_DAGEN", "30")
    assert json.loads(cli("worker", "--once").stdout)["audit_opgeschoond"] == 3
    assert cli("audit", "verify", "--sleutel", _publiek(rt)).exit_code == 0


# --- migration 0011: the hash chain becomes the tree -----------------------------------------------


@pytest.fixture(params=DATABASES)
def lege_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A database of its own, not yet migrated."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oud.sqlite3'}"
        return
    beheer = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
    naam = f"knooppunt_migratie_{uuid.uuid4().hex[:10]}"
    with beheer.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{naam}"'))
    yield make_url(_psycopg(PG_URL)).set(database=naam).render_as_string(hide_password=False)
    with beheer.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
    beheer.dispose()


def test_migratie_nummert_de_bestaande_keten_in_haar_volgorde(
    lege_database: str, tmp_path: Path, pki_dir: Path
) -> None:
    from alembic import command

    from knooppunt import runtime as runtime_mod
    from knooppunt.store import migrate
    from knooppunt.store.db import maak_engine

    engine = maak_engine(lege_database)
    config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010_upload_geheim")
    # The old hash chain: volgnummer order is the chain's order, tijd goes backwards on purpose.
    with engine.begin() as conn:
        for nr, minuten in ((1, 30), (2, 10), (3, 20)):
            conn.execute(
                text(
                    "INSERT INTO auditregels (volgnummer, tijd, actor, actie, vorige_hash, hash) "
                    "VALUES (:nr, :tijd, 'beheer:oud', 'ingelogd', :vorige, :hash)"
                ),
                {
                    "nr": nr,
                    "tijd": datetime(2026, 11, 1, 12, minuten, tzinfo=UTC),
                    "vorige": str(nr - 1) * 64,
                    "hash": str(nr) * 64,
                },
            )
    engine.dispose()

    rt = runtime_mod.bouw(maak_settings(lege_database, tmp_path / "data", pki_dir))  # upgrades to head
    try:
        _vul(rt, 1)  # a new entry after the migration gets the next id
        assert _sequence(rt) == 5
        regels = sorted(_regels(rt), key=lambda r: r.volgnummer or 0)
        assert [(r.volgnummer, r.id, r.actie) for r in regels] == [
            (1, 1, "ingelogd"),
            (2, 2, "ingelogd"),
            (3, 3, "ingelogd"),
            (4, 4, "audit_omgezet"),
            (5, 5, "verstuurd"),
        ]
        assert [r.tijd.minute for r in regels[:3]] == [30, 10, 20]
        assert regels[3].uitkomst == "3" * 64  # the old chain's head, bound into the tree
        assert audit.controleer(rt.engine, sleutel=rt.ondertekenaar().publiek).intact
    finally:
        rt.close()


# --- listing (`knooppunt audit lijst`) -------------------------------------------------------------


def test_audit_lijst_toont_regels_zoals_opgeslagen_nieuwste_laatst(rt: Runtime, cli: Any) -> None:
    """docs/operations.md "Audit log": `knooppunt audit lijst [--vanaf ISO] [--tot ISO] [--actie A]
    [--limit N] [--json]` — metadata only, as stored, newest last; an entry still waiting for the
    sequencer has no volgnummer yet."""
    dag = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with transactie(rt.sessions) as session:
        audit.ingelogd(
            session, wie="portaal:dev:Anna", oin="00000003123456780000", hoe="ontwikkeling", nu=dag
        )
        audit.deelnemer_gewijzigd(
            session,
            oin="00000003123456780000",
            wat="modules",
            door="beheer:root",
            nu=dag + timedelta(hours=1),
        )
        audit.uitgelogd(
            session,
            wie="portaal:dev:Anna",
            oin="00000003123456780000",
            hoe="uitgelogd",
            nu=dag + timedelta(hours=2),
        )
    _sequence(rt)
    _vul(rt, 2, tijd=dag + timedelta(days=1))  # not sequenced

    uit = cli("audit", "lijst", "--json")
    assert uit.exit_code == 0, uit.output
    regels = [json.loads(r) for r in uit.stdout.splitlines()]
    assert [r["actie"] for r in regels] == [
        "ingelogd",
        "deelnemer_gewijzigd",
        "uitgelogd",
        "verstuurd",
        "verstuurd",
    ]
    eerste = regels[0]
    assert eerste["tijd"] == "2026-11-30T09:00:00.000000Z" and eerste["actor"] == "portaal:dev:Anna"
    assert (eerste["deelnemer"], eerste["uitkomst"]) == ("00000003123456780000", "ontwikkeling")
    assert isinstance(eerste["volgnummer"], int) and len(eerste["hash"]) == 64
    assert regels[-1]["volgnummer"] is None and regels[-1]["hash"] is None
    assert set(eerste) == {"volgnummer", "hash", *audit_store.VELDEN}

    # --actie, --vanaf/--tot (without an offset: Europe/Amsterdam, so 10:00 there is 09:00 UTC), --limit.
    alleen = cli("audit", "lijst", "--actie", "deelnemer_gewijzigd", "--json")
    assert [json.loads(r)["uitkomst"] for r in alleen.stdout.splitlines()] == ["modules"]
    venster = cli(
        "audit", "lijst", "--vanaf", "2026-11-30T10:00", "--tot", "2026-11-30T11:30:00+01:00", "--json"
    )
    assert [json.loads(r)["actie"] for r in venster.stdout.splitlines()] == [
        "ingelogd",
        "deelnemer_gewijzigd",
    ]
    laatste = cli("audit", "lijst", "--limit", "2", "--json")
    assert [json.loads(r)["actie"] for r in laatste.stdout.splitlines()] == ["verstuurd", "verstuurd"]

    # Without --json: a line per entry, tab-separated, the empty fields left out.
    tekst = cli("audit", "lijst", "--actie", "ingelogd")
    [regel] = tekst.stdout.splitlines()
    nummer, tijd, actie, velden = regel.split("\t")
    assert (nummer, tijd, actie) == (str(eerste["volgnummer"]), eerste["tijd"], "ingelogd")
    assert velden == "actor=portaal:dev:Anna deelnemer=00000003123456780000 uitkomst=ontwikkeling"

    # Refusals say what to do; an empty result is not an error.
    fout = cli("audit", "lijst", "--actie", "ingelogt")
    assert fout.exit_code == 2 and "kies uit" in fout.output and "ingelogd" in fout.output
    fout = cli("audit", "lijst", "--vanaf", "gisteren")
    assert fout.exit_code == 2 and "geen ISO 8601-moment" in fout.output
    leeg = cli("audit", "lijst", "--vanaf", "2030-01-01")
    assert leeg.exit_code == 0 and leeg.stdout == "" and "geen auditregels" in leeg.stderr
