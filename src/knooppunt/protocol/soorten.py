"""The vocabulary every module is written in (DESIGN §2, §3): roles, named hub conditions, a
message type per (module, code, versie), and a module's definition.

Pure data; the registry (``knooppunt.protocol.modules``) finds the modules, the catalogue
(``knooppunt.protocol.catalogus``) looks types up, and the hub's rule engine
(``knooppunt.hub.regels``) implements each named condition once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import Any


class Rol(StrEnum):
    SHV = "SHV"
    SE = "SE"
    WF = "WF"
    BW = "BW"
    KNOOPPUNT = "KNOOPPUNT"


class Module(StrEnum):
    """The module codes of DESIGN §2 (stable wire values). The registry is authoritative: a new
    module is a folder under ``knooppunt/protocol/modules/`` and needs no entry here."""

    SCHULDREGELING = "schuldregeling"
    WAARBORGFONDS = "waarborgfonds"
    SALDOVERZOEK = "saldoverzoek"
    BETALINGSREGELING = "betalingsregeling"
    BEWIND = "bewind"
    PAUZEKNOP = "pauzeknop"


class Schuldensoort(StrEnum):
    NUTS = "nuts"
    PUBLIEK = "publiek"
    ZORG = "zorg"
    OVERIG = "overig"


class Voorwaarde(StrEnum):
    """Hub-enforced conditions, decided from metadata and the adresboek only (``hub.regels``)."""

    ONTVANGER_GEBRUIKT_GEEN_BSN = "ontvanger_gebruikt_geen_bsn"  # art. 3.1
    ONTVANGER_GEBRUIKT_BSN = "ontvanger_gebruikt_bsn"  # art. 3.2
    ONTVANGER_NUTS = "ontvanger_schuldensoort_nuts"  # art. 5.2
    ONTVANGER_PUBLIEK = "ontvanger_schuldensoort_publiek"  # art. 5.4
    ONTVANGER_ZORG = "ontvanger_schuldensoort_zorg"  # art. 5.5
    AFZENDER_STANDAARD_AKKOORD = "afzender_standaard_akkoord"  # art. 7.1
    GEEN_STANDAARD_AKKOORD_ONTVANGEN = "geen_standaard_akkoord_ontvangen"  # art. 9.3
    LAATSTE_ANTWOORD_AKKOORD = "laatste_antwoord_akkoord"  # art. 11.1, 7.2
    EERDER_UITGEWISSELD = "eerder_uitgewisseld"  # art. 12.1, 14.1
    VERWIJST_NAAR_OPEN_VRAAG = "verwijst_naar_open_vraag"  # art. 15.1
    VERWIJST_NAAR_LAATSTE_NIET_AKKOORD = "verwijst_naar_laatste_niet_akkoord"  # 2.0 heroverweging
    ALLEEN_KNOOPPUNT = "alleen_knooppunt"


SALDOVERZOEKEN = frozenset({"saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"})
KENNISGEVINGEN = frozenset({"kennisgeving", "kennisgeving_bsn"})
ALLE = frozenset({"*"})
HUB_BERICHTTYPEN = frozenset({"foutbericht", "ontvangstbevestiging"})
"""Hub-authored notices exist in every module and version: they answer whatever message they concern."""
VERVANGINGEN = {"klant_onbekend": ("geen_medewerking", "met reden 'klant_onbekend'")}
"""Types a later version replaced (DESIGN §3a: 2.0's ``geen_medewerking`` replaces 1.0's
``klant_onbekend``): the replacement, and how to say the same with it. Wherever the old code is
missing and the replacement exists, a refusal names the replacement."""

SHV = frozenset({Rol.SHV})
SE = frozenset({Rol.SE})
WF = frozenset({Rol.WF})
BW = frozenset({Rol.BW})
IEDEREEN = frozenset({Rol.SHV, Rol.SE, Rol.WF, Rol.BW})
HUB = frozenset({Rol.KNOOPPUNT})


@dataclass(frozen=True, slots=True)
class Berichttype:
    """One message type in one version of one module.

    ``beantwoordt``: the types its ``crossReferentienummer`` may answer (an answer confirms the
    question and sets it beantwoord). ``verwijst_naar``: the types it may *refer to* without
    answering (a reminder, a heroverweging); ``verwijst_naar_ontvangen`` says the referred message
    was received from the recipient (a heroverweging names the creditor's niet-akkoord) rather than
    sent to it (a reminder names the sender's own question). ``antwoordtermijn``: working days to
    answer when the module sets its own term; None: the version's default (DESIGN §3a)."""

    code: str
    naam: str
    module: str
    van: frozenset[Rol]
    naar: frozenset[Rol]
    artikel: str
    versie: str = "1.0"
    beantwoordt: frozenset[str] = frozenset()
    antwoord_verplicht_verwijzing: bool = False
    antwoord_verwacht: bool = False
    antwoordtermijn: int | None = None
    verwijst_naar: frozenset[str] = frozenset()
    verwijst_naar_ontvangen: bool = False
    voorwaarden: tuple[Voorwaarde, ...] = ()
    omschrijving: str = ""
    door_knooppunt: bool = field(default=False)

    @property
    def is_antwoord(self) -> bool:
        return bool(self.beantwoordt)

    def beantwoordt_type(self, code: str) -> bool:
        return "*" in self.beantwoordt or code in self.beantwoordt


def hubberichten(module: str, versie: str) -> tuple[Berichttype, ...]:
    """``foutbericht`` and ``ontvangstbevestiging`` of one module and version (DESIGN §3b)."""
    return (
        Berichttype(
            "foutbericht",
            "Fout bericht (van knooppunt)",
            module,
            HUB,
            IEDEREEN,
            "17.1i",
            versie=versie,
            beantwoordt=ALLE,
            voorwaarden=(Voorwaarde.ALLEEN_KNOOPPUNT,),
            door_knooppunt=True,
        ),
        Berichttype(
            "ontvangstbevestiging",
            "Ontvangstbevestiging",
            module,
            HUB,
            IEDEREEN,
            "—",
            versie=versie,
            beantwoordt=ALLE,
            voorwaarden=(Voorwaarde.ALLEEN_KNOOPPUNT,),
            door_knooppunt=True,
        ),
    )


Afzenderregel = Callable[[str, Mapping[str, Any]], "tuple[str, str] | None"]
"""(the sender's role, the payload) → (the field at fault, the Dutch reason it may not be sent), or None."""


@dataclass(frozen=True)
class Moduledefinitie:
    """A module as data (DESIGN §3b): everything the hub, the SDK, the CLI and the portal need.

    ``typen``: the participant-authored types, one entry per (code, versie); the hub notices are
    added by the registry. ``payloads``: the payload model per (code, versie). ``voorbeelden``: a
    valid example payload per (code, versie). ``bron``: where the module's rules come from, and
    what is our own design."""

    code: str
    naam: str
    omschrijving: str
    bron: str
    versies: tuple[str, ...]
    typen: tuple[Berichttype, ...]
    payloads: Mapping[tuple[str, str], type[Any]] = field(default_factory=dict)
    voorbeelden: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    afzenderregels: Mapping[str, Afzenderregel] = field(default_factory=dict)
    """Payload rules that depend on the sender's role, by code: the SDK and the portal run them
    before sealing (the hub cannot: it never reads the payload)."""

    def afzenderfout(self, code: str, rol: str, payload: Mapping[str, Any]) -> tuple[str, str] | None:
        """(field, Dutch reason) why a sender in ``rol`` may not send this payload, or None."""
        regel = self.afzenderregels.get(code)
        return regel(rol, payload) if regel is not None else None


def module_van_een_versie(
    naam: str, typen: ModuleType, payloads: ModuleType, voorbeelden: ModuleType
) -> Moduledefinitie:
    """The `Moduledefinitie` of a module folder with one version: its ``typen.py`` (``MODULE``,
    ``VERSIE``, ``TYPEN``, and a docstring that says what the module is and where its rules come
    from), ``payloads.py`` (``MODELLEN`` by code, optionally ``AFZENDERREGELS`` by code) and
    ``voorbeelden.py`` (``VOORBEELDEN`` by code)."""
    versie: str = typen.VERSIE
    uitleg = (typen.__doc__ or "").strip()
    return Moduledefinitie(
        code=typen.MODULE,
        naam=naam,
        omschrijving=uitleg,
        bron=uitleg,
        versies=(versie,),
        typen=typen.TYPEN,
        payloads={(code, versie): model for code, model in payloads.MODELLEN.items()},
        voorbeelden={(code, versie): v for code, v in voorbeelden.VOORBEELDEN.items()},
        afzenderregels=getattr(payloads, "AFZENDERREGELS", {}),
    )
