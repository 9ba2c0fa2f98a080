"""Submitting: one message (`verstuur`), or many of one sender at once (`verstuur_reeks`, the API's
verzendingen and the portal's CSV upload, art. 18) with its dry run (`controleer_reeks`). Both
judge every envelope with `toelating.toelaten`; this module stores what it lets in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.mailbox import controles
from knooppunt.hub.mailbox.bevestigen import beantwoord_reeks
from knooppunt.hub.mailbox.envelop import Envelop, Instellingen, reeksweigering, weigeringsregel
from knooppunt.hub.mailbox.toelating import Databasezicht, Herhaling, Reekszicht, Toelating, toelaten
from knooppunt.store import berichten as store
from knooppunt.store import verzenden as verzend_store
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import Bericht, Deelnemer


def verstuur(
    session: Session,
    afzender: Deelnemer,
    envelop: Envelop,
    *,
    nu: datetime,
    instellingen: Instellingen,
    deelnemers: Callable[[str], Deelnemer | None] | None = None,
) -> tuple[Bericht, bool]:
    """Submit a message. Returns (message, created); a retry of the same envelope is not created
    again. Raises HubFout with the code of the first rule that refuses it, carrying the audit
    entry of the refusal (the caller's transaction rolls back; its owner writes the entry).
    ``deelnemers``: where to find adresboek entries (an API process's cache), else the database."""
    try:
        return _verstuur(session, afzender, envelop, nu=nu, instellingen=instellingen, deelnemers=deelnemers)
    except HubFout as fout:
        fout.auditregel = weigeringsregel(afzender, envelop, fout.code, nu)
        raise


def _verstuur(
    session: Session,
    afzender: Deelnemer,
    envelop: Envelop,
    *,
    nu: datetime,
    instellingen: Instellingen,
    deelnemers: Callable[[str], Deelnemer | None] | None,
) -> tuple[Bericht, bool]:
    # #13 item 2: the facts in one statement (Databasezicht.bereid_voor), the rules in memory, the
    # message with its inhoud, claim, counter and audit entry in one more (store.verzenden.schrijf).
    zicht = Databasezicht(session, afzender, nu, instellingen, deelnemers)
    uitkomst = toelaten(zicht, afzender, envelop, nu=nu, instellingen=instellingen)
    if isinstance(uitkomst, Herhaling):
        # a retry (rare): the stored message as the API returns it
        bestaand = store.op_referentie(session, envelop.referentienummer)
        assert bestaand is not None
        return bestaand, False
    waarden = uitkomst.waarden
    bericht = Bericht(**waarden)
    antwoord = uitkomst.verwijzing is not None and uitkomst.berichttype.is_antwoord
    geschreven = verzend_store.schrijf(
        session,
        waarden,
        envelop.inhoud,
        claim=zicht.claimt,
        # An answer also confirms its question, another counter: both are then written at commit,
        # in key order (store.inboxquotum), so that crossing answers never deadlock.
        teller=not antwoord,
        auditregel=audit.verstuurd_regel(bericht, nu=nu),
    )
    if geschreven.id is None:
        # A concurrent retry with the same referentienummer won the race.
        bestaand = store.op_referentie(session, envelop.referentienummer)
        assert bestaand is not None
        return controles.herhaling(bestaand, afzender, waarden["envelop_hash"]), False
    if geschreven.claim_verloren:
        # Another sender's first message claimed the conversation between our read and write.
        controles.controleer_conversatie(
            afzender, envelop, store.conversatie_eigenaar(session, envelop.conversatie_referentienummer)
        )
    bericht.id = geschreven.id
    if antwoord:
        assert uitkomst.verwijzing is not None
        beantwoord_reeks(session, [uitkomst.verwijzing], nu=nu, instellingen=instellingen)
    return bericht, True


@dataclass(slots=True)
class _Gepland:
    """What the batch will do with one envelope: insert the row of its ``toelating``, or return
    an existing message (a retry: ``bestaand``, or ``zelfde_als`` an earlier envelope of the
    same batch)."""

    toelating: Toelating[Berichtrij] | None = None
    bestaand: Berichtrij | None = None
    zelfde_als: int | None = None
    claimt: bool = False


def controleer_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    *,
    nu: datetime,
    instellingen: Instellingen,
    met_inhoud: bool = True,
) -> list[HubFout | None]:
    """A dry run of `verstuur_reeks`: per envelope the refusal of the first rule it fails (None
    when it would be accepted), judged as if the envelopes before it were accepted. Writes
    nothing. ``met_inhoud=False`` skips the checks of the JWE (to check metadata before sealing);
    a referentienummer already in use is then always a conflict."""
    return [
        uitkomst if isinstance(uitkomst, HubFout) else None
        for uitkomst in _plan_reeks(
            session,
            afzender,
            envelops,
            nu=nu,
            instellingen=instellingen,
            met_inhoud=met_inhoud,
            tot_fout=False,
        )
    ]


def verstuur_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> list[tuple[Berichtrij, bool]]:
    """Submit many messages of one sender, all or nothing: the same rules as `verstuur`, in the
    same order, each message judged as if the ones before it had been submitted one at a time;
    set-based (a handful of queries per batch, not per message). Returns (message, created) per
    envelope: a `store.NieuwBericht` for a new one, the stored `Bericht` for a retry. Raises
    `Reeksweigering` for the first envelope a rule refuses, carrying the audit entry of that
    refusal; the caller rolls back, so nothing of the batch is submitted."""
    plan = _plan_reeks(
        session, afzender, envelops, nu=nu, instellingen=instellingen, met_inhoud=True, tot_fout=True
    )
    for index, uitkomst in enumerate(plan):
        if isinstance(uitkomst, HubFout):
            raise reeksweigering(uitkomst, index, afzender, envelops[index], nu)
    geplanden = [u for u in plan if isinstance(u, _Gepland)]
    _claim_reeks(session, afzender, envelops, geplanden, nu=nu)

    nieuw = [(i, g.toelating) for i, g in enumerate(geplanden) if g.toelating is not None]
    ids = store.voeg_reeks_toe(session, [t.waarden for _, t in nieuw], [envelops[i].inhoud for i, _ in nieuw])
    resultaten: list[tuple[Berichtrij, bool]] = []
    vragen: dict[int, Berichtrij] = {}
    verstuurd: list[store.NieuwBericht] = []
    for index, gepland in enumerate(geplanden):
        if gepland.zelfde_als is not None:
            resultaten.append((resultaten[gepland.zelfde_als][0], False))
            continue
        toelating = gepland.toelating
        if toelating is None:
            assert gepland.bestaand is not None
            # a retry (rare): the message as the one-at-a-time path returns it
            bestaand = store.op_referentie(session, gepland.bestaand.referentienummer)
            assert bestaand is not None
            resultaten.append((bestaand, False))
            continue
        envelop = envelops[index]
        nieuw_id = ids.get(envelop.referentienummer)
        if nieuw_id is None:
            # A concurrent retry with the same referentienummer won the race.
            bestaand = store.op_referentie(session, envelop.referentienummer)
            assert bestaand is not None
            try:
                resultaten.append(
                    (controles.herhaling(bestaand, afzender, toelating.waarden["envelop_hash"]), False)
                )
            except HubFout as fout:
                raise reeksweigering(fout, index, afzender, envelop, nu) from None
            continue
        bericht = store.NieuwBericht(id=nieuw_id, **toelating.waarden)
        verstuurd.append(bericht)
        resultaten.append((bericht, True))
        if toelating.verwijzing is not None and toelating.berichttype.is_antwoord:
            vragen.setdefault(toelating.verwijzing.id, toelating.verwijzing)
    audit.verstuurd_reeks(session, verstuurd, nu=nu)
    beantwoord_reeks(session, list(vragen.values()), nu=nu, instellingen=instellingen)
    return resultaten


def _plan_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    *,
    nu: datetime,
    instellingen: Instellingen,
    met_inhoud: bool,
    tot_fout: bool,
) -> list[_Gepland | HubFout]:
    """Each envelope through `toelaten`, in index order, against the batch's view."""
    nummers = {e.referentienummer for e in envelops} | {
        e.cross_referentienummer for e in envelops if e.cross_referentienummer is not None
    }
    zicht = Reekszicht(
        session=session,
        afzender=afzender,
        instellingen=instellingen,
        bekend=store.op_referenties(session, nummers),
        eigenaren=store.conversatie_eigenaren(session, {e.conversatie_referentienummer for e in envelops}),
    )
    uitkomsten: list[_Gepland | HubFout] = []
    for index, envelop in enumerate(envelops):
        try:
            uitkomst = toelaten(
                zicht, afzender, envelop, nu=nu, instellingen=instellingen, met_inhoud=met_inhoud
            )
        except HubFout as fout:
            uitkomsten.append(fout)
            if tot_fout:
                break
            continue
        if isinstance(uitkomst, Toelating):
            uitkomsten.append(_Gepland(toelating=uitkomst, claimt=zicht.neem_op(index, uitkomst)))
            continue
        eerder = zicht.in_reeks.get(envelop.referentienummer)
        if eerder is not None:
            uitkomsten.append(_Gepland(zelfde_als=eerder[0]))
        else:
            uitkomsten.append(_Gepland(bestaand=uitkomst.bericht))
    return uitkomsten


def _claim_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    geplanden: list[_Gepland],
    *,
    nu: datetime,
) -> None:
    """Register the conversations an SHV starts in this batch; another SHV that claimed one
    concurrently keeps it, and the envelope is refused as a single submit would refuse it."""
    nieuw = {envelops[i].conversatie_referentienummer: i for i, g in enumerate(geplanden) if g.claimt}
    if not nieuw:
        return
    # Inserted in sorted order: two batches starting the same conversations wait for each other
    # instead of deadlocking (decision 0022).
    eigenaren = store.claim_conversaties(session, conversaties=sorted(nieuw), shv=afzender.oin, nu=nu)
    for conversatie, index in sorted(nieuw.items(), key=lambda paar: paar[1]):
        try:
            controles.controleer_conversatie(afzender, envelops[index], eigenaren.get(conversatie))
        except HubFout as fout:
            raise reeksweigering(fout, index, afzender, envelops[index], nu) from None
