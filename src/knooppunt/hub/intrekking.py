"""The CRL state shared by the hub's nodes, in its database (DESIGN §5): what pki.intrekking
offers and reads as its ``GedeeldeStaat``. A CRL older than the shared one is refused there and
recorded in the audit log, in the transaction of the refusal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from knooppunt.hub import adresboek, audit
from knooppunt.pki.intrekking import GeladenCrl
from knooppunt.store import crl_staat
from knooppunt.store.db import db_nu, leesverbinding, transactie

log = structlog.get_logger(__name__)


class GedeeldeCrls:
    """pki.intrekking.GedeeldeStaat in the database (store.crl_staat)."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self.sessions = sessions

    @property
    def sleutel(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def bewaar(self, crl: GeladenCrl) -> tuple[int, datetime] | None:
        with transactie(self.sessions) as session:
            nu = db_nu(session)
            gehouden = crl_staat.bewaar(
                session,
                uitgever=crl.sleutel,
                uitgever_naam=crl.uitgever.subject.rfc4514_string(),
                nummer=crl.nummer,
                deze_update=crl.deze_update,
                volgende_update=crl.volgende_update,
                der=crl.der,
                nu=nu,
            )
            if gehouden is None:
                return None
            if (gehouden.nummer, gehouden.deze_update) > crl.volgorde:
                audit.crl_geweigerd(
                    session, uitgever=crl.sleutel, nummer=crl.nummer, gehouden_nummer=gehouden.nummer, nu=nu
                )
            else:
                # The CRL in force: the adresboek follows it (at every refresh, so a certificate
                # registered after its revocation is retired too).
                ingetrokken = adresboek.trek_in_volgens_crl(
                    session,
                    uitgever=crl.uitgever.subject.rfc4514_string(),
                    ingetrokken=crl.ingetrokken,
                    crl_nummer=crl.nummer,
                    nu=nu,
                )
                for cert in ingetrokken:
                    log.warning(
                        "certificaat ingetrokken volgens crl",
                        oin=cert.oin,
                        vingerafdruk=cert.vingerafdruk,
                        crl_nummer=crl.nummer,
                    )
        return gehouden.nummer, gehouden.deze_update

    def lees(self, bekend: Mapping[str, int]) -> tuple[dict[str, int], list[tuple[str, int, bytes]]]:
        # One snapshot: the versions and the DER read belong together.
        with leesverbinding(self.engine, momentopname=True) as conn:
            alle = crl_staat.versies(conn)
            gewijzigd = [uitgever for uitgever, versie in alle.items() if bekend.get(uitgever) != versie]
            rijen = crl_staat.lees(conn, gewijzigd)
        return alle, [(r.uitgever, r.versie, r.der) for r in rijen]
