"""Bounded memory, whatever a participant sends (DESIGN §4): a real `knooppunt serve` with an
inbox filled with the largest messages it accepts; fetching it with ``limit=1000`` keeps the
process's peak RSS below its RSS at the start plus three times the page cap (before: every message
of the page in memory, twice over, plus the response built whole)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from knooppunt.hub import mailbox
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer
from tests.factories import Partij, envelop
from tests.functional.server import start_hub

MIB = 1024 * 1024
# The defaults (DESIGN §4): what a participant may send and what a page may hold.
MAX_INHOUD = 4 * MIB
PAGINA = 16 * MIB
AANTAL = 24  # 96 MiB of ciphertext waiting: six pages
TIMEOUT = httpx.Timeout(60.0, connect=5.0)


def _kib(pid: int, veld: str) -> int:
    """VmRSS or VmHWM (peak RSS) of a process, in bytes."""
    for regel in Path(f"/proc/{pid}/status").read_text().splitlines():
        if regel.startswith(f"{veld}:"):
            return int(regel.split()[1]) * 1024
    raise AssertionError(f"{veld} ontbreekt in /proc/{pid}/status")


def _vul_inbox(rt: Runtime, van: Partij, aan: Partij) -> list[str]:
    """AANTAL messages of nearly MAX_INHOUD each, stored through the hub's own submit path."""
    refs = []
    payload = {"bijlage": "x" * (MAX_INHOUD * 9 // 16 - 8 * 1024)}  # JWE ≈ 16/9 × payload
    for _ in range(AANTAL):
        env = envelop(van, aan, "saldoverzoek", payload=payload)
        assert MAX_INHOUD - 64 * 1024 < len(env["inhoud"]) <= MAX_INHOUD
        with transactie(rt.sessions) as session:
            afzender = session.get(Deelnemer, van.oin)
            assert afzender is not None
            mailbox.verstuur(
                session,
                afzender,
                mailbox.Envelop(
                    referentienummer=env["referentienummer"],
                    conversatie_referentienummer=env["conversatieReferentienummer"],
                    cross_referentienummer=None,
                    berichttype=env["berichttype"],
                    module=env["module"],
                    versie=env["versie"],
                    ontvanger=env["ontvanger"],
                    inhoud=env["inhoud"],
                ),
                nu=db_nu(session),
                instellingen=rt.instellingen,
            )
        refs.append(env["referentienummer"])
    return refs


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_ophalen_houdt_het_geheugen_van_de_hub_begrensd(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    refs = _vul_inbox(rt, gemeente, energie)
    omgeving = {"KNOOPPUNT_PORTAAL_ACTIEF": "false"}  # the default limits
    with start_hub(
        database_url=database_url, data_dir=tmp_path / "data", pki_dir=pki_dir, env=omgeving
    ) as hub:
        pid = hub.proces.pid
        with hub.client(energie, timeout=TIMEOUT) as se, hub.client(gemeente, timeout=TIMEOUT) as shv:
            # Warm up TLS, authentication and the fetch with its stream (on an empty inbox), then
            # take the start figure and reset the peak.
            for _ in range(3):
                assert shv.get("/berichten", params={"limit": 1000}).status_code == 200
            start = _kib(pid, "VmRSS")
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS

            opgehaald: list[dict[str, Any]] = []
            paginas = 0
            volgende = None
            while True:
                params: dict[str, Any] = {"limit": 1000} | ({"volgende": volgende} if volgende else {})
                r = se.get("/berichten", params=params)
                assert r.status_code == 200, r.text
                document = r.json()
                opgehaald.extend(document["berichten"])
                paginas += 1
                volgende = document.get("volgende")
                if volgende is None:
                    break
            piek = _kib(pid, "VmHWM")

    groei = piek - start
    print(f"RSS bij de start {start / MIB:.1f} MiB, piek {piek / MIB:.1f} MiB (+{groei / MIB:.1f} MiB)")
    assert groei < 3 * PAGINA, (
        f"de piek-RSS van de hub groeide {groei / MIB:.1f} MiB bij het ophalen; "
        f"de grens is 3 × de paginagrens = {3 * PAGINA / MIB:.0f} MiB"
    )
    assert [b["referentienummer"] for b in opgehaald] == refs
    assert all(len(b["inhoud"]) > MAX_INHOUD - 64 * 1024 for b in opgehaald)
    assert paginas == AANTAL // (PAGINA // MAX_INHOUD)
