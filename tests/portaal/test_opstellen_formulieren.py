"""The compose forms of the bewindvoerder, the kredietbank and the wijkteam as a person fills them in
(DESIGN §7: forms generated from the JSON Schemas, "labels from the handbook, never internal codes",
"every form error at once"; §3b: the module payloads). Findings of an independent probe of the
portal's compose forms:

- an empty contact block names every rule at once, also "telefoonnummer of e-mailadres" — the payload
  model says so only once the name is valid;
- a PDF's name and media type come from the chosen file, not typed by hand; the 1 MB limit stays;
- the sender rule on the grondslag is said in words, labels fit the sender's role, einde_bewind's
  reason is a choice in words (codes free, docs/modules/bewind.md);
- a waarborgfonds follow-up carries the case's kenmerk (and the pro forma's reference) over, and
  warns before sending another kenmerk in the case's conversation;
- the result page names the question answered and says nothing meant for another role.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.portaal import formulier
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.routes.opstellen import bestandsnaam
from knooppunt.protocol.payloads.velden import voorbeeld_pdf
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import (
    aantal_berichten,
    als_data,
    conversatie_van,
    ontvangen,
    referenties,
    velden,
    verborgen,
    verstuur,
)
from tests.portaal.shv import (
    formulier as open_formulier,
)

CONTACT = "telefoonnummer of e-mailadres is verplicht bij een contactpersoon"


def _samenvatting(pagina: str) -> list[str]:
    """The error summary's lines at the top of the form, as text."""
    return [html.unescape(re.sub(r"<[^>]+>", "", r)).strip() for r in re.findall(r"<li>(.*?)</li>", pagina)]


def _waarde(pagina: str, pad: str) -> str | None:
    """The value a form field shows."""
    gevonden = re.search(rf'<input [^>]*name="p\.{re.escape(pad)}"[^>]*value="([^"]*)"', pagina)
    return html.unescape(gevonden.group(1)) if gevonden else None


def _leeg_versturen(portaal: TestClient, code: str, ontvanger: str, module: str) -> Any:
    pagina = open_formulier(portaal, code, [ontvanger], module=module)
    data = [*verborgen(pagina.text), ("actie", "versturen")]
    return portaal.post("/portaal/opstellen/inhoud", data=als_data(data))


# --- 1. every form error at once ------------------------------------------------------------------------


def test_een_leeg_contactblok_noemt_alle_regels_tegelijk() -> None:
    """A contact with neither name nor phone nor e-mail: both rules in one round (DESIGN §7)."""
    gelezen = formulier.lees("bewind", "melding_bewind", formulier.Invoer(), "2.0", afzender_rol="BW")
    assert gelezen.fouten["bewindvoerder.naam"] == [formulier.ONTBREEKT]
    assert gelezen.fouten["bewindvoerder.telefoon"] == [CONTACT]
    # Filled in except the name: the rule is not named twice once the model names it too.
    invoer = formulier.Invoer({"bewindvoerder.naam": "B. Voerder"})
    gelezen = formulier.lees("bewind", "melding_bewind", invoer, "2.0")
    assert gelezen.fouten["bewindvoerder.telefoon"] == [CONTACT]
    # An optional contact block left empty stays out of the payload: no rule for it.
    gelezen = formulier.lees("saldoverzoek", "saldoverzoek_antwoord", formulier.Invoer(), "2.0")
    assert "contactpersoonSE.telefoon" in gelezen.fouten  # required there
    assert not any(p.startswith("betaalgegevens") for p in gelezen.fouten)


def test_melding_bewind_leeg_verstuurd_toont_elke_fout(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "bewindvoerder")
    antwoord = _leeg_versturen(portaal, "melding_bewind", "incasso", "bewind")
    assert antwoord.status_code == 400
    regels = _samenvatting(antwoord.text)
    assert any(r.startswith("Bewindvoerder – Naam") for r in regels)
    assert any(r.startswith("Bewindvoerder – Telefoonnummer") and CONTACT in r for r in regels), regels


def test_voorbeoordeling_leeg_verstuurd_toont_elke_fout(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "kredietbank")
    antwoord = _leeg_versturen(portaal, "voorbeoordeling", "fonds", "waarborgfonds")
    assert antwoord.status_code == 400
    regels = _samenvatting(antwoord.text)
    assert any(r.startswith("Contactpersoon – Naam") for r in regels), regels
    assert any(CONTACT in r for r in regels), regels


# --- 2. a PDF's name and media type from the file ---------------------------------------------------------


def test_documentvelden_zijn_verborgen_en_komen_uit_het_bestand(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    inloggen(portaal, "bewindvoerder")
    pagina = open_formulier(portaal, "melding_bewind", ["incasso"], module="bewind")
    # Not typed by hand: hidden fields the portal fills.
    assert 'type="hidden" name="p.beschikking.document.bestandsnaam"' in pagina.text
    assert 'type="hidden" name="p.beschikking.document.mediatype"' in pagina.text
    assert "Bestandsnaam" not in pagina.text and "Mediatype" not in pagina.text
    assert 'name="bestand.beschikking.document.inhoud"' in pagina.text
    payload = voorbeeld("bewind", "melding_bewind")
    del payload["beschikking"]["document"]
    data = [*verborgen(pagina.text), *velden(payload).items(), ("actie", "versturen")]
    pdf = voorbeeld_pdf("Beschikking bewind")
    antwoord = portaal.post(
        "/portaal/opstellen/inhoud",
        data=als_data(data),
        files={"bestand.beschikking.document.inhoud": ("C:\\Mijn stukken\\beschikking 2024.pdf", pdf)},
    )
    assert antwoord.status_code == 200, _samenvatting(antwoord.text)
    (ref,) = referenties(antwoord.text)
    document = ontvangen(rt, kluis, "incasso", ref)["beschikking"]["document"]
    assert document["bestandsnaam"] == "beschikking 2024.pdf"
    assert document["mediatype"] == "application/pdf"
    assert base64.b64decode(document["inhoud"]) == pdf


def test_een_te_groot_document_blijft_geweigerd(portaal: TestClient, demo: object, rt: Runtime) -> None:
    inloggen(portaal, "bewindvoerder")
    pagina = open_formulier(portaal, "saldoverzoek", ["incasso"], module="saldoverzoek")
    payload = voorbeeld("saldoverzoek", "saldoverzoek") | {"grondslag": "beschikking"}
    data = [*verborgen(pagina.text), *velden(payload).items(), ("actie", "versturen")]
    voor = aantal_berichten(rt)
    groot = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    antwoord = portaal.post(
        "/portaal/opstellen/inhoud",
        data=als_data(data),
        files={"bestand.grondslagDocument.inhoud": ("groot.pdf", groot)},
    )
    assert antwoord.status_code == 400
    assert any(
        "PDF-document" in r and "is groter dan 1 MB; verklein het document" in r
        for r in _samenvatting(antwoord.text)
    )
    assert aantal_berichten(rt) == voor


def test_bestandsnaam_zonder_map_en_hoogstens_200_tekens() -> None:
    assert bestandsnaam("/home/x/beschikking.pdf") == "beschikking.pdf"
    assert bestandsnaam("C:\\stukken\\brief.pdf") == "brief.pdf"
    assert bestandsnaam("  \t ") == "document.pdf"
    lang = bestandsnaam("a" * 300 + ".pdf")
    assert len(lang) == 200 and lang.endswith(".pdf")


def test_een_fout_in_een_verborgen_veld_staat_bij_het_pdf_document() -> None:
    vorm = formulier.bouw(
        "bewind",
        "melding_bewind",
        formulier.Invoer(),
        {"beschikking.document.bestandsnaam": ["te lang"]},
        "2.0",
    )
    (regel,) = vorm.samenvatting
    assert regel[1] == "Beschikking – Document – PDF-document"


# --- 3. words, not codes; labels for the sender's role ---------------------------------------------------


def test_par_3b_de_grondslag_in_woorden(portaal: TestClient, demo: object) -> None:
    """A bewindvoerder asks on the beschikking (DESIGN §3b): said with the form's words and labels."""
    inloggen(portaal, "bewindvoerder")
    payload = voorbeeld("saldoverzoek", "saldoverzoek", "2.0")
    antwoord = verstuur(portaal, "saldoverzoek", ["incasso"], payload, module="saldoverzoek")
    assert antwoord.status_code == 400
    tekst = html.unescape(antwoord.text)
    assert "niet op grond van de Wet gemeentelijke schuldhulpverlening (Wgs)" in tekst
    assert "kies bij Grondslag ‘Beschikking van de rechtbank’" in tekst
    assert "in het veld ‘Grondslag document’" in tekst
    assert "'wgs'" not in tekst and "grondslagDocument)" not in tekst
    fout = ("grondslag", "grondslag 'beschikking' is voor bewindvoerders")
    assert "‘Toestemmingsverklaring van de cliënt’" in formulier.in_woorden(
        "saldoverzoek", "saldoverzoek", "SHV", {"grondslag": "beschikking"}, fout
    )


def test_labels_passen_bij_de_rol_van_de_afzender(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "bewindvoerder")
    pagina = open_formulier(portaal, "saldoverzoek", ["incasso"], module="saldoverzoek").text
    assert "Klantnummer bewindvoerder" in pagina and "Contactpersoon bewindvoering" in pagina
    assert "Klantnummer SHV" not in pagina and "Contactpersoon schuldhulpverlening" not in pagina
    inloggen(portaal, "wijkteam")
    pagina = open_formulier(portaal, "saldoverzoek", ["incasso"], module="saldoverzoek").text
    assert "Klantnummer SHV" in pagina and "Contactpersoon schuldhulpverlening" in pagina


def test_einde_bewind_reden_is_een_keuze_in_woorden(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """docs/modules/bewind.md: einde_bewind's codes are free, e.g. OPGEHEVEN …: the form offers them
    in words, and another code typed beside "Een andere reden"."""
    sj = formulier.sjabloon("bewind", "einde_bewind", "2.0")
    reden = next(k for k in sj.kinderen if k.naam == "reden")
    code = next(k for k in reden.kinderen if k.naam == "code")
    assert [c for c, _ in code.suggesties] == [
        "OPGEHEVEN",
        "OVERLEDEN",
        "ANDERE_BEWINDVOERDER",
        "SCHONE_LEI",
        "WSNP_TUSSENTIJDS_BEEINDIGD",
    ]
    with transactie(rt.sessions) as session:
        melding = session.scalars(
            select(Bericht).where(Bericht.afzender == oin_van("bewindvoerder"), Bericht.module == "bewind")
        ).first()
        assert melding is not None
        conversatie = melding.conversatie_referentienummer
    inloggen(portaal, "bewindvoerder")
    pagina = open_formulier(portaal, "einde_bewind", ["incasso"], conversatie=conversatie, module="bewind")
    tekst = html.unescape(pagina.text)
    assert '<option value="OPGEHEVEN" >Het bewind is opgeheven</option>' in tekst
    assert "Een andere reden (hieronder invullen)" in tekst
    assert "Reden van het einde (code)" not in tekst
    # klantnummerSE holds for every creditor chosen, as the saldoverzoek form says.
    assert "laat leeg bij meer schuldeisers met elk een eigen nummer" in tekst
    payload = voorbeeld("bewind", "einde_bewind")
    payload["reden"]["code"] = formulier.ANDERS
    extra = {"p.reden.code.anders": "VERHUISD_BUITENLAND"}
    antwoord = verstuur(
        portaal, "einde_bewind", ["incasso"], payload, conversatie=conversatie, module="bewind", extra=extra
    )
    assert antwoord.status_code == 200, _samenvatting(antwoord.text)
    (ref,) = referenties(antwoord.text)
    assert ontvangen(rt, kluis, "incasso", ref)["reden"]["code"] == "VERHUISD_BUITENLAND"
    # Neither a code chosen nor typed: "maak een keuze".
    payload["reden"]["code"] = ""
    antwoord = verstuur(
        portaal, "einde_bewind", ["incasso"], payload, conversatie=conversatie, module="bewind"
    )
    assert any(
        r.startswith("Reden – Reden van het einde") and "maak een keuze" in r
        for r in _samenvatting(antwoord.text)
    )


def test_datum_beeindigd_met_trema() -> None:
    sj = formulier.sjabloon("waarborgfonds", "beeindiging_borgstelling", "2.0")
    assert next(k for k in sj.kinderen if k.naam == "datumBeeindigd").label == "Datum beëindigd"


# --- 4. a waarborgfonds case carries its kenmerk over ------------------------------------------------------


def _fonds_stuurt(rt: Runtime, kluis: Kluis, code: str, payload: dict[str, Any], conversatie: str) -> str:
    fonds = Gastclient(rt, kluis, oin_van("fonds"), wie="test")
    bericht = TeVersturen(
        oin_van("kredietbank"), code, payload, conversatie, module="waarborgfonds", versie="2.0"
    )
    return fonds.verstuur(bericht).bericht.referentienummer


def test_vervolg_in_een_dossier_neemt_kenmerk_en_pro_forma_over(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    inloggen(portaal, "kredietbank")
    aanvraag = voorbeeld("waarborgfonds", "voorbeoordeling") | {"kenmerk": "KB-PROBE-7"}
    antwoord = verstuur(portaal, "voorbeoordeling", ["fonds"], aanvraag, module="waarborgfonds")
    assert antwoord.status_code == 200, _samenvatting(antwoord.text)
    # Not meant for a kredietbank: a saldoverzoek after the kennisgeving.
    assert "saldoverzoek na de kennisgeving" not in antwoord.text
    conversatie = conversatie_van(antwoord.text)
    pro_forma = "3f6c2a1e-8b4d-4e7a-9c15-2d8e7f0a1b3c"
    gebeurtenis = {
        "kenmerk": "KB-PROBE-7",
        "gebeurtenis": "pro_forma_afgegeven",
        "toelichting": "Pro forma afgegeven.",
        "proFormaBorgstelling": pro_forma,
    }
    ref = _fonds_stuurt(rt, kluis, "gebeurtenis", gebeurtenis, conversatie)
    vorm = open_formulier(
        portaal, "aanvraag_borgstelling", ["fonds"], conversatie=conversatie, module="waarborgfonds"
    )
    assert _waarde(vorm.text, "kenmerk") == "KB-PROBE-7"  # the case's kenmerk, from its label
    assert pro_forma not in vorm.text  # unread: composing does not fetch it
    assert "Referentie van de pro-formaborgstelling" in vorm.text
    assert "Pro-formaborgstelling afgegeven" in vorm.text  # the hint says where it is
    Gastclient(rt, kluis, oin_van("kredietbank"), wie="test").haal_op(
        waarvoor="test", referentienummers=[ref]
    )
    vorm = open_formulier(
        portaal, "aanvraag_borgstelling", ["fonds"], conversatie=conversatie, module="waarborgfonds"
    )
    assert _waarde(vorm.text, "proFormaBorgstelling") == pro_forma
    assert _waarde(vorm.text, "kenmerk") == "KB-PROBE-7"


def test_een_ander_kenmerk_in_het_dossier_wordt_eerst_gemeld(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    inloggen(portaal, "kredietbank")
    aanvraag = voorbeeld("waarborgfonds", "voorbeoordeling") | {"kenmerk": "KB-PROBE-8"}
    antwoord = verstuur(portaal, "voorbeoordeling", ["fonds"], aanvraag, module="waarborgfonds")
    assert antwoord.status_code == 200
    conversatie = conversatie_van(antwoord.text)
    vervolg = voorbeeld("waarborgfonds", "aanvraag_borgstelling") | {"kenmerk": "KB-ANDERS-1"}
    voor = aantal_berichten(rt)
    antwoord = verstuur(
        portaal, "aanvraag_borgstelling", ["fonds"], vervolg, conversatie=conversatie, module="waarborgfonds"
    )
    assert antwoord.status_code == 200
    tekst = html.unescape(antwoord.text)
    assert "Let op: ander kenmerk." in tekst and "dit dossier heeft kenmerk ‘KB-PROBE-8’" in tekst
    assert aantal_berichten(rt) == voor  # a warning: nothing sent yet
    antwoord = verstuur(
        portaal,
        "aanvraag_borgstelling",
        ["fonds"],
        vervolg,
        conversatie=conversatie,
        module="waarborgfonds",
        extra={"kenmerk_akkoord": "KB-ANDERS-1"},
    )
    assert antwoord.status_code == 200 and referenties(antwoord.text), _samenvatting(antwoord.text)
    assert aantal_berichten(rt) == voor + 1


# --- 5. the result page names the question -----------------------------------------------------------------


def test_kredietinformatie_noemt_de_vraag_niet_haar_nummer(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    conversatie = "5b0f3a8e-2d4c-4f6a-9b1e-7c3d2e1f0a9b"
    vraag = _fonds_stuurt(
        rt,
        kluis,
        "verzoek_kredietinformatie",
        voorbeeld("waarborgfonds", "verzoek_kredietinformatie"),
        conversatie,
    )
    inloggen(portaal, "kredietbank")
    antwoord = verstuur(
        portaal,
        "kredietinformatie",
        ["fonds"],
        voorbeeld("waarborgfonds", "kredietinformatie"),
        conversatie=conversatie,
        antwoord_op=vraag,
        module="waarborgfonds",
        extra={f"antwoord_op.{oin_van('fonds')}": vraag},
    )
    assert antwoord.status_code == 200, _samenvatting(antwoord.text)
    assert "Antwoord op</dt><dd>Verzoek kredietinformatie van " in antwoord.text
    assert vraag not in antwoord.text.split("Antwoord op</dt>")[1].split("</dd>")[0]
