"""The moderation store's refusals: one sentence a moderator reads."""

from __future__ import annotations


class ModerationError(Exception):
    """A refusal a moderator reads: one sentence."""


class Conflict(ModerationError):
    """Someone else got there first."""
