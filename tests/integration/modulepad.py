"""Shared by the module and version rule tests (DESIGN §2, §3a, §3b): a cast in the roles and
modules of the six modules, and a traject that sends each envelope through the single path
(``POST /berichten``) or the batch path (``POST /verzendingen``), which must judge it the same."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from knooppunt.runtime import Runtime
from tests.conftest import registreer
from tests.factories import Partij, envelop

ALLE_SE_MODULES = ["schuldregeling", "betalingsregeling", "pauzeknop", "saldoverzoek", "bewind"]
PADEN = ("enkel", "reeks", "proef")
"""``enkel``: ``POST /berichten``; ``reeks``: the envelope alone in ``POST /verzendingen``
(`mailbox.verstuur_reeks`); ``proef``: after an envelope the hub refuses, so that the verzending
judges it by the dry run (`mailbox.controleer_reeks`) and then by `mailbox.verstuur_reeks`."""


def meedoen(rt: Runtime, pki: dict[str, Partij], **modules: list[str]) -> dict[str, Partij]:
    """Register the cast in the roles of every module: ``gemeente`` (SHV), ``kredietbank`` (SHV),
    ``sbn`` (WF), ``bewindvoerder`` (BW) and the creditors ``energie`` (nuts), ``belasting``
    (publiek, BSN) and ``zorg`` (zorg, standaard akkoord); ``modules`` overrides a party's."""
    cast = {
        "gemeente": pki["gemeente"],
        "kredietbank": pki["kredietbank"],
        "sbn": dataclasses.replace(pki["buitenstaander"], rol="WF", naam="Stichting Waarborgfonds"),
        "bewindvoerder": dataclasses.replace(pki["woning"], rol="BW", naam="Bewindvoering BV"),
        "energie": pki["energie"],
        "belasting": pki["belasting"],
        "zorg": pki["zorg"],
    }
    standaard = {
        "gemeente": ["schuldregeling", "betalingsregeling", "pauzeknop", "saldoverzoek"],
        "kredietbank": ["waarborgfonds", "schuldregeling"],
        "sbn": ["waarborgfonds"],
        "bewindvoerder": ["bewind", "saldoverzoek"],
        "energie": ALLE_SE_MODULES,
        "belasting": ALLE_SE_MODULES,
        "zorg": ALLE_SE_MODULES,
    }
    for naam, partij in cast.items():
        extra: dict[str, Any] = {"modules": modules.get(naam, standaard[naam])}
        if partij.rol != "SE":
            extra["schuldensoorten"] = []
        registreer(rt, partij, **extra)
    return cast


class Traject:
    """One conversation in a default module and version. Each envelope goes through the path under
    test (`PADEN`)."""

    def __init__(
        self, client_voor: Any, pad: str, module: str = "schuldregeling", versie: str = "2.0"
    ) -> None:
        self.client_voor = client_voor
        self.pad = pad
        self.module = module
        self.versie = versie
        self.conversatie = str(uuid.uuid4())
        self._clients: dict[str, Any] = {}

    def client(self, partij: Partij) -> Any:
        if partij.oin not in self._clients:
            self._clients[partij.oin] = self.client_voor(partij)
        return self._clients[partij.oin]

    def envelop(
        self,
        van: Partij,
        aan: Partij,
        berichttype: str,
        *,
        antwoord_op: str | None = None,
        module: str | None = None,
        versie: str | None = None,
        conversatie: str | None = None,
    ) -> dict[str, Any]:
        return envelop(
            van,
            aan,
            berichttype,
            conversatie=conversatie or self.conversatie,
            antwoord_op=antwoord_op,
            module=module or self.module,
            versie=versie or self.versie,
        )

    def stuur(self, van: Partij, aan: Partij, berichttype: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """(status, the stored message or the problem) of one envelope."""
        env = self.envelop(van, aan, berichttype, **kwargs)
        if self.pad == "enkel":
            r = self.client(van).post("/berichten", json=env)
            return r.status_code, r.json()
        envelops = [env]
        if self.pad == "proef":
            # Only the hub writes a foutbericht: refused, the rest goes through the dry run.
            envelops.insert(0, envelop(van, aan, "foutbericht", module=env["module"], versie=env["versie"]))
        r = self.client(van).post("/verzendingen", json={"berichten": envelops})
        assert r.status_code == 200, r.text
        *voor, uitkomst = r.json()["berichten"]
        assert [u["status"] for u in voor] == [422] * len(voor)  # ROL_NIET_TOEGESTAAN, ONBEKENDE_VERSIE
        return uitkomst["status"], uitkomst.get("bericht") or uitkomst["probleem"]

    def ok(self, van: Partij, aan: Partij, berichttype: str, **kwargs: Any) -> str:
        status, body = self.stuur(van, aan, berichttype, **kwargs)
        assert status == 201, body
        return str(body["referentienummer"])

    def geweigerd(
        self, van: Partij, aan: Partij, berichttype: str, code: str, status: int = 422, **kwargs: Any
    ) -> dict[str, Any]:
        gekregen, probleem = self.stuur(van, aan, berichttype, **kwargs)
        assert (gekregen, probleem.get("code")) == (status, code), probleem
        assert probleem["detail"]
        return probleem

    def bevestig(self, ontvanger: Partij, referentienummer: str) -> dict[str, Any]:
        r = self.client(ontvanger).post(f"/berichten/{referentienummer}/bevestiging")
        assert r.status_code == 200, r.text
        bericht: dict[str, Any] = r.json()
        return bericht

    def verzonden(self, afzender: Partij) -> dict[str, dict[str, Any]]:
        """The sender's view of its messages in this conversation, by referentienummer."""
        r = self.client(afzender).get("/verzonden", params={"conversatieReferentienummer": self.conversatie})
        assert r.status_code == 200, r.text
        return {b["referentienummer"]: b for b in r.json()["berichten"]}


def werkdagen_na_bevestiging(rt: Runtime, bevestigd: dict[str, Any], werkdagen: int) -> bool:
    """Whether the confirmed message's antwoordUiterlijk is `werkdagen` working days after bevestigdOp."""
    op = datetime.fromisoformat(bevestigd["bevestigdOp"])
    uiterlijk = datetime.fromisoformat(bevestigd["antwoordUiterlijk"])
    return uiterlijk == rt.instellingen.kalender.termijn_einde(op, werkdagen)


def accepteert(rt: Runtime, partij: Partij, *modules: str) -> None:
    """A beheerder changes the modules and versions a participant accepts
    (``--module schuldregeling:2.0``)."""
    from knooppunt.hub import adresboek
    from knooppunt.store.db import db_nu, transactie

    with transactie(rt.sessions) as session:
        adresboek.wijzig(
            session,
            partij.oin,
            adresboek.DeelnemerWijziging(modules=list(modules)),
            door="beheer:test",
            nu=db_nu(session),
        )
