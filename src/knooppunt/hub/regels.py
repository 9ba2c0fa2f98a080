"""The hub-enforced conditions of the catalogue (DESIGN §3), one function per named condition.

Each is decided from metadata and the adresboek only, per (caller, counterpart, module) within one
conversation — never across other parties' messages, never across modules (DESIGN §2): a
betalingsregeling akkoord does not satisfy 11.1 in schuldregeling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from knooppunt.hub.adresboek import schuldensoorten_van
from knooppunt.hub.fouten import HubFout, OngeldigVeld
from knooppunt.protocol.catalogus import SALDOVERZOEKEN, Berichttype, Voorwaarde
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import OPEN_STATUSSEN, Deelnemer

# Answers that state the creditor's position on the debt (art. 6–10); the latest one counts.
STANDPUNTEN = (
    "saldoverzoek_antwoord",
    "saldoverzoek_antwoord_standaard_akkoord",
    "klant_onbekend",
    "geen_medewerking",
    "betaalvoorstel_akkoord",
    "betaalvoorstel_niet_akkoord",
)
BETAALVOORSTELANTWOORDEN = ("betaalvoorstel_akkoord", "betaalvoorstel_niet_akkoord")


@dataclass(frozen=True, slots=True)
class LaatsteAntwoord:
    """A fact a condition asks: the latest delivered answer (by ontvangenOp) from the recipient to
    the sender in this conversation and module, among ``typen``, optionally only answers to
    questions of ``vraagtypen``."""

    typen: tuple[str, ...]
    vraagtypen: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class EerderUitgewisseld:
    """A fact a condition asks: did sender and recipient exchange a delivered message in this
    conversation and module, either way?"""


Feitvraag = LaatsteAntwoord | EerderUitgewisseld


def is_verlopen(bericht: Berichtrij, nu: datetime) -> bool:
    """Whether a referenced message is expired at `nu` (DESIGN §3, §6): swept, or still open past its
    bevestigingstermijn and not yet swept — the expiry job runs now and then, and an answer or
    reference must be judged the same whether it has run or not (§4: a message is never both
    confirmed and expired)."""
    if bericht.status == "verlopen":
        return True
    return bericht.status in OPEN_STATUSSEN and bericht.verloopt_op < nu


class Antwoordfeit(Protocol):
    @property
    def berichttype(self) -> str: ...
    @property
    def referentienummer(self) -> str: ...


class Feiten(Protocol):
    """Where the conditions get the facts they ask for: read for them beforehand in one statement
    (a single submit: `benodigde_feiten` says which), or queried one by one (a batch)."""

    def laatste_antwoord(self, vraag: LaatsteAntwoord) -> Antwoordfeit | None: ...

    def eerder_uitgewisseld(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Context:
    feiten: Feiten
    type: Berichttype
    afzender: Deelnemer
    ontvanger: Deelnemer
    conversatie: str
    verwijzing: Berichtrij | None
    nu: datetime
    """The moment the envelope is judged at: a referenced message past its term is expired."""
    # A batch (mailbox.verstuur_reeks) already holds an accepted message from this sender to this
    # recipient in this conversation and module: what the database would show the one-at-a-time path.
    uitgewisseld_in_reeks: bool = False


def _fout(code: str, artikel: str, detail: str, velden: Sequence[OngeldigVeld] = ()) -> HubFout:
    # A handbook article ("12.1", "2.0: 10.3") or, for a module without numbered articles, where
    # its rules come from ("SBN", "bewind").
    versie, _, nummer = artikel.partition(": ")
    if nummer:  # "2.0: 10.3": an article of the afsprakenstelsel of that version
        bron = f"afsprakenstelsel {versie}, art. {nummer}"
    else:
        bron = f"art. {artikel}" if artikel[:1].isdigit() else f"afspraken {artikel}"
    return HubFout(code, 422, "Bericht niet toegestaan", f"{detail} ({bron})", list(velden), artikel=artikel)


_VERWIJZING = OngeldigVeld(
    "crossReferentienummer", "verwijst niet naar een bericht dat dit bericht mag noemen"
)
"""DESIGN §4: `invalidParams` "where fields are at fault" — the reference, as ONGELDIG_ANTWOORD names it."""


def _type_van(rij: Any) -> str | None:
    return None if rij is None else str(rij.berichttype)


def _geen_bsn(ctx: Context) -> None:
    if ctx.ontvanger.gebruikt_bsn:
        raise _fout(
            "ONTVANGER_GEBRUIKT_BSN",
            "3.1",
            f"{ctx.ontvanger.naam} identificeert klanten op BSN: stuur 'kennisgeving_bsn' in plaats van "
            "'kennisgeving'",
        )


def _bsn(ctx: Context) -> None:
    if not ctx.ontvanger.gebruikt_bsn:
        raise _fout(
            "ONTVANGER_GEBRUIKT_GEEN_BSN",
            "3.2",
            f"{ctx.ontvanger.naam} gebruikt geen BSN: stuur 'kennisgeving' in plaats van 'kennisgeving_bsn'",
        )


def _schuldensoort(soort: str, artikel: str) -> Callable[[Context], None]:
    def controle(ctx: Context) -> None:
        if soort not in schuldensoorten_van(ctx.ontvanger):
            raise _fout(
                "ONJUISTE_SCHULDENSOORT",
                artikel,
                f"'{ctx.type.code}' is alleen voor schuldeisers met schuldensoort '{soort}'; "
                f"{ctx.ontvanger.naam} heeft die niet in het adresboek: stuur een gewoon 'saldoverzoek'",
            )

    return controle


def _afzender_standaard_akkoord(ctx: Context) -> None:
    if not ctx.afzender.standaard_akkoord:
        raise _fout(
            "GEEN_STANDAARD_AKKOORD",
            "7.1",
            "u staat in het adresboek niet als schuldeiser die standaard akkoord gaat met "
            "betaalvoorstellen: antwoord met 'saldoverzoek_antwoord'",
        )


_SALDOSTANDPUNT = LaatsteAntwoord(
    (
        "saldoverzoek_antwoord",
        "saldoverzoek_antwoord_standaard_akkoord",
        "klant_onbekend",
        "geen_medewerking",
    ),
    tuple(SALDOVERZOEKEN),
)
_STANDPUNT = LaatsteAntwoord(STANDPUNTEN)
_BETAALSTANDPUNT = LaatsteAntwoord(BETAALVOORSTELANTWOORDEN, ("betaalvoorstel", "heroverweging"))
_UITGEWISSELD = EerderUitgewisseld()


def _geen_standaard_akkoord_ontvangen(ctx: Context) -> None:
    laatste = _type_van(ctx.feiten.laatste_antwoord(_SALDOSTANDPUNT))
    if laatste == "saldoverzoek_antwoord_standaard_akkoord":
        raise _fout(
            "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD",
            "9.3",
            f"{ctx.ontvanger.naam} heeft op uw saldoverzoek geantwoord met standaard akkoord en ontvangt "
            "daarom geen betaalvoorstel; stuur na akkoord 'schuldregeling_geaccordeerd'",
        )


def _laatste_antwoord_akkoord(ctx: Context) -> None:
    laatste = _type_van(ctx.feiten.laatste_antwoord(_STANDPUNT))
    if laatste not in ("betaalvoorstel_akkoord", "saldoverzoek_antwoord_standaard_akkoord"):
        gezien = f"het laatste antwoord is '{laatste}'" if laatste else "er is nog geen antwoord"
        raise _fout(
            "GEEN_AKKOORD",
            "11.1",
            f"'schuldregeling_geaccordeerd' kan alleen naar een schuldeiser die akkoord is gegaan; {gezien}",
        )


def _eerder_uitgewisseld(ctx: Context) -> None:
    if ctx.uitgewisseld_in_reeks:
        return
    if not ctx.feiten.eerder_uitgewisseld():
        artikel = "14.1" if ctx.type.code == "statusverzoek" else ctx.type.artikel
        raise _fout(
            "GEEN_EERDER_CONTACT",
            artikel,
            f"'{ctx.type.code}' kan alleen in een conversatie waarin u en {ctx.ontvanger.naam} in module "
            f"'{ctx.type.module}' al berichten hebben uitgewisseld; gebruik het conversatieReferentienummer "
            "van dat traject",
        )


def _verwijst_naar_open_vraag(ctx: Context) -> None:
    vraag = ctx.verwijzing
    if (
        vraag is None
        or vraag.berichttype not in ctx.type.verwijst_naar
        or vraag.beantwoord_op is not None
        or vraag.status == "geweigerd"
        or is_verlopen(vraag, ctx.nu)
    ):
        raise _fout(
            "ONGELDIGE_VERWIJZING",
            "15.1",
            f"'{ctx.type.code}' moet met crossReferentienummer verwijzen naar uw eigen "
            f"{' of '.join(sorted(ctx.type.verwijst_naar))} aan deze ontvanger in deze conversatie, module "
            "en versie dat nog niet beantwoord of verlopen is",
            [_VERWIJZING],
        )


def _verwijst_naar_laatste_niet_akkoord(ctx: Context) -> None:
    """DESIGN §3a: a heroverweging names the creditor's niet-akkoord that is its latest akkoord or
    niet-akkoord to this debt counsellor's betaalvoorstel or heroverweging, in this module."""
    vraag = ctx.verwijzing
    laatste = ctx.feiten.laatste_antwoord(_BETAALSTANDPUNT)
    if (
        vraag is None
        or vraag.berichttype != "betaalvoorstel_niet_akkoord"
        or vraag.status == "geweigerd"
        or is_verlopen(vraag, ctx.nu)
        or laatste is None
        or laatste.referentienummer != vraag.referentienummer
    ):
        raise _fout(
            "ONGELDIGE_VERWIJZING",
            ctx.type.artikel,
            f"een heroverweging moet met crossReferentienummer verwijzen naar het laatste "
            f"'betaalvoorstel_niet_akkoord' dat {ctx.ontvanger.naam} u in deze conversatie en module stuurde "
            "op uw betaalvoorstel of heroverweging",
            [_VERWIJZING],
        )


def _alleen_knooppunt(ctx: Context) -> None:
    raise HubFout(
        "ROL_NIET_TOEGESTAAN",
        422,
        "Bericht niet toegestaan",
        f"'{ctx.type.code}' wordt alleen door het knooppunt zelf verstuurd",
    )


CONTROLES: dict[Voorwaarde, Callable[[Context], None]] = {
    Voorwaarde.ONTVANGER_GEBRUIKT_GEEN_BSN: _geen_bsn,
    Voorwaarde.ONTVANGER_GEBRUIKT_BSN: _bsn,
    Voorwaarde.ONTVANGER_NUTS: _schuldensoort("nuts", "5.2"),
    Voorwaarde.ONTVANGER_PUBLIEK: _schuldensoort("publiek", "5.4"),
    Voorwaarde.ONTVANGER_ZORG: _schuldensoort("zorg", "5.5"),
    Voorwaarde.AFZENDER_STANDAARD_AKKOORD: _afzender_standaard_akkoord,
    Voorwaarde.GEEN_STANDAARD_AKKOORD_ONTVANGEN: _geen_standaard_akkoord_ontvangen,
    Voorwaarde.LAATSTE_ANTWOORD_AKKOORD: _laatste_antwoord_akkoord,
    Voorwaarde.EERDER_UITGEWISSELD: _eerder_uitgewisseld,
    Voorwaarde.VERWIJST_NAAR_OPEN_VRAAG: _verwijst_naar_open_vraag,
    Voorwaarde.VERWIJST_NAAR_LAATSTE_NIET_AKKOORD: _verwijst_naar_laatste_niet_akkoord,
    Voorwaarde.ALLEEN_KNOOPPUNT: _alleen_knooppunt,
}


# The facts each condition asks (`Feiten`); the others decide from the envelope and the adresboek.
FEITVRAGEN: dict[Voorwaarde, Feitvraag] = {
    Voorwaarde.GEEN_STANDAARD_AKKOORD_ONTVANGEN: _SALDOSTANDPUNT,
    Voorwaarde.LAATSTE_ANTWOORD_AKKOORD: _STANDPUNT,
    Voorwaarde.EERDER_UITGEWISSELD: _UITGEWISSELD,
    Voorwaarde.VERWIJST_NAAR_LAATSTE_NIET_AKKOORD: _BETAALSTANDPUNT,
}


def benodigde_feiten(berichttype: Berichttype) -> Sequence[Feitvraag]:
    """The facts the conditions of `berichttype` will ask for, to be read beforehand."""
    return [FEITVRAGEN[v] for v in berichttype.voorwaarden if v in FEITVRAGEN]


def controleer(ctx: Context) -> None:
    for voorwaarde in ctx.type.voorwaarden:
        CONTROLES[voorwaarde](ctx)
