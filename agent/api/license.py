"""LicenseService: the license in force with today's usage, and installing a key."""

from __future__ import annotations

from typing import Any

import grpc
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest, LicenseNotInstallable, Unavailable
from omnix.v1 import license_pb2

Context = grpc.aio.ServicerContext[Any, Any]
MAX_KEY_CHARS = 4096
"""Far above any real key (a 64-byte customer name makes about 300 characters)."""


class LicenseServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def GetLicense(
        self, request: license_pb2.GetLicenseRequest, context: Context
    ) -> license_pb2.GetLicenseResponse:
        return license_pb2.GetLicenseResponse(license=await self._info())

    @unary
    async def InstallLicense(
        self, request: license_pb2.InstallLicenseRequest, context: Context
    ) -> license_pb2.InstallLicenseResponse:
        # Loaded on use: licensing pulls in cryptography, which an idle agent does without.
        from omnix.shared.licensing import InvalidLicenseKey

        if not request.key.strip():
            raise BadRequest("key is empty: give the license key as issued (OMNIX-...)")
        if len(request.key) > MAX_KEY_CHARS:
            raise BadRequest(f"key is {len(request.key)} characters; a license key is far shorter")
        try:
            status, previous = await self._daemon.install_license(request.key)
        except InvalidLicenseKey as exc:
            raise BadRequest(f"the license key is not valid: {exc.reason}; {exc.hint}") from None
        except LicenseNotInstallable as exc:
            raise Unavailable(f"{exc}; ask Omnix for a renewed key and install that") from None
        replaced = ""
        old, new = previous.license if previous else None, status.license
        if old is not None and new is not None and old.fingerprint != new.fingerprint:
            replaced = (
                f"the {old.tier.title} license for {old.terms.customer} (id {old.terms.license_id})"
            )
        return license_pb2.InstallLicenseResponse(license=await self._info(), replaced=replaced)

    async def _info(self) -> license_pb2.LicenseInfo:
        from omnix.agent.licensing.wire import info_message

        return info_message(await self._daemon.license_report())
