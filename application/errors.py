"""Errors that are the user's to fix: shown as one line, never as a traceback."""


class UserError(Exception):
    """A mistake in the input (parameter, file, value); the message names it and what is valid."""
