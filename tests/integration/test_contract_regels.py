"""An independent audit of the hub-enforced message rules, written from DESIGN.md alone (§2, §3, §3a,
§3b, §6): the rules the other rule files (`test_regels.py`, `test_versies.py`, `test_modules.py`,
`test_mailbox.py`) leave out, or check less strictly. Every rule test goes through the single path
(``POST /berichten``) and the batch path (``POST /verzendingen``, plain and after a dry run), which
must judge an envelope the same; the deadline tests drive the hub's own entry points with a clock.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from knooppunt.hub import mailbox
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, Certificaat
from tests.factories import Partij, envelop
from tests.integration.modulepad import accepteert, meedoen


def _verloop_alles(rt: Runtime, dagen: int = 31) -> None:
    """The expiry job, `dagen` days from now: every unconfirmed message is past its term."""
    with transactie(rt.sessions) as session:
        assert mailbox.verloop_reeks(
            session, nu=db_nu(session) + timedelta(days=dagen), instellingen=rt.instellingen
        )


def _termijn_voorbij(rt: Runtime, *referentienummers: str) -> None:
    """The bevestigingstermijn of these messages ended a minute ago, and the expiry job has not run
    since (it runs now and then): they are still ``aangeboden`` in the table."""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer.in_(referentienummers))
            .values(verloopt_op=nu - timedelta(minutes=1))
        )


def _zonder_nummer(probleem: dict[str, Any], nummer: str) -> str:
    """The problem as the caller sees it, with the referenced number and the per-request fields
    taken out: what is left must not tell one refusal from another."""
    kaal = {k: v for k, v in probleem.items() if k not in ("instance", "requestId")}
    return json.dumps(kaal, sort_keys=True).replace(nummer, "<nummer>")


# --- DESIGN §2: a conversation has one owner, in every module -------------------------------------


def test_par_2_elk_later_bericht_is_van_of_aan_de_eigenaar(wie: dict[str, Partij], traject: Any) -> None:
    """ "every later message in it is sent by or to the owner": a creditor of the traject may not
    write to another debt counsellor in it, whatever it already exchanged with the owner."""
    t = traject()
    gemeente, kredietbank, energie = wie["gemeente"], wie["kredietbank"], wie["energie"]
    t.ok(gemeente, energie, "kennisgeving")
    t.geweigerd(energie, kredietbank, "statusverzoek", "ONGELDIGE_CONVERSATIE")
    t.ok(energie, gemeente, "statusverzoek")  # to the owner


def test_par_2_een_conversatie_met_meerdere_modules_houdt_een_eigenaar(
    wie: dict[str, Partij], traject: Any
) -> None:
    """ "A conversation may carry several modules of one client's traject (a kennisgeving with a
    pause, then a schuldregeling)": its owner is the first sender, in every module."""
    pauze = traject("2.0", "pauzeknop")
    gemeente, kredietbank, energie = wie["gemeente"], wie["kredietbank"], wie["energie"]
    pauze.ok(gemeente, energie, "kennisgeving")
    regeling = traject("2.0", "schuldregeling")
    regeling.conversatie = pauze.conversatie
    regeling.ok(gemeente, energie, "saldoverzoek")
    regeling.geweigerd(kredietbank, energie, "saldoverzoek", "ONGELDIGE_CONVERSATIE")


# --- DESIGN §3: answers -----------------------------------------------------------------------------


def test_par_3_verwijzing_waar_de_beller_geen_partij_bij_is_krijgt_precies_het_antwoord_van_een_onbekende(
    wie: dict[str, Partij], traject: Any
) -> None:
    """ "A reference the caller is not party to gets exactly the answer a non-existent one gets
    (ONGELDIG_ANTWOORD)": the whole problem, not just its code, says nothing of what others
    exchanged — a question to another creditor in the same conversation, one in another conversation,
    and the caller's own question named as if it had received it."""
    t = traject()
    gemeente, energie, zorg = wie["gemeente"], wie["energie"], wie["zorg"]
    aan_zorg = t.ok(gemeente, zorg, "saldoverzoek")
    elders = traject()
    aan_zorg_elders = elders.ok(gemeente, zorg, "saldoverzoek")
    t.ok(gemeente, energie, "kennisgeving")
    eigen = t.ok(energie, gemeente, "statusverzoek")

    onbekend = str(uuid.uuid4())
    verwacht = _zonder_nummer(
        t.geweigerd(energie, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=onbekend),
        onbekend,
    )
    for nummer in (aan_zorg, aan_zorg_elders, eigen):
        probleem = t.geweigerd(
            energie, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=nummer
        )
        assert _zonder_nummer(probleem, nummer) == verwacht
    t.ok(zorg, gemeente, "saldoverzoek_antwoord", antwoord_op=aan_zorg)  # its addressee may


def test_par_3_en_3a_een_verwijzing_van_een_buitenstaander_in_het_traject_zelf_is_een_verwijzingsfout(
    wie: dict[str, Partij], traject: Any
) -> None:
    """An outsider that names a message of someone else's traject, *in that traject's own
    conversation*, gets the reference's answer — §3a: "anything else, a reference the caller is not
    party to included, is 422 ONGELDIGE_VERWIJZING"; §3: an answer to a message not addressed to the
    caller by the one now addressed is ONGELDIG_ANTWOORD — not a conversation error that would tell it
    the conversation exists and is someone else's. The same refusal as in a conversation of its own."""
    t = traject("2.0")
    gemeente, kredietbank, energie, zorg = wie["gemeente"], wie["kredietbank"], wie["energie"], wie["zorg"]
    vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    elders = traject("2.0")
    for conversatie in (t, elders):
        conversatie.geweigerd(
            kredietbank, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord
        )
        conversatie.geweigerd(kredietbank, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag)
        # another creditor answering the gemeente's question to energie, to the owner or to another SHV
        conversatie.geweigerd(zorg, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag)
        conversatie.geweigerd(
            energie, kredietbank, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag
        )
    # a message that names none still meets the owner's rule
    t.geweigerd(kredietbank, energie, "saldoverzoek_nuts", "ONGELDIGE_CONVERSATIE")
    t.ok(gemeente, energie, "heroverweging", antwoord_op=niet_akkoord)  # the party itself may


def test_par_3_een_verlopen_vraag_wordt_niet_meer_beantwoord(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """The referenced message must "not be expired"."""
    t = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    kennisgeving = t.ok(gemeente, energie, "kennisgeving")
    _verloop_alles(rt)
    assert t.verzonden(gemeente)[vraag]["status"] == "verlopen"
    t.geweigerd(energie, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag)
    t.geweigerd(energie, gemeente, "klant_onbekend", "ONGELDIG_ANTWOORD", antwoord_op=kennisgeving)
    assert t.verzonden(gemeente)[vraag]["status"] == "verlopen"


def test_par_3_een_vraag_voorbij_zijn_termijn_is_verlopen_ook_voor_de_veegronde(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """The answered message must "not be expired" — judged by its term, not by whether the expiry
    job has run yet: an answer after the bevestigingstermijn is refused like one after the sweep
    (it would otherwise be delivered while its question expires and the asker is told VERLOPEN; §4:
    "a message is never both confirmed and expired")."""
    t = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    kennisgeving = t.ok(gemeente, energie, "kennisgeving")
    _termijn_voorbij(rt, vraag, kennisgeving)
    t.geweigerd(energie, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag)
    t.geweigerd(energie, gemeente, "klant_onbekend", "ONGELDIG_ANTWOORD", antwoord_op=kennisgeving)
    # Nothing confirmed; past their term, the sender sees them verlopen at once (docs/rules.md).
    verzonden = t.verzonden(gemeente).values()
    assert {r["status"] for r in verzonden} == {"verlopen"}
    assert all(r.get("bevestigdOp") is None for r in verzonden)
    _verloop_alles(rt, dagen=0)
    assert t.verzonden(gemeente)[vraag]["status"] == "verlopen"
    meldingen = t.client(gemeente).get("/berichten").json()["berichten"]
    assert sorted((b["berichttype"], b["melding"]["referentienummer"]) for b in meldingen) == sorted(
        [("foutbericht", vraag), ("foutbericht", kennisgeving)]
    )


def test_art_15_1_en_par_3a_reminder_en_heroverweging_niet_na_de_termijn_van_wat_ze_noemen(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """15.1: a reminder names a question "neither answered nor expired"; §3a: a heroverweging names
    "a non-expired betaalvoorstel_niet_akkoord" — expired by its term, whether or not swept yet."""
    t = traject("2.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    _termijn_voorbij(rt, vraag, niet_akkoord)
    t.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag)
    t.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord)
    open_vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    t.ok(gemeente, energie, "reminder", antwoord_op=open_vraag)  # within its term


def test_par_3_antwoord_bevestigt_en_zet_beantwoord_een_correctie_verandert_dat_niet(
    wie: dict[str, Partij], traject: Any
) -> None:
    """ "Answering an unconfirmed message confirms it. Only an answer sets its question beantwoord
    ... Several answers to one question are allowed (a correction)"; a statusbericht that names
    nothing answers no statusverzoek."""
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    t.ok(gemeente, energie, "kennisgeving")
    verzoek = t.ok(energie, gemeente, "statusverzoek")
    t.ok(gemeente, energie, "statusbericht")  # no crossReferentienummer: answers nothing
    assert t.verzonden(energie)[verzoek]["status"] == "aangeboden"
    t.ok(gemeente, energie, "statusbericht", antwoord_op=verzoek)
    rij = t.verzonden(energie)[verzoek]
    assert rij["status"] == "beantwoord"
    assert rij["bevestigdOp"] is not None and rij["beantwoordOp"] is not None
    eerste = rij["beantwoordOp"]
    t.ok(gemeente, energie, "statusbericht", antwoord_op=verzoek)  # a correction
    assert t.verzonden(energie)[verzoek]["status"] == "beantwoord"
    assert t.verzonden(energie)[verzoek]["beantwoordOp"] >= eerste


# --- art. 9.3: only answers to this SHV's saldoverzoeken count ------------------------------------------


@pytest.mark.parametrize(("versie", "weigering"), [("1.0", "klant_onbekend"), ("2.0", "geen_medewerking")])
def test_art_9_3_een_antwoord_op_een_kennisgeving_heft_standaard_akkoord_niet_op(
    wie: dict[str, Partij], traject: Any, versie: str, weigering: str
) -> None:
    """9.3: refused when "this SE's latest answer (by ontvangenOp) to this SHV's saldoverzoeken in
    this conversation" is standaard akkoord — a later answer to a kennisgeving is no answer to a
    saldoverzoek."""
    t = traject(versie)
    gemeente, zorg = wie["gemeente"], wie["zorg"]
    vraag = t.ok(gemeente, zorg, "saldoverzoek_zorg")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    kennisgeving = t.ok(gemeente, zorg, "kennisgeving")
    t.ok(zorg, gemeente, weigering, antwoord_op=kennisgeving)
    probleem = t.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")
    assert "9.3" in probleem["detail"]


def test_art_9_3_het_laatste_antwoord_over_alle_saldoverzoeken_telt(
    wie: dict[str, Partij], traject: Any
) -> None:
    """9.3 by ontvangenOp across the SHV's saldoverzoeken: a regular answer to the first question,
    then standaard akkoord to the second, refuses; a regular answer after that allows again."""
    t = traject("1.0")
    gemeente, zorg = wie["gemeente"], wie["zorg"]
    eerste = t.ok(gemeente, zorg, "saldoverzoek")
    tweede = t.ok(gemeente, zorg, "saldoverzoek_zorg")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord", antwoord_op=eerste)
    t.ok(gemeente, zorg, "betaalvoorstel")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=tweede)
    t.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord", antwoord_op=eerste)  # a correction, now the latest
    t.ok(gemeente, zorg, "betaalvoorstel")


def test_art_9_3_en_12_1_een_bericht_voorbij_zijn_termijn_telt_niet_mee_ook_voor_de_veegronde(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """The rules that look back (9.3's latest answer, 12.1's earlier exchange) count messages that
    were delivered: an unconfirmed one past its bevestigingstermijn is expired (§6) whether or not
    the expiry job has swept it yet — the same judgement before and after the sweep."""
    t = traject("1.0")
    gemeente, zorg, energie = wie["gemeente"], wie["zorg"], wie["energie"]
    vraag = t.ok(gemeente, zorg, "saldoverzoek_zorg")
    akkoord = t.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    t.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")
    kennisgeving = t.ok(gemeente, energie, "kennisgeving")
    # The debt counsellor never confirmed the answer, the creditor never the kennisgeving.
    _termijn_voorbij(rt, akkoord, kennisgeving)
    t.ok(gemeente, zorg, "betaalvoorstel")  # 9.3: the expired answer no longer counts
    t.geweigerd(gemeente, energie, "schuldregeling_beeindigd", "GEEN_EERDER_CONTACT")  # 12.1
    _verloop_alles(rt, dagen=0)
    t.ok(gemeente, zorg, "betaalvoorstel")  # the same after the sweep
    t.geweigerd(gemeente, energie, "schuldregeling_beeindigd", "GEEN_EERDER_CONTACT")


# --- art. 11.1 / 7.2 ------------------------------------------------------------------------------------


def test_art_11_1_een_later_standpunt_dan_akkoord_telt(wie: dict[str, Partij], traject: Any) -> None:
    """11.1: "this SE's latest answer in this conversation is betaalvoorstel_akkoord or standaard
    akkoord" — a geen_medewerking after the akkoord is the latest answer, so no geaccordeerd."""
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    t.ok(energie, gemeente, "geen_medewerking", antwoord_op=vraag)
    probleem = t.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")
    assert "11.1" in probleem["detail"]


def test_art_11_1_akkoord_in_een_andere_conversatie_telt_niet(wie: dict[str, Partij], traject: Any) -> None:
    """Every hub condition is checked "per (caller, counterpart, module) within" one conversation."""
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    ander = traject()
    ander.ok(gemeente, energie, "kennisgeving")
    ander.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")
    t.ok(gemeente, energie, "schuldregeling_geaccordeerd")


# --- art. 12.1 and 14.1: per counterpart ----------------------------------------------------------------


def test_art_12_1_en_14_1_eerder_contact_geldt_per_tegenpartij(wie: dict[str, Partij], traject: Any) -> None:
    """12.1: "this SHV and SE already exchanged a message in this conversation"; 14.1 likewise — an
    exchange with another creditor of the same traject does not count."""
    t = traject("1.0")
    gemeente, energie, zorg = wie["gemeente"], wie["energie"], wie["zorg"]
    t.ok(gemeente, energie, "kennisgeving")
    probleem = t.geweigerd(gemeente, zorg, "schuldregeling_beeindigd", "GEEN_EERDER_CONTACT")
    assert "12.1" in probleem["detail"]
    probleem = t.geweigerd(zorg, gemeente, "statusverzoek", "GEEN_EERDER_CONTACT")
    assert "14.1" in probleem["detail"]
    t.ok(gemeente, energie, "schuldregeling_beeindigd")
    t.ok(energie, gemeente, "statusverzoek")


# --- art. 15.1: a reminder names an open question of the sender's own ---------------------------------


def test_art_15_1_geen_reminder_voor_een_verlopen_vraag(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """15.1: the named question must be "neither answered nor expired"; confirmed but unanswered is
    still open."""
    t = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    bevestigd = t.ok(gemeente, energie, "betaalvoorstel")
    t.bevestig(energie, bevestigd)
    t.ok(gemeente, energie, "reminder", antwoord_op=bevestigd)
    verloopt = t.ok(gemeente, energie, "saldoverzoek_nuts")
    _verloop_alles(rt)
    assert t.verzonden(gemeente)[verloopt]["status"] == "verlopen"
    probleem = t.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=verloopt)
    assert "15.1" in probleem["detail"]


def test_art_15_1_reminder_in_een_andere_conversatie_of_versie_verwijst_nergens_naar(
    wie: dict[str, Partij], traject: Any
) -> None:
    """§3a: "A message that names another (an answer, a reminder, a heroverweging) carries that
    message's module and versie (else ... ONGELDIGE_VERWIJZING for a reference)"; §2: in its own
    conversation. And a question the caller is not party to reads as one that does not exist."""
    een = traject("1.0")
    gemeente, kredietbank, energie = wie["gemeente"], wie["kredietbank"], wie["energie"]
    vraag = een.ok(gemeente, energie, "saldoverzoek_nuts")
    een.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag, versie="2.0")
    een.geweigerd(
        gemeente,
        energie,
        "reminder",
        "ONGELDIGE_VERWIJZING",
        antwoord_op=vraag,
        conversatie=str(uuid.uuid4()),
    )
    onbekend = str(uuid.uuid4())
    niets = een.geweigerd(
        kredietbank,
        energie,
        "reminder",
        "ONGELDIGE_VERWIJZING",
        antwoord_op=onbekend,
        conversatie=str(uuid.uuid4()),
    )
    andermans = een.geweigerd(
        kredietbank,
        energie,
        "reminder",
        "ONGELDIGE_VERWIJZING",
        antwoord_op=vraag,
        conversatie=str(uuid.uuid4()),
    )
    assert _zonder_nummer(niets, onbekend) == _zonder_nummer(andermans, vraag)
    een.ok(gemeente, energie, "reminder", antwoord_op=vraag)


# --- DESIGN §3a: versions -------------------------------------------------------------------------------


def test_par_3a_heroverweging_wordt_nooit_geweigerd_om_zijn_versie(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """A heroverweging names a niet-akkoord and "is never refused for its version, so open questions
    can be finished during a switch-over" — even when the creditor now accepts only 1.0."""
    t = traject("2.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    accepteert(rt, energie, "schuldregeling:1.0", "pauzeknop", "saldoverzoek", "betalingsregeling", "bewind")
    t.geweigerd(gemeente, energie, "betaalvoorstel", "VERSIE_NIET_ONDERSTEUND")  # names nothing
    heroverweging = t.ok(gemeente, energie, "heroverweging", antwoord_op=niet_akkoord)
    t.ok(gemeente, energie, "reminder", antwoord_op=heroverweging)
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=heroverweging)
    assert t.verzonden(gemeente)[heroverweging]["status"] == "beantwoord"


def test_par_3a_versie_niet_ondersteund_noemt_de_versies_die_beide_accepteren(
    rt: Runtime, pki: dict[str, Partij], traject: Any
) -> None:
    """VERSIE_NIET_ONDERSTEUND, "naming the versions both accept": exactly those, and no other."""
    wie = meedoen(rt, pki, gemeente=["schuldregeling:2.0"], energie=["schuldregeling:1.0,2.0"])
    probleem = traject("1.0").geweigerd(
        wie["gemeente"], wie["energie"], "kennisgeving", "VERSIE_NIET_ONDERSTEUND"
    )
    assert "2.0" in probleem["detail"] and "versie 1.0" in probleem["detail"]
    assert probleem["detail"].endswith("beide versie 2.0"), probleem["detail"]
    assert probleem["invalidParams"][0]["name"] == "versie"


def test_par_3a_onbekende_versie_ook_voor_een_antwoord(wie: dict[str, Partij], traject: Any) -> None:
    """ "A type that does not exist in the stated version: 422 ONBEKENDE_VERSIE" — an answer or a
    reminder too (being never refused for its version means a version that exists)."""
    t = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
    t.geweigerd(
        energie, gemeente, "saldoverzoek_antwoord", "ONBEKENDE_VERSIE", antwoord_op=vraag, versie="3.0"
    )
    t.geweigerd(gemeente, energie, "reminder", "ONBEKENDE_VERSIE", antwoord_op=vraag, versie="3.0")
    modules = traject("1.0", "betalingsregeling")  # every module but schuldregeling is 2.0 only (§3b)
    modules.geweigerd(gemeente, energie, "saldoverzoek", "ONBEKENDE_VERSIE")


# --- DESIGN §3b: each module's table, as the catalogue serves it ------------------------------------------

SALDO = ["saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"]
KENNIS = ["kennisgeving", "kennisgeving_bsn"]
AANVRAGEN = [
    "voorbeoordeling",
    "aanvraag_borgstelling",
    "aanvraag_overname",
    "beeindiging_borgstelling",
    "verzoek_uitbetaling",
]


def _schuldregeling(versie: str) -> dict[str, tuple[list[str], list[str], list[str], list[str], int | None]]:
    """DESIGN §3's table (and §3a's 2.0 changes): code → (from, to, answers, refers to, answer due)."""
    term = 5 if versie == "1.0" else 10
    bv = ["betaalvoorstel"] + (["heroverweging"] if versie == "2.0" else [])
    tabel: dict[str, tuple[list[str], list[str], list[str], list[str], int | None]] = {
        "kennisgeving": (["SHV"], ["SE"], [], [], None),
        "kennisgeving_bsn": (["SHV"], ["SE"], [], [], None),
        "kennisgeving_antwoord": (["SE"], ["SHV"], KENNIS, [], None),
        **{code: (["SHV"], ["SE"], [], [], term) for code in SALDO},
        "saldoverzoek_antwoord": (["SE"], ["SHV"], SALDO, [], None),
        "saldoverzoek_antwoord_standaard_akkoord": (["SE"], ["SHV"], SALDO, [], None),
        "betaalvoorstel": (["SHV"], ["SE"], [], [], term),
        "betaalvoorstel_akkoord": (["SE"], ["SHV"], bv, [], None),
        "betaalvoorstel_niet_akkoord": (["SE"], ["SHV"], bv, [], None),
        "schuldregeling_geaccordeerd": (["SHV"], ["SE"], [], [], None),
        "schuldregeling_beeindigd": (["SHV"], ["SE"], [], [], None),
        "statusbericht": (["SHV"], ["SE"], ["statusverzoek"], [], None),
        "statusverzoek": (["SE"], ["SHV"], [], [], term),
        "reminder": (["SHV"], ["SE"], [], SALDO + bv, None),
    }
    if versie == "1.0":
        tabel["klant_onbekend"] = (["SE"], ["SHV"], KENNIS + SALDO, [], None)
    else:
        tabel["geen_medewerking"] = (["SE"], ["SHV"], KENNIS + SALDO, [], None)
        tabel["heroverweging"] = (["SHV"], ["SE"], [], ["betaalvoorstel_niet_akkoord"], 10)
    return tabel


MODULETABELLEN: dict[
    tuple[str, str], dict[str, tuple[list[str], list[str], list[str], list[str], int | None]]
] = {
    ("schuldregeling", "1.0"): _schuldregeling("1.0"),
    ("schuldregeling", "2.0"): _schuldregeling("2.0"),
    ("betalingsregeling", "2.0"): _schuldregeling(
        "2.0"
    ),  # "the same types, answers, deadlines and conditions"
    ("saldoverzoek", "2.0"): {
        **{code: (["BW", "SHV"], ["SE"], [], [], 10) for code in SALDO},
        "saldoverzoek_antwoord": (["SE"], ["BW", "SHV"], SALDO, [], None),
        "geen_medewerking": (["SE"], ["BW", "SHV"], SALDO, [], None),
        "reminder": (["BW", "SHV"], ["SE"], [], SALDO, None),
    },
    ("waarborgfonds", "2.0"): {
        **{code: (["SHV"], ["WF"], [], [], 5) for code in AANVRAGEN},
        "gebeurtenis": (["WF"], ["SHV"], AANVRAGEN, [], None),
        "verzoek_kredietinformatie": (["WF"], ["SHV"], [], [], 10),
        "kredietinformatie": (["SHV"], ["WF"], ["verzoek_kredietinformatie"], [], None),
    },
    ("bewind", "2.0"): {
        "melding_bewind": (["BW"], ["SE"], [], [], 10),
        "melding_bewind_antwoord": (["SE"], ["BW"], ["melding_bewind"], [], None),
        "geen_medewerking": (["SE"], ["BW"], ["melding_bewind"], [], None),
        "einde_bewind": (["BW"], ["SE"], [], [], None),
    },
    ("pauzeknop", "2.0"): {
        "kennisgeving": (["SHV"], ["SE"], [], [], 10),
        "kennisgeving_bsn": (["SHV"], ["SE"], [], [], 10),
        "kennisgeving_antwoord": (["SE"], ["SHV"], KENNIS, [], None),
        "geen_medewerking": (["SE"], ["SHV"], KENNIS, [], None),
        "pauze_beeindigd": (["SHV"], ["SE"], [], [], None),
    },
}


@pytest.mark.parametrize(("module", "versie"), list(MODULETABELLEN))
def test_par_3_3a_3b_de_catalogus_is_de_tabel_van_de_module(
    cast: dict[str, Partij], client_voor: Any, module: str, versie: str
) -> None:
    """Every module's senders, recipients, what each type answers or refers to and its answer term
    (DESIGN §3, §3a: 5 wd in 1.0, 10 in 2.0; §3b: waarborgfonds's 5 and 10, the pauzeknop's
    kennisgeving 10, saldoverzoek's senders SHV and BW), as `/berichttypen` serves them; plus
    ``foutbericht`` and ``ontvangstbevestiging``, authored by the hub only, in every module."""
    r = client_voor(cast["gemeente"]).get("/berichttypen", params={"module": module, "versie": versie})
    assert r.status_code == 200, r.text
    gekregen = {t["code"]: t for t in r.json()["berichttypen"]}
    tabel = MODULETABELLEN[(module, versie)]
    assert set(gekregen) == set(tabel) | {"foutbericht", "ontvangstbevestiging"}
    for code, (van, naar, beantwoordt, verwijst, termijn) in tabel.items():
        t = gekregen[code]
        assert (t["module"], t["versie"]) == (module, versie)
        assert sorted(t["van"]) == sorted(van), code
        assert sorted(t["naar"]) == sorted(naar), code
        assert sorted(t["beantwoordt"]) == sorted(beantwoordt), code
        assert sorted(t["verwijstNaar"]) == sorted(verwijst), code
        assert t["antwoordtermijnWerkdagen"] == termijn, code
        assert t["antwoordVerwacht"] is (termijn is not None), code
        assert t["doorKnooppunt"] is False, code
    for code in ("foutbericht", "ontvangstbevestiging"):
        assert gekregen[code]["van"] == ["KNOOPPUNT"] and gekregen[code]["doorKnooppunt"] is True


def test_par_3b_ontvangstbevestiging_en_foutbericht_in_de_module_van_hun_bericht(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """ "foutbericht and ontvangstbevestiging belong to every module": the notices about a bewind
    message are in module bewind, version 2.0, in its conversation, and name it."""
    t = traject("2.0", "bewind")
    bw, energie, zorg = wie["bewindvoerder"], wie["energie"], wie["zorg"]
    bevestigd = t.ok(bw, energie, "melding_bewind")
    verloopt = t.ok(bw, zorg, "melding_bewind")
    t.bevestig(energie, bevestigd)

    def meldingen() -> list[tuple[str, ...]]:
        return [
            (
                b["berichttype"],
                b["module"],
                b["versie"],
                b["conversatieReferentienummer"],
                b["crossReferentienummer"],
            )
            for b in t.client(bw).get("/berichten").json()["berichten"]
        ]

    assert meldingen() == [("ontvangstbevestiging", "bewind", "2.0", t.conversatie, bevestigd)]
    _verloop_alles(rt)  # the receipt, unconfirmed, expires silently with it (§6)
    assert meldingen() == [("foutbericht", "bewind", "2.0", t.conversatie, verloopt)]


# --- DESIGN §6: the terms on the clock, with the worked example -----------------------------------------


def _amsterdam(*deel: int) -> datetime:
    return datetime(*deel, tzinfo=AMSTERDAM)  # type: ignore[misc]


class Klok:
    """The hub's own entry points (`mailbox.verstuur`, `bevestig`, `verloop_reeks`, `te_laat`) at a
    chosen moment. The participants' certificates were registered well before it (a setup step:
    the development certificates are made when the test session starts)."""

    def __init__(self, rt: Runtime, wie: dict[str, Partij]) -> None:
        self.rt = rt
        self.conversatie = str(uuid.uuid4())
        with transactie(rt.sessions) as session:
            session.execute(update(Certificaat).values(geldig_vanaf=_amsterdam(2026, 1, 1)))

    def stuur(
        self,
        van: Partij,
        aan: Partij,
        berichttype: str,
        nu: datetime,
        *,
        versie: str,
        antwoord_op: str | None = None,
    ) -> str:
        env = envelop(
            van, aan, berichttype, conversatie=self.conversatie, antwoord_op=antwoord_op, versie=versie
        )
        envelop_ = mailbox.Envelop(
            referentienummer=env["referentienummer"],
            conversatie_referentienummer=env["conversatieReferentienummer"],
            cross_referentienummer=env["crossReferentienummer"],
            berichttype=env["berichttype"],
            module=env["module"],
            versie=env["versie"],
            ontvanger=env["ontvanger"],
            inhoud=env["inhoud"],
        )
        with transactie(self.rt.sessions) as session:
            afzender = deelnemer_store.haal(session, van.oin)
            assert afzender is not None
            _, nieuw = mailbox.verstuur(session, afzender, envelop_, nu=nu, instellingen=self.rt.instellingen)
            assert nieuw
        return str(env["referentienummer"])

    def bericht(self, referentienummer: str) -> Bericht:
        with self.rt.sessions() as session:
            bericht = session.query(Bericht).filter_by(referentienummer=referentienummer).one()
            session.expunge(bericht)
            return bericht

    def bevestig(self, aan: Partij, referentienummer: str, nu: datetime) -> mailbox.Bevestiging:
        with transactie(self.rt.sessions) as session:
            ontvanger = deelnemer_store.haal(session, aan.oin)
            assert ontvanger is not None
            return mailbox.bevestig(
                session, ontvanger, referentienummer, nu=nu, instellingen=self.rt.instellingen
            )

    def verloop(self, nu: datetime) -> int:
        with transactie(self.rt.sessions) as session:
            return mailbox.verloop_reeks(session, nu=nu, instellingen=self.rt.instellingen)


def test_par_6_uitgewerkt_voorbeeld_bevestigingstermijn(
    wie: dict[str, Partij], rt: Runtime, client_voor: Any
) -> None:
    """§6: "a message offered on Monday 23 November 2026 must be confirmed by the end of Monday 30
    November" (23:59:59 Europe/Amsterdam); then it expires, content gone, the sender told VERLOPEN."""
    klok = Klok(rt, wie)
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = klok.stuur(gemeente, energie, "saldoverzoek_nuts", _amsterdam(2026, 11, 23, 9, 30), versie="1.0")
    bericht = klok.bericht(vraag)
    assert bericht.verloopt_op == _amsterdam(2026, 11, 30, 23, 59, 59)
    assert klok.verloop(_amsterdam(2026, 11, 30, 23, 59, 58)) == 0
    assert klok.verloop(_amsterdam(2026, 12, 1, 0, 0, 0)) == 1
    assert klok.bericht(vraag).status == "verlopen"
    assert klok.bevestig(energie, vraag, _amsterdam(2026, 12, 1, 0, 0, 1)).verlopen
    r = client_voor(energie).post(f"/berichten/{vraag}/bevestiging")
    assert (r.status_code, r.json()["code"]) == (410, "VERLOPEN")
    with rt.sessions() as session:
        melding = session.query(Bericht).filter_by(ontvanger=gemeente.oin, berichttype="foutbericht").one()
        assert (melding.melding or {})["code"] == "VERLOPEN"
        assert melding.cross_referentienummer == vraag


@pytest.mark.parametrize(
    ("versie", "berichttype", "uiterlijk"),
    [
        # Confirmed Tuesday 24 November 2026: 5 working days (1.0) end Tuesday 1 December,
        # 10 (2.0) Tuesday 8 December.
        ("1.0", "saldoverzoek_nuts", _amsterdam(2026, 12, 1, 23, 59, 59)),
        ("2.0", "saldoverzoek_nuts", _amsterdam(2026, 12, 8, 23, 59, 59)),
        ("1.0", "betaalvoorstel", _amsterdam(2026, 12, 1, 23, 59, 59)),
    ],
)
def test_par_6_antwoorduiterlijk_vanaf_bevestigdop_en_te_laat(
    wie: dict[str, Partij], rt: Runtime, versie: str, berichttype: str, uiterlijk: datetime
) -> None:
    """§6: the answer term runs "from bevestigdOp" (not from ontvangenOp); "past the deadline teLaat
    is true" — and an answer after it does not make it timely again."""
    klok = Klok(rt, wie)
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = klok.stuur(
        gemeente, energie, berichttype, _amsterdam(2026, 11, 20, 16, 0), versie=versie
    )  # a Friday
    bevestiging = klok.bevestig(energie, vraag, _amsterdam(2026, 11, 24, 11, 0))
    assert bevestiging.nieuw
    bericht = klok.bericht(vraag)
    assert bericht.bevestigd_op == _amsterdam(2026, 11, 24, 11, 0)
    assert bericht.antwoord_uiterlijk == uiterlijk
    assert not mailbox.te_laat(bericht, uiterlijk)
    assert mailbox.te_laat(bericht, uiterlijk + timedelta(seconds=1))
    antwoord = "saldoverzoek_antwoord" if berichttype.startswith("saldo") else "betaalvoorstel_akkoord"
    klok.stuur(energie, gemeente, antwoord, uiterlijk + timedelta(hours=10), versie=versie, antwoord_op=vraag)
    beantwoord = klok.bericht(vraag)
    assert beantwoord.status == "beantwoord"
    assert mailbox.te_laat(beantwoord, uiterlijk + timedelta(days=30))


def test_par_6_op_tijd_beantwoord_is_nooit_te_laat(wie: dict[str, Partij], rt: Runtime) -> None:
    """§6 teLaat: a question answered before its deadline stays timely once the deadline is past; a
    type without "answer due" is never late; holidays of the Algemene termijnenwet are no working days
    (confirmed Wednesday 23 December 2026: 24, 28, 29, 30, 31 December — Christmas on Friday the 25th)."""
    klok = Klok(rt, wie)
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = klok.stuur(gemeente, energie, "saldoverzoek_nuts", _amsterdam(2026, 12, 22, 10, 0), versie="1.0")
    klok.bevestig(energie, vraag, _amsterdam(2026, 12, 23, 10, 0))
    assert klok.bericht(vraag).antwoord_uiterlijk == _amsterdam(2026, 12, 31, 23, 59, 59)
    klok.stuur(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        _amsterdam(2026, 12, 31, 23, 0),
        versie="1.0",
        antwoord_op=vraag,
    )
    assert not mailbox.te_laat(klok.bericht(vraag), _amsterdam(2027, 2, 1, 12, 0))
    kennisgeving = klok.stuur(
        gemeente, energie, "kennisgeving", _amsterdam(2026, 12, 22, 10, 0), versie="1.0"
    )
    klok.bevestig(energie, kennisgeving, _amsterdam(2026, 12, 23, 10, 0))
    assert klok.bericht(kennisgeving).antwoord_uiterlijk is None
    assert not mailbox.te_laat(klok.bericht(kennisgeving), _amsterdam(2027, 6, 1, 12, 0))


@pytest.mark.parametrize(
    ("aangeboden", "einde"),
    [
        # Just after midnight in Amsterdam, still Sunday in UTC: the term counts from Tuesday.
        (_amsterdam(2026, 11, 23, 0, 30), _amsterdam(2026, 11, 30, 23, 59, 59)),
        # Late Sunday evening in Amsterdam: the term counts from Monday.
        (_amsterdam(2026, 11, 22, 23, 30), _amsterdam(2026, 11, 27, 23, 59, 59)),
        # Offered on a Saturday: the day after is a Sunday, so Monday is the first working day.
        (_amsterdam(2026, 11, 28, 12, 0), _amsterdam(2026, 12, 4, 23, 59, 59)),
    ],
)
def test_par_6_termijn_telt_vanaf_de_dag_na_het_aanbieden_in_europe_amsterdam(
    wie: dict[str, Partij], rt: Runtime, aangeboden: datetime, einde: datetime
) -> None:
    """§6: "Europe/Amsterdam; a term is counted from the day after the event, and ends at the end
    (23:59:59 local time) of its last working day"."""
    klok = Klok(rt, wie)
    vraag = klok.stuur(wie["gemeente"], wie["energie"], "kennisgeving", aangeboden, versie="1.0")
    assert klok.bericht(vraag).verloopt_op == einde
