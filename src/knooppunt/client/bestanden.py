"""Messages from files, for ``knooppunt client send``: one payload as a JSON file, or many
messages as JSON Lines (``--reeks``). Errors are ``VerzendFout`` with code BESTAND, naming the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knooppunt.client.berichten import TeVersturen
from knooppunt.client.fouten import VerzendFout


def lees_payload(pad: Path) -> dict[str, Any]:
    """A payload file for ``knooppunt client send``: one JSON object."""
    try:
        data = json.loads(pad.read_text(encoding="utf-8"))
    except OSError as exc:
        raise VerzendFout("BESTAND", f"{pad} kan niet gelezen worden: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise VerzendFout(
            "BESTAND", f"{pad} is geen geldige JSON (regel {exc.lineno}, kolom {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(data, dict):
        raise VerzendFout("BESTAND", f"{pad} moet één JSON-object bevatten, geen {type(data).__name__}")
    return data


_REGELVELDEN = {
    "ontvanger": "ontvanger",
    "berichttype": "berichttype",
    "module": "module",
    "conversatie": "conversatie",
    "antwoordOp": "antwoord_op",
    "versie": "versie",
    "referentienummer": "referentienummer",
    "payload": "payload",
}
_VERPLICHT = ("ontvanger", "berichttype", "conversatie", "payload")


def lees_reeks(pad: Path) -> list[TeVersturen]:
    """The messages of ``knooppunt client send --reeks FILE.jsonl``: one JSON object per line with
    what `knooppunt client send` takes as options (``antwoordOp`` for ``--antwoord-op``), the
    payload inline as an object or as the name of a JSON file (relative to FILE's folder). Empty
    lines are skipped. Raises ``VerzendFout`` (code BESTAND) naming the first line at fault."""
    try:
        regels = pad.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise VerzendFout("BESTAND", f"{pad} kan niet gelezen worden: {exc}") from exc
    berichten: list[TeVersturen] = []
    for nummer, regel in enumerate(regels, start=1):
        if not regel.strip():
            continue
        waar = f"{pad} regel {nummer}"
        try:
            data = json.loads(regel)
        except json.JSONDecodeError as exc:
            raise VerzendFout(
                "BESTAND", f"{waar} is geen geldige JSON (kolom {exc.colno}: {exc.msg})"
            ) from exc
        if not isinstance(data, dict):
            raise VerzendFout("BESTAND", f"{waar} moet één JSON-object zijn, geen {type(data).__name__}")
        onbekend = sorted(set(data) - set(_REGELVELDEN))
        ontbreekt = [v for v in _VERPLICHT if v not in data]
        if onbekend or ontbreekt:
            delen = ([f"onbekend: {', '.join(onbekend)}"] if onbekend else []) + (
                [f"ontbreekt: {', '.join(ontbreekt)}"] if ontbreekt else []
            )
            raise VerzendFout("BESTAND", f"{waar}: {'; '.join(delen)} (velden: {', '.join(_REGELVELDEN)})")
        velden = {_REGELVELDEN[k]: v for k, v in data.items()}
        payload = velden["payload"]
        if isinstance(payload, str):
            velden["payload"] = lees_payload(pad.parent / payload)
        elif not isinstance(payload, dict):
            raise VerzendFout(
                "BESTAND", f"{waar}: payload moet een JSON-object zijn of de naam van een bestand"
            )
        for naam, waarde in velden.items():
            if naam != "payload" and waarde is not None and not isinstance(waarde, str):
                raise VerzendFout("BESTAND", f"{waar}: {naam} moet tekst zijn")
        berichten.append(TeVersturen(**velden))
    if not berichten:
        raise VerzendFout("BESTAND", f"{pad} bevat geen berichten (één JSON-object per regel)")
    return berichten
