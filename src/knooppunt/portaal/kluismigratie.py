"""Hosted keys migrated to keys in the browser, and the kluis master key destroyed (DESIGN §5
"Migration", decision 0027).

A participant whose keys the portal hosts (``sleutelbeheer`` portaal, rows in portaal_sleutels)
makes keys in the browser like anyone else (portaal.sleutelblobs.vraag_aan). At that moment its
hosted keys are marked migrated (``gemigreerd_op``) and their certificates retired, so senders seal
new messages for the new certificate; a migrated hosted key is then only used — server-side, as
before — to open messages already in flight for its kid (portaal.gastclient), never to sign.

Once no hosted key is needed any more — every hosted participant migrated, no message that can still
be fetched sealed for anything but a key in the browser, no client label or upload secret encrypted
under the kluis — ``vernietig`` destroys the kluis: the hosted private keys' ciphertext is deleted
and the development master-key file overwritten and removed; in production the operator removes
KNOOPPUNT_PORTAAL_HOOFDSLEUTELS from the configuration and its secret store (the hub cannot erase
an environment variable; without the ciphertext the key opens nothing anyway). It refuses, saying
which participants still need the kluis and why, until then. Idempotent: a second run finds nothing
to destroy. Run by the lifecycle jobs (``kluis_vernietigd``) and ``knooppunt portaal
kluis-vernietigen`` (with ``--proef``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from knooppunt.config import Settings
from knooppunt.hub import audit
from knooppunt.portaal.kluis import ONTWIKKEL_BESTAND
from knooppunt.protocol.jwe import OngeldigeJwe, lees_kop
from knooppunt.store import berichten as berichten_store
from knooppunt.store.models import (
    OPEN_STATUSSEN,
    Bericht,
    BerichtInhoud,
    PortaalDossier,
    PortaalSleutel,
    PortaalSleutelblob,
    PortaalUploadgeheim,
)


@dataclass(frozen=True, slots=True)
class Nodig:
    """Why the kluis is still needed for one participant."""

    oin: str
    reden: str


@dataclass(slots=True)
class Uitslag:
    vernietigd: bool = False
    al_vernietigd: bool = False
    nodig: list[Nodig] = field(default_factory=list)
    sleutels: int = 0  # hosted keys whose ciphertext was (or would be) deleted
    bestand: bool = False  # the development master-key file was (or would be) removed
    hoofdsleutel_in_instellingen: bool = False


def markeer_gemigreerd(session: Session, oin: str, *, nu: datetime) -> list[str]:
    """The participant made keys in the browser: its hosted keys that were not yet marked are now
    (only for messages in flight). Returns their kids, whose certificates the caller retires."""
    kids = list(
        session.scalars(
            select(PortaalSleutel.kid).where(
                PortaalSleutel.oin == oin, PortaalSleutel.gemigreerd_op.is_(None)
            )
        )
    )
    if kids:
        session.execute(
            update(PortaalSleutel)
            .where(PortaalSleutel.oin == oin, PortaalSleutel.gemigreerd_op.is_(None))
            .values(gemigreerd_op=nu)
        )
    return kids


def kid_van(jwe: str | None) -> str | None:
    """The kid of a stored JWE (None when there is none or its header cannot be read)."""
    if jwe is None:
        return None
    try:
        return lees_kop(jwe, max_bytes=len(jwe)).kid
    except OngeldigeJwe:
        return None


def oude_sleutels(session: Session, oin: str) -> frozenset[str]:
    """The kids of this participant's migrated hosted keys that the kluis still holds: the keys
    that open, server-side, the messages that were in flight when it made keys in the browser."""
    return frozenset(
        session.scalars(
            select(PortaalSleutel.kid).where(
                PortaalSleutel.oin == oin, PortaalSleutel.gemigreerd_op.is_not(None)
            )
        )
    )


def voor_oude_sleutel(session: Session, oin: str, berichten: Iterable[tuple[int, str]]) -> set[str]:
    """Of these messages (id, referentienummer) addressed to ``oin``, the numbers whose content is
    sealed for one of its ``oude_sleutels``: the page in the browser cannot open them, the portal
    still can (DESIGN §5 "Migration"). Reads only the JWE headers, and only during a migration."""
    kids = oude_sleutels(session, oin)
    if not kids:
        return set()
    return {ref for id_, ref in berichten if kid_van(berichten_store.inhoud(session, id_)) in kids}


def _browserkids(session: Session, oin: str) -> set[str]:
    import json

    kids: set[str] = set()
    for tekst in session.scalars(select(PortaalSleutelblob.blob).where(PortaalSleutelblob.oin == oin)):
        for item in json.loads(tekst).get("sleutels", []):
            if isinstance(item.get("kid"), str):
                kids.add(item["kid"])
    return kids


def nog_nodig(session: Session, *, berichten: bool = True) -> list[Nodig]:
    """Every reason the kluis cannot be destroyed yet, per participant. ``berichten=False`` skips the
    messages in flight (reading every open message's header) when a cheaper reason already
    refuses: the job runs often."""
    nodig: list[Nodig] = []
    per_oin: dict[str, list[PortaalSleutel]] = defaultdict(list)
    for rij in session.scalars(select(PortaalSleutel).order_by(PortaalSleutel.oin)):
        per_oin[rij.oin].append(rij)
    for oin, rijen in per_oin.items():
        if any(r.gemigreerd_op is None for r in rijen):
            nodig.append(
                Nodig(oin, "heeft nog geen sleutels in de browser gemaakt: de sleutels staan nog in de kluis")
            )
            continue
        if not berichten:
            continue
        # Migrated: the messages still fetchable for it, sealed for anything but a key in the browser
        # (a hosted kid, or a certificate renewed on a hosted key pair: conservatively, any other kid).
        browser = _browserkids(session, oin)
        open_ = session.execute(
            select(Bericht.id, Bericht.verloopt_op)
            .join(BerichtInhoud, BerichtInhoud.bericht_id == Bericht.id)
            .where(Bericht.ontvanger == oin, Bericht.status.in_(OPEN_STATUSSEN))
        ).all()
        onderweg = [r for r in open_ if kid_van(berichten_store.inhoud(session, r.id)) not in browser]
        if onderweg:
            uiterlijk = max(r.verloopt_op for r in onderweg)
            nodig.append(
                Nodig(
                    oin,
                    f"{len(onderweg)} bericht(en) voor een sleutel in de kluis kunnen nog worden opgehaald "
                    f"(uiterlijk tot {uiterlijk.isoformat()}, tenzij eerder bevestigd of geweigerd)",
                )
            )
    for oin, aantal in session.execute(
        select(PortaalDossier.oin, func.count()).group_by(PortaalDossier.oin).order_by(PortaalDossier.oin)
    ):
        nodig.append(Nodig(oin, f"{aantal} cliëntnaam/-namen staan versleuteld in de kluis"))
    for oin in session.scalars(select(PortaalUploadgeheim.oin).order_by(PortaalUploadgeheim.oin)):
        nodig.append(Nodig(oin, "het uploadgeheim (antwoordnummers) staat versleuteld in de kluis"))
    return nodig


def vernietig(
    session: Session,
    settings: Settings,
    *,
    door: str,
    nu: datetime,
    proef: bool = False,
    volledig: bool = True,
) -> Uitslag:
    """Destroy the kluis when nothing needs it (see the module). ``proef``: only say what would
    happen. ``door``: who (the audit log's actor). ``volledig=False`` (the job): when a cheap reason
    already refuses, the messages in flight are not counted. Without hosted keys there is nothing to destroy
    (never hosted, or destroyed before): ``al_vernietigd``, and nothing changes."""
    uitslag = Uitslag(hoofdsleutel_in_instellingen=bool(settings.portaal_hoofdsleutels.get_secret_value()))
    sleutels = int(session.scalar(select(func.count()).select_from(PortaalSleutel)) or 0)
    bestand = settings.data_dir / ONTWIKKEL_BESTAND
    uitslag.sleutels, uitslag.bestand = sleutels, bestand.exists()
    if not sleutels:
        uitslag.al_vernietigd = True
        return uitslag
    goedkoop = nog_nodig(session, berichten=False)
    uitslag.nodig = nog_nodig(session) if volledig or not goedkoop else goedkoop
    if uitslag.nodig or proef:
        return uitslag
    session.execute(delete(PortaalSleutel))
    audit.kluis_vernietigd(session, door=door, ids=f"{sleutels} sleutel(s)", nu=nu)
    session.flush()
    # The ciphertext's deletion commits with the caller's transaction; the key file goes now. Should
    # that commit fail, the rows that remain can no longer be decrypted, and the next run removes them.
    if uitslag.bestand:
        _wis(bestand)
    uitslag.vernietigd = True
    return uitslag


def _wis(pad: os.PathLike[str]) -> None:
    """Overwrite the development master-key file before removing it."""
    with open(pad, "r+b") as bestand:
        lengte = bestand.seek(0, os.SEEK_END)
        bestand.seek(0)
        bestand.write(os.urandom(lengte))
        bestand.flush()
        os.fsync(bestand.fileno())
    os.unlink(pad)
