"""The chaos run's platform: its own PostgreSQL, a KRaft cluster, an SMTP sink and every
process kind of the four services under supervisord, each of which can be SIGKILLed.

Servers are started and restarted with the project's scripts (deploy/local/postgres.sh and
kafka.sh), as an operator would; the services' processes are restarted by supervisord. Kafka
runs as `make up`'s does, with SASL/SCRAM and ACLs (KAFKA_AUTH=scram): `rujukan kafka access
apply` makes every service's principal, each process runs as its service's own, and the harness
(its checks, its broker kills) as the admin.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import xmlrpc.client
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from supervisor.xmlrpc import SupervisorTransport

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "deploy" / "local"
SECRET = "chaos-secret-that-is-long-enough-for-hs256-signing"
SERVICES = {  # service name -> python package
    "intake": "rujukan_intake",
    "program-registry": "rujukan_registry",
    "referral-router": "rujukan_router",
    "notifications": "rujukan_notifications",
}
DATABASES = {
    "intake": "intake",
    "program-registry": "registry",
    "referral-router": "router",
    "notifications": "notifications",
}


@dataclass(frozen=True)
class Program:
    """One supervisord program: a process kind that can be killed on its own."""

    name: str
    kind: str  # api, consumer, replica, relay, dispatcher
    service: str
    args: tuple[str, ...]
    #: its own environment over its service's (another port, a setting under test)
    env: tuple[tuple[str, str], ...] = ()


def programs() -> list[Program]:
    """Every process kind, separately: each API (no consumers, no relay), each consumer (the
    router's intake consumer twice, one group), each relay, and the notifications dispatcher
    (a background job of every notifications process; this one runs nothing else)."""
    out = [Program(f"{s}-api", "api", s, ("serve",)) for s in SERVICES]
    consumers = {
        "intake": ["intake-referral-status"],
        "program-registry": ["registry-intake-facts"],
        "referral-router": ["router-intakes", "router-outcomes"],
        "notifications": ["notifications-contacts", "notifications-status"],
    }
    for service, names in consumers.items():
        for name in names:
            out.append(Program(name, "consumer", service, ("consume", name)))
    out.append(
        Program("router-intakes-2", "replica", "referral-router", ("consume", "router-intakes"))
    )
    out += [Program(f"{s}-relay", "relay", s, ("relay",)) for s in SERVICES]
    # `consume` with a name no consumer has runs the service's background jobs alone.
    out.append(
        Program(
            "notifications-dispatcher",
            "dispatcher",
            "notifications",
            ("consume", "dispatcher-only"),
        )
    )
    return out


def ports_free(*ports: int) -> bool:
    from rujukan_platform.testing import port_is_free

    return all(port_is_free(port) for port in ports)


@dataclass
class Ports:
    kafka: int
    pg: int
    smtp: int
    services: dict[str, int]

    def broker_ports(self, brokers: int) -> list[int]:
        return [self.kafka + 100 * i for i in range(brokers)]

    @classmethod
    def pick(cls, brokers: int) -> Ports:
        """Free ports for a parallel-safe run: each broker's and controller's port too."""
        from rujukan_platform.testing import free_port

        for _ in range(200):
            base = free_port(span=100 * brokers + 1)
            wanted = [base + 100 * i + d for i in range(brokers) for d in (0, 1)]
            if ports_free(*wanted):
                return cls(base, free_port(), free_port(), {s: free_port() for s in SERVICES})
        raise RuntimeError("no free range of broker ports found")


@dataclass
class Cluster:
    """PostgreSQL and the Kafka cluster, run by the project's scripts."""

    state: Path
    ports: Ports
    brokers: int
    log: Path

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RUJUKAN_STATE_DIR": str(self.state),
            "KAFKA_PORT": str(self.ports.kafka),
            "KAFKA_CONTROLLER_PORT": str(self.ports.kafka + 1),
            "BROKERS": str(self.brokers),
            "PG_PORT": str(self.ports.pg),
            "KAFKA_AUTH": "scram",
        }

    @property
    def credentials(self) -> Path:
        """Kafka principals' credentials files: kafka.sh's admin, `rujukan kafka access`'s."""
        return self.state / f"kafka-{self.ports.kafka}" / "credentials"

    def kafka_env(self, principal: str) -> dict[str, str]:
        """The ``RUJUKAN_KAFKA_*`` of ``principal``, from its credentials file."""
        lines = (self.credentials / f"{principal}.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def script(
        self, name: str, action: str, *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        with self.log.open("a") as log:
            log.write(f"===== {time.strftime('%H:%M:%S')} {name} {action}\n")
            log.flush()
            done = subprocess.run(
                ["bash", str(LOCAL / name), action],
                env=self.env(),
                stdout=log,
                stderr=subprocess.PIPE,
                text=True,
                timeout=300,
            )
            log.write(done.stderr)
        if check and done.returncode != 0:
            raise RuntimeError(f"{name} {action} failed: {done.stderr.strip()[-500:]}")
        return done

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports.broker_ports(self.brokers))

    @property
    def pg_dsn(self) -> str:
        return f"postgresql://rujukan:rujukan@127.0.0.1:{self.ports.pg}"

    def broker_pid(self, index: int) -> int | None:
        return _pid_from(self.state / f"kafka-{self.ports.kafka + 100 * index}" / "kafka.pid")

    def postmaster_pid(self) -> int | None:
        for base in (
            self.state / f"postgres-{self.ports.pg}",
            Path(f"/var/tmp/rujukan-pg-{self.ports.pg}"),
        ):
            pid = _pid_from(base / "data" / "postmaster.pid")
            if pid is not None:
                return pid
        return None

    def brokers_down(self) -> list[int]:
        return [i for i in range(self.brokers) if self.broker_pid(i) is None]

    def start(self) -> None:
        self.script("postgres.sh", "start")
        self.script("kafka.sh", "start")

    def stop(self) -> None:
        for name in ("kafka.sh", "postgres.sh"):
            try:
                self.script(name, "stop", check=False)
            except (OSError, subprocess.SubprocessError):
                pass


def _pid_from(path: Path) -> int | None:
    """The pid in a pid file (first line) if that process is alive."""
    try:
        pid = int(path.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def service_env(cluster: Cluster, principal: str | None = None) -> dict[str, str]:
    """A process's environment; as Kafka ``principal`` when it uses the broker."""
    ports = cluster.ports
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RUJUKAN_") and k not in ("KAFKA_PORT", "PG_PORT", "BROKERS")
    }
    env |= {
        "RUJUKAN_ENVIRONMENT": "test",
        "RUJUKAN_KAFKA_BOOTSTRAP": cluster.bootstrap,
        "RUJUKAN_PG_URL": f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{ports.pg}",
        "RUJUKAN_AUTH_SECRET": SECRET,
        "RUJUKAN_LOG_JSON": "false",
        "RUJUKAN_NOTIFICATIONS_SMTP_PORT": str(ports.smtp),
        # a visit's news is summed up in one message after a short window
        "RUJUKAN_NOTIFICATIONS_VISIT_WINDOW_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
    }
    for name in SERVICES:
        prefix = "RUJUKAN_" + name.upper().replace("-", "_") + "_"
        env[prefix + "PORT"] = str(ports.services[name])
        env[prefix + "DATABASE"] = DATABASES[name]
    if principal is not None:
        env |= cluster.kafka_env(principal)
    return env


def apply_kafka_access(cluster: Cluster) -> str:
    """As the admin: the catalogue's topics, and every service's principal with its ACLs."""
    rujukan = Path(sys.executable).with_name("rujukan")
    done = subprocess.run(
        [str(rujukan), "kafka", "access", "apply", "--credentials-dir", str(cluster.credentials)],
        env=service_env(cluster, "admin"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rujukan kafka access apply failed:\n{done.stderr[-3000:]}")
    return done.stdout


def run_tool(cluster: Cluster, package: str, *args: str, timeout: float = 600) -> str:
    """A service's command that needs no broker (migrate, seed, load-registry)."""
    done = subprocess.run(
        [sys.executable, "-m", package, *args],
        env=service_env(cluster),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{package} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
        )
    return done.stdout


class Supervisor:
    """supervisord running every program with autorestart, as operators' supervisor would."""

    def __init__(
        self, cluster: Cluster, state: Path, processes: list[Program] | None = None
    ) -> None:
        self.cluster = cluster
        self.dir = state / "supervisor"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket = self.dir / "s.sock"
        self.programs = {p.name: p for p in (processes or programs())}
        self.proc: subprocess.Popen[bytes] | None = None
        self._rpc: Any = None

    def config(self) -> str:
        lines = [
            "[supervisord]",
            "nodaemon=true",
            f"logfile={self.dir / 'supervisord.log'}",
            f"pidfile={self.dir / 'supervisord.pid'}",
            f"childlogdir={self.dir}",
            "[unix_http_server]",
            f"file={self.socket}",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        ]
        for p in self.programs.values():
            prefix = "RUJUKAN_" + p.service.upper().replace("-", "_") + "_"
            own = service_env(self.cluster, p.service)  # its service's own Kafka principal
            if p.kind == "api":
                own[prefix + "RUN_CONSUMERS"] = "none"  # no consumer has that name
                own[prefix + "RUN_RELAY"] = "false"
            own |= dict(p.env)
            environment = ",".join(f"{k}={_quoted(v)}" for k, v in own.items())
            lines += [
                f"[program:{p.name}]",
                f"command={sys.executable} -m {SERVICES[p.service]} {' '.join(p.args)}",
                f"directory={ROOT}",
                "autostart=true",
                "autorestart=true",
                "startsecs=1",
                "startretries=1000",
                "stopsignal=TERM",
                "stopwaitsecs=20",
                "redirect_stderr=true",
                f"stdout_logfile={self.dir / (p.name + '.log')}",
                "stdout_logfile_maxbytes=0",
                f"environment={environment}",
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        conf = self.dir / "supervisord.conf"
        conf.write_text(self.config())
        supervisord = Path(sys.executable).parent / "supervisord"
        self.proc = subprocess.Popen(
            [str(supervisord), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the harness only; it stops supervisord
        )
        deadline = time.monotonic() + 30
        while True:
            self._rpc = self._proxy()
            try:
                self._rpc.supervisor.getState()
                return
            except (OSError, xmlrpc.client.Fault, http.client.HTTPException):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"supervisord did not start (see {self.dir})") from None
                time.sleep(0.2)

    def _proxy(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def info(self) -> dict[str, dict[str, Any]]:
        return {i["name"]: i for i in self._rpc.supervisor.getAllProcessInfo()}

    def pid(self, name: str) -> int | None:
        info = self._rpc.supervisor.getProcessInfo(name)
        return int(info["pid"]) if info["statename"] == "RUNNING" and info["pid"] else None

    def start_program(self, name: str) -> None:
        self._rpc.supervisor.startProcess(name, True)

    def stop_program(self, name: str) -> None:
        self._rpc.supervisor.stopProcess(name, True)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _quoted(value: str) -> str:
    """``value`` as supervisord's ``environment=`` reads it back: its parser has no escapes,
    so a value holding double quotes (JSON) goes in single ones; ``%`` is doubled."""
    value = value.replace("%", "%%")
    if '"' in value:
        if "'" in value:
            raise ValueError("supervisord cannot carry both kinds of quote in one value")
        return f"'{value}'"
    return f'"{value}"'


@dataclass
class SmtpSink:
    """A real SMTP server that appends every message it receives to a JSONL file."""

    path: Path
    port: int
    received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        content: bytes = envelope.content
        headers = BytesHeaderParser().parsebytes(content)
        body = content.split(b"\r\n\r\n", 1)[-1]
        line = json.dumps(
            {
                "message_id": headers.get("Message-ID"),
                "delivery": headers.get("X-Rujukan-Delivery"),
                "to": headers.get("To"),
                "subject": str(headers.get("Subject") or ""),
                "body_sha256": hashlib.sha256(body).hexdigest(),
                "at": time.time(),
            }
        )
        with self._lock, self.path.open("a") as f:
            f.write(line + "\n")
            self.received += 1
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open() as f:
            return [json.loads(line) for line in f if line.strip()]


def stop_everything(
    supervisor: Supervisor,
    sink: SmtpSink,
    cluster: Cluster,
    *,
    keep_state: bool,
    keep_logs: bool = False,
) -> None:
    """A run's end, Ctrl-C included: every process it started, then its state unless kept.
    ``keep_logs`` (a run that failed): the servers' data goes, every log stays to say why."""
    supervisor.stop()
    sink.stop()
    cluster.stop()
    if keep_state:
        return
    # postgres.sh's fallback when its user cannot reach the state dir (or its path is long)
    fallback = Path(f"/var/tmp/rujukan-pg-{cluster.ports.pg}")
    if keep_logs and fallback.is_dir():
        kept = cluster.state / fallback.name
        kept.mkdir(parents=True, exist_ok=True)
        for log in fallback.glob("*.log"):
            shutil.copy(log, kept / log.name)
    shutil.rmtree(fallback, ignore_errors=True)
    if not keep_logs:
        shutil.rmtree(cluster.state, ignore_errors=True)
        return
    for data in [*cluster.state.glob("kafka-*/data"), *cluster.state.glob("postgres-*/data")]:
        shutil.rmtree(data, ignore_errors=True)
    print(f"the run failed: its logs are kept in {cluster.state}", file=sys.stderr)
