"""`knooppunt serve` over real TLS with real certificates (DESIGN §5, §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knooppunt.runtime import Runtime
from tests.factories import envelop
from tests.functional.server import start_hub


def test_bericht_over_echte_mtls(
    cast: dict[str, Any], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as hub:
        with hub.client(cast["gemeente"]) as shv, hub.client(cast["energie"]) as se:
            vraag = envelop(cast["gemeente"], cast["energie"], "saldoverzoek")
            r = shv.post("/berichten", json=vraag)
            assert r.status_code == 201, r.text
            inbox = se.get("/berichten").json()["berichten"]
            assert [b["referentienummer"] for b in inbox] == [vraag["referentienummer"]]
        with hub.client(None) as anoniem:
            r = anoniem.get("/adresboek")
            assert r.status_code == 401
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "NIET_GEAUTHENTICEERD"
