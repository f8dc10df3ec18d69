"""The lab engine's data: plain dicts kept in memory and persisted as JSON in the state dir.

Built-in scheduling units and policies live in code (as in the engine); everything an API client
or the external scheduler can change is persisted. Writes are batched: mutations mark the state
dirty and a flusher saves it at most every `flush_interval` seconds (and on stop).
"""

import copy
import json
import os
import threading
import time
import uuid

from . import api_builtin

STATE_FILE = "engine-state.json"
MAX_EVENTS = 2000
BLANK_TEMPLATE_ID = "00000000-0000-0000-0000-000000000000"
LAB_USER = "admin@internal-authz"
VM_MEMORY = 1024 ** 3


def new_id():
    return str(uuid.uuid4())


class LabState:
    """All mutable engine data; callers hold `lock` while reading or changing it."""

    def __init__(self, state_dir, flush_interval=0.5):
        self.lock = threading.RLock()
        self._path = os.path.join(state_dir, STATE_FILE)
        self._flush_interval = flush_interval
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._flusher = None
        self.builtin_units = {unit["id"]: unit for unit in api_builtin.builtin_units()}
        self.builtin_policies = {policy["id"]: policy for policy in api_builtin.builtin_policies()}
        self.data_center = None
        self.clusters = {}
        self.hosts = {}
        self.vms = {}
        self.user_policies = {}
        self.external_units = {}
        self.events = []
        self.next_event_id = 1

    # -- lookups ---------------------------------------------------------------------------------

    def units(self):
        return {**self.builtin_units, **self.external_units}

    def policies(self):
        return {**self.builtin_policies, **self.user_policies}

    def by_name(self, table, name):
        return next((item for item in table.values() if item["name"] == name), None)

    def cluster_hosts(self, cluster_id):
        return sorted((host for host in self.hosts.values() if host["cluster_id"] == cluster_id),
                      key=lambda host: host["name"])

    # -- seed and persistence --------------------------------------------------------------------

    def load_or_seed(self, vm_count, host_names):
        if os.path.exists(self._path):
            with open(self._path, encoding="utf-8") as handle:
                saved = json.load(handle)
            self.data_center = saved["data_center"]
            self.clusters = {item["id"]: item for item in saved["clusters"]}
            self.hosts = {item["id"]: item for item in saved["hosts"]}
            self.vms = {item["id"]: item for item in saved["vms"]}
            self.user_policies = {item["id"]: item for item in saved["policies"]}
            self.external_units = {item["id"]: item for item in saved["external_units"]}
            self.events = saved["events"]
            self.next_event_id = saved["next_event_id"]
        else:
            self._seed(vm_count, host_names)
            self.save()

    def _seed(self, vm_count, host_names):
        self.data_center = {"id": new_id(), "name": "Default", "description": "The default Data Center",
                            "version": "4.7"}
        default_params = api_builtin.builtin_policies()[0]["params"]
        for name, version, description in (("Default", "4.7", "The default server cluster"), ("Prod", "4.8", "")):
            cluster_id = new_id()
            self.clusters[cluster_id] = {
                "id": cluster_id, "name": name, "description": description, "comment": "", "version": version,
                "data_center_id": self.data_center["id"], "policy_id": api_builtin.DEFAULT_POLICY_ID,
                "policy_properties": {key: default_params[key] for key in ("HighUtilization",
                                                                           "CpuOverCommitDurationMinutes")}}
        default_cluster = self.by_name(self.clusters, "Default")
        for name in host_names:
            host_id = new_id()
            self.hosts[host_id] = {"id": host_id, "name": name, "address": name, "cluster_id": default_cluster["id"],
                                   "status": "up", "hooks": {}}
        cluster_ids = [default_cluster["id"], self.by_name(self.clusters, "Prod")["id"]]
        created = time.time()
        for index in range(1, vm_count + 1):
            vm_id = new_id()
            self.vms[vm_id] = {
                "id": vm_id, "name": f"vm{index:04d}", "description": "", "comment": "",
                "cluster_id": cluster_ids[(index - 1) % 2], "status": "down", "host_id": None,
                "memory": VM_MEMORY, "predefined_properties": "", "userdefined_properties": "",
                "creation_time": created, "start_time": None, "stop_time": None, "next_run": None, "revision": 0}

    def save(self):
        with self.lock:
            snapshot = copy.deepcopy({
                "data_center": self.data_center, "clusters": list(self.clusters.values()),
                "hosts": list(self.hosts.values()), "vms": list(self.vms.values()),
                "policies": list(self.user_policies.values()),
                "external_units": list(self.external_units.values()),
                "events": self.events, "next_event_id": self.next_event_id})
        temporary = self._path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(snapshot, handle)
        os.replace(temporary, self._path)

    def mark_dirty(self):
        self._dirty.set()

    def start_flusher(self):
        self._stopping.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="lab-state-flusher", daemon=True)
        self._flusher.start()

    def _flush_loop(self):
        while True:
            self._dirty.wait()
            if self._stopping.is_set():
                return
            self._dirty.clear()
            self.save()
            self._stopping.wait(self._flush_interval)

    def stop_flusher(self):
        self._stopping.set()
        self._dirty.set()  # wakes the flusher so that it sees the stop
        if self._flusher is not None:
            self._flusher.join()
            self._flusher = None
        self._dirty.clear()
        self.save()

    # -- changes -----------------------------------------------------------------------------------

    def touch_vm(self, vm):
        """Record that a VM changed (its cached representation is stale)."""
        vm["revision"] += 1
        self.mark_dirty()

    def add_event(self, code, severity, description, vm=None, host=None, cluster=None):
        with self.lock:
            event = {"id": self.next_event_id, "code": code, "severity": severity, "description": description,
                     "time": time.time(), "vm_id": vm["id"] if vm else None,
                     "host_id": host["id"] if host else None, "cluster_id": cluster["id"] if cluster else None}
            self.next_event_id += 1
            self.events.append(event)
            del self.events[:-MAX_EVENTS]
            self.mark_dirty()
            return event
