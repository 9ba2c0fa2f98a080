"""Aanmelden and extra modules, self-service (#14 item 5): an organisation that logged in with
eHerkenning and is not yet a participant fills in the aanmeldformulier; a participant asks for
extra modules; a beheerder approves or refuses. Through the whole app (TestClient), with a real
SMTP server (aiosmtpd) for the e-mails, on SQLite and PostgreSQL.

The eHerkenning login itself (an unknown KvK number gets the restricted session) is tested
against the real OIDC provider in test_oidc.py; here the restricted session is started as that
login starts it (``sessies.begin`` with ``soort`` aanmelder)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.config import Settings
from knooppunt.hub import adresboek, notificaties
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal import aanvragen
from knooppunt.portaal.sessies import COOKIE, begin
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Aanvraag, Auditregel, Deelnemer, PortaalAanmelder, PortaalSleutelblob
from tests.conftest import met_portaal_ca
from tests.ontvangers import SmtpOntvanger
from tests.portaal.conftest import csrf_van, formulier, inloggen, oin_van

KVK = "69599084"
VESTIGING = "000069599084"
OIN = f"00000003{KVK}0000"
CONTACT = "aanvrager@voorbeeld-energie.nl"
AFZENDER = "knooppunt@example.org"


@pytest.fixture
def smtp() -> Iterator[SmtpOntvanger]:
    server = SmtpOntvanger()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path, smtp: SmtpOntvanger) -> Settings:
    """The test settings with an SMTP server and the test CA (a trust anchor) as portal CA."""
    return met_portaal_ca(
        database_url,
        tmp_path,
        pki_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        smtp_afzender=AFZENDER,
    )


def verzoek(sleutel: Any = None) -> str:
    """A PKCS#10 request in PEM, as the browser's key code makes one (its subject is ignored)."""
    sleutel = sleutel or ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "browser")]))
        .sign(sleutel, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def als_aanmelder(
    client: TestClient, rt: Runtime, *, kvk: str = KVK, vestiging: str | None = VESTIGING
) -> None:
    """The session the eHerkenning login gives an organisation that is not a participant."""
    with transactie(rt.sessions) as session:
        token = begin(
            session,
            rt,
            soort="aanmelder",
            oin=None,
            gebruiker="Anna Aanvrager",
            onderwerp="eh-sub-aanvrager",
            hoe="oidc",
            nu=db_nu(session),
            kvk=kvk,
            vestiging=vestiging,
        )
    client.cookies.set(COOKIE, token)


def aanmeldgegevens(**anders: Any) -> dict[str, Any]:
    gegevens: dict[str, Any] = {
        "naam": "Voorbeeld Energie BV",
        "oin": OIN,
        "rol": "SE",
        "modules": ["schuldregeling", "saldoverzoek"],
        "versies.schuldregeling": ["2.0"],
        "gebruiktBsn": "ja",
        "schuldensoorten": ["nuts"],
        "contactNaam": "Anna Aanvrager",
        "contactEmail": CONTACT,
        "contactTelefoon": "030 123 45 67",
        "csrOndertekening": verzoek(),
        "csrVersleuteling": verzoek(),
    }
    gegevens.update(anders)
    return {k: v for k, v in gegevens.items() if v is not None}


def dien_in(client: TestClient, pad: str = "/portaal/aanmelden", **anders: Any) -> Any:
    csrf, _ = formulier(client, pad)
    return client.post(pad, data={"csrf": csrf, **aanmeldgegevens(**anders)})


def _aanvragen(rt: Runtime) -> list[Aanvraag]:
    with transactie(rt.sessions) as session:
        rijen = list(session.scalars(select(Aanvraag).order_by(Aanvraag.id)))
        session.expunge_all()
        return rijen


def _audit(rt: Runtime, *acties: str) -> list[Auditregel]:
    with transactie(rt.sessions) as session:
        rijen = list(
            session.scalars(select(Auditregel).where(Auditregel.actie.in_(acties)).order_by(Auditregel.id))
        )
        session.expunge_all()
        return rijen


def _mails(smtp: SmtpOntvanger) -> list[tuple[str, str, str]]:
    """(to, subject, text) of every e-mail received."""
    return [(str(m["To"]), str(m["Subject"]).strip(), m.get_content()) for m in smtp.emails]


def _beheer(nieuwe_browser: Any) -> TestClient:
    return inloggen(nieuwe_browser(), "beheer", naam="Bea Beheer")


def _keur_goed(beheer: TestClient, nummer: int) -> Any:
    csrf, _ = formulier(beheer, f"/portaal/beheer/aanvragen/{nummer}")
    return beheer.post(f"/portaal/beheer/aanvragen/{nummer}/goedkeuren", data={"csrf": csrf})


# --- a new participant, start to end ---------------------------------------------------------------


def test_organisatie_meldt_zich_aan_en_beheer_keurt_goed(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    als_aanmelder(portaal, rt)
    # After the login the organisation lands on its aanvragen, nothing else of the portal.
    assert portaal.get("/portaal/").headers["location"] == "/portaal/aanmelden/aanvragen"
    pagina = portaal.get("/portaal/aanmelden")
    assert pagina.status_code == 200
    assert KVK in pagina.text and VESTIGING in pagina.text  # from the login, not a field
    assert 'name="kvkNummer"' not in pagina.text
    assert 'name="csrOndertekening"' in pagina.text and 'name="csrVersleuteling"' in pagina.text

    antwoord = dien_in(portaal)
    assert antwoord.status_code == 303, antwoord.text
    [aanvraag] = _aanvragen(rt)
    assert antwoord.headers["location"] == f"/portaal/aanmelden/aanvragen?ingediend={aanvraag.id}"
    assert (aanvraag.soort, aanvraag.status) == ("aanmelding", "ingediend")
    assert (aanvraag.kvk_nummer, aanvraag.vestigingsnummer, aanvraag.oin) == (KVK, VESTIGING, OIN)
    assert aanvraag.modules == ["saldoverzoek", "schuldregeling:2.0"]
    status = portaal.get(antwoord.headers["location"]).text
    assert "Uw aanvraag is verstuurd" in status and "Ingediend, wacht op beoordeling" in status

    [(aan, onderwerp, tekst)] = _mails(smtp)
    assert aan == CONTACT
    assert onderwerp == f"Schuldenknooppunt: uw aanmelding (nummer {aanvraag.id}) is ontvangen"
    assert "Voorbeeld Energie BV" in tekst and "versie 2.0" in tekst

    # The beheerder sees it, reads it and approves it.
    beheer = _beheer(nieuwe_browser)
    lijst = beheer.get("/portaal/beheer/aanvragen").text
    assert f"/portaal/beheer/aanvragen/{aanvraag.id}" in lijst and "Voorbeeld Energie BV" in lijst
    detail = beheer.get(f"/portaal/beheer/aanvragen/{aanvraag.id}").text
    assert "EC secp256r1" in detail and CONTACT in detail
    # Who submitted it in words (an eHerkenning subject says nothing; the audit actor beside it).
    assert "door een gebruiker van het portaal" in detail
    assert "<code>portaal:eh-sub-aanvrager</code>" in detail
    goed = _keur_goed(beheer, aanvraag.id)
    assert goed.status_code == 303, goed.text
    assert goed.headers["location"].endswith("?gedaan=goedgekeurd-met-certificaten")
    besloten = beheer.get(goed.headers["location"]).text
    assert "portaal-CA" in besloten
    assert "door Bea Beheer" in besloten  # the development login's name

    with transactie(rt.sessions) as session:
        d = adresboek.haal(session, OIN)
        assert (d.naam, d.rol, d.kvk_nummer, d.vestigingsnummer) == (
            "Voorbeeld Energie BV",
            "SE",
            KVK,
            VESTIGING,
        )
        assert adresboek.versies_per_module(d) == {"saldoverzoek": ["2.0"], "schuldregeling": ["2.0"]}
        assert d.gebruikt_bsn and adresboek.schuldensoorten_van(d) == {"nuts"}
        assert d.contact["email"] == CONTACT
        # Certificate changes reach the contact from now on (key transparency); messages: not yet.
        instellingen = notificaties.haal(session, OIN)
        assert instellingen is not None
        assert (instellingen.emailadressen, instellingen.modus) == ([CONTACT], "uit")
        gebruik = sorted(tuple(c.gebruik) for c in d.certificaten)
        assert gebruik == [("ondertekening",), ("versleuteling",)]
        assert {lees_pem(c.pem.encode()).oin for c in d.certificaten} == {OIN}
    assert _aanvragen(rt)[0].status == "goedgekeurd"

    onderwerpen = [o for _, o, _ in _mails(smtp)]
    assert f"Schuldenknooppunt: uw aanmelding (nummer {aanvraag.id}) is goedgekeurd" in onderwerpen
    assert "uitgegeven door de portaal-CA" in _mails(smtp)[-1][2]
    assert "Goedgekeurd" in portaal.get("/portaal/aanmelden/aanvragen").text

    # Every step in the audit log, metadata only.
    regels = _audit(rt, "aanvraag_ingediend", "aanvraag_goedgekeurd", "deelnemer_toegevoegd")
    assert [(r.actie, r.deelnemer) for r in regels] == [
        ("aanvraag_ingediend", OIN),
        ("deelnemer_toegevoegd", OIN),
        ("aanvraag_goedgekeurd", OIN),
    ]
    assert regels[0].actor == "portaal:eh-sub-aanvrager"
    assert regels[2].actor == "portaal:dev:Bea Beheer"
    assert regels[2].uitkomst == f"aanmelding {aanvraag.id}"
    for r in regels:
        assert CONTACT not in str(vars(r)) and "Anna" not in str(vars(r))


def test_aanmelder_kan_alleen_aanmelden(portaal: TestClient, rt: Runtime, demo: dict[str, int]) -> None:
    """The restricted session: the aanmeldformulier and its aanvragen, no participant's or beheer page."""
    als_aanmelder(portaal, rt)
    for pad in (
        "/portaal/ontvangen",
        "/portaal/verzonden",
        "/portaal/beheer/aanvragen",
        "/portaal/aanmelden/modules",
    ):
        assert portaal.get(pad).status_code == 403, pad
    # A participant does not get the aanmeldformulier of a new organisation.
    deelnemer = inloggen(portaal, "energie")
    assert deelnemer.get("/portaal/aanmelden").headers["location"] == "/portaal/aanmelden/modules"
    csrf, _ = formulier(deelnemer, "/portaal/aanmelden/modules")
    assert deelnemer.post("/portaal/aanmelden", data={"csrf": csrf, **aanmeldgegevens()}).status_code == 403
    assert _aanvragen(rt) == []
    # Logging out ends the restricted session with its organisation (ON DELETE CASCADE).
    deelnemer.post("/portaal/uitloggen", data={"csrf": csrf})
    als_aanmelder(portaal, rt)
    csrf = csrf_van(portaal.get("/portaal/aanmelden").text)
    with transactie(rt.sessions) as session:
        voor = len(session.scalars(select(PortaalAanmelder)).all())
    portaal.post("/portaal/uitloggen", data={"csrf": csrf})
    with transactie(rt.sessions) as session:
        assert len(session.scalars(select(PortaalAanmelder)).all()) == voor - 1
    assert portaal.get("/portaal/aanmelden").status_code == 303  # to the login page


def test_ontwikkel_login_als_nieuwe_organisatie_opent_het_aanmeldformulier(
    portaal: TestClient, rt: Runtime, demo: dict[str, int], nieuwe_browser: Any
) -> None:
    """DESIGN §7, #14: in development a newcomer can try self-service joining without eHerkenning —
    the development login offers "Nieuwe organisatie (aanmelden)" with a KvK number (by default
    one of no participant), which gives the aanmelder's restricted session of that login."""
    pagina = portaal.get("/portaal/inloggen")
    assert '<option value="aanmelder">Nieuwe organisatie (aanmelden)</option>' in pagina.text
    standaard = re.search(r'<input id="kvk" name="kvk" value="(\d{8})"', pagina.text)
    assert standaard, pagina.text
    with transactie(rt.sessions) as session:
        assert deelnemers_store.met_kvk(session, standaard.group(1)) == []
    antwoord = portaal.post(
        "/portaal/inloggen/ontwikkeling",
        data={"csrf": csrf_van(pagina.text), "wie": "aanmelder", "naam": "Nina Nieuw", "kvk": KVK},
    )
    assert antwoord.status_code == 303, antwoord.text
    assert antwoord.headers["location"] == "/portaal/aanmelden"
    formulierpagina = portaal.get("/portaal/aanmelden")
    assert formulierpagina.status_code == 200
    assert KVK in formulierpagina.text and 'name="csrOndertekening"' in formulierpagina.text
    assert portaal.get("/portaal/ontvangen").status_code == 403  # the restricted session, nothing else
    assert dien_in(portaal, vestigingsnummer=None).status_code == 303
    [aanvraag] = _aanvragen(rt)
    assert (aanvraag.kvk_nummer, aanvraag.vestigingsnummer) == (KVK, None)
    assert [r.actor for r in _audit(rt, "ingelogd")] == ["portaal:dev:Nina Nieuw"]

    # Without the default: a KvK number of 8 digits, and of no participant (that one is in the list).
    browser = nieuwe_browser()
    for kvk, melding in (
        ("1234", "bestaat niet uit 8 cijfers"),
        ("50123456", "hoort al bij deelnemer Demo Energie BV"),
    ):
        pagina = browser.get("/portaal/inloggen")
        fout = browser.post(
            "/portaal/inloggen/ontwikkeling",
            data={"csrf": csrf_van(pagina.text), "wie": "aanmelder", "kvk": kvk},
        )
        assert fout.status_code == 400
        assert 'role="alert"' in fout.text and melding in fout.text
        assert COOKIE not in fout.headers.get("set-cookie", "")


def test_namen_met_stuurtekens_worden_geweigerd(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    """A crafted form with a line break in the organisation's or contact's name (it would end up
    in e-mail headers and the adresboek): refused per field, in Dutch, nothing stored or sent."""
    als_aanmelder(portaal, rt)
    antwoord = dien_in(portaal, naam="Voorbeeld\r\nBcc: x@y.example", contactNaam="Anna\nAanvrager")
    assert antwoord.status_code == 400
    assert antwoord.text.count("De naam mag geen stuurtekens bevatten") == 4  # summary and field, twice
    assert _aanvragen(rt) == [] and smtp.ontvangen == []


# --- every error at once, nothing lost -----------------------------------------------------------


def test_alle_fouten_tegelijk_en_niets_kwijt(portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger) -> None:
    als_aanmelder(portaal, rt)
    zwak = verzoek(ec.generate_private_key(ec.SECP384R1()))
    antwoord = dien_in(
        portaal,
        naam="Voorbeeld Energie BV",
        oin="00000003123456780000",  # another KvK number's OIN
        rol=None,
        modules=None,
        gebruiktBsn=None,
        schuldensoorten=None,
        contactNaam="",
        contactEmail="anna-at-voorbeeld",
        contactTelefoon="12",
        csrOndertekening="-----BEGIN CERTIFICATE REQUEST-----\nkapot\n-----END CERTIFICATE REQUEST-----",
        csrVersleuteling=zwak,
    )
    assert antwoord.status_code == 400
    tekst = antwoord.text.replace("\n", " ")
    assert "8 fouten in het formulier" in tekst
    for melding in (
        "Dit OIN hoort bij KvK-nummer 12345678, maar u bent ingelogd voor KvK-nummer 69599084",
        "Kies de rol van uw organisatie.",
        "Kies minstens één module",
        "Vul de naam in van wie wij over deze aanvraag kunnen bellen of mailen.",
        "Vul een geldig e-mailadres in",
        "Vul een telefoonnummer in van 10 tot 15 cijfers",
        "Het certificaatverzoek voor ondertekenen is niet bruikbaar",
        "Het certificaatverzoek voor versleutelen is niet bruikbaar: EC-sleutel op secp384r1",
    ):
        assert melding in tekst, melding
    # What was typed is shown again, the requests too.
    assert 'value="Voorbeeld Energie BV"' in tekst and 'value="anna-at-voorbeeld"' in tekst
    assert zwak.splitlines()[1] in antwoord.text
    assert _aanvragen(rt) == [] and smtp.ontvangen == []

    # Flags only for creditors; one key for both purposes is refused.
    sleutel = ec.generate_private_key(ec.SECP256R1())
    antwoord = dien_in(
        portaal, rol="SHV", csrOndertekening=verzoek(sleutel), csrVersleuteling=verzoek(sleutel)
    )
    assert antwoord.status_code == 400
    tekst = antwoord.text.replace("\n", " ")
    assert "Dit geldt alleen voor schuldeisers (rol SE)" in tekst
    assert "Voor versleutelen is een andere sleutel nodig dan voor ondertekenen" in tekst
    assert _aanvragen(rt) == []

    # Right at last, once; a second aanmelding of the same organisation waits for the first.
    assert dien_in(portaal).status_code == 303
    tweede = dien_in(portaal, oin="00000001002306608999")
    assert tweede.status_code == 400
    assert "Uw organisatie heeft al een aanmelding ingediend" in tweede.text
    assert len(_aanvragen(rt)) == 1


# --- two beheerders at once ----------------------------------------------------------------------


def test_twee_beheerders_tegelijk_een_beslissing(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    als_aanmelder(portaal, rt)
    assert dien_in(portaal).status_code == 303
    [aanvraag] = _aanvragen(rt)
    start = threading.Barrier(2)
    uitkomsten: list[object] = []

    def beslis(wie: str) -> None:
        start.wait()
        try:
            uitkomsten.append(aanvragen.keur_goed(rt, aanvraag.id, door=f"portaal:{wie}"))
        except aanvragen.AanvraagFout as fout:
            uitkomsten.append(fout)

    draden = [threading.Thread(target=beslis, args=(w,)) for w in ("bea", "bob")]
    for d in draden:
        d.start()
    for d in draden:
        d.join(30)
    goed = [u for u in uitkomsten if isinstance(u, aanvragen.Besluit)]
    fout = [u for u in uitkomsten if isinstance(u, aanvragen.AanvraagFout)]
    assert len(goed) == 1 and len(fout) == 1, uitkomsten
    assert "al beoordeeld" in fout[0].uitleg
    with transactie(rt.sessions) as session:
        assert session.scalar(select(Deelnemer).where(Deelnemer.oin == OIN)) is not None
    assert len(_audit(rt, "aanvraag_goedgekeurd")) == 1
    assert len(_audit(rt, "deelnemer_toegevoegd")) == 1

    # Over HTTP too: a beheerder with the page still open is told, and nothing changes.
    beheer = _beheer(nieuwe_browser)
    csrf = csrf_van(beheer.get("/portaal/beheer").text)
    for actie, data in (("goedkeuren", {}), ("weigeren", {"reden": "te laat"})):
        antwoord = beheer.post(
            f"/portaal/beheer/aanvragen/{aanvraag.id}/{actie}", data={"csrf": csrf, **data}
        )
        assert antwoord.status_code == 409
        assert "Deze aanvraag is al beoordeeld door portaal:" in antwoord.text
    assert _aanvragen(rt)[0].status == "goedgekeurd"
    assert len([o for _, o, _ in _mails(smtp) if "goedgekeurd" in o]) == 1


# --- refusal -------------------------------------------------------------------------------------


def test_weigeren_met_reden(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    als_aanmelder(portaal, rt)
    assert dien_in(portaal).status_code == 303
    [aanvraag] = _aanvragen(rt)
    beheer = _beheer(nieuwe_browser)
    csrf, _ = formulier(beheer, f"/portaal/beheer/aanvragen/{aanvraag.id}")
    pad = f"/portaal/beheer/aanvragen/{aanvraag.id}/weigeren"

    leeg = beheer.post(pad, data={"csrf": csrf, "reden": "   "})
    assert leeg.status_code == 400
    assert "Geef een reden" in leeg.text
    assert _aanvragen(rt)[0].status == "ingediend" and len(smtp.ontvangen) == 1  # only the receipt

    reden = "Het OIN staat niet op naam van uw organisatie bij Logius."
    geweigerd = beheer.post(pad, data={"csrf": csrf, "reden": reden})
    assert geweigerd.status_code == 303
    assert "De organisatie krijgt de reden per e-mail" in beheer.get(geweigerd.headers["location"]).text
    rij = _aanvragen(rt)[0]
    assert (rij.status, rij.reden, rij.beoordeeld_door) == ("geweigerd", reden, "portaal:dev:Bea Beheer")
    _, onderwerp, tekst = _mails(smtp)[-1]
    assert onderwerp == f"Schuldenknooppunt: uw aanmelding (nummer {aanvraag.id}) is geweigerd"
    assert reden in tekst
    assert reden in portaal.get("/portaal/aanmelden/aanvragen").text
    [regel] = _audit(rt, "aanvraag_geweigerd")
    assert regel.uitkomst == f"aanmelding {aanvraag.id}" and "Logius" not in str(vars(regel))
    with transactie(rt.sessions) as session:
        assert session.get(Deelnemer, OIN) is None
    # A refused aanvraag cannot be approved after all; a new one may be submitted.
    assert "Aanvraag goedkeuren" not in beheer.get(f"/portaal/beheer/aanvragen/{aanvraag.id}").text
    assert (
        beheer.post(f"/portaal/beheer/aanvragen/{aanvraag.id}/goedkeuren", data={"csrf": csrf}).status_code
        == 409
    )
    assert dien_in(portaal).status_code == 303


# --- without a portal CA -------------------------------------------------------------------------


def test_zonder_portaal_ca_worden_certificaten_geimporteerd(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    als_aanmelder(portaal, rt)
    assert dien_in(portaal).status_code == 303
    [aanvraag] = _aanvragen(rt)
    zonder = runtime_mod.bouw(
        Settings(**{**rt.settings.model_dump(), "portaal_ca_certificaat": None, "portaal_ca_sleutel": None}),
        upgrade=False,
    )
    try:
        besluit = aanvragen.keur_goed(zonder, aanvraag.id, door="portaal:dev:Bea Beheer")
    finally:
        zonder.close()
    assert not besluit.certificaten_uitgegeven
    with transactie(rt.sessions) as session:
        assert adresboek.haal(session, OIN).certificaten == []
    assert "nog geen certificaten uitgegeven" in _mails(smtp)[-1][2]


# --- extra modules for a participant -------------------------------------------------------------


def test_deelnemer_vraagt_extra_modules(
    portaal: TestClient, rt: Runtime, demo: dict[str, int], smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    inloggen(portaal, "energie")
    oin = oin_van("energie")
    pagina = portaal.get("/portaal/aanmelden/modules")
    assert (
        pagina.status_code == 200 and "Uw organisatie gebruikt nu: Schuldregeling (versie 1.0)" in pagina.text
    )
    assert 'name="csrOndertekening"' not in pagina.text and 'name="oin"' not in pagina.text

    # What it has already is no extra module.
    al = dien_in(
        portaal, "/portaal/aanmelden/modules", modules=["schuldregeling"], **{"versies.schuldregeling": "1.0"}
    )
    assert al.status_code == 400 and "Uw organisatie gebruikt deze modules en versies al" in al.text

    antwoord = dien_in(
        portaal,
        "/portaal/aanmelden/modules",
        modules=["schuldregeling", "saldoverzoek"],
        **{"versies.schuldregeling": "2.0"},
    )
    assert antwoord.status_code == 303, antwoord.text
    [aanvraag] = _aanvragen(rt)
    assert (aanvraag.soort, aanvraag.oin, aanvraag.modules) == (
        "extra_modules",
        oin,
        ["saldoverzoek", "schuldregeling:2.0"],
    )
    assert "Extra modules" in portaal.get("/portaal/aanmelden/aanvragen").text
    assert (
        _mails(smtp)[-1][1]
        == f"Schuldenknooppunt: uw aanvraag voor extra modules (nummer {aanvraag.id}) is ontvangen"
    )

    beheer = _beheer(nieuwe_browser)
    assert "Modules nu" in beheer.get(f"/portaal/beheer/aanvragen/{aanvraag.id}").text
    goed = _keur_goed(beheer, aanvraag.id)
    assert goed.status_code == 303 and goed.headers["location"].endswith("?gedaan=goedgekeurd")
    with transactie(rt.sessions) as session:
        d = adresboek.haal(session, oin)
        assert adresboek.versies_per_module(d) == {"saldoverzoek": ["2.0"], "schuldregeling": ["1.0", "2.0"]}
    assert "is goedgekeurd" in _mails(smtp)[-1][1] and aanvraag.contact_email in _mails(smtp)[-1][0]
    assert [
        r.actie for r in _audit(rt, "aanvraag_ingediend", "aanvraag_goedgekeurd", "deelnemer_gewijzigd")
    ] == [
        "aanvraag_ingediend",
        "deelnemer_gewijzigd",
        "aanvraag_goedgekeurd",
    ]


def test_adresboek_weigert_bij_goedkeuren_dan_blijft_alles_zoals_het_was(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    """The OIN was registered by other means after the submission: approving says why and changes
    nothing, so the beheerder can refuse with that reason."""
    als_aanmelder(portaal, rt)
    assert dien_in(portaal).status_code == 303
    [aanvraag] = _aanvragen(rt)
    with transactie(rt.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=OIN, naam="Al Bekend BV", rol="SE", kvk_nummer=KVK, modules=["saldoverzoek"]
            ),
            nu=db_nu(session),
            ankers=None,
            door="beheer:test",
        )
    beheer = _beheer(nieuwe_browser)
    antwoord = _keur_goed(beheer, aanvraag.id)
    assert antwoord.status_code == 400
    assert "Goedkeuren lukt niet: Er is al een deelnemer met OIN" in antwoord.text
    assert "Aanvraag weigeren" in antwoord.text  # still open to refuse
    assert _aanvragen(rt)[0].status == "ingediend"
    assert _audit(rt, "aanvraag_goedgekeurd") == []
    with transactie(rt.sessions) as session:
        assert adresboek.haal(session, OIN).naam == "Al Bekend BV"
    assert len(smtp.ontvangen) == 1  # the receipt only


def _menu(html: str) -> list[str]:
    menu = html.split('aria-label="Hoofdmenu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="(/portaal/[^"]*)"', menu)


def test_het_menu_wijst_elk_soort_gebruiker_alleen_de_weg_die_het_mag(
    portaal: TestClient, rt: Runtime, demo: dict[str, int]
) -> None:
    """#14 item 5: an aanmelder's menu shows its form and its aanvragen only (every other link
    would be a 403); beheer finds the aanvragen; a participant finds its keys, and on the start page
    the way to extra modules."""
    als_aanmelder(portaal, rt)
    menu = _menu(portaal.get("/portaal/aanmelden").text)
    assert menu == ["/portaal/aanmelden", "/portaal/aanmelden/aanvragen"]
    assert all(portaal.get(pad).status_code == 200 for pad in menu)
    portaal.cookies.clear()
    inloggen(portaal, "beheer")
    assert "/portaal/beheer/aanvragen" in _menu(portaal.get("/portaal/beheer").text)
    portaal.cookies.clear()
    inloggen(portaal, "energie")
    start = portaal.get("/portaal/").text
    assert "/portaal/sleutels" in _menu(start)
    assert 'href="/portaal/aanmelden/modules"' in start
    assert all(portaal.get(pad).status_code == 200 for pad in _menu(start)), _menu(start)


def test_de_startpagina_toont_elk_certificaat_op_naam_van_de_deelnemer(
    portaal: TestClient, rt: Runtime, demo: dict[str, int]
) -> None:
    """DESIGN §5 "Key transparency": every certificate registered for the participant is shown at
    every login, newest first, with the last change — one issued without it stands out."""
    inloggen(portaal, "energie")
    with rt.sessions() as session:
        deelnemer = deelnemers_store.haal(session, oin_van("energie"))
        assert deelnemer is not None
        vingerafdrukken = [c.vingerafdruk for c in deelnemer.certificaten]
    assert vingerafdrukken
    start = portaal.get("/portaal/").text
    assert "Uw certificaten" in start and "Laatste wijziging" in start
    for vingerafdruk in vingerafdrukken:
        assert vingerafdruk[:16] in start


# --- keys made in the browser with the aanmelding (#14 item 5) -----------------------------------


def _browsersleutels(oin: str = OIN) -> tuple[Any, Any, dict[str, Any]]:
    """What the aanmeldformulier's script sends: the organisation's keys (CSR, encryption key and its
    proof) and the blob wrapped to the applicant's personal key, for ``oin``."""
    from tests.portaal.test_sleutels import Gebruiker2, Organisatie

    organisatie = Organisatie(oin)
    gebruiker = Gebruiker2(oin)
    verzoek = organisatie.verzoek(gebruiker)
    del verzoek["vervang"]
    return organisatie, gebruiker, verzoek


def dien_in_met_sleutels(client: TestClient, verzoek: Any, **anders: Any) -> Any:
    tekst = verzoek if isinstance(verzoek, str) else json.dumps(verzoek)
    return dien_in(client, csrOndertekening=None, csrVersleuteling=None, browsersleutels=tekst, **anders)


def test_aanmelden_met_sleutels_uit_de_browser_en_goedkeuren_geeft_certificaten_en_blob(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    als_aanmelder(portaal, rt)
    pagina = portaal.get("/portaal/aanmelden")
    # The werkplek's bundle (SRI) makes the keys; Argon2id needs WebAssembly, on this page only.
    assert 'name="browsersleutels"' in pagina.text and 'integrity="sha384-' in pagina.text
    assert "'wasm-unsafe-eval'" in pagina.headers["content-security-policy"]
    assert (
        "'wasm-unsafe-eval'"
        not in portaal.get("/portaal/aanmelden/aanvragen").headers["content-security-policy"]
    )

    organisatie, gebruiker, verzoek = _browsersleutels()
    antwoord = dien_in_met_sleutels(portaal, verzoek)
    assert antwoord.status_code == 303, antwoord.text
    [aanvraag] = _aanvragen(rt)
    assert aanvraag.csr_ondertekening is not None and aanvraag.csr_versleuteling is None
    assert lees_csr(aanvraag.csr_ondertekening) == organisatie.browser.teken.public_key().public_numbers()
    bewaard = json.loads(aanvraag.browsersleutels or "")
    assert set(bewaard) == {"versleuteling", "bewijs", "blob", "onderwerp", "naam"}
    assert (bewaard["onderwerp"], bewaard["naam"]) == ("eh-sub-aanvrager", "Anna Aanvrager")
    assert bewaard["blob"] == verzoek["blob"]  # ciphertext, as the browser sent it

    beheer = _beheer(nieuwe_browser)
    goed = _keur_goed(beheer, aanvraag.id)
    assert goed.status_code == 303, goed.text
    assert goed.headers["location"].endswith("?gedaan=goedgekeurd-met-certificaten")

    with transactie(rt.sessions) as session:
        d = adresboek.haal(session, OIN)
        certificaten = {tuple(c.gebruik): lees_pem(c.pem.encode()) for c in d.certificaten}
        assert set(certificaten) == {("ondertekening",), ("versleuteling",)}
        publiek = {
            g[0]: x509.load_pem_x509_certificate(c.pem.encode()).public_key().public_numbers()  # type: ignore[union-attr]
            for g, c in certificaten.items()
        }
        assert publiek["ondertekening"] == organisatie.browser.teken.public_key().public_numbers()
        assert publiek["versleuteling"] == organisatie.browser.ecdh.public_key().public_numbers()
        assert {c.oin for c in certificaten.values()} == {OIN}
        rij = session.get(PortaalSleutelblob, (OIN, "eh-sub-aanvrager"))
        assert rij is not None and rij.toegang_gevraagd_op is None
        blob = json.loads(rij.blob)
    # The blob is the applicant's: each key's kid is its new certificate's, and the applicant (who
    # alone has the passphrase) opens the keys made in the browser.
    kids = {s["gebruik"]: s["kid"] for s in blob["sleutels"]}
    from knooppunt.protocol.jwe import x5t_s256

    assert kids["ondertekening"] == x5t_s256(certificaten[("ondertekening",)].der)
    assert kids["versleuteling"] == x5t_s256(certificaten[("versleuteling",)].der)
    [item] = [s for s in blob["sleutels"] if s["gebruik"] == "versleuteling"]
    geopend = load_der_private_key(gebruiker.open(item), None)
    assert geopend.public_key().public_numbers() == organisatie.browser.ecdh.public_key().public_numbers()  # type: ignore[union-attr]
    assert _aanvragen(rt)[0].browsersleutels is None  # moved, not kept twice

    # Registered as the key page registers: issued and added, per certificate.
    acties = [r.actie for r in _audit(rt, "certificaat_uitgegeven", "certificaat_toegevoegd")]
    assert sorted(acties) == ["certificaat_toegevoegd"] * 2 + ["certificaat_uitgegeven"] * 2
    assert "uitgegeven door de portaal-CA" in _mails(smtp)[-1][2]
    tekst = " ".join(_mails(smtp)[-1][2].split())
    assert "met het wachtwoord dat uw browser bij de aanmelding toonde" in tekst

    # After approval the applicant logs in again (the same eHerkenning subject) and unlocks.
    with transactie(rt.sessions) as session:
        token = begin(
            session,
            rt,
            soort="deelnemer",
            oin=OIN,
            gebruiker="Anna Aanvrager",
            onderwerp="eh-sub-aanvrager",
            hoe="oidc",
            nu=db_nu(session),
        )
    deelnemer = nieuwe_browser()
    deelnemer.cookies.set(COOKIE, token)
    sleutelpagina = deelnemer.get("/portaal/sleutels")
    assert 'data-toestand="toegang"' in sleutelpagina.text
    csrf = csrf_van(sleutelpagina.text)
    opgehaald = deelnemer.get("/portaal/sleutels/api/blob", headers={"X-CSRF-Token": csrf})
    assert opgehaald.json()["blob"]["persoonlijk"]["jkt"] == gebruiker.jkt


def lees_csr(pem: str) -> Any:
    return x509.load_pem_x509_csr(pem.encode()).public_key().public_numbers()  # type: ignore[union-attr]


def test_sleutels_uit_de_browser_worden_gecontroleerd_met_nederlandse_fouten(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    als_aanmelder(portaal, rt)
    _, _, goed = _browsersleutels()
    _, _, ander_oin = _browsersleutels("00000001002306608000")
    andere_organisatie, _, andere = _browsersleutels()
    gevallen: list[tuple[Any, str]] = [
        ("{kapot", "De sleutels uit uw browser zijn onleesbaar aangekomen"),
        ({**goed, "wachtwoord": "ABCD"}, "ze hebben een onbekende vorm"),
        # Keys made for another OIN than the one in the form.
        ({**ander_oin}, "het bewijs is voor OIN '00000001002306608000', niet voor " + OIN),
        # A blob with other keys than those of the certificate requests.
        (
            {**goed, "blob": andere["blob"]},
            "de versleutelde sleutels horen niet bij de aangevraagde sleutels",
        ),
        ({**goed, "bewijs": andere["bewijs"]}, "het bewijs"),
        (
            {**goed, "blob": {**goed["blob"], "kdf": {**goed["blob"]["kdf"], "geheugenKiB": 1024}}},
            "Argon2id-geheugen 1024 KiB",
        ),
        (
            {**goed, "blob": {**goed["blob"], "sleutels": goed["blob"]["sleutels"][:2]}},
            "geheimen van de organisatie",
        ),
    ]
    for verzoek, verwacht in gevallen:
        antwoord = dien_in_met_sleutels(portaal, verzoek)
        assert antwoord.status_code == 400, verwacht
        tekst = antwoord.text.replace("\n", " ").replace("&#39;", "'")
        assert verwacht in tekst, (verwacht, tekst[tekst.find("fouten in het formulier") :][:800])
        assert "Maak de sleutels opnieuw op deze pagina." in tekst
        # Nothing of the keys is shown again: the page makes new ones with a new passphrase.
        assert 'name="browsersleutels" value=""' in antwoord.text
    assert _aanvragen(rt) == [] and smtp.ontvangen == []
    del andere_organisatie
    # The pasted requests are not needed beside keys from the browser; right at last.
    assert dien_in_met_sleutels(portaal, goed).status_code == 303


def test_weigeren_wist_de_certificaatverzoeken_en_de_sleutels(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger, nieuwe_browser: Any
) -> None:
    als_aanmelder(portaal, rt)
    _, _, verzoek = _browsersleutels()
    assert dien_in_met_sleutels(portaal, verzoek).status_code == 303
    [aanvraag] = _aanvragen(rt)
    assert aanvraag.browsersleutels is not None
    beheer = _beheer(nieuwe_browser)
    csrf, _ = formulier(beheer, f"/portaal/beheer/aanvragen/{aanvraag.id}")
    geweigerd = beheer.post(
        f"/portaal/beheer/aanvragen/{aanvraag.id}/weigeren", data={"csrf": csrf, "reden": "Onbekend OIN."}
    )
    assert geweigerd.status_code == 303
    rij = _aanvragen(rt)[0]
    assert rij.status == "geweigerd"
    assert (rij.csr_ondertekening, rij.csr_versleuteling, rij.browsersleutels) == (None, None, None)
    with transactie(rt.sessions) as session:
        assert session.scalars(select(PortaalSleutelblob)).all() == []
        assert session.get(Deelnemer, OIN) is None


def test_zonder_portaal_ca_vervallen_de_sleutels_uit_de_browser(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    als_aanmelder(portaal, rt)
    _, _, verzoek = _browsersleutels()
    assert dien_in_met_sleutels(portaal, verzoek).status_code == 303
    [aanvraag] = _aanvragen(rt)
    zonder = runtime_mod.bouw(
        Settings(**{**rt.settings.model_dump(), "portaal_ca_certificaat": None, "portaal_ca_sleutel": None}),
        upgrade=False,
    )
    try:
        besluit = aanvragen.keur_goed(zonder, aanvraag.id, door="portaal:dev:Bea Beheer")
    finally:
        zonder.close()
    assert not besluit.certificaten_uitgegeven
    assert _aanvragen(rt)[0].browsersleutels is None
    with transactie(rt.sessions) as session:
        assert session.scalars(select(PortaalSleutelblob)).all() == []


def test_migratie_0019_voegt_de_kolom_toe_en_haalt_hem_weer_weg(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from knooppunt.store import migrate

    url = f"sqlite:///{tmp_path / 'migratie.db'}"
    engine = create_engine(url)
    try:
        migrate.upgrade(engine)
        assert "browsersleutels" in {k["name"] for k in inspect(engine).get_columns("aanvragen")}
        assert migrate.huidige_revisie(engine) == migrate.nieuwste_revisie()
        with engine.begin() as conn:
            config = migrate.alembic_config(url)
            config.attributes["connection"] = conn
            command.downgrade(config, "0018_clientlabels")
        assert "browsersleutels" not in {k["name"] for k in inspect(engine).get_columns("aanvragen")}
        migrate.upgrade(engine)
        assert "browsersleutels" in {k["name"] for k in inspect(engine).get_columns("aanvragen")}
        assert migrate.drift(engine) == []
    finally:
        engine.dispose()


def test_extra_modules_alleen_wat_de_deelnemer_aanvinkt_en_alleen_modules_voor_zijn_rol(
    portaal: TestClient, rt: Runtime, demo: dict[str, int], smtp: SmtpOntvanger
) -> None:
    """DESIGN §3a: a participant accepts the versions it chose (none ticked: all), so the form starts
    with no version ticked, as its hint says, and sends only what the user ticks. DESIGN §3b: bewind
    is for bewindvoerders and schuldeisers — a debt counsellor is not offered it, and a forged
    request for it is refused. The participant's own form says "die u gebruikt"."""
    inloggen(portaal, "wijkteam")
    pagina = portaal.get("/portaal/aanmelden/modules")
    assert pagina.status_code == 200
    assert not re.search(r'name="versies\.[a-z]+" value="[0-9.]+" checked', pagina.text)
    assert 'value="bewind"' not in pagina.text and "Meldingen bewindvoering" not in pagina.text
    assert 'value="waarborgfonds"' in pagina.text  # a kredietbank is an SHV in that module
    assert "Versies van Schuldregeling die u gebruikt" in pagina.text
    assert "die de deelnemer gebruikt" not in pagina.text

    vreemd = dien_in(portaal, "/portaal/aanmelden/modules", modules=["bewind"])
    assert vreemd.status_code == 400
    assert "Meldingen bewindvoering is niet voor een schuldhulpverlener" in vreemd.text
    assert _aanvragen(rt) == []

    antwoord = dien_in(
        portaal, "/portaal/aanmelden/modules", modules=["schuldregeling"], **{"versies.schuldregeling": "2.0"}
    )
    assert antwoord.status_code == 303, antwoord.text
    [aanvraag] = _aanvragen(rt)
    assert aanvraag.modules == ["schuldregeling:2.0"]


def test_aanmelding_weigert_een_module_die_niet_bij_de_rol_past(
    portaal: TestClient, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    """DESIGN §3b: the waarborgfonds module is for kredietbanken (SHV) and the fund — a creditor's
    aanmelding for it is refused naming what its role can use, and nothing is stored. The new form
    too starts with no version ticked and says "die u gebruikt"."""
    als_aanmelder(portaal, rt)
    _, pagina = formulier(portaal, "/portaal/aanmelden")
    assert not re.search(r'name="versies\.[a-z]+" value="[0-9.]+" checked', pagina.text)
    assert "Versies van Schuldregeling die u gebruikt" in pagina.text
    antwoord = dien_in(portaal, modules=["schuldregeling", "waarborgfonds"])
    assert antwoord.status_code == 400
    tekst = " ".join(antwoord.text.split())
    assert "Waarborgfonds saneringskredieten is niet voor een schuldeiser" in tekst
    assert _aanvragen(rt) == []
