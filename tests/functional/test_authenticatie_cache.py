"""Authenticate once per certificate (DESIGN §5; docs/decisions/0021-authenticatie-cache.md): a
certificate a node verified before is neither parsed nor checked again, until the adresboek or the
CRL state changes (read in the request's first statement) or the entry reaches min(notAfter, CRL
nextUpdate + grace). Over the whole app (TestClient), on SQLite and PostgreSQL; the same across two
real `knooppunt serve` processes is in test_mtls.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.api import auth, deps
from knooppunt.app import create_app
from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.pki.intrekking import Intrekkingscontrole
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from tests.conftest import MetCertificaat, maak_settings
from tests.factories import Partij, envelop

HEADER = "x-ssl-client-cert"  # settings.client_cert_header's default


@pytest.fixture
def tellers(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often a certificate is parsed, its chain checked and its registration looked up."""
    teller: Counter[str] = Counter()

    def geteld(naam: str, functie: Callable[..., Any]) -> Callable[..., Any]:
        def tel(*args: Any, **kwargs: Any) -> Any:
            teller[naam] += 1
            return functie(*args, **kwargs)

        return tel

    monkeypatch.setattr(auth, "lees_pem", geteld("gelezen", auth.lees_pem))
    monkeypatch.setattr(auth, "lees_doorgestuurd", geteld("gelezen", auth.lees_doorgestuurd))
    monkeypatch.setattr(Vertrouwensankers, "controleer", geteld("keten", Vertrouwensankers.controleer))
    monkeypatch.setattr(adresboek, "authenticeer", geteld("adresboek", adresboek.authenticeer))
    monkeypatch.setattr(Intrekkingscontrole, "controleer", geteld("crl", Intrekkingscontrole.controleer))
    return teller


class ViaProxy:
    """ASGI wrapper: the request comes from the TLS proxy at 127.0.0.1 with the certificate in its
    header, as nginx forwards it ($ssl_client_escaped_cert)."""

    def __init__(self, app: Any, pem: str) -> None:
        self.app = app
        self.pem = pem

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [*scope["headers"], (HEADER.encode(), quote(self.pem, safe="").encode())]
            scope = {**scope, "client": ("127.0.0.1", 40000), "headers": headers}
        await self.app(scope, receive, send)


@pytest.fixture
def klok(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """klok(verschil): the database clock as every request reads it, moved on by `verschil`."""
    echt = deps.crl_staat.nu_en_versie
    verschil = timedelta(0)

    def verschoven(session: Any) -> tuple[datetime, int, int]:
        nu, crl_versie, adresboek_versie = echt(session)
        return nu + verschil, crl_versie, adresboek_versie

    monkeypatch.setattr(deps.crl_staat, "nu_en_versie", verschoven)
    # the event loop's submit, fetch and confirm (api/lus.py, api/lus_inbox.py) read it too
    echt_async = deps.crl_staat.nu_en_versie_async

    async def verschoven_async(conn: Any, dialect: Any) -> tuple[datetime, int, int]:
        nu, crl_versie, adresboek_versie = await echt_async(conn, dialect)
        return nu + verschil, crl_versie, adresboek_versie

    monkeypatch.setattr(deps.crl_staat, "nu_en_versie_async", verschoven_async)

    def zet(nieuw: timedelta) -> None:
        nonlocal verschil
        verschil = nieuw

    return zet


def _client(app: Any, partij: Partij) -> TestClient:
    return TestClient(MetCertificaat(app, partij.pem), base_url="https://testserver/api/v1")


def _geweigerd(r: Any, detail: str) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "NIET_GEAUTHENTICEERD"
    assert detail in r.json()["detail"], r.json()["detail"]


@pytest.mark.parametrize("via", ["tls", "proxy"])
def test_een_bekend_certificaat_wordt_niet_opnieuw_gelezen_gecontroleerd_of_opgezocht(
    cast: dict[str, Partij], settings: Any, tellers: Counter[str], via: str
) -> None:
    rt = runtime_mod.bouw(settings.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]}), upgrade=False)
    app = create_app(rt)
    try:

        def client(partij: Partij) -> TestClient:
            wrapper = MetCertificaat(app, partij.pem) if via == "tls" else ViaProxy(app, partij.pem)
            return TestClient(wrapper, base_url="https://testserver/api/v1")

        with client(cast["gemeente"]) as gemeente, client(cast["energie"]) as energie:
            assert gemeente.get("/berichten").status_code == 200
            assert tellers == {"gelezen": 1, "keten": 1, "adresboek": 1}
            for _ in range(5):
                assert gemeente.get("/berichten").status_code == 200
                assert gemeente.get("/verzonden").status_code == 200
            assert tellers == {"gelezen": 1, "keten": 1, "adresboek": 1}
            # Another certificate is verified once of its own.
            assert energie.get("/berichten").status_code == 200
            assert energie.get("/berichten").status_code == 200
            assert tellers == {"gelezen": 2, "keten": 2, "adresboek": 2}
    finally:
        rt.close()


def test_een_ingetrokken_certificaat_wordt_op_elke_node_bij_het_volgende_verzoek_geweigerd(
    cast: dict[str, Partij], rt: Runtime, settings: Any, tellers: Counter[str]
) -> None:
    """Two nodes (apps with a runtime each) on one database: what node A's beheer retires, node B,
    which verified the certificate before, refuses on its very next request."""
    tweede = runtime_mod.bouw(settings, upgrade=False)
    try:
        woning, energie = cast["woning"], cast["energie"]
        node_a, node_b = create_app(rt), create_app(tweede)
        with (
            _client(node_a, woning) as a,
            _client(node_b, woning) as b,
            _client(node_b, energie) as b_energie,
        ):
            for client in (a, b, b, b_energie, b_energie):
                assert client.get("/berichten").status_code == 200
            assert tellers["adresboek"] == 3  # once per node and certificate
            with transactie(rt.sessions) as session:
                adresboek.trek_certificaat_in(
                    session, woning.oin, lees_pem(woning.pem).vingerafdruk, nu=db_nu(session), door="beheer:a"
                )
            _geweigerd(
                b.get("/berichten"), f"niet (meer) als TLS-certificaat geregistreerd voor OIN {woning.oin}"
            )
            _geweigerd(a.get("/berichten"), "niet (meer) als TLS-certificaat geregistreerd")
            # The others are verified again once, and kept again.
            voor = tellers["adresboek"]
            for _ in range(3):
                assert b_energie.get("/berichten").status_code == 200
            assert tellers["adresboek"] == voor + 1
    finally:
        tweede.close()


def test_een_certificaat_voorbij_notafter_wordt_geweigerd(
    cast: dict[str, Partij], app: Any, klok: Callable[[timedelta], None]
) -> None:
    gemeente = cast["gemeente"]
    with _client(app, gemeente) as client:
        assert client.get("/berichten").status_code == 200
        niet_na = gemeente.certificaat.not_valid_after_utc
        klok(niet_na - datetime.now(UTC) - timedelta(minutes=1))
        assert client.get("/berichten").status_code == 200
        klok(niet_na - datetime.now(UTC) + timedelta(minutes=1))
        _geweigerd(client.get("/berichten"), "Het clientcertificaat is niet geldig")


@pytest.fixture
def eigen_ca(tmp_path: Path) -> Iterator[tuple[Path, Partij]]:
    """A CA of its own (to publish CRLs for) and a participant certificate it issued."""
    ca = tmp_path / "ca"
    ontwikkel_ca.init(ca)
    uit = ontwikkel_ca.issue(ca, oin="00000003555555550000", naam="cache", key_type="ec", uit_map=ca)
    yield ca, Partij("00000003555555550000", "cache", "SE", "55555555", uit.certificaat, uit.sleutel)


def test_een_certificaat_voorbij_nextupdate_plus_marge_van_de_crl_wordt_geweigerd(
    database_url: str,
    tmp_path: Path,
    eigen_ca: tuple[Path, Partij],
    klok: Callable[[timedelta], None],
    tellers: Counter[str],
) -> None:
    ca, partij = eigen_ca
    volgende_update = datetime.now(UTC) + timedelta(hours=1)
    crl = ontwikkel_ca.schrijf_crl(
        tmp_path / "crl.pem",
        ontwikkel_ca.maak_crl(
            ca, [], deze_update=datetime.now(UTC) - timedelta(minutes=5), volgende_update=volgende_update
        ),
    )
    settings = maak_settings(
        database_url, tmp_path / "data", ca, crls=[str(crl)], crl_grace_seconds=600, crl_refresh_seconds=3600
    )
    rt = runtime_mod.bouw(settings, upgrade=False)
    try:
        with transactie(rt.sessions) as session:
            adresboek.registreer(
                session,
                adresboek.NieuweDeelnemer(
                    oin=partij.oin,
                    naam=partij.naam,
                    rol="SE",
                    kvk_nummer=partij.kvk,
                    modules=["schuldregeling"],
                    certificaten=[lees_pem(partij.pem)],
                ),
                nu=db_nu(session),
                ankers=rt.ankers,
                door="beheer:test",
            )
        with _client(create_app(rt), partij) as client:
            # The first request loaded the CRL and shared it (a new CRL version): the next checks
            # once more; from then on the cache answers, without a revocation check.
            for _ in range(2):
                assert client.get("/berichten").status_code == 200
            gecontroleerd = tellers["crl"]
            for _ in range(3):
                assert client.get("/berichten").status_code == 200
            assert tellers["crl"] == gecontroleerd
            # Past nextUpdate, within the grace: still accepted.
            klok(volgende_update - datetime.now(UTC) + timedelta(minutes=5))
            assert client.get("/berichten").status_code == 200
            klok(volgende_update - datetime.now(UTC) + timedelta(minutes=11))
            _geweigerd(client.get("/berichten"), "is verouderd (nextUpdate")
            assert tellers["crl"] == gecontroleerd + 1
    finally:
        rt.close()


def test_een_teruggedraaide_transactie_in_een_handler_breekt_het_volgende_verzoek_niet(
    cast: dict[str, Partij], app: Any, tellers: Counter[str]
) -> None:
    """The cache holds plain records, not ORM objects, which a rollback would expire."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    with _client(app, gemeente) as shv:
        assert shv.get("/berichten").status_code == 200
        # Refused in the handler: the request's transaction is rolled back.
        onbekend = envelop(gemeente, energie, "saldoverzoek")
        onbekend["ontvanger"] = "00000003999999990000"
        assert shv.post("/berichten", json=onbekend).status_code == 422
        assert shv.post("/berichten/7a1c2c4e-2f1d-4a9b-9a51-3e1f1d7c2b10/bevestiging").status_code == 404
        assert shv.get("/berichten").status_code == 200
        # A submit, which reads the sender's adresboek entry itself, after those rollbacks.
        r = shv.post("/berichten", json=envelop(gemeente, energie, "saldoverzoek"))
        assert r.status_code == 201, r.text
        assert r.json()["afzender"] == gemeente.oin
        assert (
            shv.get("/verzonden").json()["berichten"][0]["referentienummer"] == r.json()["referentienummer"]
        )
    assert tellers["adresboek"] == 1


def test_een_gewijzigde_module_geldt_bij_de_volgende_inzending(
    cast: dict[str, Partij], rt: Runtime, app: Any
) -> None:
    """A submit checks the sender's modules as the adresboek has them now, not as they were when
    its certificate was verified."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    with _client(app, gemeente) as shv:
        assert shv.post("/berichten", json=envelop(gemeente, energie, "saldoverzoek")).status_code == 201
        with transactie(rt.sessions) as session:
            adresboek.wijzig(
                session,
                gemeente.oin,
                adresboek.DeelnemerWijziging(modules=["bewind"]),
                door="beheer:test",
                nu=db_nu(session),
            )
        r = shv.post("/berichten", json=envelop(gemeente, energie, "saldoverzoek"))
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "MODULE_NIET_ACTIEF"
