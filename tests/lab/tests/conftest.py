"""Fixtures for the lab tests: in-process lab engines, SDK connections, raw HTTPS, lab hosts."""

import http.client
import json
import shutil
import ssl
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

import ovirtsdk4 as sdk  # noqa: E402

from ovirt_lab.config_store import ConfigStore  # noqa: E402
from ovirt_lab.engine import LabEngine  # noqa: E402
from ovirt_lab.engine_tls import ensure_certificates  # noqa: E402
from ovirt_lab.vdsm import VdsmAgent, init_tree, make_server  # noqa: E402

USER, PASSWORD = "admin@internal", "ovirt-lab"


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    """Certificates made once per test session and copied into every engine's state dir."""
    state = tmp_path_factory.mktemp("pki-template")
    ensure_certificates(str(state), {"localhost", "127.0.0.1"})
    return state / "pki"


class Lab:
    """An engine under test plus helpers to talk to it."""

    def __init__(self, state_dir, pki_dir, **options):
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(pki_dir, state_dir / "pki", dirs_exist_ok=True)
        self.engine = LabEngine(str(state_dir), **options)
        self.connections = []

    def config(self):
        return ConfigStore(str(self.state_dir / "engine-config.json"))

    def connect(self, **options):
        options.setdefault("username", USER)
        options.setdefault("password", PASSWORD)
        connection = sdk.Connection(url=options.pop("url", self.engine.url), ca_file=self.engine.ca_file, **options)
        self.connections.append(connection)
        return connection

    def raw(self, method, path, body=None, headers=None, token=True):
        """(status, headers, body bytes) of one HTTPS request; token=True authenticates first."""
        headers = dict(headers or {})
        if token is True:
            headers["Authorization"] = f"Bearer {self.token()}"
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        context = ssl.create_default_context(cafile=self.engine.ca_file)
        connection = http.client.HTTPSConnection("127.0.0.1", self.engine.port, context=context, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def token(self, scope="ovirt-app-api"):
        status, _headers, body = self.raw("POST", "/ovirt-engine/sso/oauth/token",
                                          f"grant_type=password&scope={scope}&username={USER}&password={PASSWORD}",
                                          {"Accept": "application/json",
                                           "Content-Type": "application/x-www-form-urlencoded"}, token=False)
        assert status == 200, body
        return json.loads(body)["access_token"]

    def close(self):
        for connection in self.connections:
            try:
                connection.close()
            except sdk.Error:
                pass
        self.engine.stop()


@pytest.fixture
def make_lab(tmp_path, pki_dir):
    labs = []

    def make(name="engine", start=True, **options):
        lab = Lab(tmp_path / name, pki_dir, **options)
        labs.append(lab)
        if start:
            lab.engine.start()
        return lab

    yield make
    for lab in labs:
        lab.close()


@pytest.fixture
def lab(make_lab):
    return make_lab()


@pytest.fixture
def conn(lab):
    return lab.connect()


class LabHost:
    """A lab host agent (ovirt_lab.vdsm) serving on a free loopback port."""

    def __init__(self, root):
        self.hooks = root / "hooks"
        self.state = root / "state"
        init_tree(str(self.hooks))
        self.server = make_server(VdsmAgent(str(self.hooks), str(self.state)), "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def hook(self, point, name, script):
        path = self.hooks / point / name
        path.write_text(f"#!/bin/sh\n{script}\n")
        path.chmod(0o755)
        return path

    def request(self, method, path, body=None):
        """Calls the agent as the engine does; returns (HTTP status, decoded JSON answer)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def lab_host(tmp_path):
    host = LabHost(tmp_path)
    yield host
    host.stop()


@pytest.fixture
def lab_hosts(tmp_path):
    hosts = {name: LabHost(tmp_path / name) for name in ("host1", "host2")}
    yield hosts
    for host in hosts.values():
        host.stop()
