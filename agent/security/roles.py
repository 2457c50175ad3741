"""Roles, permissions and the one policy table: which permission every RPC needs.

Roles are ordered: each holds every permission of the role below it. A method missing from
`POLICY` is refused (default deny); `tests/agent/security/test_policy.py` checks that every
method of every service has an entry, so a new RPC cannot ship without one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """A user's (or token's) role, weakest first."""

    VIEWER = "viewer"
    DEVELOPER = "developer"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """0 for viewer up to 3 for owner."""
        return _ORDER.index(self)

    def at_most(self, other: Role) -> Role:
        """The weaker of the two: a token never holds more than its user."""
        return self if self.rank <= other.rank else other

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named `text`; ValueError naming the roles otherwise."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(role.value for role in cls)
            raise ValueError(f"unknown role {text!r}: use one of {names}") from None


_ORDER = (Role.VIEWER, Role.DEVELOPER, Role.ADMIN, Role.OWNER)


class Permission(enum.StrEnum):
    """What a call needs. PUBLIC and SELF need no role: PUBLIC no identity at all (logging
    in), SELF any identity acting on its own account (whoami, its own tokens)."""

    PUBLIC = "public"
    SELF = "self"
    VIEW = "view"
    RUN = "run"
    DEPLOY = "deploy"
    LIST_SECRETS = "list-secrets"
    MANAGE_SECRETS = "manage-secrets"
    VIEW_AUDIT = "view-audit"
    MANAGE_USERS = "manage-users"
    MANAGE_PEERS = "manage-peers"
    INSTALL_LICENSE = "install-license"
    ROTATE_KEYS = "rotate-keys"


GRANTS: dict[Role, frozenset[Permission]] = {}
_granted: set[Permission] = {Permission.SELF}
for _role, _adds in (
    (Role.VIEWER, {Permission.VIEW}),
    (Role.DEVELOPER, {Permission.RUN, Permission.DEPLOY, Permission.LIST_SECRETS}),
    (
        Role.ADMIN,
        {
            Permission.MANAGE_SECRETS,
            Permission.VIEW_AUDIT,
            Permission.MANAGE_USERS,
            Permission.MANAGE_PEERS,
        },
    ),
    (Role.OWNER, {Permission.INSTALL_LICENSE, Permission.ROTATE_KEYS}),
):
    _granted |= _adds
    GRANTS[_role] = frozenset(_granted)


@dataclass(frozen=True, slots=True)
class Rule:
    """What one RPC needs, and whether it changes state (every change is audited)."""

    permission: Permission
    change: bool = False


_V, _R, _D = Permission.VIEW, Permission.RUN, Permission.DEPLOY

POLICY: dict[str, Rule] = {
    "/omnix.v1.AgentService/GetStatus": Rule(_V),
    "/omnix.v1.LicenseService/GetLicense": Rule(_V),
    "/omnix.v1.LicenseService/InstallLicense": Rule(Permission.INSTALL_LICENSE, change=True),
    "/omnix.v1.PipelineService/DeployPipeline": Rule(_D, change=True),
    "/omnix.v1.PipelineService/ListPipelines": Rule(_V),
    "/omnix.v1.PipelineService/GetPipeline": Rule(_V),
    "/omnix.v1.PipelineService/DeletePipeline": Rule(_D, change=True),
    "/omnix.v1.PipelineService/SharePipeline": Rule(_D, change=True),
    "/omnix.v1.PipelineService/UnsharePipeline": Rule(_D, change=True),
    "/omnix.v1.RunService/StartRun": Rule(_R, change=True),
    "/omnix.v1.RunService/GetRun": Rule(_V),
    "/omnix.v1.RunService/ListRuns": Rule(_V),
    "/omnix.v1.RunService/CancelRun": Rule(_R, change=True),
    "/omnix.v1.RunService/WatchRun": Rule(_V),
    "/omnix.v1.RunService/ReadOutputs": Rule(_V),
    "/omnix.v1.ScheduleService/ListSchedules": Rule(_V),
    "/omnix.v1.ScheduleService/PreviewSchedule": Rule(_V),
    "/omnix.v1.ScheduleService/PauseSchedule": Rule(_R, change=True),
    "/omnix.v1.ScheduleService/ResumeSchedule": Rule(_R, change=True),
    "/omnix.v1.ScheduleService/ListUnfiredFires": Rule(_V),
    "/omnix.v1.ScheduleService/Backfill": Rule(_R, change=True),
    "/omnix.v1.UsageService/GetUsage": Rule(_V),
    "/omnix.v1.SecurityService/Login": Rule(Permission.PUBLIC, change=True),
    "/omnix.v1.SecurityService/GetSsoConfig": Rule(Permission.PUBLIC),
    "/omnix.v1.SecurityService/LoginSso": Rule(Permission.PUBLIC, change=True),
    "/omnix.v1.SecurityService/Logout": Rule(Permission.SELF, change=True),
    "/omnix.v1.SecurityService/WhoAmI": Rule(Permission.SELF),
    "/omnix.v1.SecurityService/ChangePassword": Rule(Permission.SELF, change=True),
    "/omnix.v1.SecurityService/CreateToken": Rule(Permission.SELF, change=True),
    "/omnix.v1.SecurityService/ListTokens": Rule(Permission.SELF),
    "/omnix.v1.SecurityService/RevokeToken": Rule(Permission.SELF, change=True),
    "/omnix.v1.SecurityService/AddUser": Rule(Permission.MANAGE_USERS, change=True),
    "/omnix.v1.SecurityService/ListUsers": Rule(Permission.MANAGE_USERS),
    "/omnix.v1.SecurityService/RemoveUser": Rule(Permission.MANAGE_USERS, change=True),
    "/omnix.v1.SecurityService/SetUserRole": Rule(Permission.MANAGE_USERS, change=True),
    "/omnix.v1.SecurityService/SetUserPassword": Rule(Permission.MANAGE_USERS, change=True),
    "/omnix.v1.SecurityService/ListSessions": Rule(Permission.MANAGE_USERS),
    "/omnix.v1.SecurityService/RevokeSession": Rule(Permission.MANAGE_USERS, change=True),
    "/omnix.v1.SecurityService/ListAudit": Rule(Permission.VIEW_AUDIT),
    "/omnix.v1.SecurityService/VerifyAudit": Rule(Permission.VIEW_AUDIT),
    "/omnix.v1.SecretService/SetSecret": Rule(Permission.MANAGE_SECRETS, change=True),
    "/omnix.v1.SecretService/ListSecrets": Rule(Permission.LIST_SECRETS),
    "/omnix.v1.SecretService/DeleteSecret": Rule(Permission.MANAGE_SECRETS, change=True),
    "/omnix.v1.SecretService/RotateMasterKey": Rule(Permission.ROTATE_KEYS, change=True),
}

OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
"""Health checks and reflection answer anyone: they reveal liveness and the public schema."""


def rule_for(method: str) -> Rule | None:
    """The rule of `method` (a full gRPC method name); None: no such rule, refuse."""
    return POLICY.get(method)


def allows(role: Role, permission: Permission) -> bool:
    """Whether `role` holds `permission` (PUBLIC: everyone)."""
    return permission is Permission.PUBLIC or permission in GRANTS[role]


def weakest_role_with(permission: Permission) -> Role | None:
    """The weakest role that holds `permission` (for error messages)."""
    return next((role for role in _ORDER if permission in GRANTS[role]), None)
