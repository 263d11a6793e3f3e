"""Accounts: password hashing (Argon2id through pwdlib), creating users, the first admin.

Shared by the command line (``spacehome users create``, ``spacehome serve``) and the API (login).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from spacehome.domain.program import Role
from spacehome.errors import ValidationError
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import ProgramStore, UserRecord

#: The shortest password an account may have.
MIN_PASSWORD_LENGTH = 12
#: The first administrator's username, created on the first start of ``spacehome serve``.
ADMIN_USERNAME = "admin"


class Passwords:
    """Argon2id password hashing through pwdlib.

    The defaults are argon2-cffi's (RFC 9106 second recommended option: t=3, m=64 MiB, p=4).
    Tests may pass cheaper parameters; a hash made with other parameters still verifies, and
    :meth:`needs_rehash` reports it so the caller can store a fresh hash at the next login.
    """

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        options: dict[str, Any] = {
            name: value
            for name, value in (
                ("time_cost", time_cost),
                ("memory_cost", memory_cost),
                ("parallelism", parallelism),
            )
            if value is not None
        }
        self._hash = PasswordHash((Argon2Hasher(**options),))
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """An Argon2id PHC string (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``) with a fresh salt."""
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        """True when the password matches; False for a wrong password or an unrecognised hash."""
        try:
            return self._hash.verify(password, password_hash)
        except UnknownHashError:
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (or another algorithm) than today's."""
        hasher = self._hash.current_hasher
        if not hasher.identify(password_hash):
            return True
        return hasher.check_needs_rehash(password_hash)

    def verify_and_update(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """(matches, new hash to store or None): the login-time upgrade path."""
        try:
            return self._hash.verify_and_update(password, password_hash)
        except UnknownHashError:
            return False, None

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
        if self._dummy is None:
            self._dummy = self.hash("spacehome: no such user")
        self._hash.verify(password, self._dummy)


def program_store(database_url: str | None = None) -> ProgramStore:
    """The program's store on the project database (created and migrated on first use)."""
    return ProgramStore(open_database(database_url))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}"
        )


def create_account(
    store: ProgramStore, username: str, role: str, password: str, *, now: datetime,
    partner_org: str | None = None, passwords: Passwords | None = None,
) -> UserRecord:
    try:
        parsed = Role(role)
    except ValueError:
        raise ValidationError(
            f"unknown role '{role}'; use one of {', '.join(r.value for r in Role if r is not Role.PUBLIC)}"
        ) from None
    if parsed is Role.PUBLIC:
        raise ValidationError("'public' is everyone without a login; give an account another role")
    if parsed is Role.PARTNER and not partner_org:
        raise ValidationError("a partner account acts for an institution: give --partner-org NAME")
    check_password(password)
    hashed = (passwords or Passwords()).hash(password)
    return store.create_user(username, parsed, hashed, now=now, partner_org=partner_org)


def ensure_admin(store: ProgramStore, *, now: datetime, passwords: Passwords | None = None) -> str | None:
    """Create the first administrator if there is none; return its one-time password, else None."""
    if store.get_user_by_username(ADMIN_USERNAME) is not None:
        return None
    password = secrets.token_urlsafe(18)
    create_account(store, ADMIN_USERNAME, Role.ADMIN.value, password, now=now, passwords=passwords)
    return password


def account_view(user: UserRecord) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "partner_org": user.partner_org,
        "active": user.active,
        "created_at": user.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
