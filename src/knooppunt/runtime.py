"""What a running hub holds: settings, database, term settings and trust anchors.

Built once per process (``knooppunt serve``, ``worker``, the CLI, tests) from a Settings object.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from knooppunt.config import Settings, SettingsError
from knooppunt.hub.mailbox import Instellingen
from knooppunt.hub.notitie import (
    ONTWIKKEL_BESTAND,
    NotitieFout,
    Ondertekenaar,
    ontwikkelsleutel,
    sleutel_uit_bestand,
)
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import OngeldigCertificaat, is_pkioverheid
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.protocol.werkdagen import Werkdagkalender, parse_sluitingsdagen
from knooppunt.store import migrate
from knooppunt.store.dagsleutels import Dagsleutels
from knooppunt.store.db import maak_engine, maak_sessionmaker


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    instellingen: Instellingen
    ankers: Vertrouwensankers | None
    dagsleutels: Dagsleutels
    audit_sleutel: Ondertekenaar | None = None
    bij_sluiten: list[Callable[[], None]] = field(default_factory=list)
    """What `close` also closes (api.lus: the asyncio connections of the submit on the event loop)."""

    def ondertekenaar(self) -> Ondertekenaar:
        """The audit log's signing key, read once (SettingsError when it is missing or unreadable)."""
        if self.audit_sleutel is None:
            self.audit_sleutel = laad_audit_sleutel(self.settings)
        return self.audit_sleutel

    def checkpointextensies(self) -> tuple[str, ...]:
        """The extension lines of the audit log's signed checkpoints: with the portal on, the hash of
        the browser code it serves (DESIGN §5 "The code")."""
        if not self.settings.portaal_actief:
            return ()
        from knooppunt.portaal import bundel

        return (bundel.checkpointregel(),)

    def close(self) -> None:
        for sluit in self.bij_sluiten:
            sluit()
        self.engine.dispose()
        self.dagsleutels.close()


def instellingen_uit(settings: Settings) -> Instellingen:
    try:
        sluitingsdagen = parse_sluitingsdagen(settings.extra_sluitingsdagen)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    return Instellingen(
        kalender=Werkdagkalender(sluitingsdagen),
        bevestigingstermijn=settings.bevestigingstermijn_werkdagen,
        antwoordtermijn=settings.antwoordtermijn_werkdagen,
        antwoordtermijn_2=settings.antwoordtermijn_2_werkdagen,
        max_open=settings.max_open_per_relatie,
        max_inhoud_bytes=settings.max_inhoud_bytes,
        max_pagina_bytes=settings.max_pagina_bytes,
        inbox_quotum=settings.inbox_quotum_bytes,
        inbox_aandeel=settings.inbox_aandeel,
    )


def laad_audit_sleutel(settings: Settings) -> Ondertekenaar:
    """The key that signs the audit checkpoints: KNOOPPUNT_AUDIT_SLEUTEL_FILE; in development a key
    generated in the data dir. Production refuses to go without one (DESIGN §5: kept outside the
    database)."""
    try:
        if settings.audit_sleutel_file is not None:
            return sleutel_uit_bestand(settings.audit_sleutel_file)
        if settings.is_development:
            return ontwikkelsleutel(settings.data_dir / ONTWIKKEL_BESTAND)
    except NotitieFout as exc:
        raise SettingsError(f"KNOOPPUNT_AUDIT_SLEUTEL_FILE: {exc}") from exc
    raise SettingsError(
        "KNOOPPUNT_AUDIT_SLEUTEL_FILE is verplicht in productie: het bestand met de Ed25519-sleutel die de "
        "checkpoints van het auditlog ondertekent, buiten de database en haar back-ups. Maak er een met "
        "`knooppunt audit sleutel --nieuw BESTAND --naam knooppunt.example.nl/audit`."
    )


def laad_ankers(settings: Settings, extra: list[Path] | None = None) -> Vertrouwensankers | None:
    """The configured trust anchors; in development, also the development CA of the data dir.
    Production refuses a development CA (DESIGN §5)."""
    paden = list(settings.trust_anchors) + list(extra or [])
    if settings.is_development:
        dev_ca, _ = ontwikkel_ca.ca_paden(settings.dev_pki_dir)
        if dev_ca.exists() and dev_ca not in paden:
            paden.append(dev_ca)
    if not paden:
        return None
    try:
        ankers = Vertrouwensankers.uit_bestanden(paden)
    except OngeldigCertificaat as exc:
        raise SettingsError(f"KNOOPPUNT_TRUST_ANCHORS: {exc}") from exc
    if settings.is_development and any(is_pkioverheid(c) for c in ankers.certificaten):
        raise SettingsError(
            "KNOOPPUNT_ENV=development weigert PKIoverheid als vertrouwensanker: een ontwikkelomgeving "
            "heeft een ontwikkel-login zonder eHerkenning en een ontwikkel-CA, en mag dus geen echte "
            "deelnemers vertrouwen (DESIGN §5). Gebruik de ontwikkel-CA (`knooppunt pki init`) in "
            "KNOOPPUNT_TRUST_ANCHORS, of zet KNOOPPUNT_ENV=production."
        )
    if not settings.is_development and any(ontwikkel_ca.is_ontwikkel_ca(c) for c in ankers.certificaten):
        raise SettingsError(
            "KNOOPPUNT_TRUST_ANCHORS noemt een ontwikkel-CA, die productie weigert: iedereen met de "
            "sleutel van die CA (ook de testvectoren) kan er certificaten mee maken. Noem de "
            "PKIoverheid-CA's in KNOOPPUNT_TRUST_ANCHORS, of zet KNOOPPUNT_ENV=development voor een "
            "testopstelling."
        )
    return ankers


def bouw(
    settings: Settings,
    *,
    extra_ankers: list[Path] | None = None,
    upgrade: bool = True,
    alleen_nieuw: bool = False,
) -> Runtime:
    """The runtime of a process. ``upgrade``: migrate the schema to the newest revision (`serve`,
    `db upgrade`); with ``alleen_nieuw`` only a database without a schema is made, and one behind
    (or ahead) is refused with `migrate.SchemaNietActueel` — the operator commands, which must not
    change the schema under nodes still serving it."""
    # A process that migrates checks the key store before writing to it (controleer_koppeling
    # makes its tables once it proves to be the right one).
    dagsleutels = Dagsleutels.uit_instellingen(settings, maak=not upgrade)
    engine = maak_engine(settings.effective_database_url, pool_size=settings.api_threads)
    if upgrade:
        # A process that migrates has reached the database: it also checks that its key store is
        # the one the database works with (decision 0040). One that does not (a `serve` worker,
        # whose supervisor checked) starts without touching the database.
        try:
            if not alleen_nieuw or migrate.controleer_actueel(engine):
                migrate.upgrade(engine)
            dagsleutels.controleer_koppeling(engine)
        except BaseException:
            engine.dispose()
            dagsleutels.close()
            raise
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=maak_sessionmaker(engine, dagsleutels=dagsleutels),
        instellingen=instellingen_uit(settings),
        ankers=laad_ankers(settings, extra_ankers),
        dagsleutels=dagsleutels,
    )


GC_EERSTE_GENERATIE = 50_000
"""Allocations between collections of the youngest generation in a server process (Python's
default: 700). A request or an upload of 20,000 answers makes many short-lived objects that
reference counting frees; at 700 the collector ran thousands of times per upload, each pass also
scanning survivors (decision 0039)."""


def stel_gc_in_voor_server() -> None:
    """Garbage collection for a long-running server process, called once it has started (its app
    built): what is alive then (modules, the app, caches) is frozen — never scanned again — and the
    youngest generation collected every `GC_EERSTE_GENERATIE` allocations. Cycles are still
    collected. `knooppunt serve` and `knooppunt worker` call it; never in a test process."""
    gc.collect()
    gc.freeze()
    _eerste, tweede, derde = gc.get_threshold()
    gc.set_threshold(GC_EERSTE_GENERATIE, tweede, derde)
