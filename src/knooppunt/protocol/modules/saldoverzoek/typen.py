"""The message types of module ``saldoverzoek`` — Schuldinventarisatie, fase 1 (DESIGN §3b; sourced:
the live Schuldenknooppunt's module page). Version 2.0 only."""

from __future__ import annotations

from knooppunt.protocol.soorten import SALDOVERZOEKEN, SE, Berichttype, Rol, Voorwaarde

MODULE = "saldoverzoek"
VERSIE = "2.0"
AFZENDERS = frozenset({Rol.SHV, Rol.BW})

TYPEN: tuple[Berichttype, ...] = (
    Berichttype(
        "saldoverzoek",
        "Saldoverzoek",
        MODULE,
        AFZENDERS,
        SE,
        "5.1",
        versie=VERSIE,
        antwoord_verwacht=True,
        omschrijving="Vraagt de schulden van de klant op (inventarisatie); met grondslag.",
    ),
    Berichttype(
        "saldoverzoek_nuts",
        "Saldoverzoek nuts",
        MODULE,
        AFZENDERS,
        SE,
        "5.2",
        versie=VERSIE,
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.ONTVANGER_NUTS,),
    ),
    Berichttype(
        "saldoverzoek_publiek",
        "Saldoverzoek publiek",
        MODULE,
        AFZENDERS,
        SE,
        "5.4",
        versie=VERSIE,
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.ONTVANGER_PUBLIEK,),
    ),
    Berichttype(
        "saldoverzoek_zorg",
        "Saldoverzoek zorg",
        MODULE,
        AFZENDERS,
        SE,
        "5.5",
        versie=VERSIE,
        antwoord_verwacht=True,
        voorwaarden=(Voorwaarde.ONTVANGER_ZORG,),
    ),
    Berichttype(
        "saldoverzoek_antwoord",
        "Saldoverzoek antwoord",
        MODULE,
        SE,
        AFZENDERS,
        "6.1",
        versie=VERSIE,
        beantwoordt=SALDOVERZOEKEN,
        antwoord_verplicht_verwijzing=True,
        omschrijving="Gematchte vorderingen, of ongematchte schulden: een totaalvordering of "
        "openstaande schulden.",
    ),
    Berichttype(
        "geen_medewerking",
        "Geen medewerking",
        MODULE,
        SE,
        AFZENDERS,
        "2.0: 8.1",
        versie=VERSIE,
        beantwoordt=SALDOVERZOEKEN,
        antwoord_verplicht_verwijzing=True,
    ),
    Berichttype(
        "reminder",
        "Reminderbericht",
        MODULE,
        AFZENDERS,
        SE,
        "15.1",
        versie=VERSIE,
        verwijst_naar=SALDOVERZOEKEN,
        voorwaarden=(Voorwaarde.VERWIJST_NAAR_OPEN_VRAAG,),
    ),
)
CODES = tuple(t.code for t in TYPEN)
