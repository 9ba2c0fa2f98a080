"""The message types of module ``pauzeknop`` — Landelijke pauzeknop (DESIGN §3b; sourced: the pause
runs on the kennisgeving; ``pauze_beeindigd`` and the pauze fields are our own design). Version 2.0
only; a kennisgeving here expects an answer within 10 working days."""

from __future__ import annotations

from knooppunt.protocol.soorten import KENNISGEVINGEN, SE, SHV, Berichttype, Voorwaarde

MODULE = "pauzeknop"
VERSIE = "2.0"

TYPEN: tuple[Berichttype, ...] = (
    Berichttype(
        "kennisgeving",
        "Kennisgeving (pauze)",
        MODULE,
        SHV,
        SE,
        "3.1",
        versie=VERSIE,
        antwoord_verwacht=True,
        antwoordtermijn=10,
        voorwaarden=(Voorwaarde.ONTVANGER_GEBRUIKT_GEEN_BSN,),
        omschrijving="Meldt de klant en vraagt de incasso te pauzeren (4 tot 8 maanden).",
    ),
    Berichttype(
        "kennisgeving_bsn",
        "Kennisgeving publiek (pauze)",
        MODULE,
        SHV,
        SE,
        "3.2",
        versie=VERSIE,
        antwoord_verwacht=True,
        antwoordtermijn=10,
        voorwaarden=(Voorwaarde.ONTVANGER_GEBRUIKT_BSN,),
    ),
    Berichttype(
        "kennisgeving_antwoord",
        "Kennisgeving antwoord (pauze)",
        MODULE,
        SE,
        SHV,
        "4.1",
        versie=VERSIE,
        beantwoordt=KENNISGEVINGEN,
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "geen_medewerking",
        "Geen medewerking",
        MODULE,
        SE,
        SHV,
        "2.0: 8.1",
        versie=VERSIE,
        beantwoordt=KENNISGEVINGEN,
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "pauze_beeindigd",
        "Pauze beëindigd",
        MODULE,
        SHV,
        SE,
        "pauzeknop",
        versie=VERSIE,
        voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
        omschrijving="Beëindigt een pauze voor de einddatum (eigen ontwerp).",
    ),
)
CODES = tuple(t.code for t in TYPEN)
