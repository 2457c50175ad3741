"""Log lines are journald-friendly exactly when stderr is the journal stream."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from omnix.agent.systemd.journal import configure_logging, writes_to_journal


@pytest.fixture
def stream(tmp_path: Path) -> Iterator[TextIO]:
    with (tmp_path / "stderr.log").open("w+", encoding="utf-8") as file:
        yield file


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    omnix = logging.getLogger("omnix")
    saved_omnix = omnix.level
    yield logging.getLogger("omnix.agent.test")
    root.handlers[:], root.level = saved
    omnix.setLevel(saved_omnix)


def journal_env(stream: TextIO) -> dict[str, str]:
    stat = os.fstat(stream.fileno())
    return {"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"}


def logged(stream: TextIO) -> str:
    stream.flush()
    stream.seek(0)
    return stream.read()


def test_journal_stream_gets_priority_prefix_and_no_timestamp(
    stream: TextIO, logger: logging.Logger
) -> None:
    configure_logging(stream=stream, environ=journal_env(stream))
    logger.warning("disk almost full")
    assert logged(stream) == "<4>omnix.agent.test: disk almost full\n"


def test_every_traceback_line_keeps_the_priority(stream: TextIO, logger: logging.Logger) -> None:
    configure_logging(stream=stream, environ=journal_env(stream))
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("run failed")
    lines = logged(stream).splitlines()
    assert len(lines) > 2
    assert all(line.startswith("<3>") for line in lines)


def test_elsewhere_lines_start_with_a_timestamp(stream: TextIO, logger: logging.Logger) -> None:
    configure_logging(stream=stream, environ={})
    logger.info("listening")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO omnix\.agent\.test: listening\n",
        logged(stream),
    )


def test_journal_stream_of_another_file_is_not_ours(stream: TextIO, tmp_path: Path) -> None:
    with (tmp_path / "other").open("w") as other:
        assert not writes_to_journal(stream, journal_env(other))


def test_configuring_again_replaces_the_handler(stream: TextIO, logger: logging.Logger) -> None:
    configure_logging(stream=stream, environ={})
    configure_logging("warning", stream=stream, environ={})
    logger.info("not shown at warning")
    logger.warning("shown once")
    assert logged(stream).count("shown once") == 1
    assert "not shown" not in logged(stream)
