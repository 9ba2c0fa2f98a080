"""The audit log (DESIGN §5): what is recorded, in the same transaction as the action, gapless and
hash-chained under a lock; `knooppunt audit verify` finds every kind of tampering; the retention
purge leaves a chain that still verifies."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from knooppunt.hub import adresboek, audit, mailbox
from knooppunt.jobs import audit as audit_job
from knooppunt.jobs import verlopen
from knooppunt.runtime import Runtime
from knooppunt.store import audit as audit_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditanker, Auditregel
from tests.factories import Partij, envelop


def _regels(rt: Runtime) -> list[Auditregel]:
    with rt.sessions() as session:
        return list(session.scalars(select(Auditregel).order_by(Auditregel.volgnummer)))


def _acties(rt: Runtime, vanaf: int = 0) -> list[tuple[str, str | None, str | None]]:
    return [(r.actie, r.referentienummer, r.uitkomst) for r in _regels(rt) if r.volgnummer > vanaf]


def _kop(rt: Runtime) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.coalesce(func.max(Auditregel.volgnummer), 0))) or 0)


def _sql(rt: Runtime, *opdrachten: str) -> None:
    with rt.engine.begin() as conn:
        for opdracht in opdrachten:
            conn.execute(text(opdracht))


# --- what is recorded ---------------------------------------------------------------------------


def test_registratie_en_certificaten_worden_vastgelegd_door_de_beheerder(
    cli: Any, rt: Runtime, pki: dict[str, Partij]
) -> None:
    energie = pki["energie"]
    basis = ["--oin", energie.oin, "--naam", energie.naam, "--rol", "SE", "--kvk", energie.kvk]
    assert (
        cli(
            "deelnemer", "add", *basis, "--module", "schuldregeling", "--certificaat", str(energie.cert_pad)
        ).exit_code
        == 0
    )
    vingerafdruk = json.loads(cli("deelnemer", "list", "--json").output.splitlines()[0])["certificaten"][0][
        "vingerafdruk"
    ]
    assert (
        cli(
            "deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", vingerafdruk
        ).exit_code
        == 0
    )
    # Retiring it again changes nothing, so records nothing.
    assert (
        cli(
            "deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", vingerafdruk
        ).exit_code
        == 0
    )

    regels = _regels(rt)
    assert [(r.actie, r.deelnemer, r.certificaat) for r in regels] == [
        ("deelnemer_toegevoegd", energie.oin, None),
        ("certificaat_toegevoegd", energie.oin, vingerafdruk),
        ("certificaat_ingetrokken", energie.oin, vingerafdruk),
    ]
    assert {r.actor for r in regels} == {regels[0].actor}
    assert regels[0].actor.startswith("beheer:") and len(regels[0].actor) > len("beheer:")
    assert regels[0].uitkomst == "SE" and regels[1].uitkomst == "tls,ondertekening,versleuteling"


def test_levenscyclus_van_berichten_wordt_vastgelegd(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    shv, se = client_voor(gemeente), client_voor(energie)
    begin = _kop(rt)
    conversatie = str(uuid.uuid4())

    vraag = envelop(gemeente, energie, "saldoverzoek", conversatie=conversatie)
    assert shv.post("/berichten", json=vraag).status_code == 201
    assert shv.post("/berichten", json=vraag).status_code == 200  # a retry is no new action
    assert se.get("/berichten").status_code == 200
    assert se.get("/berichten").status_code == 200  # fetched again
    antwoord = envelop(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        conversatie=conversatie,
        antwoord_op=vraag["referentienummer"],
    )
    assert se.post("/berichten", json=antwoord).status_code == 201  # confirms the question too
    geweigerd = envelop(gemeente, zorg, "saldoverzoek_zorg")
    assert shv.post("/berichten", json=geweigerd).status_code == 201
    r = client_voor(zorg).post(
        f"/berichten/{geweigerd['referentienummer']}/weigering", json={"reden": "HANDTEKENING_ONGELDIG"}
    )
    assert r.status_code == 200
    inbox = [b["referentienummer"] for b in shv.get("/berichten").json()["berichten"]]
    assert shv.post("/bevestigingen", json={"referentienummers": inbox}).status_code == 200

    v, a, g = vraag["referentienummer"], antwoord["referentienummer"], geweigerd["referentienummer"]
    acties = _acties(rt, begin)
    assert acties[:7] == [
        ("verstuurd", v, None),
        ("opgehaald", v, "eerste"),
        ("opgehaald", v, "opnieuw"),
        ("verstuurd", a, None),
        ("bevestigd", v, "door_antwoord"),
        ("verstuurd", g, None),
        ("geweigerd", g, "HANDTEKENING_ONGELDIG"),
    ]
    # The SHV's inbox: the answer, the receipt and the foutbericht; fetched, then confirmed at once.
    assert [a for a, _, _ in acties[7:]] == ["opgehaald"] * 3 + ["bevestigd"] * 3
    assert {ref for _, ref, _ in acties[10:]} == set(inbox)

    regels = {(r.actie, r.referentienummer): r for r in _regels(rt)}
    verstuurd = regels[("verstuurd", v)]
    assert (verstuurd.actor, verstuurd.afzender, verstuurd.ontvanger) == (
        gemeente.oin,
        gemeente.oin,
        energie.oin,
    )
    assert (verstuurd.berichttype, verstuurd.module) == ("saldoverzoek", "schuldregeling")
    assert regels[("opgehaald", v)].actor == energie.oin
    assert regels[("bevestigd", v)].actor == energie.oin


def test_geweigerd_verzenden_wordt_vastgelegd_hoewel_niets_anders_blijft(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    begin = _kop(rt)
    env = envelop(gemeente, energie, "saldoverzoek") | {"ontvanger": "00000003999999990000"}
    r = client_voor(gemeente).post("/berichten", json=env)
    assert (r.status_code, r.json()["code"]) == (422, "ONBEKENDE_ONTVANGER")
    # A rule deeper down (art. 9.3 needs a conversation; here: an answer to nothing).
    antwoord = envelop(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=str(uuid.uuid4()))
    r = client_voor(energie).post("/berichten", json=antwoord)
    assert r.json()["code"] == "ONGELDIG_ANTWOORD"

    regels = [r for r in _regels(rt) if r.volgnummer > begin]
    assert [(r.actie, r.uitkomst, r.referentienummer) for r in regels] == [
        ("geweigerd_bij_verzenden", "ONBEKENDE_ONTVANGER", env["referentienummer"]),
        ("geweigerd_bij_verzenden", "ONGELDIG_ANTWOORD", antwoord["referentienummer"]),
    ]
    assert (regels[0].actor, regels[0].ontvanger, regels[0].berichttype) == (
        gemeente.oin,
        "00000003999999990000",
        "saldoverzoek",
    )
    with rt.sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM berichten")) == 0


def test_verlopen_wordt_vastgelegd_in_een_insert_per_batch(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    refs = []
    for _ in range(3):
        env = envelop(gemeente, energie, "saldoverzoek")
        assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
        refs.append(env["referentienummer"])
    begin = _kop(rt)
    later = datetime.now(UTC) + timedelta(days=30)
    assert verlopen.verloop_alles(rt.sessions, nu=later, instellingen=rt.instellingen) == 3
    regels = [r for r in _regels(rt) if r.volgnummer > begin]
    assert [(r.actie, r.actor) for r in regels] == [("verlopen", "KNOOPPUNT")] * 3
    assert sorted(r.referentienummer or "" for r in regels) == sorted(refs)
    assert {r.tijd for r in regels} == {later}


def test_een_teruggedraaide_actie_laat_geen_regel_achter(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    begin = _kop(rt)
    env = envelop(gemeente, energie, "saldoverzoek")
    envelop_ = mailbox.Envelop(
        referentienummer=env["referentienummer"],
        conversatie_referentienummer=env["conversatieReferentienummer"],
        cross_referentienummer=None,
        berichttype="saldoverzoek",
        module="schuldregeling",
        versie="1.0",
        ontvanger=energie.oin,
        inhoud=env["inhoud"],
    )
    with pytest.raises(RuntimeError), transactie(rt.sessions) as session:
        afzender = adresboek.haal(session, gemeente.oin)
        mailbox.verstuur(session, afzender, envelop_, nu=db_nu(session), instellingen=rt.instellingen)
        raise RuntimeError("iets anders gaat mis na het versturen")
    assert _kop(rt) == begin
    with transactie(rt.sessions) as session:
        afzender = adresboek.haal(session, gemeente.oin)
        mailbox.verstuur(session, afzender, envelop_, nu=db_nu(session), instellingen=rt.instellingen)
    assert _acties(rt, begin) == [("verstuurd", env["referentienummer"], None)]


def test_gelijktijdige_schrijvers_houden_de_keten_lineair_en_zonder_gaten(rt: Runtime) -> None:
    """Several threads (own connections) append and roll back at once; the lock keeps it linear."""
    vastgelegd: list[int] = []
    fouten: list[BaseException] = []

    def schrijver(nummer: int) -> None:
        try:
            for i in range(15):
                aantal = 1 + (i % 3)
                try:
                    with transactie(rt.sessions) as session:
                        nu = db_nu(session)
                        audit.noteer(
                            session,
                            [
                                {
                                    "actie": "ingelogd",
                                    "actor": f"beheer:t{nummer}",
                                    "tijd": nu,
                                    "uitkomst": str(i),
                                }
                                for _ in range(aantal)
                            ],
                        )
                        if i % 4 == 3:
                            raise KeyError("teruggedraaid")
                except KeyError:
                    continue
                vastgelegd.append(aantal)
        except BaseException as exc:  # pragma: no cover - reported below
            fouten.append(exc)

    draden = [threading.Thread(target=schrijver, args=(n,)) for n in range(4)]
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join(120)
    assert not fouten, fouten
    with rt.sessions() as session:
        nummers = list(session.scalars(select(Auditregel.volgnummer).order_by(Auditregel.volgnummer)))
    assert nummers == list(range(1, sum(vastgelegd) + 1))
    assert audit.controleer(rt.engine).intact


# --- verify -------------------------------------------------------------------------------------


def _vul(rt: Runtime, aantal: int = 8, *, tijd: datetime | None = None) -> None:
    with transactie(rt.sessions) as session:
        nu = tijd or db_nu(session)
        audit.noteer(
            session,
            [
                {
                    "actie": "verstuurd",
                    "actor": "00000001823288444000",
                    "tijd": nu,
                    "berichttype": "saldoverzoek",
                    "afzender": "00000001823288444000",
                    "ontvanger": "00000003123456780000",
                    "referentienummer": str(uuid.uuid4()),
                }
                for _ in range(aantal)
            ],
        )


def test_verify_meldt_een_intacte_keten(cli: Any, rt: Runtime) -> None:
    uit = cli("audit", "verify")
    assert uit.exit_code == 0 and "leeg" in uit.output
    _vul(rt)
    uit = cli("audit", "verify")
    assert uit.exit_code == 0, uit.output
    assert "8 auditregels, volgnummer 1 t/m 8: keten intact" in uit.output
    rapport = json.loads(cli("audit", "verify", "--json").stdout)
    assert rapport["intact"] is True and rapport["aantal"] == 8


@pytest.mark.parametrize(
    ("ingreep", "verwacht"),
    [
        (
            ["UPDATE auditregels SET ontvanger = '00000003567890120000' WHERE volgnummer = 4"],
            {(4, "gewijzigd")},
        ),
        (["UPDATE auditregels SET tijd = tijd WHERE volgnummer = 4"], set()),  # no change, no report
        # Edit a field and replace the hash too: the entry and the next one's link both fail.
        (
            ["UPDATE auditregels SET actie = 'geweigerd', hash = vorige_hash WHERE volgnummer = 5"],
            {(5, "gewijzigd"), (6, "keten_gebroken")},
        ),
        (["DELETE FROM auditregels WHERE volgnummer = 3"], {(3, "ontbreekt")}),
        (["DELETE FROM auditregels WHERE volgnummer IN (3, 4)"], {(3, "ontbreekt")}),
        # Swap two entries: each gets the other's place.
        (
            [
                "UPDATE auditregels SET volgnummer = -1 WHERE volgnummer = 5",
                "UPDATE auditregels SET volgnummer = 5 WHERE volgnummer = 6",
                "UPDATE auditregels SET volgnummer = 6 WHERE volgnummer = -1",
            ],
            # ...and the entry after them no longer links to the one before it.
            {
                (5, "gewijzigd"),
                (5, "keten_gebroken"),
                (6, "gewijzigd"),
                (6, "keten_gebroken"),
                (7, "keten_gebroken"),
            },
        ),
    ],
    ids=[
        "veld-gewijzigd",
        "niets-gewijzigd",
        "hash-vervangen",
        "midden-verwijderd",
        "twee-verwijderd",
        "verwisseld",
    ],
)
def test_verify_vindt_elke_ingreep(
    cli: Any, rt: Runtime, ingreep: list[str], verwacht: set[tuple[int, str]]
) -> None:
    _vul(rt)
    _sql(rt, *ingreep)
    uit = cli("audit", "verify", "--json")
    rapport = json.loads(uit.stdout)
    assert {(p["volgnummer"], p["soort"]) for p in rapport["problemen"]} == verwacht
    assert uit.exit_code == (1 if verwacht else 0)
    if verwacht:
        tekst = cli("audit", "verify")
        assert tekst.exit_code == 1
        for volgnummer, soort in verwacht:
            assert f"volgnummer {volgnummer}: {soort}" in tekst.stdout


def test_een_afgeknipte_staart_vindt_alleen_verify_met_checkpoint(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    _vul(rt)
    bestand = tmp_path / "checkpoint.json"
    assert cli("audit", "checkpoint", "--uit", str(bestand)).exit_code == 0
    checkpoint = json.loads(bestand.read_text())
    assert (
        checkpoint["volgnummer"] == 8 and len(checkpoint["hash"]) == 64 and checkpoint["tijd"].endswith("Z")
    )
    _vul(rt, 2)  # the log grows after the checkpoint: still fine
    assert cli("audit", "verify", "--checkpoint", str(bestand)).exit_code == 0

    _sql(rt, "DELETE FROM auditregels WHERE volgnummer >= 7")
    assert cli("audit", "verify").exit_code == 0  # the chain alone cannot tell
    uit = cli("audit", "verify", "--checkpoint", str(bestand))
    assert uit.exit_code == 1
    assert "volgnummer 7: ontbreekt: volgnummer 7 t/m 8 ontbreekt" in uit.stdout
    assert "afgeknipt" in uit.stdout


def test_een_herschreven_keten_vindt_verify_met_checkpoint(cli: Any, rt: Runtime, tmp_path: Path) -> None:
    """Whoever rewrites an entry and recomputes every hash after it still fails the checkpoint."""
    _vul(rt, 5)
    bestand = tmp_path / "checkpoint.json"
    bestand.write_text(cli("audit", "checkpoint").stdout)
    with transactie(rt.sessions) as session:
        regels = [dict(r) for r in audit_store.regels(session.connection())]
        session.execute(text("DELETE FROM auditregels"))
        vorige = audit_store.GENESIS
        for regel in regels:
            regel["ontvanger"] = "00000003567890120000"
            regel["vorige_hash"] = vorige
            regel["hash"] = vorige = audit_store.bereken_hash(regel)
            session.add(Auditregel(**regel))
    assert cli("audit", "verify").exit_code == 0
    uit = cli("audit", "verify", "--checkpoint", str(bestand))
    assert uit.exit_code == 1 and "volgnummer 5: checkpoint" in uit.stdout


def test_checkpoint_van_een_leeg_log_en_een_onleesbaar_checkpoint(cli: Any, tmp_path: Path) -> None:
    uit = cli("audit", "checkpoint")
    assert uit.exit_code == 1 and "leeg" in uit.output
    onzin = tmp_path / "onzin.json"
    onzin.write_text("geen json")
    uit = cli("audit", "verify", "--checkpoint", str(onzin))
    assert uit.exit_code == 2 and "checkpoint" in uit.output


# --- retention ----------------------------------------------------------------------------------


def test_worker_schoont_oude_regels_op_en_de_rest_blijft_verifieerbaar(
    cli: Any, rt: Runtime, tmp_path: Path
) -> None:
    nu = datetime.now(UTC)
    _vul(rt, 5, tijd=nu - timedelta(days=2600))  # past the default 2557 days
    _vul(rt, 3, tijd=nu - timedelta(days=10))
    bestand = tmp_path / "checkpoint.json"
    bestand.write_text(cli("audit", "checkpoint").stdout)

    uit = cli("worker", "--once")
    assert uit.exit_code == 0, uit.output
    assert json.loads(uit.stdout)["audit_opgeschoond"] == 5
    regels = _regels(rt)
    assert [r.volgnummer for r in regels] == [6, 7, 8, 9]
    assert (regels[-1].actie, regels[-1].actor, regels[-1].uitkomst) == (
        "audit_opgeschoond",
        "KNOOPPUNT",
        "t/m 5",
    )
    with rt.sessions() as session:
        anker = session.get(Auditanker, 1)
        assert anker is not None and anker.volgnummer == 5
    verify = cli("audit", "verify", "--checkpoint", str(bestand))
    assert verify.exit_code == 0, verify.output
    assert "volgnummer 6 t/m 9" in verify.output and "opgeschoond t/m 5" in verify.output
    # Idempotent: nothing more is due.
    assert json.loads(cli("worker", "--once").stdout)["audit_opgeschoond"] == 0

    # Tampering right after the anchor is still found.
    _sql(rt, "DELETE FROM auditregels WHERE volgnummer = 6")
    uit = cli("audit", "verify")
    assert uit.exit_code == 1 and "volgnummer 6: ontbreekt" in uit.stdout


def test_opschonen_in_batches_houdt_altijd_de_nieuwste_regel(rt: Runtime, cli: Any) -> None:
    termijn = timedelta(days=2557)
    _vul(rt, 3, tijd=datetime.now(UTC) - timedelta(days=3000))
    with rt.sessions() as session:
        nu = db_nu(session)
    # Everything is old: the newest entry stays all the same (the head the next append chains to).
    assert audit_job.schoon_op(rt.sessions, nu=nu, bewaartermijn=termijn) == 2
    assert [(r.volgnummer, r.actie) for r in _regels(rt)] == [(3, "verstuurd"), (4, "audit_opgeschoond")]

    _vul(rt, 6, tijd=datetime.now(UTC) - timedelta(days=3000))
    # Years later, in batches of 2: each its own transaction with its own audit_opgeschoond entry,
    # until only those entries (made "now") are left.
    later = nu + timedelta(days=3000)
    assert audit_job.schoon_op(rt.sessions, nu=later, bewaartermijn=termijn, batch=2) == 8
    regels = _regels(rt)
    assert [(r.volgnummer, r.actie) for r in regels] == [(n, "audit_opgeschoond") for n in range(11, 15)]
    assert cli("audit", "verify").exit_code == 0


def test_bewaartermijn_is_configureerbaar(cli: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    _vul(rt, 3, tijd=datetime.now(UTC) - timedelta(days=40))
    _vul(rt, 1)
    assert json.loads(cli("worker", "--once").stdout)["audit_opgeschoond"] == 0
    monkeypatch.setenv("KNOOPPUNT_AUDIT_BEWAARTERMIJN_DAGEN", "30")
    assert json.loads(cli("worker", "--once").stdout)["audit_opgeschoond"] == 3
    assert cli("audit", "verify").exit_code == 0
