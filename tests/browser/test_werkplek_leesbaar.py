"""What a newcomer found on the werkplek (/portaal/sleutels; DESIGN §5 "Portal", §7 "For people at
work": labels from the handbook, never internal codes; correct Dutch), in Debian's Chromium:

- B4: a message opened with *Openen* reads as the hosted *Bekijken* page and the zip's readable copy
  do (leesbaar.py): a heading with the type's handbook name and the client's name (once the
  organisation named the traject), the envelope, and the content as label → value — amounts in
  euro with a decimal comma, dates as dd-mm-jjjj, codes in words — the same lines as the server's
  `leesbaar.regels`. The JSON stays beneath, in a closed *Alle gegevens (JSON)*. Payload text that
  looks like HTML shows as text and makes no element. A hub notice shows its omschrijving, its code
  beside it. Axe-checked, and without sideways scrolling, at 1280 and at 360 px.
- B10: the unlock password field looks like the portal's other fields.
- B2: a contact person's telephone and e-mail say that one of the two is required; leaving both
  empty gives one Dutch error naming them by their labels, at the fields — never a dotted path.
- B3: the young-certificate stop says the age in whole days and tells what to do.
- B9: every option of every compose form of the municipality shows words, not a bare code (SA).
"""

from __future__ import annotations

import json
import re
from typing import Any

from knooppunt.portaal import leesbaar
from knooppunt.portaal.weergave import berichttype_naam
from tests.browser.conftest import Portaalserver, log_in
from tests.browser.test_toegankelijkheid import SCROLLREGIOS
from tests.browser.test_werkplek_download import _geef_naam, _maak_sleutels

ENERGIE = "00000003501234560000"
GEMEENTE = "00000001002306608000"
XSS = "<img src=x onerror=alert(1)>"
OMSCHRIJVING = "Uw bericht is geweigerd door de ontvanger: de inhoud voldoet niet aan het schema."
SMAL = {"width": 360, "height": 740}

# In the server's environment: the municipality (hosted keys) seals a saldoverzoek and a
# betaalvoorstel in one conversation for the energy company's newest encryption certificate (the
# one made in the browser), the contact person named `naam`; and the hub sends the energy company a
# notice about the saldoverzoek (a foutbericht with a melding, as a refusal makes one). Prints one
# JSON line: the conversation, and per message its number and what it holds.
BERICHTEN = r"""
import json, sys, uuid
from sqlalchemy import select
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.demo import _met_klant
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.store.models import Bericht

van, aan, naam, omschrijving = sys.argv[1:5]
rt = runtime.bouw(Settings(), upgrade=False)
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), van, wie="test")
conversatie = str(uuid.uuid4())
uit = {"conversatie": conversatie}
for code in ("saldoverzoek_nuts", "betaalvoorstel"):
    payload = _met_klant(voorbeeld("schuldregeling", code), 42)
    payload["contactpersoonSHV"]["naam"] = naam
    with client.transactie() as (session, nu):
        afzender = client.deelnemer(session)
        sleutel = client.sleutel(session, "test", nu)
        bericht = TeVersturen(aan, code, payload, conversatie)
        envelop = client.verzegel(session, bericht, sleutel=sleutel, nu=nu)
        r, _ = mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
        uit[code] = {"ref": r.referentienummer, "payload": payload}
with client.transactie() as (session, nu):
    over = session.scalar(select(Bericht).where(Bericht.referentienummer == uit["saldoverzoek_nuts"]["ref"]))
    melding = {"code": "GEWEIGERD", "reden": "INHOUD_ONGELDIG", "omschrijving": omschrijving,
               "referentienummer": over.referentienummer, "ontvanger": aan}
    notitie = mailbox.hub_bericht(session, over=over, ontvanger=aan, berichttype="foutbericht",
                                  melding=melding, nu=nu, instellingen=rt.instellingen)
    session.flush()
    uit["melding"] = {"ref": notitie.referentienummer, "melding": melding}
print(json.dumps(uit))
rt.close()
"""


def _rijen(page: Any, tabel: str) -> list[tuple[str, str | None]]:
    """The rows of a table of the opened message: (label, value), value None for a block's heading."""
    rijen: list[list[Any]] = page.locator(f"#bericht table.{tabel} tr").evaluate_all(
        """rijen => rijen.map(r => [r.querySelector('th').textContent,
                                   r.querySelector('td')?.textContent ?? null])"""
    )
    return [(label, waarde) for label, waarde in rijen]


def _open(page: Any, referentienummer: str) -> None:
    from playwright.sync_api import expect

    # Openen empties the message's place at once: what appears after the click is this message.
    page.locator(f'button[data-referentienummer="{referentienummer}"]').click()
    expect(page.locator("#bericht-inhoud table.envelop")).to_be_attached()
    expect(page.locator("#sleutels-status")).to_contain_text("handtekening van de afzender klopt")
    expect(page.locator("#bericht")).to_be_visible()


def _past_op_het_scherm(page: Any, wat: str) -> None:
    """No sideways scrolling (WCAG 1.4.10, which axe-core does not judge); a table that may be
    wider scrolls in its own focusable, named region (test_toegankelijkheid's rule)."""
    breed = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert breed <= 0, f"{wat}: the page scrolls sideways by {breed} px (WCAG 1.4.10)"
    assert page.evaluate(SCROLLREGIOS) == [], wat


def test_een_geopend_bericht_is_leesbaar(page: Any, portaalserver: Portaalserver, toegankelijk: Any) -> None:
    from playwright.sync_api import expect

    meldingen: list[str] = []
    page.on("dialog", lambda d: (meldingen.append(d.message), d.dismiss()))
    lichamen: list[tuple[str, bytes]] = []  # what the page sends: a name only encrypted
    page.on("request", lambda v: lichamen.append((v.url, bytes(v.post_data_buffer or b""))))
    log_in(page, "Demo Energie BV (Schuldeiser)", naam="Lena Leesbaar")
    _maak_sleutels(page)
    gestuurd = json.loads(
        portaalserver.python(BERICHTEN, GEMEENTE, ENERGIE, XSS, OMSCHRIJVING).strip().splitlines()[-1]
    )
    voorstel = gestuurd["betaalvoorstel"]
    page.get_by_role("button", name="Berichten ophalen").click()
    _open(page, voorstel["ref"])

    # The heading names the type by its handbook name, not the message's UUID, and the client: the
    # traject had no name, so the page named it from the client the message names (the creditor's
    # own klantnummerSE), encrypted and stored — and the inbox shows it beside every message of it.
    kop = page.locator("#bericht-kop")
    naam = berichttype_naam("betaalvoorstel", "schuldregeling", "1.0")
    klant = voorstel["payload"]["klant"]
    uit_bericht = f"{klant['voornamen']} {klant['achternaam']} · {voorstel['payload']['klantnummerSE']}"
    assert uit_bericht == "Mohamed El Amrani · EN-778812"
    expect(kop).to_have_text(f"{naam} – {uit_bericht}")
    expect(page.locator("#sleutels-status")).to_contain_text(
        "De naam van de cliënt is uit het bericht overgenomen"
    )
    inbox = page.locator(f'#berichten-lijst .bericht-client[data-conversatie="{gestuurd["conversatie"]}"]')
    expect(inbox).to_have_count(3)  # the saldoverzoek, the betaalvoorstel and the notice
    expect(inbox).to_have_text([uit_bericht] * 3)
    put = [d for u, d in lichamen if u.endswith(f"/clienten/{gestuurd['conversatie']}/label")]
    assert len(put) == 1 and set(json.loads(put[0])) == {"sleutel", "iv", "versleuteld"}
    assert not [u for u, d in lichamen if b"Amrani" in d or b"EN-778812" in d]
    # The envelope and the content as the server's readable copy has them, line for line.
    envelop = dict(_rijen(page, "envelop"))
    assert envelop["Van"] == f"Gemeente Demodorp ({GEMEENTE})"
    assert envelop["Referentienummer"] == voorstel["ref"]
    assert envelop["Conversatie"] == gestuurd["conversatie"]
    assert re.fullmatch(r"(ma|di|wo|do|vr|za|zo) \d{1,2} \w+ \d{4} \d{2}:\d{2}", envelop["Ontvangen"])
    inhoud = _rijen(page, "inhoud")
    assert inhoud == [(r.label, r.waarde) for r in leesbaar.regels(voorstel["payload"])]
    assert ("Bedrag preferent", "€ 800,00") in inhoud and ("Bedrag concurrent", "€ 4.250,00") in inhoud
    assert ("Aanbod percentage", "30 %") in inhoud
    assert ("Geboortedatum", "12-04-1985") in inhoud
    assert ("Soort regeling", "SB – schuldbemiddeling") in inhoud
    assert ("Eigen vordering", "ja") in inhoud
    assert not [w for _, w in inhoud if w and re.fullmatch(r"\d{5,}", w)], "an amount in cents"
    # Payload text that looks like HTML is text: it makes no element and runs nothing.
    assert ("Naam", XSS) in inhoud
    assert page.locator("#bericht img, #bericht [onerror]").count() == 0
    # The whole content, as it arrived, beneath: closed until asked for; it wraps on a phone.
    alles = page.locator("#bericht details")
    expect(alles.locator("summary")).to_have_text("Alle gegevens (JSON)")
    assert alles.evaluate("d => d.open") is False
    expect(alles.locator("pre")).to_be_hidden()
    assert json.loads(alles.locator("pre").text_content() or "") == voorstel["payload"]
    toegankelijk(page)
    _past_op_het_scherm(page, "an opened message at 1280 px")
    alles.locator("summary").click()
    expect(alles.locator("pre")).to_be_visible()
    page.set_viewport_size(SMAL)
    toegankelijk(page)
    _past_op_het_scherm(page, "an opened message with its JSON at 360 px")
    page.set_viewport_size({"width": 1280, "height": 860})

    # Once the organisation named the traject, the heading names the client (as the list does).
    _geef_naam(page, gestuurd["conversatie"], "K-42", "Mohamed El Amrani")
    expect(inbox).to_have_text(["Mohamed El Amrani · K-42"] * 3)  # the name given, at once
    _open(page, voorstel["ref"])
    expect(kop).to_have_text(f"{naam} – Mohamed El Amrani · K-42")
    _open(page, gestuurd["saldoverzoek_nuts"]["ref"])
    expect(kop).to_have_text(
        f"{berichttype_naam('saldoverzoek_nuts', 'schuldregeling', '1.0')} – Mohamed El Amrani · K-42"
    )
    assert _rijen(page, "inhoud") == [
        (r.label, r.waarde) for r in leesbaar.regels(gestuurd["saldoverzoek_nuts"]["payload"])
    ]

    # A hub notice: its omschrijving as text, its code beside it; nothing to answer.
    notitie = gestuurd["melding"]
    _open(page, notitie["ref"])
    expect(kop).to_have_text(
        f"{berichttype_naam('foutbericht', 'schuldregeling', '1.0')} – Mohamed El Amrani · K-42"
    )
    expect(page.locator("#bericht .bericht-omschrijving")).to_have_text(OMSCHRIJVING)
    expect(page.locator("#bericht .hint")).to_have_text("Code: GEWEIGERD")
    gegevens = dict(_rijen(page, "inhoud"))
    assert gegevens["Referentienummer"] == gestuurd["saldoverzoek_nuts"]["ref"]
    assert gegevens["Reden"] == "INHOUD_ONGELDIG"
    expect(page.get_by_role("button", name="Beantwoorden")).to_have_count(0)
    toegankelijk(page)
    page.set_viewport_size(SMAL)
    toegankelijk(page)
    _past_op_het_scherm(page, "a hub notice at 360 px")
    assert meldingen == []


def test_het_wachtwoordveld_is_gestyled_als_de_andere_velden(page: Any) -> None:
    """B10: the unlock field is as wide, as high and as bordered as the portal's text fields."""
    from playwright.sync_api import expect

    log_in(page, "Demo Wonen (Schuldeiser)", naam="Wim Wachtwoord")
    _maak_sleutels(page)
    page.reload()
    veld = page.get_by_label("Wachtwoord", exact=True)
    expect(veld).to_be_visible()
    stijl = veld.evaluate(
        """v => { const s = getComputedStyle(v);
            return {breedte: v.getBoundingClientRect().width, hoogte: v.getBoundingClientRect().height,
                    rand: s.borderTopStyle + " " + s.borderTopWidth + " " + s.borderTopColor,
                    hoek: s.borderTopLeftRadius, letter: s.fontSize}; }"""
    )
    lettergrootte = veld.evaluate("v => getComputedStyle(v.parentElement).fontSize")
    assert stijl["rand"] == "solid 2px rgb(107, 107, 107)", stijl
    assert stijl["hoek"] == "3px" and stijl["letter"] == lettergrootte, stijl
    assert stijl["hoogte"] >= 44, stijl
    assert stijl["breedte"] >= 400, stijl  # 36rem at most, the width of the section below it


def _kies(page: Any, patroon: str) -> None:
    from playwright.sync_api import expect

    keuze = page.locator("#opstel-type option", has_text=re.compile(patroon))
    expect(keuze.first).to_be_attached()
    page.locator("#opstel-type").select_option(value=keuze.first.get_attribute("value"))


KLANT = {
    "klantnummerSHV": "SHV-LEES-1",
    "klant-voorletters": "L.",
    "klant-achternaam": "Leesbaar",
    "klant-geboortedatum": "1980-02-29",
    "adres-straatnaam": "Leesstraat",
    "adres-huisnummer": "1",
    "adres-postcode": "1234 AB",
    "adres-woonplaats": "Demodorp",
    "contactpersoonSHV-naam": "Otto Opsteller",
}


GEHEIMEN: dict[str, str] = {}
"""The passphrase of an organisation whose keys a test of this module made (one server per module)."""


def _werkplek(page: Any, organisatie: str) -> None:
    """Logged in with the organisation's keys unlocked: made by the first test that needs them."""
    from playwright.sync_api import expect

    log_in(page, organisatie, naam="Otto Opsteller")
    page.goto("/portaal/sleutels")
    aanmaken = page.get_by_role("button", name="Sleutels aanmaken")
    expect(page.locator("#stap-aanmaken:visible, #stap-ontgrendelen:visible")).to_have_count(1)
    if aanmaken.is_visible():
        aanmaken.click()
        expect(page.locator("#wachtwoord-nieuw")).not_to_have_text("")
        GEHEIMEN[organisatie] = page.locator("#wachtwoord-nieuw").text_content() or ""
        page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
        page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
        expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    else:
        page.get_by_label("Wachtwoord", exact=True).fill(GEHEIMEN[organisatie])
        page.get_by_role("button", name="Ontgrendelen").click()
        expect(page.locator("#sleutels-status")).to_contain_text("ontgrendeld", timeout=60_000)
    expect(page.locator("#opstellen")).to_be_visible()
    page.locator("#sleutels-status").evaluate("s => { s.textContent = ''; }")  # only what comes next


GEMEENTE_NAAM = "Gemeente Demodorp (Schuldhulpverlener)"
VERSTUREN = "Bericht controleren en versturen"
EEN_VAN_BEIDE = "Vul telefoonnummer of e-mailadres in; één van beide is verplicht."


def _kennisgeving(page: Any) -> None:
    """The kennisgeving form, for Demo Energie BV, with the client and the contact person's name."""
    _kies(page, r"^Klant gemeld voor SHV \(Schuldregeling 1\.0\)$")
    page.locator("#opstel-ontvanger").fill(ENERGIE)
    for pad, waarde in KLANT.items():
        page.locator(f"#opstel-{pad}").fill(waarde)


def test_elke_keuze_zegt_wat_ze_betekent(page: Any) -> None:
    """B9: every option of every form the municipality composes shows words, never a bare code."""
    _werkplek(page, GEMEENTE_NAAM)
    typen = page.locator("#opstel-type option:not([value=''])").evaluate_all("os => os.map(o => o.value)")
    assert len(typen) > 5
    kaal: set[str] = set()
    woorden: dict[str, str] = {}
    for waarde in typen:
        page.locator("#opstel-type").select_option(value=waarde)
        opties = page.locator("#opstel-velden select option:not([value=''])").evaluate_all(
            "os => os.map(o => [o.closest('select').id, o.value, o.textContent])"
        )
        for veld, code, tekst in opties:
            woorden[code] = tekst
            if tekst == code and (code.isupper() or code.isdigit()):
                kaal.add(f"{veld}: {code}")
    assert not kaal, sorted(kaal)
    assert woorden["SA"] == "SA – schuldregeling zonder afloscapaciteit"
    assert woorden["SB"] == "SB – schuldbemiddeling"


def test_telefoon_of_email_een_van_beide(page: Any) -> None:
    """B2: the contact person's telephone and e-mail say that one of the two is required; both
    empty gives one Dutch error naming them by their labels, at the fields, without a dotted path."""
    from playwright.sync_api import expect

    _werkplek(page, GEMEENTE_NAAM)
    _kennisgeving(page)
    telefoon = page.locator("#opstel-contactpersoonSHV-telefoon")
    email = page.locator("#opstel-contactpersoonSHV-email")
    expect(page.locator("label[for='opstel-contactpersoonSHV-telefoon']")).to_have_text(
        "Telefoonnummer (of e-mailadres)"
    )
    expect(page.locator("label[for='opstel-contactpersoonSHV-email']")).to_have_text(
        "E-mailadres (of telefoonnummer)"
    )
    expect(page.locator("#opstel-contactpersoonSHV-eenvan")).to_have_text(EEN_VAN_BEIDE)
    expect(telefoon).to_have_attribute("aria-describedby", "opstel-contactpersoonSHV-eenvan")
    page.get_by_role("button", name=VERSTUREN).click()
    fouten = page.locator("#opstel-fouten li")
    expect(fouten).to_have_count(1)
    expect(fouten).to_have_text(
        f"Contactpersoon schuldhulpverlening: {EEN_VAN_BEIDE[0].lower()}{EEN_VAN_BEIDE[1:]}"
    )
    # At the fields: once, under the block's hint; both fields marked (red) and described by it.
    expect(page.locator("#opstel-contactpersoonSHV-fout")).to_have_text(
        "Vul telefoonnummer of e-mailadres in: nu is geen van beide ingevuld."
    )
    for veld in (telefoon, email):
        expect(veld).to_have_attribute("aria-invalid", "true")
        expect(veld).to_have_attribute(
            "aria-describedby", "opstel-contactpersoonSHV-eenvan opstel-contactpersoonSHV-fout"
        )
        assert veld.evaluate("v => getComputedStyle(v).borderTopColor") != "rgb(107, 107, 107)"
    expect(page.locator("#sleutels-status")).to_have_text(
        "Er is niets verstuurd: verbeter de velden hieronder."
    )

    # A wrong value: that field's own error, named by its label after the block it is in.
    telefoon.fill("12")
    page.get_by_role("button", name=VERSTUREN).click()
    expect(fouten.first).to_contain_text("Contactpersoon schuldhulpverlening – Telefoonnummer: ")
    expect(page.locator("#opstel-contactpersoonSHV-telefoon-fout")).to_be_visible()
    expect(page.locator("#opstel-contactpersoonSHV-fout")).to_have_count(0)
    expect(email).not_to_have_attribute("aria-invalid", "true")
    # Other fields' errors name them the same way: a required one left empty.
    page.locator("#opstel-klant-achternaam").fill("")
    page.get_by_role("button", name=VERSTUREN).click()
    expect(page.locator("#opstel-fouten")).to_contain_text(
        "Cliënt – Achternaam: dit veld is verplicht; vul het in."
    )
    expect(page.locator("#opstel-klant-achternaam")).to_have_attribute("aria-invalid", "true")
    # No internal path in a text meant for a person.
    for tekst in page.locator("#opstel-fouten li, #opstel-formulier .veldfout").all_text_contents():
        assert "contactpersoonSHV" not in tekst and not re.search(r"[A-Za-z]\.[A-Za-z]", tekst), tekst


def test_een_jong_certificaat_zegt_wat_te_doen(page: Any) -> None:
    """B3: after an error is fixed, the young-certificate stop says the certificate's age in whole
    days and what to do — not the earlier "verbeter de velden" — and sends after the tick."""
    from playwright.sync_api import expect

    _werkplek(page, GEMEENTE_NAAM)
    _kennisgeving(page)
    page.get_by_role("button", name=VERSTUREN).click()
    status = page.locator("#sleutels-status")
    expect(status).to_have_text("Er is niets verstuurd: verbeter de velden hieronder.")
    page.locator("#opstel-contactpersoonSHV-email").fill("otto@demodorp.example.nl")
    page.get_by_role("button", name=VERSTUREN).click()
    waarschuwing = page.locator("#opstel-waarschuwing")
    expect(waarschuwing).to_contain_text("is minder dan een dag oud (jonger dan 7 dagen)", timeout=60_000)
    assert not re.search(r"\d\.\d", waarschuwing.text_content() or "")
    expect(page.locator("#opstel-fouten li")).to_have_count(0)
    expect(page.locator("#opstel-contactpersoonSHV-email")).not_to_have_attribute("aria-invalid", "true")
    expect(status).to_have_text(
        "Er is niets verstuurd: het versleutelingscertificaat van Demo Energie BV is nieuw. Controleer het, "
        "vink hieronder 'Ik heb gecontroleerd dat dit certificaat van de ontvanger is' aan en kies opnieuw "
        f"'{VERSTUREN}'."
    )
    page.get_by_label("Ik heb gecontroleerd dat dit certificaat van de ontvanger is").check()
    page.get_by_role("button", name=VERSTUREN).click()
    expect(page.locator("#opstel-uitslag")).to_contain_text(
        "Verstuurd: Klant gemeld voor SHV aan Demo Energie BV", timeout=60_000
    )
