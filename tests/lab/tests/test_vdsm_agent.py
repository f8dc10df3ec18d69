"""The lab vdsmd agent: VM start/stop with hooks, hook report, service behaviour."""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from xml.dom import minidom

import pytest

LAB = str(Path(__file__).resolve().parents[1])
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from ovirt_lab.vdsm import VdsmAgent  # noqa: E402

VM_ID = "2c1b6c52-0a7e-4a8e-8f0e-6a1f1c3d9b21"


def start(lab_host, **extra):
    body = {"vm_id": VM_ID, "vm_name": "vm0001", "custom_properties": {"hugepages": "1024"}, "memory_mb": 2048,
            "cpus": 2, **extra}
    return lab_host.request("POST", "/vm/start", body)


def test_start_runs_hooks_and_keeps_the_final_xml(lab_host):
    lab_host.hook("before_vm_start", "50_mark",
                  'sed -i "s|<on_crash>|<description>hugepages=$hugepages vm=$vmId</description><on_crash>|" "$_hook_domxml"')
    lab_host.hook("after_vm_start", "50_seen", f'cp "$_hook_domxml" {lab_host.state}/after.xml')
    assert start(lab_host) == (200, {"status": "ok"})
    final = (lab_host.state / "vms" / f"{VM_ID}.xml").read_text()
    document = minidom.parseString(final)
    assert document.getElementsByTagName("description")[0].firstChild.data == f"hugepages=1024 vm={VM_ID}"
    assert document.getElementsByTagName("name")[0].firstChild.data == "vm0001"
    assert document.getElementsByTagName("memory")[0].firstChild.data == str(2048 * 1024)
    assert (lab_host.state / "after.xml").read_text() == final
    assert lab_host.request("GET", "/vms") == (200, [{"vm_id": VM_ID, "vm_name": "vm0001"}])
    assert start(lab_host) == (200, {"status": "error", "message": "Virtual machine already exists"})


def test_failing_before_vm_start_fails_the_start(lab_host):
    lab_host.hook("before_vm_start", "10_refuse", "echo 'qemu_cmdline: invalid JSON' >&2; exit 1")
    lab_host.hook("before_vm_start", "20_ok", "exit 0")
    assert start(lab_host) == (200, {"status": "error", "message": "qemu_cmdline: invalid JSON"})
    assert not (lab_host.state / "vms" / f"{VM_ID}.xml").exists()
    assert lab_host.request("GET", "/vms") == (200, [])


def test_stop_runs_destroy_hooks(lab_host):
    log = lab_host.state / "destroy.log"
    lab_host.hook("before_vm_destroy", "50_before", f'echo "before $vmId $hugepages $(wc -c < "$_hook_domxml")" >> {log}')
    lab_host.hook("after_vm_destroy", "50_after", f'grep -q "<name>vm0001</name>" "$_hook_domxml" && echo after >> {log}')
    start(lab_host)
    assert lab_host.request("POST", "/vm/stop", {"vm_id": VM_ID}) == (200, {"status": "ok"})
    assert log.read_text().splitlines() == [f"before {VM_ID} 1024 0", "after"]
    assert lab_host.request("GET", "/vms") == (200, [])
    assert lab_host.request("POST", "/vm/stop", {"vm_id": VM_ID}) == (
        200, {"status": "error", "message": "Virtual machine does not exist"}
    )


def test_hook_report(lab_host):
    script = lab_host.hook("before_vm_start", "50_qemucmdline", "exit 0")
    status, report = lab_host.request("GET", "/caps/hooks")
    assert status == 200 and list(report) == ["before_vm_start"]
    assert report["before_vm_start"]["50_qemucmdline"] == {"checksum": hashlib.sha256(script.read_bytes()).hexdigest()}


def test_bad_requests(lab_host):
    assert start(lab_host, vm_id="../../etc")[0] == 400
    assert start(lab_host, cpus=0)[0] == 400
    assert lab_host.request("GET", "/nowhere")[0] == 404
    request = urllib.request.Request(lab_host.url + "/vm/start", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 400


def test_running_vms_survive_an_agent_restart(lab_host, tmp_path):
    start(lab_host)
    restarted = VdsmAgent(str(lab_host.hooks), str(lab_host.state))
    assert restarted.running_vms() == [{"vm_id": VM_ID, "vm_name": "vm0001"}]


def test_service_process(tmp_path):
    hooks, state = tmp_path / "hooks", tmp_path / "state"
    env = {**os.environ, "PYTHONPATH": LAB}
    command = [sys.executable, "-m", "ovirt_lab.vdsm"]
    subprocess.run([*command, "--init-tree", str(hooks)], env=env, check=True, timeout=30)
    assert (hooks / "after_vdsm_stop").is_dir()
    marker = tmp_path / "stopped"
    stop_hook = hooks / "after_vdsm_stop" / "50_mark"
    stop_hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    stop_hook.chmod(0o755)
    agent = subprocess.Popen(
        [*command, "--listen", "127.0.0.1", "--port", "0", "--hooks-root", str(hooks), "--state-dir", str(state),
         "--hook-user", "no-such-user"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = None
        for line in agent.stderr:
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/vms", timeout=30) as answer:
            assert json.loads(answer.read()) == []
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=30) == 0
        assert marker.exists()
    finally:
        if agent.poll() is None:
            agent.kill()
        agent.stderr.close()
