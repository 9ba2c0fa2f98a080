"""#13: the common submit on the event loop (api/lus.py, decision 0034). It only ever accepts, with
the hub's own statements and rules; whatever else a request needs — a certificate or adresboek
entry not yet in memory, a refusal, a repeat, an answer, a version change — goes the usual way,
which answers exactly as before. On PostgreSQL; SQLite has no such path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.api import lus as lus_mod
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat, verzenden
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.lusverbindingen import Lusverbindingen
from knooppunt.store.models import Auditregel, Bericht, Inboxbezetting
from tests.conftest import MetCertificaat
from tests.factories import Partij, envelop

VERANDERLIJK = {"ontvangenOp", "verlooptOp", "referentienummer", "conversatieReferentienummer"}


@pytest.fixture
def langs(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Per submit, which way served it: "lus" (on the event loop) or "gewoon" (the handler thread)."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("the submit on the event loop runs on PostgreSQL only")
    gezien: list[str] = []
    verstuur = lus_mod.Lus.verstuur

    async def spion(self: lus_mod.Lus, request: Any, invoer: Any) -> Any:
        antwoord = await verstuur(self, request, invoer)
        gezien.append("gewoon" if antwoord is None else "lus")
        return antwoord

    monkeypatch.setattr(lus_mod.Lus, "verstuur", spion)
    yield gezien


def _client(app: Any, partij: Partij) -> TestClient:
    return TestClient(MetCertificaat(app, partij.pem), base_url="https://testserver/api/v1")


def _zonder_veranderlijk(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in VERANDERLIJK}


def test_een_gewoon_bericht_wordt_op_de_lus_aangenomen_zoals_langs_de_gewone_weg(
    cast: dict[str, Partij], app: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = _client(app, shv)
    # The first request fills this process's caches (certificate, adresboek, day key) the usual way.
    assert client.post("/berichten", json=envelop(shv, se, "saldoverzoek")).status_code == 201
    assert langs == ["gewoon"]
    snel_env = envelop(shv, se, "saldoverzoek")
    snel = client.post("/berichten", json=snel_env)
    assert langs == ["gewoon", "lus"]
    gewoon = client.post("/berichten?via=fastapi", json=envelop(shv, se, "saldoverzoek"))
    assert snel.status_code == gewoon.status_code == 201, snel.text
    weg = ("content-length", "x-request-id")
    assert {k: v for k, v in snel.headers.items() if k not in weg} == {
        k: v for k, v in gewoon.headers.items() if k not in weg
    }
    assert _zonder_veranderlijk(snel.json()) == _zonder_veranderlijk(gewoon.json())

    # Stored as the usual way stores it: the recipient fetches exactly the JWE sent (sealed under the
    # day key and opened again), the audit entry and the inbox counter are there.
    pagina = _client(app, se).get("/berichten").json()["berichten"]
    gevonden = {b["referentienummer"]: b for b in pagina}
    assert gevonden[snel_env["referentienummer"]]["inhoud"] == snel_env["inhoud"]
    with rt.sessions() as session:
        acties = session.scalars(
            select(Auditregel.actie).where(Auditregel.referentienummer == snel_env["referentienummer"])
        ).all()
        assert "verstuurd" in acties
        teller = session.get(Inboxbezetting, (se.oin, shv.oin))
        assert teller is not None and teller.aantal == 3


def test_weigering_herhaling_en_antwoord_gaan_langs_de_gewone_weg(
    cast: dict[str, Partij], app: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = _client(app, shv)
    vraag = envelop(shv, se, "saldoverzoek")
    assert client.post("/berichten", json=vraag).status_code == 201
    assert client.post("/berichten", json=envelop(shv, se, "saldoverzoek")).status_code == 201
    assert langs[-1] == "lus"
    langs.clear()

    # art. 11.1: a schuldregeling_geaccordeerd needs an accepted betaalvoorstel first — refused and
    # audited by the usual way, as always.
    fout = client.post("/berichten", json=envelop(shv, se, "schuldregeling_geaccordeerd"))
    assert fout.status_code == 422 and fout.headers["content-type"] == "application/problem+json"
    # A repeat: the original result, 200.
    herhaald = client.post("/berichten", json=vraag)
    assert herhaald.status_code == 200 and herhaald.json()["referentienummer"] == vraag["referentienummer"]
    # An answer also confirms its question (art. 17): the usual way.
    ontvanger = _client(app, se)
    assert ontvanger.get("/berichten").status_code == 200
    antwoord = ontvanger.post(
        "/berichten",
        json=envelop(
            se,
            shv,
            "saldoverzoek_antwoord",
            conversatie=vraag["conversatieReferentienummer"],
            antwoord_op=vraag["referentienummer"],
        ),
    )
    assert antwoord.status_code == 201, antwoord.text
    assert langs == ["gewoon", "gewoon", "gewoon"]
    with rt.sessions() as session:
        gevraagd = session.scalars(
            select(Bericht).where(Bericht.referentienummer == vraag["referentienummer"])
        ).one()
        assert gevraagd.beantwoord_op is not None
        # the refusal's audit entry, written by the usual way
        weigeringen = session.scalars(
            select(Auditregel.uitkomst).where(Auditregel.berichttype == "schuldregeling_geaccordeerd")
        ).all()
        assert weigeringen == [fout.json()["code"]]


def test_een_gewijzigd_adresboek_telt_op_de_lus_meteen(
    cast: dict[str, Partij], app: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = _client(app, shv)
    for _ in range(2):
        assert client.post("/berichten", json=envelop(shv, se, "saldoverzoek")).status_code == 201
    assert langs == ["gewoon", "lus"]
    # Any adresboek change raises its version: nothing verified before counts on the event loop.
    with transactie(rt.sessions) as session:
        crl_staat.adresboek_gewijzigd(session, nu=db_nu(session))
    for _ in range(2):
        assert client.post("/berichten", json=envelop(shv, se, "saldoverzoek")).status_code == 201
    assert langs == ["gewoon", "lus", "gewoon", "lus"]


def test_de_verbindingen_van_gesloten_lussen_gaan_dicht(
    cast: dict[str, Partij], app: Any, rt: Runtime, langs: list[str]
) -> None:
    """A test client runs each request on a loop of its own: the connections of loops that closed
    are closed when the next loop comes, so they never pile up; the runtime closes the rest."""
    shv, se = cast["gemeente"], cast["energie"]
    client = _client(app, shv)
    for _ in range(12):
        assert client.post("/berichten", json=envelop(shv, se, "saldoverzoek")).status_code == 201
    assert langs.count("lus") == 11
    verbindingen = next(
        s.__self__ for s in rt.bij_sluiten if isinstance(getattr(s, "__self__", None), Lusverbindingen)
    )
    assert verbindingen.aantal() <= 2
    rt.close()
    assert verbindingen.aantal() == 0


def test_een_verloren_claim_telt_alleen_voor_de_eigen_conversatie(
    cast: dict[str, Partij], app: Any, rt: Runtime, langs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first messages of one conversation at once (a traject to many creditors): the second
    finds its claim taken when it writes. Its own conversation: accepted on the event loop; another
    debt counsellor's: refused by the usual way (art. 3: a conversation is its SHV's)."""
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    shv = _client(app, gemeente)
    eerste = envelop(gemeente, energie, "saldoverzoek")
    assert shv.post("/berichten", json=eerste).status_code == 201
    vreemd = envelop(kredietbank, energie, "saldoverzoek")
    assert _client(app, kredietbank).post("/berichten", json=vreemd).status_code == 201
    # The race, made to happen: the facts say "no owner yet", the write finds one.
    feiten_uit = verzenden._feiten_uit

    def zonder_eigenaar(rijen: Any, vragen: Any) -> Any:
        feiten = feiten_uit(rijen, vragen)
        feiten.eigenaar = None
        return feiten

    monkeypatch.setattr(verzenden, "_feiten_uit", zonder_eigenaar)
    langs.clear()
    eigen = envelop(gemeente, energie, "saldoverzoek", conversatie=eerste["conversatieReferentienummer"])
    assert shv.post("/berichten", json=eigen).status_code == 201
    assert langs == ["lus"]
    ander = envelop(gemeente, energie, "saldoverzoek", conversatie=vreemd["conversatieReferentienummer"])
    geweigerd = shv.post("/berichten", json=ander)
    assert langs == ["lus", "gewoon"]
    assert geweigerd.status_code in (403, 409, 422) and geweigerd.json()["code"], geweigerd.text
    # The event loop's write is its own transaction: with the claim lost it wrote nothing at all.
    with transactie(rt.sessions) as s:
        assert s.scalar(select(Bericht).where(Bericht.referentienummer == ander["referentienummer"])) is None
        assert not s.scalars(
            select(Auditregel).where(
                Auditregel.referentienummer == ander["referentienummer"], Auditregel.actie == "verstuurd"
            )
        ).all()


def test_de_schrijfopdracht_op_de_lus_wacht_op_een_gelijktijdige_claim_en_schrijft_dan_niets(
    cast: dict[str, Partij], rt: Runtime, langs: list[str]
) -> None:
    """The event loop's write is a transaction of its own (autocommit): another debt counsellor's
    first message of the same conversation, not yet committed when it runs, is waited for, and then
    nothing of ours is written — no message, inhoud, counter or audit entry (art. 3: a conversation
    is its SHV's). The same statement with our own claim writes everything."""
    import asyncio
    import threading
    import uuid
    from datetime import timedelta

    import psycopg

    from knooppunt.store.db import verbind_async

    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    dsn = rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def schrijf(conversatie: str) -> verzenden.Geschreven:
        async def doe() -> verzenden.Geschreven:
            conn = await verbind_async(rt.engine)
            try:
                nu = (await crl_staat.nu_en_versie_async(conn, rt.engine.dialect, begin=False))[0]
                ref = str(uuid.uuid4())
                waarden = {
                    "referentienummer": ref,
                    "afzender": gemeente.oin,
                    "ontvanger": energie.oin,
                    "conversatie_referentienummer": conversatie,
                    "cross_referentienummer": None,
                    "berichttype": "saldoverzoek",
                    "module": "schuldregeling",
                    "versie": "1.0",
                    "envelop_hash": "0" * 64,
                    "status": "aangeboden",
                    "ontvangen_op": nu,
                    "verloopt_op": nu + timedelta(days=30),
                    "grootte": 10,
                }
                regel = {"tijd": nu, "actor": gemeente.oin, "actie": "verstuurd", "referentienummer": ref}
                return await verzenden.schrijf_los_async(
                    conn,
                    rt.engine.dialect,
                    waarden,
                    grootte=10,
                    opgeslagen="x" * 10,
                    claim=True,
                    eigenaren=(gemeente.oin, energie.oin),
                    auditregel=regel,
                )
            finally:
                await conn.close()

        return asyncio.run(doe())

    def tel() -> tuple[int, int]:
        with transactie(rt.sessions) as s:
            berichten = len(s.scalars(select(Bericht.id)).all())
            audit = len(s.scalars(select(Auditregel.id).where(Auditregel.actie == "verstuurd")).all())
            return berichten, audit

    voor = tel()
    vreemd = str(uuid.uuid4())
    with psycopg.connect(dsn) as ander:
        ander.execute(
            "INSERT INTO conversaties (conversatie_referentienummer, shv, aangemaakt_op)"
            " VALUES (%s, %s, now())",
            (vreemd, kredietbank.oin),
        )
        uitkomst: list[verzenden.Geschreven] = []
        draad = threading.Thread(target=lambda: uitkomst.append(schrijf(vreemd)))
        draad.start()
        draad.join(1.0)
        assert draad.is_alive(), "the write waits for the other transaction's claim"
        ander.commit()
        draad.join(30)
    assert uitkomst == [verzenden.Geschreven(None, claim_verloren=True)]
    assert tel() == voor
    eigen = schrijf(str(uuid.uuid4()))
    assert eigen.id is not None and not eigen.claim_verloren
    assert tel() == (voor[0] + 1, voor[1] + 1)
