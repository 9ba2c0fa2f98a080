"""Notification channels: a small registry (``register``), an abstract ``Kanaal`` and one module per
channel (``email``, ``webhook``). The job in ``knooppunt.jobs.notificaties`` decides *what* to send
and *when*; a channel only delivers one notification and reports the outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from knooppunt.config import Settings
from knooppunt.notify.base import Bestemming, Kanaal, Melding, Uitslag

K = TypeVar("K", bound=type[Kanaal])


class Registry:
    """Channel classes by name: ``@register("email")`` on a ``Kanaal`` subclass adds it."""

    def __init__(self) -> None:
        self._kanalen: dict[str, type[Kanaal]] = {}

    def __call__(self, naam: str) -> Callable[[K], K]:
        def voeg_toe(cls: K) -> K:
            if naam in self._kanalen:
                raise ValueError(f"notification channel {naam!r} is registered twice")
            cls.naam = naam
            self._kanalen[naam] = cls
            return cls

        return voeg_toe

    def __getitem__(self, naam: str) -> type[Kanaal]:
        return self._kanalen[naam]

    def __contains__(self, naam: object) -> bool:
        return naam in self._kanalen

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._kanalen))

    def maak(self, naam: str, settings: Settings) -> Kanaal:
        return self._kanalen[naam](settings)


register = Registry()

# Importing the channel modules registers them.
from knooppunt.notify import email, webhook  # noqa: E402

__all__ = ["Bestemming", "Kanaal", "Melding", "Registry", "Uitslag", "email", "register", "webhook"]
