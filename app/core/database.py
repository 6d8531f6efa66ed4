"""The app's handle on its database: which engine, and how a request gets its session."""

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import write_bind


@dataclass
class Database:
    engine: Engine
    writer: Engine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Made once: `execution_options` builds a new engine proxy on every call.
        self.writer = write_bind(self.engine)

    def session(self, *, write: bool) -> Session:
        return Session(self.writer if write else self.engine, expire_on_commit=False)
