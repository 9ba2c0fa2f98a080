"""The mailbox: submit, fetch, confirm, refuse, expire (DESIGN §4, §6).

Content-blind: the hub stores the JWE it is given and deletes it once the recipient confirms,
refuses it or lets it expire. It reads only the JWE's protected header.

One file per step: `envelop` (what is submitted, settings, refusals), `toelating` (the one
admission pipeline of single and batch submits, over a view of the database) with its checks in
`controles`, `verzenden` (storing what is let in), `bevestigen` (confirm, answer, refuse),
`meldingen` (the hub's own notices), `ophalen` (the inbox), `verlopen` (expiry) and
`overzichten` (sent messages, conversations, reminders).
"""

from knooppunt.hub.mailbox.bevestigen import Bevestiging, bevestig, bevestig_meerdere, weiger
from knooppunt.hub.mailbox.envelop import KNOOPPUNT, WEIGERREDENEN, Envelop, Instellingen, Reeksweigering
from knooppunt.hub.mailbox.meldingen import hub_bericht
from knooppunt.hub.mailbox.ophalen import (
    Pagina,
    een_bericht,
    inhoud_van,
    kies_pagina,
    nieuw_per_type,
    ontvangen_set,
    open_berichten,
    ophalen,
    ophalen_pagina,
)
from knooppunt.hub.mailbox.overzichten import (
    Conversatieoverzicht,
    aantal_reminders,
    conversatie,
    conversatie_of_leeg,
    conversaties,
    kan_reminder_krijgen,
    meldingen_over,
    status_op,
    te_laat,
    verstuurd_set,
    verzonden,
)
from knooppunt.hub.mailbox.verlopen import verloop, verloop_reeks
from knooppunt.hub.mailbox.verzenden import controleer_reeks, verstuur, verstuur_reeks

__all__ = [
    "KNOOPPUNT",
    "WEIGERREDENEN",
    "Bevestiging",
    "Conversatieoverzicht",
    "Envelop",
    "Instellingen",
    "Pagina",
    "Reeksweigering",
    "aantal_reminders",
    "bevestig",
    "bevestig_meerdere",
    "controleer_reeks",
    "conversatie",
    "conversatie_of_leeg",
    "conversaties",
    "een_bericht",
    "hub_bericht",
    "inhoud_van",
    "kan_reminder_krijgen",
    "kies_pagina",
    "meldingen_over",
    "nieuw_per_type",
    "ontvangen_set",
    "open_berichten",
    "ophalen",
    "ophalen_pagina",
    "status_op",
    "te_laat",
    "verloop",
    "verloop_reeks",
    "verstuur",
    "verstuur_reeks",
    "verstuurd_set",
    "verzonden",
    "weiger",
]
