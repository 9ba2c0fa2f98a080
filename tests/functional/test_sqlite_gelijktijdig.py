"""Many participants at once on the embedded SQLite database: every request is answered, none
waits out the 30 s busy timeout.

SQLite has one writer at a time (each transaction begins with BEGIN IMMEDIATE). A request that took
the write lock in one thread-pool hop (its authentication) and needed another hop for its handler
could wait for a thread while every thread waited in BEGIN IMMEDIATE for its lock: the whole hub
stood still until the busy timeout ended the waits with 503s. Seen in CI in the crash test (hub-0
answered nothing for 30 s, then 503s). With a small pool and more concurrent requests than threads
that deadlock came nearly every time.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import Partij
from tests.functional.belasting import verzegel
from tests.functional.server import mtls_client, start_hub

GELIJKTIJDIG = 12  # client threads; the hub gets two request threads
PER_CLIENT = 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_meer_gelijktijdige_verzoeken_dan_threads_worden_allemaal_beantwoord(
    cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    werk = verzegel(
        gemeente, energie, GELIJKTIJDIG * PER_CLIENT, conversaties=[str(uuid.uuid4()) for _ in range(4)]
    )
    statussen: list[int] = []
    slot = threading.Lock()
    start = threading.Barrier(GELIJKTIJDIG)

    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        env={"KNOOPPUNT_API_THREADS": "2"},
    ) as hub:

        def client(deel: list[dict[str, Any]]) -> None:
            # Generous: a deadlocked hub answers 503 after the 30 s busy timeout, not never.
            with mtls_client(hub.url, hub.ca, gemeente, timeout=httpx.Timeout(90.0)) as c:
                start.wait()
                for env in deel:
                    r = c.post("/berichten", json=env)
                    with slot:
                        statussen.append(r.status_code)

        threads = [
            threading.Thread(target=client, args=(werk[i * PER_CLIENT : (i + 1) * PER_CLIENT],))
            for i in range(GELIJKTIJDIG)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert not any(t.is_alive() for t in threads)
        log = "".join(hub.log)

    assert statussen == [201] * len(werk), {s: statussen.count(s) for s in set(statussen)}
    assert "database tijdelijk niet beschikbaar" not in log
