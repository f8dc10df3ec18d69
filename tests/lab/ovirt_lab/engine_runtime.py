"""What the engine does besides answering requests: configuration read at start, external scheduler
discovery, host capabilities, and running / stopping VMs on the lab hosts.

Like the real engine, `load_config` snapshots engine-config once per (re)start: later changes to
engine-config.json are invisible until the next restart.
"""

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request

from . import api_custom_props, api_scheduling
from .api_model import LAB_USER
from .api_scheduling import Failure
from .config_store import CLUSTER_VERSIONS, ConfigStore, validate_vm_properties
from .scheduler_client import (SchedulerProxyError, Timeouts, discover, parse_discovery, run_cost_functions,
                               run_filters)

log = logging.getLogger(__name__)

PROXY_DOWN_EVENT = (9920, "error", "Failed to connect to external scheduler proxy. External filters, scoring "
                                   "functions and load balancing will not be performed.")
SCHEDULER_EVENT_SEVERITY = "error"  # 10500 / 10501 (EXTERNAL_SCHEDULER_PLUGIN_ERROR / _ERROR)
RUNNING = ("wait_for_launch", "powering_up", "up")
AGENT_TIMEOUT = 60.0
CAPS_TIMEOUT = 5.0


class Runtime:
    def __init__(self, state, state_dir, host_agents):
        self.state = state
        self._config_path = os.path.join(state_dir, "engine-config.json")
        self._agents = dict(host_agents or {})
        self._discovery = None
        self._workers = set()
        self._workers_lock = threading.Lock()
        self.vm_property_texts = {}  # cluster version -> (PredefinedVMProperties, UserDefinedVMProperties)
        self.vm_properties = {}  # the same, parsed into {name: regex} definitions
        self.scheduler_enabled = False
        self.scheduler_url = ""
        self.scheduler_timeouts = Timeouts()

    # -- engine start ------------------------------------------------------------------------------

    def load_config(self):
        store = ConfigStore(self._config_path)
        self.vm_property_texts = {version: (store.get("PredefinedVMProperties", version),
                                            store.get("UserDefinedVMProperties", version))
                                  for version in CLUSTER_VERSIONS}
        self.vm_properties = {version: store.vm_property_sets(version) for version in CLUSTER_VERSIONS}
        self.scheduler_enabled = store.get_bool("ExternalSchedulerEnabled")
        self.scheduler_url = store.get("ExternalSchedulerServiceURL")
        self.scheduler_timeouts = Timeouts(int(store.get("ExternalSchedulerConnectionTimeout")),
                                           int(store.get("ExternalSchedulerResponseTimeout")))

    def vm_definitions(self, version):
        predefined, user_defined = self.vm_properties.get(version, ({}, {}))
        return {**predefined, **user_defined}

    def start_discovery(self):
        """SchedulingManager.loadExternalScheduler: disable every external unit, then discover."""
        with self.state.lock:
            api_scheduling.disable_external_units(self.state)
        if not self.scheduler_enabled:
            return
        self._discovery = threading.Thread(target=self._discover, name="lab-scheduler-discovery", daemon=True)
        self._discovery.start()

    def _discover(self):
        try:
            units = parse_discovery(discover(self.scheduler_url, self.scheduler_timeouts))
        except SchedulerProxyError as error:
            log.warning("external scheduler discovery failed: %s", error)
            units = None
        with self.state.lock:
            if units is None:
                self.state.add_event(*PROXY_DOWN_EVENT)
            else:
                api_scheduling.apply_discovery(self.state, units)

    def wait_discovery(self, timeout=30.0):
        if self._discovery is not None:
            self._discovery.join(timeout)

    # -- hosts -------------------------------------------------------------------------------------

    def _agent(self, host):
        return self._agents.get(host["name"])

    def refresh_capabilities(self, host):
        """Fetch the hooks the host agent reports (getCapabilities); keep the old view on failure."""
        agent = self._agent(host)
        if agent is None:
            return
        try:
            hooks = _call(f"{agent}/caps/hooks", None, CAPS_TIMEOUT)
        except OSError as error:
            log.warning("cannot refresh capabilities of %s: %s", host["name"], error)
            return
        with self.state.lock:
            host["hooks"] = hooks
            self.state.mark_dirty()

    def refresh_all_capabilities(self):
        """Hosts are (re)initialised when the engine starts, which fetches their capabilities."""
        for host in list(self.state.hosts.values()):
            self._spawn(self.refresh_capabilities, host)

    # -- VMs ---------------------------------------------------------------------------------------

    def start_vm(self, vm):
        """RunVmCommand: validate and schedule now (faults go back to the caller), launch in the background."""
        state = self.state
        with state.lock:
            cluster = state.clusters[vm["cluster_id"]]
            if vm["status"] != "down":
                raise Failure(["Cannot run VM. VM is running."], 409)
            pairs = api_custom_props.string_to_pairs(api_custom_props.join_vm_properties(
                vm["predefined_properties"], vm["userdefined_properties"]))
            messages = validate_vm_properties(self.vm_definitions(cluster["version"]), pairs, "run", "VM")
            if messages:
                raise Failure(messages)
            candidates = [host for host in state.cluster_hosts(cluster["id"]) if host["status"] == "up"]
            if not candidates:
                raise Failure(["Cannot run VM. There are no available running Hosts in the Host Cluster."], 409)
            policy = state.policies()[cluster["policy_id"]]
            units = state.units()
            external_filters = [units[unit_id]["name"] for unit_id in policy["filters"]
                                if self._usable_external(units.get(unit_id))]
            external_weights = [[units[unit_id]["name"], factor] for unit_id, factor in policy["functions"]
                                if self._usable_external(units.get(unit_id))]
            parameters = api_scheduling.scheduling_parameters(state, cluster)
            vm["status"] = "wait_for_launch"  # keeps a second start out while the scheduler is asked
            state.touch_vm(vm)
        try:
            ordered = self._schedule(vm, candidates, external_filters, external_weights, parameters)
        except Failure:
            with state.lock:
                vm["status"] = "down"
                state.touch_vm(vm)
            raise
        with state.lock:
            vm["host_id"] = ordered[0]["id"]
            state.touch_vm(vm)
            state.add_event(150, "normal", f"Starting VM {vm['name']} was initiated by {LAB_USER}.",
                            vm=vm, cluster=cluster)
        self._spawn(self._launch, vm, ordered)

    @staticmethod
    def _usable_external(unit):
        # Disabled external units are skipped silently, as SchedulingManager.splitFilters does.
        return unit is not None and not unit["internal"] and unit["enabled"]

    def _schedule(self, vm, candidates, filters, weights, parameters):
        """Candidate hosts, best first. External units run only while ExternalSchedulerEnabled."""
        hosts = list(candidates)
        events = []
        if self.scheduler_enabled and filters:
            try:
                accepted = set(run_filters(self.scheduler_url, filters, [host["id"] for host in hosts], vm["id"],
                                           parameters, self.scheduler_timeouts, events))
            except SchedulerProxyError as error:
                log.warning("external filters failed, keeping all hosts: %s", error)
                self.state.add_event(*PROXY_DOWN_EVENT)
            else:
                rejected = [host for host in hosts if host["id"] not in accepted]
                hosts = [host for host in hosts if host["id"] in accepted]
                if not hosts:
                    self._record_scheduler_events(vm, events)
                    reasons = [f"The host {host['name']} did not satisfy external filter {','.join(filters)}."
                               for host in rejected]
                    raise Failure(["Cannot run VM. There is no host that satisfies current scheduling constraints. "
                                   "See below for details:"] + reasons, 409)
        scores = {host["id"]: 0 for host in hosts}
        if self.scheduler_enabled and weights:
            try:
                for host_id, score in run_cost_functions(self.scheduler_url, weights, [h["id"] for h in hosts],
                                                         vm["id"], parameters, self.scheduler_timeouts, events):
                    if host_id in scores:
                        scores[host_id] += score
            except SchedulerProxyError as error:
                log.warning("external cost functions failed, ignoring them: %s", error)
                self.state.add_event(*PROXY_DOWN_EVENT)
        self._record_scheduler_events(vm, events)
        with self.state.lock:
            load = {host["id"]: self.running_count(host) for host in hosts}
        # Lowest total weight wins; equal weights go to the host running fewer VMs, then by name.
        return sorted(hosts, key=lambda host: (scores[host["id"]], load[host["id"]], host["name"]))

    def _record_scheduler_events(self, vm, events):
        """Plugin and proxy errors the scheduler reported (audit events 10500 / 10501)."""
        for event in events:
            self.state.add_event(event.code, SCHEDULER_EVENT_SEVERITY, event.message, vm=vm)

    def running_count(self, host):
        return sum(1 for vm in self.state.vms.values() if vm["host_id"] == host["id"] and vm["status"] in RUNNING)

    def _launch(self, vm, hosts):
        state = self.state
        for host in hosts:
            with state.lock:
                if vm["status"] != "wait_for_launch":
                    return  # stopped meanwhile
                vm["host_id"] = host["id"]
                state.touch_vm(vm)
                cluster = state.clusters[vm["cluster_id"]]
            error = self._agent_start(vm, host)
            with state.lock:
                if vm["status"] != "wait_for_launch":
                    return
                if error is None:
                    vm.update(status="up", start_time=time.time())
                    state.touch_vm(vm)
                    state.add_event(153, "normal", f"VM {vm['name']} was started by {LAB_USER} (Host: {host['name']}).",
                                    vm=vm, host=host, cluster=cluster)
                    return
                state.add_event(119, "error", f"VM {vm['name']} is down with error. Exit message: {error}.",
                                vm=vm, host=host, cluster=cluster)
                state.add_event(151, "warning", f"Failed to run VM {vm['name']} on Host {host['name']}.",
                                vm=vm, host=host, cluster=cluster)
        with state.lock:
            if vm["status"] == "wait_for_launch":
                vm.update(status="down", host_id=None, stop_time=time.time())
                self._apply_next_run(vm)
                state.touch_vm(vm)
                state.add_event(54, "error", f"Failed to run VM {vm['name']} (User: {LAB_USER}).", vm=vm)

    def _agent_start(self, vm, host):
        """None when the VM runs; otherwise the exit message (e.g. a before_vm_start hook's error)."""
        agent = self._agent(host)
        if agent is None:
            return None
        with self.state.lock:
            properties = dict(api_custom_props.string_to_pairs(api_custom_props.join_vm_properties(
                vm["predefined_properties"], vm["userdefined_properties"])))
            body = {"vm_id": vm["id"], "vm_name": vm["name"], "custom_properties": properties,
                    "memory_mb": vm["memory"] // (1024 * 1024), "cpus": 1}
        try:
            reply = _call(f"{agent}/vm/start", body, AGENT_TIMEOUT)
        except OSError as error:
            return f"Failed to reach the host: {error}"
        if reply.get("status") == "ok":
            return None
        # VDSM's exit message is str(HookError(stderr)): "Hook Error: (b'<stderr>\\n',)".
        stderr = (reply.get("message", "") + "\n").encode()
        return f"Hook Error: ({stderr!r},)"

    def stop_vm(self, vm, graceful=False):
        """StopVmCommand (power off) or, with `graceful`, ShutdownVmCommand: the lab's guests comply at once."""
        state = self.state
        with state.lock:
            if vm["status"] not in RUNNING:
                raise Failure([f"Cannot {'shutdown' if graceful else 'stop'} VM. VM is not running."], 409)
            host = state.hosts.get(vm["host_id"])
            host_name = host["name"] if host else ""
            vm.update(status="down", host_id=None, stop_time=time.time())
            self._apply_next_run(vm)
            state.touch_vm(vm)
            if graceful:
                state.add_event(73, "normal", f"VM shutdown initiated by {LAB_USER} on VM {vm['name']} "
                                              f"(Host: {host_name}).", vm=vm, host=host)
            else:
                state.add_event(33, "normal", f"VM {vm['name']} powered off by {LAB_USER} (Host: {host_name}).",
                                vm=vm, host=host)
        agent = self._agent(host) if host else None
        if agent is not None:
            try:
                _call(f"{agent}/vm/stop", {"vm_id": vm["id"]}, AGENT_TIMEOUT)
            except OSError as error:
                log.warning("stopping %s on %s: %s", vm["name"], host["name"], error)

    @staticmethod
    def _apply_next_run(vm):
        """The next-run configuration becomes the configuration once the VM is down."""
        if vm["next_run"]:
            vm.update(vm["next_run"])
            vm["next_run"] = None

    # -- background work -------------------------------------------------------------------------------

    def _spawn(self, target, *args):
        def run():
            try:
                target(*args)
            finally:
                with self._workers_lock:
                    self._workers.discard(threading.current_thread())

        worker = threading.Thread(target=run, name=f"lab-{target.__name__}", daemon=True)
        with self._workers_lock:
            self._workers.add(worker)
        worker.start()

    def wait_idle(self, timeout=30.0):
        """Wait for VM launches and capability refreshes in flight (tests use it instead of sleeping)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._workers_lock:
                workers = list(self._workers)
            if not workers:
                return True
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return False


def _call(url, body, timeout):
    """JSON over plain HTTP to a lab host agent; GET when body is None."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode() or "{}")
    except (urllib.error.URLError, ValueError) as error:
        raise OSError(str(error)) from error
