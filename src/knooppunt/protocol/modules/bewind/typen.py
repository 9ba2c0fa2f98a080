"""The message types of module ``bewind`` — Meldingen bewindvoering (DESIGN §3b; sourced: the live
Schuldenknooppunt's module page; the fields are our own design). Version 2.0 only."""

from __future__ import annotations

from knooppunt.protocol.soorten import BW, SE, Berichttype, Voorwaarde

MODULE = "bewind"
VERSIE = "2.0"

TYPEN: tuple[Berichttype, ...] = (
    Berichttype(
        "melding_bewind",
        "Melding bewind",
        MODULE,
        BW,
        SE,
        "bewind",
        versie=VERSIE,
        antwoord_verwacht=True,
        omschrijving="De klant is onder beschermingsbewind gesteld of toegelaten tot de Wsnp; "
        "met de beschikking.",
    ),
    Berichttype(
        "melding_bewind_antwoord",
        "Melding bewind antwoord",
        MODULE,
        SE,
        BW,
        "bewind",
        versie=VERSIE,
        beantwoordt=frozenset({"melding_bewind"}),
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "geen_medewerking",
        "Geen medewerking",
        MODULE,
        SE,
        BW,
        "2.0: 8.1",
        versie=VERSIE,
        beantwoordt=frozenset({"melding_bewind"}),
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "einde_bewind",
        "Einde bewind",
        MODULE,
        BW,
        SE,
        "bewind",
        versie=VERSIE,
        voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
        omschrijving="Het bewind of de Wsnp is geëindigd.",
    ),
)
CODES = tuple(t.code for t in TYPEN)
