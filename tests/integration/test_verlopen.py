"""The expiry job (DESIGN §6, art. 17.3–17.5) with several workers at once and after a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from knooppunt.config import Settings
from knooppunt.jobs import verlopen
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht, BerichtInhoud
from tests.factories import Partij, envelop

AANTAL = 60


def _vul(cast: dict[str, Partij], client_voor: Any) -> list[str]:
    """AANTAL open saldoverzoeken from two debt counsellors to three creditors."""
    refs = []
    paren = [(cast[a], cast[b]) for a in ("gemeente", "kredietbank") for b in ("energie", "woning", "zorg")]
    for i in range(AANTAL):
        van, aan = paren[i % len(paren)]
        env = envelop(van, aan, "saldoverzoek")
        assert client_voor(van).post("/berichten", json=env).status_code == 201
        refs.append(env["referentienummer"])
    return refs


def _meldingen(rt: Runtime) -> Counter[str]:
    """How many VERLOPEN notices each expired message produced."""
    with rt.sessions() as session:
        notices = session.scalars(select(Bericht).where(Bericht.berichttype == "foutbericht")).all()
        return Counter(
            b.cross_referentienummer for b in notices if (b.melding or {}).get("code") == "VERLOPEN"
        )


def _na_termijn() -> datetime:
    return datetime.now(UTC) + timedelta(days=30)


def test_twee_workers_tegelijk_melden_elke_verloop_precies_eens(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    refs = _vul(cast, client_voor)
    nu = _na_termijn()
    uitkomsten: list[int] = []
    fouten: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            # Small batches, so the two workers interleave over many transactions.
            uitkomsten.append(
                verlopen.verloop_alles(rt.sessions, nu=nu, instellingen=rt.instellingen, batch=7)
            )
        except BaseException as exc:
            fouten.append(exc)

    draden = [threading.Thread(target=worker) for _ in range(2)]
    for d in draden:
        d.start()
    for d in draden:
        d.join(60)
    assert not fouten, fouten
    assert sum(uitkomsten) == AANTAL
    assert _meldingen(rt) == Counter(dict.fromkeys(refs, 1))
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BerichtInhoud)) == 0
        statussen = Counter(session.scalars(select(Bericht.status).where(Bericht.referentienummer.in_(refs))))
    assert statussen == Counter({"verlopen": AANTAL})


def test_crash_midden_in_een_run_verliest_en_verdubbelt_niets(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    refs = _vul(cast, client_voor)
    nu = _na_termijn()
    with pytest.raises(RuntimeError), transactie(rt.sessions) as session:
        assert verlopen.verloop_batch(session, nu=nu, instellingen=rt.instellingen, limiet=25) == 25
        raise RuntimeError("het proces sterft voor de commit")
    assert _meldingen(rt) == Counter()
    assert verlopen.verloop_alles(rt.sessions, nu=nu, instellingen=rt.instellingen, batch=25) == AANTAL
    assert verlopen.verloop_alles(rt.sessions, nu=nu, instellingen=rt.instellingen) == 0
    assert _meldingen(rt) == Counter(dict.fromkeys(refs, 1))


def test_hubberichten_verlopen_stil(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    """A receipt nobody confirms expires like any message, without a notice about it (DESIGN §6)."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
    assert client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 200
    assert verlopen.verloop_alles(rt.sessions, nu=_na_termijn(), instellingen=rt.instellingen) == 1
    with rt.sessions() as session:
        typen = Counter(session.scalars(select(Bericht.berichttype)))
    assert typen == Counter({"saldoverzoek": 1, "ontvangstbevestiging": 1})


def test_twee_worker_processen_op_dezelfde_database(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    """`knooppunt worker --once --now` twice at the same moment, as two real processes."""
    refs = _vul(cast, client_voor)
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": settings.effective_database_url,
        "KNOOPPUNT_DATA_DIR": str(tmp_path / "worker"),
        "KNOOPPUNT_TRUST_ANCHORS": ",".join(str(p) for p in settings.trust_anchors),
    }
    moment = _na_termijn().isoformat()
    processen = [
        subprocess.Popen(
            [sys.executable, "-m", "knooppunt.cli.main", "worker", "--once", "--now", moment],
            env=omgeving,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    uitvoer = [p.communicate(timeout=120) for p in processen]
    assert [p.returncode for p in processen] == [0, 0], uitvoer
    verlopen_aantallen = [json.loads(out.strip().splitlines()[-1])["verlopen"] for out, _ in uitvoer]
    assert sum(verlopen_aantallen) == AANTAL
    assert _meldingen(rt) == Counter(dict.fromkeys(refs, 1))


def test_melding_verlopen_is_op_beide_databases_gelijk(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """The sweep builds the notice in SQL on PostgreSQL and in Python elsewhere: same notice."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
    assert verlopen.verloop_alles(rt.sessions, nu=_na_termijn(), instellingen=rt.instellingen) == 1
    [melding] = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert melding["afzender"] == "KNOOPPUNT"
    assert melding["berichttype"] == "foutbericht"
    assert melding["crossReferentienummer"] == env["referentienummer"]
    assert melding["conversatieReferentienummer"] == env["conversatieReferentienummer"]
    assert melding["melding"] == {
        "code": "VERLOPEN",
        "omschrijving": f"Bericht {env['referentienummer']} (saldoverzoek) is niet binnen de "
        "bevestigingstermijn door de ontvanger bevestigd en is verwijderd. U kunt het opnieuw aanbieden "
        "onder een nieuw referentienummer.",
        "referentienummer": env["referentienummer"],
        "ontvanger": energie.oin,
    }
    assert melding["verlooptOp"].endswith(("23:59:59+01:00", "23:59:59+02:00"))
    assert melding["inhoud"] is None
