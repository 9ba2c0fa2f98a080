"""Module ``schuldregeling`` — schuldbemiddeling and saneringskrediet (DESIGN §3, §3a), versions 1.0
(the handbook's Procesafspraken, articles 3–15) and 2.0 (the live afsprakenstelsel)."""

from __future__ import annotations

from knooppunt.protocol.modules.schuldregeling import payloads, versie_2_0, voorbeelden
from knooppunt.protocol.modules.schuldregeling.typen import typen
from knooppunt.protocol.soorten import Moduledefinitie

MODULE = Moduledefinitie(
    code="schuldregeling",
    naam="Schuldregeling",
    omschrijving="Schuldbemiddeling en saneringskrediet: kennisgeving, saldoverzoek, betaalvoorstel, "
    "schuldregeling geaccordeerd of beëindigd, status en reminder.",
    bron="Handboek Schuldenknooppunt II Procesafspraken 1.0 (art. 3–15); afsprakenstelsel 2.0 van het "
    "Schuldenknooppunt (kennisgeving publiek, geen medewerking, heroverweging, 10 werkdagen).",
    versies=("1.0", "2.0"),
    typen=typen("schuldregeling", "1.0") + typen("schuldregeling", "2.0"),
    payloads={
        **{(code, "1.0"): model for code, model in payloads.MODELLEN.items()},
        **{(code, "2.0"): model for code, model in versie_2_0.MODELLEN.items()},
    },
    voorbeelden={(code, versie): v for (_m, code, versie), v in voorbeelden.VOORBEELDEN.items()}
    | {(code, "2.0"): v for code, v in versie_2_0.VOORBEELDEN.items()},
)
