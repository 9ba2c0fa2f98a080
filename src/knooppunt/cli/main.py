"""`knooppunt`: serve the hub, run jobs, manage the adresboek and a development PKI (DESIGN §8)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from knooppunt import __version__
from knooppunt.cli.gemeen import beheerder as _beheerder
from knooppunt.cli.gemeen import fouten_netjes
from knooppunt.cli.gemeen import settings as _settings
from knooppunt.config import Settings, SettingsError
from knooppunt.hub.fouten import HubFout

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knooppunt.hub.notitie import Verificatiesleutel
    from knooppunt.runtime import Runtime


@contextmanager
def _transactie() -> Iterator[tuple[Session, Runtime]]:
    """One unit of work on the configured database (made first when it is new), for the adresboek
    commands."""
    from knooppunt import runtime
    from knooppunt.store.db import transactie

    rt = runtime.bouw(_settings(), alleen_nieuw=True)
    try:
        with transactie(rt.sessions) as session:
            yield session, rt
    finally:
        rt.close()


def _ankers_voor_registratie(rt: Any) -> Any:
    """The trust anchors a certificate must chain to (DESIGN §5): without any, registering would
    take a certificate from any CA, whose holder the TLS check then turns away."""
    if rt.ankers is None:
        raise SettingsError(
            "geen vertrouwensankers om het certificaat aan te toetsen: zet KNOOPPUNT_TRUST_ANCHORS (de "
            "CA's die certificaten van deelnemers uitgeven), of maak in ontwikkeling eerst de "
            "ontwikkel-PKI (`knooppunt serve` doet dat bij de eerste start, of "
            f"`knooppunt pki init {rt.settings.dev_pki_dir}`)"
        )
    return rt.ankers


@click.group()
@click.version_option(__version__, prog_name="knooppunt")
def main() -> None:
    """Knooppunt: het open-source Schuldenknooppunt."""


# --- serve and worker -------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the participant listener.")
@click.option("--port", default=8443, show_default=True, type=int)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Server certificate (PEM).",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Server private key (PEM).",
)
@click.option(
    "--client-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An extra CA (PEM) for client certificates, on top of KNOOPPUNT_TRUST_ANCHORS.",
)
@click.option(
    "--proxy",
    is_flag=True,
    help="Plain HTTP behind a TLS proxy (KNOOPPUNT_TRUSTED_PROXIES) that forwards the client certificate.",
)
@click.option(
    "--uds",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Listen on a Unix socket (mode 0660) for a TLS proxy on this host that forwards the client "
    "certificate.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes sharing the listener (jobs and ops listener run once, in the supervisor).",
)
@click.option(
    "--ops-port",
    type=int,
    default=None,
    help="Plain-HTTP operator listener: /health/live, /health/ready, /metrics.",
)
@click.option("--ops-host", default="127.0.0.1", show_default=True)
@click.option(
    "--jobs/--no-jobs", default=True, show_default=True, help="Run the periodic jobs in this process."
)
@click.option(
    "--job-interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between job runs (at least 0.1).",
)
@fouten_netjes
def serve(
    *,
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    client_ca: Path | None,
    proxy: bool,
    uds: Path | None,
    workers: int,
    ops_port: int | None,
    ops_host: str,
    jobs: bool,
    job_interval: float,
) -> None:
    """Run API v1 (mutual TLS) and the jobs on the configured database (default: embedded SQLite)."""
    from knooppunt.cli.serve import ServeOpties, laad_instellingen, start

    settings, ontbreekt = laad_instellingen()  # in production: every missing setting in one run
    start(
        settings,
        ServeOpties(
            host=host,
            port=port,
            tls_cert=tls_cert,
            tls_key=tls_key,
            client_ca=client_ca,
            proxy=proxy,
            uds=uds,
            ops_port=ops_port,
            ops_host=ops_host,
            jobs=jobs,
            job_interval=job_interval,
            workers=workers,
        ),
        ontbreekt=ontbreekt,
    )


def _parse_now(now: str | None, settings: Settings) -> datetime | None:
    if now is None:
        return None
    if not settings.is_development:
        raise SettingsError(
            "--now mag alleen met KNOOPPUNT_ENV=development (een klok verzetten op een database in gebruik "
            "laat berichten verlopen): oefen op een kopie in ontwikkeling"
        )
    try:
        moment = datetime.fromisoformat(now)
    except ValueError as exc:
        raise click.BadParameter(
            f"{now!r} is geen ISO 8601-tijdstip (bijv. 2026-12-01T09:00:00+01:00)", param_hint="--now"
        ) from exc
    if moment.tzinfo is None:
        from knooppunt.protocol.werkdagen import AMSTERDAM

        # A local time at a DST change exists twice (October) or not at all (March): ask for the
        # offset rather than guess which moment was meant.
        eerste, tweede = moment.replace(tzinfo=AMSTERDAM), moment.replace(tzinfo=AMSTERDAM, fold=1)
        bestaat = eerste.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) == moment
        if eerste.utcoffset() != tweede.utcoffset() or not bestaat:
            raise click.BadParameter(
                f"{now!r} {'bestaat twee keer' if bestaat else 'bestaat niet'} in Europe/Amsterdam (de "
                "overgang van zomer- en wintertijd); geef de offset, bijv. 2026-10-25T02:30:00+02:00 of "
                "+01:00",
                param_hint="--now",
            )
        moment = eerste
    return moment.astimezone(UTC)


def _waarschuw_voor_now(rt: Any, moment: datetime) -> None:
    """`worker --once --now` ahead of the database's clock changes that database for real (an
    operator probe took the docs' "dry run" at its word on a live database): say so on stderr,
    naming the database, before anything happens."""
    from sqlalchemy.engine import make_url

    from knooppunt.protocol.werkdagen import AMSTERDAM
    from knooppunt.store.db import db_nu

    with rt.sessions() as session:
        klok = db_nu(session)
    if moment <= klok + timedelta(minutes=1):
        return
    dagen = (moment - klok).total_seconds() / 86400
    voor = f"{dagen:.0f} dag{'' if round(dagen) == 1 else 'en'}" if dagen >= 1 else "minder dan een dag"
    database = make_url(rt.settings.effective_database_url).render_as_string(hide_password=True)
    click.echo(
        f"let op: --now {moment.astimezone(AMSTERDAM):%Y-%m-%d %H:%M} ligt {voor} na de klok van de "
        "database. "
        f"Dit is geen proefdraai: deze run verandert {database} echt — wat dan verlopen is, wordt gewist "
        "en de afzenders krijgen een foutbericht VERLOPEN, meldingen en termijnen krijgen dat moment als "
        "tijd. Oefen op een kopie van de database, nooit op de productiedatabase.",
        err=True,
    )


@main.command()
@click.option("--once", is_flag=True, help="Run every due job once and exit.")
@click.option(
    "--now",
    "now",
    default=None,
    help="Development only: the clock for this run (ISO 8601; without an offset, Europe/Amsterdam time). "
    "Not a dry run: it really expires, notifies and purges in the database it runs on — rehearse on a copy.",
)
@click.option(
    "--interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between runs (at least 0.1).",
)
@fouten_netjes
def worker(once: bool, now: str | None, interval: float) -> None:
    """Run the periodic jobs (expiry, ...) standalone; several workers may run at once."""
    from knooppunt import runtime
    from knooppunt.jobs.planner import JobsMislukt, draai_eenmaal, draai_steeds
    from knooppunt.logging import configureer

    configureer()  # JSON logs on stderr; stdout carries only the run's result
    settings = _settings()
    moment = _parse_now(now, settings)
    if moment is not None and not once:
        # A loop with its clock stopped at --now would run the same moment's jobs for ever.
        raise click.UsageError("--now hoort bij --once: één run op dat moment (een oefening of een test)")
    rt = runtime.bouw(settings, alleen_nieuw=True)
    try:
        rt.ondertekenaar()  # the audit sequencer signs checkpoints: refuse to start without its key
        if moment is not None:
            _waarschuw_voor_now(rt, moment)
        if once:
            try:
                resultaat = draai_eenmaal(rt, nu=moment)
            except JobsMislukt as exc:
                click.echo(f"fout: {exc} (zie de log op stderr)", err=True)
                sys.exit(1)
            click.echo(json.dumps(resultaat, sort_keys=True))
        else:
            runtime.stel_gc_in_voor_server()
            draai_steeds(rt, interval=interval, nu=moment)
    finally:
        rt.close()


# --- database ---------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@fouten_netjes
def db_upgrade() -> None:
    """Bring the schema to the newest migration."""
    from knooppunt.store import migrate
    from knooppunt.store.db import maak_engine

    settings = _settings(alleen_berichtendatabase=True)
    engine = maak_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    click.echo(f"schema op revisie {migrate.huidige_revisie(engine)}")


@db.command("check")
@fouten_netjes
def db_check() -> None:
    """Fail when the models and the migrations disagree (run in CI): on a new database after
    migrating it; a database in use is only compared, never migrated (behind: exit 1, run
    `knooppunt db upgrade` first)."""
    from knooppunt.store import migrate
    from knooppunt.store.db import maak_engine

    engine = maak_engine(_settings(alleen_berichtendatabase=True).effective_database_url)
    try:
        if migrate.controleer_actueel(engine):
            migrate.upgrade(engine)
    except migrate.SchemaNietActueel as exc:
        click.echo(f"fout: {exc}", err=True)
        sys.exit(1)
    verschillen = migrate.drift(engine)
    if verschillen:
        for verschil in verschillen:
            click.echo(f"drift: {verschil}", err=True)
        click.echo("models en migraties lopen uiteen: maak een migratie", err=True)
        sys.exit(1)
    click.echo("models en migraties komen overeen")


# --- audit log --------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The audit log (DESIGN §5): sequence it, verify it, export signed checkpoints, make its key."""


def _lees_sleutel(waarde: str) -> Verificatiesleutel:
    """--sleutel: a public key 'name+hash+base64', or a file holding one."""
    from knooppunt.hub.notitie import NotitieFout, Verificatiesleutel

    pad = Path(waarde)
    if "+" not in waarde and not pad.is_file():
        raise click.BadParameter(
            f"{waarde!r} is geen bestand en geen publieke sleutel 'naam+hash+base64' "
            "(`knooppunt audit sleutel` op de hub drukt hem af)",
            param_hint="--sleutel",
        )
    try:
        tekst = pad.read_text(encoding="utf-8") if "+" not in waarde and pad.is_file() else waarde
        return Verificatiesleutel.uit_tekst(tekst)
    except (NotitieFout, OSError) as exc:
        raise click.BadParameter(str(exc), param_hint="--sleutel") from exc


@audit.command("verify")
@click.option(
    "--sleutel",
    "sleutel_teksten",
    multiple=True,
    metavar="PUBLIEKE_SLEUTEL",
    help="The public key of the log ('name+hash+base64', or a file holding it; `knooppunt audit sleutel` "
    "prints it). Never taken from the database. May repeat: every key the log was signed with (after a "
    "change of key, e.g. a new log begun after a restore; docs/operations.md).",
)
@click.option(
    "--checkpoint",
    "checkpoint_paden",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint exported earlier (`knooppunt audit checkpoint`, or fetched from "
    "GET /api/v1/audit/checkpoint): also detects a cut-off or rewritten history. May repeat.",
)
@click.option("--json", "als_json", is_flag=True, help="Print the report as one JSON object.")
@fouten_netjes
def audit_verify(
    sleutel_teksten: tuple[str, ...], checkpoint_paden: tuple[Path, ...], als_json: bool
) -> None:
    """Recompute every entry's leaf and the Merkle tree, check every signed tree head and checkpoint
    with the given public key, report entries waiting too long for a volgnummer; exit 1 on any
    problem."""
    from datetime import timedelta

    from knooppunt import runtime
    from knooppunt.hub import audit as hub_audit
    from knooppunt.hub.notitie import NotitieFout

    if not sleutel_teksten:
        raise click.UsageError(
            "geef de publieke sleutel van het auditlog met --sleutel: zonder sleutel van buiten de database "
            "zegt een handtekening niets (`knooppunt audit sleutel` op de hub drukt hem af)"
        )
    sleutels = [_lees_sleutel(tekst) for tekst in sleutel_teksten]
    checkpoints = []
    for pad in checkpoint_paden:
        try:
            checkpoint, _door = hub_audit.lees_met_een_van(pad.read_text(encoding="utf-8"), sleutels)
            checkpoints.append((str(pad), checkpoint))
        except (NotitieFout, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"{pad}: {exc}", param_hint="--checkpoint") from exc
    settings = _settings()
    rt = runtime.bouw(settings, alleen_nieuw=True)
    try:
        verslag = hub_audit.controleer(
            rt.engine,
            sleutel=sleutels,
            checkpoints=checkpoints,
            max_wacht=timedelta(seconds=settings.audit_max_ongesequenceerd_seconden),
        )
    finally:
        rt.close()
    if als_json:
        click.echo(
            json.dumps(
                {
                    "intact": verslag.intact,
                    "aantal": verslag.aantal,
                    "eerste": verslag.eerste,
                    "laatste": verslag.laatste,
                    "boomgrootte": verslag.grootte,
                    "koppen": verslag.koppen,
                    "checkpoints": verslag.checkpoints,
                    "wachtend": verslag.wachtend,
                    "opgeschoondTotEnMet": verslag.anker.volgnummer if verslag.anker else None,
                    "portaalcode": [
                        {"vanafBoomgrootte": grootte, "bundel": bundel} for grootte, bundel in verslag.bundels
                    ],
                    "sleutels": [
                        {"vanafBoomgrootte": grootte, "sleutel": sleutel}
                        for grootte, sleutel in verslag.sleutels
                    ],
                    "problemen": [
                        {"volgnummer": p.volgnummer, "soort": p.soort, "uitleg": p.uitleg}
                        for p in verslag.problemen
                    ],
                }
            )
        )
    else:
        if len(verslag.sleutels) > 1:  # one key throughout is the usual case: nothing to say
            for grootte, sleutel in verslag.sleutels:
                click.echo(f"auditsleutel {sleutel} vanaf boomgrootte {grootte}")
        for grootte, bundel in verslag.bundels:
            click.echo(f"portaalcode {bundel} vanaf boomgrootte {grootte}")
        for probleem in verslag.problemen:
            click.echo(str(probleem))
        click.echo(verslag.samenvatting(), err=not verslag.intact)
    if not verslag.intact:
        sys.exit(1)


@audit.command("sequence")
@fouten_netjes
def audit_sequence() -> None:
    """Number every committed entry and sign the tree now (what the jobs do every run); prints JSON."""
    from datetime import timedelta

    from knooppunt import runtime
    from knooppunt.jobs import audit as audit_jobs
    from knooppunt.logging import configureer

    configureer()
    settings = _settings()
    rt = runtime.bouw(settings, alleen_nieuw=True)
    try:
        uitkomst = audit_jobs.sequence(
            rt.sessions,
            rt.ondertekenaar(),
            max_wacht=timedelta(seconds=settings.audit_max_ongesequenceerd_seconden),
            extensies=rt.checkpointextensies(),
        )
    finally:
        rt.close()
    click.echo(json.dumps(uitkomst, sort_keys=True))


@audit.command("checkpoint")
@click.option(
    "--uit", "uit", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to FILE."
)
@fouten_netjes
def audit_checkpoint(uit: Path | None) -> None:
    """Export the newest signed checkpoint (C2SP tlog-checkpoint); keep it outside the database
    (with the backups, or mailed to the toezichthouder) and give it to `audit verify --checkpoint`."""
    from knooppunt import runtime
    from knooppunt.hub import audit as hub_audit
    from knooppunt.store.db import leesverbinding

    rt = runtime.bouw(_settings(), alleen_nieuw=True)
    try:
        with leesverbinding(rt.engine) as conn:
            checkpoint = hub_audit.nieuwste_checkpoint(conn)
    finally:
        rt.close()
    if checkpoint is None:
        click.echo(
            "er is nog geen ondertekend checkpoint: het auditlog is leeg of nog niet gesequenceerd "
            "(`knooppunt audit sequence`)",
            err=True,
        )
        sys.exit(1)
    if uit is None:
        click.echo(checkpoint, nl=False)
    else:
        uit.write_text(checkpoint, encoding="utf-8")
        click.echo(f"checkpoint van boomgrootte {checkpoint.splitlines()[1]} geschreven naar {uit}", err=True)


def _audit_moment(waarde: str | None, optie: str) -> datetime | None:
    """--vanaf/--tot: ISO 8601; without an offset Europe/Amsterdam time (a date: its midnight)."""
    if waarde is None:
        return None
    try:
        moment = datetime.fromisoformat(waarde)
    except ValueError as exc:
        raise click.BadParameter(
            f"{waarde!r} is geen ISO 8601-moment (bijv. 2026-12-01 of 2026-12-01T09:00:00+01:00)",
            param_hint=optie,
        ) from exc
    if moment.tzinfo is None:
        from knooppunt.protocol.werkdagen import AMSTERDAM

        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


_AUDIT_VELDEN = (
    "actor",
    "deelnemer",
    "berichttype",
    "module",
    "afzender",
    "ontvanger",
    "referentienummer",
    "certificaat",
    "uitkomst",
)


@audit.command("lijst")
@click.option("--vanaf", default=None, metavar="ISO", help="Entries at or after this moment (tijd).")
@click.option("--tot", default=None, metavar="ISO", help="Entries before this moment (tijd).")
@click.option(
    "--actie", default=None, metavar="ACTIE", help="Only this action (docs/operations.md, 'Audit log')."
)
@click.option(
    "--limit",
    "limiet",
    default=100,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="At most this many: the newest.",
)
@click.option("--json", "als_json", is_flag=True, help="One JSON object per line, every field as stored.")
@fouten_netjes
def audit_lijst(vanaf: str | None, tot: str | None, actie: str | None, limiet: int, als_json: bool) -> None:
    """List audit entries: metadata only, as stored, newest last (volgnummer empty while an entry
    waits for the sequencer). Without an offset --vanaf/--tot are Europe/Amsterdam time; tijd is
    printed in UTC, as it is hashed."""
    from knooppunt import runtime
    from knooppunt.hub import audit as hub_audit
    from knooppunt.store.db import leesverbinding

    begin, eind = _audit_moment(vanaf, "--vanaf"), _audit_moment(tot, "--tot")
    acties = [a.value for a in hub_audit.Actie]
    if actie is not None and actie not in acties:
        raise click.BadParameter(
            f"{actie!r} is geen actie van het auditlog; kies uit {', '.join(acties)}", param_hint="--actie"
        )
    rt = runtime.bouw(_settings(), alleen_nieuw=True)
    try:
        with leesverbinding(rt.engine) as conn:
            regels = hub_audit.lijst(
                conn,
                vanaf=begin,
                tot=eind,
                actie=hub_audit.Actie(actie) if actie else None,
                limiet=limiet,
            )
    finally:
        rt.close()
    for r in regels:
        if als_json:
            click.echo(json.dumps(r, ensure_ascii=False, sort_keys=True))
            continue
        velden = " ".join(f"{v}={r[v]}" for v in _AUDIT_VELDEN if r.get(v) is not None)
        nummer = "-" if r["volgnummer"] is None else r["volgnummer"]
        click.echo(f"{nummer}\t{r['tijd']}\t{r['actie']}\t{velden}")
    if not regels:
        click.echo("geen auditregels die aan de filter voldoen", err=True)


@audit.command("sleutel")
@click.option(
    "--nieuw",
    "nieuw",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Make a new signing key in FILE (mode 0600; never overwrites) instead of reading the "
    "configured one.",
)
@click.option(
    "--naam", default=None, help="With --nieuw: the key name and origin, e.g. knooppunt.example.nl/audit."
)
@fouten_netjes
def audit_sleutel(nieuw: Path | None, naam: str | None) -> None:
    """Print the public key of the audit log's signing key (KNOOPPUNT_AUDIT_SLEUTEL_FILE), for
    participants and auditors to pass to `audit verify --sleutel`; or make a new key with --nieuw."""
    import os

    from knooppunt import runtime
    from knooppunt.hub.notitie import NotitieFout, Ondertekenaar

    if nieuw is None:
        click.echo(runtime.laad_audit_sleutel(_settings()).publiek.als_tekst())
        return
    if not naam:
        raise click.UsageError("geef bij --nieuw ook --naam, bijv. --naam knooppunt.example.nl/audit")
    try:
        sleutel = Ondertekenaar.nieuw(naam)
    except NotitieFout as exc:
        raise click.BadParameter(str(exc), param_hint="--naam") from exc
    fd = os.open(nieuw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as bestand:
        bestand.write(sleutel.als_tekst() + "\n")
    click.echo(f"sleutel geschreven naar {nieuw}; zet KNOOPPUNT_AUDIT_SLEUTEL_FILE={nieuw}", err=True)
    click.echo(sleutel.publiek.als_tekst())


# --- adresboek --------------------------------------------------------------------------------


@main.group()
def deelnemer() -> None:
    """Participants in the adresboek."""


@deelnemer.command("add")
@click.option("--oin", required=True, help="20-digit OIN (companies: 00000003 + KvK + 0000).")
@click.option("--naam", required=True)
@click.option("--rol", required=True, type=click.Choice(["SHV", "SE", "WF", "BW"]))
@click.option("--kvk", required=True, help="8-digit KvK number.")
@click.option("--vestigingsnummer", default=None)
@click.option(
    "--module",
    "modules",
    required=True,
    multiple=True,
    help="May repeat; code or code:versies (schuldregeling:1.0,2.0).",
)
@click.option(
    "--certificaat",
    "certificaten",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate; may repeat.",
)
@click.option(
    "--gebruik",
    "gebruik",
    multiple=True,
    type=click.Choice(["tls", "ondertekening", "versleuteling"]),
    help="What the certificate(s) are for; default all three. May repeat.",
)
@click.option("--gebruikt-bsn", is_flag=True, help="SE identifies clients by BSN (art. 3.2).")
@click.option("--standaard-akkoord", is_flag=True, help="SE agrees to betaalvoorstellen in advance (art. 7).")
@click.option(
    "--schuldensoort",
    "schuldensoorten",
    multiple=True,
    type=click.Choice(["nuts", "publiek", "zorg", "overig"]),
    help="May repeat.",
)
@click.option("--sleutelbeheer", type=click.Choice(["eigen", "portaal"]), default="eigen", show_default=True)
@click.option("--json", "als_json", is_flag=True, help="Print the entry as JSON.")
@fouten_netjes
def deelnemer_add(
    oin: str,
    naam: str,
    rol: str,
    kvk: str,
    vestigingsnummer: str | None,
    modules: tuple[str, ...],
    certificaten: tuple[Path, ...],
    gebruik: tuple[str, ...],
    gebruikt_bsn: bool,
    standaard_akkoord: bool,
    schuldensoorten: tuple[str, ...],
    sleutelbeheer: str,
    als_json: bool,
) -> None:
    """Register a participant (the aanmeldformulier)."""
    from knooppunt.hub import adresboek
    from knooppunt.pki.certificaat import OngeldigCertificaat, lees_pem
    from knooppunt.store.db import db_nu

    infos = []
    for pad in certificaten:
        try:
            infos.append(lees_pem(pad.read_bytes()))
        except OngeldigCertificaat as exc:
            raise click.BadParameter(f"{pad}: {exc}", param_hint="--certificaat") from exc
    with _transactie() as (session, rt):
        d = adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=oin,
                naam=naam,
                rol=rol,
                kvk_nummer=kvk,
                vestigingsnummer=vestigingsnummer,
                modules=list(modules),
                certificaten=infos,
                gebruikt_bsn=gebruikt_bsn,
                standaard_akkoord=standaard_akkoord,
                schuldensoorten=list(schuldensoorten),
                gebruik=list(gebruik) or list(adresboek.GEBRUIK),
                sleutelbeheer=sleutelbeheer,
            ),
            nu=db_nu(session),
            ankers=_ankers_voor_registratie(rt),
            door=_beheerder(),
        )
        weergave = _deelnemer_json(d)
    click.echo(
        json.dumps(weergave, ensure_ascii=False)
        if als_json
        else f"deelnemer {oin} ({naam}, {rol}) toegevoegd"
    )


def _deelnemer_json(d: Any) -> dict[str, Any]:
    from knooppunt.hub import adresboek

    return {
        "oin": d.oin,
        "naam": d.naam,
        "rol": d.rol,
        "kvkNummer": d.kvk_nummer,
        "vestigingsnummer": d.vestigingsnummer,
        "modules": sorted(m.module for m in d.modules),
        "versies": adresboek.versies_per_module(d),
        "gebruiktBsn": d.gebruikt_bsn,
        "standaardAkkoord": d.standaard_akkoord,
        "schuldensoorten": sorted(s.soort for s in d.schuldensoorten),
        "inboxQuotum": d.inbox_quotum,
        "certificaten": [
            {
                "vingerafdruk": c.vingerafdruk,
                "gebruik": c.gebruik,
                "geldigTot": c.geldig_tot.isoformat(),
                "ingetrokkenOp": c.ingetrokken_op.isoformat() if c.ingetrokken_op else None,
            }
            for c in d.certificaten
        ],
    }


@deelnemer.command("list")
@click.option("--rol", type=click.Choice(["SHV", "SE", "WF", "BW"]), default=None)
@click.option("--module", default=None)
@click.option("--json", "als_json", is_flag=True, help="One JSON object per line.")
@fouten_netjes
def deelnemer_list(rol: str | None, module: str | None, als_json: bool) -> None:
    """List the participants."""
    from knooppunt.hub import adresboek
    from knooppunt.protocol.modules import MODULES

    if module is not None and module not in MODULES:
        raise click.BadParameter(
            f"{module!r} is onbekend; kies uit {', '.join(sorted(MODULES))}", param_hint="--module"
        )
    with _transactie() as (session, _rt):
        rijen = [
            _deelnemer_json(d)
            for d in adresboek.zoek(
                session, rol=rol, module=module, zoekterm=None, na_oin=None, limiet=100_000
            )
        ]
    for rij in rijen:
        if als_json:
            click.echo(json.dumps(rij, ensure_ascii=False))
        else:
            vlaggen = [
                v
                for v, aan in (("bsn", rij["gebruiktBsn"]), ("standaard-akkoord", rij["standaardAkkoord"]))
                if aan
            ]
            click.echo(
                f"{rij['oin']}  {rij['rol']:<3}  {rij['naam']}  modules={';'.join(_modulenotatie(rij))}"
                + (f"  schuldensoorten={','.join(rij['schuldensoorten'])}" if rij["schuldensoorten"] else "")
                + (f"  {' '.join(vlaggen)}" if vlaggen else "")
                + (f"  inboxquotum={rij['inboxQuotum']}" if rij["inboxQuotum"] is not None else "")
            )
    if not rijen and not als_json:
        click.echo("(geen deelnemers)", err=True)


def _modulenotatie(rij: dict[str, Any]) -> list[str]:
    """``code`` when the participant accepts every version of a module, else ``code:1.0,2.0``
    (the notation of ``--module``)."""
    from knooppunt.protocol.catalogus import CATALOGUS

    return [
        m if tuple(rij["versies"][m]) == CATALOGUS.moduleversies(m) else f"{m}:{','.join(rij['versies'][m])}"
        for m in rij["modules"]
    ]


@deelnemer.command("wijzig")
@click.option("--oin", required=True)
@click.option(
    "--module",
    "modules",
    multiple=True,
    help="The new set of modules (replaces it); may repeat; code or code:versies (schuldregeling:2.0).",
)
@click.option("--gebruikt-bsn/--geen-bsn", "gebruikt_bsn", default=None, help="SE only (art. 3.2).")
@click.option(
    "--standaard-akkoord/--geen-standaard-akkoord",
    "standaard_akkoord",
    default=None,
    help="SE only (art. 7.1).",
)
@click.option(
    "--schuldensoort",
    "schuldensoorten",
    multiple=True,
    type=click.Choice(["nuts", "publiek", "zorg", "overig"]),
    help="The new set (replaces it); may repeat. SE only.",
)
@click.option("--geen-schuldensoorten", is_flag=True, help="Remove every schuldensoort.")
@click.option(
    "--inbox-quotum",
    type=click.IntRange(min=0),
    default=None,
    help="Bytes of unconfirmed ciphertext its inbox may hold (DESIGN §4); 0: the configured default "
    "(KNOOPPUNT_INBOX_QUOTUM_BYTES).",
)
@fouten_netjes
def deelnemer_wijzig(
    oin: str,
    modules: tuple[str, ...],
    gebruikt_bsn: bool | None,
    standaard_akkoord: bool | None,
    schuldensoorten: tuple[str, ...],
    geen_schuldensoorten: bool,
    inbox_quotum: int | None,
) -> None:
    """Change a participant's modules and flags (audited; e-mailed to the participant)."""
    from knooppunt.hub import adresboek
    from knooppunt.store.db import db_nu

    if schuldensoorten and geen_schuldensoorten:
        raise click.UsageError("--schuldensoort en --geen-schuldensoorten sluiten elkaar uit: kies er één")
    wijziging = adresboek.DeelnemerWijziging(
        modules=list(modules) or None,
        gebruikt_bsn=gebruikt_bsn,
        standaard_akkoord=standaard_akkoord,
        schuldensoorten=[] if geen_schuldensoorten else (list(schuldensoorten) or None),
        inbox_quotum=inbox_quotum,
    )
    with _transactie() as (session, _rt):
        gewijzigd = adresboek.wijzig(session, oin, wijziging, door=_beheerder(), nu=db_nu(session))
    if not gewijzigd:
        click.echo(f"deelnemer {oin}: niets gewijzigd")
    for veld, (oud, nieuw) in gewijzigd.items():
        click.echo(f"deelnemer {oin}: {veld} {_als_waarde(veld, oud)} -> {_als_waarde(veld, nieuw)}")


def _als_waarde(veld: str, waarde: object) -> str:
    """A changed value as an operator reads it: no inbox quotum of its own is the configured default."""
    if waarde is None:
        return "standaard (KNOOPPUNT_INBOX_QUOTUM_BYTES)" if veld == "inboxQuotum" else "—"
    return str(waarde)


@deelnemer.group("certificaat")
def deelnemer_certificaat() -> None:
    """Add or retire a participant's certificates (e.g. for a key rollover)."""


@deelnemer_certificaat.command("add")
@click.option("--oin", required=True)
@click.option("--certificaat", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--gebruik", multiple=True, type=click.Choice(["tls", "ondertekening", "versleuteling"]))
@fouten_netjes
def certificaat_add(oin: str, certificaat: Path, gebruik: tuple[str, ...]) -> None:
    from knooppunt.hub import adresboek
    from knooppunt.pki.certificaat import lees_pem
    from knooppunt.store.db import db_nu

    info = lees_pem(certificaat.read_bytes())
    with _transactie() as (session, rt):
        cert = adresboek.voeg_certificaat_toe(
            session,
            oin,
            info,
            gebruik=list(gebruik) or list(adresboek.GEBRUIK),
            nu=db_nu(session),
            ankers=_ankers_voor_registratie(rt),
            door=_beheerder(),
        )
        click.echo(f"certificaat {cert.vingerafdruk} toegevoegd aan {oin}")


@deelnemer_certificaat.command("intrekken")
@click.option("--oin", required=True)
@click.option(
    "--vingerafdruk",
    required=True,
    help="SHA-256 fingerprint (hex) as shown by `deelnemer list --json`, or as "
    "`openssl x509 -fingerprint -sha256` prints it (AB:CD:…).",
)
@fouten_netjes
def certificaat_intrekken(oin: str, vingerafdruk: str) -> None:
    # openssl's "sha256 Fingerprint=AB:CD:…" form: without the label and colons, in lower case.
    vingerafdruk = vingerafdruk.strip().rpartition("=")[2].replace(":", "").lower()
    from knooppunt.hub import adresboek
    from knooppunt.store.db import db_nu

    with _transactie() as (session, _rt):
        nu = db_nu(session)
        cert = adresboek.trek_certificaat_in(session, oin, vingerafdruk, nu=nu, door=_beheerder())
        if cert.ingetrokken_op is not None and cert.ingetrokken_op < nu:
            click.echo(f"certificaat {vingerafdruk} van {oin} was al ingetrokken; er is niets veranderd")
            return
        click.echo(f"certificaat {vingerafdruk} van {oin} ingetrokken")
        deelnemer = adresboek.haal(session, oin)
        over = [
            c
            for c in deelnemer.certificaten
            if c.gebruik_tls and c.ingetrokken_op is None and c.geldig_tot > nu
        ]
        if not over:
            # An operator probe: the last one went without a word, and the participant was locked out.
            click.echo(
                f"let op: {deelnemer.naam} ({oin}) heeft nu geen geldig TLS-certificaat meer en kan niet "
                "verbinden tot u er een toevoegt met 'knooppunt deelnemer certificaat add'",
                err=True,
            )


def _met_lokale_webhookhint(fout: HubFout, webhook: str | None, settings: Settings) -> HubFout:
    """In development, a webhook refused only for http:// or a loopback address is allowed by
    KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN=true (docs/operations.md): say so (`adressen.ontwikkelhint`,
    which the portal's notification page says too)."""
    from dataclasses import replace

    from knooppunt.notify.adressen import ontwikkelhint

    if (
        webhook is None
        or fout.code != "ONGELDIGE_NOTIFICATIE"
        or not any(v.name == "webhook" for v in fout.velden)
    ):
        return fout
    hint = ontwikkelhint(
        webhook, development=settings.is_development, lokaal_toegestaan=settings.lokale_webhooks
    )
    return fout if hint is None else replace(fout, detail=f"{fout.detail}. {hint}")


@deelnemer.command("notificaties")
@click.option("--oin", required=True)
@click.option(
    "--email",
    "emailadressen",
    multiple=True,
    help="E-mail address for notifications; may repeat. Replaces the current addresses.",
)
@click.option("--geen-email", is_flag=True, help="Remove all e-mail addresses.")
@click.option("--modus", type=click.Choice(["direct", "dagelijks", "uit"]), default=None)
@click.option(
    "--digest-uur", type=int, default=None, help="Hour (0-23, Europe/Amsterdam) of the daily digest."
)
@click.option("--webhook", default=None, help="https URL on a public address; makes a new shared secret.")
@click.option("--geen-webhook", is_flag=True, help="Remove the webhook and its secret.")
@click.option("--toon", is_flag=True, help="Also list the latest notifications and their delivery status.")
@click.option("--json", "als_json", is_flag=True, help="Print as JSON.")
@fouten_netjes
def deelnemer_notificaties(
    oin: str,
    emailadressen: tuple[str, ...],
    geen_email: bool,
    modus: str | None,
    digest_uur: int | None,
    webhook: str | None,
    geen_webhook: bool,
    toon: bool,
    als_json: bool,
) -> None:
    """Show or change a participant's notifications about new messages (e-mail, webhook)."""
    from knooppunt.hub import notificaties
    from knooppunt.store.db import db_nu
    from knooppunt.store.models import NotificatieInstellingen

    if emailadressen and geen_email:
        raise click.UsageError("--email en --geen-email sluiten elkaar uit: kies er één")
    if webhook is not None and geen_webhook:
        raise click.UsageError("--webhook en --geen-webhook sluiten elkaar uit: kies er één")
    wijziging = notificaties.Wijziging(
        emailadressen=[] if geen_email else (list(emailadressen) if emailadressen else None),
        modus=modus,
        digest_uur=digest_uur,
        webhook_url=webhook,
        geen_webhook=geen_webhook,
    )
    verandert = any(
        (
            wijziging.emailadressen is not None,
            modus,
            digest_uur is not None,
            webhook is not None,
            geen_webhook,
        )
    )
    geheim = None
    instellingen: NotificatieInstellingen | None
    with _transactie() as (session, rt):
        if verandert:
            try:
                ingesteld = notificaties.stel_in(
                    session,
                    oin,
                    wijziging,
                    door=_beheerder(),
                    nu=db_nu(session),
                    lokale_webhooks=rt.settings.lokale_webhooks,
                )
            except HubFout as fout:
                raise _met_lokale_webhookhint(fout, webhook, rt.settings) from None
            instellingen = ingesteld.instellingen
            geheim = ingesteld.nieuw_geheim
        else:
            instellingen = notificaties.haal(session, oin)
        weergave = notificaties.weergave(oin, instellingen)
        recent = notificaties.recente_weergave(session, oin) if toon else None
        smtp_ingesteld = bool(rt.settings.smtp_host)
    if als_json:
        uit = dict(weergave)
        if geheim:
            uit["webhookGeheim"] = geheim
        if recent is not None:
            uit["notificaties"] = recent
        click.echo(json.dumps(uit, ensure_ascii=False))
    else:
        click.echo(f"notificaties van {oin}")
        click.echo(f"  modus:       {weergave['modus']}")
        click.echo(f"  digest-uur:  {weergave['digestUur']}:00 (Europe/Amsterdam)")
        click.echo(f"  e-mail:      {', '.join(weergave['emailadressen']) or '(geen)'}")
        click.echo(f"  webhook:     {weergave['webhook'] or '(geen)'}")
        if recent is not None:
            click.echo("  laatste notificaties:")
            for rij in recent:
                click.echo(
                    f"    #{rij['id']} {rij['kanaal']:<7} {rij['status']:<9} pogingen={rij['pogingen']}"
                    f" totaal={rij['totaal']}"
                    + (f" code={rij['antwoordcode']}" if rij["antwoordcode"] is not None else "")
                    + (f" fout={rij['laatsteFout']}" if rij["laatsteFout"] else "")
                )
            if not recent:
                click.echo("    (nog geen)")
    if geheim and not als_json:
        click.echo(
            "\nwebhook-geheim (wordt maar één keer getoond; geef het veilig door aan de deelnemer, die "
            f"er de handtekening mee controleert):\n{geheim}"
        )
    if weergave["emailadressen"] and weergave["modus"] != "uit" and not smtp_ingesteld:
        click.echo(
            "let op: KNOOPPUNT_SMTP_HOST is niet ingesteld, dus e-mailnotificaties blijven wachten", err=True
        )


# --- development PKI --------------------------------------------------------------------------


@main.group()
def pki() -> None:
    """A development CA and participant certificates (never for production)."""


@pki.command("init")
@click.argument("map_", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key-type", type=click.Choice(["rsa", "ec"]), default="ec", show_default=True)
@fouten_netjes
def pki_init(map_: Path, key_type: str) -> None:
    """Create a development CA in DIR, a server certificate for localhost and an empty CRL."""
    from knooppunt.pki import ontwikkel_ca

    ca = ontwikkel_ca.init(map_, key_type=key_type)
    click.echo(f"CA: {ca.certificaat}\nCA-sleutel: {ca.sleutel}")
    click.echo(f"servercertificaat: {map_ / 'server.pem'}\nserversleutel: {map_ / 'server-key.pem'}")
    click.echo(f"CRL: {ontwikkel_ca.crl_pad(map_)} (voor KNOOPPUNT_CRLS; intrekken: 'knooppunt pki revoke')")


@pki.command("issue")
@click.argument("map_", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--oin", required=True, help="20-digit OIN, put in the subject serialNumber.")
@click.option("--naam", required=True, help="Organisation name (subject O and CN).")
@click.option("--key-type", type=click.Choice(["rsa", "ec"]), default="ec", show_default=True)
@click.option("--out", "basisnaam", default=None, help="Base file name (default: the OIN).")
@fouten_netjes
def pki_issue(map_: Path, oin: str, naam: str, key_type: str, basisnaam: str | None) -> None:
    """Issue a participant certificate (OIN in subject serialNumber) from the CA in DIR."""
    from knooppunt.pki import ontwikkel_ca
    from knooppunt.protocol.identificatie import OngeldigeIdentificatie, valideer_oin

    try:
        oin = valideer_oin(oin)
    except OngeldigeIdentificatie as exc:
        raise click.BadParameter(str(exc), param_hint="--oin") from exc
    naam = naam.strip()
    if not 1 <= len(naam) <= 64:
        # X.509's upper bound for O and CN (RFC 5280): the certificate could not be made otherwise.
        raise click.BadParameter(
            "de naam moet 1 tot en met 64 tekens lang zijn (de grens van een certificaat; "
            f"gegeven: {len(naam)})",
            param_hint="--naam",
        )
    bestaand = [p for p in ontwikkel_ca.uitgifte_paden(map_, basisnaam or oin) if p.exists()]
    if bestaand:
        # Never overwrite a private key: the certificate may already be registered in an adresboek.
        raise click.UsageError(
            f"{bestaand[0]} bestaat al; kies met --out een andere bestandsnaam (bijv. {oin}-2)"
        )
    uit = ontwikkel_ca.issue(map_, oin=oin, naam=naam, key_type=key_type, basisnaam=basisnaam)
    click.echo(f"certificaat: {uit.certificaat}\nsleutel: {uit.sleutel}")


@pki.command("revoke")
@click.argument("map_", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--cert",
    "certificaat",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The certificate (PEM) to revoke; it must be issued by the CA in DIR.",
)
@click.option(
    "--geldig-dagen",
    default=7,
    show_default=True,
    type=click.IntRange(min=1),
    help="Days until the CRL's nextUpdate (after that the hub refuses until it is re-signed).",
)
@fouten_netjes
def pki_revoke(map_: Path, certificaat: Path, geldig_dagen: int) -> None:
    """Revoke a certificate: add it to DIR/crl.pem, the CRL to name in KNOOPPUNT_CRLS."""
    from datetime import timedelta

    from knooppunt.pki import ontwikkel_ca
    from knooppunt.pki.certificaat import OngeldigCertificaat, lees_pem

    try:
        info = lees_pem(certificaat.read_bytes())
        pad, nieuw = ontwikkel_ca.trek_in(map_, info.certificaat, geldig=timedelta(days=geldig_dagen))
    except (OngeldigCertificaat, ontwikkel_ca.NietVanDezeCa) as exc:
        raise click.BadParameter(f"{certificaat}: {exc}", param_hint="--cert") from exc
    wat = "ingetrokken" if nieuw else "was al ingetrokken"
    click.echo(f"certificaat {info.serienummer} ({info.onderwerp}) {wat}; CRL: {pad}")


@pki.command("crl")
@click.argument("map_", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--geldig-dagen",
    default=7,
    show_default=True,
    type=click.IntRange(min=1),
    help="Days until the CRL's nextUpdate.",
)
@fouten_netjes
def pki_crl(map_: Path, geldig_dagen: int) -> None:
    """Re-sign DIR/crl.pem with a new nextUpdate (a stale CRL locks out every certificate)."""
    from datetime import timedelta

    from knooppunt.pki import ontwikkel_ca

    try:
        pad = ontwikkel_ca.vernieuw_crl(map_, geldig=timedelta(days=geldig_dagen))
    except ontwikkel_ca.NietVanDezeCa as exc:
        raise click.ClickException(str(exc)) from exc
    dagen = "dag" if geldig_dagen == 1 else "dagen"
    click.echo(f"CRL vernieuwd, geldig tot over {geldig_dagen} {dagen}: {pad}")


def _registreer_subcommandos() -> None:
    from knooppunt.cli.client import client
    from knooppunt.cli.portaal import portaal
    from knooppunt.cli.sleutels import sleutels

    main.add_command(client)
    main.add_command(portaal)
    main.add_command(sleutels)


@main.command()
@click.option(
    "--module",
    default=None,
    help="Only this module's story (pauzeknop, saldoverzoek, schuldregeling, betalingsregeling, "
    "waarborgfonds, bewind). Default: every module.",
)
@fouten_netjes
def demo(module: str | None) -> None:
    """Every module of the standard between simulated participants through an embedded hub (temporary
    SQLite, development PKI, real HTTPS and encryption), printed as a timeline per module. Needs no
    setup."""
    from knooppunt.cli.demo import VERHALEN, draai_demo

    if module is not None and module not in VERHALEN:
        raise click.BadParameter(
            f"{module!r} heeft geen demo; kies uit {', '.join(VERHALEN)}", param_hint="--module"
        )
    draai_demo(module=module)


_registreer_subcommandos()

if __name__ == "__main__":  # pragma: no cover
    main()
