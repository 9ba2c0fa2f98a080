"""The audit log's sequencer (DESIGN §5): it gives committed entries their gapless ``volgnummer``,
extends the RFC 6962 Merkle tree over them and stores a signed tree head, so appending an entry
never waits for another.

One run is one transaction under the sequencer's advisory lock (SQLite: the write lock): read the
newest head's compact range, take the oldest committed entries without volgnummer in id order,
number and hash them, store the new head with its C2SP checkpoint signed by the key from outside
the database, commit. Whatever happens before COMMIT — a crash, a killed process, a lost
connection — rolls back as a whole and the lock goes with the connection, so the next run simply
does it again (idempotent, crash-safe). An entry whose transaction commits after a higher id was
sequenced is found by the next run and numbered after it: ``volgnummer`` is the sequencing order,
``tijd`` may go backwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knooppunt.hub.merkle import Rand, bladhash
from knooppunt.hub.notitie import Checkpoint, Ondertekenaar
from knooppunt.store import audit as store
from knooppunt.store.models import Auditregel


class SequencerFout(RuntimeError):
    """The stored tree does not continue where the entries are: nothing is sequenced until an
    operator has looked (``knooppunt audit verify``)."""


def blad(regel: Mapping[str, Any]) -> bytes:
    """An entry's RFC 6962 leaf hash: SHA-256(0x00 || its canonical bytes)."""
    return bladhash(store.canoniek(regel))


def sequence(
    session: Session,
    ondertekenaar: Ondertekenaar,
    *,
    nu: datetime,
    batch: int = 10_000,
    extensies: Sequence[str] = (),
) -> int:
    """Sequence at most ``batch`` waiting entries in this transaction; returns how many. The
    caller commits (or, on any error, rolls back: then nothing of this run remains). ``extensies``:
    extension lines of the signed checkpoint (the portal bundle's hash)."""
    store.vergrendel_sequencer(session)
    nieuw = store.ongesequenceerd(session, limiet=batch)
    if not nieuw:
        return 0
    kop = store.nieuwste_kop(session)
    grootte = kop.grootte if kop else 0
    hoogste = session.execute(select(func.max(Auditregel.volgnummer))).scalar_one_or_none()
    if hoogste is None:  # every sequenced entry purged: the tree continues from the anchor
        anker = store.anker(session)
        hoogste = anker.volgnummer if anker else 0
    if hoogste != grootte:
        raise SequencerFout(
            f"de nieuwste ondertekende boomkop telt {grootte} auditregels, maar het hoogste volgnummer is "
            f"{hoogste}: de boom en de regels lopen uiteen. Controleer met `knooppunt audit verify`."
        )
    rand = Rand.uit_tekst(grootte, kop.rand) if kop else Rand()
    toewijzingen: list[tuple[int, int, str]] = []
    for regel in nieuw:
        hash_ = blad(regel)
        rand.voeg_toe(hash_)
        toewijzingen.append((int(regel["id"]), rand.grootte, hash_.hex()))
    store.ken_toe(session, toewijzingen)
    wortel = rand.wortel()
    checkpoint = Checkpoint(ondertekenaar.naam, rand.grootte, wortel, tuple(extensies)).ondertekend(
        ondertekenaar
    )
    store.voeg_kop_toe(
        session,
        store.Kop(
            grootte=rand.grootte, wortel=wortel.hex(), rand=rand.als_tekst(), tijd=nu, checkpoint=checkpoint
        ),
    )
    return len(nieuw)
