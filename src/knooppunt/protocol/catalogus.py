"""The message catalogue (DESIGN §3) as data.

A module is data: its message types, who may send them to whom, which messages they answer,
whether an answer is due, and the names of the hub-enforced conditions. The hub's rule engine
(``knooppunt.hub.regels``) implements each named condition once; nothing here is a code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Rol(StrEnum):
    SHV = "SHV"
    SE = "SE"
    WF = "WF"
    BW = "BW"
    KNOOPPUNT = "KNOOPPUNT"


class Module(StrEnum):
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
    """Hub-enforced conditions, decided from metadata and the adresboek only."""

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
    ALLEEN_KNOOPPUNT = "alleen_knooppunt"


HUB_VERSIE = "1.0"
SALDOVERZOEKEN = frozenset({"saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"})
KENNISGEVINGEN = frozenset({"kennisgeving", "kennisgeving_bsn"})
ALLE = frozenset({"*"})


@dataclass(frozen=True, slots=True)
class Berichttype:
    code: str
    naam: str
    module: Module
    van: frozenset[Rol]
    naar: frozenset[Rol]
    artikel: str
    beantwoordt: frozenset[str] = frozenset()
    antwoord_verplicht_verwijzing: bool = False
    antwoord_verwacht: bool = False
    verwijst_naar: frozenset[str] = frozenset()
    voorwaarden: tuple[Voorwaarde, ...] = ()
    versies: tuple[str, ...] = (HUB_VERSIE,)
    omschrijving: str = ""
    door_knooppunt: bool = field(default=False)

    @property
    def is_antwoord(self) -> bool:
        return bool(self.beantwoordt)

    def beantwoordt_type(self, code: str) -> bool:
        return "*" in self.beantwoordt or code in self.beantwoordt


_SHV = frozenset({Rol.SHV})
_SE = frozenset({Rol.SE})
_IEDEREEN = frozenset({Rol.SHV, Rol.SE, Rol.WF, Rol.BW})
_HUB = frozenset({Rol.KNOOPPUNT})
_S = Module.SCHULDREGELING

SCHULDREGELING: tuple[Berichttype, ...] = (
    Berichttype(
        "kennisgeving",
        "Klant gemeld voor SHV",
        _S,
        _SHV,
        _SE,
        "3.1",
        voorwaarden=(Voorwaarde.ONTVANGER_GEBRUIKT_GEEN_BSN,),
        omschrijving="Start van stabilisatie onder de NVVK-convenanten (3.3); geen VISH-melding (3.4).",
    ),
    Berichttype(
        "kennisgeving_bsn",
        "Klant (BSN) gemeld voor SHV",
        _S,
        _SHV,
        _SE,
        "3.2",
        voorwaarden=(Voorwaarde.ONTVANGER_GEBRUIKT_BSN,),
        omschrijving="Als kennisgeving, voor schuldeisers die de klant op BSN identificeren.",
    ),
    Berichttype(
        "kennisgeving_antwoord",
        "Klant gemeld voor SHV antwoord",
        _S,
        _SE,
        _SHV,
        "4.1",
        beantwoordt=KENNISGEVINGEN,
        antwoord_verplicht_verwijzing=True,
        omschrijving="Klantnummer en factuurnummers; geen termijn (4.2).",
    ),
    Berichttype("saldoverzoek", "Saldoverzoek", _S, _SHV, _SE, "5.1", antwoord_verwacht=True),
    Berichttype(
        "saldoverzoek_nuts",
        "Saldoverzoek nuts",
        _S,
        _SHV,
        _SE,
        "5.2",
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.ONTVANGER_NUTS,),
    ),
    Berichttype(
        "saldoverzoek_publiek",
        "Saldoverzoek publiek",
        _S,
        _SHV,
        _SE,
        "5.4",
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.ONTVANGER_PUBLIEK,),
    ),
    Berichttype(
        "saldoverzoek_zorg",
        "Saldoverzoek zorg",
        _S,
        _SHV,
        _SE,
        "5.5",
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.ONTVANGER_ZORG,),
    ),
    Berichttype(
        "saldoverzoek_antwoord",
        "Saldoverzoek antwoord",
        _S,
        _SE,
        _SHV,
        "6.1",
        beantwoordt=SALDOVERZOEKEN,
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "saldoverzoek_antwoord_standaard_akkoord",
        "Saldoverzoek antwoord – standaard akkoord",
        _S,
        _SE,
        _SHV,
        "7.1",
        beantwoordt=SALDOVERZOEKEN,
        antwoord_verplicht_verwijzing=True,
        voorwaarden=(Voorwaarde.AFZENDER_STANDAARD_AKKOORD,),
        omschrijving="Vooraf akkoord met het betaalvoorstel (7.2); schema als saldoverzoek_antwoord.",
    ),
    Berichttype(
        "klant_onbekend",
        "Klant onbekend",
        _S,
        _SE,
        _SHV,
        "8.1",
        beantwoordt=KENNISGEVINGEN | SALDOVERZOEKEN,
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "betaalvoorstel",
        "Betaalvoorstel",
        _S,
        _SHV,
        _SE,
        "9.1",
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.GEEN_STANDAARD_AKKOORD_ONTVANGEN,),
    ),
    Berichttype(
        "betaalvoorstel_akkoord",
        "Betaalvoorstel antwoord (akkoord)",
        _S,
        _SE,
        _SHV,
        "10.1",
        beantwoordt=frozenset({"betaalvoorstel"}),
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "betaalvoorstel_niet_akkoord",
        "Betaalvoorstel antwoord (niet akkoord)",
        _S,
        _SE,
        _SHV,
        "10.2",
        beantwoordt=frozenset({"betaalvoorstel"}),
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "schuldregeling_geaccordeerd",
        "Schuldregeling geaccordeerd",
        _S,
        _SHV,
        _SE,
        "11.1",
        voorwaarden=(Voorwaarde.LAATSTE_ANTWOORD_AKKOORD,),
    ),
    Berichttype(
        "schuldregeling_beeindigd",
        "Schuldregeling beëindigd",
        _S,
        _SHV,
        _SE,
        "12.1",
        voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
    ),
    Berichttype(
        "statusbericht",
        "Statusbericht",
        _S,
        _SHV,
        _SE,
        "13.1",
        beantwoordt=frozenset({"statusverzoek"}),
        antwoord_verplicht_verwijzing=False,
        omschrijving="Wordt niet beantwoord (13.4); beantwoordt optioneel een statusverzoek (14.2).",
    ),
    Berichttype(
        "statusverzoek",
        "Statusverzoek",
        _S,
        _SE,
        _SHV,
        "14.1",
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
    ),
    Berichttype(
        "reminder",
        "Reminderbericht",
        _S,
        _SHV,
        _SE,
        "15.1",
        verwijst_naar=SALDOVERZOEKEN | {"betaalvoorstel"},
        voorwaarden=(Voorwaarde.VERWIJST_NAAR_OPEN_VRAAG,),
    ),
    Berichttype(
        "foutbericht",
        "Fout bericht (van knooppunt)",
        _S,
        _HUB,
        _IEDEREEN,
        "17.1i",
        beantwoordt=ALLE,
        voorwaarden=(Voorwaarde.ALLEEN_KNOOPPUNT,),
        door_knooppunt=True,
    ),
    Berichttype(
        "ontvangstbevestiging",
        "Ontvangstbevestiging",
        _S,
        _HUB,
        _IEDEREEN,
        "—",
        beantwoordt=ALLE,
        voorwaarden=(Voorwaarde.ALLEEN_KNOOPPUNT,),
        door_knooppunt=True,
    ),
)

# Hub-authored notices exist in every module: they answer whatever message they concern.
HUB_BERICHTTYPEN = frozenset({"foutbericht", "ontvangstbevestiging"})


class Catalogus:
    """All message types of all modules, looked up by (module, code)."""

    def __init__(self, typen: tuple[Berichttype, ...]) -> None:
        self._typen = {(t.module, t.code): t for t in typen}
        self._per_code: dict[str, list[Berichttype]] = {}
        for t in typen:
            self._per_code.setdefault(t.code, []).append(t)

    def zoek(self, module: str, code: str) -> Berichttype | None:
        try:
            return self._typen.get((Module(module), code))
        except ValueError:
            return None

    def per_code(self, code: str) -> list[Berichttype]:
        return list(self._per_code.get(code, []))

    def alle(self) -> list[Berichttype]:
        return list(self._typen.values())


CATALOGUS = Catalogus(SCHULDREGELING)
