"""Sealing many messages at once on every core: a CSV upload (art. 18) may hold 20,000 answers,
and signing + encrypting each (``jose.verzegel``, ~0.2 ms) is Python and OpenSSL work that holds
the GIL — threads do not help, processes do (docs/performance.md, "Webportaal").

From `PARALLEL_VANAF` messages on, the batch is split over worker processes, one per core
(`MAX_WERKERS` at most), forked from a ``forkserver`` — a fresh single-threaded interpreter, so
no copy of the server's memory, sessions or other participants' keys — the first time a large
batch comes, and kept for the next ones. Each task carries its share of the messages and the
sender's key as PEM through the pipe (never on disk); between tasks a worker keeps only public
certificates. The key was decrypted from the kluis once, by the caller, and that is audited.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from knooppunt.client import jose

PARALLEL_VANAF = 2000
"""Below this many messages the batch is sealed in the calling process: starting workers costs
about half a second."""
MAX_WERKERS = 4


@dataclass(frozen=True, slots=True)
class Zegelopdracht:
    """One message to seal: its payload JSON, its signed metadata, the recipient's certificate."""

    payload: bytes
    metadata: dict[str, Any]
    ontvanger_der: bytes


@lru_cache(maxsize=256)
def _certificaat(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def _zegel(
    opdrachten: Sequence[Zegelopdracht], sleutel: jose.Sleutel, afzender: x509.Certificate, iat: int
) -> list[str]:
    return [
        jose.verzegel(
            o.payload,
            metadata=o.metadata,
            iat=iat,
            afzender_sleutel=sleutel,
            afzender_certificaat=afzender,
            ontvanger_certificaat=_certificaat(o.ontvanger_der),
        )
        for o in opdrachten
    ]


def _werker(opdrachten: list[Zegelopdracht], sleutel_pem: bytes, afzender_der: bytes, iat: int) -> list[str]:
    """In a worker process: import the key, seal the share."""
    return _zegel(opdrachten, jose.prive_sleutel(sleutel_pem), _certificaat(afzender_der), iat)


def aantal_werkers(aantal: int) -> int:
    if aantal < PARALLEL_VANAF:
        return 1
    return max(1, min(MAX_WERKERS, os.cpu_count() or 1))


_pool: ProcessPoolExecutor | None = None
_pool_slot = threading.Lock()


def _werkers(aantal: int) -> ProcessPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per server process, started on first use
    with _pool_slot:
        if _pool is None:
            # forkserver: one fresh, single-threaded server process (started like spawn, so no copy
            # of this server's memory) that imports this module once and forks the workers from
            # itself: cheaper than spawn, which imports everything again in every worker.
            context: multiprocessing.context.BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload([__name__])
            else:  # pragma: no cover - not on Linux
                context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=aantal, mp_context=context)
        return _pool


def _opnieuw() -> None:
    """Forget a pool whose worker died (BrokenProcessPool): the next batch starts a new one."""
    global _pool  # noqa: PLW0603
    with _pool_slot:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _wakker() -> None:
    """A no-op: starts a worker process (its interpreter and imports) ahead of the work."""


def warm_op(aantal: int) -> None:
    """Start the workers for a batch of `aantal` messages now, without waiting: they start (about
    a second) while the caller still validates and dry-runs the batch."""
    werkers = aantal_werkers(aantal)
    if werkers > 1:
        pool = _werkers(werkers)
        for _ in range(werkers):
            pool.submit(_wakker)


def zegel_alle(
    opdrachten: Sequence[Zegelopdracht], *, sleutel: jose.Sleutel, afzender: x509.Certificate, iat: int
) -> list[str]:
    """The JWEs of all messages, in order."""
    werkers = aantal_werkers(len(opdrachten))
    if werkers == 1:
        return _zegel(opdrachten, sleutel, afzender, iat)
    sleutel_pem = sleutel.as_pem(private=True)
    afzender_der = afzender.public_bytes(serialization.Encoding.DER)
    stuk = -(-len(opdrachten) // werkers)
    delen = [list(opdrachten[i : i + stuk]) for i in range(0, len(opdrachten), stuk)]
    for poging in (1, 2):
        pool = _werkers(werkers)
        try:
            taken = [pool.submit(_werker, deel, sleutel_pem, afzender_der, iat) for deel in delen]
            return [jwe for taak in taken for jwe in taak.result()]
        except BrokenProcessPool:
            _opnieuw()
            if poging == 2:
                raise
    raise AssertionError("unreachable")
