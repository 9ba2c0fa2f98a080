"""#13: the common fetch and confirm on the event loop (api/lus_inbox.py, decision 0035). They run
the same one statement each as the usual way (decision 0033) and only ever serve the plain case: a
fetch with no filter whose content all came with the page and opens with day keys in memory, a
confirm of which every number is confirmed now. The answer is byte for byte the usual way's, the
rows written are the same; whatever else — a filter, a number unknown, named twice or confirmed
before, a page larger than its first MiB, a day key or certificate not in memory — goes the usual
way, which answers exactly as before. On PostgreSQL; SQLite has no such path."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from knooppunt.api import lus_inbox, snel
from knooppunt.metrics import HTTP
from knooppunt.runtime import Runtime
from knooppunt.store.models import Auditregel, Bericht, BerichtInhoud, Inboxbezetting
from tests.factories import Partij, envelop

WEG = ("content-length", "x-request-id", "transfer-encoding")


@pytest.fixture
def langs(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Per fetch or confirm the event loop was asked to serve: "<pad> lus" (it did) or "<pad> gewoon"
    (it left it to the usual way). A request it is not asked about leaves nothing."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("the fetch and confirm on the event loop run on PostgreSQL only")
    gezien: list[str] = []
    haal_op, bevestig = lus_inbox.Inbox.haal_op, lus_inbox.Inbox.bevestig

    async def haal_op_spion(self: lus_inbox.Inbox, request: Any, **kwargs: Any) -> Any:
        antwoord = await haal_op(self, request, **kwargs)
        gezien.append("ophalen " + ("gewoon" if antwoord is None else "lus"))
        return antwoord

    async def bevestig_spion(self: lus_inbox.Inbox, request: Any, invoer: Any) -> Any:
        antwoord = await bevestig(self, request, invoer)
        gezien.append("bevestigen " + ("gewoon" if antwoord is None else "lus"))
        return antwoord

    monkeypatch.setattr(lus_inbox.Inbox, "haal_op", haal_op_spion)
    monkeypatch.setattr(lus_inbox.Inbox, "bevestig", bevestig_spion)
    yield gezien


def _teller(pad: str, uitkomst: str) -> float:
    return (
        HTTP.get_sample_value("knooppunt_api_lus_verzoeken_total", {"pad": pad, "uitkomst": uitkomst}) or 0.0
    )


def _stuur(client: Any, van: Partij, aan: Partij, aantal: int, **kwargs: Any) -> list[str]:
    nummers = []
    for _ in range(aantal):
        e = envelop(van, aan, "saldoverzoek", **kwargs)
        antwoord = client.post("/berichten", json=e)
        assert antwoord.status_code == 201, antwoord.text
        nummers.append(e["referentienummer"])
    return nummers


def _koppen(antwoord: Any) -> dict[str, str]:
    return {k: v for k, v in antwoord.headers.items() if k not in WEG}


def _audit(rt: Runtime, actie: str, nummers: list[str]) -> list[tuple[str | None, str | None, str | None]]:
    with rt.sessions() as session:
        return [
            (r.referentienummer, r.actor, r.uitkomst)
            for r in session.scalars(
                select(Auditregel)
                .where(Auditregel.actie == actie, Auditregel.referentienummer.in_(nummers))
                .order_by(Auditregel.id)
            )
        ]


def test_een_pagina_ophalen_op_de_lus_antwoordt_byte_voor_byte_als_de_gewone_weg(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    nummers = _stuur(client_voor(shv), shv, se, 5)
    ontvanger = client_voor(se)
    # The first request verifies the certificate and fills this process's cache: the usual way.
    assert ontvanger.get("/berichten", params={"limit": 1}).status_code == 200
    assert langs == ["ophalen gewoon"]
    bediend = _teller("ophalen", "bediend")

    lus = ontvanger.get("/berichten?limit=3")
    assert langs[-1] == "ophalen lus" and _teller("ophalen", "bediend") == bediend + 1
    # The same page again by FastAPI (an unknown parameter: the event loop is not asked): the
    # messages as the first fetch left them, so the same bytes.
    gewoon = ontvanger.get("/berichten?limit=3&via=fastapi")
    assert langs[-1] == "ophalen lus" and len(langs) == 2
    assert lus.status_code == gewoon.status_code == 200
    assert lus.content == gewoon.content
    assert _koppen(lus) == _koppen(gewoon)
    assert lus.headers["content-type"] == "application/json" and lus.headers["api-version"]
    pagina = lus.json()
    assert [b["referentienummer"] for b in pagina["berichten"]] == nummers[:3]
    assert {b["status"] for b in pagina["berichten"]} == {"opgehaald"}
    assert all(b["inhoud"].startswith("ey") for b in pagina["berichten"])

    # And the other way round: the next page first by FastAPI, then on the event loop.
    volgende = pagina["volgende"]
    gewoon = ontvanger.get(f"/berichten?volgende={volgende}&via=fastapi")
    lus = ontvanger.get(f"/berichten?volgende={volgende}")
    assert langs[-1] == "ophalen lus"
    assert lus.content == gewoon.content and "volgende" not in lus.json()
    assert [b["referentienummer"] for b in lus.json()["berichten"]] == nummers[3:]

    # The same rows: opgehaaldOp set once, an audit entry per fetch ("eerste", then "opnieuw").
    with rt.sessions() as session:
        rijen = {
            b.referentienummer: b
            for b in session.scalars(select(Bericht).where(Bericht.referentienummer.in_(nummers)))
        }
    assert {rijen[n].status for n in nummers} == {"opgehaald"}
    assert all(rijen[n].opgehaald_op is not None for n in nummers)
    audit = _audit(rt, "opgehaald", nummers)
    eerste = nummers[:1] + nummers[:3] + nummers[3:]  # the warm-up, the loop's page, FastAPI's page
    assert [r for r in audit if r[2] == "eerste"] == [(n, se.oin, "eerste") for n in nummers]
    assert sorted(r[0] or "" for r in audit) == sorted(eerste + nummers[:3] + nummers[3:])


def test_een_pagina_bevestigen_op_de_lus_schrijft_en_antwoordt_als_de_gewone_weg(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    afzender = client_voor(shv)
    nummers = _stuur(afzender, shv, se, 7)
    ontvanger = client_voor(se)
    assert ontvanger.get("/berichten").status_code == 200  # caches the certificate
    lus_nummers, gewone_nummers = nummers[1:4], nummers[4:7]
    bediend = _teller("bevestigen", "bediend")

    lus = ontvanger.post("/bevestigingen", json={"referentienummers": lus_nummers})
    assert langs[-1] == "bevestigen lus" and _teller("bevestigen", "bediend") == bediend + 1
    gewoon = ontvanger.post("/bevestigingen?via=fastapi", json={"referentienummers": gewone_nummers})
    assert lus.status_code == gewoon.status_code == 200
    assert _koppen(lus) == _koppen(gewoon)
    # byte for byte, but for the numbers and the times
    verwacht = gewoon.content
    for oud, nieuw in zip(gewone_nummers, lus_nummers, strict=True):
        verwacht = verwacht.replace(oud.encode(), nieuw.encode())
    assert _zonder_tijden(lus.content) == _zonder_tijden(verwacht)
    uitkomsten = lus.json()["bevestigingen"]
    assert [_uitkomst(u) for u in uitkomsten] == [
        {"referentienummer": n, "status": "bevestigd", "code": None} for n in lus_nummers
    ]
    with rt.sessions() as session:
        bewaard = {
            b.referentienummer: (b.bevestigd_op, b.antwoord_uiterlijk)
            for b in session.scalars(select(Bericht).where(Bericht.referentienummer.in_(lus_nummers)))
        }
    for u in uitkomsten:  # when it was confirmed and when the answer is due, as stored
        op, uiterlijk = bewaard[u["referentienummer"]]
        assert datetime.fromisoformat(u["bevestigdOp"]) == op
        assert uiterlijk is not None and datetime.fromisoformat(u["antwoordUiterlijk"]) == uiterlijk

    # The same rows for either way: confirmed with an answer deadline, inhoud gone, a receipt to the
    # sender (its melding as the usual way writes it), an audit entry; the counter lowered by both.
    def rijen(groep: list[str]) -> list[Any]:
        with rt.sessions() as session:
            berichten = session.scalars(
                select(Bericht).where(Bericht.referentienummer.in_(groep)).order_by(Bericht.id)
            ).all()
            uit = []
            for b in berichten:
                inhoud = session.get(BerichtInhoud, b.id)
                bon = session.scalars(
                    select(Bericht).where(
                        Bericht.cross_referentienummer == b.referentienummer,
                        Bericht.berichttype == "ontvangstbevestiging",
                    )
                ).one()
                melding = dict(bon.melding or {})
                assert melding.pop("referentienummer") == b.referentienummer
                assert melding.pop("omschrijving").startswith(f"Bericht {b.referentienummer} (saldoverzoek)")
                melding.pop("bevestigdOp")
                uit.append(
                    (
                        b.status,
                        b.bevestigd_op is not None,
                        b.antwoord_uiterlijk is not None,
                        inhoud is None,
                        (bon.afzender, bon.ontvanger, bon.status, bon.conversatie_referentienummer)
                        == ("KNOOPPUNT", shv.oin, "aangeboden", b.conversatie_referentienummer),
                        len(bon.envelop_hash),
                        melding,
                    )
                )
            return uit

    assert rijen(lus_nummers) == rijen(gewone_nummers)
    assert rijen(lus_nummers)[0][:5] == ("bevestigd", True, True, True, True)
    assert _audit(rt, "bevestigd", lus_nummers) == [(n, se.oin, None) for n in lus_nummers]
    assert _audit(rt, "bevestigd", gewone_nummers) == [(n, se.oin, None) for n in gewone_nummers]
    with rt.sessions() as session:
        teller = session.get(Inboxbezetting, (se.oin, shv.oin))
        assert teller is not None and teller.aantal == 1  # the one left unconfirmed

    # The receipts fetched by their recipient on the event loop: hub notices render the same too.
    afzender.get("/berichten", params={"limit": 1, "via": "fastapi"})  # caches the certificate
    lus = afzender.get("/berichten?limit=6")
    gewoon = afzender.get("/berichten?limit=6&via=fastapi")
    assert langs[-1] == "ophalen lus"
    assert lus.content == gewoon.content
    assert [b["berichttype"] for b in lus.json()["berichten"]] == ["ontvangstbevestiging"] * 6


_TIJD = re.compile(rb'"\d{4}-\d\d-\d\dT[^"]*"')


def _zonder_tijden(inhoud: bytes) -> bytes:
    return _TIJD.sub(b'"T"', inhoud)


def _uitkomst(u: dict[str, Any]) -> dict[str, Any]:
    """An outcome of POST /bevestigingen without its times (bevestigdOp, antwoordUiterlijk)."""
    return {k: v for k, v in u.items() if k not in ("bevestigdOp", "antwoordUiterlijk")}


def test_onbekende_dubbele_en_al_bevestigde_nummers_gaan_langs_de_gewone_weg(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    a, b, c = _stuur(client_voor(shv), shv, se, 3)
    ontvanger = client_voor(se)
    assert ontvanger.get("/berichten").status_code == 200
    langs.clear()
    onbekend = "00000000-0000-4000-8000-000000000000"

    def bevestig(*nummers: str) -> list[dict[str, Any]]:
        antwoord = ontvanger.post("/bevestigingen", json={"referentienummers": list(nummers)})
        assert antwoord.status_code == 200, antwoord.text
        return [_uitkomst(u) for u in antwoord.json()["bevestigingen"]]

    # An unknown number beside an open one: the event loop rolls back, the usual way confirms the
    # open one (once: one receipt, one audit entry) and reports the other.
    assert bevestig(a, onbekend) == [
        {"referentienummer": a, "status": "bevestigd", "code": None},
        {"referentienummer": onbekend, "status": "onbekend", "code": "NIET_GEVONDEN"},
    ]
    # Named twice: the usual way (the event loop is asked, and leaves it at once).
    assert bevestig(b, b) == [
        {"referentienummer": b, "status": "bevestigd", "code": None},
        {"referentienummer": b, "status": "bevestigd", "code": None},
    ]
    # Confirmed before: harmless, the usual way says so.
    niet_alles = _teller("bevestigen", "niet_alles")
    assert bevestig(a) == [{"referentienummer": a, "status": "bevestigd", "code": None}]
    assert _teller("bevestigen", "niet_alles") == niet_alles + 1
    assert langs == ["bevestigen gewoon"] * 3
    # And the plain case on the event loop again.
    assert bevestig(c) == [{"referentienummer": c, "status": "bevestigd", "code": None}]
    assert langs[-1] == "bevestigen lus"
    for nummer in (a, b, c):
        assert _audit(rt, "bevestigd", [nummer]) == [(nummer, se.oin, None)]
    with rt.sessions() as session:
        bonnen = session.scalars(
            select(Bericht.cross_referentienummer).where(Bericht.berichttype == "ontvangstbevestiging")
        ).all()
    assert sorted(bonnen) == sorted([a, b, c])


def test_een_gefilterde_of_afwijkende_ophaalvraag_gaat_langs_fastapi(
    cast: dict[str, Partij], client_voor: Any, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    _stuur(client_voor(shv), shv, se, 2)
    ontvanger = client_voor(se)
    assert ontvanger.get("/berichten").status_code == 200
    langs.clear()
    gefilterd = ontvanger.get("/berichten", params={"berichttype": "saldoverzoek"})
    assert gefilterd.status_code == 200 and len(gefilterd.json()["berichten"]) == 2
    # FastAPI refuses what it refuses, in Dutch (the event loop is never asked).
    for query, veld in (
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=5&limit=6", "limit"),
        ("volgende=bestaatniet", "volgende"),
    ):
        fout = ontvanger.get(f"/berichten?{query}")
        assert fout.status_code == 400, (query, fout.text)
        assert fout.headers["content-type"] == "application/problem+json"
        assert veld in json.dumps(fout.json()["invalidParams"]), fout.text
    assert langs == []


def test_een_pagina_groter_dan_wat_meekomt_en_een_dagsleutel_buiten_het_geheugen(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, langs: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    groot = {"markering": "x" * 450_000}  # three of these: more than the first MiB of a page
    nummers = _stuur(client_voor(shv), shv, se, 3, payload=groot)
    ontvanger = client_voor(se)
    assert ontvanger.get("/berichten", params={"limit": 1, "via": "fastapi"}).status_code == 200
    langs.clear()
    niet_ingesloten = _teller("ophalen", "niet_ingesloten")
    antwoord = ontvanger.get("/berichten")
    assert langs == ["ophalen gewoon"]
    assert _teller("ophalen", "niet_ingesloten") == niet_ingesloten + 1
    # Served whole by the usual way, which streams the rest; the event loop's try left nothing.
    assert [b["referentienummer"] for b in antwoord.json()["berichten"]] == nummers
    assert all(b["inhoud"] for b in antwoord.json()["berichten"])
    assert _audit(rt, "opgehaald", nummers[1:]) == [(n, se.oin, "eerste") for n in nummers[1:]]

    # The day key not in this process's memory: the usual way reads it from the key store, after
    # which the event loop serves.
    rt.dagsleutels._cache.clear()
    dagsleutel = _teller("ophalen", "dagsleutel")
    eerst = ontvanger.get("/berichten?limit=1")
    dan = ontvanger.get("/berichten?limit=1")
    assert langs[1:] == ["ophalen gewoon", "ophalen lus"]
    assert _teller("ophalen", "dagsleutel") == dagsleutel + 1
    assert eerst.content == dan.content


@pytest.mark.parametrize(
    ("query", "verwacht"),
    [
        (b"", (100, None)),
        (b"limit=1", (1, None)),
        (b"limit=1000&volgende=aWQ6MTI", (1000, "aWQ6MTI")),
        (b"volgende=aWQ6MTI&limit=7", (7, "aWQ6MTI")),
        # FastAPI's: a filter, anything unknown, repeated, escaped, empty or out of range
        (b"berichttype=saldoverzoek", None),
        (b"limit=5&via=fastapi", None),
        (b"limit=5&limit=5", None),
        (b"limit=0", None),
        (b"limit=1001", None),
        (b"limit=05", None),
        (b"limit=%35", None),
        (b"limit=+5", None),
        (b"limit", None),
        (b"limit=5&", None),
        (b"volgende=", None),
        (b"volgende=aWQ6MTI%3D", None),
        (b"volgende=" + b"a" * 201, None),
    ],
)
def test_alleen_een_gewone_ophaalvraag_komt_op_de_lus(
    query: bytes, verwacht: tuple[int, str | None] | None
) -> None:
    assert snel.ophaalvraag(query) == verwacht
