"""Hosts: list/search/get, hooks from the lab host agents, refresh, VM start/stop on the hosts."""

import hashlib
import json

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest


@pytest.fixture
def agents_lab(make_lab, lab_hosts):
    lab_hosts["host1"].hook("before_vm_start", "50_vhostmd", "exit 0")
    lab = make_lab(hosts={name: host.url for name, host in lab_hosts.items()})
    assert lab.engine.wait_idle()  # capabilities fetched when the engine (re)initialises its hosts
    return lab


def host_service(connection, name):
    hosts = connection.system_service().hosts_service()
    return hosts.host_service(hosts.list(search=f"name={name}")[0].id)


def vm_service(connection, name):
    vms = connection.system_service().vms_service()
    return vms.vm_service(vms.list(search=f"name={name}")[0].id)


def test_list_search_get(conn):
    hosts = conn.system_service().hosts_service()
    assert [h.name for h in hosts.list()] == ["host1", "host2"]
    assert [h.name for h in hosts.list(search="name=host2 and status=up")] == ["host2"]
    assert [h.name for h in hosts.list(search="cluster=Default")] == ["host1", "host2"]
    host = hosts.host_service(hosts.list(search="name=host1")[0].id).get()
    assert host.status == types.HostStatus.UP
    assert conn.follow_link(host.cluster).name == "Default"
    assert (host.summary.active, host.summary.total) == (0, 0)


def test_hooks_reported_at_engine_start(agents_lab, lab_hosts):
    connection = agents_lab.connect()
    hooks = host_service(connection, "host1").hooks_service().list()
    checksum = hashlib.sha256(b"#!/bin/sh\nexit 0\n").hexdigest()
    assert [(h.event_name, h.name, h.md5) for h in hooks] == [("before_vm_start", "50_vhostmd", checksum)]
    assert host_service(connection, "host1").hooks_service().hook_service(hooks[0].id).get().name == "50_vhostmd"
    assert host_service(connection, "host2").hooks_service().list() == []


def test_new_hooks_show_after_refresh_only(agents_lab, lab_hosts):
    lab_hosts["host2"].hook("after_vm_destroy", "10_cleanup", "exit 0")
    service = host_service(agents_lab.connect(), "host2")
    assert service.hooks_service().list() == []
    service.refresh()
    assert [h.name for h in service.hooks_service().list()] == ["10_cleanup"]


def test_hook_ids_are_stable(agents_lab):
    first = [h.id for h in host_service(agents_lab.connect(), "host1").hooks_service().list()]
    agents_lab.engine.restart()
    agents_lab.engine.wait_idle()
    assert [h.id for h in host_service(agents_lab.connect(), "host1").hooks_service().list()] == first


def test_vm_runs_on_a_host_with_its_custom_properties(agents_lab, lab_hosts):
    lab_hosts["host1"].hook("before_vm_start", "60_props", 'echo "$sndbuf" > "$_hook_domxml.seen"; exit 0')
    connection = agents_lab.connect()
    service = vm_service(connection, "vm0001")
    service.update(types.Vm(custom_properties=[types.CustomProperty(name="sndbuf", value="42")]))
    service.start()
    assert agents_lab.engine.wait_idle()
    vm = service.get()
    assert vm.status == types.VmStatus.UP
    host = connection.follow_link(vm.host).name
    running = json.loads((lab_hosts[host].state / "vms" / f"{vm.id}.json").read_text())
    assert running["custom_properties"] == {"sndbuf": "42"}
    service.stop()
    assert not (lab_hosts[host].state / "vms" / f"{vm.id}.json").exists()


def test_failing_before_vm_start_hook_fails_the_start(agents_lab, lab_hosts):
    for host in lab_hosts.values():
        host.hook("before_vm_start", "90_fail", "echo 'no way' >&2; exit 1")
    connection = agents_lab.connect()
    service = vm_service(connection, "vm0001")
    service.start()  # RunVm itself succeeds: the hook runs later, on the host
    assert agents_lab.engine.wait_idle()
    assert service.get().status == types.VmStatus.DOWN
    events = connection.system_service().events_service().list(max=6)
    assert [e.code for e in events] == [54, 151, 119, 151, 119, 150]
    assert events[2].description == ("VM vm0001 is down with error. Exit message: Hook Error: (b'no way\\n',).")
    assert events[0].description == "Failed to run VM vm0001 (User: admin@internal-authz)."
    assert events[1].description.startswith("Failed to run VM vm0001 on Host host")


def test_a_host_that_fails_is_skipped_for_the_next(agents_lab, lab_hosts):
    lab_hosts["host1"].hook("before_vm_start", "90_fail", "echo broken >&2; exit 2")
    connection = agents_lab.connect()
    service = vm_service(connection, "vm0001")
    service.start()
    assert agents_lab.engine.wait_idle()
    vm = service.get()
    assert vm.status == types.VmStatus.UP and connection.follow_link(vm.host).name == "host2"


def test_refresh_of_unknown_host_is_404(conn):
    with pytest.raises(sdk.NotFoundError):
        conn.system_service().hosts_service().host_service("nope").refresh()
