"""Composing in every module (DESIGN §7 "every module", §3a, §3b): debt counsellors (also fase-1
wijkteams), kredietbanken and bewindvoerders choose among the modules they joined and send in the
highest version both parties accept, from forms generated from each module's JSON Schemas.

Payloads come from each module's examples (``voorbeeld``), so the tests hold for the real models.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.portaal import formulier
from knooppunt.portaal.weergave import werkdagen
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import referenties, verstuur

# (sender, module, type, recipient, version they share)
ROUTES = (
    ("wijkteam", "saldoverzoek", "saldoverzoek", "incasso", "2.0"),
    ("wijkteam", "pauzeknop", "kennisgeving", "incasso", "2.0"),
    ("gemeente", "betalingsregeling", "saldoverzoek", "incasso", "2.0"),
    ("gemeente", "schuldregeling", "kennisgeving", "energie", "1.0"),
    ("kredietbank", "schuldregeling", "kennisgeving", "incasso", "2.0"),
    ("kredietbank", "waarborgfonds", "aanvraag_borgstelling", "fonds", "2.0"),
    ("bewindvoerder", "bewind", "melding_bewind", "incasso", "2.0"),
    ("bewindvoerder", "saldoverzoek", "saldoverzoek", "incasso", "2.0"),
)


def _verstuurd(rt: Runtime, afzender: str, referentienummer: str) -> Bericht:
    with transactie(rt.sessions) as session:
        bericht = session.scalars(select(Bericht).where(Bericht.referentienummer == referentienummer)).one()
        session.expunge(bericht)
    assert bericht.afzender == oin_van(afzender)
    return bericht


@pytest.mark.parametrize(("afzender", "module", "code", "ontvanger", "versie"), ROUTES)
def test_compose_in_every_module(
    portaal: TestClient,
    demo: object,
    rt: Runtime,
    afzender: str,
    module: str,
    code: str,
    ontvanger: str,
    versie: str,
) -> None:
    inloggen(portaal, afzender)
    keuze = portaal.get("/portaal/opstellen", params={"module": module})
    assert keuze.status_code == 200
    assert f'value="{code}"' in keuze.text
    payload = voorbeeld(module, code, versie)
    if afzender == "bewindvoerder" and module == "saldoverzoek":
        # DESIGN §3b: a bewindvoerder asks on the beschikking, which it sends along.
        payload["grondslag"] = "beschikking"
        payload["grondslagDocument"] = voorbeeld("bewind", "melding_bewind")["beschikking"]["document"]
    antwoord = verstuur(portaal, code, [ontvanger], payload, module=module)
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    bericht = _verstuurd(rt, afzender, ref)
    assert (bericht.module, bericht.versie, bericht.berichttype, bericht.ontvanger) == (
        module,
        versie,
        code,
        oin_van(ontvanger),
    )
    soort = CATALOGUS.zoek(module, code, versie)
    assert soort is not None
    if soort.antwoord_verwacht:
        # The term of what was sent, as the hub counts it (DESIGN §3a, §3b) — not 1.0's 5 days.
        termijn = werkdagen(rt.instellingen.antwoordtermijn_van(soort))
        assert f"Antwoord verwacht</dt><dd>binnen {termijn} na bevestiging" in antwoord.text
    # A kennisgeving, in the pauzeknop too, counts under the NVVK convenants, no VISH notice (3.3, 3.4).
    assert ("NVVK" in antwoord.text and "VISH" in antwoord.text) == (code == "kennisgeving")


def test_par_3b_a_bewindvoerder_asks_saldo_on_the_beschikking(portaal: TestClient, demo: object) -> None:
    """The module's sender rule (Moduledefinitie.afzenderregels) is checked on the form."""
    inloggen(portaal, "bewindvoerder")
    payload = voorbeeld("saldoverzoek", "saldoverzoek", "2.0")
    assert payload["grondslag"] == "wgs"
    antwoord = verstuur(portaal, "saldoverzoek", ["incasso"], payload, module="saldoverzoek")
    assert antwoord.status_code == 400
    assert "een bewindvoerder vraagt saldo&#39;s op grond van de beschikking" in antwoord.text


def test_a_sender_sees_only_the_modules_it_joined(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "bewindvoerder")
    pagina = portaal.get("/portaal/opstellen").text
    assert "Meldingen bewindvoering" in pagina and "Schuldinventarisatie" in pagina
    assert "?module=schuldregeling" not in pagina and "?module=waarborgfonds" not in pagina
    bewind = portaal.get("/portaal/opstellen", params={"module": "bewind"}).text
    assert "Melding bewind" in bewind and "Aan welke schuldeisers?" in bewind
    # einde_bewind needs an earlier exchange (EERDER_UITGEWISSELD): only from a client's page
    assert 'value="einde_bewind"' not in bewind
    # a module it did not join falls back to one it did
    ander = portaal.get("/portaal/opstellen", params={"module": "waarborgfonds"}).text
    assert 'value="waarborgfonds"' not in ander

    inloggen(portaal, "kredietbank")
    fonds = portaal.get("/portaal/opstellen", params={"module": "waarborgfonds", "zoek": "demo"}).text
    assert "Aan welke fondsen?" in fonds and "1 fonds gevonden" in fonds and "Demo Waarborgfonds" in fonds
    assert "Demo Energie BV" not in fonds  # creditors are not addressed in this module


def test_a_creditor_cannot_compose(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "incasso")
    assert portaal.get("/portaal/opstellen").status_code == 403


def test_recipients_in_different_versions_are_sent_separately(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "gemeente")
    pagina = portaal.get(
        "/portaal/opstellen",
        params=[
            ("module", "schuldregeling"),
            ("berichttype", "kennisgeving"),
            ("ontvanger", oin_van("energie")),
            ("ontvanger", oin_van("incasso")),
            ("actie", "verder"),
        ],
    )
    assert pagina.status_code == 400
    assert "verschillende versies van Schuldregeling" in pagina.text
    assert "versie 1.0: Demo Energie BV" in pagina.text and "versie 2.0: Demo Incasso BV" in pagina.text


def test_the_form_shows_the_version(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "bewindvoerder")
    pagina = portaal.get(
        "/portaal/opstellen/inhoud",
        params={"module": "bewind", "berichttype": "melding_bewind", "ontvanger": oin_van("incasso")},
    )
    assert pagina.status_code == 200
    assert "Module <strong>Meldingen bewindvoering</strong>, versie 2.0" in pagina.text
    assert 'name="module" value="bewind"' in pagina.text


def test_the_result_page_names_the_protocol_version_sent(portaal: TestClient, demo: object) -> None:
    """The debt counsellor accepts schuldregeling 1.0 and 2.0 and chooses a type by its 1.0 name
    (DESIGN §3a); sent to a creditor in 2.0 only, it goes in 2.0, under that version's name. The
    result page says so — the version sent and the name shown agree in the user's eyes — and the
    next message is offered in that version."""
    oud = CATALOGUS.zoek("schuldregeling", "kennisgeving", "1.0")
    nieuw = CATALOGUS.zoek("schuldregeling", "kennisgeving", "2.0")
    assert oud is not None and nieuw is not None and oud.naam != nieuw.naam
    inloggen(portaal, "gemeente")
    keuze = portaal.get("/portaal/opstellen", params={"module": "schuldregeling"}).text
    assert oud.naam in keuze and "U gebruikt Schuldregeling in protocol 1.0 en 2.0" in keuze
    antwoord = verstuur(
        portaal,
        "kennisgeving",
        ["incasso"],
        voorbeeld("schuldregeling", "kennisgeving", "2.0"),
        module="schuldregeling",
    )
    assert antwoord.status_code == 200, antwoord.text
    assert f'<h1>Verzonden: {nieuw.naam} <span class="klein">(protocol 2.0)</span></h1>' in antwoord.text
    assert (
        f"U koos ‘{oud.naam}’, de naam in protocol 1.0; in protocol 2.0 heet dit bericht ‘{nieuw.naam}’"
        in (antwoord.text)
    )
    assert "<dt>Protocol</dt><dd>Schuldregeling 2.0</dd>" in antwoord.text
    assert 'Bericht <span class="klein">(protocol 2.0)</span>' in antwoord.text
    # To a creditor in 1.0 the name chosen is the name sent: no second name.
    antwoord = verstuur(
        portaal,
        "kennisgeving",
        ["energie"],
        voorbeeld("schuldregeling", "kennisgeving", "1.0"),
        module="schuldregeling",
    )
    assert antwoord.status_code == 200, antwoord.text
    assert "(protocol 1.0)</span></h1>" in antwoord.text and "U koos" not in antwoord.text


# --- forms from any schema shape -------------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["soort", "beschikking"],
    "properties": {
        "soort": {"enum": ["beschermingsbewind", "wsnp"], "type": "string"},
        "beschikking": {"$ref": "#/$defs/Beschikking"},
        "schulden": {
            "anyOf": [
                {"type": "object", "properties": {"totaalvordering": {"type": "integer"}}},
                {
                    "type": "object",
                    "properties": {"openstaandeSchulden": {"type": "array", "items": {"type": "string"}}},
                },
            ]
        },
        "brutoKredietsom": {"type": "integer"},
        "looptijd": {"type": "integer"},
        "vreemd": {"type": "string", "format": "iets-onbekends", "not": {"const": "x"}},
        "ietsAnders": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    },
    "$defs": {
        "Beschikking": {
            "type": "object",
            "required": ["datum"],
            "properties": {
                "datum": {"type": "string", "format": "date"},
                "pdf": {
                    "anyOf": [
                        {
                            "type": "string",
                            "contentEncoding": "base64",
                            "contentMediaType": "application/pdf",
                        },
                        {"type": "null"},
                    ]
                },
            },
        }
    },
}


def test_forms_handle_every_schema_shape() -> None:
    sj = formulier._uit_schema("", SCHEMA, SCHEMA["$defs"], True)
    per = {k.naam: k for k in sj.kinderen}
    assert per["soort"].soort == "keuze"
    assert [k.soort for k in per["beschikking"].kinderen] == ["datum", "bijlage"]
    assert not per["beschikking"].kinderen[1].verplicht
    assert per["schulden"].soort == "groep"  # either object: every branch's fields, none required
    assert {k.naam for k in per["schulden"].kinderen} == {"totaalvordering", "openstaandeSchulden"}
    assert per["brutoKredietsom"].soort == "bedrag" and per["looptijd"].soort == "geheel"
    assert per["vreemd"].soort == "tekst" and per["ietsAnders"].soort == "tekst"


def test_a_pdf_is_uploaded_into_the_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    """The form sends the PDF as base64 in its field; reading it keeps that value."""
    sj = formulier.Sjabloon("pdf", "bijlage", False)
    pdf = base64.b64encode(b"%PDF-1.4 test").decode()
    assert formulier._scalair(sj, pdf) == pdf
    veld = formulier.Veld(sj, "beschikking.pdf", "Pdf", "Pdf", False)
    assert veld.hint == "Een PDF-document van hoogstens 1 MB."


def test_a_bewindvoerder_follows_its_client_and_ends_the_bewind(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """A follow-up in the module of the traject: einde_bewind needs an earlier exchange
    (EERDER_UITGEWISSELD), so it is offered from the client's conversation, not for a new client."""
    with transactie(rt.sessions) as session:
        melding = session.scalars(
            select(Bericht).where(Bericht.afzender == oin_van("bewindvoerder"), Bericht.module == "bewind")
        ).first()
        assert melding is not None
        conversatie = melding.conversatie_referentienummer
    inloggen(portaal, "bewindvoerder")
    lijst = portaal.get("/portaal/clienten")
    assert lijst.status_code == 200
    client = portaal.get(f"/portaal/clienten/{conversatie}")
    assert client.status_code == 200 and "Melding bewind" in client.text
    keuze = portaal.get("/portaal/opstellen", params={"module": "bewind", "conversatie": conversatie})
    assert 'value="einde_bewind"' in keuze.text
    antwoord = verstuur(
        portaal,
        "einde_bewind",
        ["incasso"],
        voorbeeld("bewind", "einde_bewind"),
        conversatie=conversatie,
        module="bewind",
    )
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    bericht = _verstuurd(rt, "bewindvoerder", ref)
    assert (bericht.module, bericht.conversatie_referentienummer) == ("bewind", conversatie)


def test_enum_values_get_readable_labels() -> None:
    assert formulier.optielabel("pro_forma_afgegeven") == "Pro forma afgegeven"
    assert formulier.optielabel("SB") == "SB" and formulier.optielabel("100") == "100"
    sj = formulier._uit_schema("", SCHEMA, SCHEMA["$defs"], True)
    soort = next(k for k in sj.kinderen if k.naam == "soort")
    assert soort.opties == (
        ("beschermingsbewind", "Beschermingsbewind"),
        ("wsnp", "Wsnp (schuldsaneringsregeling)"),
    )


def test_the_borgstelling_categories_are_named_in_the_form() -> None:
    """DESIGN §3b: `borgstellingCategorie` (100 regulier, 200 herfinanciering, 300 jongeren,
    400 ondernemers) — the hosted compose form offers them in words, as the werkplek does."""
    sj = formulier.sjabloon("waarborgfonds", "aanvraag_borgstelling", "2.0")
    [categorie] = [k for k in sj.kinderen if k.naam == "borgstellingCategorie"]
    assert categorie.opties == (
        ("100", "100 – regulier"),
        ("200", "200 – herfinanciering"),
        ("300", "300 – jongeren"),
        ("400", "400 – ondernemers"),
    )
