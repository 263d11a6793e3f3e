"""The API's user store on the project database: ``ProgramStore`` accounts as security ``User``s."""

from __future__ import annotations

from spacehome.api.security import User
from spacehome.persistence.program_store import ProgramStore, UserRecord


def _user(record: UserRecord | None) -> User | None:
    if record is None:
        return None
    return User(
        id=record.id, username=record.username, role=record.role, password_hash=record.password_hash,
        partner_org=record.partner_org, active=record.active,
    )


class DatabaseUserStore:
    """Implements :class:`spacehome.api.security.UserStore` over the program's accounts table."""

    def __init__(self, store: ProgramStore) -> None:
        self.store = store

    def get_by_username(self, username: str) -> User | None:
        return _user(self.store.get_user_by_username(username))

    def get_by_id(self, user_id: str) -> User | None:
        return _user(self.store.get_user_by_id(user_id))

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.store.set_password_hash(user_id, password_hash)
