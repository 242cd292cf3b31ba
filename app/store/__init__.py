"""What the line remembers: opt-outs, texters' places, anonymous counts (see database.Store)."""

from .database import Store, StopRecord
from .engine import Timeouts, make_engine
from .guard import StoreError, Unavailable
from .journal import JournalError, StopJournal
from .migrate import upgrade
from .schema import metadata, opt_outs, sms_positions, usage_counts

__all__ = ["JournalError", "StopJournal", "StopRecord", "Store", "StoreError", "Timeouts", "Unavailable", "make_engine",
           "metadata", "opt_outs", "sms_positions", "usage_counts", "upgrade"]
