"""A management command base class that records each run for the admin's health panel."""

import sys
from typing import Any

from django.core.management.base import BaseCommand

from admin_panel import services


class _LastLine:
    """A text stream that forwards what is written and remembers the last non-empty line."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self.last_line = ""

    def write(self, text: str) -> int:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            self.last_line = lines[-1]
        return self._out.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


class RecordedCommand(BaseCommand):
    """``BaseCommand`` that records each run in ``admin_command_runs``: start and end
    times, ``succeeded`` with the last line printed (what it did) or ``failed`` with
    the error's class and message. The error still propagates (non-zero exit)."""

    def execute(self, *args: Any, **options: Any) -> Any:
        stream = _LastLine(options.get("stdout") or sys.stdout)
        options["stdout"] = stream
        run = services.command_run_start(command=self.__module__.rsplit(".", 1)[-1])
        try:
            result = super().execute(*args, **options)
        except BaseException as exc:
            services.command_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
            raise
        services.command_run_finish(run=run, summary=stream.last_line)
        return result
