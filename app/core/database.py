"""The app's handle on its database: which engine, and how a request gets its session."""

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import write_bind


@dataclass
class Database:
    engine: Engine

    def session(self, *, write: bool) -> Session:
        return Session(write_bind(self.engine) if write else self.engine, expire_on_commit=False)
