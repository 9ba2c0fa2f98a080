"""Every hub condition of the modules of DESIGN §3b, and DESIGN §2's "every reference and condition
stays inside its module". Each test runs through the single path (``POST /berichten``) and the
batch path (``POST /verzendingen``): both judge every rule the same (DESIGN §4)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from knooppunt.hub import mailbox
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer
from tests.factories import Partij
from tests.integration.modulepad import Traject, meedoen, werkdagen_na_bevestiging


@pytest.fixture
def traject(client_voor: Any, pad: str) -> Any:
    def maak(module: str, versie: str = "2.0") -> Traject:
        return Traject(client_voor, pad, module, versie)

    return maak


# --- saldoverzoek: Schuldinventarisatie, fase 1 ----------------------------------------------------


@pytest.mark.parametrize("afzender", ["gemeente", "bewindvoerder"])
def test_par_3b_saldoverzoek_door_shv_en_bewindvoerder_beantwoord_of_geen_medewerking(
    wie: dict[str, Partij], traject: Any, rt: Runtime, afzender: str
) -> None:
    t = traject("saldoverzoek")
    van, energie = wie[afzender], wie["energie"]
    vraag = t.ok(van, energie, "saldoverzoek")
    assert werkdagen_na_bevestiging(rt, t.bevestig(energie, vraag), 10)
    t.ok(energie, van, "saldoverzoek_antwoord", antwoord_op=vraag)
    tweede = t.ok(van, energie, "saldoverzoek")
    t.ok(energie, van, "geen_medewerking", antwoord_op=tweede)
    verzonden = t.verzonden(van)
    assert verzonden[vraag]["status"] == verzonden[tweede]["status"] == "beantwoord"
    # The creditor asks nothing in this module, and there is no betaalvoorstel in it.
    t.geweigerd(energie, van, "saldoverzoek", "ROL_NIET_TOEGESTAAN")
    t.geweigerd(van, energie, "betaalvoorstel", "ONBEKEND_BERICHTTYPE")
    # The first sender owns the conversation (DESIGN §2): the other asker cannot write in it.
    ander = wie["bewindvoerder" if afzender == "gemeente" else "gemeente"]
    t.geweigerd(ander, energie, "saldoverzoek", "ONGELDIGE_CONVERSATIE")


@pytest.mark.parametrize("afzender", ["gemeente", "bewindvoerder"])
@pytest.mark.parametrize(
    ("berichttype", "goed", "fout", "artikel"),
    [
        ("saldoverzoek_nuts", "energie", "zorg", "5.2"),
        ("saldoverzoek_publiek", "belasting", "energie", "5.4"),
        ("saldoverzoek_zorg", "zorg", "belasting", "5.5"),
    ],
)
def test_par_3b_saldoverzoek_art_5_variant_past_bij_schuldensoort(
    wie: dict[str, Partij], traject: Any, afzender: str, berichttype: str, goed: str, fout: str, artikel: str
) -> None:
    t = traject("saldoverzoek")
    vraag = t.ok(wie[afzender], wie[goed], berichttype)
    t.ok(wie[goed], wie[afzender], "saldoverzoek_antwoord", antwoord_op=vraag)
    probleem = t.geweigerd(wie[afzender], wie[fout], berichttype, "ONJUISTE_SCHULDENSOORT")
    assert artikel in probleem["detail"]


@pytest.mark.parametrize("afzender", ["gemeente", "bewindvoerder"])
def test_par_3b_saldoverzoek_art_15_1_reminder_naar_eigen_open_saldoverzoek(
    wie: dict[str, Partij], traject: Any, afzender: str
) -> None:
    t = traject("saldoverzoek")
    van, energie, belasting = wie[afzender], wie["energie"], wie["belasting"]
    t.geweigerd(van, energie, "reminder", "ONGELDIGE_VERWIJZING")  # names nothing
    vraag = t.ok(van, energie, "saldoverzoek")
    t.geweigerd(van, belasting, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag)  # not to it
    t.ok(van, energie, "reminder", antwoord_op=vraag)
    assert t.verzonden(van)[vraag]["status"] == "aangeboden"  # a reminder answers nothing
    t.ok(energie, van, "saldoverzoek_antwoord", antwoord_op=vraag)
    t.geweigerd(van, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag)  # answered


# --- waarborgfonds: a kredietbank and the fund --------------------------------------------------------


@pytest.mark.parametrize(
    "aanvraag",
    [
        "voorbeoordeling",
        "aanvraag_borgstelling",
        "aanvraag_overname",
        "beeindiging_borgstelling",
        "verzoek_uitbetaling",
    ],
)
def test_par_3b_waarborgfonds_kredietbank_vraagt_fonds_beantwoordt_met_gebeurtenis_in_5_werkdagen(
    wie: dict[str, Partij], traject: Any, rt: Runtime, aanvraag: str
) -> None:
    t = traject("waarborgfonds")
    kredietbank, sbn = wie["kredietbank"], wie["sbn"]
    vraag = t.ok(kredietbank, sbn, aanvraag)
    assert werkdagen_na_bevestiging(rt, t.bevestig(sbn, vraag), 5)
    t.ok(sbn, kredietbank, "gebeurtenis", antwoord_op=vraag)
    assert t.verzonden(kredietbank)[vraag]["status"] == "beantwoord"
    # Only the kredietbank asks, only the fund decides.
    t.geweigerd(sbn, kredietbank, aanvraag, "ROL_NIET_TOEGESTAAN")
    t.geweigerd(kredietbank, sbn, "gebeurtenis", "ROL_NIET_TOEGESTAAN")


def test_par_3b_waarborgfonds_gebeurtenis_later_alleen_na_eerder_contact(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject("waarborgfonds")
    kredietbank, sbn = wie["kredietbank"], wie["sbn"]
    t.geweigerd(sbn, kredietbank, "gebeurtenis", "GEEN_EERDER_CONTACT")  # a case nobody opened
    vraag = t.ok(kredietbank, sbn, "aanvraag_borgstelling")
    t.ok(sbn, kredietbank, "gebeurtenis")  # a later event in the case's conversation
    assert t.verzonden(kredietbank)[vraag]["status"] == "aangeboden"  # it answers nothing
    t.ok(sbn, kredietbank, "gebeurtenis", antwoord_op=vraag)
    anders = t.ok(kredietbank, sbn, "verzoek_uitbetaling")
    t.geweigerd(sbn, kredietbank, "kredietinformatie", "ROL_NIET_TOEGESTAAN", antwoord_op=anders)


def test_par_3b_waarborgfonds_verzoek_kredietinformatie_start_conversatie_van_het_fonds(
    rt: Runtime, pki: dict[str, Partij], traject: Any
) -> None:
    wie = meedoen(rt, pki, gemeente=["waarborgfonds"])
    t = traject("waarborgfonds")
    kredietbank, sbn, gemeente = wie["kredietbank"], wie["sbn"], wie["gemeente"]
    verzoek = t.ok(sbn, kredietbank, "verzoek_kredietinformatie")
    assert werkdagen_na_bevestiging(rt, t.bevestig(kredietbank, verzoek), 10)
    t.geweigerd(kredietbank, sbn, "kredietinformatie", "ONGELDIG_ANTWOORD")  # names nothing
    t.ok(kredietbank, sbn, "kredietinformatie", antwoord_op=verzoek)
    assert t.verzonden(sbn)[verzoek]["status"] == "beantwoord"
    # The fund owns the conversation (DESIGN §2): every later message is sent by or to it.
    t.ok(gemeente, sbn, "aanvraag_borgstelling")
    t.ok(kredietbank, sbn, "aanvraag_borgstelling")  # to the owner


# --- bewind: Meldingen bewindvoering -------------------------------------------------------------------


def test_par_3b_bewind_melding_beantwoord_of_geen_medewerking_in_10_werkdagen(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    t = traject("bewind")
    bw, energie, belasting = wie["bewindvoerder"], wie["energie"], wie["belasting"]
    melding = t.ok(bw, energie, "melding_bewind")
    assert werkdagen_na_bevestiging(rt, t.bevestig(energie, melding), 10)
    t.geweigerd(energie, bw, "melding_bewind_antwoord", "ONGELDIG_ANTWOORD")  # names nothing
    t.ok(energie, bw, "melding_bewind_antwoord", antwoord_op=melding)
    tweede = t.ok(bw, belasting, "melding_bewind")
    t.ok(belasting, bw, "geen_medewerking", antwoord_op=tweede)
    verzonden = t.verzonden(bw)
    assert verzonden[melding]["status"] == verzonden[tweede]["status"] == "beantwoord"
    t.geweigerd(wie["gemeente"], energie, "melding_bewind", "ROL_NIET_TOEGESTAAN")


def test_par_3b_bewind_einde_bewind_alleen_na_eerder_contact(wie: dict[str, Partij], traject: Any) -> None:
    t = traject("bewind")
    bw, energie, zorg = wie["bewindvoerder"], wie["energie"], wie["zorg"]
    probleem = t.geweigerd(bw, energie, "einde_bewind", "GEEN_EERDER_CONTACT")
    assert "module 'bewind'" in probleem["detail"] and probleem["detail"].endswith("(afspraken bewind)")
    melding = t.ok(bw, energie, "melding_bewind")
    t.geweigerd(bw, zorg, "einde_bewind", "GEEN_EERDER_CONTACT")  # contact with another creditor
    t.ok(bw, energie, "einde_bewind")
    t.geweigerd(energie, bw, "melding_bewind_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=str(uuid.uuid4()))
    t.ok(energie, bw, "melding_bewind_antwoord", antwoord_op=melding)


# --- pauzeknop: Landelijke pauzeknop -------------------------------------------------------------------


def test_par_3b_pauzeknop_kennisgeving_verwacht_antwoord_in_10_werkdagen(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    t = traject("pauzeknop")
    gemeente, energie, belasting = wie["gemeente"], wie["energie"], wie["belasting"]
    kennisgeving = t.ok(gemeente, energie, "kennisgeving")
    assert werkdagen_na_bevestiging(rt, t.bevestig(energie, kennisgeving), 10)
    t.ok(energie, gemeente, "kennisgeving_antwoord", antwoord_op=kennisgeving)
    publiek = t.ok(gemeente, belasting, "kennisgeving_bsn")
    t.ok(belasting, gemeente, "geen_medewerking", antwoord_op=publiek)
    verzonden = t.verzonden(gemeente)
    assert verzonden[kennisgeving]["status"] == verzonden[publiek]["status"] == "beantwoord"
    # art. 3.1 and 3.2 hold here as in schuldregeling.
    t.geweigerd(gemeente, belasting, "kennisgeving", "ONTVANGER_GEBRUIKT_BSN")
    t.geweigerd(gemeente, energie, "kennisgeving_bsn", "ONTVANGER_GEBRUIKT_GEEN_BSN")


def test_par_3b_pauzeknop_pauze_beeindigd_alleen_na_eerder_contact(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject("pauzeknop")
    gemeente, energie = wie["gemeente"], wie["energie"]
    t.geweigerd(gemeente, energie, "pauze_beeindigd", "GEEN_EERDER_CONTACT")
    t.ok(gemeente, energie, "kennisgeving")
    t.ok(gemeente, energie, "pauze_beeindigd")
    t.geweigerd(energie, gemeente, "pauze_beeindigd", "ROL_NIET_TOEGESTAAN")


# --- betalingsregeling: the rules of schuldregeling 2.0 ------------------------------------------------


def test_par_3b_betalingsregeling_art_9_3_en_11_1_zoals_schuldregeling(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject("betalingsregeling")
    gemeente, energie, zorg = wie["gemeente"], wie["energie"], wie["zorg"]
    t.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    t.ok(gemeente, energie, "schuldregeling_geaccordeerd")
    vraag = t.ok(gemeente, zorg, "saldoverzoek")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    t.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")
    t.ok(gemeente, zorg, "schuldregeling_geaccordeerd")  # art. 7.2


# --- DESIGN §2: every reference and condition stays inside its module ---------------------------------


@pytest.mark.parametrize(
    ("vraagmodule", "vraag", "ontvanger", "antwoordmodule", "antwoord"),
    [
        ("pauzeknop", "kennisgeving", "energie", "schuldregeling", "kennisgeving_antwoord"),
        ("pauzeknop", "kennisgeving", "energie", "schuldregeling", "geen_medewerking"),
        ("schuldregeling", "kennisgeving", "energie", "pauzeknop", "kennisgeving_antwoord"),
        ("saldoverzoek", "saldoverzoek", "energie", "schuldregeling", "saldoverzoek_antwoord"),
        ("schuldregeling", "saldoverzoek", "energie", "saldoverzoek", "geen_medewerking"),
        ("saldoverzoek", "saldoverzoek", "energie", "betalingsregeling", "saldoverzoek_antwoord"),
        ("schuldregeling", "betaalvoorstel", "energie", "betalingsregeling", "betaalvoorstel_akkoord"),
        ("betalingsregeling", "betaalvoorstel", "energie", "schuldregeling", "betaalvoorstel_niet_akkoord"),
        ("pauzeknop", "kennisgeving_bsn", "belasting", "betalingsregeling", "kennisgeving_antwoord"),
    ],
)
def test_par_2_een_antwoord_beantwoordt_alleen_een_vraag_uit_zijn_eigen_module(
    wie: dict[str, Partij],
    traject: Any,
    vraagmodule: str,
    vraag: str,
    ontvanger: str,
    antwoordmodule: str,
    antwoord: str,
) -> None:
    t = traject(vraagmodule)
    gemeente, se = wie["gemeente"], wie[ontvanger]
    ref = t.ok(gemeente, se, vraag)
    t.geweigerd(se, gemeente, antwoord, "ONGELDIG_ANTWOORD", antwoord_op=ref, module=antwoordmodule)
    assert t.verzonden(gemeente)[ref]["status"] == "aangeboden"
    t.ok(se, gemeente, antwoord, antwoord_op=ref)  # in its own module


@pytest.mark.parametrize(
    ("vraagmodule", "remindermodule"),
    [
        ("saldoverzoek", "schuldregeling"),
        ("schuldregeling", "betalingsregeling"),
        ("betalingsregeling", "saldoverzoek"),
    ],
)
def test_par_2_art_15_1_reminder_alleen_naar_een_vraag_uit_zijn_eigen_module(
    wie: dict[str, Partij], traject: Any, vraagmodule: str, remindermodule: str
) -> None:
    t = traject(vraagmodule)
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = t.ok(gemeente, energie, "saldoverzoek")
    t.geweigerd(
        gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag, module=remindermodule
    )
    t.ok(gemeente, energie, "reminder", antwoord_op=vraag)


@pytest.mark.parametrize(
    ("akkoordmodule", "module"),
    [("betalingsregeling", "schuldregeling"), ("schuldregeling", "betalingsregeling")],
)
def test_par_2_art_11_1_een_akkoord_telt_alleen_in_zijn_eigen_module(
    wie: dict[str, Partij], traject: Any, akkoordmodule: str, module: str
) -> None:
    t = traject(akkoordmodule)
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    t.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD", module=module)
    t.ok(gemeente, energie, "schuldregeling_geaccordeerd")
    # ... and a niet-akkoord in the other module does not undo it here.
    ander = t.ok(gemeente, energie, "betaalvoorstel", module=module)
    t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=ander, module=module)
    t.ok(gemeente, energie, "schuldregeling_geaccordeerd")


@pytest.mark.parametrize(
    ("akkoordmodule", "module"),
    [("schuldregeling", "betalingsregeling"), ("betalingsregeling", "schuldregeling")],
)
def test_par_2_art_9_3_standaard_akkoord_blokkeert_alleen_in_zijn_eigen_module(
    wie: dict[str, Partij], traject: Any, akkoordmodule: str, module: str
) -> None:
    t = traject(akkoordmodule)
    gemeente, zorg = wie["gemeente"], wie["zorg"]
    vraag = t.ok(gemeente, zorg, "saldoverzoek")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    t.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")
    t.ok(gemeente, zorg, "betaalvoorstel", module=module)


@pytest.mark.parametrize(
    ("contactmodule", "contact", "module", "berichttype"),
    [
        ("pauzeknop", "kennisgeving", "schuldregeling", "schuldregeling_beeindigd"),
        ("schuldregeling", "kennisgeving", "pauzeknop", "pauze_beeindigd"),
        ("saldoverzoek", "saldoverzoek", "betalingsregeling", "schuldregeling_beeindigd"),
        ("schuldregeling", "saldoverzoek", "betalingsregeling", "schuldregeling_beeindigd"),
    ],
)
def test_par_2_art_12_1_eerder_uitgewisseld_telt_alleen_in_zijn_eigen_module(
    wie: dict[str, Partij], traject: Any, contactmodule: str, contact: str, module: str, berichttype: str
) -> None:
    t = traject(contactmodule)
    gemeente, energie = wie["gemeente"], wie["energie"]
    t.ok(gemeente, energie, contact)
    t.geweigerd(gemeente, energie, berichttype, "GEEN_EERDER_CONTACT", module=module)
    if CATALOGUS.zoek(module, "statusverzoek") is not None:  # art. 14.1
        t.geweigerd(energie, gemeente, "statusverzoek", "GEEN_EERDER_CONTACT", module=module)
    t.ok(gemeente, energie, contact, module=module)
    t.ok(gemeente, energie, berichttype, module=module)


def test_par_2_art_14_1_statusverzoek_alleen_na_contact_in_zijn_module(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject("pauzeknop")
    gemeente, energie = wie["gemeente"], wie["energie"]
    kennisgeving = t.ok(gemeente, energie, "kennisgeving")
    t.ok(energie, gemeente, "kennisgeving_antwoord", antwoord_op=kennisgeving)
    t.geweigerd(energie, gemeente, "statusverzoek", "GEEN_EERDER_CONTACT", module="schuldregeling")
    t.geweigerd(energie, gemeente, "statusverzoek", "GEEN_EERDER_CONTACT", module="betalingsregeling")


# --- a participant with only its modules ---------------------------------------------------------------


def test_par_2_fase_1_schuldhulpverlener_in_saldoverzoek_en_pauzeknop(
    rt: Runtime, pki: dict[str, Partij], traject: Any
) -> None:
    wie = meedoen(rt, pki, gemeente=["saldoverzoek", "pauzeknop"])
    gemeente, energie = wie["gemeente"], wie["energie"]
    pauze = traject("pauzeknop")
    kennisgeving = pauze.ok(gemeente, energie, "kennisgeving")
    pauze.ok(energie, gemeente, "kennisgeving_antwoord", antwoord_op=kennisgeving)
    pauze.ok(gemeente, energie, "pauze_beeindigd")
    inventarisatie = traject("saldoverzoek")
    inventarisatie.conversatie = pauze.conversatie  # one client's traject, two modules
    vraag = inventarisatie.ok(gemeente, energie, "saldoverzoek_nuts")
    inventarisatie.ok(gemeente, energie, "reminder", antwoord_op=vraag)
    inventarisatie.ok(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=vraag)
    for module, berichttype in [
        ("schuldregeling", "kennisgeving"),
        ("schuldregeling", "saldoverzoek"),
        ("betalingsregeling", "betaalvoorstel"),
    ]:
        probleem = pauze.geweigerd(gemeente, energie, berichttype, "MODULE_NIET_ACTIEF", module=module)
        assert module in probleem["detail"]
    # A creditor's answer in a module the debt counsellor has not joined is refused as well.
    pauze.geweigerd(
        energie,
        gemeente,
        "kennisgeving_antwoord",
        "MODULE_NIET_ACTIEF",
        antwoord_op=kennisgeving,
        module="schuldregeling",
    )


def test_par_2_kredietbank_alleen_in_waarborgfonds(rt: Runtime, pki: dict[str, Partij], traject: Any) -> None:
    wie = meedoen(rt, pki, kredietbank=["waarborgfonds"])
    kredietbank, sbn, energie = wie["kredietbank"], wie["sbn"], wie["energie"]
    t = traject("waarborgfonds")
    for aanvraag in ("voorbeoordeling", "aanvraag_borgstelling", "aanvraag_overname"):
        vraag = t.ok(kredietbank, sbn, aanvraag)
        t.ok(sbn, kredietbank, "gebeurtenis", antwoord_op=vraag)
    t.ok(sbn, kredietbank, "gebeurtenis")
    peiling = str(uuid.uuid4())  # the fund's own conversation
    verzoek = t.ok(sbn, kredietbank, "verzoek_kredietinformatie", conversatie=peiling)
    t.ok(kredietbank, sbn, "kredietinformatie", antwoord_op=verzoek, conversatie=peiling)
    for module, berichttype in [
        ("schuldregeling", "saldoverzoek"),
        ("saldoverzoek", "saldoverzoek"),
        ("pauzeknop", "kennisgeving"),
    ]:
        t.geweigerd(kredietbank, energie, berichttype, "MODULE_NIET_ACTIEF", module=module)
    # Only the fund receives its requests.
    t.geweigerd(kredietbank, energie, "aanvraag_borgstelling", "ROL_NIET_TOEGESTAAN")


def test_par_2_bewindvoerder_in_bewind_en_saldoverzoek(
    rt: Runtime, pki: dict[str, Partij], traject: Any
) -> None:
    wie = meedoen(rt, pki, energie=["bewind", "saldoverzoek"], belasting=["schuldregeling"])
    bw, energie, belasting = wie["bewindvoerder"], wie["energie"], wie["belasting"]
    bewind = traject("bewind")
    melding = bewind.ok(bw, energie, "melding_bewind")
    bewind.ok(energie, bw, "melding_bewind_antwoord", antwoord_op=melding)
    bewind.ok(bw, energie, "einde_bewind")
    inventarisatie = traject("saldoverzoek")
    vraag = inventarisatie.ok(bw, energie, "saldoverzoek_nuts")
    inventarisatie.ok(bw, energie, "reminder", antwoord_op=vraag)
    inventarisatie.ok(energie, bw, "geen_medewerking", antwoord_op=vraag)
    # A creditor that has not joined bewind or saldoverzoek cannot be reached in them.
    bewind.geweigerd(bw, belasting, "melding_bewind", "MODULE_NIET_ACTIEF")
    inventarisatie.geweigerd(bw, belasting, "saldoverzoek_publiek", "MODULE_NIET_ACTIEF")
    # Elsewhere a bewindvoerder has no role: schuldregeling is for debt counsellors.
    bewind.geweigerd(bw, energie, "saldoverzoek", "ROL_NIET_TOEGESTAAN", module="schuldregeling")


# --- the batch path sees the envelopes before it, per module -------------------------------------------


def _reeks(client: Any, envelops: list[dict[str, Any]]) -> list[tuple[int, str | None]]:
    r = client.post("/verzendingen", json={"berichten": envelops})
    assert r.status_code == 200, r.text
    return [(b["status"], (b.get("probleem") or {}).get("code")) for b in r.json()["berichten"]]


def test_par_2_een_reeks_telt_eerder_contact_en_open_vragen_per_module(
    wie: dict[str, Partij], client_voor: Any
) -> None:
    """DESIGN §4: each envelope is judged as a single submit, seeing the ones accepted before it in
    the request — in their own module only."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    t = Traject(client_voor, "reeks", "pauzeknop")
    vraag = t.envelop(gemeente, energie, "saldoverzoek", module="saldoverzoek")
    envelops = [
        t.envelop(gemeente, energie, "kennisgeving"),
        t.envelop(gemeente, energie, "schuldregeling_beeindigd", module="schuldregeling"),
        t.envelop(gemeente, energie, "pauze_beeindigd"),
        vraag,
        t.envelop(
            gemeente, energie, "reminder", module="schuldregeling", antwoord_op=vraag["referentienummer"]
        ),
        t.envelop(
            gemeente, energie, "reminder", module="saldoverzoek", antwoord_op=vraag["referentienummer"]
        ),
        t.envelop(gemeente, energie, "saldoverzoek", module="schuldregeling"),
        t.envelop(gemeente, energie, "schuldregeling_beeindigd", module="schuldregeling"),
    ]
    assert _reeks(t.client(gemeente), envelops) == [
        (201, None),
        (422, "GEEN_EERDER_CONTACT"),
        (201, None),
        (201, None),
        (422, "ONGELDIGE_VERWIJZING"),
        (201, None),
        (201, None),
        (201, None),
    ]


def test_par_3b_open_vragen_per_module_in_het_trajectoverzicht(
    wie: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """A kennisgeving is a question in pauzeknop (an answer is due) and not in schuldregeling, so the
    debt counsellor's overview of its trajecten counts only the first as open."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    t = Traject(client_voor, "enkel", "schuldregeling")
    t.ok(gemeente, energie, "kennisgeving")
    t.ok(gemeente, energie, "kennisgeving", module="pauzeknop")
    t.ok(gemeente, energie, "saldoverzoek", module="saldoverzoek")
    with transactie(rt.sessions) as session:
        shv = session.get(Deelnemer, gemeente.oin)
        assert shv is not None
        overzicht, totaal = mailbox.conversaties(session, shv, nu=db_nu(session), limiet=10)
    assert totaal == 1
    assert (overzicht[0].conversatie, overzicht[0].berichten, overzicht[0].open_vragen) == (
        t.conversatie,
        3,
        2,
    )
