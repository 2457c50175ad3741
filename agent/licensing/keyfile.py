"""Where the installed license key lives: ``STATE_DIR/license.key``, one key, written atomically.

The agent reads it at start. A stored key that is missing, unreadable, malformed, untrusted or
expired means the Free tier with a warning; the file is never deleted or rewritten, so a
license that comes back into force (a fixed clock, a newer agent) needs nothing re-installed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from omnix.agent.errors import LicenseNotInstallable
from omnix.agent.licensing.entitlements import Entitlements
from omnix.shared.license_status import LicenseState, LicenseStatus, judge_key, judge_license
from omnix.shared.licensing import InvalidLicenseKey, License, LicenseVerifier

LICENSE_FILE = "license.key"
log = logging.getLogger(__name__)


class LicenseStore:
    """The installed license of one agent state directory."""

    def __init__(self, state_dir: Path, *, verifier: LicenseVerifier | None = None) -> None:
        self.state_dir = state_dir
        self._verifier = verifier

    @property
    def path(self) -> Path:
        """The key file."""
        return self.state_dir / LICENSE_FILE

    def read_key(self) -> str | None:
        """The stored key text, or None when no license is installed.

        Raises `InvalidLicenseKey` when the file exists but cannot be read as text."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidLicenseKey(
                f"{self.path} cannot be read ({exc})",
                f"fix the file's permissions or install the key again with "
                f"`omnix-agent license install KEY --state-dir {self.state_dir}`",
            ) from None

    def status(self, *, now: datetime, newest_recorded: datetime | None = None) -> LicenseStatus:
        """The stored license judged at `now`; a problem is logged as a warning, never raised."""
        try:
            key = self.read_key()
        except InvalidLicenseKey as exc:
            status = judge_key(None, now=now, newest_recorded=newest_recorded)
            status = replace(status, state=LicenseState.INVALID, problem=exc.reason)
        else:
            status = judge_key(
                key, now=now, newest_recorded=newest_recorded, verifier=self._verifier_in_use()
            )
        if status.state in (LicenseState.INVALID, LicenseState.EXPIRED):
            log.warning("%s (%s is kept as it is)", status.summary(), self.path)
        elif status.state is LicenseState.EXPIRING:
            log.warning("%s", status.summary())
        return status

    def entitlements(
        self, *, now: datetime, newest_recorded: datetime | None = None
    ) -> Entitlements:
        """What the stored license allows at `now` (Free when it does not hold)."""
        return Entitlements(self.status(now=now, newest_recorded=newest_recorded))

    def install(
        self, key: str, *, now: datetime, newest_recorded: datetime | None = None
    ) -> LicenseStatus:
        """Verify `key` and, only if it holds at `now`, store it in place of any previous key.

        Raises `InvalidLicenseKey` for a key that does not verify and `LicenseNotInstallable`
        for one that has expired; the stored key is untouched in both cases."""
        license: License = self._verifier_in_use().verify(key)
        status = judge_license(license, now=now, newest_recorded=newest_recorded)
        if status.state is LicenseState.EXPIRED:
            raise LicenseNotInstallable(
                f"this {license.tier.title} license for {license.terms.customer} expired at "
                f"{license.terms.expires:%Y-%m-%d %H:%M} UTC (judged at "
                f"{status.judged_at:%Y-%m-%d %H:%M} UTC)"
            )
        self._write(license.key + "\n")
        return status

    def _verifier_in_use(self) -> LicenseVerifier:
        # Built on use, not at import, so the vendor key is read only when a license is checked.
        if self._verifier is None:
            self._verifier = LicenseVerifier()
        return self._verifier

    def _write(self, text: str) -> None:
        """Replace the key file atomically: a crash leaves the old key or the new, never half."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp_name = tempfile.mkstemp(prefix=".license.", suffix=".tmp", dir=self.state_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o644)
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        directory = os.open(self.state_dir, os.O_RDONLY)
        try:
            os.fsync(directory)  # make the rename itself durable
        finally:
            os.close(directory)
