"""Log formatting: one line per record, tracebacks included."""

import logging


class OneLineFormatter(logging.Formatter):
    """Render each record, traceback included, on a single line.

    A request error is then one grep-able line carrying its request id; the
    traceback's newlines become `` | `` separators.
    """

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")
