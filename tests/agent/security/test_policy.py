"""The one policy table: every RPC has a rule, and roles are ordered."""

from __future__ import annotations

import itertools

from omnix.agent.security.roles import GRANTS, POLICY, Permission, Role, allows
from omnix.v1 import (
    agent_pb2,
    license_pb2,
    pipeline_pb2,
    run_pb2,
    schedule_pb2,
    security_pb2,
    usage_pb2,
)

MODULES = (agent_pb2, license_pb2, pipeline_pb2, run_pb2, schedule_pb2, security_pb2, usage_pb2)


def all_methods() -> set[str]:
    return {
        f"/{service.full_name}/{method.name}"
        for module in MODULES
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }


def test_every_rpc_has_exactly_one_rule() -> None:
    assert set(POLICY) == all_methods()


def test_each_role_holds_everything_the_role_below_it_holds() -> None:
    ordered = sorted(Role, key=lambda role: role.rank)
    for weaker, stronger in itertools.pairwise(ordered):
        assert GRANTS[weaker] < GRANTS[stronger]


def test_a_viewer_may_look_but_not_run_deploy_or_read_the_audit_log() -> None:
    assert allows(Role.VIEWER, Permission.VIEW)
    for permission in (Permission.RUN, Permission.DEPLOY, Permission.VIEW_AUDIT):
        assert not allows(Role.VIEWER, permission)


def test_only_an_owner_installs_licenses_and_rotates_keys() -> None:
    for permission in (Permission.INSTALL_LICENSE, Permission.ROTATE_KEYS):
        assert [role for role in Role if allows(role, permission)] == [Role.OWNER]


def test_docs_security_lists_every_rule() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "security.md").read_text()
    for method, rule in POLICY.items():
        service, name = method.strip("/").split("/")
        row = f"| {service.rsplit('.', 1)[-1]}.{name} | {rule.permission.value} |"
        assert row in text, row
