"""A fetch on a node that cannot open a day key (its master key left out after a rotation, DESIGN §5
"Deletion means gone, even from backups"; docs/operations.md "Dagsleutels"): 503 that speaks of a
fetch — nothing changed, fetch again later — and a log line for the operator that names the
missing master key, not the submit's "nothing stored or sent, send the same request again"
(independent operations probe)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient
from structlog.testing import CapturingLogger

from knooppunt import app as app_module
from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.runtime import Runtime
from knooppunt.store import berichten as store
from tests.conftest import MetCertificaat
from tests.factories import Partij, envelop


@pytest.fixture
def zonder_oude_hoofdsleutel(rt: Runtime) -> Iterator[Runtime]:
    """A node of the same hub whose day-key master keys lack the one today's key is wrapped under
    (the development key `ontwikkel-1` of the data dir): a rotation that dropped the old key too soon."""
    nieuw = "nieuw:" + base64.b64encode(bytes(range(32, 64))).decode()
    settings = rt.settings.model_copy(update={"dagsleutel_hoofdsleutels": SecretStr(nieuw)})
    node = runtime_mod.bouw(settings, upgrade=False)
    yield node
    node.close()


def test_ophalen_zonder_de_hoofdsleutel_van_de_dagsleutel_zegt_dat_er_niets_gewijzigd_is(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    zonder_oude_hoofdsleutel: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    assert client_voor(gemeente).post("/berichten", json=env).status_code == 201

    logs = CapturingLogger()
    monkeypatch.setattr(app_module, "log", logs)
    with TestClient(
        MetCertificaat(create_app(zonder_oude_hoofdsleutel), energie.pem),
        base_url="https://testserver/api/v1",
    ) as node:
        for pad in ("/berichten", f"/berichten/{env['referentienummer']}"):
            r = node.get(pad)
            assert r.status_code == 503, (pad, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "TIJDELIJK_NIET_BESCHIKBAAR"
            detail = r.json()["detail"]
            assert "niets gewijzigd" in detail and "Haal later opnieuw op" in detail, detail
            # Not the submit's text: nothing was submitted.
            assert "opgeslagen of verstuurd" not in detail and "referentienummer" not in detail, detail
            assert int(r.headers["Retry-After"]) > 0

    # The operator's log line: a fetch, with the reason naming the master key to configure again.
    meldingen = [c for c in logs.calls if "dagsleutel onbruikbaar" in str(c.args)]
    assert len(meldingen) == 2
    for melding in meldingen:
        assert melding.method_name == "error"
        assert "ophalen" in melding.args[0] and "inzending" not in melding.args[0], melding.args
        assert "'ontwikkel-1'" in melding.kwargs["reden"]
        assert "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS" in melding.kwargs["reden"]

    # Nothing changed: the message is still unfetched, and the node with the key serves it.
    with rt.sessions() as session:
        bericht = store.op_referentie(session, env["referentienummer"])
        assert bericht is not None
        assert bericht.status == "aangeboden" and bericht.opgehaald_op is None
    opgehaald = client_voor(energie).get("/berichten")
    assert opgehaald.status_code == 200
    [ontvangen] = opgehaald.json()["berichten"]
    assert ontvangen["inhoud"] == env["inhoud"]
