"""Notification settings in the portal ("Notificaties", DESIGN §2, §6, §7), for both roles, through
the same hub service as ``knooppunt deelnemer notificaties``; errors in Dutch per field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.hub import notificaties
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Auditregel
from tests.portaal.conftest import csrf_van, formulier, inloggen, oin_van

# Literal public addresses: the check needs no DNS.
WEBHOOK = "https://93.184.216.34/knooppunt/meldingen"


def _instellingen(rt: Runtime, wie: str) -> dict[str, object]:
    with transactie(rt.sessions) as session:
        return notificaties.weergave(oin_van(wie), notificaties.haal(session, oin_van(wie)))


def _bewaar(client: TestClient, **velden: str) -> Any:
    csrf, _ = formulier(client, "/portaal/instellingen")
    data = {"csrf": csrf, "modus": "uit", "digest_uur": "8", "emailadressen": "", "webhook": ""} | velden
    return client.post("/portaal/instellingen", data=data)


@pytest.mark.parametrize("wie", ["gemeente", "energie"])
def test_instellingen_bewaren(portaal: TestClient, demo: dict[str, int], rt: Runtime, wie: str) -> None:
    inloggen(portaal, wie)
    pagina = portaal.get("/portaal/instellingen")
    assert pagina.status_code == 200
    assert 'id="modus-uit" name="modus" value="uit" checked' in pagina.text
    antwoord = _bewaar(
        portaal,
        modus="dagelijks",
        digest_uur="7",
        emailadressen="schuldhulp@demodorp.example.nl\n  Team.Financien@Demodorp.example.nl ",
    )
    assert antwoord.status_code == 200
    assert "Uw instellingen zijn bewaard." in antwoord.text
    opgeslagen = _instellingen(rt, wie)
    assert opgeslagen["modus"] == "dagelijks"
    assert opgeslagen["digestUur"] == 7
    assert opgeslagen["emailadressen"] == [
        "schuldhulp@demodorp.example.nl",
        "Team.Financien@demodorp.example.nl",
    ]
    opnieuw = portaal.get("/portaal/instellingen").text
    assert 'value="7" selected' in opnieuw
    assert "Team.Financien@demodorp.example.nl" in opnieuw
    # DESIGN §5: the change is in the audit log, by the portal user, naming no address.
    with transactie(rt.sessions) as session:
        regels = session.scalars(
            select(Auditregel).where(
                Auditregel.actie == "notificaties_gewijzigd", Auditregel.deelnemer == oin_van(wie)
            )
        ).all()
    assert [r.actor.startswith("portaal:") for r in regels] == [True]
    assert "demodorp" not in (regels[0].uitkomst or "")


def test_fouten_per_veld_in_het_nederlands(portaal: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    inloggen(portaal, "gemeente")
    antwoord = _bewaar(
        portaal, modus="direct", digest_uur="25", emailadressen="geen-adres\nok@demodorp.example.nl"
    )
    tekst = antwoord.text
    assert antwoord.status_code == 400
    assert 'role="alert"' in tekst
    assert (
        '<a href="#emailadressen">E-mailadressen: &#39;geen-adres&#39; is geen geldig e-mailadres.' in tekst
    )
    assert (
        '<a href="#digest_uur">Tijdstip van het dagoverzicht: Kies een uur van 0 tot en met 23.</a>' in tekst
    )
    assert 'aria-describedby="emailadressen-hint emailadressen-fout" aria-invalid="true"' in tekst
    assert "geen-adres\nok@demodorp.example.nl</textarea>" in tekst  # what was typed is kept
    assert _instellingen(rt, "gemeente")["modus"] == "uit"  # nothing saved

    zonder_kanaal = _bewaar(portaal, modus="direct").text
    assert "Voor ‘direct’ is een e-mailadres of een webhook nodig" in zonder_kanaal
    assert 'href="#modus"' in zonder_kanaal

    te_veel = "\n".join(f"a{i}@demodorp.example.nl" for i in range(11))
    assert "ten hoogste 10" in _bewaar(portaal, emailadressen=te_veel).text


def test_webhook_met_geheim_dat_een_keer_wordt_getoond(
    portaal: TestClient, demo: dict[str, int], rt: Runtime
) -> None:
    inloggen(portaal, "energie")
    antwoord = _bewaar(portaal, modus="direct", webhook=WEBHOOK)
    tekst = antwoord.text
    assert antwoord.status_code == 200, tekst
    geheim = re.search(r'<code class="geheim">([^<]+)</code>', tekst)
    assert geheim is not None
    with transactie(rt.sessions) as session:
        rij = notificaties.haal(session, oin_van("energie"))
        assert rij is not None and rij.webhook_geheim == geheim.group(1)
    assert geheim.group(1) not in portaal.get("/portaal/instellingen").text  # shown once

    # Saving again with the same URL keeps the secret; asking for a new one replaces it.
    _bewaar(portaal, modus="direct", webhook=WEBHOOK)
    assert _geheim(rt) == geheim.group(1)
    nieuw = _bewaar(portaal, modus="direct", webhook=WEBHOOK, nieuw_geheim="1")
    assert _geheim(rt) != geheim.group(1)
    assert _geheim(rt) in nieuw.text
    # Emptying the field removes the webhook.
    _bewaar(portaal, modus="uit", webhook="")
    assert _instellingen(rt, "energie")["webhook"] is None


def test_alle_fouten_tegelijk_elk_bij_zijn_veld(
    portaal: TestClient, demo: dict[str, int], rt: Runtime
) -> None:
    """#14 item 4: every field is checked at once — also the webhook, which the hub used to judge
    only after everything else was right — and every error is shown beside its field and in the
    summary at the top, in the order of the page."""
    inloggen(portaal, "gemeente")
    antwoord = _bewaar(
        portaal,
        modus="dagelijks",
        digest_uur="25",
        emailadressen="geen-adres",
        webhook="http://93.184.216.34/x",
    )
    assert antwoord.status_code == 400
    tekst = antwoord.text
    samenvatting = tekst.split('id="foutsamenvatting"')[1].split("</div>")[0]
    assert "Er zijn 3 fouten in het formulier" in samenvatting
    links = re.findall(r'<a href="#([a-z_]+)">', samenvatting)
    assert links == ["digest_uur", "emailadressen", "webhook"]
    for veld in ("digest_uur", "emailadressen", "webhook"):
        assert f'<span class="veldfout" id="{veld}-fout">' in tekst  # beside its own field
        assert f'aria-describedby="{veld}-hint {veld}-fout" aria-invalid="true"' in tekst
    assert "De webhook-URL moet met https:// beginnen" in tekst
    assert _instellingen(rt, "gemeente")["modus"] == "uit"  # nothing saved

    # And each error goes away on its own once its field is right.
    twee = _bewaar(
        portaal,
        modus="dagelijks",
        digest_uur="7",
        emailadressen="geen-adres",
        webhook="http://93.184.216.34/x",
    )
    assert "Er zijn 2 fouten in het formulier" in twee.text and "digest_uur-fout" not in twee.text


def test_notificaties_heten_anders_dan_meldingen_van_het_knooppunt(
    portaal: TestClient, demo: dict[str, int]
) -> None:
    """#14 item 4: "Meldingen" meant both the notification settings and the hub's notices; the
    settings are "Notificaties" now, the notices stay "Meldingen van het knooppunt"."""
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/instellingen").text
    assert "<title>Notificaties — Knooppunt</title>" in pagina and "<h1>Notificaties</h1>" in pagina
    inhoud = pagina.split("<main")[1].split("</main>")[0]
    assert "Meldingen</" not in inhoud and "Laatste notificaties" in inhoud
    assert "meldingen van het knooppunt" in inhoud  # says where those are
    assert "Meldingen van het knooppunt" in portaal.get("/portaal/ontvangen").text


def _geheim(rt: Runtime) -> str | None:
    with transactie(rt.sessions) as session:
        rij = notificaties.haal(session, oin_van("energie"))
        return rij.webhook_geheim if rij is not None else None


@pytest.mark.parametrize(
    ("url", "reden"),
    [
        ("http://93.184.216.34/hook", "moet met https:// beginnen"),
        ("https://10.1.2.3/hook", "geen openbaar internetadres"),
        ("https://gebruiker:wachtwoord@93.184.216.34/hook", "geen gebruikersnaam of wachtwoord"),
    ],
)
def test_ongeldige_webhook(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, url: str, reden: str
) -> None:
    inloggen(portaal, "gemeente")
    antwoord = _bewaar(portaal, modus="direct", webhook=url)
    tekst = antwoord.text
    assert antwoord.status_code == 400
    assert (
        'href="#webhook">Webhook-URL: De webhook-URL' in tekst
        or 'href="#webhook">Webhook-URL: De host' in tekst
    )
    assert reden in tekst
    assert f'value="{url}"' in tekst
    assert _instellingen(rt, "gemeente")["webhook"] is None


def test_ongeldige_webhook_op_deze_machine_noemt_in_ontwikkeling_de_instelling(
    portaal: TestClient, demo: dict[str, int], rt: Runtime
) -> None:
    """A developer trying webhooks points one at a receiver on this machine: in development the page
    names the setting that allows it (as ``knooppunt deelnemer notificaties`` does); for a private
    address the setting would not help, so it is not named."""
    assert rt.settings.is_development and not rt.settings.lokale_webhooks
    inloggen(portaal, "gemeente")
    antwoord = _bewaar(portaal, modus="direct", webhook="http://127.0.0.1:9000/hook")
    assert antwoord.status_code == 400
    assert "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN=true" in antwoord.text
    antwoord = _bewaar(portaal, modus="direct", webhook="https://10.1.2.3/hook")
    assert antwoord.status_code == 400
    assert "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN" not in antwoord.text
    assert _instellingen(rt, "gemeente")["webhook"] is None


def test_alleen_de_eigen_instellingen(portaal: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    inloggen(portaal, "gemeente")
    _bewaar(portaal, modus="direct", emailadressen="geheim-adres@demodorp.example.nl")
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/instellingen")
    assert "geheim-adres@demodorp.example.nl" not in pagina.text
    _bewaar(portaal, modus="uit")
    assert _instellingen(rt, "gemeente")["emailadressen"] == ["geheim-adres@demodorp.example.nl"]


def test_beheerder_en_bezoeker(portaal: TestClient, demo: dict[str, int]) -> None:
    zonder = portaal.get("/portaal/instellingen")
    assert zonder.status_code == 303 and "/portaal/inloggen" in zonder.headers["location"]
    inloggen(portaal, "beheer")
    assert portaal.get("/portaal/instellingen").status_code == 403
    csrf = csrf_van(portaal.get("/portaal/inloggen").text)
    assert portaal.post("/portaal/instellingen", data={"csrf": csrf, "modus": "uit"}).status_code == 403
