"""What the line remembers: opt-outs, texters' places, anonymous counts (see database.Store)."""

from app.store.connection import Timeouts, make_engine
from app.store.database import StopRecord, Store
from app.store.guard import StoreError, Unavailable
from app.store.journal import JournalError, StopJournal
from app.store.migrate import upgrade
from app.store.schema import metadata, opt_outs, sms_positions, usage_counts

__all__ = ["JournalError", "StopJournal", "StopRecord", "Store", "StoreError", "Timeouts", "Unavailable", "make_engine",
           "metadata", "opt_outs", "sms_positions", "usage_counts", "upgrade"]
