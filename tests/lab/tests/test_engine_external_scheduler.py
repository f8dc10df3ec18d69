"""External scheduler: discovery at engine start, disabled units, event 9920, filters and weights at VM start."""

import socket
import threading
from xmlrpc.server import SimpleXMLRPCServer

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest

DISCOVERY = {
    "filters": {"OnlyHost2": ["keeps host2 only", ""], "MaxVms": ["max vms", "maximum_vm_count=[0-9]*"]},
    "scores": {"PreferHost1": ["prefers host1", ""]},
    "balance": {"Nothing": ["no balancing", ""]},
}


class FakeProxy:
    """An ovirt-scheduler-proxy answering from Python callables."""

    def __init__(self):
        self.discovery = DISCOVERY
        self.filter_calls = []
        self.keep = None  # host name to keep, None = all
        self.score = {}  # host name -> score
        self.hosts = {}  # host id -> name, filled by the test
        self.plugin_errors = {}
        self.server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
        self.server.register_function(lambda: self.discovery, "discover")
        self.server.register_function(self.run_filters, "runFilters")
        self.server.register_function(self.run_cost_functions, "runCostFunctions")
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def _envelope(self, result):
        reply = {"result_code": 1 if self.plugin_errors else 0, "result": result}
        if self.plugin_errors:
            reply["plugin_errors"] = self.plugin_errors
        return reply

    def run_filters(self, names, host_ids, vm_id, properties):
        self.filter_calls.append((names, sorted(host_ids), vm_id, properties))
        return self._envelope([h for h in host_ids if self.keep is None or self.hosts[h] == self.keep])

    def run_cost_functions(self, pairs, host_ids, vm_id, properties):
        return self._envelope([[h, self.score.get(self.hosts[h], 0)] for h in host_ids])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy():
    fake = FakeProxy()
    yield fake
    fake.stop()


def start_lab(make_lab, url, name="engine"):
    lab = make_lab(name, start=False)
    config = lab.config()
    config.set("ExternalSchedulerEnabled", "true")
    config.set("ExternalSchedulerServiceURL", url)
    lab.engine.start()
    lab.engine.wait_discovery()
    return lab


def external_units(connection):
    return {(u.name, u.type.value): u for u in connection.system_service().scheduling_policy_units_service().list()
            if not u.internal}


def free_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_discovery_creates_external_units(make_lab, proxy):
    connection = start_lab(make_lab, proxy.url).connect()
    units = external_units(connection)
    assert set(units) == {("OnlyHost2", "filter"), ("MaxVms", "filter"), ("PreferHost1", "weight"),
                          ("Nothing", "load_balancing")}
    max_vms = units[("MaxVms", "filter")]
    assert (max_vms.enabled, max_vms.internal, max_vms.description) == (True, False, "max vms")
    assert [(p.name, p.value) for p in max_vms.properties] == [("maximum_vm_count", "[0-9]*")]


def test_units_that_vanish_are_disabled_not_deleted(make_lab, proxy):
    lab = start_lab(make_lab, proxy.url)
    first = {key: unit.id for key, unit in external_units(lab.connect()).items()}
    proxy.discovery = {"filters": {"MaxVms": ["max vms v2", "maximum_vm_count=[0-9]+"]}, "scores": {}, "balance": {}}
    lab.engine.restart()
    lab.engine.wait_discovery()
    units = external_units(lab.connect())
    assert {key: unit.id for key, unit in units.items()} == first  # same ids, nothing deleted
    assert {key for key, unit in units.items() if unit.enabled} == {("MaxVms", "filter")}
    assert units[("MaxVms", "filter")].description == "max vms v2"


def test_proxy_down_disables_units_and_records_event_9920(make_lab, proxy):
    lab = start_lab(make_lab, proxy.url)
    config = lab.config()
    config.set("ExternalSchedulerServiceURL", free_port_url())
    lab.engine.restart()
    lab.engine.wait_discovery()
    connection = lab.connect()
    assert all(not unit.enabled for unit in external_units(connection).values())
    events = connection.system_service().events_service().list(search="code=9920")
    assert [(e.severity, e.description) for e in events] == [(types.LogSeverity.ERROR, (
        "Failed to connect to external scheduler proxy. External filters, scoring functions and load balancing "
        "will not be performed."))]


def test_disabled_scheduler_disables_units_without_discovery(make_lab, proxy):
    lab = start_lab(make_lab, proxy.url)
    lab.config().set("ExternalSchedulerEnabled", "false")
    lab.engine.restart()
    connection = lab.connect()
    assert all(not unit.enabled for unit in external_units(connection).values())
    assert connection.system_service().events_service().list(search="code=9920") == []


def policy_with_external_units(connection, *names):
    units = external_units(connection)
    policies = connection.system_service().scheduling_policies_service()
    policy = policies.add(types.SchedulingPolicy(name="external"))
    service = policies.policy_service(policy.id)
    for name, kind in names:
        unit = types.SchedulingPolicyUnit(id=units[(name, kind)].id)
        if kind == "filter":
            service.filters_service().add(types.Filter(scheduling_policy_unit=unit))
        else:
            service.weights_service().add(types.Weight(scheduling_policy_unit=unit, factor=1))
    clusters = connection.system_service().clusters_service()
    default = clusters.list(search="name=Default")[0]
    clusters.cluster_service(default.id).update(types.Cluster(scheduling_policy=types.SchedulingPolicy(id=policy.id)))
    return service


def vm_service(connection, name):
    vms = connection.system_service().vms_service()
    return vms.vm_service(vms.list(search=f"name={name}")[0].id)


@pytest.fixture
def scheduling_lab(make_lab, proxy):
    lab = start_lab(make_lab, proxy.url)
    connection = lab.connect()
    proxy.hosts = {h.id: h.name for h in connection.system_service().hosts_service().list()}
    return lab, connection


def test_vm_start_honours_external_filters(scheduling_lab, proxy):
    lab, connection = scheduling_lab
    policy_with_external_units(connection, ("OnlyHost2", "filter"), ("MaxVms", "filter"))
    clusters = connection.system_service().clusters_service()
    default = clusters.cluster_service(clusters.list(search="name=Default")[0].id)
    cluster = default.update(types.Cluster(custom_scheduling_policy_properties=[
        types.Property(name="maximum_vm_count", value="5")]))
    # The old policy's properties were dropped: the new policy's units do not define them.
    assert [(p.name, p.value) for p in cluster.custom_scheduling_policy_properties] == [("maximum_vm_count", "5")]
    proxy.keep = "host2"
    service = vm_service(connection, "vm0001")
    service.start()
    lab.engine.wait_idle()
    assert connection.follow_link(service.get().host).name == "host2"
    names, host_ids, vm_id, properties = proxy.filter_calls[-1]
    assert (names, vm_id, len(host_ids)) == (["OnlyHost2", "MaxVms"], service.get().id, 2)
    assert properties == {"maximum_vm_count": "5"}


def test_vm_start_honours_external_weights(scheduling_lab, proxy):
    lab, connection = scheduling_lab
    policy_with_external_units(connection, ("PreferHost1", "weight"))
    proxy.score = {"host1": 100, "host2": 5}
    service = vm_service(connection, "vm0001")
    service.start()
    lab.engine.wait_idle()
    assert connection.follow_link(service.get().host).name == "host2"  # lowest score wins


def test_no_host_left_after_external_filters(scheduling_lab, proxy):
    lab, connection = scheduling_lab
    policy_with_external_units(connection, ("OnlyHost2", "filter"))
    proxy.keep = "nowhere"
    service = vm_service(connection, "vm0001")
    with pytest.raises(sdk.Error) as error:
        service.start()
    assert error.value.code == 409
    assert error.value.fault.detail == (
        "[Cannot run VM. There is no host that satisfies current scheduling constraints. See below for details:, "
        "The host host1 did not satisfy external filter OnlyHost2., "
        "The host host2 did not satisfy external filter OnlyHost2.]")
    assert service.get().status == types.VmStatus.DOWN


def test_plugin_errors_become_events(scheduling_lab, proxy):
    lab, connection = scheduling_lab
    policy_with_external_units(connection, ("OnlyHost2", "filter"))
    proxy.plugin_errors = {"OnlyHost2": ["it broke"]}
    vm_service(connection, "vm0001").start()
    lab.engine.wait_idle()
    events = connection.system_service().events_service().list(search="code=10500")
    assert [e.description for e in events] == ["Running the external scheduler plugin 'OnlyHost2' failed: 'it broke'"]


def test_proxy_gone_at_start_time_keeps_every_host(scheduling_lab, proxy):
    lab, connection = scheduling_lab
    policy_with_external_units(connection, ("OnlyHost2", "filter"))
    proxy.stop()
    service = vm_service(connection, "vm0001")
    service.start()
    lab.engine.wait_idle()
    assert service.get().status == types.VmStatus.UP
    assert connection.system_service().events_service().list(search="code=9920")
