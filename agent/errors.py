"""Errors of the agent's core that the API turns into status codes (`omnix.agent.api.errors`)."""

from __future__ import annotations


class BadRequest(Exception):
    """The request itself is wrong; the message says which field and what is expected."""


class Unavailable(Exception):
    """A feature the request needs is not available on this agent (FAILED_PRECONDITION)."""
