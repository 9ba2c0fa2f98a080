"""Which referentienummers this participant already processed, so a replayed message is refused
(DESIGN §5: recipients "reject any referentienummer already processed").

A referentienummer is recorded once the hub has confirmed it: the hub never offers a confirmed
message again, so seeing one again means someone replays it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol


class VerwerktRegister(Protocol):
    def bevat(self, referentienummer: str) -> bool: ...

    def voeg_toe(self, referentienummers: Iterable[str]) -> None: ...


class VerwerktInGeheugen:
    """For one process (tests, short scripts)."""

    def __init__(self) -> None:
        self._refs: set[str] = set()

    def bevat(self, referentienummer: str) -> bool:
        return referentienummer.lower() in self._refs

    def voeg_toe(self, referentienummers: Iterable[str]) -> None:
        self._refs.update(r.lower() for r in referentienummers)


class VerwerktBestand:
    """A small SQLite file that survives restarts (used by ``knooppunt client fetch``)."""

    def __init__(self, pad: Path) -> None:
        pad.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(pad), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS verwerkt (referentienummer TEXT PRIMARY KEY)")
        self._db.commit()

    def bevat(self, referentienummer: str) -> bool:
        with self._lock:
            rij = self._db.execute(
                "SELECT 1 FROM verwerkt WHERE referentienummer = ?", (referentienummer.lower(),)
            ).fetchone()
        return rij is not None

    def voeg_toe(self, referentienummers: Iterable[str]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO verwerkt (referentienummer) VALUES (?)",
                [(r.lower(),) for r in referentienummers],
            )
            self._db.commit()

    def sluit(self) -> None:
        self._db.close()
