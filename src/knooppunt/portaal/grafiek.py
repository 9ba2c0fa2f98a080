"""Bar charts as server-rendered inline SVG (no JavaScript, nothing from elsewhere; the CSP allows
no inline ``style``, so colours are SVG presentation attributes). This module computes the
geometry; templates/beheer/_grafiek.html draws it with a <title> and <desc>, and every chart has
a table with the same figures beside it (WCAG 1.1.1).

Colours have a contrast of at least 3:1 against the white background and against each other
(WCAG 1.4.11), and every bar carries its value as text, so no figure is told by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

BREEDTE = 560
"""A chart's width in SVG units, drawn at its own size in CSS pixels where it fits (the dashboard's
chart column from tablet width up), so that its 13-unit text is 13 px. On a phone it keeps that
size and scrolls sideways in its own labelled region, as a wide table does (beheer.css
``.grafiek-rol``), instead of being shrunk to fit: 720 units at 360 px gave text of about 6 px."""
TEKENBREEDTE = 7.5
"""About the width of a digit or letter of the charts' 13-unit text: to keep texts from overlapping."""

WIT = "#ffffff"
TEKST = "#1b1b1b"
RASTER = "#767676"  # grid lines: 4.5:1 on white
REEKSEN = ("#154273", "#e17000")  # dark blue 10.2:1, orange 3.2:1 on white; 3.2:1 to each other


def contrast(kleur: str, achter: str = WIT) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours."""

    def luminantie(hexkleur: str) -> float:
        kanalen = [int(hexkleur[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lineair = [k / 12.92 if k <= 0.03928 else ((k + 0.055) / 1.055) ** 2.4 for k in kanalen]
        return 0.2126 * lineair[0] + 0.7152 * lineair[1] + 0.0722 * lineair[2]

    licht, donker = sorted((luminantie(kleur), luminantie(achter)), reverse=True)
    return (licht + 0.05) / (donker + 0.05)


def mooie_stap(waarde: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above ``waarde``: a grid step that reads easily."""
    if waarde <= 0:
        return 1.0
    macht = 10 ** math.floor(math.log10(waarde))
    for stap in (1, 2, 5, 10):
        if stap * macht >= waarde - 1e-12:
            return float(stap * macht)
    return float(10 * macht)


def mooi_maximum(waarde: float, *, ondergrens: float = 1.0, stappen: int = 4) -> float:
    """An axis maximum of ``stappen`` easy steps at or above ``waarde`` (at least ``ondergrens``),
    e.g. 26 → 40 (0, 10, 20, 30, 40)."""
    return stappen * mooie_stap(max(waarde, ondergrens) / stappen)


def getal(waarde: float, decimalen: int = 0) -> str:
    """Dutch number formatting: 1.234 and 12,5."""
    tekst = f"{waarde:,.{decimalen}f}"
    return tekst.replace(",", "_").replace(".", ",").replace("_", ".")


@dataclass(frozen=True, slots=True)
class Staaf:
    x: float
    y: float
    breedte: float
    hoogte: float
    kleur: str
    tekst: str  # the value as shown beside or above the bar ("" where it would overlap another)
    tekst_x: float
    tekst_y: float
    anker: str  # text-anchor: start | middle


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    tekst: str
    anker: str = "end"


@dataclass(frozen=True, slots=True)
class Lijn:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(slots=True)
class Grafiek:
    id: str
    titel: str
    beschrijving: str
    breedte: int
    hoogte: int
    staven: list[Staaf] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lijnen: list[Lijn] = field(default_factory=list)
    legenda: list[tuple[str, str, float, float]] = field(default_factory=list)  # kleur, naam, x, y

    kleur_tekst: str = TEKST
    kleur_raster: str = RASTER


def kolommen(
    id: str,
    titel: str,
    beschrijving: str,
    labels: Sequence[str],
    waarden: Sequence[float],
    *,
    breedte: int = BREEDTE,
    hoogte: int = 260,
) -> Grafiek:
    """Vertical bars, one per label (e.g. messages per week)."""
    links, rechts, boven, onder = 48, 12, 24, 44
    grafiek = Grafiek(id, titel, beschrijving, breedte, hoogte)
    # Counts: at least 4, so that the four grid steps are whole numbers.
    maximum = mooi_maximum(max(waarden, default=0), ondergrens=4)
    plot_h = hoogte - boven - onder
    plot_b = breedte - links - rechts
    for stap in range(5):
        waarde = maximum * stap / 4
        y = boven + plot_h - plot_h * stap / 4
        grafiek.lijnen.append(Lijn(links, y, breedte - rechts, y))
        grafiek.labels.append(Label(links - 6, y + 4, getal(waarde, 0 if waarde == int(waarde) else 1)))
    if not waarden:
        return grafiek
    vak = plot_b / len(waarden)
    staaf_b = max(2.0, min(48.0, vak * 0.7))
    elk = max(1, math.ceil(len(waarden) / 14))  # at most ~14 axis labels, so they do not overlap
    # Values above the bars likewise: on every bar while they fit beside each other (up to some 15
    # weeks), else on every n-th; the table beside the chart has them all.
    teksten = [getal(w) for w in waarden]
    elke_waarde = max(1, math.ceil((max(len(t) for t in teksten) * TEKENBREEDTE + 4) / vak))
    for i, (label, waarde) in enumerate(zip(labels, waarden, strict=True)):
        h = plot_h * waarde / maximum
        x = links + vak * i + (vak - staaf_b) / 2
        y = boven + plot_h - h
        tekst = teksten[i] if i % elke_waarde == 0 else ""
        grafiek.staven.append(Staaf(x, y, staaf_b, h, REEKSEN[0], tekst, x + staaf_b / 2, y - 4, "middle"))
        if i % elk == 0:
            grafiek.labels.append(Label(x + staaf_b / 2, hoogte - onder + 18, label, "middle"))
    return grafiek


def balken(
    id: str,
    titel: str,
    beschrijving: str,
    namen: Sequence[str],
    reeksen: Sequence[tuple[str, Sequence[float]]],
    *,
    eenheid: str = "",
    decimalen: int = 0,
    breedte: int = BREEDTE,
) -> Grafiek:
    """Horizontal bars, one group per name, one bar per series (at most two, see REEKSEN)."""
    links, rechts, boven = 230, 70, 28 if len(reeksen) > 1 else 8
    staaf_h, tussen = 14, 12
    groep_h = staaf_h * len(reeksen) + tussen
    hoogte = boven + groep_h * max(1, len(namen)) + 8
    grafiek = Grafiek(id, titel, beschrijving, breedte, int(hoogte))
    maximum = mooi_maximum(max((w for _, ws in reeksen for w in ws), default=0))
    plot_b = breedte - links - rechts
    if len(reeksen) > 1:
        x = float(links)
        for r, (naam, _) in enumerate(reeksen):
            grafiek.legenda.append((REEKSEN[r], naam, x, 8))
            x += 24 + 8 * len(naam) + 24
    grafiek.lijnen.append(Lijn(links, boven - 2, links, hoogte - 6))
    for i, naam in enumerate(namen):
        y0 = boven + groep_h * i
        kort = naam if len(naam) <= 30 else naam[:29] + "…"
        grafiek.labels.append(Label(links - 8, y0 + staaf_h * len(reeksen) / 2 + 4, kort))
        for r, (_, waarden) in enumerate(reeksen):
            waarde = waarden[i]
            b = plot_b * waarde / maximum
            y = y0 + staaf_h * r
            tekst = getal(waarde, decimalen) + (f" {eenheid}" if eenheid else "")
            grafiek.staven.append(
                Staaf(links, y, b, staaf_h - 2, REEKSEN[r], tekst, links + b + 4, y + staaf_h - 4, "start")
            )
    return grafiek
