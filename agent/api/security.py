"""SecurityService and SecretService: users, sessions, tokens, the audit log and secrets.

The policy interceptor has already identified the caller and checked the method's
permission; what is left here is which *object* a caller may touch (their own tokens, or
anyone's for an admin) and the translation to messages.
"""

from __future__ import annotations

import time
from typing import Any

import grpc
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest, Forbidden, Unauthenticated
from omnix.agent.security.audit import AuditEntry
from omnix.agent.security.credentials import Principal, check_password, current_caller
from omnix.agent.security.directory import Credential, User
from omnix.agent.security.guard import Security
from omnix.agent.security.roles import Permission, Role
from omnix.agent.security.vault import SecretInfo
from omnix.v1 import security_pb2

Context = grpc.aio.ServicerContext[Any, Any]


def _caller() -> Principal:
    caller = current_caller()
    if caller is None:
        raise Unauthenticated("this call needs an identity: log in with `omnix login`")
    return caller


def _role(text: str, default: Role | None = None) -> Role:
    if not text and default is not None:
        return default
    try:
        return Role.parse(text)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def user_message(user: User) -> security_pb2.User:
    """A user as a message (never their password hash)."""
    return security_pb2.User(
        name=user.name,
        role=user.role.value,
        has_password=bool(user.password_hash),
        created_at=user.created_at,
        created_by=user.created_by,
    )


def credential_message(credential: Credential) -> security_pb2.Credential:
    """A token or session as a message (never its hash)."""
    return security_pb2.Credential(
        id=credential.id,
        kind=credential.kind,
        user=credential.user,
        name=credential.name,
        role=credential.role.value,
        created_at=credential.created_at,
        expires_at=credential.expires_at or 0.0,
        last_used_at=credential.last_used_at or 0.0,
        revoked_at=credential.revoked_at or 0.0,
        revoked_by=credential.revoked_by,
        peer=credential.peer,
        pipelines=list(credential.pipelines),
    )


def _audit_message(entry: AuditEntry) -> security_pb2.AuditEntry:
    return security_pb2.AuditEntry(**entry.as_dict())


def _secret_message(info: SecretInfo) -> security_pb2.Secret:
    return security_pb2.Secret(
        name=info.name,
        created_at=info.created_at,
        updated_at=info.updated_at,
        updated_by=info.updated_by,
    )


class SecurityServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @property
    def _security(self) -> Security:
        return self._daemon.security

    @unary
    async def Login(
        self, request: security_pb2.LoginRequest, context: Context
    ) -> security_pb2.LoginResponse:
        if not request.user:
            raise BadRequest("user is empty: give the user name to log in as")
        token, session, user = await self._security.login(
            request.user, request.password, peer=context.peer() or ""
        )
        return security_pb2.LoginResponse(
            token=token, session=credential_message(session), user=user_message(user)
        )

    @unary
    async def GetSsoConfig(
        self, request: security_pb2.GetSsoConfigRequest, context: Context
    ) -> security_pb2.GetSsoConfigResponse:
        provider = await self._security.sso()
        document = await provider.discovery()
        return security_pb2.GetSsoConfigResponse(
            issuer=provider.settings.issuer,
            client_id=provider.settings.client_id,
            scopes=provider.settings.scopes,
            device_authorization_endpoint=document["device_authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
        )

    @unary
    async def LoginSso(
        self, request: security_pb2.LoginSsoRequest, context: Context
    ) -> security_pb2.LoginSsoResponse:
        if not request.id_token:
            raise BadRequest("id_token is empty: send the ID token of the device flow")
        token, session, user = await self._security.login_sso(
            request.id_token, peer=context.peer() or ""
        )
        return security_pb2.LoginSsoResponse(
            token=token, session=credential_message(session), user=user_message(user)
        )

    @unary
    async def Logout(
        self, request: security_pb2.LogoutRequest, context: Context
    ) -> security_pb2.LogoutResponse:
        caller = _caller()
        if caller.via != "session":
            return security_pb2.LogoutResponse(revoked=False)
        directory = self._security.accounts
        await directory.revoke(directory.credential(caller.credential, "session"), by=caller.user)
        return security_pb2.LogoutResponse(revoked=True)

    @unary
    async def WhoAmI(
        self, request: security_pb2.WhoAmIRequest, context: Context
    ) -> security_pb2.WhoAmIResponse:
        caller = _caller()
        tier = (await self._daemon.license_gate.entitlements()).tier
        return security_pb2.WhoAmIResponse(
            user=caller.user,
            role=caller.role.value,
            via=caller.via,
            credential=caller.credential,
            tier=tier.title,
            pipelines=sorted(caller.pipelines),
        )

    @unary
    async def ChangePassword(
        self, request: security_pb2.ChangePasswordRequest, context: Context
    ) -> security_pb2.ChangePasswordResponse:
        caller = _caller()
        directory = self._security.accounts
        user = directory.user(caller.user)
        _check_password(request.new_password)
        if user.password_hash and not check_password(request.current_password, user.password_hash):
            raise Forbidden("the current password is wrong")
        await directory.set_password(caller.user, request.new_password)
        return security_pb2.ChangePasswordResponse()

    @unary
    async def CreateToken(
        self, request: security_pb2.CreateTokenRequest, context: Context
    ) -> security_pb2.CreateTokenResponse:
        caller = _caller()
        directory = self._security.accounts
        user = directory.user(caller.user)
        role = _role(request.role, caller.role)
        if role.rank > caller.role.rank:
            raise Forbidden(f"this call holds {caller.role}: a token made with it cannot be {role}")
        if request.expires_in_s < 0:
            raise BadRequest("expires_in_s is negative: give a duration such as 30d")
        expires = time.time() + request.expires_in_s if request.expires_in_s else None
        token, credential = await directory.create_token(
            user,
            request.name,
            role,
            expires,
            peer=context.peer() or "",
            pipelines=_token_scope(caller, list(request.pipelines)),
        )
        return security_pb2.CreateTokenResponse(
            token=token, credential=credential_message(credential)
        )

    @unary
    async def ListTokens(
        self, request: security_pb2.ListTokensRequest, context: Context
    ) -> security_pb2.ListTokensResponse:
        caller = _caller()
        if request.all_users and not self._security.may(caller, Permission.MANAGE_USERS):
            raise Forbidden(f"{caller.user} ({caller.role}) may list only their own tokens")
        user = "" if request.all_users else caller.user
        tokens = self._security.accounts.listed("token", user)
        return security_pb2.ListTokensResponse(tokens=[credential_message(t) for t in tokens])

    @unary
    async def RevokeToken(
        self, request: security_pb2.RevokeTokenRequest, context: Context
    ) -> security_pb2.RevokeTokenResponse:
        caller = _caller()
        credential = self._security.owned_token(caller, request.id)
        revoked = await self._security.accounts.revoke(credential, by=caller.user)
        return security_pb2.RevokeTokenResponse(credential=credential_message(revoked))

    @unary
    async def AddUser(
        self, request: security_pb2.AddUserRequest, context: Context
    ) -> security_pb2.AddUserResponse:
        caller = _caller()
        role = _role(request.role)
        self._security.check_role_change(caller, role, None)
        if request.password:
            _check_password(request.password)
        user = await self._security.add_user(request.name, role, request.password, by=caller.user)
        return security_pb2.AddUserResponse(user=user_message(user))

    @unary
    async def ListUsers(
        self, request: security_pb2.ListUsersRequest, context: Context
    ) -> security_pb2.ListUsersResponse:
        users = sorted(self._security.accounts.users.values(), key=lambda u: u.name)
        return security_pb2.ListUsersResponse(users=[user_message(u) for u in users])

    @unary
    async def RemoveUser(
        self, request: security_pb2.RemoveUserRequest, context: Context
    ) -> security_pb2.RemoveUserResponse:
        caller = _caller()
        directory = self._security.accounts
        target = directory.user(request.name)
        self._security.check_role_change(caller, target.role, target)
        revoked = await self._security.remove_user(request.name, by=caller.user)
        return security_pb2.RemoveUserResponse(revoked=revoked)

    @unary
    async def SetUserRole(
        self, request: security_pb2.SetUserRoleRequest, context: Context
    ) -> security_pb2.SetUserRoleResponse:
        caller = _caller()
        directory = self._security.accounts
        target = directory.user(request.name)
        role = _role(request.role)
        self._security.check_role_change(caller, role, target)
        user = await directory.set_role(request.name, role)
        return security_pb2.SetUserRoleResponse(user=user_message(user))

    @unary
    async def SetUserPassword(
        self, request: security_pb2.SetUserPasswordRequest, context: Context
    ) -> security_pb2.SetUserPasswordResponse:
        caller = _caller()
        directory = self._security.accounts
        target = directory.user(request.name)
        self._security.check_role_change(caller, target.role, target)
        if request.password:
            _check_password(request.password)
        await directory.set_password(request.name, request.password)
        return security_pb2.SetUserPasswordResponse()

    @unary
    async def ListSessions(
        self, request: security_pb2.ListSessionsRequest, context: Context
    ) -> security_pb2.ListSessionsResponse:
        sessions = self._security.accounts.listed("session", request.user)
        return security_pb2.ListSessionsResponse(sessions=[credential_message(s) for s in sessions])

    @unary
    async def RevokeSession(
        self, request: security_pb2.RevokeSessionRequest, context: Context
    ) -> security_pb2.RevokeSessionResponse:
        caller = _caller()
        directory = self._security.accounts
        session = directory.credential(request.id, "session")
        revoked = await directory.revoke(session, by=caller.user)
        return security_pb2.RevokeSessionResponse(session=credential_message(revoked))

    @unary
    async def ListAudit(
        self, request: security_pb2.ListAuditRequest, context: Context
    ) -> security_pb2.ListAuditResponse:
        if request.limit < 0:
            raise BadRequest("limit is negative")
        assert self._security.audit is not None
        entries = await self._security.audit.entries(
            since=request.since or None, user=request.user, limit=request.limit or 1000
        )
        return security_pb2.ListAuditResponse(entries=[_audit_message(e) for e in entries])

    @unary
    async def VerifyAudit(
        self, request: security_pb2.VerifyAuditRequest, context: Context
    ) -> security_pb2.VerifyAuditResponse:
        assert self._security.audit is not None
        verdict = await self._security.audit.verify()
        return security_pb2.VerifyAuditResponse(
            ok=verdict.ok,
            rows=verdict.rows,
            checkpoints=verdict.checkpoints,
            first_bad_seq=verdict.first_bad_seq,
            problem=verdict.problem,
        )


def _token_scope(caller: Principal, pipelines: list[str]) -> tuple[str, ...]:
    """A new token's pipelines: within the caller's own scope, when the caller has one."""
    if not caller.pipelines:
        return tuple(pipelines)
    if not pipelines:
        return tuple(sorted(caller.pipelines))
    outside = sorted(set(pipelines) - caller.pipelines)
    if outside:
        raise Forbidden(
            f"this call's token is limited to {', '.join(sorted(caller.pipelines))}: a token "
            f"made with it cannot reach {', '.join(outside)}"
        )
    return tuple(pipelines)


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise BadRequest("the password is shorter than 8 characters")


class SecretServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def SetSecret(
        self, request: security_pb2.SetSecretRequest, context: Context
    ) -> security_pb2.SetSecretResponse:
        caller = _caller()
        info = await self._daemon.security.set_secret(request.name, request.value, by=caller.user)
        return security_pb2.SetSecretResponse(secret=_secret_message(info))

    @unary
    async def ListSecrets(
        self, request: security_pb2.ListSecretsRequest, context: Context
    ) -> security_pb2.ListSecretsResponse:
        vault = await self._daemon.security.vault()
        return security_pb2.ListSecretsResponse(secrets=[_secret_message(i) for i in vault.names()])

    @unary
    async def DeleteSecret(
        self, request: security_pb2.DeleteSecretRequest, context: Context
    ) -> security_pb2.DeleteSecretResponse:
        await (await self._daemon.security.vault()).delete(request.name)
        return security_pb2.DeleteSecretResponse()

    @unary
    async def RotateMasterKey(
        self, request: security_pb2.RotateMasterKeyRequest, context: Context
    ) -> security_pb2.RotateMasterKeyResponse:
        old, new = await (await self._daemon.security.vault()).rotate_master_key()
        return security_pb2.RotateMasterKeyResponse(old_key_id=old, new_key_id=new)
