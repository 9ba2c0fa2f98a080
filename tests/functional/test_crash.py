"""The hub is killed (SIGKILL) under load and restarted on the same port and database. Clients
retry every unacknowledged submit with the same referentienummer and body (201 the first time, 200
for an identical retry): afterwards every acknowledged message is in the mailbox exactly once, with
its content intact, and nothing else is (DESIGN §4).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from knooppunt.runtime import Runtime
from knooppunt.store.dagsleutels import VOORVOEGSEL
from tests.factories import Partij
from tests.functional.belasting import (
    BEIDE_DATABASES,
    Fouten,
    HubLog,
    Poging,
    Termijn,
    alle_paginas,
    berichten_in_database,
    bewijs,
    hub_met_log,
    verzegel,
    zend_tot_erkend,
)
from tests.functional.server import Hub

PER_ZENDER = 60  # four client threads: 240 messages
KILLS = 4  # SIGKILL at evenly spaced numbers of acknowledged messages
# Seconds for the load phase, restarts included: a guard against hanging, not a speed target
# (the phase takes ~10 s on an idle 2-core machine, ~22 s with the cores busy).
TIJDSLIMIET = 90.0


@pytest.mark.slow
@BEIDE_DATABASES
def test_sigkill_onder_belasting_niets_kwijt_niets_dubbel(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    energie = cast["energie"]
    zenders = [cast["gemeente"], cast["gemeente"], cast["kredietbank"], cast["kredietbank"]]
    conversaties = {z.oin: [str(uuid.uuid4()) for _ in range(6)] for z in zenders}
    werk = [verzegel(z, energie, PER_ZENDER, conversaties=conversaties[z.oin]) for z in zenders]
    verzegeld = {env["referentienummer"]: env for lijst in werk for env in lijst}
    totaal = len(verzegeld)
    pogingen = {ref: Poging() for ref in verzegeld}
    fouten = Fouten()
    logs: list[HubLog] = []

    def erkend() -> int:
        return sum(1 for p in pogingen.values() if p.status is not None)

    with ExitStack() as stapel:

        def start(nr: int, poort: int | None = None) -> Hub:
            hub, log = stapel.enter_context(
                hub_met_log(
                    f"hub-{nr}",
                    database_url=database_url,
                    data_dir=tmp_path / "hub",
                    pki_dir=pki_dir,
                    poort=poort,
                )
            )
            logs.append(log)
            return hub

        hub = start(0)
        begin = time.monotonic()
        termijn = Termijn(TIJDSLIMIET)
        threads = [
            threading.Thread(
                target=zend_tot_erkend,
                args=(hub.url, hub.ca, zender, lijst, nr, pogingen, fouten, termijn),
                name=f"zender-{nr}",
            )
            for nr, (zender, lijst) in enumerate(zip(zenders, werk, strict=True))
        ]
        for t in threads:
            t.start()
        stapel.callback(termijn.stop_en_wacht, threads)  # also when the test fails halfway

        gedood: list[int] = []
        for kill in range(1, KILLS + 1):
            drempel = totaal * kill // (KILLS + 1)
            while erkend() < drempel and termijn.over() > 0 and any(t.is_alive() for t in threads):
                time.sleep(0.01)
            gedood.append(erkend())
            hub.stop(signal.SIGKILL)
            assert hub.proces.returncode == -signal.SIGKILL
            time.sleep(0.3)  # clients meet a closed port for a moment
            hub = start(kill, poort=hub.poort)

        for t in threads:
            t.join(max(0.0, termijn.over()) + 10)
        duur = time.monotonic() - begin
        assert not any(t.is_alive() for t in threads), "threads hangen\n" + bewijs(fouten, logs, tmp_path)
        assert not fouten, bewijs(fouten, logs, tmp_path)

        # Every message was acknowledged; a 200 only ever answers a retry.
        assert erkend() == totaal
        for ref, poging in pogingen.items():
            assert poging.antwoord["referentienummer"] == ref
            if poging.status == 200:
                assert poging.pogingen > 1, f"{ref}: 200 zonder eerdere poging"
        netwerkfouten = sum(p.netwerkfouten for p in pogingen.values())
        herhaald = sum(1 for p in pogingen.values() if p.status == 200)
        ongeduldig = Counter(p.status for p in pogingen.values() if p.ongeduldig)
        assert netwerkfouten > 0, "de kills troffen geen lopend verzoek"
        assert herhaald > 0, "geen enkele herhaling werd als herhaling (200) herkend"

        # The recipient's inbox, paged with `volgende`: every message exactly once, content intact.
        with hub.client(energie, timeout=httpx.Timeout(30.0)) as se:
            inbox = alle_paginas(se, "/berichten", {"limit": 50})
        per_ref = Counter(b["referentienummer"] for b in inbox)
        dubbel = {ref: n for ref, n in per_ref.items() if n != 1}
        assert not dubbel, f"dubbel in de inbox: {dubbel}"
        assert set(per_ref) == set(verzegeld), (
            f"ontbreekt: {set(verzegeld) - set(per_ref)}; onbekend: {set(per_ref) - set(verzegeld)}"
        )
        for b in inbox:
            env = verzegeld[b["referentienummer"]]
            assert b["inhoud"] == env["inhoud"], b["referentienummer"]
            assert b["conversatieReferentienummer"] == env["conversatieReferentienummer"]

        # The database: one row per message sent, nothing else, each with its ciphertext, sealed
        # under its day key (DESIGN §5; served intact above).
        rijen, inhoud = berichten_in_database(database_url)
        assert Counter(r["referentienummer"] for r in rijen) == Counter(verzegeld.keys())
        assert inhoud.keys() == verzegeld.keys()
        assert all(opgeslagen.startswith(VOORVOEGSEL) for opgeslagen in inhoud.values())

        # An identical retry after the restarts is still recognised (200), and adds nothing.
        with hub.client(cast["gemeente"], timeout=httpx.Timeout(30.0)) as shv:
            for env in werk[0][:5]:
                r = shv.post("/berichten", json=env)
                assert r.status_code == 200, r.text
        assert len(berichten_in_database(database_url)[0]) == totaal

        statussen = {log.naam: log.statussen() for log in logs}
        assert all(s < 500 for per_hub in statussen.values() for s in per_hub), bewijs(fouten, logs, tmp_path)
        print(
            f"\n{totaal} berichten, {KILLS}x SIGKILL (na {gedood} erkend), "
            f"{database_url.split(':', maxsplit=1)[0]}: {duur:.1f}s; {netwerkfouten} netwerkfouten, "
            f"{herhaald} herhalingen met 200; na ongeduld {dict(ongeduldig)}; statussen {statussen}"
        )
