"""Validation: turn pipeline text into a `Pipeline`, collecting every problem with its file, line and node.

Nothing runs until a file validates, so this module is strict: unknown keys are errors,
types are checked, and every reference is resolved. It reports all problems it can find
in one pass instead of stopping at the first.

One module per thing checked: `document` (the file as a whole), `schedule`, `nodes`, `graph`;
`located` says where each problem is.
"""

from __future__ import annotations

from omnix.shared.validation.document import build_pipeline
from omnix.shared.validation.schedule import cron_error

__all__ = ["build_pipeline", "cron_error"]
