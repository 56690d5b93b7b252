"""Who may do what on Kafka, derived from the topic catalogue's producers and consumers.

One table for the broker's ACLs wherever it runs: ``deploy/k8s/build_topics.py`` writes it as
Strimzi ``KafkaUser`` resources, ``rujukan kafka access apply`` puts it into a running cluster
(``make up``). Least privilege, from the catalogue alone:

* a principal per service (``SERVICES``): Read+Describe on the topics it consumes,
  Write+Describe on the topics it produces and on the DLQs of the topics it consumes; Read on
  its consumer groups (group id = consumer name, which starts with the service's
  ``GROUP_PREFIX``);
* a principal per program's owner agency (``agency-<code>``, as the platform's agency tokens):
  Read+Describe on the per-program topics the catalogue lets the owner agency consume (its own
  ``referrals.<CODE>``), Write+Describe on those it lets it produce (its own
  ``referrals.<CODE>.outcomes``), Read+Describe on the DLQs of the topics it produces (the
  records the platform refused, each with its ``dlq_reason``: how an agency learns its outcome
  was not applied), Read on groups prefixed ``agency-<code>.``.

Per-program topics are granted per known program, as literal names (a prefix such as
``referrals.`` would also reach the agencies' outcome topics): a program that appears later gets
its rights when the table is applied again (``rujukan kafka access watch`` does it on its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rujukan_contracts.topics import TOPICS, Topic, agency_principal

SERVICES = ("intake", "program-registry", "referral-router", "notifications")
#: consumer group ids are the ConsumerSpec names (rujukan_platform.consumer), which start so
GROUP_PREFIX = {
    "intake": "intake-",
    "program-registry": "registry-",
    "referral-router": "router-",
    "notifications": "notifications-",
}
#: how the catalogue names a program's owner agency among producers and consumers
OWNER_AGENCY = "owner agency"
#: a program code, as ProgramPublishedV1.code
PROGRAM_CODE = r"[A-Z][A-Z0-9-]{1,31}"

Resource = Literal["topic", "group"]
Pattern = Literal["literal", "prefix"]


@dataclass(frozen=True)
class Acl:
    """Operations a principal may perform on a resource (a name, or every name with a prefix)."""

    resource: Resource
    name: str
    operations: tuple[str, ...]
    pattern: Pattern = "literal"


@dataclass(frozen=True)
class Principal:
    """A Kafka user and everything it may do; ``program`` is an agency's program code."""

    name: str
    acls: tuple[Acl, ...]
    program: str | None = None


@dataclass(frozen=True)
class ConcreteTopic:
    """A topic that exists on the broker: a catalogue name, or a template's for one program."""

    name: str
    entry: Topic
    program: str | None = None

    @property
    def dlq(self) -> str | None:
        return self.entry.dlq_name(self.name) if self.entry.dlq else None


def party(entry: str) -> str:
    """'referral-router (HTTP outcome API)' -> 'referral-router'; 'owner agency' stays."""
    return entry.split(" (")[0].strip()


def concrete_topics(
    codes: Sequence[str], catalogue: Iterable[Topic] | None = None
) -> list[ConcreteTopic]:
    """Every concrete topic of the catalogue: templates expanded for each program in ``codes``."""
    out = []
    for entry in TOPICS.values() if catalogue is None else catalogue:
        if entry.is_template:
            out += [ConcreteTopic(entry.topic.format(program_code=c), entry, c) for c in codes]
        else:
            out.append(ConcreteTopic(entry.topic, entry))
    return out


def service_access(
    codes: Sequence[str], catalogue: Iterable[Topic] | None = None
) -> dict[str, dict[str, set[str]]]:
    """service -> {"read": topics, "write": topics} from the catalogue's producers/consumers."""
    access: dict[str, dict[str, set[str]]] = {s: {"read": set(), "write": set()} for s in SERVICES}
    for t in concrete_topics(codes, catalogue):
        for producer in map(party, t.entry.producers):
            if producer in access:
                access[producer]["write"].add(t.name)
        for consumer in map(party, t.entry.consumers):
            if consumer in access:
                access[consumer]["read"].add(t.name)
                if t.dlq:
                    access[consumer]["write"].add(t.dlq)
    return access


def _reads_and_writes(reads: Iterable[str], writes: Iterable[str]) -> list[Acl]:
    return [Acl("topic", t, ("Read", "Describe")) for t in reads] + [
        Acl("topic", t, ("Write", "Describe")) for t in writes
    ]


def service_principals(
    codes: Sequence[str], catalogue: Iterable[Topic] | None = None
) -> list[Principal]:
    out = []
    for service, rights in service_access(codes, catalogue).items():
        acls = _reads_and_writes(sorted(rights["read"]), sorted(rights["write"]))
        if rights["read"]:
            acls.append(Acl("group", GROUP_PREFIX[service], ("Read",), "prefix"))
        out.append(Principal(service, tuple(acls)))
    return out


def agency_of(code: str, catalogue: Iterable[Topic] | None = None) -> Principal:
    """The owner agency of program ``code``: its own per-program topics only."""
    entries = list(TOPICS.values() if catalogue is None else catalogue)
    reads = [
        e.topic.format(program_code=code)
        for e in entries
        if OWNER_AGENCY in map(party, e.consumers)
    ]
    produced = [e for e in entries if OWNER_AGENCY in map(party, e.producers)]
    writes = [e.topic.format(program_code=code) for e in produced]
    # what it wrote and the platform refused comes back to it, with the reason
    reads += [e.dlq_name(e.topic.format(program_code=code)) for e in produced if e.dlq]
    name = agency_principal(code)
    acls = [*_reads_and_writes(reads, writes), Acl("group", f"{name}.", ("Read",), "prefix")]
    return Principal(name, tuple(acls), program=code)


def principals(codes: Sequence[str], catalogue: Iterable[Topic] | None = None) -> list[Principal]:
    """Every service, then every program's agency (in the order of ``codes``)."""
    entries = list(TOPICS.values() if catalogue is None else catalogue)
    return service_principals(codes, entries) + [agency_of(c, entries) for c in codes]


def programs_in(topic_names: Iterable[str], catalogue: Iterable[Topic] | None = None) -> set[str]:
    """The programs that have a per-program topic among ``topic_names`` (a broker's topics)."""
    patterns = [
        re.compile(
            "^" + re.escape(e.topic).replace(re.escape("{program_code}"), f"({PROGRAM_CODE})") + "$"
        )
        for e in (TOPICS.values() if catalogue is None else catalogue)
        if e.is_template
    ]
    return {m.group(1) for n in topic_names for p in patterns if (m := p.match(n))}


def may(principal: Principal, operation: str, resource: Resource, name: str) -> bool:
    """Whether ``principal``'s ACLs let it perform ``operation`` on ``resource`` ``name``
    (as the broker decides with allow-only ACLs: some ACL matches and names the operation)."""
    return any(
        acl.resource == resource
        and operation in acl.operations
        and (name == acl.name if acl.pattern == "literal" else name.startswith(acl.name))
        for acl in principal.acls
    )
