"""Adapters, one per language: what a node of that language needs to run (its worker
command, environment and request); `registry` finds them, built in or from plugins."""
