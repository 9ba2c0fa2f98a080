"""#13, decision 0034: in a real `knooppunt serve` on PostgreSQL the common submit is accepted on
the event loop — counted on the operator listener's /metrics (knooppunt_api_lus_submits) — and what
it accepts is stored and fetched as any other message; a refusal still comes from the usual way."""

from __future__ import annotations

from pathlib import Path

import pytest

from knooppunt.runtime import Runtime
from tests.factories import Partij, envelop
from tests.functional.server import start_hub, vrije_poort
from tests.functional.test_metrics import _scrape, _waarde


@pytest.mark.parametrize("workers", [1, 2])
def test_het_gewone_bericht_wordt_op_de_lus_aangenomen(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path, workers: int
) -> None:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("the submit on the event loop runs on PostgreSQL only")
    gemeente, energie = cast["gemeente"], cast["energie"]
    ops = vrije_poort()
    extra = ["--ops-port", str(ops)] + (["--workers", str(workers)] if workers > 1 else [])
    with start_hub(
        database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir, extra_args=extra
    ) as hub:
        verstuurd = []
        with hub.client(gemeente) as shv, hub.client(energie) as se:
            for _ in range(20):
                env = envelop(gemeente, energie, "saldoverzoek")
                r = shv.post("/berichten", json=env)
                assert r.status_code == 201, r.text
                verstuurd.append(env)
            fout = shv.post("/berichten", json=envelop(gemeente, energie, "schuldregeling_geaccordeerd"))
            assert fout.status_code == 422 and fout.json()["code"]
            opgehaald = {b["referentienummer"]: b["inhoud"] for b in se.get("/berichten").json()["berichten"]}
        assert opgehaald == {e["referentienummer"]: e["inhoud"] for e in verstuurd}
        metrics = _scrape(ops)
        aangenomen = _waarde(metrics, "knooppunt_api_lus_submits_total", uitkomst="aangenomen")
        # the first submit of each worker fills its caches the usual way
        assert 20 - workers <= aangenomen <= 19, metrics.get("knooppunt_api_lus_submits")
        assert _waarde(metrics, "knooppunt_api_lus_submits_total", uitkomst="regel") == 1
