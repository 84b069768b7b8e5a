"""Structured logs: one JSON object a line on stdout."""

import json
import logging
import logging.config
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("status_code", "event", "proposal_id", "task"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure(config: dict) -> None:
    """Django's LOGGING_CONFIG: the dict config, plus Python warnings routed through logging
    (logger ``py.warnings``) so that they too come out as JSON lines, not bare stderr text."""
    logging.captureWarnings(True)
    logging.config.dictConfig(config)
