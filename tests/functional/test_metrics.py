"""Prometheus /metrics on the operator listener of a real `knooppunt serve` (DESIGN §8): volumes by
berichttype and status, overdue answers, jobs and requests by route template — and never on the
participant port, never with a participant label."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from knooppunt.runtime import Runtime
from knooppunt.store.models import Bericht
from tests.factories import Partij, envelop
from tests.functional.server import ssl_context, start_hub, vrije_poort


def _scrape(poort: int) -> dict[str, list[Any]]:
    r = httpx.get(f"http://127.0.0.1:{poort}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    families: dict[str, list[Any]] = {}
    for familie in text_string_to_metric_families(r.text):
        families.setdefault(familie.name, []).extend(familie.samples)
    return families


def _waarde(families: dict[str, list[Any]], naam: str, **labels: str) -> float:
    return sum(
        s.value
        for monsters in families.values()
        for s in monsters
        if s.name == naam and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_op_de_beheerpoort(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    ops = vrije_poort()
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--ops-port", str(ops), "--job-interval", "0.2"],
    ) as hub:
        with hub.client(gemeente) as shv, hub.client(energie) as se:
            vraag = envelop(gemeente, energie, "saldoverzoek")
            assert shv.post("/berichten", json=vraag).status_code == 201
            open_ = envelop(gemeente, energie, "betaalvoorstel")
            assert shv.post("/berichten", json=open_).status_code == 201
            fout = envelop(gemeente, energie, "saldoverzoek") | {"ontvanger": "00000003999999990000"}
            assert shv.post("/berichten", json=fout).status_code == 422
            assert se.get("/berichten").status_code == 200
            r = se.post(
                f"/berichten/{vraag['referentienummer']}/bevestiging", headers={"X-Request-ID": "meting-1"}
            )
            assert r.status_code == 200 and r.headers["X-Request-ID"] == "meting-1"
            assert se.get(f"/berichten/{uuid.uuid4()}").status_code == 404

            # The start-up banner says where the operator listener is (stdout, for the person at the
            # terminal) and the JSON start event carries it too.
            assert any(f"Beheerpoort op http://127.0.0.1:{ops} (/health/live" in r for r in hub.log), hub.log
            assert any(
                '"knooppunt gestart"' in r and f'"beheerpoort": "http://127.0.0.1:{ops}"' in r
                for r in hub.log
            )
            # Never on the participant port.
            assert se.get("/metrics").status_code == 404
            with httpx.Client(base_url=hub.url, verify=ssl_context(hub.ca, energie)) as wortel:
                assert wortel.get("/metrics").status_code == 404

        # The saldoverzoek's answer is overdue (antwoordUiterlijk passed without an answer).
        with rt.sessions.begin() as session:
            session.execute(
                update(Bericht)
                .where(Bericht.referentienummer == vraag["referentienummer"])
                .values(antwoord_uiterlijk=datetime.now(UTC) - timedelta(hours=1))
            )

        time.sleep(0.6)  # a few job runs
        families = _scrape(ops)

    assert _waarde(families, "knooppunt_database_up") == 1
    assert _waarde(families, "knooppunt_berichten", berichttype="saldoverzoek", status="bevestigd") == 1
    assert _waarde(families, "knooppunt_berichten", berichttype="betaalvoorstel", status="opgehaald") == 1
    assert (
        _waarde(families, "knooppunt_berichten", berichttype="ontvangstbevestiging", status="aangeboden") == 1
    )
    assert _waarde(families, "knooppunt_antwoorden_te_laat", berichttype="saldoverzoek") == 1
    assert _waarde(families, "knooppunt_audit_volgnummer") > 0
    # Only the betaalvoorstel's ciphertext is still waiting (the saldoverzoek was confirmed).
    assert _waarde(families, "knooppunt_inbox_onbevestigd_bytes") == len(open_["inhoud"])
    assert _waarde(families, "knooppunt_inbox_grootste_bytes") == len(open_["inhoud"])

    assert (
        _waarde(
            families, "knooppunt_http_requests_total", route="/api/v1/berichten", method="POST", status="201"
        )
        == 2
    )
    assert (
        _waarde(
            families, "knooppunt_http_requests_total", route="/api/v1/berichten", method="POST", status="422"
        )
        == 1
    )
    bevestiging = "/api/v1/berichten/{referentienummer}/bevestiging"
    assert (
        _waarde(families, "knooppunt_http_requests_total", route=bevestiging, method="POST", status="200")
        == 1
    )
    assert (
        _waarde(
            families,
            "knooppunt_http_requests_total",
            route="/api/v1/berichten/{referentienummer}",
            status="404",
        )
        == 1
    )
    assert _waarde(families, "knooppunt_http_requests_total", route="onbekend", status="404") >= 1
    assert _waarde(families, "knooppunt_http_request_duration_seconds_count", route="/api/v1/berichten") == 4

    for job in ("verlopen", "audit_opgeschoond"):
        assert _waarde(families, "knooppunt_job_runs_total", job=job) >= 2
        assert _waarde(families, "knooppunt_job_failures_total", job=job) == 0
        assert _waarde(families, "knooppunt_job_last_success_timestamp_seconds", job=job) > time.time() - 60

    # No participant labels: no OIN, no referentienummer in any label.
    labelwaarden = {v for monsters in families.values() for s in monsters for v in s.labels.values()}
    for geheim in (gemeente.oin, energie.oin, vraag["referentienummer"], open_["referentienummer"]):
        assert not any(geheim in w for w in labelwaarden)
    assert not {"oin", "afzender", "ontvanger", "deelnemer"} & {
        k for monsters in families.values() for s in monsters for k in s.labels
    }

    # Structured JSON logs: one line per request, with its request id; never content.
    regels = [json.loads(r) for r in hub.log if r.startswith("{")]
    verzoeken = [r for r in regels if r.get("event") == "verzoek"]
    assert len(verzoeken) >= 6 and all(r.get("request_id") for r in verzoeken)
    assert any(r["request_id"] == "meting-1" and r["status"] == 200 for r in verzoeken)
    logtekst = "".join(hub.log)
    for inhoud in (vraag["inhoud"], open_["inhoud"]):
        assert inhoud not in logtekst and inhoud[-60:] not in logtekst


def test_metrics_tellen_verzoeken_van_alle_workers(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    ops = vrije_poort()
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--workers", "2", "--ops-port", str(ops), "--no-jobs"],
    ) as hub:
        for partij in [cast["gemeente"], cast["energie"]] * 3:
            with hub.client(partij, timeout=30) as client:  # new connections: both workers serve
                assert client.get("/berichten").status_code == 200
        families = _scrape(ops)
    assert (
        _waarde(
            families, "knooppunt_http_requests_total", route="/api/v1/berichten", method="GET", status="200"
        )
        == 6
    )
    assert _waarde(families, "knooppunt_database_up") == 1
