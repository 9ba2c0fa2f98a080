"""Fetch and confirm as one statement each on PostgreSQL (#13 item 2, decision 0033) answer exactly
as the statements one by one do on SQLite: every outcome of a page of confirmations, the receipts
(their melding and envelop_hash as hub.mailbox.meldingen makes them), the answer deadlines, the
inbox counters and the audit entries; a fetch's page, its content, opgehaaldOp set once and its
audit entries."""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from knooppunt.hub import mailbox
from knooppunt.hub.mailbox import bevestigen as bevestig_hub
from knooppunt.hub.mailbox.envelop import WEIGERREDENEN
from knooppunt.runtime import Runtime
from knooppunt.store import inboxquotum
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, Bericht, Deelnemer
from tests.factories import Partij, envelop

# the module, not the function `mailbox.ophalen` that the package exports under its name
ophaal_hub = importlib.import_module("knooppunt.hub.mailbox.ophalen")


def _stuur(client: Any, van: Partij, aan: Partij, aantal: int, **kwargs: Any) -> list[dict[str, Any]]:
    enveloppen = [envelop(van, aan, "saldoverzoek", **kwargs) for _ in range(aantal)]
    for e in enveloppen:
        antwoord = client.post("/berichten", json=e)
        assert antwoord.status_code == 201, antwoord.text
    return enveloppen


def _berichten(rt: Runtime, **waar: Any) -> list[Bericht]:
    with rt.sessions() as session:
        query = select(Bericht).order_by(Bericht.id)
        for kolom, waarde in waar.items():
            query = query.where(getattr(Bericht, kolom) == waarde)
        return list(session.scalars(query))


def _audit(rt: Runtime, actie: str) -> list[tuple[str | None, str | None, str | None]]:
    with rt.sessions() as session:
        return [
            (r.referentienummer, r.actor, r.uitkomst)
            for r in session.scalars(
                select(Auditregel).where(Auditregel.actie == actie).order_by(Auditregel.id)
            )
        ]


def _tellers(rt: Runtime, ontvanger: str, afzender: str) -> tuple[int, int]:
    """(bytes, messages) of `afzender`'s unconfirmed messages in `ontvanger`'s inbox counters."""
    with rt.sessions() as session:
        return (
            inboxquotum.per_afzender(session, ontvanger).get(afzender, 0),
            inboxquotum.aantallen_per_afzender(session, ontvanger).get(afzender, 0),
        )


def test_een_pagina_bevestigen_geeft_elke_uitkomst_en_schrijft_alles_wat_erbij_hoort(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    afzender, ontvanger = client_voor(shv), client_voor(se)
    nieuw1, nieuw2, eerder, geweigerd, verlopen = (
        e["referentienummer"] for e in _stuur(afzender, shv, se, 5)
    )
    assert ontvanger.post(f"/berichten/{eerder}/bevestiging").status_code == 200
    weigering = {"reden": "ONTSLEUTELING_MISLUKT"}
    assert ontvanger.post(f"/berichten/{geweigerd}/weigering", json=weigering).status_code == 200
    with rt.sessions() as session, session.begin():
        # open, but past its term and not yet swept: confirming it expires it (art. 17.5)
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == verlopen)
            .values(verloopt_op=datetime(2020, 1, 1).astimezone())
        )
    onbekend = "00000000-0000-4000-8000-000000000000"
    gevraagd = [nieuw1, nieuw2, nieuw1, eerder, geweigerd, verlopen, onbekend]

    antwoord = ontvanger.post("/bevestigingen", json={"referentienummers": gevraagd})

    assert antwoord.status_code == 200, antwoord.text
    assert [(u["referentienummer"], u["status"], u["code"]) for u in antwoord.json()["bevestigingen"]] == [
        (nieuw1, "bevestigd", None),
        (nieuw2, "bevestigd", None),
        (nieuw1, "bevestigd", None),
        (eerder, "bevestigd", None),
        (geweigerd, "geweigerd", "GEWEIGERD"),
        (verlopen, "verlopen", "VERLOPEN"),
        (onbekend, "onbekend", "NIET_GEVONDEN"),
    ]
    # the inhoud of every confirmed, refused or expired message is gone, and so are its counters
    assert _tellers(rt, se.oin, shv.oin) == (0, 0)
    per_nummer = {b.referentienummer: b for b in _berichten(rt, ontvanger=se.oin)}
    for nummer in (nieuw1, nieuw2):
        bericht = per_nummer[nummer]
        assert bericht.bevestigd_op is not None
        assert bericht.antwoord_uiterlijk == bevestig_hub._antwoord_uiterlijk(
            bericht, bericht.bevestigd_op, rt.instellingen
        )
    # one receipt per message confirmed, exactly as meldingen.ontvangstbevestiging makes it
    bonnen = _berichten(rt, ontvanger=shv.oin, berichttype="ontvangstbevestiging")
    assert sorted(b.cross_referentienummer or "" for b in bonnen) == sorted([nieuw1, nieuw2, eerder])
    for bon in bonnen:
        bevestigd = per_nummer[bon.cross_referentienummer or ""]
        assert bevestigd.bevestigd_op is not None
        verwacht = bevestig_hub.ontvangstbevestiging(
            bevestigd, nu=bevestigd.bevestigd_op, instellingen=rt.instellingen
        )
        assert bon.melding == verwacht["melding"]
        assert list(bon.melding or {}) == list(verwacht["melding"])
        assert (
            bon.envelop_hash == hashlib.sha256(json.dumps(bon.melding, sort_keys=True).encode()).hexdigest()
        )
        assert (bon.afzender, bon.status, bon.module, bon.versie) == (
            verwacht["afzender"],
            "aangeboden",
            bevestigd.module,
            bevestigd.versie,
        )
        assert bon.conversatie_referentienummer == bevestigd.conversatie_referentienummer
        assert bon.verloopt_op == verwacht["verloopt_op"]
        assert len(bon.referentienummer) == 36
    # one audit entry per confirmation, by the recipient
    assert sorted(r for r, actor, _ in _audit(rt, "bevestigd") if actor == se.oin) == sorted(
        [nieuw1, nieuw2, eerder]
    )
    assert [r for r, _, _ in _audit(rt, "verlopen")] == [verlopen]

    # confirming the same page again changes nothing
    opnieuw = ontvanger.post("/bevestigingen", json={"referentienummers": [nieuw1, nieuw2]})
    assert [(u["status"], u["code"]) for u in opnieuw.json()["bevestigingen"]] == [("bevestigd", None)] * 2
    assert len(_berichten(rt, ontvanger=shv.oin, berichttype="ontvangstbevestiging")) == 3
    assert len([r for r, actor, _ in _audit(rt, "bevestigd") if actor == se.oin]) == 3


def test_een_antwoord_bevestigt_zijn_vraag_nog_steeds(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    (vraag,) = _stuur(client_voor(shv), shv, se, 1)
    antwoord = envelop(
        se,
        shv,
        "saldoverzoek_antwoord",
        conversatie=vraag["conversatieReferentienummer"],
        antwoord_op=vraag["referentienummer"],
    )
    assert client_voor(se).post("/berichten", json=antwoord).status_code == 201
    (bericht,) = _berichten(rt, referentienummer=vraag["referentienummer"])
    assert bericht.status == "beantwoord"
    assert _tellers(rt, se.oin, shv.oin) == (0, 0)
    uitkomst = client_voor(se).post("/bevestigingen", json={"referentienummers": [vraag["referentienummer"]]})
    assert [(u["status"], u["code"]) for u in uitkomst.json()["bevestigingen"]] == [("beantwoord", None)]


def test_ophalen_geeft_de_inhoud_zet_opgehaald_op_eenmaal_en_legt_elke_ophaling_vast(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    # 6 × ~340 KiB: more than the content that comes with the page (its first MiB), which the
    # streamed answer reads on its own
    enveloppen = _stuur(client_voor(shv), shv, se, 6, payload={"bijlage": "x" * 190_000})
    assert sum(len(e["inhoud"]) for e in enveloppen) > ophaal_hub.INGESLOTEN_BYTES
    ontvanger = client_voor(se)

    eerste = ontvanger.get("/berichten", params={"limit": 4}).json()
    assert [b["inhoud"] for b in eerste["berichten"]] == [e["inhoud"] for e in enveloppen[:4]]
    assert eerste["volgende"] is not None
    assert all(b["status"] == "opgehaald" and b["opgehaaldOp"] for b in eerste["berichten"])
    rest = ontvanger.get("/berichten", params={"limit": 4, "volgende": eerste["volgende"]}).json()
    assert [b["inhoud"] for b in rest["berichten"]] == [e["inhoud"] for e in enveloppen[4:]]
    assert "volgende" not in rest  # DESIGN §4: only "when more remain"

    weer = ontvanger.get("/berichten", params={"limit": 10}).json()
    assert [b["inhoud"] for b in weer["berichten"]] == [e["inhoud"] for e in enveloppen]
    # opgehaaldOp is the first fetch's
    assert [b["opgehaaldOp"] for b in weer["berichten"][:4]] == [
        b["opgehaaldOp"] for b in eerste["berichten"]
    ]
    refs = [e["referentienummer"] for e in enveloppen]
    assert _audit(rt, "opgehaald") == [(r, se.oin, "eerste") for r in refs] + [
        (r, se.oin, "opnieuw") for r in refs
    ]


def test_ophalen_met_filters_en_een_lege_inbox(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    shv, se, bank = cast["gemeente"], cast["energie"], cast["woning"]
    van_shv = _stuur(client_voor(shv), shv, se, 2)
    ontvanger = client_voor(se)
    # DESIGN §4: `volgende` only "when more remain"
    assert ontvanger.get("/berichten", params={"afzender": bank.oin}).json() == {"berichten": []}
    gevonden = ontvanger.get("/berichten", params={"afzender": shv.oin, "berichttype": "saldoverzoek"}).json()
    assert [b["referentienummer"] for b in gevonden["berichten"]] == [e["referentienummer"] for e in van_shv]
    assert _audit(rt, "opgehaald") == [(e["referentienummer"], se.oin, "eerste") for e in van_shv]


def test_weigeren_geeft_elke_uitkomst_en_schrijft_het_foutbericht_zoals_voorheen(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    afzender, ontvanger = client_voor(shv), client_voor(se)
    te_weigeren, bevestigd, verlopen = (e["referentienummer"] for e in _stuur(afzender, shv, se, 3))
    assert ontvanger.post(f"/berichten/{bevestigd}/bevestiging").status_code == 200
    with rt.sessions() as session, session.begin():
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == verlopen)
            .values(verloopt_op=datetime(2020, 1, 1).astimezone())
        )
    (bon,) = _berichten(rt, ontvanger=shv.oin, berichttype="ontvangstbevestiging")
    weigering = {"reden": "HANDTEKENING_ONGELDIG"}

    antwoord = ontvanger.post(f"/berichten/{te_weigeren}/weigering", json=weigering)

    assert antwoord.status_code == 200, antwoord.text
    assert (antwoord.json()["status"], antwoord.json()["geweigerdOp"] is not None) == ("geweigerd", True)
    assert _tellers(rt, se.oin, shv.oin)[1] == 1  # only `verlopen` is still counted
    (fout,) = _berichten(rt, ontvanger=shv.oin, berichttype="foutbericht")
    melding = {
        "code": "GEWEIGERD",
        "reden": "HANDTEKENING_ONGELDIG",
        "omschrijving": f"Bericht {te_weigeren} (saldoverzoek) is geweigerd: "
        f"{WEIGERREDENEN['HANDTEKENING_ONGELDIG']}. De inhoud is verwijderd; stuur het opnieuw onder "
        "een nieuw referentienummer.",
        "referentienummer": te_weigeren,
        "ontvanger": se.oin,
    }
    assert fout.melding == melding and list(fout.melding) == list(melding)
    assert fout.envelop_hash == hashlib.sha256(json.dumps(melding, sort_keys=True).encode()).hexdigest()
    assert (fout.afzender, fout.cross_referentienummer, fout.status) == (
        bon.afzender,
        te_weigeren,
        "aangeboden",
    )
    assert fout.verloopt_op == bon.verloopt_op  # the same term from the same kind of clock
    assert [(r, u) for r, _, u in _audit(rt, "geweigerd")] == [(te_weigeren, "HANDTEKENING_ONGELDIG")]

    assert (
        ontvanger.post(f"/berichten/{te_weigeren}/weigering", json=weigering).json()["status"] == "geweigerd"
    )
    assert (
        ontvanger.post(f"/berichten/{bevestigd}/weigering", json=weigering).json()["code"] == "AL_BEVESTIGD"
    )
    assert ontvanger.post(f"/berichten/{verlopen}/weigering", json=weigering).status_code == 410
    assert ontvanger.post(f"/berichten/{bon.referentienummer}/weigering", json=weigering).status_code == 404
    assert (
        client_voor(shv).post(f"/berichten/{bon.referentienummer}/weigering", json=weigering).json()["code"]
        == "NIET_WEIGERBAAR"
    )
    assert ontvanger.post(f"/berichten/{uuid.uuid4()}/weigering", json=weigering).status_code == 404
    assert len(_berichten(rt, ontvanger=shv.oin, berichttype="foutbericht")) == 2  # + VERLOPEN
    assert [(r, u) for r, _, u in _audit(rt, "geweigerd")] == [(te_weigeren, "HANDTEKENING_ONGELDIG")]
    assert _tellers(rt, se.oin, shv.oin) == (0, 0)
    assert all(tekst.isascii() for tekst in WEIGERREDENEN.values())  # the hash is made in SQL


def test_gelijktijdig_bevestigen_en_ophalen_bevestigt_elk_bericht_eenmaal(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """Overlapping pages confirmed at the same time, in opposite orders, while the inbox is
    fetched: no deadlock, every message confirmed once (one receipt, one audit entry), the
    counters back to zero."""
    shv, se = cast["gemeente"], cast["energie"]
    nummers = [e["referentienummer"] for e in _stuur(client_voor(shv), shv, se, 40)]
    pagina_s = [nummers[:30], list(reversed(nummers[10:])), nummers[::2] + nummers[1::2], nummers[5:35]]
    fouten: list[BaseException] = []

    def bevestig(pagina: list[str]) -> None:
        try:
            start.wait()
            with transactie(rt.sessions) as session:
                deelnemer = session.get(Deelnemer, se.oin)
                assert deelnemer is not None
                uitkomsten = mailbox.bevestig_meerdere(
                    session, deelnemer, pagina, nu=db_nu(session), instellingen=rt.instellingen
                )
                assert all(code is None for _, _, code in uitkomsten), uitkomsten
        except BaseException as fout:  # reported by the main thread
            fouten.append(fout)

    def haal_op() -> None:
        try:
            start.wait()
            for _ in range(3):
                with transactie(rt.sessions) as session:
                    deelnemer = session.get(Deelnemer, se.oin)
                    assert deelnemer is not None
                    mailbox.ophalen(session, deelnemer, nu=db_nu(session), limiet=20, max_bytes=1 << 24)
        except BaseException as fout:
            fouten.append(fout)

    draden = [threading.Thread(target=bevestig, args=(p,)) for p in pagina_s]
    draden.append(threading.Thread(target=haal_op))
    start = threading.Barrier(len(draden))
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join(60)
    assert fouten == []
    bonnen = _berichten(rt, ontvanger=shv.oin, berichttype="ontvangstbevestiging")
    assert sorted(b.cross_referentienummer or "" for b in bonnen) == sorted(nummers)
    assert sorted(r or "" for r, actor, _ in _audit(rt, "bevestigd") if actor == se.oin) == sorted(nummers)
    assert _tellers(rt, se.oin, shv.oin) == (0, 0)
