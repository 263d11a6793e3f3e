"""The one error hierarchy of spacehome.

Every error carries a one-line message that says what is wrong and how to fix it. The edges map
them: the command line to exit code 2 and a single line on stderr, the API (later) to an RFC 9457
problem response. Nothing else in spacehome raises bare exceptions for bad input.
"""

from __future__ import annotations


class SpacehomeError(Exception):
    """Base of every error spacehome raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(SpacehomeError):
    """Input that cannot be accepted as given (a time without a zone, an unknown code, ...).

    ``field`` optionally names the input field at fault (``"title"``, ``"requests.crew_hours"``),
    so a form can show the message next to it; the API lists it in the problem's ``errors``.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NaiveTimeError(ValidationError):
    """A time without a UTC offset: spacehome never guesses the zone."""


class RecordError(ValidationError):
    """A station-record data file that is malformed or contradicts itself.

    The message names the file, the record and the field, so the person editing the data can go
    straight to the line to fix.
    """

    def __init__(self, file: str, record: str, field: str, problem: str) -> None:
        self.file = file
        self.record = record
        self.problem = problem
        super().__init__(f"{file}: {record}: field '{field}': {problem}", field=field)


class NotFoundError(SpacehomeError):
    """Something asked for by name or id that the record does not hold."""


class ConflictError(SpacehomeError):
    """A request that contradicts the current state (an illegal state change, a duplicate)."""


class StaleError(ConflictError):
    """The object changed after the caller read it: a write that lost an optimistic-concurrency
    race (the API answers 412 Precondition Failed; read it again and retry)."""
