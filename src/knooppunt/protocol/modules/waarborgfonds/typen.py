"""The message types of module ``waarborgfonds`` — Waarborgfonds saneringskredieten (DESIGN §3b;
sourced: SBN's public documentation, github.com/sbnnl/documentatie). A kredietbank (``SHV``) and
the fund (``WF``). Version 2.0 only; answers to a kredietbank's request are due in 5 working days."""

from __future__ import annotations

from knooppunt.protocol.soorten import SHV, WF, Berichttype, Voorwaarde

MODULE = "waarborgfonds"
VERSIE = "2.0"
AANVRAGEN = frozenset(
    {
        "voorbeoordeling",
        "aanvraag_borgstelling",
        "aanvraag_overname",
        "beeindiging_borgstelling",
        "verzoek_uitbetaling",
    }
)


def _aanvraag(code: str, naam: str, omschrijving: str) -> Berichttype:
    return Berichttype(
        code,
        naam,
        MODULE,
        SHV,
        WF,
        "SBN",
        versie=VERSIE,
        antwoord_verwacht=True,
        antwoordtermijn=5,
        omschrijving=omschrijving,
    )


TYPEN: tuple[Berichttype, ...] = (
    _aanvraag(
        "voorbeoordeling", "Voorbeoordeling", "Pro-forma-aanvraag van een borgstelling, zonder statistieken."
    ),
    _aanvraag(
        "aanvraag_borgstelling",
        "Aanvraag borgstelling",
        "Aanvraag van een borgstelling voor een saneringskrediet.",
    ),
    _aanvraag(
        "aanvraag_overname", "Aanvraag overname", "Aanvraag van een borgstelling voor een lopend krediet."
    ),
    _aanvraag(
        "beeindiging_borgstelling",
        "Beëindiging borgstelling",
        "Meldt dat het krediet is afgelost of beëindigd.",
    ),
    _aanvraag(
        "verzoek_uitbetaling", "Verzoek uitbetaling", "Vraagt het fonds de borgstelling uit te betalen."
    ),
    Berichttype(
        "gebeurtenis",
        "Gebeurtenis",
        MODULE,
        WF,
        SHV,
        "SBN",
        versie=VERSIE,
        beantwoordt=AANVRAGEN,
        antwoord_verplicht_verwijzing=False,
        voorwaarden=(Voorwaarde.EERDER_UITGEWISSELD,),
        omschrijving="Een besluit of gebeurtenis in een dossier: antwoord op een aanvraag, of later in "
        "de conversatie van het dossier.",
    ),
    Berichttype(
        "verzoek_kredietinformatie",
        "Verzoek kredietinformatie",
        MODULE,
        WF,
        SHV,
        "SBN",
        versie=VERSIE,
        antwoord_verwacht=True,
        antwoordtermijn=10,
        omschrijving="Het fonds vraagt de stand van de geborgde kredieten op een peildatum.",
    ),
    Berichttype(
        "kredietinformatie",
        "Kredietinformatie",
        MODULE,
        SHV,
        WF,
        "SBN",
        versie=VERSIE,
        beantwoordt=frozenset({"verzoek_kredietinformatie"}),
        antwoord_verplicht_verwijzing=True,
        omschrijving="De stand van elk geborgd krediet op de peildatum: betalingen, achterstanden, "
        "betalingsregeling en dubieus.",
    ),
)
CODES = tuple(t.code for t in TYPEN)
