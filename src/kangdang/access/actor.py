"""The acting user, passed explicitly to every service function, and the policy that judges them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from kangdang.access.roles import PERMISSIONS, Action, Role
from kangdang.core.errors import PermissionDenied


@dataclass(frozen=True)
class ActorMembership:
    institution_id: uuid.UUID
    institution_name: str
    institution_type: str
    role: Role


@dataclass(frozen=True)
class Scope:
    """What part of the territory an actor may see personal and staff data of.

    ``everything`` for a system administrator; ``region_prefixes`` for county roles (the region subtree
    of their bureau); ``village_codes`` and ``institution_ids`` for staff of institutions (their
    institutions' catchments, and the institutions they belong to or supervise).
    """

    everything: bool = False
    region_prefixes: tuple[str, ...] = ()
    village_codes: frozenset[str] = frozenset()
    institution_ids: frozenset[uuid.UUID] = frozenset()

    def covers_region(self, code: str) -> bool:
        if self.everything or any(code.startswith(p) for p in self.region_prefixes):
            return True
        return code in self.village_codes

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.region_prefixes or self.village_codes or self.institution_ids)


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    login: str
    name: str
    practitioner_id: uuid.UUID | None
    memberships: tuple[ActorMembership, ...]
    scope: Scope
    client_ip: str | None = None
    session_id: uuid.UUID | None = field(default=None, compare=False)
    is_system: bool = False

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(m.role for m in self.memberships)

    @property
    def primary_role(self) -> Role | None:
        """The most senior role, which picks the home page."""
        order = list(Role)
        return max(self.roles, key=order.index) if self.roles else None

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def can(self, action: Action) -> bool:
        return self.is_system or bool(self.roles & PERMISSIONS[action])

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise PermissionDenied()

    def institutions_with(self, action: Action) -> frozenset[uuid.UUID]:
        """Institutions where one of the actor's memberships grants ``action``."""
        allowed = PERMISSIONS[action]
        return frozenset(m.institution_id for m in self.memberships if m.role in allowed)

    def at(self, client_ip: str | None) -> Actor:
        return replace(self, client_ip=client_ip)


SYSTEM_LOGIN = "system"


def system_actor(client_ip: str | None = None) -> Actor:
    """The platform itself, for CLI commands and loaders run by the operator on the server."""
    return Actor(
        user_id=uuid.UUID(int=0),
        login=SYSTEM_LOGIN,
        name="系统",
        practitioner_id=None,
        memberships=(),
        scope=Scope(everything=True),
        client_ip=client_ip,
        is_system=True,
    )
