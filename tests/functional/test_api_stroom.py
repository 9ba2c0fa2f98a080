"""A message's life over API v1: submit, fetch, confirm, receipt (DESIGN §4, §6)."""

from __future__ import annotations

from typing import Any

from tests.factories import envelop


def test_saldoverzoek_heen_en_terug(cast: dict[str, Any], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv, se = client_voor(gemeente), client_voor(energie)

    vraag = envelop(gemeente, energie, "saldoverzoek")
    r = shv.post("/berichten", json=vraag)
    assert r.status_code == 201, r.text
    assert r.headers["API-Version"] == "1.0.0"
    assert r.json()["afzender"] == gemeente.oin
    assert r.json()["status"] == "aangeboden"

    inbox = se.get("/berichten").json()["berichten"]
    assert [b["referentienummer"] for b in inbox] == [vraag["referentienummer"]]
    assert inbox[0]["inhoud"] == vraag["inhoud"]
    assert inbox[0]["status"] == "opgehaald"

    bevestigd = se.post(f"/berichten/{vraag['referentienummer']}/bevestiging")
    assert bevestigd.status_code == 200
    assert bevestigd.json()["status"] == "bevestigd"
    assert bevestigd.json()["antwoordUiterlijk"] is not None
    assert se.get("/berichten").json()["berichten"] == []

    ontvangst = shv.get("/berichten").json()["berichten"]
    assert [(b["berichttype"], b["afzender"]) for b in ontvangst] == [("ontvangstbevestiging", "KNOOPPUNT")]
    assert ontvangst[0]["melding"]["referentienummer"] == vraag["referentienummer"]
    assert ontvangst[0]["crossReferentienummer"] == vraag["referentienummer"]

    antwoord = envelop(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        conversatie=vraag["conversatieReferentienummer"],
        antwoord_op=vraag["referentienummer"],
    )
    assert se.post("/berichten", json=antwoord).status_code == 201
    verzonden = {b["referentienummer"]: b for b in shv.get("/verzonden").json()["berichten"]}
    assert verzonden[vraag["referentienummer"]]["status"] == "beantwoord"
    assert verzonden[vraag["referentienummer"]]["teLaat"] is False


def test_database_onbereikbaar_geeft_503_met_retry_after_en_zegt_dat_herhalen_veilig_is(
    settings: Any, cast: dict[str, Any]
) -> None:
    from starlette.testclient import TestClient

    from knooppunt import runtime as runtime_mod
    from knooppunt.app import create_app
    from knooppunt.config import Settings
    from tests.conftest import MetCertificaat

    weg = Settings(
        env="development",  # type: ignore[arg-type]
        data_dir=settings.data_dir,
        database_url="postgresql://postgres@127.0.0.1:1/nergens",
        trust_anchors=settings.trust_anchors,
    )
    rt = runtime_mod.bouw(weg, upgrade=False)
    try:
        client = TestClient(MetCertificaat(create_app(rt), cast["gemeente"].pem), base_url="https://t/api/v1")
        r = client.get("/berichten")
        assert r.status_code == 503
        assert r.json()["code"] == "TIJDELIJK_NIET_BESCHIKBAAR"
        assert r.headers["Retry-After"] == "2"
        # A submit too; and the 503 never claims that nothing was stored (a COMMIT may have gone
        # through before the connection broke), but that repeating with the same number is safe.
        r = client.post("/berichten", json=envelop(cast["gemeente"], cast["energie"], "saldoverzoek"))
        assert r.status_code == 503
        assert "niets opgeslagen" not in r.json()["detail"]
        assert "Herhalen is veilig" in r.json()["detail"]
        assert "hetzelfde referentienummer" in r.json()["detail"]
    finally:
        rt.close()
