"""CPU per call of the parts of a request, in-process and single-threaded (time.process_time),
against a real migrated database with the bench participants: what authentication, the adresboek
lookups, the clock and the working-day calendar cost each time they run. No HTTP, no threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knooppunt import runtime as runtime_mod
from knooppunt.api import auth
from knooppunt.hub import adresboek
from knooppunt.pki.certificaat import lees, lees_pem
from knooppunt.protocol.jwe import lees_kop
from knooppunt.store import crl_staat
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store.db import db_nu
from omgeving import Pki, settings_voor


def meet(database_url: str, data_dir: Path, pki: Pki, jwe: str, *, n: int = 300) -> dict[str, Any]:
    rt = runtime_mod.bouw(settings_voor(database_url, data_dir, pki), upgrade=False)
    assert rt.ankers is not None
    ankers = rt.ankers
    partij = pki.se[0]
    pem = partij.pem
    cert = lees_pem(pem).certificaat
    info = lees(cert)
    scope = {
        "type": "http",
        "extensions": {"tls": {"client_cert_chain": [pem]}},
        "headers": [],
        "client": None,
    }
    uit: dict[str, Any] = {}

    def tijd(naam: str, actie: Callable[[], object], keer: int = n) -> None:
        try:
            actie()
            t0, w0 = time.process_time(), time.perf_counter()
            for _ in range(keer):
                actie()
            uit[naam] = {
                "cpu_ms": round(1000 * (time.process_time() - t0) / keer, 3),
                "wand_ms": round(1000 * (time.perf_counter() - w0) / keer, 3),
            }
        except Exception as exc:  # the code under test changes meanwhile: report, do not stop
            uit[naam] = {"fout": repr(exc)[:200]}

    with rt.sessions() as session:
        nu = db_nu(session)
        tijd("db_nu (SELECT van de databaseklok)", lambda: db_nu(session))
        tijd(
            "crl_staat.nu_en_versie (klok + versie van de gedeelde CRL's: het eerste statement)",
            lambda: crl_staat.nu_en_versie(session),
        )
        tijd("lees_pem (PEM van het clientcertificaat)", lambda: lees_pem(pem))
        tijd(
            "Vertrouwensankers.controleer (ketenverificatie)", lambda: ankers.controleer(cert, [], moment=nu)
        )
        tijd("pki.certificaat.lees (OIN, vingerafdruk)", lambda: lees(cert))

        def opzoeken() -> object:
            session.expunge_all()  # as a new request: nothing in the identity map
            return adresboek.authenticeer(session, oin=info.oin, vingerafdruk=info.vingerafdruk, nu=nu)

        tijd("adresboek.authenticeer (DB: het certificaat op primaire sleutel)", opzoeken)

        def haal() -> object:
            session.expunge_all()
            return deelnemer_store.haal(session, pki.shv[0].oin)

        tijd("store.deelnemers.haal (ontvanger, met 3 selectin-relaties)", haal)

        def geheel() -> object:
            session.expunge_all()
            return auth.authenticeer(
                session, scope, ankers=ankers, header="x-ssl-client-cert", proxies=[], nu=nu
            )

        tijd("api.auth.authenticeer (alles samen)", geheel)
        cache = auth.Authenticatiecache()
        _nu, crl_versie, adresboek_versie = crl_staat.nu_en_versie(session)

        def bekend() -> object:
            return auth.authenticeer(
                session,
                scope,
                ankers=ankers,
                header="x-ssl-client-cert",
                proxies=[],
                nu=nu,
                crl_versie=crl_versie,
                adresboek_versie=adresboek_versie,
                cache=cache,
            )

        tijd("api.auth.authenticeer (bekend certificaat, uit de cache)", bekend)
        tijd(
            "Werkdagkalender.termijn_einde (5 werkdagen)",
            lambda: rt.instellingen.kalender.termijn_einde(nu, 5),
            keer=n * 10,
        )
        tijd("protocol.jwe.lees_kop (2 KB JWE)", lambda: lees_kop(jwe, max_bytes=1_048_576), keer=n * 10)
        session.rollback()
    rt.close()
    return uit
