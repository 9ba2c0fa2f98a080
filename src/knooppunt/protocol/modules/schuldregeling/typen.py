"""The message types of module ``schuldregeling`` per version (DESIGN §3, §3a).

``typen`` is shared with module ``betalingsregeling``, which has "the same types, answers,
deadlines and conditions as schuldregeling 2.0" (DESIGN §3b).
"""

from __future__ import annotations

from knooppunt.protocol.soorten import (
    KENNISGEVINGEN,
    SALDOVERZOEKEN,
    SE,
    SHV,
    Berichttype,
    Voorwaarde,
)

GEEN_MEDEWERKING_REDENEN = (
    "klant_onbekend",
    "recente_finale_kwijting",
    "recente_poging_tot_stabilisatie",
    "geen_samenwerking_met_shv",
)


def typen(module: str, versie: str) -> tuple[Berichttype, ...]:
    """The participant-authored types of schuldregeling in ``versie`` ("1.0" or "2.0"), for ``module``."""
    v2 = versie != "1.0"
    bv_vragen = frozenset({"betaalvoorstel", "heroverweging"}) if v2 else frozenset({"betaalvoorstel"})
    lijst = [
        Berichttype(
            "kennisgeving",
            "Kennisgeving" if v2 else "Klant gemeld voor SHV",
            module,
            SHV,
            SE,
            "3.1",
            versie=versie,
            voorwaarden=(Voorwaarde.ONTVANGER_GEBRUIKT_GEEN_BSN,),
            omschrijving="Start van stabilisatie onder de NVVK-convenanten (3.3); geen VISH-melding (3.4).",
        ),
        Berichttype(
            "kennisgeving_bsn",
            "Kennisgeving publiek" if v2 else "Klant (BSN) gemeld voor SHV",
            module,
            SHV,
            SE,
            "3.2",
            versie=versie,
            voorwaarden=(Voorwaarde.ONTVANGER_GEBRUIKT_BSN,),
            omschrijving="Als kennisgeving, voor schuldeisers die de klant op BSN identificeren.",
        ),
        Berichttype(
            "kennisgeving_antwoord",
            "Kennisgeving antwoord" if v2 else "Klant gemeld voor SHV antwoord",
            module,
            SE,
            SHV,
            "4.1",
            versie=versie,
            beantwoordt=KENNISGEVINGEN,
            antwoord_verplicht_verwijzing=True,
            omschrijving="Klantnummer en factuurnummers; geen termijn (4.2).",
        ),
        Berichttype(
            "saldoverzoek", "Saldoverzoek", module, SHV, SE, "5.1", versie=versie, antwoord_verwacht=True
        ),
        Berichttype(
            "saldoverzoek_nuts",
            "Saldoverzoek nuts",
            module,
            SHV,
            SE,
            "5.2",
            versie=versie,
            antwoord_verwacht=True,
            voorwaarden=(Voorwaarde.ONTVANGER_NUTS,),
        ),
        Berichttype(
            "saldoverzoek_publiek",
            "Saldoverzoek publiek",
            module,
            SHV,
            SE,
            "5.4",
            versie=versie,
            antwoord_verwacht=True,
            voorwaarden=(Voorwaarde.ONTVANGER_PUBLIEK,),
        ),
        Berichttype(
            "saldoverzoek_zorg",
            "Saldoverzoek zorg",
            module,
            SHV,
            SE,
            "5.5",
            versie=versie,
            antwoord_verwacht=True,
            voorwaarden=(Voorwaarde.ONTVANGER_ZORG,),
        ),
        Berichttype(
            "saldoverzoek_antwoord",
            "Saldoverzoek antwoord",
            module,
            SE,
            SHV,
            "6.1",
            versie=versie,
            beantwoordt=SALDOVERZOEKEN,
            antwoord_verplicht_verwijzing=True,
        ),
        Berichttype(
            "saldoverzoek_antwoord_standaard_akkoord",
            "Saldoverzoek antwoord – standaard akkoord",
            module,
            SE,
            SHV,
            "7.1",
            versie=versie,
            beantwoordt=SALDOVERZOEKEN,
            antwoord_verplicht_verwijzing=True,
            voorwaarden=(Voorwaarde.AFZENDER_STANDAARD_AKKOORD,),
            omschrijving="Vooraf akkoord met het betaalvoorstel (7.2); schema als saldoverzoek_antwoord.",
        ),
        Berichttype(
            "betaalvoorstel",
            "Betaalvoorstel",
            module,
            SHV,
            SE,
            "9.1",
            versie=versie,
            antwoord_verwacht=True,
            voorwaarden=(Voorwaarde.GEEN_STANDAARD_AKKOORD_ONTVANGEN,),
        ),
        Berichttype(
            "betaalvoorstel_akkoord",
            "Betaalvoorstel antwoord (akkoord)",
            module,
            SE,
            SHV,
            "10.1",
            versie=versie,
            beantwoordt=bv_vragen,
            antwoord_verplicht_verwijzing=True,
        ),
        Berichttype(
            "betaalvoorstel_niet_akkoord",
            "Betaalvoorstel antwoord (niet akkoord)",
            module,
            SE,
            SHV,
            "10.2",
            versie=versie,
            beantwoordt=bv_vragen,
            antwoord_verplicht_verwijzing=True,
        ),
        Berichttype(
            "schuldregeling_geaccordeerd",
            "Schuldregeling geaccordeerd",
            module,
            SHV,
            SE,
            "11.1",
            versie=versie,
            voorwaarden=(Voorwaarde.LAATSTE_ANTWOORD_AKKOORD,),
        ),
        Berichttype(
            "schuldregeling_beeindigd",
            "Schuldregeling beëindigd",
            module,
            SHV,
            SE,
            "12.1",
            versie=versie,
            voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
        ),
        Berichttype(
            "statusbericht",
            "Statusbericht",
            module,
            SHV,
            SE,
            "13.1",
            versie=versie,
            beantwoordt=frozenset({"statusverzoek"}),
            antwoord_verplicht_verwijzing=False,
            omschrijving="Wordt niet beantwoord (13.4); beantwoordt optioneel een statusverzoek (14.2).",
        ),
        Berichttype(
            "statusverzoek",
            "Statusverzoek",
            module,
            SE,
            SHV,
            "14.1",
            versie=versie,
            antwoord_verwacht=True,
            voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
        ),
        Berichttype(
            "reminder",
            "Reminderbericht",
            module,
            SHV,
            SE,
            "15.1",
            versie=versie,
            verwijst_naar=SALDOVERZOEKEN | bv_vragen,
            voorwaarden=(Voorwaarde.VERWIJST_NAAR_OPEN_VRAAG,),
        ),
    ]
    if v2:
        lijst += [
            Berichttype(
                "geen_medewerking",
                "Geen medewerking",
                module,
                SE,
                SHV,
                "2.0: 8.1",
                versie=versie,
                beantwoordt=KENNISGEVINGEN | SALDOVERZOEKEN,
                antwoord_verplicht_verwijzing=True,
                omschrijving="Vervangt 'klant onbekend' van 1.0; reden: "
                + ", ".join(GEEN_MEDEWERKING_REDENEN)
                + ".",
            ),
            Berichttype(
                "heroverweging",
                "Heroverweging",
                module,
                SHV,
                SE,
                "2.0: 10.3",
                versie=versie,
                antwoord_verwacht=True,
                verwijst_naar=frozenset({"betaalvoorstel_niet_akkoord"}),
                verwijst_naar_ontvangen=True,
                voorwaarden=(Voorwaarde.VERWIJST_NAAR_LAATSTE_NIET_AKKOORD,),
                omschrijving="Verzoek het betaalvoorstel te heroverwegen; verwijst naar het niet-akkoord "
                "zonder het te beantwoorden.",
            ),
        ]
    else:
        lijst.append(
            Berichttype(
                "klant_onbekend",
                "Klant onbekend",
                module,
                SE,
                SHV,
                "8.1",
                versie=versie,
                beantwoordt=KENNISGEVINGEN | SALDOVERZOEKEN,
                antwoord_verplicht_verwijzing=True,
            )
        )
    return tuple(lijst)
