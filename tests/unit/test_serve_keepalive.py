"""The hub keeps an idle connection open longer than its clients do (nginx's upstream keepalive 60 s,
httpx's 5 s), so the client always closes first: with uvicorn's default 5 s both sides closed at
once now and then, and a request sent on the closing connection got "Server disconnected without
sending a response" (CI), behind nginx a 502 for a POST (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from knooppunt.cli import serve


def _opties(**extra: object) -> serve.ServeOpties:
    waarden: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 0,
        "tls_cert": Path("server.pem"),
        "tls_key": Path("server-key.pem"),
        "client_ca": None,
        "proxy": False,
        "uds": None,
        "ops_port": None,
        "ops_host": "127.0.0.1",
        "jobs": False,
        "job_interval": 60.0,
    }
    return serve.ServeOpties(**(waarden | extra))  # type: ignore[arg-type]


def test_de_hub_houdt_een_verbinding_langer_open_dan_nginx_en_httpx() -> None:
    assert serve.KEEP_ALIVE_SECONDEN > 60  # nginx: keepalive_timeout of an upstream, 60 s
    for client_ca in (None, Path("ca.pem")):  # behind a proxy, and with mutual TLS itself
        config = serve._uvicorn_config(object(), _opties(proxy=client_ca is None), client_ca)
        assert config.timeout_keep_alive == serve.KEEP_ALIVE_SECONDEN
