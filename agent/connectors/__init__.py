"""Connector nodes that ship with Omnix, each a plugin like any other (docs/plugins.md):
registered through the `omnix.adapters` entry-point group, counted against the tier's
custom-connector limit."""
