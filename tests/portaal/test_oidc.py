"""Logging in to the portal with eHerkenning through an OpenID Connect broker (DESIGN §5 "Portal"),
against a real provider (tests/oidc/provider.mjs on Node, started once per test session): the
Authorization Code flow with PKCE, state and nonce; the ID token checks; the rules (level,
machtiging for the service, exactly one participant per KvK/vestiging, beheerders by `sub`);
logging out, at the broker too; and production without the development login.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import structlog
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.cli.fabriek import Fabriek
from knooppunt.config import Settings, SettingsError
from knooppunt.hub import adresboek
from knooppunt.logging import configureer
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal import app as portaal_app
from knooppunt.portaal import oidc as portaal_oidc
from knooppunt.portaal.oidc import FLOW_COOKIE, Niveau, Weigering, lees_inlog, lees_niveau
from knooppunt.portaal.sessies import COOKIE, LOGIN_CSRF_COOKIE
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, PortaalSessie
from tests.conftest import maak_settings
from tests.factories import Partij
from tests.node import node_met_pakketten
from tests.portaal.conftest import csrf_van, inloggen, oin_van
from tests.portaal.makelaar import KVK as KVK_CLAIM
from tests.portaal.makelaar import (
    MAP,
    PORTAAL,
    TERUG,
    UITGELOGD,
    Makelaar,
    bij_makelaar,
    browser,
    log_in,
    naar_makelaar,
    start_makelaar,
    terug_van_makelaar,
)
from tests.portaal.makelaar import VESTIGING as VESTIGING_CLAIM


@pytest.fixture(scope="session")
def makelaar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Makelaar]:
    node = node_met_pakketten(MAP, "the portal's eHerkenning (OIDC) login test")
    with start_makelaar(node, tmp_path_factory.mktemp("makelaar")) as gestart:
        yield gestart


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path, makelaar: Makelaar) -> Settings:
    """The test settings (conftest) plus this broker."""
    return maak_settings(database_url, tmp_path / "data", pki_dir, **makelaar.instellingen())


@pytest.fixture
def portaal_met(rt: Runtime, tmp_path: Path, pki_dir: Path) -> Iterator[Callable[..., TestClient]]:
    """portaal_met(**settings) -> a portal client on the same database with other settings."""
    clients: list[TestClient] = []
    runtimes: list[Runtime] = []

    def maak(**extra: Any) -> TestClient:
        instellingen = {**rt.settings.model_dump(), **extra}
        anders = runtime_mod.bouw(Settings(**instellingen), upgrade=False)
        runtimes.append(anders)
        client = TestClient(create_app(anders), base_url=PORTAAL, follow_redirects=False)
        clients.append(client)
        return client

    yield maak
    for client in clients:
        client.close()
    for anders in runtimes:
        anders.close()


def _sessies(rt: Runtime) -> list[PortaalSessie]:
    with transactie(rt.sessions) as session:
        rijen = list(session.scalars(select(PortaalSessie)))
        session.expunge_all()
        return rijen


def _ingelogd_als(portaal: TestClient, organisatie: str) -> str:
    pagina = portaal.get("/portaal/")
    assert pagina.status_code == 200, pagina.text
    assert organisatie in pagina.text
    return pagina.text


def _geweigerd(antwoord: Any, status: int, tekst: str) -> None:
    """A refusal: the login page again, with the reason in an alert, and no session."""
    assert antwoord.status_code == status, antwoord.text
    assert 'role="alert"' in antwoord.text
    assert tekst in antwoord.text.replace("\n", " ")
    assert "Inloggen met eHerkenning" in antwoord.text  # the way to try again
    assert COOKIE not in antwoord.headers.get("set-cookie", "")


# --- the flow ------------------------------------------------------------------------------------


def test_se_logt_in_met_eherkenning_en_ziet_zijn_organisatie(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, makelaar: Makelaar
) -> None:
    """A creditor's employee: EH3, the service, KvK + vestiging of Demo Energie BV."""
    start = portaal.get("/portaal/inloggen/oidc", params={"volgende": "/portaal/ontvangen"})
    assert start.status_code == 303
    url = start.headers["location"]
    verzoek = urlsplit(url)
    parameters = {k: v[0] for k, v in parse_qs(verzoek.query).items()}
    assert url.startswith(makelaar.issuer + "/auth?")
    assert parameters["response_type"] == "code"
    assert parameters["client_id"] == makelaar.client_id
    assert parameters["redirect_uri"] == TERUG
    assert parameters["code_challenge_method"] == "S256"
    assert len(parameters["code_challenge"]) == 43  # base64url SHA-256
    assert parameters["state"] and parameters["nonce"]
    assert "openid" in parameters["scope"].split()
    # The flow cookie: __Host- (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax, 15 minutes.
    flow = next(k for k in start.headers.get_list("set-cookie") if k.startswith(FLOW_COOKIE + "="))
    for deel in ("path=/;", "Max-Age=900;", "httponly;", "samesite=lax;", "secure"):
        assert deel in flow
    assert "domain" not in flow.lower()

    with browser() as b:
        terug = bij_makelaar(b, url, "eh-energie-eva")
    antwoord = portaal.get(terug)

    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == "/portaal/ontvangen"
    kop = antwoord.headers.get_list("set-cookie")
    sessie_kop = next(k for k in kop if k.startswith(COOKIE + "="))
    assert "Secure" in sessie_kop and "HttpOnly" in sessie_kop
    pagina = _ingelogd_als(portaal, "Demo Energie BV")
    assert "Eva de Boer" in pagina
    assert "Antwoorden uploaden" in pagina  # the creditor's menu
    (sessie,) = _sessies(rt)
    assert (sessie.soort, sessie.oin, sessie.onderwerp) == ("deelnemer", oin_van("energie"), "eh-energie-eva")
    with transactie(rt.sessions) as session:
        login = session.scalars(select(Auditregel).where(Auditregel.actie == "ingelogd")).one()
        assert (login.actor, login.deelnemer, login.uitkomst) == (
            "portaal:eh-energie-eva",
            oin_van("energie"),
            "oidc",
        )


def test_shv_logt_in_en_ziet_de_gemeente(portaal: TestClient, demo: dict[str, int]) -> None:
    """A municipality's debt counsellor (EH4 is more than enough)."""
    antwoord = log_in(portaal, "eh-gemeente")
    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == "/portaal/"
    pagina = _ingelogd_als(portaal, "Gemeente Demodorp")
    assert "Sam Smit" in pagina
    assert "Nieuw bericht" in pagina  # the SHV's menu


def test_collegas_delen_de_postbus_van_hun_organisatie(
    nieuwe_browser: Callable[[], TestClient], demo: dict[str, int], rt: Runtime
) -> None:
    """Two people of one organisation (eIDAS "substantial" = EH3; a numeric KvK claim; no name)
    log in to the same participant (the OIN); each has a session of their own."""
    eva, piet = nieuwe_browser(), nieuwe_browser()
    assert log_in(eva, "eh-energie-eva").status_code == 303
    assert log_in(piet, "eh-energie-piet").status_code == 303
    _ingelogd_als(eva, "Demo Energie BV")
    assert "Medewerker" in _ingelogd_als(piet, "Demo Energie BV")
    sessies = _sessies(rt)
    assert {s.oin for s in sessies} == {oin_van("energie")}
    assert {s.onderwerp for s in sessies} == {"eh-energie-eva", "eh-energie-piet"}


def test_niveau_uit_de_acr_claim(portaal: TestClient, demo: dict[str, int]) -> None:
    """Without the eHerkenning level claim, the standard `acr` claim counts."""
    assert log_in(portaal, "eh-acr").status_code == 303
    _ingelogd_als(portaal, "Demo Energie BV")


def test_beheerder_via_portaal_beheerders(portaal: TestClient, rt: Runtime, demo: dict[str, int]) -> None:
    """A `sub` in KNOOPPUNT_PORTAAL_BEHEERDERS is a beheerder of the hub (no organisation needed)."""
    antwoord = log_in(portaal, "eh-beheer")
    assert antwoord.status_code == 303, antwoord.text
    assert portaal.get("/portaal/").headers["location"] == "/portaal/beheer"
    (sessie,) = _sessies(rt)
    assert (sessie.soort, sessie.oin, sessie.gebruiker) == ("beheerder", None, "Bea Beheer")


def test_claims_uit_userinfo_als_het_id_token_ze_mist(
    portaal: TestClient, demo: dict[str, int], makelaar: Makelaar
) -> None:
    """A broker that keeps the eHerkenning attributes out of the ID token: the portal asks the
    userinfo endpoint (for the same `sub`)."""
    with makelaar.met_fout("userinfo"):
        antwoord = log_in(portaal, "eh-gemeente")
    assert antwoord.status_code == 303, antwoord.text
    _ingelogd_als(portaal, "Gemeente Demodorp")


def test_vestiging_van_een_organisatie_die_als_geheel_deelneemt(
    portaal: TestClient, demo: dict[str, int]
) -> None:
    """A login restricted to a vestiging that is not in the adresboek, of an organisation registered
    as a whole (no vestigingsnummer), is that organisation; an organisation registered per vestiging
    still refuses unknown vestigingen (see test_weigering_met_uitleg)."""
    antwoord = log_in(portaal, "eh-zorg-vestiging")
    assert antwoord.status_code == 303, antwoord.text
    _ingelogd_als(portaal, "Demo Zorgverzekeraar NV")


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "melding"),
    [
        ("eh-laag", "Uw eHerkenningsmiddel heeft niveau EH2; voor het knooppunt is EH3 nodig."),
        ("eh-loa2plus", "Uw eHerkenningsmiddel heeft niveau EH2+; voor het knooppunt is EH3 nodig."),
        ("eh-andere-dienst", "niet gemachtigd voor de dienst van het knooppunt"),
    ],
)
def test_weigering_met_uitleg(
    portaal: TestClient,
    demo: dict[str, int],
    rt: Runtime,
    account: str,
    melding: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    antwoord = log_in(portaal, account)
    _geweigerd(antwoord, 403, melding)
    assert _sessies(rt) == []
    assert portaal.get("/portaal/").status_code == 303  # still not logged in
    # The log has the reason, never who it was.
    uitvoer = capsys.readouterr()
    assert account not in uitvoer.out + uitvoer.err


@pytest.mark.parametrize(
    ("account", "kvk", "vestiging"),
    [("eh-onbekend", "69599084", None), ("eh-vestiging-onbekend", "50123456", "000099999999")],
)
def test_organisatie_die_geen_deelnemer_is_kan_zich_aanmelden(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, account: str, kvk: str, vestiging: str | None
) -> None:
    """Not a participant (yet): a restricted session that leads to the aanmeldformulier (#14), with
    the KvK number and vestiging of the login, and nothing of a participant's or beheer's portal."""
    antwoord = log_in(portaal, account, volgende="/portaal/ontvangen")
    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == "/portaal/aanmelden"
    [sessie] = _sessies(rt)
    assert (sessie.soort, sessie.oin) == ("aanmelder", None)
    pagina = portaal.get("/portaal/aanmelden")
    assert pagina.status_code == 200
    assert kvk in pagina.text and (vestiging or "geen: de hele organisatie") in pagina.text
    assert portaal.get("/portaal/ontvangen").status_code == 403
    assert portaal.get("/portaal/beheer").status_code == 403


def test_dubbelzinnig_kvk_zonder_vestiging(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, pki: dict[str, Partij]
) -> None:
    """A login without vestigingsnummer needs exactly one participant with that KvK number."""
    assert log_in(portaal, "eh-zorg").status_code == 303  # one participant with KvK 50234567: fine
    portaal.cookies.clear()
    tweede = pki["belasting"]  # a 00000001 OIN: its KvK number is not inside it
    with transactie(rt.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=tweede.oin,
                naam="Demo Zorg vestiging Noord",
                rol="SE",
                kvk_nummer="50234567",
                vestigingsnummer="000077777777",
                modules=["schuldregeling"],
                certificaten=[lees_pem(tweede.cert_pad.read_bytes())],
                schuldensoorten=["zorg"],
            ),
            nu=db_nu(session),
            ankers=rt.ankers,
            door="beheer:test",
        )
    antwoord = log_in(portaal, "eh-zorg")
    _geweigerd(antwoord, 403, "Bij KvK-nummer 50234567 horen meerdere deelnemers")


def test_gemanipuleerde_state(portaal: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    """The callback's state must be the one this browser started with (login CSRF)."""
    terug = terug_van_makelaar(portaal, "eh-energie-eva")
    onderdelen = urlsplit(terug)
    parameters = parse_qs(onderdelen.query)
    parameters["state"] = ["een-andere-state"]
    vervalst = onderdelen._replace(query="&".join(f"{k}={v[0]}" for k, v in parameters.items())).geturl()
    _geweigerd(portaal.get(vervalst), 400, "Deze inlogpoging is verlopen of niet in deze browser begonnen")
    assert _sessies(rt) == []


def test_antwoord_van_een_andere_makelaar(portaal: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    """RFC 9207: a response that names another issuer (mix-up attack) is refused."""
    terug = terug_van_makelaar(portaal, "eh-energie-eva")
    assert "iss=" in terug
    vervalst = re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fnep-makelaar.example", terug)
    _geweigerd(portaal.get(vervalst), 400, "Het antwoord kwam niet van de eHerkenningsmakelaar")
    assert _sessies(rt) == []


def test_terugkeer_in_een_andere_browser(
    portaal: TestClient, nieuwe_browser: Callable[[], TestClient], demo: dict[str, int], rt: Runtime
) -> None:
    """A callback URL opened elsewhere (no flow cookie) does not log that browser in."""
    terug = terug_van_makelaar(portaal, "eh-energie-eva")
    _geweigerd(nieuwe_browser().get(terug), 400, "niet in deze browser begonnen")
    assert _sessies(rt) == []


def test_hergebruikte_code(
    portaal: TestClient, nieuwe_browser: Callable[[], TestClient], demo: dict[str, int], rt: Runtime
) -> None:
    """A code is good once: again in the same browser the state is used up; with a copy of the
    old flow cookie the broker refuses the code (and the session of the first use stays alone)."""
    terug = terug_van_makelaar(portaal, "eh-energie-eva")
    flow = portaal.cookies.get(FLOW_COOKIE)
    assert flow
    assert portaal.get(terug).status_code == 303
    _geweigerd(portaal.get(terug), 400, "niet in deze browser begonnen")

    aanvaller = nieuwe_browser()
    aanvaller.cookies.set(FLOW_COOKIE, flow, domain="testserver.local")
    _geweigerd(aanvaller.get(terug), 400, "eHerkenning accepteerde de inlogcode niet")
    assert len(_sessies(rt)) == 1


@pytest.mark.parametrize("fout", ["handtekening", "nonce", "aud", "iss", "verlopen"])
def test_id_token_wordt_gecontroleerd(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, makelaar: Makelaar, fout: str
) -> None:
    """Signature (JWKS from discovery), nonce, audience, issuer and expiry of the ID token."""
    with makelaar.met_fout(fout):
        antwoord = log_in(portaal, "eh-energie-eva")
    _geweigerd(antwoord, 400, "De inlog van eHerkenning kon niet worden gecontroleerd.")
    assert _sessies(rt) == []


def test_afgebroken_bij_de_makelaar(portaal: TestClient, demo: dict[str, int]) -> None:
    naar_makelaar(portaal)
    antwoord = portaal.get(TERUG, params={"error": "access_denied", "state": "x"})
    _geweigerd(antwoord, 403, "Het inloggen bij eHerkenning is afgebroken")


@pytest.mark.parametrize(
    "volgende",
    ["https://evil.example/portaal/", "//evil.example/portaal/", "/\\evil.example", "javascript:alert(1)"],
)
def test_volgende_is_geen_open_redirect(portaal: TestClient, demo: dict[str, int], volgende: str) -> None:
    antwoord = log_in(portaal, "eh-energie-eva", volgende)
    assert antwoord.status_code == 303
    assert antwoord.headers["location"] == "/portaal/"


# --- configuration -------------------------------------------------------------------------------


def test_discovery_van_een_andere_issuer_wordt_geweigerd(
    portaal_met: Callable[..., TestClient], makelaar: Makelaar, demo: dict[str, int]
) -> None:
    """OIDC Discovery §4.3: the document must name the configured issuer."""
    anders = portaal_met(oidc_issuer=makelaar.issuer.replace("127.0.0.1", "localhost"))
    antwoord = anders.get("/portaal/inloggen/oidc")
    _geweigerd(antwoord, 502, "niet juist ingesteld (de uitgever klopt niet)")


def test_makelaar_onbereikbaar(portaal_met: Callable[..., TestClient], demo: dict[str, int]) -> None:
    anders = portaal_met(oidc_issuer="http://127.0.0.1:9")  # discard port: nobody listens
    _geweigerd(anders.get("/portaal/inloggen/oidc"), 502, "eHerkenning is op dit moment niet bereikbaar")


def test_ontwikkeling_leidt_het_terugkeeradres_af_als_het_niet_is_ingesteld(
    portaal_met: Callable[..., TestClient], makelaar: Makelaar, demo: dict[str, int]
) -> None:
    """docs/configuration.md: KNOOPPUNT_OIDC_REDIRECT_URL is derived in development when unset —
    the callback on the host of the request, under /portaal (the portal is a mounted app: before,
    the start gave a 500 "No route exists for name oidc_terug"). The whole trip works with it, and
    logging out at the broker comes back to /portaal/uitgelogd next to it."""
    anders = portaal_met(oidc_redirect_url="")
    start = anders.get("/portaal/inloggen/oidc", params={"volgende": "/portaal/ontvangen"})
    assert start.status_code == 303, start.text
    parameters = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    assert parameters["redirect_uri"] == TERUG
    with browser() as b:
        terug = bij_makelaar(b, start.headers["location"], "eh-energie-eva")
    assert terug.startswith(TERUG + "?")
    antwoord = anders.get(terug)
    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == "/portaal/ontvangen"
    _ingelogd_als(anders, "Demo Energie BV")
    pagina = anders.get("/portaal/")
    assert anders.post("/portaal/uitloggen", data={"csrf": csrf_van(pagina.text)}).status_code == 200
    naar_eh = anders.get("/portaal/uitloggen/oidc")
    assert naar_eh.status_code == 303
    eind = {k: v[0] for k, v in parse_qs(urlsplit(naar_eh.headers["location"]).query).items()}
    assert eind["post_logout_redirect_uri"] == UITGELOGD


def test_onverwachte_fout_geeft_de_nederlandse_foutpagina_en_een_logregel(
    portaal: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/operations.md "Logs": every line on stderr is one JSON object. An unexpected exception
    in the portal (here forced in the start of the OIDC login) is the portal's Dutch error page
    (500, not Starlette's plain-text "Internal Server Error") and one JSON line `onverwachte fout`
    with path, kind and place — not the exception's message (the portal holds plaintext) — and it
    does not reach the server, which would print a plain-text traceback."""
    configureer()  # JSON lines on this test's captured stderr, as `knooppunt serve` logs
    # Not cached in the modules' loggers: after this test they must follow the defaults again.
    structlog.configure(cache_logger_on_first_use=False)
    # The module's logger may have been cached by an earlier test (a CLI command run in-process
    # configures logging), bound to that test's stderr.
    monkeypatch.setattr(portaal_app, "log", structlog.get_logger("knooppunt.portaal"))
    capsys.readouterr()

    async def kapot(*args: object, **kwargs: object) -> str:
        raise RuntimeError("geheime inhoud 1234")

    monkeypatch.setattr(portaal_oidc.Makelaar, "naar_makelaar", kapot)
    antwoord = portaal.get("/portaal/inloggen/oidc")  # raise_server_exceptions: it would raise here
    assert antwoord.status_code == 500
    assert antwoord.headers["content-type"].startswith("text/html")
    assert "<h1>Er ging iets mis</h1>" in antwoord.text
    assert 'role="alert"' in antwoord.text
    assert "content-security-policy" in antwoord.headers
    fouten = capsys.readouterr().err
    regels = [json.loads(regel) for regel in fouten.splitlines() if regel.strip()]
    onverwacht = [r for r in regels if r["event"] == "onverwachte fout"]
    assert len(onverwacht) == 1, fouten
    assert onverwacht[0]["level"] == "error"
    assert onverwacht[0]["path"] == "/portaal/inloggen/oidc"
    assert onverwacht[0]["fout"] == "builtins.RuntimeError"
    assert onverwacht[0]["waar"][0].startswith("test_oidc.py:")
    assert "geheime inhoud" not in fouten
    assert "Traceback" not in fouten


def test_zonder_oidc_geen_eherkenning_knop(portaal_met: Callable[..., TestClient]) -> None:
    anders = portaal_met(oidc_issuer="")
    assert "Inloggen met eHerkenning" not in anders.get("/portaal/inloggen").text
    assert anders.get("/portaal/inloggen/oidc").status_code == 404


def test_ontwikkeling_staat_http_alleen_naar_deze_machine_toe(rt: Runtime) -> None:
    for issuer in ("http://broker.example", "http://10.0.0.1:8080", "ftp://127.0.0.1"):
        anders = dataclasses.replace(rt, settings=rt.settings.model_copy(update={"oidc_issuer": issuer}))
        with pytest.raises(SettingsError, match="KNOOPPUNT_OIDC_ISSUER"):
            create_app(anders)


# --- logging out ---------------------------------------------------------------------------------


def test_uitloggen_beeindigt_de_sessie_ook_bij_de_makelaar(
    portaal: TestClient, nieuwe_browser: Callable[[], TestClient], demo: dict[str, int], makelaar: Makelaar
) -> None:
    url = naar_makelaar(portaal)
    with browser() as bij_eh:
        assert portaal.get(bij_makelaar(bij_eh, url, "eh-energie-eva")).status_code == 303
        oud = portaal.cookies.get(COOKIE)
        assert oud
        kopie = nieuwe_browser()
        kopie.cookies.set(COOKIE, oud, domain="testserver.local")
        assert kopie.get("/portaal/").status_code == 200  # a copy works while the session lives

        pagina = portaal.get("/portaal/")
        uit = portaal.post("/portaal/uitloggen", data={"csrf": csrf_van(pagina.text)})
        assert uit.status_code == 200
        assert "Ook uitloggen bij eHerkenning" in uit.text

        # The old cookie no longer works, not even in another browser.
        kopie = nieuwe_browser()
        kopie.cookies.set(COOKIE, oud, domain="testserver.local")
        assert kopie.get("/portaal/").status_code == 303
        assert portaal.get("/portaal/").status_code == 303

        # RP-initiated logout at the broker, and back.
        naar_eh = portaal.get("/portaal/uitloggen/oidc")
        assert naar_eh.status_code == 303
        eind = naar_eh.headers["location"]
        parameters = {k: v[0] for k, v in parse_qs(urlsplit(eind).query).items()}
        assert eind.startswith(makelaar.issuer + "/session/end?")
        assert parameters["client_id"] == makelaar.client_id
        assert parameters["post_logout_redirect_uri"] == UITGELOGD
        bevestig = bij_eh.get(eind)
        assert bevestig.status_code == 200
        xsrf = csrf_xsrf(bevestig.text)
        klaar = bij_eh.post(makelaar.issuer + "/session/end/confirm", data={"xsrf": xsrf, "logout": "yes"})
        assert klaar.status_code == 303, klaar.text
        assert klaar.headers["location"].startswith(UITGELOGD + "?")
        terug = portaal.get(klaar.headers["location"])
        assert terug.status_code == 200
        assert "U bent ook bij eHerkenning uitgelogd." in terug.text

        # The broker asks for the login again (no single sign-on left in this browser).
        opnieuw = naar_makelaar(portaal)
        assert "/interaction/" in bij_eh.get(opnieuw).headers["location"]


def csrf_xsrf(html: str) -> str:
    """The anti-CSRF token of the broker's logout confirmation form."""
    gevonden = re.search(r'name="xsrf" value="([^"]+)"', html)
    assert gevonden, html
    return gevonden.group(1)


def test_uitloggen_bij_makelaar_alleen_direct_na_uitloggen(portaal: TestClient) -> None:
    """Another site cannot send a user to the broker's logout through the portal."""
    antwoord = portaal.get("/portaal/uitloggen/oidc")
    assert antwoord.status_code == 303
    assert antwoord.headers["location"] == "/portaal/uitgelogd"


def test_ontwikkel_login_biedt_geen_uitloggen_bij_de_makelaar(
    portaal: TestClient, demo: dict[str, int]
) -> None:
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/")
    uit = portaal.post("/portaal/uitloggen", data={"csrf": csrf_van(pagina.text)})
    assert uit.status_code == 200
    assert "Ook uitloggen bij eHerkenning" not in uit.text


# --- production ----------------------------------------------------------------------------------

HOOFDSLEUTEL = "prod-1:" + base64.b64encode(bytes(range(32))).decode()
PRODUCTIE_OIDC = {
    "oidc_issuer": "https://makelaar.example",
    "oidc_client_id": "knooppunt",
    "oidc_client_secret": "geheim",
    "oidc_redirect_url": "https://knooppunt.example/portaal/inloggen/oidc/terug",
    "oidc_cookie_sleutel": "x" * 32,
}


@pytest.fixture
def productie(rt: Runtime, pki_dir: Path) -> Callable[..., Runtime]:
    """productie(**settings) -> this test's runtime with production settings (validated as
    Settings(); the database and trust anchors of the test)."""

    def maak(**extra: Any) -> Runtime:
        settings = Settings(
            env="production",  # type: ignore[arg-type]
            database_url=rt.settings.database_url,
            data_dir=rt.settings.data_dir,
            trust_anchors=[pki_dir / "ca.pem"],
            portaal_hoofdsleutels=HOOFDSLEUTEL,  # type: ignore[arg-type]
            **extra,
        )
        return dataclasses.replace(rt, settings=settings)

    return maak


def test_productie_zonder_oidc_start_het_portaal_niet(productie: Callable[..., Runtime]) -> None:
    """The portal has no other login in production: the start stops with what to set."""
    with pytest.raises(SettingsError) as fout:
        create_app(productie())
    for naam in (
        "KNOOPPUNT_OIDC_ISSUER",
        "KNOOPPUNT_OIDC_CLIENT_ID",
        "KNOOPPUNT_OIDC_CLIENT_SECRET",
        "KNOOPPUNT_OIDC_REDIRECT_URL",
        "KNOOPPUNT_OIDC_COOKIE_SLEUTEL",
        "KNOOPPUNT_PORTAAL_ACTIEF=false",
    ):
        assert naam in str(fout.value)
    # Without the portal the hub starts.
    create_app(productie(portaal_actief=False))


def test_serve_in_productie_zonder_oidc_stopt_met_uitleg(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator sees what to set when `knooppunt serve` starts, also with --workers (where the
    app is built in the worker processes)."""
    monkeypatch.setenv("KNOOPPUNT_ENV", "production")
    monkeypatch.setenv("KNOOPPUNT_PORTAAL_HOOFDSLEUTELS", HOOFDSLEUTEL)
    uit = cli("serve", "--workers", "2")
    assert uit.exit_code == 2
    assert "configuratiefout" in uit.output
    assert "KNOOPPUNT_OIDC_ISSUER" in uit.output


def test_workers_krijgen_de_geheimen_zelf_en_niet_sterretjes() -> None:
    """`serve --workers` hands the settings to its workers pickled (in the factory); a JSON dump
    would mask every secret as "**********"."""
    settings = Settings(**PRODUCTIE_OIDC, portaal_hoofdsleutels=HOOFDSLEUTEL)  # type: ignore[arg-type]
    in_worker = pickle.loads(pickle.dumps(Fabriek.van(settings, []))).settings
    assert in_worker.oidc_client_secret.get_secret_value() == "geheim"
    assert in_worker.oidc_cookie_sleutel.get_secret_value() == "x" * 32
    assert in_worker.portaal_hoofdsleutels.get_secret_value() == HOOFDSLEUTEL


@pytest.mark.parametrize(
    ("overschrijf", "melding"),
    [
        ({"oidc_issuer": "http://127.0.0.1:8080"}, "KNOOPPUNT_OIDC_ISSUER"),
        ({"oidc_redirect_url": "http://knooppunt.example/terug"}, "KNOOPPUNT_OIDC_REDIRECT_URL"),
        ({"oidc_cookie_sleutel": "kort"}, "KNOOPPUNT_OIDC_COOKIE_SLEUTEL is te kort"),
        ({"oidc_scopes": "profile"}, "openid"),
    ],
)
def test_productie_eist_https_en_een_sterke_cookiesleutel(
    productie: Callable[..., Runtime], overschrijf: dict[str, str], melding: str
) -> None:
    with pytest.raises(SettingsError, match=melding):
        create_app(productie(**{**PRODUCTIE_OIDC, **overschrijf}))


def test_productie_heeft_geen_ontwikkel_login(
    productie: Callable[..., Runtime], demo: dict[str, int]
) -> None:
    """DESIGN §5: the development login exists only when KNOOPPUNT_ENV=development."""
    with TestClient(
        create_app(productie(**PRODUCTIE_OIDC)), base_url=PORTAAL, follow_redirects=False
    ) as client:
        pagina = client.get("/portaal/inloggen")
        assert pagina.status_code == 200
        assert "Inloggen met eHerkenning" in pagina.text
        assert "Ontwikkel-login" not in pagina.text
        assert "ontwikkeling" not in pagina.text.lower()
        csrf = client.cookies.get(LOGIN_CSRF_COOKIE)
        assert csrf
        for pad, data in (
            ("/portaal/inloggen/ontwikkeling", {"wie": oin_van("energie"), "naam": "Indringer"}),
            ("/portaal/inloggen/ontwikkeling", {"wie": "beheer"}),
            ("/portaal/inloggen/demo", {}),
        ):
            antwoord = client.post(pad, data={"csrf": csrf, **data})
            assert antwoord.status_code == 404, (pad, antwoord.text)
            assert COOKIE not in antwoord.headers.get("set-cookie", "")


# --- the level claim -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("waarde", "niveau"),
    [
        ("urn:etoegang:core:assurance-class:loa2", Niveau.EH2),
        ("urn:etoegang:core:assurance-class:loa2plus", Niveau.EH2_PLUS),
        ("urn:etoegang:core:assurance-class:loa3", Niveau.EH3),
        ("urn:etoegang:core:assurance-class:loa4", Niveau.EH4),
        ("http://eidas.europa.eu/LoA/low", Niveau.EH2_PLUS),
        ("http://eidas.europa.eu/LoA/substantial", Niveau.EH3),
        ("http://eidas.europa.eu/LoA/high", Niveau.EH4),
        ("EH3", Niveau.EH3),
        ("eh2+", Niveau.EH2_PLUS),
        ("3", Niveau.EH3),
        (4, Niveau.EH4),
        (["urn:etoegang:core:assurance-class:loa4", "loa3"], Niveau.EH3),  # the lowest counts
        ("urn:etoegang:core:assurance-class:loa5", None),
        ("loa3plus", None),
        ("substantieel-ish", None),
        (True, None),
        (None, None),
        ([], None),
    ],
)
def test_lees_niveau(waarde: object, niveau: Niveau | None) -> None:
    assert lees_niveau(waarde) == niveau


@pytest.mark.parametrize(
    ("claims", "reden"),
    [
        ({"sub": "dev:iemand"}, "geen_sub"),  # would look like a development login in the audit log
        ({"sub": ""}, "geen_sub"),
        ({"sub": "a", KVK_CLAIM: ["50123456", "50200097"]}, "meerdere_kvk"),
        ({"sub": "a", KVK_CLAIM: "5012345X"}, "kvk_ongeldig"),
        ({"sub": "a", KVK_CLAIM: "50123456", VESTIGING_CLAIM: "12-34"}, "vestiging_ongeldig"),
    ],
)
def test_onbruikbare_claims(claims: dict[str, Any], reden: str) -> None:
    with pytest.raises(Weigering) as weigering:
        lees_inlog(claims, Settings())
    assert weigering.value.reden == reden


def test_getallen_in_claims_houden_hun_voorloopnullen() -> None:
    """A broker that sends numbers in JSON loses leading zeros; the portal restores them."""
    inlog = lees_inlog({"sub": "a", KVK_CLAIM: 1234567, VESTIGING_CLAIM: 12345678}, Settings())
    assert (inlog.kvk, inlog.vestiging) == ("01234567", "000012345678")
