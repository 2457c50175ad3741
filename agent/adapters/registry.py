"""Which adapter runs which language: the built-ins plus plugins.

A package adds a language with an entry point in the group ``omnix.adapters``::

    [project.entry-points."omnix.adapters"]
    ruby = "omnix_ruby:RubyAdapter"     # a zero-argument callable returning an Adapter

The entry point's name is the `lang:` it serves. An entry point may also replace a
built-in. Adapters are created on first use, so a language nobody uses costs nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points

from omnix.agent.adapters.base import Adapter, AdapterUnavailable
from omnix.shared.pipeline import BUILTIN_LANGUAGES
from omnix.shared.runtimes import install_hint

ENTRY_POINT_GROUP = "omnix.adapters"

BUILTIN_ADAPTERS: dict[str, str] = {
    "python": "omnix.agent.adapters.python:PythonAdapter",
    "sql": "omnix.agent.adapters.sql:SqlAdapter",
    "javascript": "omnix.agent.adapters.javascript.adapter:JavaScriptAdapter",
    "r": "omnix.agent.adapters.r.adapter:RAdapter",
    "go": "omnix.agent.adapters.go.adapter:GoAdapter",
    "scala": "omnix.agent.adapters.scala.adapter:ScalaAdapter",
    "julia": "omnix.agent.adapters.julia.adapter:JuliaAdapter",
}
"""Languages this package runs itself, as "module:attribute" of a zero-argument factory."""


def adapter_targets() -> dict[str, str]:
    """language -> "module:attribute" for every adapter this installation knows."""
    targets = dict(BUILTIN_ADAPTERS)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        targets[entry.name] = entry.value
    return targets


def plugin_languages() -> list[str]:
    """The languages installed plugins serve, sorted: a tier that allows N custom connectors
    enables the first N of them (an entry point that replaces a built-in counts too)."""
    return sorted({entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)})


def _load_factory(language: str, target: str) -> Callable[[], Adapter]:
    module_name, _, attribute = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except ImportError as exc:
        raise AdapterUnavailable(
            f"the {language} adapter ({target}) cannot be imported: {exc}. "
            f"{install_hint(language) or 'Reinstall the package that provides it.'}"
        ) from None
    except AttributeError:
        raise AdapterUnavailable(
            f"the {language} adapter ({target}) does not exist: {module_name} has no {attribute}"
        ) from None
    if not callable(factory):
        raise AdapterUnavailable(f"the {language} adapter ({target}) is not callable")
    return factory  # type: ignore[no-any-return]


class AdapterRegistry(Mapping[str, Adapter]):
    """language -> Adapter, each created on first lookup. Unknown languages raise KeyError;
    a known language whose runtime is missing raises `AdapterUnavailable` saying what to install."""

    def __init__(self, targets: Mapping[str, str] | None = None) -> None:
        self._targets = dict(targets) if targets is not None else adapter_targets()
        self._adapters: dict[str, Adapter] = {}

    def __getitem__(self, language: str) -> Adapter:
        adapter = self._adapters.get(language)
        if adapter is not None:
            return adapter
        target = self._targets.get(language)
        if target is None:
            if language in BUILTIN_LANGUAGES:
                raise AdapterUnavailable(f"no adapter for '{language}' is installed")
            raise KeyError(language)
        adapter = _load_factory(language, target)()
        if getattr(adapter, "language", language) != language:
            raise AdapterUnavailable(
                f"the adapter registered for '{language}' ({target}) serves "
                f"'{adapter.language}' instead"
            )
        self._adapters[language] = adapter
        return adapter

    def __contains__(self, language: object) -> bool:
        return language in self._targets or language in BUILTIN_LANGUAGES

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    @property
    def created(self) -> dict[str, Adapter]:
        """The adapters created so far (these hold processes to stop)."""
        return dict(self._adapters)
