"""An independent audit of DESIGN.md §6 "Lifecycle and deadlines" (with the notifications) and §8
"Operating it", written from DESIGN.md and the operator docs only, as an outside tester would: what
the other audits (`test_contract_api.py`, `test_contract_regels.py`, `test_contract_cli.py`) leave
out or check less strictly. The hub runs as a real `knooppunt serve` over mutual TLS where the
statement is about serving; the jobs run as real `knooppunt worker --once --now` processes; mail goes
to a real SMTP server and webhooks to a real HTTP receiver. A message is put at a chosen moment of
the past through the hub's own submit and confirm (`mailbox.verstuur`/`bevestig` with `nu=`), since
all times come from the database clock; everything is then read on the wire. Each test's docstring
quotes the sentences it checks."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as kloktijd
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url

from knooppunt.hub import mailbox
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht, Certificaat
from tests.factories import Partij, envelop
from tests.functional.server import ssl_context, start_hub, vrije_poort
from tests.integration.modulepad import meedoen
from tests.ontvangers import SmtpOntvanger, WebhookOntvanger

AMS = ZoneInfo("Europe/Amsterdam")
KNOOPPUNT = "KNOOPPUNT"


def _ams(*deel: int) -> datetime:
    return datetime(*deel, tzinfo=AMS)  # type: ignore[misc,arg-type]


def _moment(waarde: str) -> datetime:
    moment = datetime.fromisoformat(waarde)
    assert moment.tzinfo is not None, f"{waarde!r}: a moment on the wire carries its offset"
    return moment


# --- an independent working-day calendar (DESIGN §6), the oracle for terms counted from "now" -----


def _pasen(jaar: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = jaar % 19, jaar // 100, jaar % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    return date(jaar, (h + ll - 7 * m + 114) // 31, (h + ll - 7 * m + 114) % 31 + 1)


def _feestdagen(jaar: int) -> set[date]:
    """Nieuwjaarsdag, Goede Vrijdag, Tweede Paasdag, Koningsdag, 5 mei, Hemelvaartsdag, Tweede
    Pinksterdag, both Christmas days."""
    pasen = _pasen(jaar)
    koningsdag = date(jaar, 4, 27) if date(jaar, 4, 27).weekday() != 6 else date(jaar, 4, 26)
    return {
        date(jaar, 1, 1),
        pasen - timedelta(days=2),
        pasen + timedelta(days=1),
        koningsdag,
        date(jaar, 5, 5),
        pasen + timedelta(days=39),
        pasen + timedelta(days=50),
        date(jaar, 12, 25),
        date(jaar, 12, 26),
    }


def _werkdag(dag: date, gesloten: frozenset[date] = frozenset()) -> bool:
    return dag.weekday() < 5 and dag not in _feestdagen(dag.year) and dag not in gesloten


def _werkdagen_na(dag: date, aantal: int, gesloten: frozenset[date] = frozenset()) -> list[date]:
    """The first `aantal` working days after `dag`."""
    gevonden: list[date] = []
    while len(gevonden) < aantal:
        dag += timedelta(days=1)
        if _werkdag(dag, gesloten):
            gevonden.append(dag)
    return gevonden


def _einde_termijn(
    gebeurtenis: datetime, werkdagen: int, gesloten: frozenset[date] = frozenset()
) -> datetime:
    """ "a term is counted from the day after the event, and ends at the end (23:59:59 local time) of
    its last working day" (Europe/Amsterdam)."""
    laatste = _werkdagen_na(gebeurtenis.astimezone(AMS).date(), werkdagen, gesloten)[-1]
    return datetime.combine(laatste, kloktijd(23, 59, 59), tzinfo=AMS)


# --- the hub at a chosen moment, the worker, the CLI ----------------------------------------------


@pytest.fixture
def wie(rt: Runtime, pki: dict[str, Partij]) -> dict[str, Partij]:
    """The cast in the roles and modules of every module, their certificates valid since 2025 (the
    development certificates are made when the test session starts; a message of 2025 needs them)."""
    partijen = meedoen(rt, pki)
    with transactie(rt.sessions) as session:
        session.execute(update(Certificaat).values(geldig_vanaf=_ams(2025, 1, 1)))
    return partijen


def _stuur_op(
    rt: Runtime,
    van: Partij,
    aan: Partij,
    berichttype: str,
    nu: datetime,
    *,
    versie: str = "1.0",
    module: str = "schuldregeling",
    conversatie: str | None = None,
    antwoord_op: str | None = None,
) -> dict[str, Any]:
    """Submit through the hub's own entry point at moment `nu` (its clock is the database's)."""
    env = envelop(
        van, aan, berichttype, conversatie=conversatie, antwoord_op=antwoord_op, module=module, versie=versie
    )
    with transactie(rt.sessions) as session:
        afzender = deelnemer_store.haal(session, van.oin)
        assert afzender is not None
        _, nieuw = mailbox.verstuur(
            session,
            afzender,
            mailbox.Envelop(
                referentienummer=env["referentienummer"],
                conversatie_referentienummer=env["conversatieReferentienummer"],
                cross_referentienummer=env["crossReferentienummer"],
                berichttype=berichttype,
                module=module,
                versie=versie,
                ontvanger=aan.oin,
                inhoud=env["inhoud"],
            ),
            nu=nu,
            instellingen=rt.instellingen,
        )
        assert nieuw
    return env


def _bevestig_op(rt: Runtime, aan: Partij, referentienummer: str, nu: datetime) -> None:
    with transactie(rt.sessions) as session:
        ontvanger = deelnemer_store.haal(session, aan.oin)
        assert ontvanger is not None
        assert mailbox.bevestig(
            session, ontvanger, referentienummer, nu=nu, instellingen=rt.instellingen
        ).nieuw


def _omgeving(database_url: str, data_dir: Path, pki_dir: Path, **extra: str) -> dict[str, str]:
    schoon = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
    return schoon | {
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        **extra,
    }


def _knooppunt(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knooppunt", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _worker_proces(moment: datetime, env: Mapping[str, str]) -> dict[str, Any]:
    """`knooppunt worker --once --now MOMENT` as a process: it must exit by itself, 0, printing what it
    did as JSON."""
    r = _knooppunt("worker", "--once", "--now", moment.isoformat(), env=env)
    assert r.returncode == 0, r.stderr
    uitkomst: dict[str, Any] = json.loads(r.stdout)
    return uitkomst


def _worker(cli: Any, moment: datetime) -> dict[str, Any]:
    """The same command through the `cli` fixture (in this process, on this test's database and
    day-key store): a process start saved where only the run's effect matters."""
    r = cli("worker", "--once", "--now", moment.isoformat())
    assert r.exit_code == 0, r.output
    uitkomst: dict[str, Any] = json.loads(r.stdout)
    return uitkomst


def _getallen(waarde: Any) -> list[float]:
    """Every count in a worker's result (its clock left out)."""
    if isinstance(waarde, dict):
        return [g for k, v in waarde.items() if k != "nu" for g in _getallen(v)]
    if isinstance(waarde, bool) or not isinstance(waarde, int | float):
        return []
    return [waarde]


def _json(r: httpx.Response | Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _per_nummer(berichten: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["referentienummer"]: b for b in berichten}


# --- §6: the states as seen on the wire -------------------------------------------------------------


def test_par_6_een_bericht_doorloopt_de_toestanden_zichtbaar_voor_beide_kanten(
    wie: dict[str, Partij], client_voor: Any
) -> None:
    """§6: "`aangeboden` → (`opgehaald`) → `bevestigd` → `beantwoord`"; "an answer referencing it sets
    `beantwoord`"; the answer term "(5 working days in 1.0 …) from `bevestigdOp`". §4: the hub adds
    "`ontvangenOp`, `verlooptOp`, `opgehaaldOp`, `bevestigdOp`, `antwoordUiterlijk`, `status`";
    `/verzonden` gives the status "with `verlooptOp`, `antwoordUiterlijk`, `teLaat`"; the
    conversation is the "metadata timeline of the messages the caller sent or received in it" — so one
    question, followed step by step in every view of both parties."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv, se = client_voor(gemeente), client_voor(energie)
    vraag = envelop(gemeente, energie, "saldoverzoek", versie="1.0")
    nummer, conversatie = vraag["referentienummer"], vraag["conversatieReferentienummer"]

    def zichten(*, ook_het_bericht: bool = True) -> dict[str, dict[str, Any]]:
        gezien = {
            "verzonden": _per_nummer(_json(shv.get("/verzonden"))["berichten"])[nummer],
            "tijdlijn (afzender)": _per_nummer(_json(shv.get(f"/conversaties/{conversatie}"))["berichten"])[
                nummer
            ],
            "tijdlijn (ontvanger)": _per_nummer(_json(se.get(f"/conversaties/{conversatie}"))["berichten"])[
                nummer
            ],
        }
        for waar, b in gezien.items():  # metadata only
            assert b.get("inhoud") is None, waar
        if ook_het_bericht:
            gezien["bericht (ontvanger)"] = _json(se.get(f"/berichten/{nummer}"))
        return gezien

    def status_overal(verwacht: str, *, ook_het_bericht: bool = True) -> dict[str, dict[str, Any]]:
        gezien = zichten(ook_het_bericht=ook_het_bericht)
        assert {waar: b["status"] for waar, b in gezien.items()} == dict.fromkeys(gezien, verwacht)
        for waar, b in gezien.items():
            assert b["teLaat"] is False, waar
        return gezien

    aangeboden = _json(shv.post("/berichten", json=vraag), 201)
    assert aangeboden["status"] == "aangeboden"
    ontvangen = _moment(aangeboden["ontvangenOp"])
    assert _moment(aangeboden["verlooptOp"]) == _einde_termijn(ontvangen, 5)
    assert aangeboden["opgehaaldOp"] is None and aangeboden["bevestigdOp"] is None
    assert aangeboden["antwoordUiterlijk"] is None
    [rij] = _json(shv.get("/verzonden", params={"status": "aangeboden"}))["berichten"]
    assert rij["referentienummer"] == nummer
    status_overal("aangeboden", ook_het_bericht=False)  # the recipient's own GET would fetch it

    # Fetching the inbox marks it opgehaald (the recipient's own GET of it does that too, so the
    # views are read after the inbox).
    [in_inbox] = _json(se.get("/berichten"))["berichten"]
    assert in_inbox["referentienummer"] == nummer and in_inbox["inhoud"] == vraag["inhoud"]
    gezien = status_overal("opgehaald")
    opgehaald = _moment(gezien["verzonden"]["opgehaaldOp"])
    assert ontvangen <= opgehaald
    assert gezien["verzonden"]["antwoordUiterlijk"] is None

    bevestiging = _json(se.post(f"/berichten/{nummer}/bevestiging"))
    assert bevestiging["status"] == "bevestigd"
    gezien = status_overal("bevestigd")
    bevestigd = _moment(gezien["verzonden"]["bevestigdOp"])
    assert opgehaald <= bevestigd
    for waar, b in gezien.items():
        assert _moment(b["antwoordUiterlijk"]) == _einde_termijn(bevestigd, 5), waar
        assert _moment(b["verlooptOp"]) == _einde_termijn(ontvangen, 5), waar
        assert _moment(b["bevestigdOp"]) == bevestigd, waar

    antwoord = envelop(
        energie, gemeente, "saldoverzoek_antwoord", conversatie=conversatie, antwoord_op=nummer
    )
    _json(se.post("/berichten", json=antwoord), 201)
    gezien = status_overal("beantwoord")
    for waar, b in gezien.items():
        assert _moment(b["beantwoordOp"]) >= bevestigd, waar
        assert _moment(b["antwoordUiterlijk"]) == _einde_termijn(bevestigd, 5), waar
    [rij] = _json(shv.get("/verzonden", params={"status": "beantwoord"}))["berichten"]
    assert rij["referentienummer"] == nummer
    assert _json(shv.get("/verzonden", params={"status": "bevestigd"}))["berichten"] == []


def test_par_6_te_laat_zien_beide_kanten_in_elk_overzicht(
    rt: Runtime, wie: dict[str, Partij], client_voor: Any
) -> None:
    """§6: "past the deadline `teLaat` is true and both sides see it" — the sender in `/verzonden` and
    its timeline, the recipient in the message itself and its timeline; an answer before the deadline
    keeps it false, one after it does not make the question timely. A question confirmed on Tuesday
    24 November 2026 has until the end of Tuesday 1 December (5 working days, 1.0)."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv, se = client_voor(gemeente), client_voor(energie)
    conversatie = str(uuid.uuid4())
    vragen = {
        naam: _stuur_op(
            rt, gemeente, energie, "saldoverzoek", _ams(2026, 11, 20, 16, 0), conversatie=conversatie
        )
        for naam in ("open", "op tijd", "te laat")
    }
    for vraag in vragen.values():
        _bevestig_op(rt, energie, vraag["referentienummer"], _ams(2026, 11, 24, 11, 0))
    uiterlijk = _ams(2026, 12, 1, 23, 59, 59)
    for naam, moment in (("op tijd", uiterlijk), ("te laat", uiterlijk + timedelta(seconds=1))):
        _stuur_op(
            rt,
            energie,
            gemeente,
            "saldoverzoek_antwoord",
            moment,
            conversatie=conversatie,
            antwoord_op=vragen[naam]["referentienummer"],
        )

    verzonden = _per_nummer(_json(shv.get("/verzonden"))["berichten"])
    tijdlijn_shv = _per_nummer(_json(shv.get(f"/conversaties/{conversatie}"))["berichten"])
    tijdlijn_se = _per_nummer(_json(se.get(f"/conversaties/{conversatie}"))["berichten"])
    verwacht = {
        "open": (True, "bevestigd"),
        "op tijd": (False, "beantwoord"),
        "te laat": (True, "beantwoord"),
    }
    for naam, vraag in vragen.items():
        nummer = vraag["referentienummer"]
        zichten = {
            "verzonden": verzonden[nummer],
            "tijdlijn (afzender)": tijdlijn_shv[nummer],
            "bericht (ontvanger)": _json(se.get(f"/berichten/{nummer}")),
            "tijdlijn (ontvanger)": tijdlijn_se[nummer],
        }
        for waar, b in zichten.items():
            assert (b["teLaat"], b["status"]) == verwacht[naam], (naam, waar, b)
            assert _moment(b["antwoordUiterlijk"]) == uiterlijk, (naam, waar)


def test_par_6_de_termijnmarkering_van_de_worker_zet_te_laat_ook_bij_een_proefdraai(
    wie: dict[str, Partij], client_voor: Any, cli: Any
) -> None:
    """§6: the jobs include "deadline marks"; "past the deadline `teLaat` is true and both sides see
    it"; "`knooppunt worker --once` runs every due job once …; with `KNOOPPUNT_ENV=development`,
    `--now ISO-8601` sets its clock (tests, dry runs)". A question confirmed now, the worker run just
    after its antwoordUiterlijk: both sides see teLaat in every view — and not when the worker ran just
    before it. An answer after that does not make it timely."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv, se = client_voor(gemeente), client_voor(energie)
    vraag = envelop(gemeente, energie, "saldoverzoek", versie="1.0")
    nummer, conversatie = vraag["referentienummer"], vraag["conversatieReferentienummer"]
    _json(shv.post("/berichten", json=vraag), 201)
    bevestigd = _json(se.post(f"/berichten/{nummer}/bevestiging"))
    uiterlijk = _moment(bevestigd["antwoordUiterlijk"])

    def zichten() -> dict[str, dict[str, Any]]:
        return {
            "verzonden": _per_nummer(_json(shv.get("/verzonden"))["berichten"])[nummer],
            "tijdlijn (afzender)": _per_nummer(_json(shv.get(f"/conversaties/{conversatie}"))["berichten"])[
                nummer
            ],
            "bericht (ontvanger)": _json(se.get(f"/berichten/{nummer}")),
            "tijdlijn (ontvanger)": _per_nummer(_json(se.get(f"/conversaties/{conversatie}"))["berichten"])[
                nummer
            ],
        }

    assert _worker(cli, uiterlijk - timedelta(seconds=1))["termijnen_gemarkeerd"] == 0
    assert {waar: b["teLaat"] for waar, b in zichten().items()} == dict.fromkeys(zichten(), False)
    assert _worker(cli, uiterlijk + timedelta(seconds=1))["termijnen_gemarkeerd"] == 1
    assert _worker(cli, uiterlijk + timedelta(seconds=2))["termijnen_gemarkeerd"] == 0  # idempotent
    for waar, b in zichten().items():
        assert (b["teLaat"], b["status"]) == (True, "bevestigd"), (waar, b)
    antwoord = envelop(
        energie, gemeente, "saldoverzoek_antwoord", versie="1.0", conversatie=conversatie, antwoord_op=nummer
    )
    _json(se.post("/berichten", json=antwoord), 201)
    for waar, b in zichten().items():
        assert (b["teLaat"], b["status"]) == (True, "beantwoord"), (waar, b)


# --- §6: the bevestigingstermijn, to the second, with the standalone worker --------------------------


def test_par_6_uitgewerkt_voorbeeld_verlopen_foutbericht_opnieuw_aanbieden_en_stille_hubberichten(
    rt: Runtime,
    wie: dict[str, Partij],
    client_voor: Any,
    cli: Any,
    database_url: str,
    tmp_path: Path,
    pki_dir: Path,
) -> None:
    """§6: "a message offered on Monday 23 November 2026 must be confirmed by the end of Monday 30
    November" — still open at 23:59:59 Europe/Amsterdam, expired at 00:00:00; "not confirmed within 5
    working days of `ontvangenOp` → content deleted, status `verlopen`, a `foutbericht` with code
    `VERLOPEN` to the sender (it may resend under a new number)"; "Hub-authored messages expire like
    others, silently"; "`knooppunt worker --once` runs every due job once and exits" and "every job is
    idempotent" (the same run again does nothing). §3/§4: the foutbericht is `KNOOPPUNT → any`, in the
    expired message's conversation, module and version, naming it, with a `melding` (`code`,
    `omschrijving`, referenced numbers) instead of `inhoud`; confirming an expired message is 410
    `VERLOPEN`."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv, se = client_voor(gemeente), client_voor(energie)
    env = _omgeving(database_url, tmp_path / "data", pki_dir)  # the runtime's day-key store
    vraag = _stuur_op(rt, gemeente, energie, "saldoverzoek_nuts", _ams(2026, 11, 23, 9, 30))
    nummer = vraag["referentienummer"]
    # Confirmed Tuesday 24 November: its receipt to the debt counsellor, never confirmed, expires at
    # the end of Tuesday 1 December.
    bevestigd = _stuur_op(rt, gemeente, energie, "kennisgeving", _ams(2026, 11, 23, 9, 30))
    _bevestig_op(rt, energie, bevestigd["referentienummer"], _ams(2026, 11, 24, 10, 0))

    [rij] = [b for b in _json(shv.get("/verzonden"))["berichten"] if b["referentienummer"] == nummer]
    assert _moment(rij["verlooptOp"]) == _ams(2026, 11, 30, 23, 59, 59)

    assert _worker(cli, _ams(2026, 11, 30, 23, 59, 59))["verlopen"] == 0
    eerste = _worker_proces(_ams(2026, 12, 1, 0, 0, 0), env)
    assert eerste["verlopen"] == 1
    nogmaals = _worker(cli, _ams(2026, 12, 1, 0, 0, 0))
    assert _getallen(nogmaals) and not any(_getallen(nogmaals)), nogmaals

    rij = _per_nummer(_json(shv.get("/verzonden"))["berichten"])[nummer]
    assert rij["status"] == "verlopen"
    assert (
        _per_nummer(_json(shv.get(f"/conversaties/{vraag['conversatieReferentienummer']}"))["berichten"])[
            nummer
        ]["status"]
        == "verlopen"
    )
    # Read where it stays visible whatever day this test runs (the inbox holds it only for its own
    # bevestigingstermijn, which began on 1 December 2026): the sender's logboek.
    periode = {"vanaf": "2026-11-01", "tot": "2027-01-01"}
    logboek = _json(shv.get("/logboek", params=periode))["berichten"]
    [foutbericht] = [b for b in logboek if b["berichttype"] == "foutbericht"]
    assert (foutbericht["afzender"], foutbericht["ontvanger"]) == (KNOOPPUNT, gemeente.oin)
    assert foutbericht["crossReferentienummer"] == nummer
    assert foutbericht["conversatieReferentienummer"] == vraag["conversatieReferentienummer"]
    assert (foutbericht["module"], foutbericht["versie"]) == ("schuldregeling", "1.0")
    assert foutbericht["inhoud"] is None
    assert foutbericht["melding"]["code"] == "VERLOPEN" and foutbericht["melding"]["omschrijving"]
    assert nummer in json.dumps(foutbericht["melding"])
    # A hub message has a bevestigingstermijn of its own, counted from when the hub wrote it.
    assert _moment(foutbericht["verlooptOp"]) == _einde_termijn(_moment(foutbericht["ontvangenOp"]), 5)

    # Content deleted: not in the recipient's inbox, not readable, confirming it is 410 VERLOPEN.
    assert nummer not in _per_nummer(_json(se.get("/berichten"))["berichten"])
    los = se.get(f"/berichten/{nummer}")
    assert los.status_code in (200, 404, 410), los.text
    if los.status_code == 200:
        assert los.json()["status"] == "verlopen" and los.json().get("inhoud") is None
    geweigerd = se.post(f"/berichten/{nummer}/bevestiging")
    assert (geweigerd.status_code, geweigerd.json()["code"]) == (410, "VERLOPEN")

    # The hub's own messages expire at their term too — the receipt (end of 1 December) and the
    # foutbericht (5 working days after 1 December) — and nobody is told: no foutbericht about them.
    stil = _worker(cli, _einde_termijn(_moment(foutbericht["ontvangenOp"]), 5) + timedelta(seconds=1))
    assert stil["verlopen"] == 2
    assert _json(shv.get("/berichten"))["berichten"] == []
    assert _json(se.get("/berichten"))["berichten"] == []
    logboek = _json(shv.get("/logboek", params=periode))["berichten"]
    hubberichten = {b["referentienummer"]: b for b in logboek if b["afzender"] == KNOOPPUNT}
    assert sorted(b["berichttype"] for b in hubberichten.values()) == ["foutbericht", "ontvangstbevestiging"]
    assert {b["status"] for b in hubberichten.values()} == {"verlopen"}
    alles_se = _json(se.get("/logboek", params=periode))["berichten"]
    assert not [b for b in alles_se if b["afzender"] == KNOOPPUNT]

    # The same number again is a retry of the original (§4: 200, the original result), not a resend:
    # nothing is offered to the creditor.
    herhaald = shv.post("/berichten", json=vraag)
    assert herhaald.status_code == 200, herhaald.text
    assert herhaald.json()["referentienummer"] == nummer
    assert _json(se.get("/berichten"))["berichten"] == []
    # "it may resend under a new number": accepted and offered afresh.
    opnieuw = envelop(
        gemeente, energie, "saldoverzoek_nuts", conversatie=vraag["conversatieReferentienummer"]
    )
    aangeboden = _json(shv.post("/berichten", json=opnieuw), 201)
    assert aangeboden["status"] == "aangeboden"
    [in_inbox] = _json(se.get("/berichten"))["berichten"]
    assert in_inbox["referentienummer"] == opnieuw["referentienummer"]
    assert in_inbox["inhoud"] == opnieuw["inhoud"]


def test_par_6_na_de_termijn_bevestigen_is_410_ook_voor_de_veegronde_en_de_afzender_hoort_het_een_keer(
    rt: Runtime, wie: dict[str, Partij], client_voor: Any, cli: Any
) -> None:
    """§6: "not confirmed within 5 working days of `ontvangenOp` → content deleted, status `verlopen`,
    a `foutbericht` with code `VERLOPEN` to the sender"; §4: "`VERLOPEN` (410 when confirming an
    expired message)" and "confirm and expire are conditional updates, so a message is never both
    confirmed and expired" — a confirmation after the end of the term, alone or in
    `/bevestigingen`, is refused even before the expiry job has run (the jobs run now and then), no
    refusal is accepted for it either, and the sender hears of the expiry exactly once, whether the
    confirmation or the job noticed it first."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv, se = client_voor(gemeente), client_voor(energie)
    vraag = _stuur_op(rt, gemeente, energie, "saldoverzoek_nuts", _ams(2026, 11, 23, 9, 30))
    nummer = vraag["referentienummer"]

    r = se.post(f"/berichten/{nummer}/bevestiging")
    assert (r.status_code, r.json()["code"]) == (410, "VERLOPEN"), r.text
    [uitkomst] = _json(se.post("/bevestigingen", json={"referentienummers": [nummer]}))["bevestigingen"]
    assert uitkomst["status"] == "verlopen", uitkomst
    weigering = se.post(f"/berichten/{nummer}/weigering", json={"reden": "ONTSLEUTELING_MISLUKT"})
    assert weigering.status_code >= 400, weigering.text
    assert _per_nummer(_json(shv.get("/verzonden"))["berichten"])[nummer]["status"] == "verlopen"

    assert _worker(cli, _ams(2026, 12, 1, 0, 0, 0))["verlopen"] == 0  # the job finds it done
    logboek = _json(shv.get("/logboek", params={"vanaf": "2026-11-01", "tot": "2100-01-01"}))["berichten"]
    assert [
        (b["berichttype"], b["melding"]["code"], b["crossReferentienummer"])
        for b in logboek
        if b["afzender"] == KNOOPPUNT
    ] == [("foutbericht", "VERLOPEN", nummer)]


def test_par_6_verlopen_is_meteen_te_zien_ook_voordat_de_verloopjob_draait(
    rt: Runtime, wie: dict[str, Partij], client_voor: Any, cli: Any
) -> None:
    """§6: "not confirmed within 5 working days of `ontvangenOp` → … status `verlopen`"; §4:
    `/verzonden?status=` with `verlopen`. A message past its verlooptOp can no longer be fetched or
    confirmed, so every overview says `verlopen` at once — before the expiry job (which runs now and
    then) has deleted its content and told the sender; the status filter agrees with what is shown."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv = client_voor(gemeente)
    oud = _stuur_op(rt, gemeente, energie, "saldoverzoek_nuts", _ams(2026, 11, 23, 9, 30))
    nieuw = _stuur_op(rt, gemeente, energie, "saldoverzoek_nuts", datetime.now(AMS))
    verlopen, open_ = oud["referentienummer"], nieuw["referentienummer"]

    def statussen(**params: str) -> dict[str, str]:
        return {
            b["referentienummer"]: b["status"]
            for b in _json(shv.get("/verzonden", params=params))["berichten"]
        }

    for moment in ("voor de verloopjob", "na de verloopjob"):
        assert statussen() == {verlopen: "verlopen", open_: "aangeboden"}, moment
        assert statussen(status="verlopen") == {verlopen: "verlopen"}, moment
        assert statussen(status="aangeboden") == {open_: "aangeboden"}, moment
        tijdlijn = _json(shv.get(f"/conversaties/{oud['conversatieReferentienummer']}"))["berichten"]
        assert {b["referentienummer"]: b["status"] for b in tijdlijn}[verlopen] == "verlopen", moment
        if moment == "voor de verloopjob":
            assert _worker(cli, datetime.now(AMS))["verlopen"] == 1


# --- §6: working days ---------------------------------------------------------------------------------

# (offered at, the end of the bevestigingstermijn) — each holiday of §6 inside a term of 5 working days.
WERKDAGEN = {
    "een weekend": (_ams(2026, 11, 20, 10, 0), _ams(2026, 11, 27, 23, 59, 59)),
    "Goede Vrijdag en Tweede Paasdag": (_ams(2026, 4, 1, 10, 0), _ams(2026, 4, 10, 23, 59, 59)),
    "Koningsdag": (_ams(2026, 4, 24, 10, 0), _ams(2026, 5, 4, 23, 59, 59)),
    "5 mei, ook buiten een lustrumjaar": (_ams(2026, 5, 4, 10, 0), _ams(2026, 5, 12, 23, 59, 59)),
    "Hemelvaartsdag": (_ams(2026, 5, 13, 10, 0), _ams(2026, 5, 21, 23, 59, 59)),
    "Tweede Pinksterdag": (_ams(2026, 5, 22, 10, 0), _ams(2026, 6, 1, 23, 59, 59)),
    "beide kerstdagen en Nieuwjaarsdag": (_ams(2025, 12, 24, 10, 0), _ams(2026, 1, 5, 23, 59, 59)),
    "zomertijd begint (29 maart)": (_ams(2026, 3, 26, 10, 0), _ams(2026, 4, 2, 23, 59, 59)),
    "wintertijd begint (25 oktober)": (_ams(2026, 10, 22, 10, 0), _ams(2026, 10, 29, 23, 59, 59)),
}


def test_par_6_werkdagen_feestdagen_weekend_en_zomertijd_in_verlooptop(
    rt: Runtime, wie: dict[str, Partij], client_voor: Any
) -> None:
    """§6: "Working days: Monday–Friday minus the Dutch public holidays of the Algemene termijnenwet
    (Nieuwjaarsdag, Goede Vrijdag, Tweede Paasdag, Koningsdag, 5 mei, Hemelvaartsdag, Tweede
    Pinksterdag, both Christmas days), Europe/Amsterdam; a term is counted from the day after the
    event, and ends at the end (23:59:59 local time) of its last working day" — as `verlooptOp` of
    real messages on the wire, across a weekend and both daylight-saving changes. (The Algemene
    termijnenwet names 5 mei every year, not only every fifth.)"""
    gemeente, energie = wie["gemeente"], wie["energie"]
    nummers = {
        naam: _stuur_op(rt, gemeente, energie, "saldoverzoek", aangeboden)["referentienummer"]
        for naam, (aangeboden, _) in WERKDAGEN.items()
    }
    verzonden = _per_nummer(_json(client_voor(gemeente).get("/verzonden"))["berichten"])
    gekregen = {naam: _moment(verzonden[nummer]["verlooptOp"]) for naam, nummer in nummers.items()}
    assert gekregen == {naam: einde for naam, (_, einde) in WERKDAGEN.items()}
    for naam, moment in gekregen.items():
        assert moment.astimezone(AMS).time() == kloktijd(23, 59, 59), naam


@pytest.mark.parametrize(
    ("van", "aan", "module", "versie", "berichttype", "werkdagen"),
    [
        ("gemeente", "energie", "schuldregeling", "1.0", "saldoverzoek", 5),
        ("gemeente", "energie", "schuldregeling", "2.0", "saldoverzoek", 10),
        ("kredietbank", "sbn", "waarborgfonds", "2.0", "aanvraag_borgstelling", 5),
        ("sbn", "kredietbank", "waarborgfonds", "2.0", "verzoek_kredietinformatie", 10),
        ("gemeente", "energie", "pauzeknop", "2.0", "kennisgeving", 10),
        ("gemeente", "energie", "schuldregeling", "2.0", "kennisgeving", None),
    ],
)
def test_par_6_antwoordtermijn_van_de_versie_of_de_module_vanaf_bevestigdop(
    rt: Runtime,
    wie: dict[str, Partij],
    client_voor: Any,
    van: str,
    aan: str,
    module: str,
    versie: str,
    berichttype: str,
    werkdagen: int | None,
) -> None:
    """§6: "Antwoordtermijn (2.1): for types with "answer due", the term of §3a (5 working days in
    1.0, 10 in 2.0, or the module's own) from `bevestigdOp`" — `antwoordUiterlijk` of a real message
    for both parties: offered Friday 20 November 2026, confirmed Tuesday 24 November, so 5 working
    days end Tuesday 1 December and 10 end Tuesday 8 December; a type without an answer due has none
    (§3b: waarborgfonds's aanvraag 5 and verzoek_kredietinformatie 10, the pauzeknop's kennisgeving
    10)."""
    afzender, ontvanger = wie[van], wie[aan]
    vraag = _stuur_op(
        rt, afzender, ontvanger, berichttype, _ams(2026, 11, 20, 16, 0), module=module, versie=versie
    )
    nummer = vraag["referentienummer"]
    _bevestig_op(rt, ontvanger, nummer, _ams(2026, 11, 24, 11, 0))
    verwacht = None if werkdagen is None else _einde_termijn(_ams(2026, 11, 24, 11, 0), werkdagen)
    zichten = {
        "verzonden": _per_nummer(_json(client_voor(afzender).get("/verzonden"))["berichten"])[nummer],
        "bericht (ontvanger)": _json(client_voor(ontvanger).get(f"/berichten/{nummer}")),
    }
    for waar, b in zichten.items():
        assert _moment(b["bevestigdOp"]) == _ams(2026, 11, 24, 11, 0), waar
        gekregen = None if b["antwoordUiterlijk"] is None else _moment(b["antwoordUiterlijk"])
        assert gekregen == verwacht, waar
    if werkdagen is not None:
        assert verwacht == {5: _ams(2026, 12, 1, 23, 59, 59), 10: _ams(2026, 12, 8, 23, 59, 59)}[werkdagen]


def test_par_6_termijnen_en_sluitingsdagen_zijn_configuratie(
    database_url: str, tmp_path: Path, pki_dir: Path, wie: dict[str, Partij]
) -> None:
    """§6: "Term lengths and extra closing days are configuration" — a `knooppunt serve` started with
    `KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN`, `KNOOPPUNT_ANTWOORDTERMIJN_WERKDAGEN` (1.0),
    `KNOOPPUNT_ANTWOORDTERMIJN_2_WERKDAGEN` (2.0) and `KNOOPPUNT_EXTRA_SLUITINGSDAGEN`
    (docs/configuration.md) counts every term with them, and `/berichttypen` gives the configured
    answer term per version (§3a)."""
    vandaag = datetime.now(AMS).date()
    gesloten = frozenset(_werkdagen_na(vandaag, 2))  # the next two working days are closing days
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "data",
        pki_dir=pki_dir,
        extra_args=["--no-jobs"],
        env={
            "KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN": "2",
            "KNOOPPUNT_ANTWOORDTERMIJN_WERKDAGEN": "3",
            "KNOOPPUNT_ANTWOORDTERMIJN_2_WERKDAGEN": "4",
            "KNOOPPUNT_EXTRA_SLUITINGSDAGEN": ",".join(d.isoformat() for d in sorted(gesloten)),
        },
    ) as hub:
        gemeente, energie = wie["gemeente"], wie["energie"]
        with hub.client(gemeente, timeout=60) as shv, hub.client(energie, timeout=60) as se:
            for versie, antwoordtermijn in (("1.0", 3), ("2.0", 4)):
                t = _json(
                    shv.get(
                        "/berichttypen/saldoverzoek", params={"module": "schuldregeling", "versie": versie}
                    )
                )
                assert t["antwoordtermijnWerkdagen"] == antwoordtermijn, versie
                vraag = envelop(gemeente, energie, "saldoverzoek", versie=versie)
                aangeboden = _json(shv.post("/berichten", json=vraag), 201)
                ontvangen = _moment(aangeboden["ontvangenOp"])
                assert _moment(aangeboden["verlooptOp"]) == _einde_termijn(ontvangen, 2, gesloten), versie
                bevestigd = _json(se.post(f"/berichten/{vraag['referentienummer']}/bevestiging"))
                assert _moment(bevestigd["antwoordUiterlijk"]) == _einde_termijn(
                    _moment(bevestigd["bevestigdOp"]), antwoordtermijn, gesloten
                ), versie
    if ontvangen.astimezone(AMS).date() == vandaag:  # not offered just past midnight
        # The closing days count: without them the term would have ended two working days earlier.
        assert _einde_termijn(ontvangen, 2, gesloten) > _einde_termijn(ontvangen, 2)


# --- §6: the jobs ----------------------------------------------------------------------------------------


def test_par_6_en_8_serve_draait_de_jobs_logt_json_met_request_id_en_houdt_beheerpaden_af(
    rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path, wie: dict[str, Partij]
) -> None:
    """§6: "Jobs (expiry, …) run embedded in `knooppunt serve`": with no worker at all, a message whose
    bevestigingstermijn has ended is expired by the served hub itself and the `VERLOPEN` foutbericht
    lands in its sender's inbox (`--job-interval`, docs/operations.md). §8: "Structured JSON logs with
    a request id" — a caller that sends none gets the id the hub made in its answer (`X-Request-ID`,
    docs/operations.md "Logs"), and that id is on the JSON log line of its request; "Metrics reveal
    volumes across participants, so the participant-facing API never serves them" — nor the
    operator's health checks, under any prefix."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    with (
        start_hub(
            database_url=database_url,
            data_dir=tmp_path / "data",
            pki_dir=pki_dir,
            extra_args=["--job-interval", "0.3"],
        ) as hub,
        hub.client(gemeente, timeout=60) as shv,
    ):
        vraag = envelop(gemeente, energie, "saldoverzoek")
        aangeboden = shv.post("/berichten", json=vraag)
        assert aangeboden.status_code == 201, aangeboden.text
        niet_gevonden = shv.get(f"/berichten/{uuid.uuid4()}")
        assert niet_gevonden.status_code == 404, niet_gevonden.text
        ids = {201: aangeboden.headers["X-Request-ID"], 404: niet_gevonden.headers["X-Request-ID"]}
        assert all(ids.values()) and ids[201] != ids[404]

        with transactie(rt.sessions) as session:  # its term ended a minute ago
            session.execute(
                update(Bericht)
                .where(Bericht.referentienummer == vraag["referentienummer"])
                .values(verloopt_op=datetime.now(UTC) - timedelta(minutes=1))
            )
        einde = time.monotonic() + 30
        meldingen: list[dict[str, Any]] = []
        while time.monotonic() < einde and not meldingen:
            meldingen = _json(shv.get("/berichten"))["berichten"]
            time.sleep(0.2)
        assert [(b["berichttype"], b["melding"]["code"], b["crossReferentienummer"]) for b in meldingen] == [
            ("foutbericht", "VERLOPEN", vraag["referentienummer"])
        ], "".join(hub.log[-30:])
        rij = _per_nummer(_json(shv.get("/verzonden"))["berichten"])[vraag["referentienummer"]]
        assert rij["status"] == "verlopen"

        with httpx.Client(base_url=hub.url, verify=ssl_context(hub.ca, gemeente), timeout=60) as wortel:
            for pad in (
                "/metrics",
                "/health/live",
                "/health/ready",
                "/api/v1/health/live",
                "/api/v1/health/ready",
            ):
                assert wortel.get(pad).status_code == 404, pad

        per_id: dict[str, dict[str, Any]] = {}
        regels: list[dict[str, Any]] = []
        einde = time.monotonic() + 10
        while time.monotonic() < einde and not set(ids.values()) <= set(per_id):
            regels = [json.loads(r) for r in list(hub.log) if r.startswith("{")]
            per_id = {r["request_id"]: r for r in regels if r.get("event") == "verzoek" and "request_id" in r}
            time.sleep(0.1)
    for status, verzoek_id in ids.items():
        assert per_id[verzoek_id]["status"] == status, per_id.get(verzoek_id)
    assert per_id[ids[201]]["method"] == "POST" and per_id[ids[201]]["path"] == "/api/v1/berichten"
    assert all(isinstance(r.get("timestamp"), str) and r.get("level") for r in regels)
    logtekst = "".join(hub.log)
    assert vraag["inhoud"][-60:] not in logtekst and vraag["inhoud"][:60] not in logtekst


def test_par_2_en_6_metadata_wordt_na_de_bewaartermijn_opgeschoond(
    wie: dict[str, Partij], client_voor: Any, cli: Any
) -> None:
    """§6: "Jobs (expiry, deadline marks, notifications, retention purge) run … in `knooppunt
    worker`"; §2: a message's "metadata (the envelope without `inhoud`, statuses, times) is kept 7
    years (configurable) for the rules that look back …, `/verzonden`, `/logboek` and the audit log,
    then purged". Still there after six years; gone from `/verzonden` and `/logboek` after eight."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv = client_voor(gemeente)
    vraag = envelop(gemeente, energie, "kennisgeving")
    aangeboden = _json(shv.post("/berichten", json=vraag), 201)
    _json(client_voor(energie).post(f"/berichten/{vraag['referentienummer']}/bevestiging"))
    ontvangen = _moment(aangeboden["ontvangenOp"])
    periode = {
        "vanaf": ontvangen.date().isoformat(),
        "tot": (ontvangen + timedelta(days=2)).date().isoformat(),
    }

    def bewaard() -> tuple[bool, bool]:
        verzonden = _per_nummer(_json(shv.get("/verzonden"))["berichten"])
        logboek = _per_nummer(_json(shv.get("/logboek", params=periode))["berichten"])
        return vraag["referentienummer"] in verzonden, vraag["referentienummer"] in logboek

    _worker(cli, ontvangen + timedelta(days=6 * 365))
    assert bewaard() == (True, True)
    _worker(cli, ontvangen + timedelta(days=8 * 365))
    assert bewaard() == (False, False)


# --- §6: notifications ---------------------------------------------------------------------------------


def _handtekening_klopt(geheim: str, header: str, body: bytes, max_leeftijd: int = 300) -> bool:
    """docs/operations.md "Notificaties", as a participant copies it: `Knooppunt-Handtekening:
    t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, over the raw bytes, recent."""
    delen = dict(deel.split("=", 1) for deel in header.split(","))
    t = int(delen["t"])
    if abs(time.time() - t) > max_leeftijd:
        return False
    verwacht = hmac.new(geheim.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(verwacht, delen["v1"])


@pytest.fixture
def smtp() -> Iterator[SmtpOntvanger]:
    server = SmtpOntvanger()
    yield server
    server.stop()


def test_par_6_notificaties_email_direct_en_dagelijks_en_een_ondertekende_webhook_met_herhaling(
    wie: dict[str, Partij],
    client_voor: Any,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    smtp: SmtpOntvanger,
) -> None:
    """§6: "Notifications to participants: e-mail (SMTP) on new messages, immediately or as a daily
    digest, and signed webhooks with retries"; §1/§5: the hub cannot read content and logs only
    metadata — a notification carries no `inhoud`. Set up with `knooppunt deelnemer notificaties`
    (docs/operations.md), run by `knooppunt worker --once`: the creditor on `direct` gets one e-mail
    for its three new messages and a webhook that fails once (HTTP 500) and is delivered on the retry,
    its signature checked as the docs tell a participant to; the creditor on `dagelijks` at 08:00 gets
    nothing before the digest hour and then one e-mail for both of its messages."""
    gemeente, energie, zorg = wie["gemeente"], wie["energie"], wie["zorg"]
    webhook = WebhookOntvanger([500])
    for naam, waarde in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "SMTP_AFZENDER": "noreply@knooppunt.example.nl",
        "WEBHOOK_LOKAAL_TOEGESTAAN": "true",  # development: a receiver on this machine, over http
    }.items():
        monkeypatch.setenv(f"KNOOPPUNT_{naam}", waarde)
    try:
        r = cli(
            "deelnemer", "notificaties", "--oin", energie.oin, "--email", "backoffice@energie.example.nl",
            "--modus", "direct", "--webhook", webhook.url(), "--json",
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        geheim = json.loads(r.stdout)["webhookGeheim"]
        r = cli(
            "deelnemer", "notificaties", "--oin", zorg.oin, "--email", "post@zorg.example.nl",
            "--modus", "dagelijks", "--digest-uur", "8",
        )  # fmt: skip
        assert r.exit_code == 0, r.output

        verstuurd = [envelop(gemeente, energie, t) for t in ("saldoverzoek", "saldoverzoek", "kennisgeving")]
        verstuurd += [envelop(gemeente, zorg, "kennisgeving") for _ in range(2)]
        for e in verstuurd:
            _json(client_voor(gemeente).post("/berichten", json=e), 201)

        dag = datetime.now(AMS).date() + timedelta(days=2)  # every message long settled, none expired
        eerste = _worker(cli, datetime.combine(dag, kloktijd(7, 59), tzinfo=AMS))
        assert [rcpt for rcpt, _ in smtp.ontvangen] == [["backoffice@energie.example.nl"]], eerste
        assert len(webhook.verzoeken) == 1
        tweede = _worker(cli, datetime.combine(dag, kloktijd(8, 0), tzinfo=AMS))
        assert len(webhook.verzoeken) == 2, tweede
        assert [rcpt for rcpt, _ in smtp.ontvangen] == [
            ["backoffice@energie.example.nl"],
            ["post@zorg.example.nl"],
        ], tweede
        # Nothing new: a later run sends nothing (each message announced once).
        derde = _worker(cli, datetime.combine(dag, kloktijd(9, 0), tzinfo=AMS))
        assert len(smtp.ontvangen) == 2 and len(webhook.verzoeken) == 2, derde
    finally:
        webhook.stop()

    direct, digest = smtp.emails  # subjects as docs/operations.md gives them
    assert direct["Subject"] == "Schuldenknooppunt: 3 nieuwe berichten"
    assert digest["Subject"] == "Schuldenknooppunt: 2 nieuwe berichten"
    for ruw in (inhoud for _, inhoud in smtp.ontvangen):
        tekst = ruw.decode(errors="replace")
        for e in verstuurd:
            for deel in e["inhoud"].split("."):
                assert deel[:40] not in tekst
            assert e["referentienummer"] not in tekst and e["conversatieReferentienummer"] not in tekst

    mislukt, gelukt = webhook.verzoeken
    assert mislukt["body"] == gelukt["body"], "the retry repeats the same notification"
    for verzoek in (mislukt, gelukt):
        assert verzoek["methode"] == "POST"
        kop = verzoek["headers"]["Knooppunt-Handtekening"]
        assert _handtekening_klopt(geheim, kop, verzoek["body"])
        assert not _handtekening_klopt(geheim, kop, verzoek["body"] + b" ")
        assert not _handtekening_klopt("niet het geheim", kop, verzoek["body"])
    body = json.loads(gelukt["body"])
    assert body["deelnemer"] == energie.oin
    assert body["totaal"] == 3 and body["aantallen"] == {"saldoverzoek": 2, "kennisgeving": 1}
    for e in verstuurd:
        assert e["inhoud"].split(".")[0].encode() not in gelukt["body"]
        assert e["referentienummer"].encode() not in gelukt["body"]


# --- §8: operations -------------------------------------------------------------------------------------


class _Doorgever:
    """A TCP relay between the hub and PostgreSQL that can be cut and restored: the database becomes
    unreachable for the hub while it keeps running."""

    def __init__(self, doel: tuple[str, int]) -> None:
        self.doel = doel
        self.poort = vrije_poort()
        self._slot = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._luisteraar: socket.socket | None = None
        self.start()

    def start(self) -> None:
        luisteraar = socket.socket()
        luisteraar.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        luisteraar.bind(("127.0.0.1", self.poort))
        luisteraar.listen(64)
        self._luisteraar = luisteraar
        threading.Thread(target=self._accepteer, args=(luisteraar,), daemon=True).start()

    def _accepteer(self, luisteraar: socket.socket) -> None:
        while True:
            try:
                klant, _ = luisteraar.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.doel, timeout=5)
                server.settimeout(None)
            except OSError:
                klant.close()
                continue
            with self._slot:
                self._sockets += [klant, server]
            for a, b in ((klant, server), (server, klant)):
                threading.Thread(target=self._pomp, args=(a, b), daemon=True).start()

    @staticmethod
    def _pomp(van: socket.socket, naar: socket.socket) -> None:
        try:
            while data := van.recv(65536):
                naar.sendall(data)
        except OSError:
            pass
        finally:
            for s in (van, naar):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._luisteraar is not None:
            with contextlib.suppress(OSError):
                self._luisteraar.shutdown(socket.SHUT_RDWR)
            self._luisteraar.close()
            self._luisteraar = None
        with self._slot:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()


def _wacht_op_status(url: str, status: int, timeout: float = 30.0) -> httpx.Response:
    einde = time.monotonic() + timeout
    while True:
        r = httpx.get(url, timeout=15)
        if r.status_code == status or time.monotonic() > einde:
            return r
        time.sleep(0.2)


def test_par_8_health_ready_zegt_niet_gereed_zolang_de_database_onbereikbaar_is(
    database_url: str, tmp_path: Path, pki_dir: Path, wie: dict[str, Partij]
) -> None:
    """§8: "`/health/live`, `/health/ready` (database reachable) … on a separate plain-HTTP operator
    listener": ready while PostgreSQL answers, not ready (a non-2xx answer) once it cannot be reached,
    and ready again when it is back — with the hub running throughout. (The embedded SQLite database
    cannot become unreachable for a running hub, so this runs on PostgreSQL.)"""
    if not database_url.startswith("postgresql"):
        pytest.skip("a database server that can become unreachable: PostgreSQL")
    url = make_url(database_url)
    doorgever = _Doorgever((url.host or "127.0.0.1", url.port or 5432))
    via = url.set(host="127.0.0.1", port=doorgever.poort).render_as_string(hide_password=False)
    ops = vrije_poort()
    try:
        with start_hub(
            database_url=via,
            data_dir=tmp_path / "data",
            pki_dir=pki_dir,
            extra_args=["--no-jobs", "--ops-port", str(ops)],
        ):
            gereed = f"http://127.0.0.1:{ops}/health/ready"
            assert _wacht_op_status(gereed, 200).status_code == 200
            doorgever.stop()
            weg = _wacht_op_status(gereed, 503)
            assert not 200 <= weg.status_code < 300, weg.text
            doorgever.start()
            terug = _wacht_op_status(gereed, 200)
            assert terug.status_code == 200, terug.text
    finally:
        doorgever.stop()
