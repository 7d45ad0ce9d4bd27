"""Errors that are the user's to fix: shown as one line, never as a traceback."""


class UserError(Exception):
    """A mistake in the input (parameter, file, value); the message names it and what is valid."""


class ModelUnusable(Exception):
    """A previous session's model that cannot be used (missing, of another network, or a file that
    needs more than weights to load); the session warns with this one line and goes on without it."""


class Cancelled(Exception):
    """The user stopped long work from an app (a cancel button); nothing was produced."""
