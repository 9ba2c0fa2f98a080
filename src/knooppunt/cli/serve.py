"""`knooppunt serve`: API v1 over mutual TLS (or behind a TLS proxy), the operator listener and
the embedded jobs, in one process."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path

import click
import uvicorn

from knooppunt import runtime as runtime_mod
from knooppunt.api.tls import TlsH11Protocol
from knooppunt.app import create_app
from knooppunt.config import Settings, SettingsError
from knooppunt.jobs.planner import IngebouwdePlanner
from knooppunt.logging import configureer
from knooppunt.ops import create_ops_app
from knooppunt.pki import ontwikkel_ca


@dataclass(frozen=True)
class ServeOpties:
    host: str
    port: int
    tls_cert: Path | None
    tls_key: Path | None
    client_ca: Path | None
    proxy: bool
    uds: Path | None
    ops_port: int | None
    ops_host: str
    jobs: bool
    job_interval: float


def _tls_bestanden(settings: Settings, opties: ServeOpties) -> tuple[Path, Path, Path]:
    if opties.tls_cert and opties.tls_key:
        client_ca = opties.client_ca or (settings.trust_anchors[0] if settings.trust_anchors else None)
        if client_ca is None:
            raise SettingsError("--client-ca (or KNOOPPUNT_TRUST_ANCHORS) is needed to verify client certificates")
        return opties.tls_cert, opties.tls_key, client_ca
    if opties.tls_cert or opties.tls_key:
        raise SettingsError("--tls-cert and --tls-key go together")
    if not settings.is_development:
        raise SettingsError(
            "production needs --tls-cert, --tls-key and --client-ca, or --proxy/--uds behind a TLS proxy"
        )
    pki = settings.dev_pki_dir
    if not ontwikkel_ca.ca_paden(pki)[0].exists():
        ontwikkel_ca.init(pki)
        click.echo(f"development PKI created in {pki} (CA, server certificate for localhost)", err=True)
    return pki / "server.pem", pki / "server-key.pem", opties.client_ca or ontwikkel_ca.ca_paden(pki)[0]




def start(settings: Settings, opties: ServeOpties) -> None:
    configureer()
    extra: list[Path] = []
    tls: tuple[Path, Path, Path] | None = None
    if not (opties.proxy or opties.uds):
        tls = _tls_bestanden(settings, opties)
        extra.append(tls[2])
    rt = runtime_mod.bouw(settings, extra_ankers=extra)
    if rt.ankers is None:
        raise SettingsError("no trust anchors: set KNOOPPUNT_TRUST_ANCHORS to the CAs of participant certificates")
    app = create_app(rt)
    if tls is not None:
        config = uvicorn.Config(
            app, host=opties.host, port=opties.port, ssl_certfile=str(tls[0]), ssl_keyfile=str(tls[1]),
            ssl_ca_certs=str(tls[2]), ssl_cert_reqs=ssl.CERT_OPTIONAL, http=TlsH11Protocol,
            log_config=None, access_log=False, proxy_headers=False, server_header=False,
        )
        waar = f"https://{opties.host}:{opties.port}/api/v1 (mutual TLS)"
    elif opties.uds:
        config = uvicorn.Config(
            app, uds=str(opties.uds), log_config=None, access_log=False, proxy_headers=False, server_header=False,
        )
        waar = f"unix:{opties.uds} (proxy mode)"
    else:
        if not settings.trusted_proxies:
            raise SettingsError("--proxy needs KNOOPPUNT_TRUSTED_PROXIES: the addresses of the TLS proxies")
        config = uvicorn.Config(
            app, host=opties.host, port=opties.port, log_config=None, access_log=False, proxy_headers=False,
            server_header=False,
        )
        waar = f"http://{opties.host}:{opties.port}/api/v1 (behind TLS proxy {', '.join(settings.trusted_proxies)})"
    servers = [uvicorn.Server(config)]
    if opties.ops_port is not None:
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    create_ops_app(rt), host=opties.ops_host, port=opties.ops_port, log_config=None,
                    access_log=False, server_header=False,
                )
            )
        )
    planner = IngebouwdePlanner(rt, opties.job_interval) if opties.jobs else None
    click.echo(f"Knooppunt ({settings.env.value}) op {waar}; database {rt.engine.url.render_as_string()}", err=True)
    if settings.is_development:
        click.echo(
            "Development mode: do not use in production (set KNOOPPUNT_ENV=production there).", err=True
        )
    if planner:
        planner.start()
    try:
        asyncio.run(_serve_all(servers))
    finally:
        if planner:
            planner.stop()
        rt.close()


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    await asyncio.gather(*(s.serve() for s in servers))
