"""`knooppunt client`: the participant SDK on the command line (DESIGN §8), the quickest way for a
vendor to try the hub: send one message, fetch and confirm the inbox, ask whether a participant is
reachable. Every line it prints is JSON, so it composes with `jq`."""

from __future__ import annotations

import json
import os
import ssl
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_PAD = click.Path(exists=True, dir_okay=False, path_type=Path)


def _druk(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


_INVOERFOUTEN = frozenset(
    {
        "ONGELDIGE_INHOUD",
        "ONGELDIGE_OIN",
        "ONGELDIGE_CONVERSATIE",
        "BESTAND",
        "ONBEKEND_BERICHTTYPE",
        "ONBEKENDE_MODULE",
        "ONBEKENDE_VERSIE",
        "GEEN_ANTWOORD",
        "ANDERE_MODULE",
        "ANDERE_VERSIE",
    }
)
"""SDK refusals caused by what the caller typed (exit code 2); the others are the situation's (1)."""


def _netjes(functie: F) -> F:
    """Known failures become one JSON object on stdout, a readable line on stderr and exit code 1
    (the hub or the SDK refused) or 2 (bad input or configuration)."""

    @wraps(functie)
    def verpakt(*args: Any, **kwargs: Any) -> Any:
        from knooppunt.client.fouten import (
            GeenVertrouwensankers,
            HubFout,
            ServercertificaatNietVertrouwd,
            VerzendFout,
        )
        from knooppunt.pki.certificaat import OngeldigCertificaat

        try:
            return functie(*args, **kwargs)
        except HubFout as fout:
            _druk({"fout": fout.als_json()})
            velden = "".join(f"\n  - {v.get('name')}: {v.get('reason')}" for v in fout.velden)
            click.echo(f"het knooppunt weigerde ({fout.code}): {fout.detail}{velden}", err=True)
            sys.exit(1)
        except VerzendFout as fout:
            _druk({"fout": fout.als_json()})
            click.echo(f"niet verzonden ({fout.code}): {fout.detail}", err=True)
            sys.exit(2 if fout.code in _INVOERFOUTEN else 1)
        except OngeldigCertificaat as fout:
            click.echo(f"certificaatfout: {fout}", err=True)
            sys.exit(2)
        except (GeenVertrouwensankers, ServercertificaatNietVertrouwd) as fout:
            click.echo(f"configuratiefout: {fout}", err=True)
            sys.exit(2)

    return verpakt  # type: ignore[return-value]


_ANKERS = "knooppunt.vertrouwensankers"
"""Where `--vertrouwensanker` leaves its files in the click context's ``meta`` for `_hub`."""


def _onthoud_ankers(ctx: click.Context, _param: click.Parameter, waarde: tuple[Path, ...]) -> None:
    ctx.meta[_ANKERS] = list(waarde)


def _verbinding(functie: F) -> F:
    """The options every client command shares."""
    functie = click.option(
        "--vertrouwensanker",
        type=_PAD,
        multiple=True,
        expose_value=False,
        callback=_onthoud_ankers,
        help="A CA that may issue participants' certificates (repeatable; PKIoverheid Private "
        "Services in production): every adresboek certificate — whose key you encrypt for, whose "
        "signature you accept — must chain to one (DESIGN §5). Default: --ca.",
    )(functie)
    functie = click.option(
        "--ca",
        type=_PAD,
        default=None,
        help="CA bundle that signed the hub's server certificate; also the trust anchor for "
        "adresboek certificates unless --vertrouwensanker is given. Default: the system store "
        "(then give --vertrouwensanker to send or open messages).",
    )(functie)
    functie = click.option("--key", required=True, type=_PAD, help="Your private key (PEM).")(functie)
    functie = click.option(
        "--cert", required=True, type=_PAD, help="Your client certificate (PEM, OIN in serialNumber)."
    )(functie)
    functie = click.option(
        "--hub", required=True, envvar="KNOOPPUNT_HUB", help="Hub address, e.g. https://localhost:8443"
    )(functie)
    return functie


@contextmanager
def _hub(
    hub: str,
    cert: Path,
    key: Path,
    ca: Path | None,
    verwerkt: Path | None = None,
    vorige_sleutels: Sequence[tuple[Path, Path]] = (),
) -> Iterator[Any]:
    from knooppunt.client.hub import HubClient
    from knooppunt.client.verwerkt import VerwerktBestand
    from knooppunt.pki.certificaat import OngeldigCertificaat

    register = VerwerktBestand(verwerkt) if verwerkt is not None else None
    ankers = click.get_current_context().meta.get(_ANKERS) or None
    try:
        client = HubClient(
            hub,
            cert=cert,
            key=key,
            ca=ca,
            vertrouwensankers=ankers,
            verwerkt=register,
            vorige_sleutels=list(vorige_sleutels),
        )
    except ssl.SSLError as exc:
        # Each file reads on its own (an unreadable one, or a bad --ca, is refused before this),
        # but the TLS layer refuses the pair: the key is not the certificate's. Say so, not a
        # traceback.
        if register is not None:
            register.sluit()
        raise OngeldigCertificaat(
            f"--cert {cert} en --key {key} horen niet bij elkaar ({exc.reason or exc}); geef de "
            "sleutel die bij het certificaat hoort"
        ) from exc
    try:
        yield client
    finally:
        client.close()
        if register is not None:
            register.sluit()


def _standaard_register(oin: str) -> Path:
    basis = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(basis) / "knooppunt" / f"verwerkt-{oin}.sqlite3"


@click.group("client")
def client() -> None:
    """Participant client: send and fetch end-to-end encrypted messages through a hub."""


@client.command("send")
@_verbinding
@click.option("--ontvanger", default=None, help="OIN of the recipient (20 digits).")
@click.option("--berichttype", default=None, help="Message type code, e.g. saldoverzoek.")
@click.option(
    "--module",
    default=None,
    help="Module of the message type (see `knooppunt client berichttypen`). Default: that of the "
    "message --antwoord-op names, else schuldregeling.",
)
@click.option("--conversatie", default=None, help="conversatieReferentienummer (UUIDv4).")
@click.option(
    "--antwoord-op",
    default=None,
    help="referentienummer of the message this one answers or refers to (it then goes in that "
    "message's version).",
)
@click.option(
    "--versie",
    default=None,
    help="Protocol version, e.g. 2.0. Default: that of the message --antwoord-op names, else the "
    "highest version you and the recipient both accept in which the type exists.",
)
@click.option("--referentienummer", default=None, help="Default: a new UUID (give one to retry safely).")
@click.option("--payload", "payload_pad", default=None, type=_PAD, help="The payload as a JSON file.")
@click.option(
    "--reeks",
    "reeks_pad",
    default=None,
    type=_PAD,
    help="Send many: a JSON Lines file, one message per line with the options above as fields "
    '({"ontvanger": …, "berichttype": …, "conversatie": …, "payload": {…} or "file.json", and '
    'optionally "module", "versie", "antwoordOp", "referentienummer"}), through POST /verzendingen '
    "in parts of at most 1,000. Prints one JSON line per message; exit 1 if any was refused.",
)
@click.option(
    "--alles-of-niets",
    is_flag=True,
    help="With --reeks (at most 1,000 lines): every message is accepted, or none is stored.",
)
@_netjes
def send(
    hub: str,
    cert: Path,
    key: Path,
    ca: Path | None,
    ontvanger: str | None,
    berichttype: str | None,
    module: str | None,
    conversatie: str | None,
    antwoord_op: str | None,
    versie: str | None,
    referentienummer: str | None,
    payload_pad: Path | None,
    reeks_pad: Path | None,
    alles_of_niets: bool,
) -> None:
    """Validate, sign, encrypt and submit one message (or, with --reeks, many); print the hub's
    answer as JSON."""
    from knooppunt.client.bestanden import lees_payload

    if reeks_pad is not None:
        gegeven = [
            f"--{naam}"
            for naam, waarde in (
                ("ontvanger", ontvanger),
                ("berichttype", berichttype),
                ("conversatie", conversatie),
                ("antwoord-op", antwoord_op),
                ("referentienummer", referentienummer),
                ("payload", payload_pad),
            )
            if waarde is not None
        ]
        if gegeven:
            raise click.UsageError(
                f"--reeks neemt elk bericht uit het bestand; laat {', '.join(gegeven)} weg"
            )
        if module is not None or versie is not None:
            raise click.UsageError("--reeks neemt module en versie per regel uit het bestand")
        _send_reeks(hub, cert, key, ca, reeks_pad, alles_of_niets)
        return
    ontbreekt = [
        f"--{naam}"
        for naam, waarde in (
            ("ontvanger", ontvanger),
            ("berichttype", berichttype),
            ("conversatie", conversatie),
            ("payload", payload_pad),
        )
        if waarde is None
    ]
    if ontbreekt:
        raise click.UsageError(f"geef {', '.join(ontbreekt)} (of --reeks FILE.jsonl voor veel berichten)")
    if alles_of_niets:
        raise click.UsageError("--alles-of-niets hoort bij --reeks")
    assert ontvanger is not None and berichttype is not None and conversatie is not None
    assert payload_pad is not None
    payload = lees_payload(payload_pad)
    with _hub(hub, cert, key, ca) as verbinding:
        if module is None:
            genoemd = verbinding.in_conversatie(conversatie, antwoord_op) if antwoord_op else None
            module = str(genoemd["module"]) if genoemd is not None else "schuldregeling"
        verzonden = verbinding.verstuur(
            ontvanger=ontvanger,
            berichttype=berichttype,
            payload=payload,
            conversatie=conversatie,
            module=module,
            versie=versie,
            antwoord_op=antwoord_op,
            referentienummer=referentienummer,
        )
    for waarschuwing in verzonden.waarschuwingen:
        click.echo(f"let op: {waarschuwing}", err=True)
    _druk(verzonden.bericht)


def _send_reeks(hub: str, cert: Path, key: Path, ca: Path | None, pad: Path, alles_of_niets: bool) -> None:
    """`send --reeks`: one JSON line per message (``regel``: its line number), refusals also on
    stderr; exit 1 when any message was not accepted."""
    from knooppunt.client.bestanden import lees_reeks

    berichten = lees_reeks(pad)
    regelnummers = [
        nummer
        for nummer, regel in enumerate(pad.read_text(encoding="utf-8").splitlines(), start=1)
        if regel.strip()
    ]
    with _hub(hub, cert, key, ca) as verbinding:
        uitkomsten = verbinding.verstuur_reeks(berichten, alles_of_niets=alles_of_niets)
    geweigerd = 0
    for uitkomst in uitkomsten:
        regel = regelnummers[uitkomst.index]
        _druk({"regel": regel} | uitkomst.als_json())
        for waarschuwing in uitkomst.waarschuwingen:
            click.echo(f"let op (regel {regel}): {waarschuwing}", err=True)
        if uitkomst.fout is not None:
            geweigerd += 1
            click.echo(
                f"regel {regel} niet verstuurd ({uitkomst.fout.code}): {uitkomst.fout.detail}", err=True
            )
    if geweigerd:
        click.echo(f"{geweigerd} van de {len(uitkomsten)} berichten niet verstuurd", err=True)
        sys.exit(1)


@client.command("fetch")
@_verbinding
@click.option(
    "--bevestig",
    is_flag=True,
    help="Confirm every message that opened correctly (and hub notices); refuse (weigering) the ones "
    "that cannot be decrypted, verified or validated, so their sender is told.",
)
@click.option("--berichttype", default=None, help="Only this message type.")
@click.option("--module", default=None, help="Only this module.")
@click.option("--afzender", default=None, help="Only from this OIN (or KNOOPPUNT).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000), help="Page size.")
@click.option(
    "--verwerkt",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File remembering processed referentienummers, so a replay is refused "
    "(default: $XDG_STATE_HOME/knooppunt/verwerkt-<OIN>.sqlite3).",
)
@click.option(
    "--vorige-sleutel",
    "vorige_sleutels",
    type=(_PAD, _PAD),
    multiple=True,
    metavar="CERT KEY",
    help="An earlier encryption certificate and its key (repeatable): after a certificate change, "
    "messages sealed for the old certificate are still waiting and open only with its key (without "
    "it they are reported and left waiting, never refused).",
)
@_netjes
def fetch(
    hub: str,
    cert: Path,
    key: Path,
    ca: Path | None,
    bevestig: bool,
    berichttype: str | None,
    module: str | None,
    afzender: str | None,
    limit: int,
    verwerkt: Path | None,
    vorige_sleutels: tuple[tuple[Path, Path], ...],
) -> None:
    """Print each received message as one JSON line: the envelope metadata plus the decrypted,
    signature-checked, schema-validated `payload`, or the hub's `melding`; content that cannot be
    trusted gets `fout` (code and detail) instead of `payload`."""
    from knooppunt.pki.certificaat import lees_pem

    oin = lees_pem(cert.read_bytes()).oin or "onbekend"
    with _hub(hub, cert, key, ca, verwerkt or _standaard_register(oin), vorige_sleutels) as verbinding:
        goed: list[Any] = []
        for bericht in verbinding.ontvang(
            limit=limit, berichttype=berichttype, afzender=afzender, module=module
        ):
            if bericht.ontbrekende_sleutel is not None:
                # Sealed for a certificate of ours whose key was not given: not the sender's fault,
                # so not refused; it waits until it is fetched with that key.
                _druk(bericht.als_json())
                click.echo(
                    f"{bericht.referentienummer} niet geopend en niet geweigerd: versleuteld voor uw "
                    f"certificaat met kid {bericht.ontbrekende_sleutel}; geef dat certificaat en zijn "
                    "sleutel mee met --vorige-sleutel CERT KEY",
                    err=True,
                )
                continue
            if bevestig and bericht.fout is not None:
                verbinding.weiger(bericht)
                _druk(bericht.als_json() | {"status": "geweigerd"})
            elif bevestig:
                goed.append(bericht)  # printed once confirmed, with the status that gives
            else:
                _druk(bericht.als_json())
        if goed:
            uitkomsten = {u["referentienummer"]: u for u in verbinding.bevestig_meerdere(goed)}
            for bericht in goed:
                uitkomst = uitkomsten.get(bericht.referentienummer, {})
                # The record as the confirm left it: its status, when, and when the answer is due.
                bijgewerkt = {
                    k: uitkomst[k] for k in ("status", "bevestigdOp", "antwoordUiterlijk") if uitkomst.get(k)
                }
                _druk(bericht.als_json() | bijgewerkt)
                if uitkomst.get("code"):
                    click.echo(f"{bericht.referentienummer} niet bevestigd: {uitkomst['code']}", err=True)


@client.command("bereikbaar")
@_verbinding
@click.option("--oin", required=True, help="The participant to reach.")
@click.option("--module", default="schuldregeling", show_default=True)
@_netjes
def bereikbaar(hub: str, cert: Path, key: Path, ca: Path | None, oin: str, module: str) -> None:
    """Can this participant be reached through the hub for MODULE? Exit 0 if so, 3 if not (use
    another channel: e-mail or letter)."""
    with _hub(hub, cert, key, ca) as verbinding:
        uitkomst = verbinding.bereikbaar(oin, module)
    _druk(uitkomst.als_json())
    if not uitkomst.bereikbaar:
        sys.exit(3)


@client.command("verzonden")
@_verbinding
@click.option(
    "--status",
    type=click.Choice(["aangeboden", "opgehaald", "bevestigd", "beantwoord", "verlopen", "geweigerd"]),
    default=None,
)
@click.option("--conversatie", default=None, help="Only this conversatieReferentienummer.")
@click.option("--module", default=None, help="Only this module.")
@_netjes
def verzonden(
    hub: str,
    cert: Path,
    key: Path,
    ca: Path | None,
    status: str | None,
    conversatie: str | None,
    module: str | None,
) -> None:
    """Print your sent messages (metadata, newest first) as JSON lines, with status and deadlines."""
    with _hub(hub, cert, key, ca) as verbinding:
        for bericht in verbinding.verzonden(status=status, conversatie=conversatie, module=module):
            _druk(bericht)


@client.command("berichttypen")
@_verbinding
@click.option("--module", default=None, help="Only this module.")
@click.option("--versie", default=None, help="Only this protocol version, e.g. 2.0.")
@click.option("--schema", "met_schema", is_flag=True, help="Include the payload's JSON Schema.")
@_netjes
def berichttypen(
    hub: str, cert: Path, key: Path, ca: Path | None, module: str | None, versie: str | None, met_schema: bool
) -> None:
    """The hub's message catalogue: one JSON line per (module, berichttype, versie), with who sends
    it to whom, what it answers, and the answer term of that version."""
    with _hub(hub, cert, key, ca) as verbinding:
        typen = verbinding.berichttypen(module=module, versie=versie)
    if not typen:
        click.echo("geen berichttypen voor deze module en versie", err=True)
        sys.exit(1)
    for t in typen:
        regel = {
            k: t.get(k)
            for k in (
                "module",
                "versie",
                "code",
                "naam",
                "van",
                "naar",
                "beantwoordt",
                "verwijstNaar",
                "antwoordVerwacht",
                "antwoordtermijnWerkdagen",
                "versies",
            )
        }
        if met_schema:
            regel["schema"] = (t.get("schemas") or {}).get(str(t.get("versie")))
        _druk(regel)


def _periodegrens(_ctx: click.Context, _param: click.Parameter, waarde: str | None) -> date | datetime | None:
    if waarde is None:
        return None
    from knooppunt.client.logboek import lees_periodegrens

    try:
        return lees_periodegrens(waarde)
    except ValueError as exc:
        raise click.BadParameter(
            f"{waarde!r} is geen datum (2026-11-01) of tijdstip (2026-11-01T09:00, eventueel met tijdzone)"
        ) from exc


_KOLOMMEN = ("ontvangen op", "richting", "tegenpartij", "module", "berichttype", "status", "referentienummer")


def _logboekregel(bericht: dict[str, Any], oin: str) -> tuple[str, ...]:
    from knooppunt.protocol.werkdagen import AMSTERDAM

    moment = datetime.fromisoformat(str(bericht["ontvangenOp"])).astimezone(AMSTERDAM)
    verzonden = bericht["afzender"] == oin
    status = str(bericht["status"]) + (" (te laat)" if bericht.get("teLaat") else "")
    return (
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        "verzonden" if verzonden else "ontvangen",
        str(bericht["ontvanger"] if verzonden else bericht["afzender"]),
        str(bericht["module"]),
        str(bericht["berichttype"]),
        status,
        str(bericht["referentienummer"]),
    )


@client.command("logboek")
@_verbinding
@click.option(
    "--vanaf",
    default=None,
    callback=_periodegrens,
    help="Start of the period (inclusive): a date, or a time (Europe/Amsterdam unless it has an "
    "offset). Default: 30 days before --tot.",
)
@click.option(
    "--tot", default=None, callback=_periodegrens, help="End of the period (exclusive). Default: now."
)
@click.option(
    "--richting", type=click.Choice(["verzonden", "ontvangen"]), default=None, help="Default: both."
)
@click.option("--module", default=None, help="Only this module.")
@click.option("--berichttype", default=None, help="Only this message type.")
@click.option("--json", "als_json", is_flag=True, help="One JSON object per message instead of a table.")
@_netjes
def logboek(
    hub: str,
    cert: Path,
    key: Path,
    ca: Path | None,
    vanaf: date | datetime | None,
    tot: date | datetime | None,
    richting: str | None,
    module: str | None,
    berichttype: str | None,
    als_json: bool,
) -> None:
    """The metadata of everything you sent or received in a period, oldest first, confirmed,
    refused and expired messages included (the hub's logboek; never content)."""
    with _hub(hub, cert, key, ca) as verbinding:
        berichten = verbinding.logboek(
            vanaf=vanaf, tot=tot, richting=richting, module=module, berichttype=berichttype, limit=1000
        )
        if als_json:
            for bericht in berichten:
                _druk(bericht)
            return
        regels = [_logboekregel(b, verbinding.oin) for b in berichten]
    if not regels:
        click.echo("geen berichten in deze periode", err=True)
        return
    breedtes = [max(len(k), *(len(r[i]) for r in regels)) for i, k in enumerate(_KOLOMMEN)]
    for regel in (_KOLOMMEN, *regels):
        click.echo("  ".join(w.ljust(b) for w, b in zip(regel, breedtes, strict=True)).rstrip())
