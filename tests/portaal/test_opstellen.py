"""Composing and sending the debt counsellor's messages in the portal (DESIGN §3, §7): every SHV
message type goes out where the hub's rules allow it, and the creditor's own client opens and
validates it; what the hub will refuse is said before sending and shown after; the form keeps what
was typed."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import (
    aantal_berichten,
    als_data,
    bericht,
    conversatie_van,
    demo_conversatie,
    formulier,
    laatste,
    ontvangen,
    payload,
    referenties,
    schuldeiser_zonder_module,
    tweede_gemeente,
    velden,
    verborgen,
    verstuur,
)


@pytest.fixture
def gemeente(portaal: TestClient, demo: dict[str, int]) -> TestClient:
    return inloggen(portaal, "gemeente", naam="Anna Jansen")


def _nieuwe_client(gemeente: TestClient, berichttype: str, wie: str, **wijzig: Any) -> tuple[Any, str]:
    antwoord = verstuur(gemeente, berichttype, [wie], payload(berichttype, **wijzig))
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    return antwoord, ref


# --- step 1: type and creditors ----------------------------------------------------------------------


def test_zoeken_op_naam_en_kvk_toont_wat_de_shv_moet_weten(gemeente: TestClient) -> None:
    pagina = gemeente.get("/portaal/opstellen", params={"zoek": "demo", "actie": "zoeken"})
    assert pagina.status_code == 200
    assert "5 schuldeisers gevonden" in pagina.text
    assert "identificeert op BSN" in pagina.text  # Demo Belastingen: kennisgeving_bsn (3.2)
    assert "standaard akkoord met betaalvoorstellen" in pagina.text
    op_kvk = gemeente.get("/portaal/opstellen", params={"zoek": "50123456"})
    assert "Demo Energie BV" in op_kvk.text and "Demo Wonen" not in op_kvk.text


def test_schuldeiser_niet_op_het_knooppunt_vraagt_een_ander_kanaal(gemeente: TestClient, rt: Runtime) -> None:
    """DESIGN §7: the SHV is told when a creditor is not on the hub, so another channel is needed."""
    pagina = gemeente.get("/portaal/opstellen", params={"zoek": "12345678"})
    assert "Geen schuldeiser met KvK-nummer 12345678 in het adresboek" in pagina.text
    assert "ander kanaal" in pagina.text

    elders = schuldeiser_zonder_module(rt)
    pagina = gemeente.get("/portaal/opstellen", params={"zoek": "Incasso Elders"})
    assert "Niet bereikbaar" in pagina.text
    assert "doet niet mee aan module Schuldregeling" in pagina.text  # its name, not its code
    assert f'value="{elders}"' not in pagina.text  # cannot be picked

    # Forced into the form anyway (an old link), it is named as unreachable before sending ...
    vorm = formulier(gemeente, "kennisgeving", [elders, "00000003500000000000"])
    assert "Niet bereikbaar via het knooppunt" in vorm.text
    assert "staat niet in het adresboek van het knooppunt" in vorm.text
    # ... and nothing goes out (with no reachable recipient, the form is the sender's highest version).
    antwoord = verstuur(
        gemeente, "kennisgeving", [elders], voorbeeld("schuldregeling", "kennisgeving", "2.0")
    )
    assert antwoord.status_code == 422
    assert "Er is niets verzonden" in antwoord.text
    assert (
        "De ontvanger is niet via het knooppunt bereikbaar." in antwoord.text
        and "NIET_BEREIKBAAR" not in antwoord.text
    )  # a sentence, not a code


def test_verder_zonder_keuze_zegt_wat_ontbreekt(gemeente: TestClient) -> None:
    pagina = gemeente.get("/portaal/opstellen", params={"actie": "verder", "zoek": "Demo"})
    assert pagina.status_code == 400
    assert 'role="alert"' in pagina.text
    assert "Kies welk bericht u wilt sturen." in pagina.text
    assert "Kies minstens één schuldeiser." in pagina.text
    assert 'value="Demo"' in pagina.text  # the search is kept
    verder = gemeente.get(
        "/portaal/opstellen",
        params={"actie": "verder", "berichttype": "saldoverzoek", "ontvanger": oin_van("woning")},
    )
    assert verder.status_code == 303
    assert verder.headers["location"].startswith("/portaal/opstellen/inhoud?berichttype=saldoverzoek")


# --- sending each SHV type ----------------------------------------------------------------------------


def test_3_1_kennisgeving_voor_een_nieuwe_client(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    """A new client is a new conversation; the page says the kennisgeving starts stabilisatie under
    the NVVK convenants (3.3) and is not a VISH melding (3.4)."""
    vorm = formulier(gemeente, "kennisgeving", ["energie"])
    assert "NVVK" in vorm.text and "VISH" in vorm.text
    assert 'value="Anna Jansen"' in vorm.text  # the contact person starts as the user

    antwoord, ref = _nieuwe_client(gemeente, "kennisgeving", "energie", klantnummerSHV="SHV-NIEUW-1")
    assert "1 van 1 bericht verzonden" in antwoord.text
    assert "NVVK" in antwoord.text and "VISH" in antwoord.text
    assert "Bevestigen uiterlijk" in antwoord.text
    verzonden = bericht(rt, ref)
    assert verzonden.status == "aangeboden" and verzonden.berichttype == "kennisgeving"
    conversatie = conversatie_van(antwoord.text)
    assert verzonden.conversatie_referentienummer == conversatie
    assert conversatie not in {demo_conversatie(rt, n) for n in (1, 2, 3)}

    geopend = ontvangen(rt, kluis, "energie", ref)
    assert geopend["klantnummerSHV"] == "SHV-NIEUW-1"
    assert geopend["klant"]["achternaam"] == "Vries"
    assert geopend["adres"]["postcode"] == "3511 AB"

    # The client is now listed under its klantnummer and name.
    lijst = gemeente.get("/portaal/clienten")
    assert "J. de Vries · SHV-NIEUW-1" in lijst.text


def test_3_1_kennisgeving_aan_een_bsn_schuldeiser_wordt_geweigerd(gemeente: TestClient) -> None:
    vorm = formulier(gemeente, "kennisgeving", ["belasting"])
    assert "Het knooppunt zal dit bericht weigeren" in vorm.text
    assert "stuur ‘Klant (BSN) gemeld voor SHV’ in plaats van ‘Klant gemeld voor SHV’" in vorm.text
    antwoord = verstuur(gemeente, "kennisgeving", ["belasting"], payload("kennisgeving"))
    assert antwoord.status_code == 422
    assert (
        "De schuldeiser identificeert klanten op BSN." in antwoord.text
        and "ONTVANGER_GEBRUIKT_BSN" not in antwoord.text
    )  # a sentence, not a code
    assert "identificeert klanten op BSN" in antwoord.text


def test_3_2_kennisgeving_bsn(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    _, ref = _nieuwe_client(gemeente, "kennisgeving_bsn", "belasting")
    assert ontvangen(rt, kluis, "belasting", ref)["klant"]["bsn"] == "999993653"


@pytest.mark.parametrize(
    ("berichttype", "wie"),
    [
        ("saldoverzoek", "woning"),
        ("saldoverzoek_nuts", "energie"),
        ("saldoverzoek_publiek", "belasting"),
        ("saldoverzoek_zorg", "zorg"),
    ],
)
def test_5_saldoverzoeken(
    gemeente: TestClient, rt: Runtime, kluis: Kluis, berichttype: str, wie: str
) -> None:
    antwoord, ref = _nieuwe_client(gemeente, berichttype, wie)
    assert "Antwoord verwacht" in antwoord.text
    # The creditor's client opens, verifies and validates exactly what the example says.
    assert ontvangen(rt, kluis, wie, ref) == payload(berichttype)


def test_5_2_saldoverzoek_nuts_alleen_naar_nutsbedrijven(gemeente: TestClient) -> None:
    vorm = formulier(gemeente, "saldoverzoek_nuts", ["woning", "energie"])
    assert vorm.text.count("Het knooppunt zal dit bericht weigeren") == 1
    # The type by its name in the handbook, not its code (#14 item 4).
    assert "‘Saldoverzoek nuts’ is alleen voor schuldeisers met schuldensoort &#39;nuts&#39;" in vorm.text
    assert "saldoverzoek_nuts" not in vorm.text.split('id="aan"')[1].split("</section>")[0]
    antwoord = verstuur(gemeente, "saldoverzoek_nuts", ["woning", "energie"], payload("saldoverzoek_nuts"))
    assert antwoord.status_code == 200
    assert "1 van 2 berichten verzonden" in antwoord.text
    assert (
        "De schuldeiser heeft deze schuldensoort niet in het adresboek." in antwoord.text
        and "ONJUISTE_SCHULDENSOORT" not in antwoord.text
    )  # a sentence, not a code


def test_9_1_betaalvoorstel_in_euros_met_berekende_totalen(
    gemeente: TestClient, rt: Runtime, kluis: Kluis
) -> None:
    conversatie = demo_conversatie(rt)
    voorstel = payload("betaalvoorstel")
    for veld in ("aantalPreferent", "bedragPreferent", "aantalConcurrent", "bedragConcurrent"):
        del voorstel[veld]  # left empty: the portal adds them up
    vorm = formulier(gemeente, "betaalvoorstel", ["energie"], conversatie=conversatie)
    data = dict(verborgen(vorm.text)) | velden(voorstel) | {"actie": "versturen"}
    data["p.vorderingen[0].bedrag"] = "1.250,00"
    data["p.vorderingen[0].aangebodenBedrag"] = "€ 375"
    data["p.afloscapaciteitPerMaand"] = "150"
    antwoord = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    geopend = ontvangen(rt, kluis, "energie", ref)
    assert geopend["vorderingen"][0]["bedrag"] == 125000
    assert geopend["vorderingen"][0]["aangebodenBedrag"] == 37500
    assert geopend["afloscapaciteitPerMaand"] == 15000
    assert (geopend["aantalPreferent"], geopend["bedragPreferent"]) == (1, 80000)
    assert (geopend["aantalConcurrent"], geopend["bedragConcurrent"]) == (2, 425000)
    assert bericht(rt, ref).conversatie_referentienummer == conversatie


def test_9_1_betaalvoorstel_na_klant_onbekend_waarschuwt(gemeente: TestClient, rt: Runtime) -> None:
    """After klant_onbekend the portal warns; the hub does not refuse (balances may have come by
    other channels, 9.1)."""
    conversatie = demo_conversatie(rt)
    vorm = formulier(gemeente, "betaalvoorstel", ["woning"], conversatie=conversatie)
    assert "klant onbekend" in vorm.text and "art. 9.1" in vorm.text
    antwoord = verstuur(
        gemeente, "betaalvoorstel", ["woning"], payload("betaalvoorstel"), conversatie=conversatie
    )
    assert antwoord.status_code == 200
    assert "1 van 1 bericht verzonden" in antwoord.text
    assert "Waarschuwing" in antwoord.text and "art. 9.1" in antwoord.text


def test_9_3_geen_betaalvoorstel_na_standaard_akkoord(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt)
    vorm = formulier(gemeente, "betaalvoorstel", ["zorg"], conversatie=conversatie)
    assert "Het knooppunt zal dit bericht weigeren" in vorm.text
    assert "standaard akkoord" in vorm.text
    antwoord = verstuur(
        gemeente, "betaalvoorstel", ["zorg"], payload("betaalvoorstel"), conversatie=conversatie
    )
    assert antwoord.status_code == 422
    assert (
        "Na een standaard akkoord krijgt de schuldeiser geen betaalvoorstel." in antwoord.text
        and "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD" not in antwoord.text
    )  # a sentence, not a code
    assert "ontvangt daarom geen betaalvoorstel" in antwoord.text


def test_11_1_schuldregeling_geaccordeerd(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    conversatie = demo_conversatie(rt)
    # zorg answered standaard akkoord (7.2): the agreement may follow.
    antwoord = verstuur(
        gemeente,
        "schuldregeling_geaccordeerd",
        ["zorg"],
        payload("schuldregeling_geaccordeerd"),
        conversatie=conversatie,
    )
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    geopend = ontvangen(rt, kluis, "zorg", ref)
    assert [t["bedrag"] for t in geopend["betaalschema"]] == [12500, 12500, 12500]
    # energie has not agreed to anything: refused, and said so beforehand.
    vorm = formulier(gemeente, "schuldregeling_geaccordeerd", ["energie"], conversatie=conversatie)
    assert "Het knooppunt zal dit bericht weigeren" in vorm.text
    geweigerd = verstuur(
        gemeente,
        "schuldregeling_geaccordeerd",
        ["energie"],
        payload("schuldregeling_geaccordeerd"),
        conversatie=conversatie,
    )
    assert geweigerd.status_code == 422
    assert "Deze schuldeiser is (nog) niet akkoord gegaan." in geweigerd.text
    assert "GEEN_AKKOORD" not in geweigerd.text


def test_12_1_schuldregeling_beeindigd(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    conversatie = demo_conversatie(rt, 2)
    antwoord = verstuur(
        gemeente,
        "schuldregeling_beeindigd",
        ["energie"],
        payload("schuldregeling_beeindigd"),
        conversatie=conversatie,
    )
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    assert ontvangen(rt, kluis, "energie", ref)["reden"]["code"] == "GEEN_MEDEWERKING"


def test_12_1_beeindigd_niet_voor_een_nieuwe_client(gemeente: TestClient) -> None:
    pagina = gemeente.get("/portaal/opstellen")
    assert 'value="schuldregeling_beeindigd"' not in pagina.text
    assert 'value="reminder"' not in pagina.text
    terug = gemeente.get(
        "/portaal/opstellen/inhoud", params={"berichttype": "reminder", "ontvanger": oin_van("energie")}
    )
    assert terug.status_code == 303


def test_13_statusbericht_beantwoordt_een_statusverzoek(
    gemeente: TestClient, rt: Runtime, kluis: Kluis
) -> None:
    conversatie = demo_conversatie(rt, 2)
    energie = Gastclient(rt, kluis, oin_van("energie"), wie="test")
    verzoek = energie.verstuur(
        TeVersturen(oin_van("gemeente"), "statusverzoek", payload("statusverzoek"), conversatie)
    ).bericht
    # The client page offers the answer; the form has it chosen.
    client = gemeente.get(f"/portaal/clienten/{conversatie}")
    assert "Statusbericht sturen" in client.text
    vorm = formulier(
        gemeente, "statusbericht", ["energie"], conversatie=conversatie, antwoord_op=verzoek.referentienummer
    )
    assert f'value="{verzoek.referentienummer}" selected' in vorm.text
    antwoord = verstuur(
        gemeente,
        "statusbericht",
        ["energie"],
        payload("statusbericht"),
        conversatie=conversatie,
        extra={f"antwoord_op.{oin_van('energie')}": verzoek.referentienummer},
    )
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    # The result page names the question answered, not its number (DESIGN §7: never internal codes).
    assert "Antwoord op</dt><dd>Statusverzoek van " in antwoord.text
    assert verzoek.referentienummer not in antwoord.text.split("Antwoord op</dt>")[1].split("</dd>")[0]
    assert bericht(rt, ref).cross_referentienummer == verzoek.referentienummer
    assert bericht(rt, verzoek.referentienummer).status == "beantwoord"
    assert ontvangen(rt, kluis, "energie", ref)["status"] == "dwangakkoord_aangevraagd"


def test_13_statusbericht_op_eigen_initiatief(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt, 3)
    statusbericht = payload("statusbericht", status="lopend")
    del statusbericht["datumGebeurtenis"]
    antwoord = verstuur(gemeente, "statusbericht", ["woning"], statusbericht, conversatie=conversatie)
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    assert bericht(rt, ref).cross_referentienummer is None


def test_15_1_reminder_verwijst_naar_de_open_vraag(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt)
    vraag = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("energie"),
        berichttype="saldoverzoek_nuts",
        conversatie=conversatie,
    )
    vorm = formulier(gemeente, "reminder", ["energie"], conversatie=conversatie)
    assert f'value="{vraag.referentienummer}" selected' in vorm.text
    antwoord = verstuur(gemeente, "reminder", ["energie"], payload("reminder"), conversatie=conversatie)
    assert antwoord.status_code == 200, antwoord.text
    (ref,) = referenties(antwoord.text)
    assert "Herinnering aan</dt><dd>Saldoverzoek nuts van " in antwoord.text  # named, not numbered
    assert bericht(rt, ref).cross_referentienummer == vraag.referentienummer
    assert bericht(rt, vraag.referentienummer).status != "beantwoord"  # a reminder never answers
    client = gemeente.get(f"/portaal/clienten/{conversatie}")
    assert client.status_code == 200


def test_15_1_geen_reminder_zonder_open_vraag(gemeente: TestClient, rt: Runtime) -> None:
    """woning answered the saldoverzoek (klant onbekend): nothing left to remind it of."""
    conversatie = demo_conversatie(rt)
    vorm = formulier(gemeente, "reminder", ["woning"], conversatie=conversatie)
    assert "Er is geen open saldoverzoek of betaalvoorstel aan deze schuldeiser" in vorm.text
    assert "Het knooppunt zal dit bericht weigeren" in vorm.text
    antwoord = verstuur(gemeente, "reminder", ["woning"], payload("reminder"), conversatie=conversatie)
    assert antwoord.status_code == 422
    assert (
        "Het bericht waarnaar verwezen wordt, klopt niet." in antwoord.text
        and "ONGELDIGE_VERWIJZING" not in antwoord.text
    )  # a sentence, not a code


# --- the form ----------------------------------------------------------------------------------------


def test_formulierfouten_per_veld_en_de_invoer_blijft(gemeente: TestClient, rt: Runtime) -> None:
    voor = aantal_berichten(rt)
    fout = payload("saldoverzoek")
    fout["klant"] = {**fout["klant"], "achternaam": "", "voorletters": "Q.R.S."}
    fout["adres"] = {**fout["adres"], "postcode": "12345"}
    antwoord = verstuur(gemeente, "saldoverzoek", ["woning"], fout)
    assert antwoord.status_code == 400
    tekst = antwoord.text
    assert 'role="alert"' in tekst
    assert '<a href="#v-klant-achternaam">Cliënt – Achternaam: is verplicht; vul het in</a>' in tekst
    assert 'href="#v-adres-postcode"' in tekst and "geen geldige Nederlandse postcode" in tekst
    assert 'name="p.klant.achternaam" aria-describedby="v-klant-achternaam-fout" aria-invalid="true"' in tekst
    assert 'value="Q.R.S."' in tekst and 'value="12345"' in tekst  # what was typed is kept
    assert 'value="F-2023-55101"' in tekst  # the rows too
    assert aantal_berichten(rt) == voor  # nothing was sent


def test_bedrag_met_te_veel_decimalen(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt, 2)
    vorm = formulier(gemeente, "betaalvoorstel", ["energie"], conversatie=conversatie)
    data = dict(verborgen(vorm.text)) | velden(payload("betaalvoorstel")) | {"actie": "versturen"}
    data["p.vorderingen[1].bedrag"] = "3000,125"
    antwoord = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert antwoord.status_code == 400
    assert "Vorderingen – Regel 2 – Bedrag: heeft meer dan twee cijfers achter de komma" in antwoord.text
    assert 'value="3000,125"' in antwoord.text


def test_regel_toevoegen_en_verwijderen_zonder_javascript(gemeente: TestClient) -> None:
    vorm = formulier(gemeente, "saldoverzoek", ["woning"])
    assert 'id="v-vorderingen-2-factuurnummerSEVolgensSHV"' in vorm.text
    assert 'id="v-vorderingen-3-factuurnummerSEVolgensSHV"' not in vorm.text
    data = dict(verborgen(vorm.text)) | {
        "p.klantnummerSHV": "K-77",
        "p.vorderingen[0].factuurnummerSEVolgensSHV": "F-1",
        "p.vorderingen[2].factuurnummerSEVolgensSHV": "F-3",
        "actie": "toevoegen:vorderingen",
    }
    meer = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert meer.status_code == 200
    assert 'id="v-vorderingen-3-factuurnummerSEVolgensSHV"' in meer.text
    assert 'value="K-77"' in meer.text and 'value="F-3"' in meer.text
    data = dict(verborgen(meer.text)) | {
        "p.vorderingen[0].factuurnummerSEVolgensSHV": "F-1",
        "p.vorderingen[2].factuurnummerSEVolgensSHV": "F-3",
        "actie": "verwijderen:vorderingen[0]",
    }
    minder = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert 'name="p.vorderingen[1].factuurnummerSEVolgensSHV" value="F-3"' in minder.text
    assert 'value="F-1"' not in minder.text
    assert 'id="v-vorderingen-3-factuurnummerSEVolgensSHV"' not in minder.text


def test_controleren_verstuurt_niets(gemeente: TestClient, rt: Runtime) -> None:
    voor = aantal_berichten(rt)
    antwoord = verstuur(gemeente, "saldoverzoek", ["woning"], payload("saldoverzoek"), actie="controleren")
    assert antwoord.status_code == 200
    assert "Het formulier is volledig ingevuld" in antwoord.text
    assert aantal_berichten(rt) == voor


def test_twee_keer_versturen_stuurt_een_bericht(gemeente: TestClient, rt: Runtime) -> None:
    vorm = formulier(gemeente, "saldoverzoek", ["woning"])
    data = [*verborgen(vorm.text), *velden(payload("saldoverzoek")).items(), ("actie", "versturen")]
    eerste = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    tweede = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert eerste.status_code == tweede.status_code == 200
    assert "Al verzonden" in tweede.text
    conversatie = conversatie_van(eerste.text)
    verzonden = gemeente.get("/portaal/verzonden", params={"conversatie": conversatie})
    assert verzonden.text.count('<th scope="row">Saldoverzoek') == 1


def test_terugknop_en_opnieuw_versturen_stuurt_niets_twee_keer(gemeente: TestClient, rt: Runtime) -> None:
    """DESIGN §7: "a re-uploaded file or a resubmitted form sends nothing twice". The back button
    fetches the form again (a new page, with a new conversation for a new client) and the browser
    puts the typed values back: Versturen again is found as sent — for a new client and in an
    existing conversation (an independent portal probe sent an einde_bewind twice that way). A
    changed form is a new message."""
    voor = aantal_berichten(rt)
    data = [*velden(payload("kennisgeving_bsn")).items(), ("actie", "versturen")]
    eerste = gemeente.post(
        "/portaal/opstellen/inhoud",
        data=als_data([*verborgen(formulier(gemeente, "kennisgeving_bsn", ["belasting"]).text), *data]),
    )
    assert eerste.status_code == 200, eerste.text
    conversatie = conversatie_van(eerste.text)
    opnieuw = formulier(gemeente, "kennisgeving_bsn", ["belasting"])  # the back button: a new page
    assert conversatie not in opnieuw.text
    tweede = gemeente.post("/portaal/opstellen/inhoud", data=als_data([*verborgen(opnieuw.text), *data]))
    assert tweede.status_code == 200, tweede.text
    assert "Al verzonden" in tweede.text
    assert f"/portaal/verzonden?conversatie={conversatie}" in tweede.text  # where it went
    assert aantal_berichten(rt) == voor + 1

    # In the conversation: the same, twice; then a changed form is sent.
    vervolg = [*velden(payload("saldoverzoek")).items(), ("actie", "versturen")]
    for keer in range(2):
        vorm = formulier(gemeente, "saldoverzoek", ["belasting"], conversatie=conversatie)
        antwoord = gemeente.post(
            "/portaal/opstellen/inhoud", data=als_data([*verborgen(vorm.text), *vervolg])
        )
        assert antwoord.status_code == 200, antwoord.text
        assert ("Al verzonden" in antwoord.text) is (keer == 1)
    assert aantal_berichten(rt) == voor + 2
    vorm = formulier(gemeente, "saldoverzoek", ["belasting"], conversatie=conversatie)
    anders = [*verborgen(vorm.text), *vervolg, ("p.klantnummerSHV", "SHV-ANDERS-1")]
    antwoord = gemeente.post("/portaal/opstellen/inhoud", data=als_data(anders))
    assert antwoord.status_code == 200 and "Al verzonden" not in antwoord.text
    assert aantal_berichten(rt) == voor + 3


def test_volgend_bericht_neemt_de_gegevens_over(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    antwoord, _ = _nieuwe_client(gemeente, "kennisgeving", "woning", klantnummerSHV="SHV-OVER-1")
    conversatie = conversatie_van(antwoord.text)
    data = [*verborgen(antwoord.text), ("berichttype", "saldoverzoek"), ("ontvanger", oin_van("woning"))]
    vorm = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert vorm.status_code == 200
    assert 'value="SHV-OVER-1"' in vorm.text and 'value="Kerkstraat"' in vorm.text
    data = [*verborgen(vorm.text), ("p.typeSchuldregeling", "SB"), ("actie", "versturen")]
    data += [(k, v) for k, v in velden(payload("kennisgeving", klantnummerSHV="SHV-OVER-1")).items()]
    verstuurd = gemeente.post("/portaal/opstellen/inhoud", data=als_data(data))
    assert verstuurd.status_code == 200, verstuurd.text
    (ref,) = referenties(verstuurd.text)
    assert bericht(rt, ref).conversatie_referentienummer == conversatie
    assert ontvangen(rt, kluis, "woning", ref)["klantnummerSHV"] == "SHV-OVER-1"


# --- access --------------------------------------------------------------------------------------------


def test_een_schuldeiser_kan_niet_opstellen(portaal: TestClient, demo: dict[str, int]) -> None:
    inloggen(portaal, "energie")
    for pad in ("/portaal/opstellen", "/portaal/opstellen/inhoud?berichttype=kennisgeving"):
        antwoord = portaal.get(pad)
        assert antwoord.status_code == 403
        assert "Deze pagina is voor schuldhulpverleners, kredietbanken en bewindvoerders." in antwoord.text


def test_vervolgbericht_alleen_in_een_eigen_traject(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, kluis: Kluis
) -> None:
    anderdorp = tweede_gemeente(rt, kluis)
    inloggen(portaal, anderdorp)
    conversatie = demo_conversatie(rt)
    antwoord = portaal.get(
        "/portaal/opstellen/inhoud",
        params={"berichttype": "statusbericht", "ontvanger": oin_van("energie"), "conversatie": conversatie},
    )
    assert antwoord.status_code == 404
    assert "hoort niet bij uw organisatie" in antwoord.text
    assert portaal.get("/portaal/opstellen", params={"conversatie": conversatie}).status_code == 404


# --- the form generator (no database) -------------------------------------------------------------------


def test_elk_payloadveld_heeft_een_formulierveld() -> None:
    """Every field of every payload can be shown as a form field, and every integer is decided to be
    an amount in cents (typed in euros) or a count: a new field cannot slip through as cents."""
    from knooppunt.portaal.formulier import sjabloon
    from knooppunt.protocol.catalogus import CATALOGUS

    for berichttype in CATALOGUS.alle():
        if not berichttype.door_knooppunt:
            sj = sjabloon(berichttype.module, berichttype.code, berichttype.versie)
            assert sj.soort == "groep"


def test_nederlandse_labels() -> None:
    from knooppunt.portaal.formulier import label

    assert label("klantnummerSHV") == "Klantnummer SHV"
    assert label("datumAkkoord") == "Datum akkoord"
    assert label("actueelBedrag") == "Actueel bedrag"
    assert label("betaalreferentie") == "Betaalreferentie"
    assert label("klantnummerSEVolgensSHV") == "Klantnummer bij de schuldeiser (voor zover bekend)"
    assert label("wsnpAangevraagdDoorSE") == "Wsnp aangevraagd door SE"


@pytest.mark.parametrize(
    ("typed", "centen"),
    [
        ("1.234,56", 123456),
        ("1234,5", 123450),
        ("€ 1234.56", 123456),
        ("1234", 123400),
        ("1.234", 123400),
        ("0,05", 5),
    ],
)
def test_bedragen_in_euros(typed: str, centen: int) -> None:
    from knooppunt.portaal.formulier import euro_naar_centen

    assert euro_naar_centen(typed) == centen


@pytest.mark.parametrize("typed", ["12a", "1,234.5", "1.2345", "-5", "€"])
def test_geen_bedrag(typed: str) -> None:
    from knooppunt.portaal.formulier import Omzetfout, euro_naar_centen

    with pytest.raises(Omzetfout):
        euro_naar_centen(typed)
