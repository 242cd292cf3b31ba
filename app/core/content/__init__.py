"""Load the content folder into a frozen model, refusing broken files with the file and field named.

model: the frozen values (Line, Menu, Topic...) and the rules every id follows; reader: YAML that
keeps its line numbers; loader: load_line, one reader per section; rules: the structure rules.
"""

from app.core.content.loader import load_line
from app.core.content.model import (
    ID_PATTERN,
    MAIN_MENU,
    MAX_DEPTH,
    MAX_ID_LENGTH,
    MAX_TOPIC_CHOICES,
    ContentError,
    Line,
    Menu,
    Option,
    Part,
    Problem,
    Pronouncer,
    Reserved,
    SmsContent,
    Source,
    Topic,
    Where,
    is_valid_id,
    line_sms_text,
)

__all__ = [
    "ID_PATTERN", "MAIN_MENU", "MAX_DEPTH", "MAX_ID_LENGTH", "MAX_TOPIC_CHOICES", "ContentError", "Line", "Menu",
    "Option", "Part", "Problem", "Pronouncer", "Reserved", "SmsContent", "Source", "Topic", "Where", "is_valid_id",
    "line_sms_text", "load_line",
]
