"""Who is acting and from where, for the audit log, set once per request or command."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class ActorContext:
    """Where an action comes from: the client address and the channel."""

    ip: str = ""
    channel: str = "cli"  # web, api, cli, task


_current: contextvars.ContextVar[ActorContext] = contextvars.ContextVar(
    "renkou_actor_context",
    default=ActorContext(),  # noqa: B039 (frozen, so immutable)
)


def current_context() -> ActorContext:
    """The context of the action in progress."""
    return _current.get()


def set_context(ctx: ActorContext) -> contextvars.Token[ActorContext]:
    """Set the context; returns a token for ``reset_context``."""
    return _current.set(ctx)


def reset_context(token: contextvars.Token[ActorContext]) -> None:
    """Restore the previous context."""
    _current.reset(token)
