"""Message builders of the participant SDK: any type of any module and version (DESIGN §3–§3b).

The catalogue is data, so one builder serves every type: it looks the type up in the stated
version, validates the payload against that version's schema and says in Dutch what is wrong
before anything is sealed. Without a version it takes the highest one both parties accept (their
adresboek ``versies``, DESIGN §3a) in which the type exists; an answer or a reference carries the
version of the message it names.

    >>> kies_versie("schuldregeling", "klant_onbekend", ["1.0", "2.0"], ["1.0", "2.0"])
    '1.0'
    >>> kies_versie("schuldregeling", "heroverweging", ["1.0", "2.0"], ["1.0", "2.0"])
    '2.0'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knooppunt.client.fouten import VerzendFout
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, versiesleutel
from knooppunt.protocol.payloads import OnbekendPayloadtype, OngeldigePayload, valideer

__all__ = [
    "TeVersturen",
    "antwoordtypen",
    "controleer_antwoord",
    "controleer_type",
    "kies_versie",
    "valideer_payload",
]


@dataclass(frozen=True, slots=True)
class TeVersturen:
    """One message for `HubClient.verstuur_reeks`: what `HubClient.verstuur` takes. ``versie``
    None: the referenced message's version (``antwoord_op``), else the highest both accept."""

    ontvanger: str
    berichttype: str
    payload: Mapping[str, Any]
    conversatie: str
    module: str = "schuldregeling"
    versie: str | None = None
    antwoord_op: str | None = None
    referentienummer: str | None = None


def controleer_type(module: str, code: str, versie: str) -> Berichttype:
    """The type in that version; ``VerzendFout`` (ONBEKENDE_MODULE, ONBEKEND_BERICHTTYPE or
    ONBEKENDE_VERSIE) naming what does exist otherwise."""
    if CATALOGUS.module(module) is None:
        raise VerzendFout(
            "ONBEKENDE_MODULE",
            f"module {module!r} bestaat niet; kies uit {', '.join(CATALOGUS.modulecodes())}",
        )
    versies = CATALOGUS.versies(module, code)
    if not versies:
        elders = sorted({t.module for t in CATALOGUS.per_code(code)})
        waar = f"; het hoort bij module {', '.join(elders)}" if elders else ""
        if vervanging := CATALOGUS.vervanging(module, code):
            waar += f"; {vervanging}"
        raise VerzendFout(
            "ONBEKEND_BERICHTTYPE", f"berichttype {code!r} bestaat niet in module {module}{waar}"
        )
    berichttype = CATALOGUS.zoek(module, code, versie)
    if berichttype is None:
        if vervanging := CATALOGUS.vervanging(module, code, versie):
            # An answer stays in its question's version (DESIGN §3a).
            raise VerzendFout(
                "ONBEKENDE_VERSIE",
                f"berichttype {code} bestaat niet in versie {versie} van module {module}: "
                f"{vervanging}. Een antwoord blijft in de versie van zijn vraag; beantwoord een "
                f"vraag uit versie {', '.join(versies)} met {code} in die versie",
            )
        raise VerzendFout(
            "ONBEKENDE_VERSIE",
            f"berichttype {code} bestaat niet in versie {versie} van module {module}; "
            f"het bestaat in versie {', '.join(versies)}",
        )
    if berichttype.door_knooppunt:
        raise VerzendFout("ONBEKEND_BERICHTTYPE", f"{code} wordt alleen door het knooppunt zelf verstuurd")
    return berichttype


def kies_versie(module: str, code: str, eigen: Sequence[str], ander: Sequence[str]) -> str:
    """The highest version of ``module`` that both parties accept and that has type ``code``
    (DESIGN §3a), for a caller that named no version. ``VerzendFout`` GEEN_GEMEENSCHAPPELIJKE_VERSIE
    when there is none: the two accept no version in common, or the type exists in none of the
    common ones (the detail says which). ONBEKENDE_VERSIE is for a version the caller named
    (`controleer_type`)."""
    bestaat = CATALOGUS.versies(module, code)
    if not bestaat:
        controleer_type(module, code, "")  # raises the right error
    gemeen = sorted((v for v in eigen if v in ander), key=versiesleutel)
    if not gemeen:
        raise VerzendFout(
            "GEEN_GEMEENSCHAPPELIJKE_VERSIE",
            f"u en de ontvanger hebben geen versie van module {module} gemeen (u: "
            f"{', '.join(eigen) or 'geen'}; de ontvanger: {', '.join(ander) or 'geen'}); gebruik een "
            "ander kanaal of vraag de beheerder de versies aan te passen",
        )
    bruikbaar = [v for v in gemeen if v in bestaat]
    if not bruikbaar:
        raise VerzendFout(
            "GEEN_GEMEENSCHAPPELIJKE_VERSIE",
            f"berichttype {code} bestaat niet in de versie(s) van module {module} die u en de "
            f"ontvanger beide ondersteunen ({', '.join(gemeen)}); het bestaat in versie "
            f"{', '.join(bestaat)} (u: {', '.join(eigen)}; de ontvanger: {', '.join(ander)}). Gebruik "
            "een ander kanaal, of vraag de beheerder de versies aan te passen",
        )
    return bruikbaar[-1]


def valideer_payload(
    module: str, code: str, versie: str, payload: Mapping[str, Any], *, afzender_rol: str | None = None
) -> dict[str, Any]:
    """The payload as it will be signed (validated against the schema of that version, normalised);
    ``VerzendFout`` ONGELDIGE_INHOUD naming every field at fault otherwise. Fields the caller left
    out stay out, and an explicit null stays null (a field may be required but nullable). With
    ``afzender_rol`` also the module's rules that depend on the sender's role (a bewindvoerder's
    saldoverzoek rests on the beschikking, DESIGN §3b)."""
    controleer_type(module, code, versie)
    try:
        model = valideer(module, code, versie, dict(payload))
    except OngeldigePayload as exc:
        raise VerzendFout("ONGELDIGE_INHOUD", str(exc), velden=exc.als_invalid_params()) from exc
    except OnbekendPayloadtype as exc:
        raise VerzendFout("ONBEKENDE_VERSIE", str(exc)) from exc
    gegevens = model.model_dump(mode="json", exclude_unset=True)
    if afzender_rol is not None:
        controleer_afzender(module, code, afzender_rol, gegevens)
    return gegevens


def controleer_afzender(module: str, code: str, afzender_rol: str, gegevens: Mapping[str, Any]) -> None:
    """The module's rules that depend on the sender's role (`Moduledefinitie.afzenderregels`: a
    bewindvoerder's saldoverzoek rests on the beschikking, DESIGN §3b), before sealing: the SDK's
    `valideer_payload` and the portal's hosted client; ``VerzendFout`` ONGELDIGE_INHOUD naming the
    field."""
    definitie = CATALOGUS.module(module)
    fout = definitie.afzenderfout(code, afzender_rol, gegevens) if definitie is not None else None
    if fout is not None:
        veld, reden = fout
        raise VerzendFout("ONGELDIGE_INHOUD", reden, velden=[{"name": veld, "reason": reden}])


def _past(t: Berichttype, code: str, ontvangen: bool) -> bool:
    """``t`` answers or refers to a message of type ``code`` that one received (``ontvangen``: an
    answer, or a heroverweging naming a niet-akkoord) or sent oneself (a reminder)."""
    if ontvangen and t.beantwoordt_type(code):
        return True
    return code in t.verwijst_naar and t.verwijst_naar_ontvangen == ontvangen


def antwoordtypen(module: str, code: str, versie: str, *, ontvangen: bool = True) -> list[str]:
    """The types with which one may answer, or refer to, a received message of type ``code`` in
    that module and version, in the module's order (a saldoverzoek → saldoverzoek_antwoord, …; a
    niet-akkoord in 2.0 → heroverweging); with ``ontvangen=False`` those that refer to a message
    one sent oneself (a reminder). The hub notices are left out."""
    return [
        t.code
        for t in CATALOGUS.alle()
        if t.module == module and t.versie == versie and not t.door_knooppunt and _past(t, code, ontvangen)
    ]


def controleer_antwoord(
    module: str, vraag: str, versie: str, antwoord: str, *, ontvangen: bool = True
) -> Berichttype:
    """``antwoord`` may answer or refer to a ``vraag`` in that module and version (one received,
    or with ``ontvangen=False`` one sent oneself); ``VerzendFout`` GEEN_ANTWOORD naming the types
    that may, otherwise."""
    berichttype = controleer_type(module, antwoord, versie)
    if _past(berichttype, vraag, ontvangen):
        return berichttype
    mogelijk = antwoordtypen(module, vraag, versie, ontvangen=ontvangen)
    wat = "beantwoordt" if ontvangen else "verwijst naar"
    raise VerzendFout(
        "GEEN_ANTWOORD",
        f"{antwoord} {wat} in module {module} versie {versie} geen {'ontvangen' if ontvangen else 'eigen'} "
        f"{vraag}; "
        + (
            f"daarvoor gebruikt u {', '.join(mogelijk)}"
            if mogelijk
            else f"op een {vraag} volgt geen {'antwoord' if ontvangen else 'herinnering'}"
        ),
    )
