"""VMs: search, custom properties per cluster level, faults, next-run configuration, start/stop."""

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest

CP = types.CustomProperty


@pytest.fixture
def vms(conn):
    return conn.system_service().vms_service()


def names(vm_list):
    return [vm.name for vm in vm_list]


def vm_service(vms, name):
    return vms.vm_service(vms.list(search=f"name={name}")[0].id)


def props(vm):
    return [(p.name, p.value) for p in vm.custom_properties or []]


def fault_detail(call):
    with pytest.raises(sdk.Error) as error:
        call()
    return error.value.code, error.value.fault.detail


@pytest.mark.parametrize("search, expected", [
    ("name=vm000*", ["vm0001", "vm0002", "vm0003", "vm0004", "vm0005", "vm0006", "vm0007", "vm0008", "vm0009"]),
    ("name=VM0001", ["vm0001"]),
    ('name="vm0003"', ["vm0003"]),
    ("name=vm0001 or name=vm0002", ["vm0001", "vm0002"]),
    ("cluster=Prod and name=vm000*", ["vm0002", "vm0004", "vm0006", "vm0008"]),
    ("status=down and name=*10", ["vm0010"]),
    ("status=up", []),
    ("name!=vm000* and cluster=default", []),
    ("name=vm001* sortby name desc", ["vm0010"]),
    ("name=vm* sortby name desc page 1", ["vm0010", "vm0009", "vm0008", "vm0007", "vm0006", "vm0005", "vm0004",
                                          "vm0003", "vm0002", "vm0001"]),
])
def test_search(vms, search, expected):
    assert names(vms.list(search=search)) == expected


def test_search_case_sensitive_max_and_id(vms):
    assert vms.list(search="name=VM0001", case_sensitive=True) == []
    assert names(vms.list(search="name=vm*", max=3)) == ["vm0001", "vm0002", "vm0003"]
    assert names(vms.list(search="name=vm* page 2", max=3)) == ["vm0004", "vm0005", "vm0006"]
    assert len(vms.list()) == 10
    vm = vms.list(search="name=vm0005")[0]
    assert names(vms.list(search=f"id={vm.id}")) == ["vm0005"]
    assert vms.vm_service(vm.id).get().name == "vm0005"


def test_bad_search_is_a_fault(vms):
    code, detail = fault_detail(lambda: vms.list(search="colour=blue"))
    assert code == 400 and detail.startswith("[Cannot search")


def test_vms_are_down_and_spread_over_both_clusters(conn, vms):
    clusters = {c.id: c.name for c in conn.system_service().clusters_service().list()}
    listed = vms.list()
    assert {vm.status for vm in listed} == {types.VmStatus.DOWN}
    assert [clusters[vm.cluster.id] for vm in listed[:4]] == ["Default", "Prod", "Default", "Prod"]


def test_predefined_properties_are_accepted_and_shown_in_engine_order(vms):
    service = vm_service(vms, "vm0001")
    vm = service.update(types.Vm(custom_properties=[CP(name="sap_agent", value="true"),
                                                    CP(name="sndbuf", value="1"), CP(name="vhost", value=None),
                                                    CP(name="hugepages", value="1024")]))
    # The entry without a value is dropped; the rest come back in the engine's HashMap order.
    assert props(vm) == [("sndbuf", "1"), ("hugepages", "1024"), ("sap_agent", "true")]
    assert all(p.regexp is None for p in vm.custom_properties)
    assert props(service.update(types.Vm(custom_properties=[]))) == []


def test_repeated_property_keeps_the_last_value(vms):
    service = vm_service(vms, "vm0001")
    vm = service.update(types.Vm(custom_properties=[CP(name="sndbuf", value="1"), CP(name="sndbuf", value="2")]))
    assert props(vm) == [("sndbuf", "2")]


@pytest.mark.parametrize("custom, detail", [
    ([CP(name="foo", value="1"), CP(name="bar", value="2")],
     "[Cannot edit VM if some of the specified custom properties are not configured by the system. "
     "The keys are: foo,bar]"),
    ([CP(name="hugepages", value="many")],
     "[Cannot edit VM if some of the specified custom properties have illegal values. The keys are: hugepages]"),
    ([CP(name="bad-name", value="1")],
     "[Cannot edit VM if custom properties are in invalid format. Please check the input.]"),
    ([CP(name="sap_agent", value="yes"), CP(name="foo", value="1")],
     "[Cannot edit VM if some of the specified custom properties are not configured by the system. "
     "The keys are: foo, Cannot edit VM if some of the specified custom properties have illegal values. "
     "The keys are: sap_agent]"),
])
def test_custom_property_faults(vms, custom, detail):
    service = vm_service(vms, "vm0001")
    assert fault_detail(lambda: service.update(types.Vm(custom_properties=custom))) == (400, detail)
    assert props(service.get()) == []


def test_user_defined_properties_are_per_cluster_level(make_lab):
    lab = make_lab(start=False)
    lab.config().set("UserDefinedVMProperties", "foo=^[a-z]+$;hugepages=^[0-9]+$", "4.7")
    lab.engine.start()
    vms = lab.connect().system_service().vms_service()
    default_vm = vm_service(vms, "vm0001")  # cluster Default, 4.7
    vm = default_vm.update(types.Vm(custom_properties=[CP(name="foo", value="abc"), CP(name="hugepages", value="2")]))
    # hugepages is both predefined and user-defined: the engine stores and shows it twice.
    assert props(vm) == [("hugepages", "2"), ("hugepages", "2"), ("foo", "abc")]
    prod_vm = vm_service(vms, "vm0002")  # cluster Prod, 4.8
    code, detail = fault_detail(lambda: prod_vm.update(types.Vm(custom_properties=[CP(name="foo", value="abc")])))
    assert detail.endswith("not configured by the system. The keys are: foo]")


def test_engine_config_changes_need_a_restart(lab):
    lab.config().set("UserDefinedVMProperties", "foo=^[a-z]+$", "4.7")
    service = vm_service(lab.connect().system_service().vms_service(), "vm0001")
    with pytest.raises(sdk.Error, match="not configured by the system"):
        service.update(types.Vm(custom_properties=[CP(name="foo", value="abc")]))
    lab.engine.restart()
    service = vm_service(lab.connect().system_service().vms_service(), "vm0001")
    assert props(service.update(types.Vm(custom_properties=[CP(name="foo", value="abc")]))) == [("foo", "abc")]
    # Removing the definition again leaves the stored value, but the VM no longer passes RunVm validation.
    lab.config().set("UserDefinedVMProperties", "", "4.7")
    lab.engine.restart()
    service = vm_service(lab.connect().system_service().vms_service(), "vm0001")
    assert props(service.get()) == [("foo", "abc")]
    code, detail = fault_detail(service.start)
    assert (code, detail) == (400, "[Cannot run VM if some of the specified custom properties are not configured "
                                   "by the system. The keys are: foo]")


def test_start_stop_and_next_run_configuration(lab, conn, vms):
    service = vm_service(vms, "vm0001")
    service.update(types.Vm(custom_properties=[CP(name="sndbuf", value="1")]))
    service.start()
    assert lab.engine.wait_idle()
    vm = service.get()
    assert vm.status == types.VmStatus.UP
    assert conn.follow_link(vm.host).name in ("host1", "host2")
    code, detail = fault_detail(service.start)
    assert (code, detail) == (409, "[Cannot run VM. VM is running.]")

    vm = service.update(types.Vm(custom_properties=[CP(name="sndbuf", value="2")], description="now"))
    assert vm.next_run_configuration_exists is True
    assert props(vm) == [("sndbuf", "1")] and vm.description == "now"
    assert props(service.get(next_run=True)) == [("sndbuf", "2")]

    service.stop()
    vm = service.get()
    assert vm.status == types.VmStatus.DOWN and vm.host is None
    assert vm.next_run_configuration_exists is False and props(vm) == [("sndbuf", "2")]
    code, detail = fault_detail(service.stop)
    assert (code, detail) == (409, "[Cannot stop VM. VM is not running.]")
    codes = [event.code for event in conn.system_service().events_service().list()]
    assert codes[:4] == [33, 35, 153, 150]


def test_shutdown(lab, conn, vms):
    service = vm_service(vms, "vm0003")
    code, detail = fault_detail(service.shutdown)
    assert (code, detail) == (409, "[Cannot shutdown VM. VM is not running.]")
    service.start()
    assert lab.engine.wait_idle()
    service.shutdown()
    assert service.get().status == types.VmStatus.DOWN
    event = conn.system_service().events_service().list(max=1)[0]
    assert (event.code, event.description) == (73, ("VM shutdown initiated by admin@internal-authz on VM vm0003 "
                                                    f"(Host: {conn.follow_link(event.host).name})."))


def test_next_run_query_on_a_down_vm_applies_at_once(vms):
    service = vm_service(vms, "vm0001")
    vm = service.update(types.Vm(custom_properties=[CP(name="sndbuf", value="3")]), next_run=True)
    assert vm.next_run_configuration_exists is False and props(vm) == [("sndbuf", "3")]


def test_host_summary_counts_running_vms(lab, conn, vms):
    vm_service(vms, "vm0001").start()
    vm_service(vms, "vm0003").start()
    assert lab.engine.wait_idle()
    summaries = [host.summary.active for host in conn.system_service().hosts_service().list()]
    assert sorted(summaries) == [1, 1]  # equal weights: the host with fewer VMs wins


def test_cluster_without_hosts_cannot_run_vms(vms):
    code, detail = fault_detail(vm_service(vms, "vm0002").start)
    assert (code, detail) == (409, "[Cannot run VM. There are no available running Hosts in the Host Cluster.]")


def test_vm_name_in_use(vms):
    code, detail = fault_detail(lambda: vm_service(vms, "vm0001").update(types.Vm(name="vm0002")))
    assert code == 409 and "name is already in use" in detail


def test_vm_changes_survive_restart(lab, vms):
    vm_service(vms, "vm0004").update(types.Vm(name="renamed", custom_properties=[CP(name="sndbuf", value="9")]))
    lab.engine.restart()
    vm = lab.connect().system_service().vms_service().list(search="name=renamed")[0]
    assert props(vm) == [("sndbuf", "9")]
