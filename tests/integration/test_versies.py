"""Protocol versions 1.0 and 2.0 side by side (DESIGN §3a): the 2.0 types of schuldregeling
(``geen_medewerking``, ``heroverweging``), the versions each participant accepts, answers in the
version of their question, and the answer term per version. Each rule test runs through the single
and the batch path."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from knooppunt.hub import mailbox
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from tests.factories import Partij
from tests.integration.modulepad import accepteert, meedoen, werkdagen_na_bevestiging

# --- 2.0: geen_medewerking replaces klant_onbekend -----------------------------------------------------


def test_par_3a_geen_medewerking_vervangt_klant_onbekend(wie: dict[str, Partij], traject: Any) -> None:
    gemeente, energie = wie["gemeente"], wie["energie"]
    twee, een = traject("2.0"), traject("1.0")
    for t, goed, fout in [
        (twee, "geen_medewerking", "klant_onbekend"),
        (een, "klant_onbekend", "geen_medewerking"),
    ]:
        kennisgeving = t.ok(gemeente, energie, "kennisgeving")
        vraag = t.ok(gemeente, energie, "saldoverzoek_nuts")
        probleem = t.geweigerd(energie, gemeente, fout, "ONBEKENDE_VERSIE", antwoord_op=vraag)
        assert f"versie '{t.versie}'" in probleem["detail"]
        t.ok(energie, gemeente, goed, antwoord_op=kennisgeving)
        t.ok(energie, gemeente, goed, antwoord_op=vraag)
        verzonden = t.verzonden(gemeente)
        assert verzonden[kennisgeving]["status"] == verzonden[vraag]["status"] == "beantwoord"


def test_par_3a_klant_onbekend_in_2_0_noemt_geen_medewerking(wie: dict[str, Partij], traject: Any) -> None:
    """DESIGN §3a: an answer stays in its question's version and 2.0's geen_medewerking replaces
    klant_onbekend — so the refusal names the replacement, not "it exists in version 1.0"; the same
    in module betalingsregeling (DESIGN §3b: the types of schuldregeling 2.0)."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    t = traject("2.0")
    vraag = t.ok(gemeente, energie, "kennisgeving")
    detail = t.geweigerd(energie, gemeente, "klant_onbekend", "ONBEKENDE_VERSIE", antwoord_op=vraag)["detail"]
    assert "vervangt 'geen_medewerking' (met reden 'klant_onbekend')" in detail
    assert "Een antwoord blijft in de versie van zijn vraag" in detail
    assert "het bestaat in versie" not in detail
    br = traject("2.0", "betalingsregeling")
    vraag = br.ok(gemeente, energie, "saldoverzoek")
    detail = br.geweigerd(energie, gemeente, "klant_onbekend", "ONBEKEND_BERICHTTYPE", antwoord_op=vraag)[
        "detail"
    ]
    assert "in module betalingsregeling vervangt 'geen_medewerking' (met reden 'klant_onbekend')" in detail


def test_par_3a_geen_medewerking_telt_voor_art_9_3_en_11_1(wie: dict[str, Partij], traject: Any) -> None:
    """After geen_medewerking the hub does not refuse a betaalvoorstel (9.1: the SDK warns), and it
    is no akkoord (11.1)."""
    t = traject()
    gemeente, zorg = wie["gemeente"], wie["zorg"]
    vraag = t.ok(gemeente, zorg, "saldoverzoek_zorg")
    t.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    t.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")
    tweede = t.ok(gemeente, zorg, "saldoverzoek_zorg")
    t.ok(zorg, gemeente, "geen_medewerking", antwoord_op=tweede)
    t.ok(gemeente, zorg, "betaalvoorstel")
    t.geweigerd(gemeente, zorg, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")


# --- 2.0: heroverweging -------------------------------------------------------------------------------


def test_par_3a_heroverweging_verwijst_naar_het_laatste_niet_akkoord_en_beantwoordt_het_niet(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    probleem = t.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING")  # names nothing
    # the source as people read it (a versions probe found "(art. 2.0: 10.3)")
    assert probleem["detail"].endswith("(afsprakenstelsel 2.0, art. 10.3)"), probleem["detail"]
    t.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=voorstel)
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    heroverweging = t.ok(gemeente, energie, "heroverweging", antwoord_op=niet_akkoord)
    # It neither confirms nor answers the niet-akkoord.
    assert t.verzonden(energie)[niet_akkoord]["status"] == "aangeboden"
    assert t.verzonden(energie)[niet_akkoord]["beantwoordOp"] is None
    assert werkdagen_na_bevestiging(rt, t.bevestig(energie, heroverweging), 10)
    t.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")
    # betaalvoorstel_akkoord answers the heroverweging, and 11.1 counts it.
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=heroverweging)
    assert t.verzonden(gemeente)[heroverweging]["status"] == "beantwoord"
    t.ok(gemeente, energie, "schuldregeling_geaccordeerd")
    # The latest answer is now an akkoord: nothing to reconsider.
    t.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord)


def test_par_3a_heroverweging_tweede_ronde_alleen_op_het_nieuwste_niet_akkoord(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    eerste = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    heroverweging = t.ok(gemeente, energie, "heroverweging", antwoord_op=eerste)
    tweede = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=heroverweging)
    t.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=eerste)  # older
    opnieuw = t.ok(gemeente, energie, "heroverweging", antwoord_op=tweede)
    t.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=opnieuw)
    t.ok(gemeente, energie, "schuldregeling_geaccordeerd")


def test_par_3a_heroverweging_niet_op_het_niet_akkoord_van_een_ander(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject()
    gemeente, energie, belasting = wie["gemeente"], wie["energie"], wie["belasting"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    ander = t.geweigerd(
        gemeente, belasting, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord
    )
    # Exactly the answer a number that does not exist gets: nobody learns what others exchanged.
    onbekend = t.geweigerd(gemeente, belasting, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=voorstel)
    assert ander["detail"] == onbekend["detail"]
    # Another conversation, another module, another version: not the same traject either.
    t.geweigerd(
        gemeente,
        energie,
        "heroverweging",
        "ONGELDIGE_VERWIJZING",
        antwoord_op=niet_akkoord,
        module="betalingsregeling",
    )
    anders = traject()
    anders.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord)
    t.ok(gemeente, energie, "heroverweging", antwoord_op=niet_akkoord)


def test_par_3a_heroverweging_niet_op_een_niet_akkoord_uit_1_0(wie: dict[str, Partij], traject: Any) -> None:
    een = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = een.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = een.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    een.geweigerd(gemeente, energie, "heroverweging", "ONBEKENDE_VERSIE", antwoord_op=niet_akkoord)
    een.geweigerd(
        gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord, versie="2.0"
    )


def test_par_3a_heroverweging_niet_op_een_verlopen_niet_akkoord(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    with transactie(rt.sessions) as session:  # the expiry job, a month later
        assert mailbox.verloop_reeks(
            session, nu=db_nu(session) + timedelta(days=31), instellingen=rt.instellingen
        )
    assert t.verzonden(energie)[niet_akkoord]["status"] == "verlopen"
    t.geweigerd(gemeente, energie, "heroverweging", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord)


def test_par_3a_art_15_1_reminder_naar_open_heroverweging_in_2_0(
    wie: dict[str, Partij], traject: Any
) -> None:
    t = traject()
    gemeente, energie = wie["gemeente"], wie["energie"]
    voorstel = t.ok(gemeente, energie, "betaalvoorstel")
    niet_akkoord = t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    t.geweigerd(
        gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=niet_akkoord
    )  # not its own
    heroverweging = t.ok(gemeente, energie, "heroverweging", antwoord_op=niet_akkoord)
    t.ok(gemeente, energie, "reminder", antwoord_op=heroverweging)
    assert t.verzonden(gemeente)[heroverweging]["status"] == "aangeboden"
    t.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=heroverweging)
    t.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=heroverweging)


# --- the versions a participant accepts ------------------------------------------------------------


def test_par_3a_versie_niet_ondersteund_door_ontvanger_of_afzender(
    rt: Runtime, pki: dict[str, Partij], traject: Any
) -> None:
    wie = meedoen(
        rt,
        pki,
        energie=["schuldregeling:1.0", "pauzeknop"],
        belasting=["schuldregeling:2.0"],
        gemeente=["schuldregeling:1.0", "pauzeknop"],
        zorg=["schuldregeling:1.0,2.0"],
    )
    gemeente, energie, belasting, zorg = wie["gemeente"], wie["energie"], wie["belasting"], wie["zorg"]
    twee, een = traject("2.0"), traject("1.0")
    probleem = twee.geweigerd(gemeente, zorg, "kennisgeving", "VERSIE_NIET_ONDERSTEUND")
    assert "door u" in probleem["detail"] and "beide versie 1.0" in probleem["detail"]
    assert probleem["invalidParams"][0]["name"] == "versie"
    een.ok(gemeente, zorg, "kennisgeving")
    probleem = een.geweigerd(gemeente, belasting, "kennisgeving_bsn", "VERSIE_NIET_ONDERSTEUND")
    assert belasting.naam in probleem["detail"] and "geen versie van deze module gemeen" in probleem["detail"]
    twee.geweigerd(gemeente, belasting, "kennisgeving_bsn", "VERSIE_NIET_ONDERSTEUND")
    # The other modules keep their own versions.
    pauze = traject("2.0", "pauzeknop")
    pauze.ok(gemeente, energie, "kennisgeving")
    # A version the type does not exist in is no version anyone could accept.
    pauze.geweigerd(gemeente, energie, "kennisgeving", "ONBEKENDE_VERSIE", versie="1.0")
    een.geweigerd(gemeente, zorg, "kennisgeving", "ONBEKENDE_VERSIE", versie="3.0")


def test_par_3a_een_antwoord_blijft_in_de_versie_van_zijn_vraag(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    """A switch-over: open 1.0 questions are finished in 1.0 by a creditor that now accepts only 2.0;
    new 1.0 questions are refused."""
    een = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    vraag = een.ok(gemeente, energie, "saldoverzoek_nuts")
    voorstel = een.ok(gemeente, energie, "betaalvoorstel")
    accepteert(rt, energie, "schuldregeling:2.0", "pauzeknop")
    een.geweigerd(gemeente, energie, "saldoverzoek_nuts", "VERSIE_NIET_ONDERSTEUND")
    een.ok(gemeente, energie, "reminder", antwoord_op=vraag)  # names a 1.0 question: never refused
    # An answer in another version than its question names no question of its own traject.
    een.geweigerd(
        energie, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag, versie="2.0"
    )
    een.geweigerd(energie, gemeente, "geen_medewerking", "ONGELDIG_ANTWOORD", antwoord_op=vraag, versie="2.0")
    een.ok(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=vraag)
    een.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    assert een.verzonden(gemeente)[vraag]["status"] == "beantwoord"
    # A message that names none is judged by the versions both accept now.
    een.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "VERSIE_NIET_ONDERSTEUND")
    een.ok(gemeente, energie, "saldoverzoek_nuts", versie="2.0")


def test_par_3a_statusbericht_op_een_statusverzoek_uit_1_0(
    wie: dict[str, Partij], traject: Any, rt: Runtime
) -> None:
    een = traject("1.0")
    gemeente, energie = wie["gemeente"], wie["energie"]
    een.ok(gemeente, energie, "kennisgeving")
    verzoek = een.ok(energie, gemeente, "statusverzoek")
    accepteert(rt, gemeente, "schuldregeling:2.0", "betalingsregeling", "pauzeknop", "saldoverzoek")
    een.geweigerd(gemeente, energie, "statusbericht", "VERSIE_NIET_ONDERSTEUND")  # names nothing
    een.ok(gemeente, energie, "statusbericht", antwoord_op=verzoek)


@pytest.mark.parametrize(("versie", "werkdagen"), [("1.0", 5), ("2.0", 10)])
def test_par_3a_antwoorduiterlijk_per_versie(
    wie: dict[str, Partij], traject: Any, rt: Runtime, versie: str, werkdagen: int
) -> None:
    """Handbook 2.1 (5 working days) in 1.0, afsprakenstelsel 2.0 (10) in 2.0; the
    bevestigingstermijn stays 5 in both."""
    t = traject(versie)
    gemeente, energie = wie["gemeente"], wie["energie"]
    for berichttype in ("saldoverzoek", "betaalvoorstel"):
        vraag = t.ok(gemeente, energie, berichttype)
        bevestigd = t.bevestig(energie, vraag)
        assert werkdagen_na_bevestiging(rt, bevestigd, werkdagen), bevestigd
    verzoek = t.ok(energie, gemeente, "statusverzoek")
    assert werkdagen_na_bevestiging(rt, t.bevestig(gemeente, verzoek), werkdagen)
    kennisgeving = t.ok(gemeente, energie, "kennisgeving")
    rij = t.verzonden(gemeente)[kennisgeving]
    assert rij["antwoordUiterlijk"] is None
    ontvangen, verloopt = (
        datetime.fromisoformat(rij["ontvangenOp"]),
        datetime.fromisoformat(rij["verlooptOp"]),
    )
    assert verloopt == rt.instellingen.kalender.termijn_einde(ontvangen, 5)


# --- the adresboek and the CLI ------------------------------------------------------------------------


def test_par_3a_adresboek_noemt_de_versies_per_module(
    rt: Runtime, pki: dict[str, Partij], client_voor: Any
) -> None:
    wie = meedoen(rt, pki, energie=["schuldregeling:1.0", "pauzeknop"], belasting=["schuldregeling:2.0,1.0"])
    client = client_voor(wie["gemeente"])
    r = client.get(f"/adresboek/{wie['energie'].oin}")
    assert r.status_code == 200, r.text
    assert r.json()["modules"] == ["pauzeknop", "schuldregeling"]
    assert r.json()["versies"] == {"pauzeknop": ["2.0"], "schuldregeling": ["1.0"]}
    versies = {
        d["oin"]: d["versies"]
        for d in client.get("/adresboek", params={"module": "schuldregeling"}).json()["deelnemers"]
    }
    assert versies[wie["belasting"].oin] == {"schuldregeling": ["1.0", "2.0"]}
    assert versies[wie["gemeente"].oin]["schuldregeling"] == ["1.0", "2.0"]  # default: every version
    assert wie["sbn"].oin not in versies


def test_par_3a_cli_deelnemer_module_met_versies(cli: Any, pki: dict[str, Partij]) -> None:
    energie = pki["energie"]
    basis = (
        "deelnemer",
        "add",
        "--oin",
        energie.oin,
        "--naam",
        energie.naam,
        "--rol",
        "SE",
        "--kvk",
        energie.kvk,
    )
    fout = cli(*basis, "--module", "schuldregeling:3.0", "--certificaat", str(energie.cert_pad))
    assert fout.exit_code == 1 and "kent versie 3.0 niet" in fout.output and "1.0, 2.0" in fout.output
    uit = cli(
        *basis,
        "--module",
        "schuldregeling:2.0",
        "--module",
        "pauzeknop",
        "--certificaat",
        str(energie.cert_pad),
    )
    assert uit.exit_code == 0, uit.output

    def rij() -> dict[str, Any]:
        return next(
            json.loads(r) for r in cli("deelnemer", "list", "--json").output.splitlines() if energie.oin in r
        )

    assert rij()["modules"] == ["pauzeknop", "schuldregeling"]
    assert rij()["versies"] == {"pauzeknop": ["2.0"], "schuldregeling": ["2.0"]}
    assert "modules=pauzeknop;schuldregeling:2.0" in cli("deelnemer", "list").output

    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--module", "schuldregeling:1.0,2.0")
    assert uit.exit_code == 0, uit.output
    assert "modules ['pauzeknop', 'schuldregeling:2.0'] -> ['schuldregeling']" in uit.output
    assert rij()["versies"] == {"schuldregeling": ["1.0", "2.0"]}
    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--module", "schuldregeling:1.0")
    assert "modules ['schuldregeling'] -> ['schuldregeling:1.0']" in uit.output
    assert rij()["versies"] == {"schuldregeling": ["1.0"]}
    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--module", "pauzeknop:2.0", "--module",
              "schuldregeling:1.0", "--module", "schuldregeling:2.0")  # fmt: skip
    assert "modules ['schuldregeling:1.0'] -> ['pauzeknop', 'schuldregeling']" in uit.output
    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--module", "schuldregeling:1.0")
    fout = cli("deelnemer", "wijzig", "--oin", energie.oin, "--module", "bewind:1.0")
    assert fout.exit_code == 1 and "module bewind kent versie 1.0 niet" in fout.output
    assert rij()["versies"] == {"schuldregeling": ["1.0"]}
