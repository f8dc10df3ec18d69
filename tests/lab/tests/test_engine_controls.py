"""Lab controls (/lab/...), fault injection, persistence, and the engine as a foreground service."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest

LAB = str(Path(__file__).resolve().parents[1])


def control(lab, method, path, payload=None):
    status, _headers, body = lab.raw(method, path, None if payload is None else json.dumps(payload),
                                     {"Content-Type": "application/json"}, token=False)
    return status, json.loads(body)


def test_stats_count_api_requests_only(lab, conn):
    vms = conn.system_service().vms_service()
    vm = vms.list(search="name=vm0001")[0]
    vms.vm_service(vm.id).update(types.Vm(description="x"))
    status, stats = control(lab, "GET", "/lab/stats")
    assert status == 200
    assert stats["requests"] == {"GET": 1, "POST": 0, "PUT": 1, "DELETE": 0}
    assert stats["sso"] == {"token": 1}
    assert stats["paths"][f"PUT /ovirt-engine/api/vms/{vm.id}"] == 1
    assert control(lab, "POST", "/lab/stats/reset") == (200, {})
    assert lab.engine.stats()["requests"] == {"GET": 0, "POST": 0, "PUT": 0, "DELETE": 0}


def test_latency_delays_api_answers(lab, conn):
    conn.system_service().get()
    assert control(lab, "POST", "/lab/latency", {"ms": 200}) == (200, {})
    started = time.monotonic()
    conn.system_service().get()
    assert time.monotonic() - started >= 0.2
    lab.engine.set_latency(0)
    started = time.monotonic()
    conn.system_service().get()
    assert time.monotonic() - started < 0.2


@pytest.mark.parametrize("kind, error", [("500", "isn't the expected XML"), ("503", "isn't the expected XML"),
                                         ("drop", "Error while sending HTTP request|Failed to read response")])
def test_injected_faults_hit_the_next_requests(lab, conn, kind, error):
    conn.system_service().get()
    assert control(lab, "POST", "/lab/faults", {"count": 1, "kind": kind}) == (200, {})
    with pytest.raises(sdk.Error, match=error):
        conn.system_service().get()
    assert conn.system_service().get().product_info.name == "oVirt Engine"


def test_stall_then_drop(lab):
    connection = lab.connect(timeout=5)
    connection.system_service().get()
    lab.engine.inject_faults(count=1, kind="stall", stall_ms=300)
    started = time.monotonic()
    with pytest.raises(sdk.Error):
        connection.system_service().get()
    assert time.monotonic() - started >= 0.3


def test_fractional_faults_are_reproducible(lab, conn):
    def outcomes():
        results = []
        for _attempt in range(20):
            try:
                conn.system_service().get()
                results.append(True)
            except sdk.Error:
                results.append(False)
        return results

    conn.system_service().get()
    lab.engine.inject_faults(fraction=0.3, seed=7, kind="503")
    first = outcomes()
    lab.engine.inject_faults(fraction=0.3, seed=7, kind="503")
    assert outcomes() == first and not all(first) and any(first)
    assert control(lab, "POST", "/lab/faults", {"count": 0}) == (200, {})
    assert all(outcomes())


def test_bad_control_requests(lab):
    assert control(lab, "POST", "/lab/faults", {"count": 1, "kind": "teapot"})[0] == 400
    assert control(lab, "POST", "/lab/latency", {})[0] == 400
    assert control(lab, "POST", "/lab/nothing", {})[0] == 404


def test_state_is_saved_on_stop_and_seeded_once(make_lab, tmp_path):
    lab = make_lab(vms=4)
    vms = lab.connect().system_service().vms_service()
    vms.vm_service(vms.list(search="name=vm0001")[0].id).update(types.Vm(description="kept"))
    lab.engine.stop()
    saved = json.loads((tmp_path / "engine" / "engine-state.json").read_text())
    assert [vm["description"] for vm in saved["vms"] if vm["name"] == "vm0001"] == ["kept"]
    lab.engine.vm_count = 50  # an existing state dir is not seeded again
    lab.engine.start()
    assert len(lab.connect().system_service().vms_service().list()) == 4


def test_cli_runs_in_the_foreground_and_stops_on_sigterm(tmp_path, pki_dir):
    state = tmp_path / "service"
    state.mkdir()
    (state / "pki").symlink_to(pki_dir, target_is_directory=True)
    ca_out = tmp_path / "ca.pem"
    process = subprocess.Popen(
        [sys.executable, "-m", "ovirt_lab.engine", "--port", "0", "--state-dir", str(state), "--vms", "3",
         "--ca-out", str(ca_out), "--usr-dir", str(tmp_path), "--etc-dir", str(tmp_path)],
        cwd=LAB, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = re.search(r"listening on (\S+)", process.stdout.readline()).group(1)
        connection = sdk.Connection(url=url, username="admin@internal", password="ovirt-lab", ca_file=str(ca_out))
        assert len(connection.system_service().vms_service().list()) == 3
        connection.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert os.path.exists(state / "engine-state.json")
