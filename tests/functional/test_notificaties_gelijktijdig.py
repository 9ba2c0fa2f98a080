"""Two `knooppunt worker --once` processes at the same moment against one database: every
notification is written once and delivered once (DESIGN §6: several instances may run at once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from knooppunt.hub import notificaties as hub
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from tests.factories import Partij, envelop
from tests.ontvangers import SmtpOntvanger, WebhookOntvanger

pytestmark = pytest.mark.slow

AFZENDER = "noreply@knooppunt.example.nl"


def test_twee_workers_versturen_elke_notificatie_een_keer(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    gemeente = cast["gemeente"]
    ontvangers = {"energie": "kennisgeving", "zorg": "kennisgeving", "woning": "kennisgeving"}
    ontvangers["belasting"] = "kennisgeving_bsn"
    smtp = SmtpOntvanger()
    webhook = WebhookOntvanger(vertraging=0.5)  # slow receiver: the workers' deliveries overlap
    try:
        with transactie(rt.sessions) as session:
            for naam in ontvangers:
                hub.stel_in(
                    session,
                    cast[naam].oin,
                    hub.Wijziging(
                        emailadressen=[f"{naam}@voorbeeld.example.nl"],
                        modus="direct",
                        webhook_url=webhook.url(),
                    ),
                    door="beheer:test",
                    nu=db_nu(session),
                    lokale_webhooks=True,
                )
        for naam, berichttype in ontvangers.items():
            for _ in range(2):
                r = client_voor(gemeente).post("/berichten", json=envelop(gemeente, cast[naam], berichttype))
                assert r.status_code == 201, r.text
        with rt.sessions() as session:
            nu = (db_nu(session) + timedelta(minutes=2)).isoformat()

        omgeving = {
            **os.environ,
            "KNOOPPUNT_ENV": "development",
            "KNOOPPUNT_DATABASE_URL": database_url,
            "KNOOPPUNT_DATA_DIR": str(tmp_path / "data"),
            "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
            "KNOOPPUNT_SMTP_HOST": "127.0.0.1",
            "KNOOPPUNT_SMTP_PORT": str(smtp.port),
            "KNOOPPUNT_SMTP_STARTTLS": "false",
            "KNOOPPUNT_SMTP_AFZENDER": AFZENDER,
            "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN": "true",
        }
        processen = [
            subprocess.Popen(
                [sys.executable, "-m", "knooppunt.cli.main", "worker", "--once", "--now", nu],
                env=omgeving,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        uitkomsten = []
        for proces in processen:
            stdout, stderr = proces.communicate(timeout=120)
            assert proces.returncode == 0, stderr.decode()
            uitkomsten.append(json.loads(stdout)["notificaties"])
    finally:
        webhook.stop()
        smtp.stop()

    assert sum(u["aangemaakt"] for u in uitkomsten) == 8  # 4 participants x 2 channels
    assert sum(u["verzonden"] for u in uitkomsten) == 8
    ids = Counter(json.loads(v["body"])["id"] for v in webhook.verzoeken)
    assert len(ids) == 4 and set(ids.values()) == {1}
    deelnemers = sorted(json.loads(v["body"])["deelnemer"] for v in webhook.verzoeken)
    assert deelnemers == sorted(cast[naam].oin for naam in ontvangers)
    assert all(json.loads(v["body"])["totaal"] == 2 for v in webhook.verzoeken)
    assert sorted(tuple(rcpt) for rcpt, _ in smtp.ontvangen) == sorted(
        (f"{naam}@voorbeeld.example.nl",) for naam in ontvangers
    )
