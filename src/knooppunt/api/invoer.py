"""What API v1 accepts as input, and how it says what is wrong (DESIGN §4).

A body is JSON by RFC 8259 and nothing more: no ``NaN``/``Infinity``, no number beyond what any
field could hold, no nesting deeper than an envelope needs, no member named twice in an object.
Every refusal is a HubFout (400, or 415 for a body that is not JSON) naming the field or the place
in the text, in Dutch; nothing a participant sends reaches the database unchecked or raises past
the API (a 500).
"""

from __future__ import annotations

import email.message
import json
import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from knooppunt.hub.fouten import HubFout, OngeldigVeld, ongeldig_verzoek
from knooppunt.protocol.catalogus import CATALOGUS

MAX_DIEPTE = 32  # an envelope is 2 deep; a batch of envelopes 4
MAX_CIJFERS = 30  # digits of a JSON number (limit ≤ 1000; int64 has 19)
_MAX_FOUTEN = 50  # faults listed in one answer
MAX_WAARDEN = 50_000
"""JSON values in one body, at most, counted before parsing as its ',' and ':' bytes: a verzending
of 1,000 envelopes has about 17,000 (the JWE strings hold neither). A body of millions of tiny values
(`[0,0,…]`, 5 MB) took 15 s and 600 MB to parse and kept other participants waiting (an independent
limits probe); it is refused at once."""

_JSON_FOUTEN = {
    "Expecting value": "hier verwacht het knooppunt een waarde",
    "Expecting property name enclosed in double quotes": (
        "hier hoort een veldnaam tussen dubbele aanhalingstekens"
    ),
    "Expecting ':' delimiter": "hier hoort een ':'",
    "Expecting ',' delimiter": "hier hoort een ',' (of het einde van de lijst of het object)",
    "Unterminated string starting at": "een tekst begint hier maar wordt niet afgesloten met '\"'",
    "Invalid control character at": (
        "een stuurteken (bijv. een regelovergang) in een tekst; schrijf het als \\n"
    ),
    "Invalid \\escape": "ongeldige escape met '\\'",
    "Invalid \\uXXXX escape": "ongeldige \\u-escape (verwacht vier hexadecimale cijfers)",
    "Extra data": "na het einde van de JSON volgt nog meer tekst",
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": "de body begint met een BOM; stuur UTF-8 zonder BOM",
    "Illegal trailing comma before end of object": "een komma vóór het einde van het object",
    "Illegal trailing comma before end of array": "een komma vóór het einde van de lijst",
}


class _Ongeldig:
    """A value json.loads met that RFC 8259 or the hub refuses; found by the walk afterwards, so
    the answer can name the field it stood in."""

    __slots__ = ("reden",)

    def __init__(self, reden: str) -> None:
        self.reden = reden


def _constante(naam: str) -> _Ongeldig:
    return _Ongeldig(f"{naam} is geen JSON-getal (RFC 8259); stuur een gewoon getal")


def _geheel(tekst: str) -> int | _Ongeldig:
    if len(tekst.lstrip("-")) > MAX_CIJFERS:
        return _Ongeldig(f"een getal van {len(tekst.lstrip('-'))} cijfers is te groot")
    return int(tekst)


def _gebroken(tekst: str) -> float | _Ongeldig:
    if len(tekst) > MAX_CIJFERS * 2:
        return _Ongeldig(f"een getal van {len(tekst)} tekens is te lang")
    waarde = float(tekst)
    if not math.isfinite(waarde):
        return _Ongeldig("dit getal is te groot voor JSON")
    return waarde


_DUBBEL = "komt meer dan eens voor in hetzelfde object; stuur elk veld één keer"


def _object(paren: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose members are named once. A repeated name is no field of the hub's: JSON
    parsers disagree on which value counts (Python's the last, others the first), so a body
    with two ``referentienummer`` members could mean one thing to a proxy or log and another
    to the hub. The repeated member is kept as the fault, named by the walk afterwards."""
    resultaat: dict[str, Any] = {}
    for sleutel, waarde in paren:
        resultaat[sleutel] = _Ongeldig(_DUBBEL) if sleutel in resultaat else waarde
    return resultaat


def _onleesbaar(detail: str, reden: str) -> HubFout:
    return ongeldig_verzoek(f"De body is geen geldige JSON: {detail}", [OngeldigVeld("body", reden)])


def lees_json(data: bytes) -> Any:
    """The body as JSON, strictly; raises HubFout (400) naming where it breaks."""
    if (waarden := data.count(b",") + data.count(b":")) > MAX_WAARDEN:
        reden = f"meer dan {MAX_WAARDEN} JSON-waarden ({waarden} komma's en dubbele punten)"
        raise _onleesbaar(f"{reden}; een verzending van 1.000 enveloppen heeft er ongeveer 17.000", reden)
    try:
        tekst = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reden = f"geen UTF-8 bij byte {exc.start}"
        raise _onleesbaar(f"{reden}; stuur de body in UTF-8", reden) from exc
    try:
        waarde = json.loads(
            tekst,
            object_pairs_hook=_object,
            parse_constant=_constante,
            parse_int=_geheel,
            parse_float=_gebroken,
        )
    except json.JSONDecodeError as exc:
        uitleg = _JSON_FOUTEN.get(exc.msg, exc.msg)
        reden = f"regel {exc.lineno}, kolom {exc.colno}: {uitleg}"
        raise _onleesbaar(f"op {reden}", reden) from exc
    except RecursionError as exc:
        reden = f"meer dan {MAX_DIEPTE} niveaus genest"
        raise _onleesbaar(f"{reden}; een envelop is hoogstens enkele niveaus diep", reden) from exc
    _controleer_waarden(waarde)
    return waarde


def _controleer_waarden(waarde: Any) -> None:
    """Walk the parsed body once (bounded by its size): refused numbers and too deep nesting,
    named by their field."""
    fouten: list[OngeldigVeld] = []
    stapel: list[tuple[Any, tuple[str | int, ...]]] = [(waarde, ())]
    while stapel and len(fouten) < _MAX_FOUTEN:
        item, pad = stapel.pop()
        naam = veldnaam(pad)
        if len(pad) > MAX_DIEPTE:
            fouten.append(OngeldigVeld(naam, f"meer dan {MAX_DIEPTE} niveaus genest"))
        elif isinstance(item, _Ongeldig):
            fouten.append(OngeldigVeld(naam, item.reden))
        elif isinstance(item, str):
            if not _is_unicode(item):
                fouten.append(OngeldigVeld(naam, _SURROGAAT))
        elif isinstance(item, dict):
            if not all(_is_unicode(k) for k in item):
                fouten.append(OngeldigVeld(naam, f"een veldnaam {_SURROGAAT}"))
            stapel.extend((w, (*pad, k)) for k, w in reversed(item.items()))
        elif isinstance(item, list):
            stapel.extend((w, (*pad, i)) for i, w in reversed(list(enumerate(item))))
    if fouten:
        raise ongeldig_verzoek(
            "De body is geen geldige JSON voor het knooppunt: "
            + "; ".join(f"{f.name}: {f.reason}" for f in fouten),
            fouten,
        )


_SURROGAAT = "bevat een losse surrogaat (\\ud800-\\udfff); dat is geen Unicode-tekst"


def _is_unicode(tekst: str) -> bool:
    """No lone surrogate (JSON's "\\ud800" escapes): text that UTF-8 and the database can hold."""
    if tekst.isascii():
        return True
    try:
        tekst.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def veldnaam(pad: Sequence[str | int]) -> str:
    """``referentienummers.3``: the field a fault is in, as invalidParams names it."""
    return ".".join(str(d) for d in pad) or "body"


def herhaalde_parameters(request: Request) -> HubFout | None:
    """A query parameter given more than once (``?afzender=A&afzender=B``): every parameter of API
    v1 holds one value, and which one counts differs per framework (FastAPI the last, many proxies
    and logs the first) — the query's counterpart of a member named twice in a JSON object."""
    gezien: set[str] = set()
    dubbel: list[str] = []
    for naam, _ in request.query_params.multi_items():
        if naam in gezien and naam not in dubbel:
            dubbel.append(naam)
        gezien.add(naam)
    if not dubbel:
        return None
    velden = [
        OngeldigVeld(naam[:64], "staat meer dan eens in de query; geef hem één keer") for naam in dubbel
    ]
    return ongeldig_verzoek(
        "Het verzoek klopt niet: " + "; ".join(f"{v.name} {v.reason}" for v in velden[:_MAX_FOUTEN]) + ".",
        velden[:_MAX_FOUTEN],
    )


def is_json(content_type: str | None) -> bool:
    """``application/json`` (parameters such as ``charset=utf-8`` allowed), as API v1 asks: no
    Content-Type at all and other types (``text/json``, ``application/merge-patch+json``, which
    FastAPI would also read as JSON) are `geen_json` (docs/api.md: "Another content type is `415
    GEEN_JSON`")."""
    if not content_type:
        return False
    bericht = email.message.Message()
    bericht["content-type"] = content_type
    return bericht.get_content_type() == "application/json"


def geen_json() -> HubFout:
    # A new one each time: the request's owner attaches its audit entry to the HubFout.
    return HubFout(
        "GEEN_JSON",
        415,
        "Geen JSON",
        "De body moet JSON zijn: stuur hem met Content-Type: application/json.",
        [OngeldigVeld("Content-Type", "stuur application/json")],
    )


class StrengeRequest(Request):
    """A request whose body is parsed by `lees_json`. A body that fails is kept as the fault and
    handed on as a value no schema accepts, so FastAPI still authenticates first (a stranger gets
    401, not a description of its body) and then reports the body through `als_hubfout`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                if not is_json(self.headers.get("content-type")):
                    raise geen_json()
                self._json = lees_json(await self.body())
            except HubFout as fout:
                self.state.body_fout = fout
                self._json = _Ongeldig(fout.detail)
        return self._json


# --- validation errors in Dutch ----------------------------------------------------------------

_REDENEN = {
    "missing": "ontbreekt",
    "string_type": "moet tekst zijn",
    "int_type": "moet een geheel getal zijn",
    "int_parsing": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "bool_type": "moet true of false zijn",
    "bool_parsing": "moet true of false zijn",
    "list_type": "moet een lijst zijn",
    "dict_type": "moet een JSON-object zijn",
    "model_type": "moet een JSON-object zijn",
    "model_attributes_type": "moet een JSON-object zijn",
    "string_pattern_mismatch": "heeft niet de juiste vorm",
    "extra_forbidden": "is onbekend",
}


def _reden(fout: dict[str, Any]) -> str:
    soort = str(fout.get("type", ""))
    ctx = fout.get("ctx") or {}
    if soort in ("uuid", "uuid_v4", "oin", "stuurteken", "afzender", "moment", "limiet"):
        return str(fout.get("msg", "ongeldig"))
    if soort == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "mag niet leeg zijn" if minimum == 1 else f"moet minstens {minimum} tekens lang zijn"
    if soort == "string_too_long":
        return f"mag hoogstens {ctx.get('max_length')} tekens lang zijn"
    if soort == "too_short":
        minimum = ctx.get("min_length", 1)
        return (
            "mag niet leeg zijn: geef er minstens één"
            if minimum == 1
            else f"moet minstens {minimum} elementen bevatten"
        )
    if soort == "too_long":
        return f"mag hoogstens {ctx.get('max_length')} elementen bevatten"
    if soort == "greater_than_equal":
        return f"moet minstens {ctx.get('ge')} zijn"
    if soort == "less_than_equal":
        return f"mag hoogstens {ctx.get('le')} zijn"
    if soort == "literal_error":
        return f"moet een van deze waarden zijn: {str(ctx.get('expected', '')).replace(' or ', ', ')}"
    return _REDENEN.get(soort, "is ongeldig")


def _naam(locatie: Sequence[Any]) -> str:
    # ("body", "referentienummer") → referentienummer; ("query", "limit") → limit. A union's
    # branches (e.g. "function-after[...]") are not fields.
    delen = [d for d in locatie[1:] if isinstance(d, int) or not str(d).endswith("]")]
    return veldnaam(delen)


def _catalogusfouten(body: Any, al_fout: set[str]) -> list[OngeldigVeld]:
    """An envelope's berichttype, module and versie checked against the catalogue, so that one
    answer lists every fault (a bad referentienummer no longer hides an unknown berichttype)."""
    if not isinstance(body, dict) or al_fout & {"berichttype", "module", "versie"}:
        return []
    berichttype, module, versie = body.get("berichttype"), body.get("module"), body.get("versie")
    if not all(isinstance(w, str) for w in (berichttype, module, versie)):
        return []
    assert isinstance(berichttype, str) and isinstance(module, str) and isinstance(versie, str)
    if CATALOGUS.zoek(module, berichttype) is None:
        andere = sorted(t.module for t in CATALOGUS.per_code(berichttype))
        if andere:
            return [OngeldigVeld("module", f"berichttype hoort bij module {', '.join(andere)}")]
        return [OngeldigVeld("berichttype", "bestaat niet in deze module; zie /api/v1/berichttypen")]
    versies = CATALOGUS.versies(module, berichttype)
    if versie not in versies:
        return [OngeldigVeld("versie", f"bestaat niet voor dit berichttype; gebruik {', '.join(versies)}")]
    return []


def _catalogusfouten_per_envelop(body: Any, velden: list[OngeldigVeld]) -> list[OngeldigVeld]:
    """`_catalogusfouten` for each envelope of a verzending that has faults already, named
    ``berichten.3.berichttype``: the answer lists every fault of it, as a single submit's would."""
    envelops = body.get("berichten") if isinstance(body, dict) else None
    if not isinstance(envelops, list):
        return []
    extra: list[OngeldigVeld] = []
    for index, envelop in enumerate(envelops):
        voor = f"berichten.{index}."
        eigen = {v.name.removeprefix(voor) for v in velden if v.name.startswith(voor)}
        if eigen:
            extra.extend(OngeldigVeld(voor + v.name, v.reason) for v in _catalogusfouten(envelop, eigen))
        if len(velden) + len(extra) >= _MAX_FOUTEN:
            break
    return extra


def als_hubfout(request: Request, fout: RequestValidationError) -> HubFout:
    """The refusal for a request FastAPI could not validate, in Dutch, every fault at once."""
    body_fout = getattr(request.state, "body_fout", None)
    if isinstance(body_fout, HubFout):
        return body_fout
    fouten = list(fout.errors())
    if any(
        tuple(f.get("loc", ()))[:1] == ("body",) and f.get("type") != "missing" for f in fouten
    ) and not is_json(request.headers.get("content-type")):
        return geen_json()
    velden: list[OngeldigVeld] = []
    for item in fouten[:_MAX_FOUTEN]:
        locatie = tuple(item.get("loc", ()))
        if locatie == ("body",) and item.get("type") == "missing":
            velden.append(OngeldigVeld("body", "ontbreekt: stuur een JSON-object"))
            continue
        velden.append(OngeldigVeld(_naam(locatie), _reden(item)))
    route = request.scope.get("route")
    operatie = getattr(route, "operation_id", None)
    if operatie == "verstuurBericht":
        velden.extend(_catalogusfouten(fout.body, {v.name for v in velden}))
    elif operatie == "verstuurBerichten":
        velden.extend(_catalogusfouten_per_envelop(fout.body, velden))
    ontbrekend = [v.name for v in velden if v.reason == "ontbreekt"]
    delen = []
    if ontbrekend:
        delen.append(
            f"{'dit veld ontbreekt' if len(ontbrekend) == 1 else 'deze velden ontbreken'}: "
            + ", ".join(ontbrekend)
        )
    delen.extend(f"{v.name} {v.reason}" for v in velden if v.reason != "ontbreekt")
    return ongeldig_verzoek(f"Het verzoek klopt niet: {'; '.join(delen)}.", velden)
