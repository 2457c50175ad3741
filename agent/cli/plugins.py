"""`omnix-agent plugins`: the adapter plugins installed here, and which the license enables."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import click
from omnix.agent.adapters.base import AdapterUnavailable
from omnix.agent.adapters.registry import ENTRY_POINT_GROUP, AdapterRegistry, plugin_languages
from omnix.agent.cli.license import state_dir_from_option, state_dir_option
from omnix.agent.licensing.entitlements import Entitlements
from omnix.agent.licensing.keyfile import LicenseStore
from omnix.agent.store.usage import read_store
from omnix.shared.pipeline import BUILTIN_LANGUAGES
from omnix.shared.tiers import Limit, cheapest_tier_for_count, format_limit


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One installed plugin: where it comes from, whether it loads, whether it is enabled."""

    language: str
    target: str
    distribution: str
    version: str
    replaces_builtin: bool
    enabled: bool
    problem: str


def installed_plugins(entitlements: Entitlements) -> list[PluginInfo]:
    """Every `omnix.adapters` entry point, in the order the tier enables them."""
    ceiling = entitlements.limit(Limit.CUSTOM_CONNECTORS)
    order = plugin_languages()
    found = {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}
    plugins = []
    for position, language in enumerate(order, start=1):
        entry = found[language]
        problem = ""
        try:
            AdapterRegistry({language: entry.value})[language]
        except AdapterUnavailable as exc:
            problem = str(exc)
        enabled = entitlements.enables_connector(position)
        if not enabled and not problem:
            upgrade = cheapest_tier_for_count(Limit.CUSTOM_CONNECTORS, position)
            offer = f"{upgrade.title} enables it" if upgrade else "no tier enables it"
            problem = (
                f"not enabled: the {entitlements.tier.title} tier enables "
                f"{format_limit(ceiling or 0)} custom connectors; {offer}"
            )
        plugins.append(
            PluginInfo(
                language=language,
                target=entry.value,
                distribution=entry.dist.name if entry.dist is not None else "",
                version=entry.dist.version if entry.dist is not None else "",
                replaces_builtin=language in BUILTIN_LANGUAGES,
                enabled=enabled,
                problem=problem,
            )
        )
    return plugins


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@state_dir_option
def command(as_json: bool, state_dir: Path | None) -> None:
    """List adapter plugins (entry points in the omnix.adapters group): the language each
    serves, its package, whether it loads, and whether the license enables it."""
    state = state_dir_from_option(state_dir)
    read = read_store(state)
    newest = read[1] if read is not None else None
    entitlements = Entitlements(
        LicenseStore(state).status(now=datetime.now(UTC), newest_recorded=newest)
    )
    plugins = installed_plugins(entitlements)
    ceiling = entitlements.limit(Limit.CUSTOM_CONNECTORS)
    if as_json:
        document = {
            "tier": entitlements.tier.value,
            "custom_connectors_limit": ceiling,
            "plugins": [asdict(plugin) for plugin in plugins],
        }
        click.echo(json.dumps(document, indent=2))
        return
    enabled = sum(plugin.enabled for plugin in plugins)
    allowed = "any number" if ceiling is None else "none" if ceiling == 0 else f"up to {ceiling:,}"
    click.echo(
        f"{len(plugins)} plugin{'s' if len(plugins) != 1 else ''} installed, {enabled} enabled "
        f"(the {entitlements.tier.title} tier enables {allowed})"
    )
    for plugin in plugins:
        source = f"{plugin.distribution} {plugin.version}".strip() or "?"
        state_text = "enabled" if plugin.enabled and not plugin.problem else plugin.problem
        replaces = " (replaces the built-in)" if plugin.replaces_builtin else ""
        click.echo(f"  {plugin.language}{replaces}  {plugin.target}  [{source}]  {state_text}")
