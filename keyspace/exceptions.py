"""What the app raises when a request cannot be served; `keyspace.views.errors` renders each."""

from __future__ import annotations


class DashboardError(Exception):
    status = 500
    title = "Something went wrong"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(DashboardError):
    status = 400
    title = "Bad request"


class KeyNotFound(DashboardError):
    status = 404
    title = "Key not found"


class NotPermitted(DashboardError):
    status = 403
    title = "Not permitted"


class SignInRequired(DashboardError):
    status = 401
    title = "Sign in"


class ConnectionNotFound(DashboardError):
    status = 404
    title = "No such connection"
