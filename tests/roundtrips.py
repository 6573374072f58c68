"""Count the round trips the dashboard makes to Redis: a spy that wraps (not replaces) the
real connection's send, so every command still goes to the real server."""

from __future__ import annotations

import contextlib

import redis.connection


@contextlib.contextmanager
def count_round_trips(monkeypatch):
    sent: list[int] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(1)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    try:
        yield sent
    finally:
        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", original)
