"""Destroying the portal's kluis (DESIGN §5 "Migration", decision 0027): once every participant
whose keys the portal hosted has made keys in the browser and no message sealed for a hosted key
can still be fetched, the hosted private keys' ciphertext and the development master key are
destroyed (portaal.kluismigratie). Idempotent: with nothing hosted there is nothing to do; while a
hosted key is still needed, nothing happens (``knooppunt portaal kluis-vernietigen --proef`` says
why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.config import Settings
from knooppunt.hub.audit import KNOOPPUNT
from knooppunt.portaal import kluismigratie
from knooppunt.store.db import transactie


def vernietig(sessions: sessionmaker[Session], settings: Settings, *, nu: datetime) -> int:
    """The number of hosted keys destroyed in this run (0 while they are still needed or gone)."""
    with transactie(sessions) as session:
        uitslag = kluismigratie.vernietig(session, settings, door=KNOOPPUNT, nu=nu, volledig=False)
    return uitslag.sleutels if uitslag.vernietigd else 0
