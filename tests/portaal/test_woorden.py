"""Words, not codes, and the right party named (DESIGN §7 "For people at work": labels from the
handbook, never internal codes; correct Dutch). From an independent tester's pass over the portal
as kredietbank, fund, bewindvoerder and debt counsellor."""

from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.portaal import csvindeling, formulier, leesbaar
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import formulier as opstelformulier
from tests.portaal.shv import verstuur
from tests.portaal.test_modules import _csv, vul_antwoord
from tests.portaal.test_ontvangen import csv_rijen, download
from tests.portaal.test_upload import fouten, upload


def _tekst(pagina: str) -> str:
    """The page as a person reads it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", pagina)).split())


def test_the_fund_s_answer_shows_its_gebeurtenis_in_words(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """§7: the kredietbank reads the fund's gebeurtenis as words on the message page, not
    ``borgstelling_afgegeven``."""
    inloggen(portaal, "fonds")
    zip_ = download(portaal)
    rijen = csv_rijen(zip_, "waarborgfonds-2.0/voorbeoordelingen.csv")
    rij = vul_antwoord(rijen[0])
    rij["antwoord.gebeurtenis"] = "pro_forma_afgegeven"
    rij["antwoord.proFormaBorgstelling"] = str(uuid.uuid4())
    pagina = upload(portaal, ("voorbeoordelingen.csv", _csv([rij])))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    with transactie(rt.sessions) as session:
        antwoord = session.scalars(
            select(Bericht).where(
                Bericht.cross_referentienummer == rijen[0]["referentienummer"],
                Bericht.berichttype == "gebeurtenis",
            )
        ).one()
        conversatie, ref = antwoord.conversatie_referentienummer, antwoord.referentienummer
    inloggen(portaal, "kredietbank")
    bericht = portaal.get(f"/portaal/clienten/{conversatie}/berichten/{ref}")
    assert bericht.status_code == 200
    tekst = _tekst(bericht.text)
    assert "Gebeurtenis Pro-formaborgstelling afgegeven" in tekst
    assert "pro_forma_afgegeven" not in tekst
    # The confirm text names the sender, not "de schuldeiser".
    assert "De schuldeiser krijgt" not in tekst
    assert (
        "Demo Waarborgfonds krijgt een ontvangstbevestiging" in tekst
        or "krijgt een ontvangstbevestiging" in tekst
    )
    assert "schuldeiser krijgt een ontvangstbevestiging" not in tekst
    # The client page names the kredietbank's own number by its word for a fund case.
    client = _tekst(portaal.get(f"/portaal/clienten/{conversatie}").text)
    assert "Klantnummer SHV" not in client
    assert "Kenmerk (uw nummer van het saneringskrediet)" in client


def test_readable_copies_show_codes_in_words() -> None:
    """§7 (art. 17.1 readable copy and the message page): enum values as words."""
    payload = {"kenmerk": "SK-1", "gebeurtenis": "borgstelling_afgegeven", "soortLening": "SK"}
    regels = {r.label: r.waarde for r in leesbaar.regels(payload)}
    assert regels["Gebeurtenis"] == "Borgstelling afgegeven"
    assert regels["Soort lening"] == "SK – saneringskrediet"
    getoond = {t.label: t.waarde for t in formulier.toon(payload)}
    assert getoond["Gebeurtenis"] == "Borgstelling afgegeven"
    assert {t.waarde for t in formulier.toon({"adreskeuze": "adres_shv"})} == {
        "Adres van de schuldhulpverlener"
    }


def test_the_borgstelling_form_names_statistieken_and_loans(portaal: TestClient, demo: object) -> None:
    """§7: a statistiek's choice is "Soort statistiek" (not the reason's "Redencode" and its hint),
    soortLening's codes have their words, and the contact person's fields say that one of the two
    is required instead of "(niet verplicht)" each. The content goes to the fund, named."""
    inloggen(portaal, "kredietbank")
    pagina = opstelformulier(portaal, "aanvraag_borgstelling", ["fonds"], module="waarborgfonds").text
    tekst = _tekst(pagina)
    assert "Redencode" not in tekst and "GEEN_MEDEWERKING" not in tekst
    assert "Soort statistiek" in tekst
    assert "PL – persoonlijke lening" in tekst and "SK – saneringskrediet" in tekst
    assert "Telefoonnummer (of e-mailadres)" in tekst and "E-mailadres (of telefoonnummer)" in tekst
    assert "Vul telefoonnummer of e-mailadres in; één van beide is verplicht." in tekst
    assert "Telefoonnummer (niet verplicht)" not in tekst
    assert "versleuteld naar de schuldeiser" not in tekst
    assert "De inhoud gaat versleuteld naar Demo Waarborgfonds" in tekst or re.search(
        r"De inhoud gaat versleuteld naar (?!de schuldeiser)", tekst
    )
    # Both empty: one error in proper Dutch.
    payload = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0")
    payload["contact"] = {"naam": "A. Jansen"}
    antwoord = verstuur(portaal, "aanvraag_borgstelling", ["fonds"], payload, module="waarborgfonds")
    fout = _tekst(antwoord.text)
    assert "telefoonnummer of e-mailadres is verplicht bij een contactpersoon" in fout
    assert "telefoon of email" not in fout


def test_einde_bewind_asks_its_reason_in_words(portaal: TestClient, demo: object) -> None:
    """§7: einde_bewind's reden.code is labelled for what it is, with the codes the module names
    (docs/modules/bewind.md), not the generic GEEN_MEDEWERKING example; a choice of reasons
    (geen_medewerking) has no hint to type a code."""
    sj = formulier.bouw("bewind", "einde_bewind", formulier.Invoer(), versie="2.0")
    velden = {v.pad: v for veld in sj.velden for v in formulier.alle(veld)}
    code = velden["reden.code"]
    # A choice of the documented codes in words, another code typed beside "Een andere reden" (the
    # module's codes are free): the user never has to type OPGEHEVEN (an independent probe).
    assert code.label == "Reden van het einde" and code.hint is None
    assert ("OPGEHEVEN", "Het bewind is opgeheven") in code.sj.suggesties
    assert "GEEN_MEDEWERKING" not in code.anders_hint
    keuze = {
        v.pad: v
        for veld in formulier.bouw("bewind", "geen_medewerking", formulier.Invoer(), versie="2.0").velden
        for v in formulier.alle(veld)
    }["reden.code"]
    assert keuze.label == "Reden" and keuze.hint is None
    assert ("klant_onbekend", "Klant onbekend") in keuze.opties


def test_kennisgeving_address_choice_in_words() -> None:
    """§7: adreskeuze ``adres_shv`` reads "Adres van de schuldhulpverlener", not "Adres shv"."""
    sj = formulier.sjabloon("pauzeknop", "kennisgeving", "2.0")
    (keuze,) = [k for k in sj.kinderen if k.naam == "adreskeuze"]
    assert dict(keuze.opties)["adres_shv"] == "Adres van de schuldhulpverlener"
    assert "Adres shv" not in dict(keuze.opties).values()


def test_a_wrong_choice_in_an_upload_names_codes_with_their_words() -> None:
    """§7: a cell outside the choices lists what the CSV accepts, code with its words."""
    kolom = next(
        k for k in csvindeling.kolommen("waarborgfonds", "gebeurtenis", "2.0", {}) if k.naam == "gebeurtenis"
    )
    try:
        csvindeling.waarde(kolom, "goedgekeurd")
    except formulier.Omzetfout as exc:
        reden = str(exc)
    else:  # pragma: no cover - the test fails here
        raise AssertionError("'goedgekeurd' was accepted")
    assert "pro_forma_afgegeven (pro-formaborgstelling afgegeven)" in reden
    assert "borgstelling_afgegeven (borgstelling afgegeven)" in reden
    assert csvindeling.waarde(kolom, "Borgstelling afgegeven") == "borgstelling_afgegeven"


def test_an_upload_error_at_its_column_does_not_repeat_a_payload_path() -> None:
    """§7: the column beside the error names the field; a path appears only as the column an error
    that had to go elsewhere is about."""
    reden = "telefoonnummer of e-mailadres is verplicht bij een contactpersoon"
    kolom = "antwoord.contactpersoonSE.telefoon"
    assert csvindeling.reden_bij_kolom(reden, "contactpersoonSE.telefoon", kolom) == reden
    elders = csvindeling.reden_bij_kolom(reden, "contactpersoonSE.telefoon", "antwoord.berichttype")
    assert elders == f"{reden} (kolom antwoord.contactpersoonSE.telefoon)"


def test_form_errors_show_dates_as_the_form_asks_for_them() -> None:
    """§7 (correct Dutch): the pauze rule's dates as dd-mm-jjjj in the hosted form."""
    invoer = formulier.Invoer()
    fouten_ = {
        "pauze.einddatum": [
            "een pauze duurt hoogstens 8 maanden: einddatum (2027-12-07) mag niet na 2027-08-07 liggen"
        ]
    }
    vorm = formulier.bouw("pauzeknop", "kennisgeving", invoer, fouten_, versie="2.0")
    redenen = [r for _, _, r in vorm.samenvatting]
    assert redenen == [
        "een pauze duurt hoogstens 8 maanden: einddatum (07-12-2027) mag niet na 07-08-2027 liggen"
    ]


def test_a_bewindvoerder_has_no_answer_upload(portaal: TestClient, demo: object) -> None:
    """§7 and docs/portaal.md: *Antwoorden uploaden* is for the roles that answer (SE, WF); a
    bewindvoerder answers nothing in its modules and composes with Nieuw bericht."""
    assert not any(
        "BW" in {str(r) for r in t.naar} and t.antwoord_verwacht
        for t in CATALOGUS.alle()
        if not t.door_knooppunt
    )
    inloggen(portaal, "bewindvoerder")
    start = portaal.get("/portaal/")
    assert "Antwoorden uploaden" not in start.text
    assert "Nieuw bericht" in start.text
    geweigerd = portaal.get("/portaal/upload")
    assert geweigerd.status_code == 403
    assert "een bewindvoerder beantwoordt geen berichten" in _tekst(geweigerd.text)
    client = portaal.get("/portaal/clienten")
    assert client.status_code == 200
    inloggen(portaal, "fonds")
    assert "Antwoorden uploaden" in portaal.get("/portaal/").text


def test_a_bewindvoerder_s_client_number_is_its_own(portaal: TestClient, demo: object, rt: Runtime) -> None:
    """§7: the client-name form asks for the bewindvoerder's own klantnummer, not "Klantnummer SHV"."""
    inloggen(portaal, "bewindvoerder")
    antwoord = verstuur(
        portaal, "melding_bewind", ["incasso"], voorbeeld("bewind", "melding_bewind", "2.0"), module="bewind"
    )
    assert antwoord.status_code == 200
    conversatie = re.search(r'href="/portaal/clienten/([0-9a-f-]{36})"', antwoord.text)
    assert conversatie is not None
    client = _tekst(portaal.get(f"/portaal/clienten/{conversatie.group(1)}").text)
    assert "Klantnummer SHV" not in client and "Uw klantnummer" in client
    assert oin_van("incasso")
