"""The catalogue's Kafka principals, put into a running cluster by its admin.

``apply`` makes the broker match ``rujukan_contracts.access`` for every known program (the seed
catalogue's, and any program whose topics are on the broker): it creates the catalogue's topics,
each principal's SCRAM-SHA-512 credentials (a random password, kept once written) and its ACLs,
and deletes the ACLs of those principals that the table no longer grants. It runs again
unchanged without effect. Every principal's credentials land in the credentials directory as
``<name>.env`` (``RUJUKAN_KAFKA_*``, for a service's process) and ``<name>.properties``
(librdkafka, for ``kcat -F``), both 0600.

``watch`` follows ``programs.catalog`` and applies again when a program appears, so a program
published at run time gets its topics, its agency and the services' rights on them at once.

The admin's own credentials come from the environment, like every client's
(``RUJUKAN_KAFKA_SECURITY_PROTOCOL``, ``_SASL_USERNAME``, ``_SASL_PASSWORD``, ...).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import string
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiokafka.admin import NewTopic
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # not in its __all__
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from rujukan_contracts import access
from rujukan_contracts.events import Event
from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_platform.failures import describe
from rujukan_platform.kafka import KafkaSecurity, create_topics
from rujukan_platform.logging import get_logger
from rujukan_platform.view import CompactedTopicView

log = get_logger(__name__)

MECHANISM = ScramMechanism.SCRAM_SHA_512
ITERATIONS = 8192
TIMEOUT = 30.0  # seconds for each admin request
OPERATIONS = {
    "Read": AclOperation.READ,
    "Write": AclOperation.WRITE,
    "Describe": AclOperation.DESCRIBE,
    "Create": AclOperation.CREATE,
}
RESOURCES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefix": ResourcePatternType.PREFIXED}

#: (resource type, name, pattern, principal, host, operation, permission): one ACL binding
Binding = tuple[ResourceType, str, ResourcePatternType, str, str, AclOperation, AclPermissionType]
#: what an ACL filter leaves open (its type hints ask for a str; the client takes None)
MATCH_ANY: Any = None
AdminConfig = dict[str, str | int | float | bool]


@dataclass
class Applied:
    """What one ``apply`` found and changed: all of it (``asdict``) is what ``--json`` prints
    and what ``watch`` logs."""

    programs: list[str]
    principals: list[str]
    topics_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    acls_added: int = 0
    acls_removed: int = 0
    acls: int = 0

    def summary(self) -> str:
        agencies = sum(p.startswith("agency-") for p in self.principals)
        return (
            f"kafka access: {len(self.principals)} principals "
            f"({len(self.principals) - agencies} services, {agencies} agencies), "
            f"{self.acls} ACLs: {self.acls_added} added, {self.acls_removed} removed; "
            f"{len(self.users_created)} credentials set, "
            f"{len(self.topics_created)} topics created"
        )


# -- configuration and credentials files ----------------------------------------------------


def admin_config(bootstrap: str) -> AdminConfig:
    """librdkafka settings from the same ``RUJUKAN_KAFKA_*`` environment as every client."""
    s = KafkaSecurity()
    config: AdminConfig = {"bootstrap.servers": bootstrap, "security.protocol": s.security_protocol}
    if s.security_protocol.startswith("SASL"):
        config["sasl.mechanisms"] = s.sasl_mechanism
        config["sasl.username"] = s.sasl_username or ""
        config["sasl.password"] = s.sasl_password.get_secret_value() if s.sasl_password else ""
    if s.ssl_cafile:
        config["ssl.ca.location"] = s.ssl_cafile
    return config


def new_password() -> str:
    """32 letters and digits: nothing a properties file or a JAAS line would have to escape."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def read_password(folder: Path, name: str) -> str | None:
    """The password kept in ``<name>.env``, if there is one."""
    path = folder / f"{name}.env"
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("RUJUKAN_KAFKA_SASL_PASSWORD="):
            return line.split("=", 1)[1] or None
    return None


def write_credentials(folder: Path, name: str, password: str, bootstrap: str) -> None:
    """``<name>.env`` for the platform's clients and ``<name>.properties`` for librdkafka (kcat),
    on the admin's listener (as deploy/local/kafka.sh writes the admin's own)."""
    s = KafkaSecurity()
    protocol = s.security_protocol if s.security_protocol.startswith("SASL") else "SASL_PLAINTEXT"
    env = [
        f"RUJUKAN_KAFKA_SECURITY_PROTOCOL={protocol}",
        f"RUJUKAN_KAFKA_SASL_MECHANISM={MECHANISM.name.replace('_', '-')}",
        f"RUJUKAN_KAFKA_SASL_USERNAME={name}",
        f"RUJUKAN_KAFKA_SASL_PASSWORD={password}",
    ]
    properties = [
        f"# librdkafka config of Kafka principal '{name}': kcat -F {folder}/{name}.properties",
        f"bootstrap.servers={bootstrap}",
        f"security.protocol={protocol}",
        f"sasl.mechanisms={MECHANISM.name.replace('_', '-')}",
        f"sasl.username={name}",
        f"sasl.password={password}",
    ]
    if s.ssl_cafile:
        env.append(f"RUJUKAN_KAFKA_SSL_CAFILE={s.ssl_cafile}")
        properties.append(f"ssl.ca.location={s.ssl_cafile}")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    _write_private(folder / f"{name}.env", "\n".join(env) + "\n")
    _write_private(folder / f"{name}.properties", "\n".join(properties) + "\n")


def seed_programs(folder: Path) -> list[str]:
    """The codes of the seed catalogue's programs (``services/program-registry/seed/programs``)."""
    return [str(yaml.safe_load(p.read_text())["code"]) for p in sorted(folder.glob("*.yaml"))]


# -- the table as ACL bindings ----------------------------------------------------------------


def bindings(principals: Iterable[access.Principal]) -> set[Binding]:
    """Every ALLOW binding the table grants, one per operation (as the broker stores them)."""
    return {
        (
            RESOURCES[acl.resource],
            acl.name,
            PATTERNS[acl.pattern],
            f"User:{p.name}",
            "*",
            OPERATIONS[op],
            AclPermissionType.ALLOW,
        )
        for p in principals
        for acl in p.acls
        for op in acl.operations
    }


def _key(b: AclBinding) -> Binding:
    return (
        ResourceType(b.restype),
        b.name,
        ResourcePatternType(b.resource_pattern_type),
        b.principal,
        b.host,
        AclOperation(b.operation),
        AclPermissionType(b.permission_type),
    )


def _wait(futures: dict[Any, Future[Any]]) -> None:
    for f in futures.values():
        f.result(timeout=TIMEOUT)


# -- apply ------------------------------------------------------------------------------------


def topic_specs(codes: Sequence[str]) -> list[NewTopic]:
    """The catalogue's topics (templates for each program in ``codes``) and their DLQs."""
    specs = []
    for t in access.concrete_topics(codes):
        specs.append(NewTopic(t.name, t.entry.partitions, 1, topic_configs=dict(t.entry.config)))
        if t.dlq:
            specs.append(NewTopic(t.dlq, 1, 1))
    return specs


def _credentials(
    admin: AdminClient, names: Sequence[str], folder: Path, bootstrap: str
) -> list[str]:
    """Writes every principal's files; sets on the broker the credentials it lacks (a new
    password, or a kept one the broker does not know: a cluster made afresh)."""
    known = _scram_users(admin)
    upserts: list[UserScramCredentialAlteration] = []
    for name in names:
        password = read_password(folder, name)
        fresh = password is None
        password = password or new_password()
        write_credentials(folder, name, password, bootstrap)  # first: never a lost password
        if fresh or name not in known:
            upserts.append(
                UserScramCredentialUpsertion(
                    name, ScramCredentialInfo(MECHANISM, ITERATIONS), password.encode()
                )
            )
    if not upserts:
        return []
    _wait(admin.alter_user_scram_credentials(upserts))
    # The controller has them; the broker authenticates with them once its metadata has caught
    # up, a moment later: return only then, so whoever starts next can log in.
    changed = {str(u.user) for u in upserts}
    deadline = time.monotonic() + TIMEOUT
    while not changed <= _scram_users(admin):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the broker does not list the SCRAM credentials of {changed}")
        time.sleep(0.2)
    return sorted(changed)


def _scram_users(admin: AdminClient) -> set[str]:
    """The users the broker has a SCRAM-SHA-512 credential for."""
    described = admin.describe_user_scram_credentials()
    assert isinstance(described, Future)  # all users: one future (a dict for named users)
    users: dict[str, Any] = described.result(timeout=TIMEOUT)
    return {
        name
        for name, d in users.items()
        if any(c.mechanism == MECHANISM for c in d.scram_credential_infos)
    }


def _acls(admin: AdminClient, table: list[access.Principal]) -> tuple[int, int, int]:
    """Adds the bindings the table grants and the broker lacks; removes the bindings of the
    table's principals (and of any agency) that it does not grant. (added, removed, total)"""
    wanted = bindings(table)
    managed = {f"User:{p.name}" for p in table}
    everything = AclBindingFilter(
        ResourceType.ANY,
        MATCH_ANY,
        ResourcePatternType.ANY,
        MATCH_ANY,
        MATCH_ANY,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    present: list[AclBinding] = admin.describe_acls(everything).result(timeout=TIMEOUT)
    have = {_key(b) for b in present}
    missing = wanted - have
    extra = [
        b
        for b in present
        if (b.principal in managed or b.principal.startswith("User:agency-"))
        and _key(b) not in wanted
    ]
    if missing:
        _wait(admin.create_acls([AclBinding(*b) for b in sorted(missing, key=str)]))
    if extra:
        _wait(admin.delete_acls([AclBindingFilter(*_key(b)) for b in extra]))
    return len(missing), len(extra), len(wanted)


async def apply(
    bootstrap: str,
    credentials: Path,
    *,
    programs: Path,
    extra_programs: Iterable[str] = (),
) -> Applied:
    """Make the cluster match the table for every known program (see the module's docstring)."""
    admin = AdminClient(admin_config(bootstrap))
    metadata = await asyncio.to_thread(admin.list_topics, timeout=TIMEOUT)
    seeds = seed_programs(programs)
    found = access.programs_in(metadata.topics) | set(extra_programs)
    codes = seeds + sorted(found - set(seeds))
    table = access.principals(codes)
    applied = Applied(programs=codes, principals=[p.name for p in table])
    applied.topics_created = await create_topics(bootstrap, topic_specs(codes))
    applied.users_created = await asyncio.to_thread(
        _credentials, admin, applied.principals, credentials, bootstrap
    )
    applied.acls_added, applied.acls_removed, applied.acls = await asyncio.to_thread(
        _acls, admin, table
    )
    return applied


async def watch(bootstrap: str, credentials: Path, *, programs: Path, stop: asyncio.Event) -> None:
    """Apply, then apply again whenever ``programs.catalog`` names a program not yet seen."""
    seen: set[str] = set()
    changed = asyncio.Event()

    async def on_program(code: str, event: Event | None) -> None:
        if event is not None and code not in seen:
            seen.add(code)
            changed.set()

    view = CompactedTopicView(
        bootstrap=bootstrap, topic=PROGRAMS_CATALOG, apply=on_program, client_id="kafka-access"
    )

    async def follow() -> None:
        while not stop.is_set():
            try:
                await view.run(stop)
            except Exception as exc:  # the broker away: read the catalogue again
                log.warning("kafka access: programs.catalog unreadable", error=describe(exc))
                await asyncio.sleep(2)

    follower = asyncio.create_task(follow())
    changed.set()  # the first apply
    try:
        while not stop.is_set():
            waiting = asyncio.create_task(changed.wait())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            stopping.cancel()
            if stop.is_set():
                break
            changed.clear()
            try:
                applied = await apply(
                    bootstrap, credentials, programs=programs, extra_programs=set(seen)
                )
            except Exception as exc:
                log.warning("kafka access: apply failed, retrying", error=describe(exc))
                await asyncio.sleep(2)
                changed.set()
                continue
            log.info("kafka access applied", **asdict(applied))
    finally:
        stop.set()
        await follower
