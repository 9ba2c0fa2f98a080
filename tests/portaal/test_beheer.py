"""Beheer pages of the portal (DESIGN §2, §5, §7): who may open them, the aanmeldformulier with
its errors, keys of hosted participants in the kluis, changes audited and e-mailed, certificates
added and retired, and a dashboard computed from metadata only."""

from __future__ import annotations

import dataclasses
import html as html_mod
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from knooppunt.config import Settings
from knooppunt.hub import notificaties as hub_notificaties
from knooppunt.hub import statistiek
from knooppunt.jobs import notificaties as job
from knooppunt.notify.email import door_in_woorden
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal import grafiek
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis, Versleuteld
from knooppunt.portaal.routes import beheer as beheer_routes
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import (
    Auditregel,
    Bericht,
    Certificaat,
    Deelnemer,
    Notificatie,
    PortaalSleutel,
)
from tests.factories import Partij
from tests.ontvangers import SmtpOntvanger
from tests.portaal.conftest import csrf_van, formulier, inloggen, oin_van

AMS = ZoneInfo("Europe/Amsterdam")
NIEUW = "/portaal/beheer/deelnemers/nieuw"
ACTOR = "portaal:dev:Test Gebruiker"


# --- helpers --------------------------------------------------------------------------------------


def _tel(rt: Runtime, model: Any, *voorwaarden: Any) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*voorwaarden)) or 0)


def _audit(rt: Runtime, actie: str) -> list[Auditregel]:
    with rt.sessions() as session:
        return list(
            session.scalars(select(Auditregel).where(Auditregel.actie == actie).order_by(Auditregel.id))
        )


def _beheer_outbox(rt: Runtime, oin: str) -> list[Notificatie]:
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Notificatie)
                .where(Notificatie.deelnemer == oin, Notificatie.soort == "beheer")
                .order_by(Notificatie.id)
            )
        )


def _stel_email_in(rt: Runtime, oin: str, adres: str) -> None:
    with transactie(rt.sessions) as session:
        hub_notificaties.stel_in(
            session,
            oin,
            hub_notificaties.Wijziging(emailadressen=[adres], modus="uit"),
            door="beheer:test",
            nu=db_nu(session),
            lokale_webhooks=False,
        )


def _aanmelding(partij: Partij, **extra: Any) -> dict[str, Any]:
    """A correct aanmeldformulier for a creditor with its own keys (certificate pasted)."""
    velden: dict[str, Any] = {
        "naam": partij.naam,
        "oin": partij.oin,
        "kvkNummer": partij.kvk,
        "vestigingsnummer": "",
        "rol": "SE",
        "modules": ["schuldregeling", "saldoverzoek"],
        "schuldensoorten": ["nuts"],
        "gebruiktBsn": "ja",
        "sleutelbeheer": "eigen",
        "certificaat": partij.cert_pad.read_text(),
        "gebruik": ["tls", "ondertekening", "versleuteling"],
    }
    velden.update(extra)
    return {k: v for k, v in velden.items() if v is not None}


def _post(client: TestClient, pad: str, data: dict[str, Any], files: dict[str, Any] | None = None) -> Any:
    csrf, _ = formulier(client, pad if not pad.endswith("/certificaten") else pad.rsplit("/", 1)[0])
    return client.post(pad, data={"csrf": csrf, **data}, files=files or {"leeg": ("", b"")})


def _veldfout(html: str, veld: str, *, gekoppeld: bool = True) -> str:
    """The error text shown at a field; asserts the field is marked invalid and described by it
    (``gekoppeld``: not for an option the page does not offer)."""
    gevonden = re.search(rf'<span class="veldfout" id="fout-{veld}">(.*?)</span>', html, re.S)
    assert gevonden, f"no error shown for {veld}"
    if gekoppeld:
        assert re.search(rf'aria-describedby="[^"]*fout-{veld}[^"]*"', html), (
            f"{veld} not linked to its error"
        )
    return html_mod.unescape(gevonden.group(1))


@pytest.fixture
def beheer(portaal: TestClient) -> TestClient:
    return inloggen(portaal, "beheer")


# --- access ---------------------------------------------------------------------------------------

PAGINAS = [
    "/portaal/beheer",
    NIEUW,
    "/portaal/beheer/deelnemers/00000003501234560000",
    "/portaal/beheer/deelnemers/00000003501234560000/certificaten/" + "0" * 64 + "/intrekken",
    "/portaal/beheer/dashboard",
]


def test_niet_ingelogd_gaat_naar_de_inlogpagina(portaal: TestClient, demo: dict[str, int]) -> None:
    for pad in PAGINAS:
        antwoord = portaal.get(pad)
        assert antwoord.status_code == 303, pad
        assert antwoord.headers["location"].startswith("/portaal/inloggen?volgende=/portaal/beheer")


def test_een_deelnemer_krijgt_geen_toegang(portaal: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    inloggen(portaal, "energie")
    for pad in PAGINAS:
        antwoord = portaal.get(pad)
        assert antwoord.status_code == 403, pad
        assert "voor beheerders van het knooppunt" in antwoord.text
    csrf, _ = formulier(portaal, "/portaal/")
    aantal = _tel(rt, Deelnemer)
    for pad, data in (
        (NIEUW, {"oin": "00000003123456780000"}),
        ("/portaal/beheer/deelnemers/" + oin_van("energie"), {"modules": ["bewind"]}),
        ("/portaal/beheer/deelnemers/" + oin_van("energie") + "/certificaten", {}),
    ):
        antwoord = portaal.post(pad, data={"csrf": csrf, **data}, files={"leeg": ("", b"")})
        assert antwoord.status_code == 403, pad
    assert _tel(rt, Deelnemer) == aantal
    with rt.sessions() as session:
        energie = session.get(Deelnemer, oin_van("energie"))
        assert energie is not None and [m.module for m in energie.modules] == ["schuldregeling"]


def test_beheerder_ziet_deelnemers_en_zoekt(beheer: TestClient, demo: dict[str, int]) -> None:
    pagina = beheer.get("/portaal/beheer")
    assert pagina.status_code == 200
    for naam in ("Gemeente Demodorp", "Demo Energie BV", "Demo Zorgverzekeraar NV"):
        assert naam in pagina.text
    assert "<caption" in pagina.text and 'scope="col"' in pagina.text
    gezocht = beheer.get("/portaal/beheer", params={"zoek": "zorg"})
    assert "Demo Zorgverzekeraar NV" in gezocht.text and "Demo Energie BV" not in gezocht.text
    op_oin = beheer.get("/portaal/beheer", params={"zoek": oin_van("energie")})
    assert "Demo Energie BV" in op_oin.text and "Gemeente Demodorp" not in op_oin.text
    shv = beheer.get("/portaal/beheer", params={"rol": "SHV"})
    assert "Gemeente Demodorp" in shv.text and "Demo Wonen" not in shv.text
    # Flags, modules and key custody are shown.
    assert "standaard akkoord" in pagina.text and "BSN, publiek" in pagina.text
    assert "portaal" in pagina.text


def test_waarschuwing_voor_certificaat_dat_binnen_60_dagen_verloopt(
    beheer: TestClient, rt: Runtime, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path
) -> None:
    energie = pki["energie"]
    kort = ontwikkel_ca.issue(
        pki_dir, oin=energie.oin, naam=energie.naam, geldig_dagen=30, basisnaam="kort", uit_map=tmp_path
    )
    antwoord = _post(beheer, NIEUW, _aanmelding(energie, certificaat=kort.certificaat.read_text()))
    assert antwoord.status_code == 303, antwoord.text
    lijst = beheer.get("/portaal/beheer").text
    assert re.search(r"Let op: verloopt over (29|30) dagen", lijst)
    detail = beheer.get(f"/portaal/beheer/deelnemers/{energie.oin}").text
    assert "Let op: verloopt over" in detail


# --- the aanmeldformulier -------------------------------------------------------------------------


def test_aanmelden_gelukt(beheer: TestClient, rt: Runtime, pki: dict[str, Partij]) -> None:
    energie = pki["energie"]
    with open(energie.cert_pad, "rb") as bestand:
        antwoord = _post(
            beheer,
            NIEUW,
            _aanmelding(energie, certificaat="", vestigingsnummer="000012345678"),
            files={"certificaatBestand": ("energie.pem", bestand.read(), "application/x-pem-file")},
        )
    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == f"/portaal/beheer/deelnemers/{energie.oin}?gedaan=aangemeld"
    detail = beheer.get(antwoord.headers["location"])
    assert "De deelnemer is aangemeld." in detail.text
    with rt.sessions() as session:
        d = session.get(Deelnemer, energie.oin)
        assert d is not None
        assert (d.naam, d.rol, d.kvk_nummer, d.vestigingsnummer) == (
            energie.naam,
            "SE",
            energie.kvk,
            "000012345678",
        )
        assert sorted(m.module for m in d.modules) == ["saldoverzoek", "schuldregeling"]
        assert [s.soort for s in d.schuldensoorten] == ["nuts"]
        assert d.gebruikt_bsn and not d.standaard_akkoord and d.sleutelbeheer == "eigen"
        assert [c.vingerafdruk for c in d.certificaten] == [
            lees_pem(energie.cert_pad.read_bytes()).vingerafdruk
        ]
    [regel] = _audit(rt, "deelnemer_toegevoegd")
    assert regel.actor == ACTOR and regel.deelnemer == energie.oin and regel.uitkomst == "SE"
    assert _tel(rt, PortaalSleutel) == 0  # own keys: the portal holds nothing


FOUTGEVALLEN = [
    # (what is wrong, changes to a correct form, field, text in the error)
    ("OIN leeg", {"oin": ""}, "oin", "OIN is verplicht"),
    ("OIN te kort", {"oin": "123"}, "oin", "20 cijfers"),
    ("KvK leeg", {"kvkNummer": ""}, "kvkNummer", "KvK-nummer is verplicht"),
    ("geen rol", {"rol": None}, "rol", "Kies een rol"),
    ("OIN onbekend voorvoegsel", {"oin": "99999999123456780000"}, "oin", "voorvoegsel"),
    ("KvK geen 8 cijfers", {"kvkNummer": "12ab"}, "kvkNummer", "8 cijfers"),
    ("KvK past niet bij OIN", {"kvkNummer": "87654321"}, "kvkNummer", "hoort niet bij OIN"),
    ("vestigingsnummer", {"vestigingsnummer": "123"}, "vestigingsnummer", "12 cijfers"),
    ("naam leeg", {"naam": "  "}, "naam", "Naam is verplicht"),
    ("rol onbekend", {"rol": "XX"}, "rol", "onbekend"),
    ("geen module", {"modules": None}, "modules", "minstens één module"),
    ("module onbekend", {"modules": ["onzin"]}, "modules", "'onzin' is onbekend"),
    ("schuldensoort onbekend", {"schuldensoorten": ["kaas"]}, "schuldensoorten", "'kaas' is onbekend"),
    ("gebruik leeg", {"gebruik": None}, "gebruik", "minstens één gebruik"),
    ("sleutelbeheer onbekend", {"sleutelbeheer": "kluis"}, "sleutelbeheer", "onbekend"),
    ("geen certificaat", {"certificaat": ""}, "certificaat", "Upload of plak het certificaat"),
    ("geen PEM", {"certificaat": "dit is geen certificaat"}, "certificaat", "geen PEM-certificaat"),
    ("eigen met sleutel", {"sleutel": "-----BEGIN PRIVATE KEY-----"}, "sleutel", "Laat de privésleutel leeg"),
    ("portaal zonder sleutel", {"sleutelbeheer": "portaal"}, "sleutel", "privésleutel bij het certificaat"),
]


@pytest.mark.parametrize(
    ("wat", "wijziging", "veld", "tekst"), FOUTGEVALLEN, ids=[f[0] for f in FOUTGEVALLEN]
)
def test_aanmelden_veldfout_wordt_getoond_en_niets_opgeslagen(
    beheer: TestClient,
    rt: Runtime,
    pki: dict[str, Partij],
    wat: str,
    wijziging: dict[str, Any],
    veld: str,
    tekst: str,
) -> None:
    energie = pki["energie"]
    voor = (_tel(rt, Deelnemer), _tel(rt, Certificaat), _tel(rt, PortaalSleutel), _tel(rt, Auditregel))
    data = _aanmelding(energie)
    data.update(wijziging)
    antwoord = _post(beheer, NIEUW, {k: v for k, v in data.items() if v is not None})
    assert antwoord.status_code == 400, wat
    html = antwoord.text
    assert 'role="alert"' in html and "Er is niets opgeslagen" in html
    assert tekst in _veldfout(html, veld), _veldfout(html, veld)
    assert 'href="#' in html  # the summary links to the fields
    # What was typed is kept (but a key is never shown back).
    if veld != "naam":
        assert f'value="{data["naam"].strip()}"' in html
    assert "BEGIN PRIVATE KEY" not in html
    assert (
        _tel(rt, Deelnemer),
        _tel(rt, Certificaat),
        _tel(rt, PortaalSleutel),
        _tel(rt, Auditregel),
    ) == voor


def test_aanmelden_alle_fouten_tegelijk(beheer: TestClient, rt: Runtime, pki: dict[str, Partij]) -> None:
    """Every field at fault is named at once, so the beheerder need not submit again and again."""
    antwoord = _post(
        beheer,
        NIEUW,
        {
            "oin": "1",
            "kvkNummer": "x",
            "naam": "",
            "rol": "SHV",
            "gebruiktBsn": "ja",
            "standaardAkkoord": "ja",
        },
    )
    assert antwoord.status_code == 400
    for veld in ("oin", "kvkNummer", "naam", "modules", "gebruiktBsn", "standaardAkkoord", "certificaat"):
        _veldfout(antwoord.text, veld)
    assert "alleen voor schuldeisers" in _veldfout(antwoord.text, "gebruiktBsn")
    assert _tel(rt, Deelnemer) == 0


def test_aanmelden_certificaat_van_ander_oin_en_bestaand_oin(
    beheer: TestClient, rt: Runtime, pki: dict[str, Partij]
) -> None:
    energie, gemeente = pki["energie"], pki["gemeente"]
    antwoord = _post(beheer, NIEUW, _aanmelding(energie, certificaat=gemeente.cert_pad.read_text()))
    assert antwoord.status_code == 400
    assert f"niet voor {energie.oin}" in _veldfout(antwoord.text, "certificaat")
    # The uploaded certificate of an error is kept in the text box (it is public).
    assert "BEGIN CERTIFICATE" in antwoord.text
    assert _post(beheer, NIEUW, _aanmelding(energie)).status_code == 303
    dubbel = _post(beheer, NIEUW, _aanmelding(energie))
    assert dubbel.status_code == 400
    assert "al een deelnemer" in _veldfout(dubbel.text, "oin")
    assert _tel(rt, Deelnemer) == 1


def test_aanmelden_sleutel_die_niet_bij_het_certificaat_hoort(
    beheer: TestClient, rt: Runtime, pki: dict[str, Partij]
) -> None:
    energie, gemeente = pki["energie"], pki["gemeente"]
    antwoord = _post(
        beheer,
        NIEUW,
        _aanmelding(energie, sleutelbeheer="portaal", sleutel=gemeente.key_pad.read_text()),
    )
    assert antwoord.status_code == 400
    assert "hoort niet bij het certificaat" in _veldfout(antwoord.text, "sleutel")
    assert _tel(rt, Deelnemer) == 0 and _tel(rt, PortaalSleutel) == 0


def test_portaal_deelnemer_sleutel_versleuteld_in_de_kluis(
    beheer: TestClient, rt: Runtime, pki: dict[str, Partij], kluis: Kluis
) -> None:
    """DESIGN §5: a hosted participant's key is kept only encrypted (AES-256-GCM, OIN and kid as
    associated data) and the portal decrypts it with its kluis."""
    energie = pki["energie"]
    sleutel_pem = energie.key_pad.read_bytes()
    antwoord = _post(
        beheer,
        NIEUW,
        _aanmelding(energie, sleutelbeheer="portaal", certificaat=""),
        files={
            "certificaatBestand": ("c.pem", energie.cert_pad.read_bytes(), "application/x-pem-file"),
            "sleutelBestand": ("k.pem", sleutel_pem, "application/x-pem-file"),
        },
    )
    assert antwoord.status_code == 303, antwoord.text
    with rt.sessions() as session:
        [rij] = session.scalars(select(PortaalSleutel).where(PortaalSleutel.oin == energie.oin)).all()
        deelnemer = session.get(Deelnemer, energie.oin)
        assert deelnemer is not None and deelnemer.sleutelbeheer == "portaal"
    info = lees_pem(energie.cert_pad.read_bytes())
    assert rij.kid == info.kid
    assert rij.versleuteld != sleutel_pem
    assert b"PRIVATE KEY" not in rij.versleuteld and sleutel_pem not in rij.versleuteld
    geheim = kluis.ontsleutel(
        energie.oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld)
    )
    assert geheim == sleutel_pem
    detail = beheer.get(f"/portaal/beheer/deelnemers/{energie.oin}").text
    assert "PRIVATE KEY" not in detail


def test_genereren_met_de_ontwikkel_ca(beheer: TestClient, rt: Runtime, kluis: Kluis) -> None:
    oin = "00000003712345670000"
    antwoord = _post(
        beheer,
        NIEUW,
        {
            "naam": "Nieuwe Schuldeiser BV",
            "oin": oin,
            "kvkNummer": "71234567",
            "rol": "SE",
            "modules": ["schuldregeling"],
            "sleutelbeheer": "portaal",
            "gebruik": ["tls", "ondertekening", "versleuteling"],
            "genereer": "ja",
        },
    )
    assert antwoord.status_code == 303, antwoord.text
    with rt.sessions() as session:
        [rij] = session.scalars(select(PortaalSleutel).where(PortaalSleutel.oin == oin)).all()
        [cert] = session.scalars(select(Certificaat).where(Certificaat.oin == oin)).all()
    assert rij.kid == lees_pem(cert.pem).kid
    kluis.ontsleutel(oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld))
    # The hosted participant can log in and the portal can use its key.
    client = Gastclient(rt, kluis, oin, wie="test")
    with client.transactie() as (session, nu):
        assert client.sleutel(session, "test", nu).kid == rij.kid
    # No key file is left behind.
    assert not list(rt.settings.dev_pki_dir.glob(f"**/{oin}-key.pem"))


def test_genereren_geweigerd_in_productie(beheer: TestClient, rt: Runtime) -> None:
    """The development CA exists only in development (DESIGN §5): production refuses generation."""
    formulier(beheer, NIEUW)
    rt.settings = rt.settings.model_copy(update={"env": "production"})
    assert not rt.settings.is_development
    csrf, pagina = formulier(beheer, NIEUW)
    assert "ontwikkel-CA" not in pagina.text  # the option is not offered
    antwoord = beheer.post(
        NIEUW,
        data={
            "csrf": csrf,
            "naam": "Nieuwe Schuldeiser BV",
            "oin": "00000003712345670000",
            "kvkNummer": "71234567",
            "rol": "SE",
            "modules": ["schuldregeling"],
            "sleutelbeheer": "portaal",
            "gebruik": ["tls"],
            "genereer": "ja",
        },
        files={"leeg": ("", b"")},
    )
    assert antwoord.status_code == 400
    assert "alleen in de ontwikkelomgeving" in _veldfout(antwoord.text, "genereer", gekoppeld=False)
    assert 'href="#genereer"' in antwoord.text
    assert _tel(rt, Deelnemer) == 0 and _tel(rt, PortaalSleutel) == 0 and _tel(rt, Certificaat) == 0
    assert not ontwikkel_ca.ca_paden(rt.settings.dev_pki_dir)[0].exists()


# --- changing a registration ----------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpOntvanger]:
    server = SmtpOntvanger()
    yield server
    server.stop()


def _mail_settings(rt: Runtime, smtp: SmtpOntvanger) -> Settings:
    return rt.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_starttls": False,
            "smtp_afzender": "noreply@knooppunt.example.nl",
        }
    )


def test_wijzigen_van_modules_en_kenmerken_geaudit_en_gemaild(
    beheer: TestClient, demo: dict[str, int], rt: Runtime, smtp: SmtpOntvanger
) -> None:
    """DESIGN §5: every beheer action is audited; a change to the registration is e-mailed to the
    participant, also when its notifications are off."""
    oin = oin_van("energie")
    _stel_email_in(rt, oin, "beheer@energie.example.nl")
    pad = f"/portaal/beheer/deelnemers/{oin}"
    antwoord = _post(
        beheer,
        pad,
        {
            "modules": ["schuldregeling", "saldoverzoek"],
            "standaardAkkoord": "ja",
            "schuldensoorten": ["nuts", "overig"],
        },
    )
    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == pad + "?gedaan=gewijzigd"
    with rt.sessions() as session:
        d = session.get(Deelnemer, oin)
        assert d is not None
        assert [m.module for m in d.modules] == ["saldoverzoek", "schuldregeling"]
        assert [s.soort for s in d.schuldensoorten] == ["nuts", "overig"]
        assert d.standaard_akkoord and not d.gebruikt_bsn
    [regel] = _audit(rt, "deelnemer_gewijzigd")
    assert regel.actor == ACTOR and regel.deelnemer == oin
    assert regel.uitkomst == "modules,standaardAkkoord,schuldensoorten"
    [melding] = _beheer_outbox(rt, oin)
    assert melding.kanaal == "email" and melding.details is not None
    assert melding.details["actie"] == "deelnemer_gewijzigd"
    assert melding.details["wijzigingen"]["modules"] == {
        "oud": ["schuldregeling:1.0"],
        "nieuw": ["saldoverzoek", "schuldregeling"],
    }
    assert melding.details["door"] == ACTOR

    with rt.sessions() as session:
        nu = db_nu(session)
    assert job.bezorg(rt.sessions, nu=nu, settings=_mail_settings(rt, smtp))["verzonden"] == 1
    [mail] = smtp.emails
    assert mail["Subject"] == "Schuldenknooppunt: wijziging in de registratie van Demo Energie BV"
    tekst = mail.get_content().replace("\r\n", "\n")
    # Modules by name with their versions, as the approval mail writes them; a module registered
    # without versions has them all (here schuldregeling 1.0 and 2.0).
    assert (
        "  modules, was:\n      - Schuldregeling (versie 1.0)\n"
        "  modules, nu:\n      - Schuldinventarisatie (versie 2.0)\n"
        "      - Schuldregeling (versie 1.0, 2.0)\n"
    ) in tekst
    assert "saldoverzoek" not in tekst and "schuldregeling:" not in tekst
    assert "standaard akkoord (art. 7.1): nee -> ja" in tekst
    # Who and when in words: the portal user's name, the moment in Europe/Amsterdam.
    assert re.search(r"  door: Test Gebruiker, op \w+dag \d{1,2} \w+ 20\d\d, \d\d:\d\d uur\n", tekst), tekst
    assert ACTOR not in tekst and "+00:00" not in tekst

    # The same form again changes nothing: no audit entry, no e-mail.
    zelfde = _post(
        beheer,
        pad,
        {
            "modules": ["schuldregeling", "saldoverzoek"],
            "standaardAkkoord": "ja",
            "schuldensoorten": ["nuts", "overig"],
        },
    )
    assert zelfde.headers["location"] == pad + "?gedaan=ongewijzigd"
    assert len(_audit(rt, "deelnemer_gewijzigd")) == 1 and len(_beheer_outbox(rt, oin)) == 1


def test_wijzigen_met_fouten_slaat_niets_op(beheer: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    oin = oin_van("energie")
    pad = f"/portaal/beheer/deelnemers/{oin}"
    antwoord = _post(beheer, pad, {"schuldensoorten": ["kaas"], "gebruiktBsn": "ja"})
    assert antwoord.status_code == 400
    assert "minstens één module" in _veldfout(antwoord.text, "modules")
    assert "'kaas' is onbekend" in _veldfout(antwoord.text, "schuldensoorten")
    with rt.sessions() as session:
        d = session.get(Deelnemer, oin)
        assert d is not None and not d.gebruikt_bsn and [m.module for m in d.modules] == ["schuldregeling"]
    assert _audit(rt, "deelnemer_gewijzigd") == []
    # A debt counsellor has no creditor flags to set: the page does not offer them.
    gemeente = beheer.get(f"/portaal/beheer/deelnemers/{oin_van('gemeente')}").text
    assert 'name="gebruiktBsn"' not in gemeente and "alleen voor schuldeisers" in gemeente


def test_meldingsinstellingen_alleen_lezen(beheer: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    oin = oin_van("zorg")
    _stel_email_in(rt, oin, "team@zorg.example.nl")
    pagina = beheer.get(f"/portaal/beheer/deelnemers/{oin}").text
    deel = pagina.split('id="kop-notificaties"')[1]
    assert "team@zorg.example.nl" in deel and "<input" not in deel


# --- certificates ---------------------------------------------------------------------------------


def test_certificaat_toevoegen_en_intrekken(
    beheer: TestClient, demo: dict[str, int], rt: Runtime, tmp_path: Path, kluis: Kluis
) -> None:
    """A new certificate with its key for a hosted participant, then the old one retired: both
    audited and e-mailed (DESIGN §5)."""
    oin = oin_van("energie")
    _stel_email_in(rt, oin, "security@energie.example.nl")
    pad = f"/portaal/beheer/deelnemers/{oin}"
    with rt.sessions() as session:
        [oud] = session.scalars(select(Certificaat.vingerafdruk).where(Certificaat.oin == oin)).all()
    nieuw = ontwikkel_ca.issue(
        rt.settings.dev_pki_dir, oin=oin, naam="Demo Energie BV", basisnaam="energie-2", uit_map=tmp_path
    )

    # Without the key the portal could not use it: refused, nothing stored.
    zonder = _post(
        beheer, pad + "/certificaten", {"certificaat": nieuw.certificaat.read_text(), "gebruik": ["tls"]}
    )
    assert zonder.status_code == 400
    assert "privésleutel" in _veldfout(zonder.text, "sleutel")
    assert _tel(rt, Certificaat, Certificaat.oin == oin) == 1

    antwoord = _post(
        beheer,
        pad + "/certificaten",
        {"gebruik": ["tls", "ondertekening", "versleuteling"]},
        files={
            "certificaatBestand": ("c.pem", nieuw.certificaat.read_bytes(), "application/x-pem-file"),
            "sleutelBestand": ("k.pem", nieuw.sleutel.read_bytes(), "application/x-pem-file"),
        },
    )
    assert antwoord.status_code == 303, antwoord.text
    info = lees_pem(nieuw.certificaat.read_bytes())
    assert _tel(rt, Certificaat, Certificaat.vingerafdruk == info.vingerafdruk) == 1
    assert _tel(rt, PortaalSleutel, PortaalSleutel.kid == info.kid) == 1
    [toegevoegd] = [r for r in _audit(rt, "certificaat_toegevoegd") if r.certificaat == info.vingerafdruk]
    assert toegevoegd.actor == ACTOR
    assert [n.details["actie"] for n in _beheer_outbox(rt, oin) if n.details] == ["certificaat_toegevoegd"]
    # The portal now uses the new key (the newest).
    client = Gastclient(rt, kluis, oin, wie="test")
    with client.transactie() as (session, nu):
        assert client.sleutel(session, "test", nu).kid == info.kid

    bevestig = beheer.get(pad + f"/certificaten/{oud}/intrekken")
    assert bevestig.status_code == 200 and "kan niet ongedaan worden gemaakt" in bevestig.text
    ingetrokken = beheer.post(pad + f"/certificaten/{oud}/intrekken", data={"csrf": csrf_van(bevestig.text)})
    assert ingetrokken.status_code == 303
    assert ingetrokken.headers["location"] == pad + "?gedaan=certificaat-ingetrokken"
    with rt.sessions() as session:
        cert = session.get(Certificaat, oud)
        assert cert is not None and cert.ingetrokken_op is not None
    [regel] = _audit(rt, "certificaat_ingetrokken")
    assert regel.actor == ACTOR and regel.certificaat == oud
    assert [n.details["actie"] for n in _beheer_outbox(rt, oin) if n.details] == [
        "certificaat_toegevoegd",
        "certificaat_ingetrokken",
    ]
    detail = beheer.get(pad).text
    assert "Ingetrokken op" in detail


def test_een_in_het_beheer_ingetrokken_certificaat_komt_bij_het_volgende_api_verzoek_niet_meer_binnen(
    beheer: TestClient, demo: dict[str, int], rt: Runtime
) -> None:
    """Another node (an API app of its own) verified the certificate before and keeps it; the
    beheer page's retirement still counts on that node's next request (DESIGN §5)."""
    from knooppunt import runtime as runtime_mod
    from knooppunt.app import create_app
    from tests.conftest import MetCertificaat

    oin = oin_van("energie")
    with rt.sessions() as session:
        [cert] = session.scalars(select(Certificaat).where(Certificaat.oin == oin)).all()
        vingerafdruk, pem = cert.vingerafdruk, cert.pem
    node = runtime_mod.bouw(rt.settings, upgrade=False)  # trusts the demo's development CA
    try:
        with TestClient(MetCertificaat(create_app(node), pem), base_url="https://testserver/api/v1") as api:
            assert api.get("/berichten").status_code == 200
            assert api.get("/berichten").status_code == 200
            pad = f"/portaal/beheer/deelnemers/{oin}/certificaten/{vingerafdruk}/intrekken"
            bevestig = beheer.get(pad)
            assert beheer.post(pad, data={"csrf": csrf_van(bevestig.text)}).status_code == 303
            r = api.get("/berichten")
            assert r.status_code == 401, r.text
            assert "niet (meer) als TLS-certificaat geregistreerd" in r.json()["detail"]
    finally:
        node.close()


def test_intrekken_vraagt_bevestiging_en_waarschuwt_voor_het_laatste_certificaat(
    beheer: TestClient, demo: dict[str, int], rt: Runtime
) -> None:
    oin = oin_van("woning")
    with rt.sessions() as session:
        [vingerafdruk] = session.scalars(select(Certificaat.vingerafdruk).where(Certificaat.oin == oin)).all()
    pagina = beheer.get(f"/portaal/beheer/deelnemers/{oin}/certificaten/{vingerafdruk}/intrekken")
    assert "laatste geldige certificaat" in pagina.text
    with rt.sessions() as session:
        cert = session.get(Certificaat, vingerafdruk)
        assert cert is not None and cert.ingetrokken_op is None  # a GET changes nothing
    onbekend = beheer.get(f"/portaal/beheer/deelnemers/{oin}/certificaten/{'a' * 64}/intrekken")
    assert onbekend.status_code == 404


# --- dashboard ------------------------------------------------------------------------------------


def _lokaal(tekst: str) -> datetime:
    return datetime.fromisoformat(tekst).replace(tzinfo=AMS).astimezone(UTC)


@pytest.fixture
def bekende_berichten(demo: dict[str, int], rt: Runtime, kluis: Kluis) -> dict[str, Any]:
    """The demo messages, after Demo Energie confirmed all six it received and answered two
    saldoverzoeken, with their moments set to known times in November 2025 (test data only)."""
    energie_oin, gemeente_oin, belasting_oin = oin_van("energie"), oin_van("gemeente"), oin_van("belasting")
    energie = Gastclient(rt, kluis, energie_oin, wie="test")
    ontvangen = energie.haal_op(waarvoor="test")
    vragen = [o.envelop for o in ontvangen if o.envelop["berichttype"] == "saldoverzoek_nuts"]
    assert len(ontvangen) == 6 and len(vragen) == 3
    antwoorden = []
    for vraag in vragen[:2]:
        verstuurd = energie.verstuur(
            TeVersturen(
                gemeente_oin,
                "saldoverzoek_antwoord",
                voorbeeld("schuldregeling", "saldoverzoek_antwoord"),
                vraag["conversatieReferentienummer"],
                antwoord_op=vraag["referentienummer"],
            ),
            waarvoor="test",
        )
        antwoorden.append(verstuurd.bericht.referentienummer)
    energie.bevestig([o.envelop["referentienummer"] for o in ontvangen])

    with transactie(rt.sessions) as session:
        rijen = session.scalars(
            select(Bericht).where(Bericht.ontvanger == energie_oin).order_by(Bericht.id)
        ).all()
        per_type: dict[str, list[Bericht]] = {}
        for rij in rijen:
            per_type.setdefault(rij.berichttype, []).append(rij)
        k1, k2, k3 = per_type["kennisgeving"]
        s1, s2, s3 = per_type["saldoverzoek_nuts"]
        tijden = [
            # (message, received, confirmed, answered, answer due)
            (k1, "2025-11-14 12:00", "2025-11-17 12:00", None, None),  # Fri → Mon: 72 h, 24 wu
            (s1, "2025-11-17 09:00", "2025-11-17 11:00", "2025-11-19 11:00", "2025-11-24 23:59:59"),
            (k2, "2025-11-18 09:00", "2025-11-18 10:00", None, None),
            (s2, "2025-11-18 09:00", "2025-11-18 13:00", "2025-11-21 13:00", "2025-11-20 23:59:59"),
            (k3, "2025-11-19 09:00", "2025-11-19 15:00", None, None),
            (s3, "2025-11-19 09:00", "2025-11-20 09:00", None, "2025-11-27 23:59:59"),
        ]
        for rij, ontv, bev, antw, uiterlijk in tijden:
            rij.ontvangen_op = _lokaal(ontv)
            rij.bevestigd_op = _lokaal(bev)
            rij.beantwoord_op = _lokaal(antw) if antw else None
            rij.status = "beantwoord" if antw else "bevestigd"
            rij.antwoord_uiterlijk = _lokaal(uiterlijk) if uiterlijk else None
        assert s1.antwoord_uiterlijk and s3.antwoord_uiterlijk  # answer types
        for referentienummer, moment in zip(
            antwoorden, ("2025-11-19 11:00", "2025-11-21 13:00"), strict=True
        ):
            session.execute(
                update(Bericht)
                .where(Bericht.referentienummer == referentienummer)
                .values(ontvangen_op=_lokaal(moment))
            )
        # One message to Demo Belastingen expired unconfirmed in the period.
        verlopen = session.scalars(
            select(Bericht).where(Bericht.ontvanger == belasting_oin).order_by(Bericht.id).limit(1)
        ).one()
        verlopen.ontvangen_op = _lokaal("2025-11-12 10:00")
        verlopen.verlopen_op = _lokaal("2025-11-20 00:00")
        verlopen.status = "verlopen"
    return {"antwoorden": antwoorden}


def test_dashboard_cijfers_voor_bekende_berichten(
    beheer: TestClient, bekende_berichten: dict[str, Any], rt: Runtime
) -> None:
    """Volumes and response times from the moments alone: confirm 72, 2, 1, 4, 6 and 24 hours
    (the first from Friday noon to Monday noon: 24 werkuren), answer 48 and 72 hours, one answer in
    time of the three that were due (art. 2.1)."""
    from knooppunt.store.db import leesverbinding

    with leesverbinding(rt.engine) as conn:
        nu = db_nu(conn)
        kwargs: dict[str, Any] = {
            "van": datetime(2025, 11, 10).date(),
            "tot": datetime(2025, 11, 23).date(),
            "module": None,
            "kalender": rt.instellingen.kalender,
            "nu": nu,
        }
        werk = statistiek.dashboard(conn, werkuren=True, **kwargs)
        klok = statistiek.dashboard(conn, werkuren=False, **kwargs)
    per_oin = {r.oin: r for r in klok.deelnemers}
    energie, gemeente, belasting = (
        per_oin[oin_van("energie")],
        per_oin[oin_van("gemeente")],
        per_oin[oin_van("belasting")],
    )
    assert (energie.ontvangen, energie.verzonden, energie.open, energie.verlopen) == (6, 2, 0, 0)
    assert (gemeente.verzonden, gemeente.ontvangen) == (7, 2)
    assert (belasting.ontvangen, belasting.verlopen, belasting.open) == (1, 1, 5)
    assert klok.totaal.verzonden == 9 and klok.totaal.verlopen == 1
    assert energie.bevestigen == statistiek.Tijden(6, 5.0, 48.0)
    assert energie.beantwoorden == statistiek.Tijden(2, 60.0, pytest.approx(69.6))
    assert (energie.op_tijd_beantwoord, energie.antwoord_verschuldigd) == (1, 3)
    werk_energie = next(r for r in werk.deelnemers if r.oin == energie.oin)
    assert werk_energie.bevestigen == statistiek.Tijden(6, 5.0, 24.0)
    assert werk_energie.beantwoorden.mediaan == 60.0
    assert [(w.nummer, w.aantal) for w in klok.weken] == [(46, 2), (47, 7)]

    # The page shows the same figures, in a table beside the charts.
    pagina = beheer.get(
        "/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23", "eenheid": "uren"}
    )
    assert pagina.status_code == 200
    rij = re.search(r"Demo Energie BV</a>.*?</tr>", pagina.text, re.S)
    assert rij is not None
    cellen = re.findall(r'<td class="getal">(.*?)</td>', rij.group(0), re.S)
    assert [re.sub(r"<.*?>", "", c).strip() for c in cellen] == [
        "2", "6", "0", "0", "5,0 u", "48,0 u", "60,0 u", "69,6 u", "33% (1 van 3)",
    ]  # fmt: skip
    werkpagina = beheer.get("/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23"})
    assert "24,0 wu" in werkpagina.text
    # Module filter: Demo Energie has nothing in 'bewind' (only the demo's bewindvoerder has, now).
    bewind = beheer.get(
        "/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23", "module": "bewind"}
    )
    assert '<th scope="row">Demo Energie BV</th>' not in bewind.text


def test_dashboard_grafieken_toegankelijk_en_zonder_inline_stijl(
    beheer: TestClient, bekende_berichten: dict[str, Any]
) -> None:
    """Inline SVG with <title> and <desc>, the same data in a table, and no style attribute (the
    CSP forbids inline styles)."""
    html = beheer.get("/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23"}).text
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert re.search(r'aria-labelledby="grafiek-\w+-titel grafiek-\w+-desc"', svg)
    assert "style=" not in html and "<script" not in html
    assert html.count("<caption") >= 4
    assert "Aangeboden berichten per week" in html and "week 47" in html


def test_dashboard_tabellen_tellen_met_punten_zoals_de_grafieken(
    beheer: TestClient, bekende_berichten: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One Dutch number format on the page: the tables write 1.281 as the charts do, not 1281."""
    echt = statistiek.dashboard

    def druk(*args: Any, **kwargs: Any) -> statistiek.Dashboard:
        d = echt(*args, **kwargs)  # the real figures, 1275 messages more of everything
        for r in [*d.deelnemers, d.totaal]:
            r.verzonden, r.ontvangen = r.verzonden + 1275, r.ontvangen + 1275
        return dataclasses.replace(d, weken=[dataclasses.replace(w, aantal=w.aantal + 1275) for w in d.weken])

    monkeypatch.setattr(beheer_routes.statistiek, "dashboard", druk)
    html = beheer.get("/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23"}).text
    cellen = re.findall(r'<td class="getal">([^<]*)<', html)
    assert any(re.fullmatch(r"1\.2\d\d", c) for c in cellen), cellen
    assert not [c for c in cellen if re.search(r"\d{4}", c)], cellen
    assert not re.search(r'class="getal-groot">\d{4}', html)
    tabellen = html[html.index('id="kop-weken"') :]
    assert "1.2" in tabellen.split("</table>")[0]  # the weeks' table as well


def test_dashboard_noemt_de_module_bij_naam(beheer: TestClient, bekende_berichten: dict[str, Any]) -> None:
    html = beheer.get(
        "/portaal/beheer/dashboard",
        params={"van": "2025-11-10", "tot": "2025-11-23", "module": "saldoverzoek"},
    ).text
    naam = CATALOGUS.modulenaam("saldoverzoek")
    assert naam != "saldoverzoek"
    assert f", module {naam}." in html and "module saldoverzoek" not in html


def test_dashboard_grafieken_leesbaar_op_een_telefoon(
    beheer: TestClient, bekende_berichten: dict[str, Any]
) -> None:
    """A chart is drawn at its own size (text of 13 px) wherever it fits, and on a phone keeps it,
    scrolling sideways in its own focusable, labelled region as a wide table does (beheer.css),
    instead of shrinking to text of about 6 px (tests/browser/test_beheer.py measures it at 360 px)."""
    html = beheer.get("/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23"}).text
    figuren = re.findall(r"<figure ([^>]*)>\s*<svg [^>]*width=\"(\d+)\"", html)
    assert len(figuren) == 3, html
    for attributen, breedte in figuren:
        assert 'class="grafiek-rol"' in attributen and 'tabindex="0"' in attributen
        assert 'role="region"' in attributen and 'aria-label="Grafiek: ' in attributen
        assert int(breedte) == grafiek.BREEDTE
    css = (Path(grafiek.__file__).parent / "static" / "beheer.css").read_text()
    assert re.search(
        r"@media \(max-width: 40rem\) \{\s*\.grafiek-rol svg\.grafiek \{ max-inline-size: none; \}", css
    )


def test_waarden_boven_de_weken_overlappen_niet() -> None:
    """A year of weeks (53 bars): a value above every bar would overlap its neighbours; then every
    n-th carries one, as the axis labels do, and the table beside the chart has them all."""
    waarden = [1275 + i for i in range(53)]
    k = grafiek.kolommen("k", "t", "d", [f"wk {i}" for i in range(53)], waarden)
    getoond = [s for s in k.staven if s.tekst]
    assert 1 < len(getoond) < 53
    for links, rechts in itertools.pairwise(getoond):
        assert rechts.tekst_x - links.tekst_x >= len(links.tekst) * grafiek.TEKENBREEDTE
    vijf = grafiek.kolommen("v", "t", "d", [f"wk {i}" for i in range(5)], waarden[:5])
    assert [s.tekst for s in vijf.staven] == ["1.275", "1.276", "1.277", "1.278", "1.279"]


def test_door_in_woorden() -> None:
    """Who made a change, in the e-mails and on the aanvraag page, from the audit actor."""
    assert door_in_woorden("portaal:dev:Ontwikkelaar") == "Ontwikkelaar"
    assert door_in_woorden("portaal:eh-sub-123") == "een gebruiker van het portaal"
    assert door_in_woorden("portaal:eh-beheer", beheerders=["eh-beheer"]) == "beheer van het knooppunt"
    assert door_in_woorden("beheer:root") == "beheer van het knooppunt"
    assert door_in_woorden("KNOOPPUNT") == "het knooppunt zelf"


def test_dashboard_toont_geen_inhoud(
    beheer: TestClient, bekende_berichten: dict[str, Any], rt: Runtime
) -> None:
    """DESIGN §5, §7: metadata only — no payload field, no reference numbers."""
    html = (
        beheer.get("/portaal/beheer/dashboard").text
        + beheer.get("/portaal/beheer/dashboard", params={"van": "2025-11-10", "tot": "2025-11-23"}).text
    )
    waarden: set[str] = set()

    def verzamel(waarde: Any) -> None:
        if isinstance(waarde, dict):
            for v in waarde.values():
                verzamel(v)
        elif isinstance(waarde, list):
            for v in waarde:
                verzamel(v)
        elif isinstance(waarde, str) and len(waarde) >= 5:
            waarden.add(waarde)
        elif isinstance(waarde, int) and waarde >= 1000:
            waarden.add(str(waarde))

    for code in ("kennisgeving", "saldoverzoek_nuts", "saldoverzoek_antwoord", "saldoverzoek"):
        verzamel(voorbeeld("schuldregeling", code))
    waarden |= {"DEMO-0001", "DEMO-0002", "Jansen", "de Vries"}
    with rt.sessions() as session:
        for ref, conv in session.execute(
            select(Bericht.referentienummer, Bericht.conversatie_referentienummer)
        ):
            waarden |= {ref, conv}
    html = re.sub(r"\d{20}", "", html)  # OINs are metadata (and contain digits like 5000)
    gevonden = sorted(w for w in waarden if w in html)
    assert gevonden == [], gevonden


def test_dashboard_filterfouten(beheer: TestClient, demo: dict[str, int]) -> None:
    omgekeerd = beheer.get("/portaal/beheer/dashboard", params={"van": "2025-12-01", "tot": "2025-11-01"})
    assert omgekeerd.status_code == 400 and 'role="alert"' in omgekeerd.text
    assert "Van ligt na Tot en met" in omgekeerd.text
    geen_datum = beheer.get("/portaal/beheer/dashboard", params={"van": "gisteren"})
    assert geen_datum.status_code == 400 and "is geen datum" in geen_datum.text
    module = beheer.get("/portaal/beheer/dashboard", params={"module": "onzin"})
    assert module.status_code == 400 and "bestaat niet" in module.text
    standaard = beheer.get("/portaal/beheer/dashboard")
    assert standaard.status_code == 200 and "Berichten per week" in standaard.text


# --- modules and versions per participant (DESIGN §3a, §7) -------------------------------------------


def test_aanmelden_met_versies_per_module(beheer: TestClient, rt: Runtime, pki: dict[str, Partij]) -> None:
    from knooppunt.hub import adresboek

    formulierpagina = beheer.get(NIEUW).text
    # a checkbox per version for a module with several, labels from the handbook, not codes
    assert 'name="versies.schuldregeling" value="1.0"' in formulierpagina
    assert 'name="versies.schuldregeling" value="2.0"' in formulierpagina
    assert "Meldingen bewindvoering" in formulierpagina and 'name="versies.bewind"' not in formulierpagina
    energie = pki["energie"]
    antwoord = _post(
        beheer,
        NIEUW,
        _aanmelding(energie, modules=["schuldregeling", "bewind"], **{"versies.schuldregeling": ["2.0"]}),
    )
    assert antwoord.status_code == 303, antwoord.text
    with rt.sessions() as session:
        d = session.get(Deelnemer, energie.oin)
        assert d is not None
        assert adresboek.versies_van(d, "schuldregeling") == ("2.0",)
        assert adresboek.versies_van(d, "bewind") == ("2.0",)
    detail = beheer.get(f"/portaal/beheer/deelnemers/{energie.oin}").text
    assert re.search(r'name="versies.schuldregeling" value="2.0" checked', detail)
    assert not re.search(r'name="versies.schuldregeling" value="1.0" checked', detail)
    lijst = beheer.get("/portaal/beheer").text
    assert "Schuldregeling (2.0)" in lijst


def test_versies_wijzigen(beheer: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    from knooppunt.hub import adresboek

    oin = oin_van("gemeente")
    pad = f"/portaal/beheer/deelnemers/{oin}"
    detail = beheer.get(pad).text
    # the demo municipality accepts both versions of schuldregeling
    assert re.search(r'name="versies.schuldregeling" value="1.0" checked', detail)
    assert re.search(r'name="versies.schuldregeling" value="2.0" checked', detail)
    antwoord = _post(
        beheer,
        pad,
        {"modules": ["schuldregeling", "pauzeknop"], "versies.schuldregeling": ["1.0"]},
    )
    assert antwoord.status_code == 303, antwoord.text
    with rt.sessions() as session:
        d = session.get(Deelnemer, oin)
        assert d is not None
        assert adresboek.versies_van(d, "schuldregeling") == ("1.0",)
        assert sorted(adresboek.modules_van(d)) == ["pauzeknop", "schuldregeling"]
    # ticking every version is the default: all of them
    antwoord = _post(beheer, pad, {"modules": ["schuldregeling"], "versies.schuldregeling": ["1.0", "2.0"]})
    assert antwoord.status_code == 303
    with rt.sessions() as session:
        d = session.get(Deelnemer, oin)
        assert d is not None and adresboek.versies_van(d, "schuldregeling") == ("1.0", "2.0")
