"""Day keys on a real `knooppunt serve` with two worker processes (DESIGN §5): what one process
seals under the day key the other opens, recipients get the submitted JWE byte for byte, and no
file the hub wrote — database, -wal, key store, data dir, its log — nor a pg_dump holds it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from knooppunt.runtime import Runtime
from tests.factories import envelop
from tests.functional.server import start_hub
from tests.integration.test_dagsleutels import _libpq, nergens


def test_twee_processen_een_dagsleutel_en_geen_jwe_in_enig_bestand(
    cast: dict[str, Any], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    verstuurd: dict[str, str] = {}
    with start_hub(
        database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir, extra_args=["--workers", "2"]
    ) as hub:
        with hub.client(gemeente) as shv:
            for _ in range(8):  # new connections: spread over both worker processes
                env = envelop(gemeente, energie, "saldoverzoek")
                with hub.client(gemeente) as verbinding:
                    r = verbinding.post("/berichten", json=env)
                assert r.status_code == 201, r.text
                verstuurd[env["referentienummer"]] = env["inhoud"]
            assert shv.get("/verzonden").status_code == 200
        for _ in range(4):
            with hub.client(energie) as se:
                inbox = se.get("/berichten", params={"limit": 100}).json()["berichten"]
                assert {b["referentienummer"]: b["inhoud"] for b in inbox} == verstuurd
        hub.stop()
        (tmp_path / "hub.log").write_text("".join(hub.log))

    assert (tmp_path / "hub" / "dagsleutels.sqlite3").exists()
    if rt.engine.dialect.name == "postgresql":
        subprocess.run(
            ["pg_dump", "--format=plain", f"--file={tmp_path / 'dump.sql'}", _libpq(database_url)], check=True
        )
    nergens(list(verstuurd.values()), [p for p in tmp_path.rglob("*") if p.is_file()])
