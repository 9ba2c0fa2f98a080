"""The portal's foundations: login sessions, CSRF, idle timeout, logout, security headers, the
development login only in development, key custody, and the new-messages indicator (art. 16.1)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.config import Settings, SettingsError
from knooppunt.portaal.demo import DEELNEMERS
from knooppunt.portaal.gastclient import Gastclient, GeenSleutel, herversleutel
from knooppunt.portaal.kluis import Kluis, KluisFout, Versleuteld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, PortaalSessie, PortaalSleutel
from tests.portaal.conftest import csrf_van, inloggen, oin_van, productie_runtime


def test_not_logged_in_goes_to_login_and_back(portaal: TestClient) -> None:
    antwoord = portaal.get("/portaal/")
    assert antwoord.status_code == 303
    assert antwoord.headers["location"] == "/portaal/inloggen?volgende=/portaal/"


def test_browser_opening_the_root_is_sent_to_the_portal(portaal: TestClient) -> None:
    assert portaal.get("/", headers={"accept": "text/html"}).headers["location"] == "/portaal/"
    assert portaal.get("/", headers={"accept": "application/json"}).json()["portaal"] == "/portaal/"


def test_development_login_as_a_creditor_shows_its_organisation(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "energie", naam="Els de Schuldeiser")
    pagina = portaal.get("/portaal/")
    assert pagina.status_code == 200
    assert "Demo Energie BV" in pagina.text
    assert "Els de Schuldeiser" in pagina.text


def test_session_cookie_is_secure_httponly_samesite_and_host_prefixed(rt: Runtime, demo: object) -> None:
    with TestClient(create_app(rt), base_url="https://testserver", follow_redirects=False) as client:
        pagina = client.get("/portaal/inloggen")
        antwoord = client.post(
            "/portaal/inloggen/ontwikkeling",
            data={"csrf": csrf_van(pagina.text), "wie": oin_van("energie"), "naam": "X"},
        )
    cookie = antwoord.headers["set-cookie"]
    assert cookie.startswith("__Host-knooppunt-sessie=")
    for deel in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax"):
        assert deel in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with transactie(rt.sessions) as session:
        hashes = list(session.scalars(select(PortaalSessie.token_hash)))
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes  # only the hash is stored


def test_post_without_csrf_token_is_refused(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "energie")
    antwoord = portaal.post("/portaal/uitloggen", data={"csrf": "verkeerd"})
    assert antwoord.status_code == 403
    assert "CSRF" in antwoord.text
    assert portaal.get("/portaal/").status_code == 200  # still logged in


def test_login_form_without_csrf_token_is_refused(portaal: TestClient, demo: object) -> None:
    portaal.get("/portaal/inloggen")
    antwoord = portaal.post("/portaal/inloggen/ontwikkeling", data={"wie": oin_van("energie")})
    assert antwoord.status_code == 403


def test_logout_ends_the_session_and_the_old_cookie_is_useless(
    portaal: TestClient, nieuwe_browser: object, demo: object
) -> None:
    inloggen(portaal, "gemeente")
    cookie = portaal.cookies.get("__Host-knooppunt-sessie")
    assert cookie
    kop = {"cookie": f"__Host-knooppunt-sessie={cookie}"}
    ander = nieuwe_browser()  # type: ignore[operator]
    assert ander.get("/portaal/", headers=kop).status_code == 200  # a copy works while logged in
    pagina = portaal.get("/portaal/")
    antwoord = portaal.post("/portaal/uitloggen", data={"csrf": csrf_van(pagina.text)})
    assert antwoord.status_code == 200
    assert "U bent uitgelogd" in antwoord.text
    assert "Max-Age=0" in antwoord.headers["set-cookie"]
    assert ander.get("/portaal/", headers=kop).status_code == 303  # and no longer after logout


def test_idle_session_expires(portaal: TestClient, rt: Runtime, demo: object) -> None:
    inloggen(portaal, "energie")
    assert portaal.get("/portaal/").status_code == 200
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        session.execute(
            update(PortaalSessie).values(
                laatst_actief_op=nu - timedelta(minutes=rt.settings.portaal_inactief_minuten + 1)
            )
        )
    antwoord = portaal.get("/portaal/")
    assert antwoord.status_code == 303
    assert "/portaal/inloggen" in antwoord.headers["location"]
    with transactie(rt.sessions) as session:
        assert session.scalars(select(PortaalSessie)).first() is None
    # The login page says why, by a code of the portal's own.
    assert antwoord.headers["location"].endswith("&fout=sessie-verlopen")
    assert "Uw sessie is verlopen" in portaal.get(antwoord.headers["location"]).text


def test_login_page_shows_only_its_own_messages_never_text_from_the_link(portaal: TestClient) -> None:
    """?fout= in a link to the real portal must not let anyone put words on the hub's login page
    (phishing: "call this number", "log in at this address")."""
    lokaas = "Uw account is geblokkeerd. Bel 0900-1234567 of log in op https://knooppunt-hulp.example"
    pagina = portaal.get("/portaal/inloggen", params={"fout": lokaas})
    assert pagina.status_code == 200
    assert "0900-1234567" not in pagina.text and "knooppunt-hulp" not in pagina.text
    assert 'class="melding fout"' not in pagina.text
    # A known code shows its fixed text.
    bekend = portaal.get("/portaal/inloggen", params={"fout": "eherkenning-niet-ingesteld"})
    assert "Inloggen met eHerkenning is op dit knooppunt niet ingesteld" in bekend.text


def test_login_and_logout_are_in_the_audit_log(portaal: TestClient, rt: Runtime, demo: object) -> None:
    inloggen(portaal, "energie", naam="Els")
    pagina = portaal.get("/portaal/")
    portaal.post("/portaal/uitloggen", data={"csrf": csrf_van(pagina.text)})
    with transactie(rt.sessions) as session:
        regels = session.scalars(
            select(Auditregel).where(Auditregel.actie.in_(["ingelogd", "uitgelogd"]))
        ).all()
    assert [(r.actie, r.actor, r.deelnemer) for r in regels] == [
        ("ingelogd", "portaal:dev:Els", oin_van("energie")),
        ("uitgelogd", "portaal:dev:Els", oin_van("energie")),
    ]


def test_security_headers_on_portal_pages(portaal: TestClient) -> None:
    antwoord = portaal.get("/portaal/inloggen")
    assert "default-src 'self'" in antwoord.headers["content-security-policy"]
    assert antwoord.headers["x-frame-options"] == "DENY"
    assert antwoord.headers["cache-control"] == "no-store"


def test_open_redirect_after_login_is_ignored(portaal: TestClient, demo: object) -> None:
    pagina = portaal.get("/portaal/inloggen")
    antwoord = portaal.post(
        "/portaal/inloggen/ontwikkeling",
        data={"csrf": csrf_van(pagina.text), "wie": oin_van("energie"), "volgende": "https://evil.example/"},
    )
    assert antwoord.headers["location"] == "/portaal/"


def test_development_login_does_not_exist_in_production(rt: Runtime, demo: object) -> None:
    # Production refuses to start the portal without its eHerkenning login (tests/portaal/test_oidc.py).
    productie_rt = productie_runtime(rt)
    kluis = Kluis.uit_tekst("p1:" + base64.b64encode(os.urandom(32)).decode())
    from knooppunt.portaal.app import create_portaal_app

    with TestClient(create_portaal_app(productie_rt, kluis=kluis), base_url="https://testserver") as client:
        pagina = client.get("/inloggen")
        assert "Ontwikkel-login" not in pagina.text
        antwoord = client.post(
            "/inloggen/ontwikkeling",
            data={"csrf": csrf_van(pagina.text) if "csrf" in pagina.text else "", "wie": "beheer"},
        )
        assert antwoord.status_code in (403, 404)
        assert client.post("/inloggen/demo", data={}).status_code in (403, 404)


def test_16_1_creditor_sees_counts_per_type_of_new_messages(portaal: TestClient, demo: object) -> None:
    """Art. 16.1: the creditor sees that there are new messages, per type."""
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/").text
    assert "Er zijn 6 nieuwe berichten" in pagina
    assert "Klant gemeld voor SHV" in pagina and "Saldoverzoek nuts" in pagina
    assert 'aria-label="6 nieuwe berichten"' in pagina  # the indicator in the menu, on every page


def test_16_1_downloaded_messages_are_no_longer_new(
    portaal: TestClient, rt: Runtime, kluis: Kluis, demo: object
) -> None:
    Gastclient(rt, kluis, oin_van("energie"), wie="test").haal_op(waarvoor="test")
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/").text
    assert "Er zijn geen nieuwe berichten" in pagina
    assert "6 onbevestigde berichten" in pagina


# --- key custody (DESIGN §5) -----------------------------------------------------------------------


def test_hosted_keys_are_encrypted_at_rest_and_bound_to_oin_and_kid(
    rt: Runtime, kluis: Kluis, demo: object
) -> None:
    with transactie(rt.sessions) as session:
        rijen = session.scalars(select(PortaalSleutel)).all()
    assert len(rijen) == len(DEELNEMERS)
    rij = rijen[0]
    assert b"PRIVATE KEY" not in rij.versleuteld
    pem = kluis.ontsleutel(rij.oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld))
    assert b"PRIVATE KEY" in pem
    ander = rijen[1]
    with pytest.raises(KluisFout):  # moved to another participant: does not decrypt
        kluis.ontsleutel(ander.oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld))


def test_every_key_decryption_is_audited(rt: Runtime, kluis: Kluis, demo: object) -> None:
    with transactie(rt.sessions) as session:
        voor = session.query(Auditregel).filter(Auditregel.actie == "sleutel_gebruikt").count()
    Gastclient(rt, kluis, oin_van("energie"), wie="portaal:dev:Els").haal_op(waarvoor="download")
    with transactie(rt.sessions) as session:
        regels = session.scalars(
            select(Auditregel).where(Auditregel.actie == "sleutel_gebruikt").order_by(Auditregel.id)
        ).all()
    assert len(regels) == voor + 1
    assert (regels[-1].actor, regels[-1].deelnemer, regels[-1].uitkomst) == (
        "portaal:dev:Els",
        oin_van("energie"),
        "download",
    )


def test_master_key_rotation_reencrypts_every_key(rt: Runtime, kluis: Kluis, demo: object) -> None:
    oud = rt.settings.data_dir / "portaal-hoofdsleutel"
    nieuwe = "nieuw-2:" + base64.b64encode(os.urandom(32)).decode()
    geroteerd = Kluis.uit_tekst(nieuwe + "," + oud.read_text().strip())
    with transactie(rt.sessions) as session:
        assert herversleutel(session, geroteerd, wie="beheer:test", nu=db_nu(session)) == len(DEELNEMERS)
    alleen_nieuw = Kluis.uit_tekst(nieuwe)
    ontvangen = Gastclient(rt, alleen_nieuw, oin_van("energie"), wie="test").haal_op(waarvoor="test")
    assert ontvangen and all(o.payload is not None for o in ontvangen)
    with pytest.raises(GeenSleutel, match=r"niet te ontsleutelen|niet geconfigureerd"):
        Gastclient(rt, kluis, oin_van("energie"), wie="test").haal_op(waarvoor="test")


@pytest.mark.parametrize(
    ("tekst", "melding"),
    [
        ("zonder-dubbele-punt", "id:base64"),
        ("a:niet-base64!", "base64"),
        ("a:" + base64.b64encode(b"kort").decode(), "32 bytes"),
        ("met spatie:" + base64.b64encode(bytes(range(32))).decode(), "mag alleen"),
    ],
)
def test_bad_master_key_settings_say_what_is_wrong(tekst: str, melding: str) -> None:
    with pytest.raises(SettingsError, match=melding):
        Kluis.uit_tekst(tekst)


def test_production_needs_a_configured_master_key(tmp_path: Path) -> None:
    settings = Settings(
        env="production",  # type: ignore[arg-type]
        database_url="postgresql://x@localhost/x",
        trust_anchors=[tmp_path / "ca.pem"],
        data_dir=tmp_path,
    )
    with pytest.raises(SettingsError, match="KNOOPPUNT_PORTAAL_HOOFDSLEUTELS") as aan:
        Kluis.uit_instellingen(settings)
    assert "KNOOPPUNT_PORTAAL_ACTIEF=false" in str(aan.value)
    # With the portal off, a `knooppunt portaal …` command still needs the kluis: it is not told to
    # switch off what is off (an operator probe).
    with pytest.raises(SettingsError, match="nodig voor dit commando") as uit:
        Kluis.uit_instellingen(settings.model_copy(update={"portaal_actief": False}))
    assert "KNOOPPUNT_PORTAAL_ACTIEF" not in str(uit.value)


def test_development_master_key_file_is_private(rt: Runtime, kluis: Kluis) -> None:
    pad = rt.settings.data_dir / "portaal-hoofdsleutel"
    assert pad.stat().st_mode & 0o777 == 0o600


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_portaal_demo_seeds_participants_and_messages(
    cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    uitkomst = cli("portaal", "demo")  # type: ignore[operator]
    assert uitkomst.exit_code == 0, uitkomst.output
    assert f"{len(DEELNEMERS)} nieuwe deelnemers" in uitkomst.output
    # It cannot know the hub's port: it says where the portal is on it, and make run's address.
    assert (
        "log in op /portaal/ van het knooppunt (bij `make run`: https://localhost:8443/portaal/"
        in uitkomst.output
    )
    monkeypatch.setenv("KNOOPPUNT_PORTAAL_URL", "https://localhost:9443/portaal/")
    again = cli("portaal", "demo")  # type: ignore[operator]
    # Loading again sends nothing twice: every demo message has a fixed number (like the browser demo).
    assert "demo: 0 nieuwe deelnemers, 0 berichten verstuurd" in again.output
    eerste = re.search(r"(\d+) berichten verstuurd", uitkomst.output)
    assert eerste is not None and int(eerste.group(1)) > 0
    assert f"{eerste.group(1)} demoberichten waren al verstuurd" in again.output
    assert "niets is dubbel verstuurd" in again.output
    assert "al verstuurd" not in uitkomst.output
    assert "log in op https://localhost:9443/portaal/ met de ontwikkel-login" in again.output


def test_an_upload_over_the_request_limit_gets_a_dutch_page(portaal: TestClient, demo: object) -> None:
    from knooppunt.portaal.app import MAX_UPLOAD_VERZOEK

    inloggen(portaal, "energie")
    antwoord = portaal.post(
        "/portaal/upload",
        content=b"x" * 16,
        headers={
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(MAX_UPLOAD_VERZOEK + 1),
        },
    )
    assert antwoord.status_code == 413
    assert antwoord.headers["content-type"].startswith("text/html")
    assert "Er is niets verwerkt" in antwoord.text


def test_an_unreachable_database_gets_a_dutch_page_that_says_repeating_is_safe(settings: Settings) -> None:
    """Not a bare "Internal Server Error", and never "nothing was stored": the database may have
    committed before the connection broke; the same form or upload again sends nothing twice."""
    weg = Settings(
        env="development",  # type: ignore[arg-type]
        data_dir=settings.data_dir,
        database_url="postgresql://postgres@127.0.0.1:1/nergens",
        trust_anchors=settings.trust_anchors,
    )
    rt = runtime_mod.bouw(weg, upgrade=False)
    try:
        with TestClient(create_app(rt), base_url="https://testserver", follow_redirects=False) as client:
            antwoord = client.get("/portaal/inloggen")
        assert antwoord.status_code == 503
        assert antwoord.headers["content-type"].startswith("text/html")
        assert antwoord.headers["retry-after"] == "2"
        assert "Tijdelijk niet beschikbaar" in antwoord.text
        assert "Hetzelfde formulier of dezelfde upload nog eens versturen is veilig" in antwoord.text
        assert "niets opgeslagen" not in antwoord.text
    finally:
        rt.close()


def test_een_halve_of_verkeerde_portaal_ca_wordt_bij_de_start_genoemd(tmp_path: Path) -> None:
    """A portal CA certificate without its key (or the other way round), or a key of another CA,
    started without complaint (independent operations probe); the portal then could not certify
    browser keys. `knooppunt serve` checks it first and names what to set."""
    from knooppunt.pki import ontwikkel_ca
    from knooppunt.portaal.app import controleer_instellingen

    ontwikkel_ca.init(tmp_path / "a")
    ontwikkel_ca.init(tmp_path / "b")
    cert_a, key_a = ontwikkel_ca.ca_paden(tmp_path / "a")
    _, key_b = ontwikkel_ca.ca_paden(tmp_path / "b")
    basis = {"env": "development", "data_dir": tmp_path / "data"}
    with pytest.raises(
        SettingsError,
        match="KNOOPPUNT_PORTAAL_CA_CERTIFICAAT is gezet maar KNOOPPUNT_PORTAAL_CA_SLEUTEL niet",
    ):
        controleer_instellingen(Settings(**basis, portaal_ca_certificaat=cert_a))  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="KNOOPPUNT_PORTAAL_CA_SLEUTEL is gezet maar"):
        controleer_instellingen(Settings(**basis, portaal_ca_sleutel=key_a))  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="is niet de sleutel van KNOOPPUNT_PORTAAL_CA_CERTIFICAAT"):
        controleer_instellingen(Settings(**basis, portaal_ca_certificaat=cert_a, portaal_ca_sleutel=key_b))  # type: ignore[arg-type]
    controleer_instellingen(Settings(**basis, portaal_ca_certificaat=cert_a, portaal_ca_sleutel=key_a))  # type: ignore[arg-type]


def test_demo_knop_tweede_keer_niets_dubbel(portaal: TestClient, demo: object) -> None:
    """The login page's "Demogegevens laden" after the demo is loaded: the page says what the CLI
    says — the messages were sent before and nothing is sent twice (newcomer probe)."""
    csrf = csrf_van(portaal.get("/portaal/inloggen").text)
    antwoord = portaal.post("/portaal/inloggen/demo", data={"csrf": csrf})
    assert antwoord.status_code == 303, antwoord.text
    tekst = portaal.get(antwoord.headers["location"]).text
    assert "Demogegevens geladen." in tekst
    assert "demoberichten waren al verstuurd bij een eerdere keer laden; niets is dubbel verstuurd" in tekst
