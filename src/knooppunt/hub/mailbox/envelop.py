"""What a sender hands the mailbox, the settings it runs under, and how it refuses (DESIGN §4)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from knooppunt.hub import audit
from knooppunt.hub.fouten import HubFout, OngeldigVeld
from knooppunt.protocol.catalogus import Berichttype, Rol
from knooppunt.protocol.werkdagen import Werkdagkalender
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import Deelnemer

KNOOPPUNT = Rol.KNOOPPUNT.value
R = TypeVar("R", bound=Berichtrij)

WEIGERREDENEN = {
    "ONTSLEUTELING_MISLUKT": "de ontvanger kon de inhoud niet ontsleutelen",
    "HANDTEKENING_ONGELDIG": "de handtekening van de afzender klopt niet",
    "METADATA_ONJUIST": "de ondertekende metadata wijken af van de envelop",
    "INHOUD_ONGELDIG": "de inhoud voldoet niet aan het schema van het berichttype",
    "AL_VERWERKT": "het referentienummer is bij de ontvanger al verwerkt",
    # DESIGN §5 "Portal": a portal user who lost its passphrase has new keys; what was sealed for
    # the old key is refused without decrypting it.
    "SLEUTEL_ONBRUIKBAAR": "de inhoud is versleuteld voor een sleutel die de ontvanger niet meer heeft",
}


@dataclass(frozen=True, slots=True)
class Instellingen:
    kalender: Werkdagkalender
    bevestigingstermijn: int = 5
    antwoordtermijn: int = 5
    """Working days to answer a question sent in protocol 1.0 (handbook 2.1)."""
    antwoordtermijn_2: int = 10
    """Working days to answer a question sent in protocol 2.0 and later (afsprakenstelsel 2.0)."""
    max_open: int = 10_000
    max_inhoud_bytes: int = 4 * 1024 * 1024
    # DESIGN §4: a fetch page holds at most this much inhoud (but always one message); each
    # recipient holds at most `inbox_quotum` bytes of unconfirmed ciphertext (its own
    # ``Deelnemer.inbox_quotum`` wins) before a sender above `inbox_aandeel` of it is refused.
    max_pagina_bytes: int = 16 * 1024 * 1024
    inbox_quotum: int = 1024 * 1024 * 1024
    inbox_aandeel: float = 1 / 8

    def antwoordtermijn_van(self, berichttype: Berichttype) -> int:
        """DESIGN §3a: the module's own term, else that of the type's protocol version."""
        if berichttype.antwoordtermijn is not None:
            return berichttype.antwoordtermijn
        return self.antwoordtermijn if berichttype.versie == "1.0" else self.antwoordtermijn_2


@dataclass(frozen=True, slots=True)
class Envelop:
    referentienummer: str
    conversatie_referentienummer: str
    cross_referentienummer: str | None
    berichttype: str
    module: str
    versie: str
    ontvanger: str
    inhoud: str

    def hash(self) -> str:
        canoniek = json.dumps(
            {
                "referentienummer": self.referentienummer,
                "conversatieReferentienummer": self.conversatie_referentienummer,
                "crossReferentienummer": self.cross_referentienummer,
                "berichttype": self.berichttype,
                "module": self.module,
                "versie": self.versie,
                "ontvanger": self.ontvanger,
                "inhoud": self.inhoud,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canoniek.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def termijn_einde(kalender: Werkdagkalender, nu: datetime, werkdagen: int) -> datetime:
    """The end of a term from `nu`: the same for every message of a batch (one `nu` per
    transaction), so worked out once per batch, not per message."""
    return kalender.termijn_einde(nu, werkdagen)


def weigering(
    code: str,
    status: int,
    detail: str,
    veld: str | None = None,
    *,
    artikel: str | None = None,
    reden: str | None = None,
) -> HubFout:
    """A refused submit, naming the envelope field at fault."""
    velden = [OngeldigVeld(veld, reden or detail)] if veld else []
    return HubFout(code, status, "Bericht niet toegestaan", detail, velden, artikel)


@dataclass(slots=True)
class Reeksweigering(HubFout):
    """A refusal of one message of a batch; ``index`` is its position in the batch."""

    index: int = -1


def weigeringsregel(afzender: Deelnemer, envelop: Envelop, code: str, nu: datetime) -> dict[str, Any]:
    """The audit entry of a refused submit (written by the caller, after its rollback)."""
    return audit.geweigerd_bij_verzenden(
        afzender=afzender.oin,
        berichttype=envelop.berichttype,
        module=envelop.module,
        ontvanger=envelop.ontvanger,
        referentienummer=envelop.referentienummer,
        code=code,
        nu=nu,
    )


def reeksweigering(fout: HubFout, index: int, afzender: Deelnemer, envelop: Envelop, nu: datetime) -> HubFout:
    """`fout` as the refusal of the envelope at `index` of a batch, with its audit entry."""
    uit = Reeksweigering(
        fout.code, fout.status, fout.titel, fout.detail, list(fout.velden), fout.artikel, index=index
    )
    uit.auditregel = weigeringsregel(afzender, envelop, fout.code, nu)
    return uit
