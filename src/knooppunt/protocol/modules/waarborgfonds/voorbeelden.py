"""Example payloads of module ``waarborgfonds``: one valid payload per message type, for the SDK, the
docs, the demo and the tests.

One story: a kredietbank's saneringskrediet ``KB-2026-0042`` of € 4.800 over 36 months. The
kredietbank asks a voorbeoordeling, then the borgstelling, which the fund gives at once (below
€ 5.000 and at most 36 months, see ``sbn.py``); the credit is paid out on 2 February 2026, reported in
the kredietinformatie of 1 October 2026, and later ended or claimed. The aanvraag overname is about
a second credit, ``KB-2024-0917``, that the kredietbank took over from another one.
"""

from __future__ import annotations

from typing import Any

KENMERK = "KB-2026-0042"
KENMERK_OVERNAME = "KB-2024-0917"
PRO_FORMA = "3f6c2a1e-8b4d-4e7a-9c15-2d8e7f0a1b3c"

_CONTACT: dict[str, Any] = {
    "naam": "M. de Boer",
    "telefoon": "030 765 4321",
    "email": "kredietverlening@kredietbank.example.nl",
}
_VOORBEOORDELING: dict[str, Any] = {
    "kenmerk": KENMERK,
    "soortLening": "SK",
    "borgstellingCategorie": "100",
    "postcodeGebied": "3511",
    "brutoKredietsom": 480000,
    "nettoKredietsom": 450000,
    "maandaflossing": 13334,
    "looptijdMaanden": 36,
    "contact": _CONTACT,
}
_STATISTIEKEN: list[dict[str, Any]] = [
    {"code": "Betalende instantie", "waarde": "GEMEENTE"},
    {"code": "Leeftijdsgroep", "waarde": "35-44"},
    {"code": "Bevolkingsgroep", "waarde": None},
    {"code": "Kredietdoel", "waarde": "SANERING"},
]

VOORBEELDEN: dict[str, dict[str, Any]] = {
    "voorbeoordeling": _VOORBEOORDELING,
    "aanvraag_borgstelling": {
        **_VOORBEOORDELING,
        "statistieken": _STATISTIEKEN,
        "proFormaBorgstelling": PRO_FORMA,
    },
    "aanvraag_overname": {
        **_VOORBEOORDELING,
        "kenmerk": KENMERK_OVERNAME,
        "postcodeGebied": "3526",
        "brutoKredietsom": 420000,
        "nettoKredietsom": 400000,
        "maandaflossing": 11667,
        "statistieken": _STATISTIEKEN,
        "uitstaandSaldo": 186000,
        "datumUitbetaald": "2024-06-03",
    },
    "beeindiging_borgstelling": {
        "kenmerk": KENMERK,
        "datumBeeindigd": "2026-11-30",
        "reden": "afgelost",
    },
    "verzoek_uitbetaling": {
        "kenmerk": KENMERK,
        "reden": "nieuwe_schulden",
        "toelichting": "De klant heeft nieuwe schulden gemaakt en betaalt sinds juni 2026 niet meer.",
    },
    "gebeurtenis": {
        "kenmerk": KENMERK,
        "gebeurtenis": "borgstelling_afgegeven",
        "toelichting": "Borgstelling afgegeven: onder € 5.000 en looptijd ten hoogste 36 maanden.",
    },
    "verzoek_kredietinformatie": {
        "peildatum": "2026-10-01",
        "laatsteAanlevering": "2026-07-01",
    },
    "kredietinformatie": {
        "peildatum": "2026-10-01",
        "kredieten": [
            {
                "kenmerk": KENMERK,
                "uitbetaaldatum": "2026-02-02",
                "kredietsom": {"bruto": 480000, "netto": 450000},
                "betalingen": {
                    "laatsteAflosdatum": "2026-09-01",
                    "aflossing": 93338,
                    "kredietvergoeding": 4200,
                    "vertragingsrente": 0,
                },
                "achterstanden": {
                    "aflossing": 13334,
                    "kredietvergoeding": 0,
                    "vertragingsrente": 150,
                    "boeterente": 0,
                },
                "betalingsregeling": True,
                "dubieus": False,
            }
        ],
    },
}
"""One valid example payload per message type of module waarborgfonds, version 2.0."""
