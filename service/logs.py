"""The log's two forms (PAYMENTS_LOG_FORMAT): `text`, one readable line per record, and `json`,
one JSON object per line for log shippers. Records may carry structured fields as
`extra={"fields": {...}}` (the call log line does): JSON puts them at the top level."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class OneLineFormatter(logging.Formatter):
    """One line per record, even with a traceback, so log shippers keep records whole."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n").replace("\r", "\\r")


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", the record's fields…, "exception"?} per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return OneLineFormatter()
    raise ValueError(f"unknown log format {log_format!r}")
