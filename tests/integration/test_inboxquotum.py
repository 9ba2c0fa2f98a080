"""Bounded memory, whatever a participant sends (DESIGN §4): the per-recipient quota of unconfirmed
ciphertext (INBOX_VOL only for a sender above its share), its counters along every path that
stores or deletes content, and fetch pages capped in bytes as well as in count."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from knooppunt.api.schemas import BerichtenRead, BerichtRead
from knooppunt.hub import mailbox
from knooppunt.jobs import verlopen
from knooppunt.runtime import Runtime
from knooppunt.store import inboxquotum
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, BerichtInhoud, Deelnemer
from tests.factories import Partij, envelop

PAYLOAD = {"opvulling": "x" * 3000}


def _env(van: Partij, aan: Partij, berichttype: str = "saldoverzoek", **kwargs: Any) -> dict[str, Any]:
    return envelop(van, aan, berichttype, payload=kwargs.pop("payload", PAYLOAD), **kwargs)


def _grootte(van: Partij, aan: Partij) -> int:
    """The length of the JWE of one of these test messages from `van` to `aan` (the same for each)."""
    return len(_env(van, aan)["inhoud"])


def _stel_in(rt: Runtime, **waarden: Any) -> None:
    rt.instellingen = dataclasses.replace(rt.instellingen, **waarden)


def _bezetting(rt: Runtime, ontvanger: str) -> dict[str, int]:
    """The byte counters of `ontvanger` by sender; on the way it checks the message counters (the
    per-sender cap reads them, #13) against a count of the messages whose content is stored."""
    with rt.sessions() as session:
        aantallen = {a: n for a, n in inboxquotum.aantallen_per_afzender(session, ontvanger).items() if n}
        geteld = session.execute(
            select(Bericht.afzender, func.count())
            .join(BerichtInhoud, BerichtInhoud.bericht_id == Bericht.id)
            .where(Bericht.ontvanger == ontvanger)
            .group_by(Bericht.afzender)
        ).all()
        assert aantallen == {str(a): int(n) for a, n in geteld}
        return {a: b for a, b in inboxquotum.per_afzender(session, ontvanger).items() if b}


def _werkelijk(rt: Runtime, ontvanger: str) -> dict[str, int]:
    """What the counters must say: per sender, the submitted sizes of the messages to `ontvanger`
    whose content is still stored (the stored form may differ: it is sealed at rest)."""
    with rt.sessions() as session:
        rijen = session.execute(
            select(Bericht.afzender, func.sum(Bericht.grootte))
            .join(BerichtInhoud, BerichtInhoud.bericht_id == Bericht.id)
            .where(Bericht.ontvanger == ontvanger)
            .group_by(Bericht.afzender)
        ).all()
    return {str(a): int(b) for a, b in rijen}


def test_inbox_vol_weigert_alleen_de_afzender_boven_zijn_aandeel(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    g_a, g_b = _grootte(gemeente, energie), _grootte(kredietbank, energie)
    # A share (1/8 of the quota) is two and a half of B's messages.
    _stel_in(rt, inbox_quotum=20 * g_b, inbox_aandeel=1 / 8)
    a, b, se = client_voor(gemeente), client_voor(kredietbank), client_voor(energie)
    verstuurd = []
    for _ in range(20 * g_b // g_a):
        env = _env(gemeente, energie)
        assert a.post("/berichten", json=env).status_code == 201
        verstuurd.append(env["referentienummer"])

    r = a.post("/berichten", json=_env(gemeente, energie))
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    probleem = r.json()
    assert probleem["code"] == "INBOX_VOL"
    assert "is vol" in probleem["detail"] and "Wacht tot de ontvanger" in probleem["detail"]
    # Another sender, below its share, still gets through; until it holds more than its share.
    assert b.post("/berichten", json=_env(kredietbank, energie)).status_code == 201
    assert b.post("/berichten", json=_env(kredietbank, energie)).status_code == 201
    assert b.post("/berichten", json=_env(kredietbank, energie)).json()["code"] == "INBOX_VOL"
    # Another recipient's inbox is not this one's.
    assert a.post("/berichten", json=_env(gemeente, cast["woning"])).status_code == 201

    r = se.post("/bevestigingen", json={"referentienummers": verstuurd[:10]})
    assert r.status_code == 200, r.text
    assert a.post("/berichten", json=_env(gemeente, energie)).status_code == 201
    assert (
        _bezetting(rt, energie.oin)
        == _werkelijk(rt, energie.oin)
        == {gemeente.oin: (len(verstuurd) - 10 + 1) * g_a, kredietbank.oin: 2 * g_b}
    )


def test_eigen_inboxquotum_van_de_ontvanger_gaat_voor(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, cli: Any
) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    g = _grootte(gemeente, energie)
    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--inbox-quotum", str(4 * g))
    assert uit.exit_code == 0, uit.output
    assert f"inboxQuotum standaard (KNOOPPUNT_INBOX_QUOTUM_BYTES) -> {4 * g}" in uit.output
    assert f"inboxquotum={4 * g}" in cli("deelnemer", "list").output
    a = client_voor(gemeente)
    codes = [a.post("/berichten", json=_env(gemeente, energie)).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 201, 429]
    # The configured default (1 GiB) still holds for everyone else.
    assert [a.post("/berichten", json=_env(gemeente, woning)).status_code for _ in range(5)] == [201] * 5
    terug = cli("deelnemer", "wijzig", "--oin", energie.oin, "--inbox-quotum", "0")
    assert terug.exit_code == 0 and "None" not in terug.output, terug.output
    assert f"inboxQuotum {4 * g} -> standaard (KNOOPPUNT_INBOX_QUOTUM_BYTES)" in terug.output
    assert a.post("/berichten", json=_env(gemeente, energie)).status_code == 201


def test_bezetting_volgt_elke_weg_van_de_inhoud(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """Stored content counts until it goes: confirmed (one, many, by an answer, by a batch of
    answers), refused, expired (the sweep: one statement on PostgreSQL). The counters always
    equal the JWEs still stored, and each message keeps the size it was submitted with."""
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    se = client_voor(energie)
    refs = {}
    for naam, van in [
        ("een", gemeente), ("veel1", gemeente), ("veel2", kredietbank), ("weiger", gemeente),
        ("antwoord", gemeente), ("reeks1", kredietbank), ("reeks2", kredietbank), ("verloop", gemeente),
    ]:  # fmt: skip
        env = _env(van, energie, "saldoverzoek_nuts")
        assert client_voor(van).post("/berichten", json=env).status_code == 201
        refs[naam] = env
    assert _bezetting(rt, energie.oin) == _werkelijk(rt, energie.oin)
    assert sum(_bezetting(rt, energie.oin).values()) == sum(len(e["inhoud"]) for e in refs.values())

    assert se.post(f"/berichten/{refs['een']['referentienummer']}/bevestiging").status_code == 200
    alle = [refs["veel1"]["referentienummer"], refs["veel2"]["referentienummer"]]
    assert se.post("/bevestigingen", json={"referentienummers": alle}).status_code == 200
    r = se.post(
        f"/berichten/{refs['weiger']['referentienummer']}/weigering", json={"reden": "INHOUD_ONGELDIG"}
    )
    assert r.status_code == 200
    antwoord = _env(
        energie,
        gemeente,
        "klant_onbekend",
        conversatie=refs["antwoord"]["conversatieReferentienummer"],
        antwoord_op=refs["antwoord"]["referentienummer"],
    )
    assert se.post("/berichten", json=antwoord).status_code == 201
    assert _bezetting(rt, energie.oin) == _werkelijk(rt, energie.oin)
    assert (
        _bezetting(rt, gemeente.oin) == _werkelijk(rt, gemeente.oin) == {energie.oin: len(antwoord["inhoud"])}
    )

    # A batch of answers confirms its questions and fills the other inbox, in one transaction.
    antwoorden = [
        mailbox.Envelop(
            referentienummer=e["referentienummer"],
            conversatie_referentienummer=e["conversatieReferentienummer"],
            cross_referentienummer=e["crossReferentienummer"],
            berichttype=e["berichttype"],
            module=e["module"],
            versie=e["versie"],
            ontvanger=e["ontvanger"],
            inhoud=e["inhoud"],
        )
        for e in (
            _env(
                energie,
                kredietbank,
                "klant_onbekend",
                conversatie=refs[n]["conversatieReferentienummer"],
                antwoord_op=refs[n]["referentienummer"],
                payload={"kort": 1},
            )
            for n in ("reeks1", "reeks2")
        )
    ]
    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, energie.oin)
        assert afzender is not None
        mailbox.verstuur_reeks(session, afzender, antwoorden, nu=db_nu(session), instellingen=rt.instellingen)
    assert (
        _bezetting(rt, kredietbank.oin)
        == _werkelijk(rt, kredietbank.oin)
        == {energie.oin: sum(len(e.inhoud) for e in antwoorden)}
    )
    assert (
        _bezetting(rt, energie.oin)
        == _werkelijk(rt, energie.oin)
        == {gemeente.oin: len(refs["verloop"]["inhoud"])}
    )

    later = datetime.now(UTC) + timedelta(days=30)
    verlopen.verloop_alles(rt.sessions, nu=later, instellingen=rt.instellingen)
    for partij in (energie, gemeente, kredietbank):
        assert _bezetting(rt, partij.oin) == _werkelijk(rt, partij.oin) == {}
    with rt.sessions() as session:
        groottes = dict(session.execute(select(Bericht.referentienummer, Bericht.grootte)).all())
    assert all(groottes[e["referentienummer"]] == len(e["inhoud"]) for e in refs.values())
    assert groottes[antwoord["referentienummer"]] == len(antwoord["inhoud"])


def test_reeks_weigert_inbox_vol_zoals_een_voor_een(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    g, g_b = _grootte(gemeente, energie), _grootte(kredietbank, energie)
    # room for B's one and three and a half of A's; A's share is one of its messages
    quotum = g_b + 3 * g + g // 2
    _stel_in(rt, inbox_quotum=quotum, inbox_aandeel=g / quotum)
    assert client_voor(kredietbank).post("/berichten", json=_env(kredietbank, energie)).status_code == 201
    envelops = [
        mailbox.Envelop(
            referentienummer=e["referentienummer"],
            conversatie_referentienummer=e["conversatieReferentienummer"],
            cross_referentienummer=None,
            berichttype=e["berichttype"],
            module=e["module"],
            versie=e["versie"],
            ontvanger=e["ontvanger"],
            inhoud=e["inhoud"],
        )
        for e in (_env(gemeente, energie) for _ in range(5))
    ]
    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, gemeente.oin)
        assert afzender is not None
        droog = mailbox.controleer_reeks(
            session, afzender, envelops, nu=db_nu(session), instellingen=rt.instellingen
        )
        assert [f.code if f else None for f in droog] == [None, None, None, "INBOX_VOL", "INBOX_VOL"]
        with pytest.raises(mailbox.Reeksweigering) as fout:
            mailbox.verstuur_reeks(
                session, afzender, envelops, nu=db_nu(session), instellingen=rt.instellingen
            )
    assert (fout.value.index, fout.value.code, fout.value.status) == (3, "INBOX_VOL", 429)
    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, gemeente.oin)
        assert afzender is not None
        mailbox.verstuur_reeks(
            session, afzender, envelops[:3], nu=db_nu(session), instellingen=rt.instellingen
        )
    assert (
        _bezetting(rt, energie.oin)
        == _werkelijk(rt, energie.oin)
        == {gemeente.oin: 3 * g, kredietbank.oin: g_b}
    )


def _pagina(client: Any, **params: Any) -> dict[str, Any]:
    r = client.get("/berichten", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["API-Version"]
    document = r.json()
    BerichtenRead.model_validate(document)
    veldnamen = {veld.alias or naam for naam, veld in BerichtRead.model_fields.items()}
    assert set(document) in ({"berichten", "volgende"}, {"berichten"})  # `volgende` when more remain
    assert all(set(b) == veldnamen for b in document["berichten"])
    return document


def test_pagina_begrensd_in_bytes_en_volgende_gaat_verder(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    g = _grootte(gemeente, energie)
    _stel_in(rt, max_pagina_bytes=2 * g + g // 2)
    verstuurd = []
    for _ in range(5):
        env = _env(gemeente, energie)
        assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
        verstuurd.append(env)
    se = client_voor(energie)
    gezien: list[dict[str, Any]] = []
    paginas = []
    volgende = None
    while True:
        document = _pagina(se, limit=1000, **({"volgende": volgende} if volgende else {}))
        paginas.append(len(document["berichten"]))
        gezien.extend(document["berichten"])
        volgende = document.get("volgende")
        if volgende is None:
            break
    assert paginas == [2, 2, 1]
    assert [b["referentienummer"] for b in gezien] == [e["referentienummer"] for e in verstuurd]
    assert [b["inhoud"] for b in gezien] == [e["inhoud"] for e in verstuurd]
    assert {b["status"] for b in gezien} == {"opgehaald"}
    # The count still caps too.
    assert len(_pagina(se, limit=1)["berichten"]) == 1


def test_pagina_bevat_altijd_minstens_een_bericht(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, max_pagina_bytes=1024)  # smaller than any one message
    refs = []
    for _ in range(2):
        env = _env(gemeente, energie)
        assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
        refs.append(env)
    se = client_voor(energie)
    eerste = _pagina(se, limit=1000)
    assert [b["inhoud"] for b in eerste["berichten"]] == [refs[0]["inhoud"]]
    tweede = _pagina(se, limit=1000, volgende=eerste["volgende"])
    assert [b["inhoud"] for b in tweede["berichten"]] == [refs[1]["inhoud"]]
    assert "volgende" not in tweede
    # A hub notice (no inhoud) in the inbox streams as before: melding, inhoud null.
    assert se.post(f"/berichten/{refs[0]['referentienummer']}/bevestiging").status_code == 200
    bon = _pagina(client_voor(gemeente), limit=1000)["berichten"]
    assert [(b["berichttype"], b["inhoud"]) for b in bon] == [("ontvangstbevestiging", None)]
    assert bon[0]["melding"]["referentienummer"] == refs[0]["referentienummer"]


def _als_envelop(e: dict[str, Any]) -> mailbox.Envelop:
    return mailbox.Envelop(
        referentienummer=e["referentienummer"],
        conversatie_referentienummer=e["conversatieReferentienummer"],
        cross_referentienummer=e["crossReferentienummer"],
        berichttype=e["berichttype"],
        module=e["module"],
        versie=e["versie"],
        ontvanger=e["ontvanger"],
        inhoud=e["inhoud"],
    )


def test_kruisende_antwoorden_houden_de_tellers_juist_zonder_deadlock(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """An answer confirms its question (one direction's counter) and fills the asker's inbox (the
    other's): answers crossing each other, at the same moment, in both directions, must neither
    deadlock nor lose a change (the counters are written at commit, in key order)."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    n = 12
    shv_antwoorden, se_antwoorden = [], []
    for _ in range(n):
        vraag = _env(gemeente, energie, "saldoverzoek_nuts", payload={"kort": 1})
        assert client_voor(gemeente).post("/berichten", json=vraag).status_code == 201
        c = vraag["conversatieReferentienummer"]
        verzoek = _env(energie, gemeente, "statusverzoek", conversatie=c, payload={"kort": 1})
        assert client_voor(energie).post("/berichten", json=verzoek).status_code == 201, verzoek
        se_antwoorden.append(
            _env(energie, gemeente, "klant_onbekend", conversatie=c, antwoord_op=vraag["referentienummer"])
        )
        shv_antwoorden.append(
            _env(gemeente, energie, "statusbericht", conversatie=c, antwoord_op=verzoek["referentienummer"])
        )
    fouten: list[BaseException] = []
    start = threading.Barrier(2)

    def beantwoord(van: Partij, antwoorden: list[dict[str, Any]]) -> None:
        start.wait()
        try:
            for antwoord in antwoorden:
                with transactie(rt.sessions) as session:
                    afzender = session.get(Deelnemer, van.oin)
                    assert afzender is not None
                    mailbox.verstuur(
                        session,
                        afzender,
                        _als_envelop(antwoord),
                        nu=db_nu(session),
                        instellingen=rt.instellingen,
                    )
        except BaseException as exc:  # the test reports it below
            fouten.append(exc)

    draden = [
        threading.Thread(target=beantwoord, args=(energie, se_antwoorden)),
        threading.Thread(target=beantwoord, args=(gemeente, shv_antwoorden)),
    ]
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join(120)
    assert not fouten, fouten
    for partij in (energie, gemeente):
        assert _bezetting(rt, partij.oin) == _werkelijk(rt, partij.oin)
    assert _werkelijk(rt, energie.oin) == {gemeente.oin: sum(len(a["inhoud"]) for a in shv_antwoorden)}
    assert _werkelijk(rt, gemeente.oin) == {energie.oin: sum(len(a["inhoud"]) for a in se_antwoorden)}


def test_inhoud_tot_vier_mib_wordt_aangenomen_en_opgehaald(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """DESIGN §4: a payload may carry a 1 MiB PDF, so inhoud up to 4 MiB is accepted (the request
    around it too); one byte more is refused."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    groot = _env(gemeente, energie, payload={"bijlage": "x" * (2 * 1024 * 1024)})
    assert 3 * 1024 * 1024 < len(groot["inhoud"]) <= 4 * 1024 * 1024
    r = client_voor(gemeente).post("/berichten", json=groot)
    assert r.status_code == 201, r.text[:300]
    pagina = _pagina(client_voor(energie), limit=1000)
    assert [b["inhoud"] for b in pagina["berichten"]] == [groot["inhoud"]]
    _stel_in(rt, max_inhoud_bytes=len(groot["inhoud"]) - 1)
    nogmaals = groot | {"referentienummer": str(uuid.uuid4())}
    r = client_voor(gemeente).post("/berichten", json=nogmaals)
    assert (r.status_code, r.json()["code"]) == (413, "ONGELDIGE_INHOUD")
