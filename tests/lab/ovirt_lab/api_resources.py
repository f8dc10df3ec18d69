"""The REST resources under /ovirt-engine/api: routing, mapping state <-> SDK types, and faults.

`Api.handle` takes the request split into method, path segments (after the API prefix), query
and body, and returns an `ApiResponse`. Hrefs carry the prefix the request used
(`/ovirt-engine/api` or `/ovirt-engine/api/v4`), as the engine's LinkHelper does.
"""

import copy
import datetime
import hashlib
import time
import uuid
from dataclasses import dataclass, field

from ovirtsdk4 import types

from . import api_custom_props, api_scheduling, api_xml
from .api_model import BLANK_TEMPLATE_ID, LAB_USER, new_id
from .api_scheduling import Failure
from .api_search import Search, SearchError
from .config_store import CLUSTER_VERSIONS, validate_vm_properties

API_BASE = "/ovirt-engine/api"
PRODUCT_VERSION = types.Version(major=4, minor=5, build=6, revision=0, full_version="4.5.6-1.el9")
INSTANCE_ID = "6c1f2f2e-6d49-4b3f-9a43-8a4c2b0d5e11"
DEFAULT_MAC_POOL_ID = "58ca604b-017d-0374-0220-00000000014c"
MINIMAL_DOWNTIME_MIGRATION_POLICY = "80554327-0569-496b-bdeb-fcbbf52b827b"
VM_OPTIONS = ("PredefinedVMProperties", "UserDefinedVMProperties")  # order of Runtime.vm_property_texts

# Sub-collections the real entities link to; the lab serves them, empty unless noted elsewhere.
SUBCOLLECTIONS = {
    "vms": {"affinitylabels": "affinity_labels", "applications": "applications", "backups": "backups",
            "cdroms": "cdroms", "checkpoints": "checkpoints", "diskattachments": "disk_attachments",
            "graphicsconsoles": "graphics_consoles", "hostdevices": "host_devices",
            "katelloerrata": "katello_errata", "mediateddevices": "vm_mediated_devices", "nics": "nics",
            "numanodes": "vm_numa_nodes", "permissions": "permissions", "reporteddevices": "reported_devices",
            "sessions": "sessions", "snapshots": "snapshots", "statistics": "statistics", "tags": "tags",
            "watchdogs": "watchdogs"},
    "hosts": {"affinitylabels": "affinity_labels", "devices": "host_devices",
              "externalnetworkproviderconfigurations": "external_network_provider_configurations",
              "fenceagents": "agents", "hooks": "hooks", "katelloerrata": "katello_errata",
              "networkattachments": "network_attachments", "nics": "host_nics", "numanodes": "host_numa_nodes",
              "permissions": "permissions", "statistics": "statistics", "storage": "host_storages",
              "storageconnectionextensions": "storage_connection_extensions", "tags": "tags",
              "unmanagednetworks": "unmanaged_networks"},
    "clusters": {"affinitygroups": "affinity_groups", "cpuprofiles": "cpu_profiles",
                 "enabledfeatures": "cluster_features", "externalnetworkproviders": "external_providers",
                 "glusterhooks": "gluster_hooks", "glustervolumes": "gluster_volumes",
                 "networkfilters": "network_filters", "networks": "networks", "permissions": "permissions"},
    "datacenters": {"clusters": "clusters", "iscsibonds": "iscsi_bonds", "networks": "networks",
                    "permissions": "permissions", "qoss": "qoss", "quotas": "quotas",
                    "storagedomains": "storage_domains"},
    "templates": {"cdroms": "cdroms", "diskattachments": "disk_attachments", "graphicsconsoles": "graphics_consoles",
                  "mediateddevices": "vm_mediated_devices", "nics": "nics", "permissions": "permissions",
                  "tags": "tags", "watchdogs": "watchdogs"},
}
# Search fields per searchable collection (a subset of the engine's search backend).
SEARCH_FIELDS = {
    "clusters": {"name", "id", "datacenter", "description", "compatibility_version"},
    "datacenters": {"name", "id"},
    "events": {"id", "severity", "code", "description"},
    "hosts": {"name", "id", "status", "address", "cluster", "datacenter"},
    "templates": {"name", "id", "vm.name"},
    "vms": {"name", "id", "status", "description", "cluster", "host", "datacenter"},
}
ROOT_COLLECTIONS = ("clusters", "datacenters", "events", "hosts", "macpools", "options", "schedulingpolicies",
                    "schedulingpolicyunits", "templates", "vms")
POLICY_ITEMS = {"filters": types.Filter, "weights": types.Weight, "balances": types.Balance}


@dataclass
class ApiResponse:
    status: int
    body: str = ""
    headers: dict = field(default_factory=dict)
    content_type: str = api_xml.XML_CONTENT_TYPE


class NotFound(Exception):
    pass


class MethodNotAllowed(Exception):
    pass


class BadRequest(Exception):
    """A fault raised by the REST layer itself (not by a backend command): detail without brackets."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _date(epoch):
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def _ref(kind, obj_id, href):
    obj = kind(id=obj_id)
    obj.href = href
    return obj


def _version(text):
    major, minor = text.split(".")
    return types.Version(major=int(major), minor=int(minor))


def _hook_id(event_name, name, checksum):
    """GuidUtils.generateGuidUsingMd5(event, name, md5) with the engine Guid byte order."""
    digest = hashlib.md5(f"{event_name}{name}{checksum}".encode()).digest()
    return str(uuid.UUID(bytes_le=digest))


def _properties(mapping, ordered_keys=None):
    keys = list(mapping) if ordered_keys is None else ordered_keys
    return [types.Property(name=key, value=mapping[key]) for key in keys] or None


class Api:
    def __init__(self, state, runtime):
        self.state = state
        self.runtime = runtime
        self._vm_cache = {}

    def warm_cache(self, base=API_BASE, chunk=100):
        """Render every VM once, a chunk at a time, so that the first large list is not the slow one."""
        with self.state.lock:
            vm_ids = list(self.state.vms)
        for start in range(0, len(vm_ids), chunk):
            with self.state.lock:
                for vm_id in vm_ids[start:start + chunk]:
                    if vm_id in self.state.vms:
                        self._vm_xml(self.state.vms[vm_id], base)

    # -- dispatch ----------------------------------------------------------------------------------

    def handle(self, method, segments, query, body, base):
        try:
            with self.state.lock:
                return self._route(method, segments, query, body, base)
        except NotFound:
            return ApiResponse(404, content_type="")
        except MethodNotAllowed:
            return ApiResponse(405, content_type="")
        except BadRequest as error:
            return ApiResponse(400, api_xml.fault(error.reason, error.detail))
        except Failure as failure:
            return ApiResponse(failure.status, api_xml.fault(failure.reason, failure.detail))
        except api_xml.BadXml as error:
            return ApiResponse(400, api_xml.fault("Bad Request", f"Cannot read the request body: {error}"))

    def _route(self, method, segments, query, body, base):
        if not segments:
            self._allow(method, "GET")
            return self._ok(self._root(base))
        collection, rest = segments[0], segments[1:]
        handler = {
            "clusters": self._clusters, "datacenters": self._datacenters, "events": self._events,
            "hosts": self._hosts, "macpools": self._mac_pools, "options": self._options,
            "schedulingpolicies": self._policies, "schedulingpolicyunits": self._units,
            "templates": self._templates, "vms": self._vms,
        }.get(collection)
        if handler is None:
            raise NotFound()
        return handler(method, rest, query, body, base)

    @staticmethod
    def _allow(method, *allowed):
        if method not in allowed:
            raise MethodNotAllowed()

    @staticmethod
    def _ok(fragment, status=200, headers=None):
        return ApiResponse(status, api_xml.document(fragment), headers or {})

    @staticmethod
    def _find(table, obj_id):
        if obj_id not in table:
            raise NotFound()
        return table[obj_id]

    def _list(self, collection, items, query, fields, render, tag):
        """Collection GET: search (where supported), then max, as the engine applies them."""
        if collection in SEARCH_FIELDS and query.get("search"):
            try:
                search = Search(query["search"], SEARCH_FIELDS[collection],
                                case_sensitive=query.get("case_sensitive", "false").lower() == "true")
            except SearchError as error:
                raise Failure([f"Cannot search {collection}: {error}."]) from error
            items = [item for item in items if search.matches(fields(item))]
            if search.sort_field:
                items.sort(key=lambda item: str(fields(item).get(search.sort_field, "")).lower(),
                           reverse=search.descending)
            if search.page:
                # A search page holds `max` results, else the engine's SearchResultsLimit (100).
                size = int(query["max"]) if query.get("max", "").isdigit() else 100
                items = items[(search.page - 1) * size:]
        if query.get("max", "").isdigit():
            items = items[:int(query["max"])]
        return self._ok(api_xml.collection(tag, [render(item) for item in items]))

    def _subcollection(self, kind, method, sub, base):
        tag = SUBCOLLECTIONS[kind].get(sub)
        if tag is None:
            raise NotFound()
        self._allow(method, "GET")
        return self._ok(api_xml.collection(tag, []))

    def _links(self, kind, href):
        return [(rel, f"{href}/{rel}") for rel in sorted(SUBCOLLECTIONS[kind])]

    def _read(self, body, expected):
        obj = api_xml.parse(body)
        if not isinstance(obj, expected):
            raise api_xml.BadXml(f"expected <{expected.__name__.lower()}>")
        return obj

    # -- root --------------------------------------------------------------------------------------

    def _root(self, base):
        state = self.state
        active_vms = sum(1 for vm in state.vms.values() if vm["status"] != "down")
        api = types.Api(
            product_info=types.ProductInfo(instance_id=INSTANCE_ID, name="oVirt Engine", vendor="ovirt.org",
                                           version=PRODUCT_VERSION),
            special_objects=types.SpecialObjects(
                blank_template=_ref(types.Template, BLANK_TEMPLATE_ID, f"{base}/templates/{BLANK_TEMPLATE_ID}"),
                root_tag=_ref(types.Tag, BLANK_TEMPLATE_ID, f"{base}/tags/{BLANK_TEMPLATE_ID}")),
            summary=types.ApiSummary(
                hosts=types.ApiSummaryItem(active=sum(h["status"] == "up" for h in state.hosts.values()),
                                           total=len(state.hosts)),
                storage_domains=types.ApiSummaryItem(active=0, total=0),
                users=types.ApiSummaryItem(active=1, total=1),
                vms=types.ApiSummaryItem(active=active_vms, total=len(state.vms))),
            time=_date(time.time()))
        links = []
        for name in ROOT_COLLECTIONS:
            links.append((name, f"{base}/{name}"))
            if name in SEARCH_FIELDS:
                links.append((f"{name}/search", f"{base}/{name}?search={{query}}"))
        return api_xml.element(api, links)

    # -- data centers and templates ----------------------------------------------------------------

    def _datacenter_xml(self, base):
        dc = self.state.data_center
        href = f"{base}/datacenters/{dc['id']}"
        obj = types.DataCenter(id=dc["id"], name=dc["name"], description=dc["description"], local=False,
                               status=types.DataCenterStatus.UP, storage_format=types.StorageFormat.V5,
                               version=_version(dc["version"]),
                               supported_versions=[_version(v) for v in CLUSTER_VERSIONS if v <= dc["version"]])
        obj.href = href
        return api_xml.element(obj, self._links("datacenters", href))

    def _datacenters(self, method, rest, query, body, base):
        dc = self.state.data_center
        if not rest:
            self._allow(method, "GET")
            return self._list("datacenters", [dc], query, lambda d: {"name": d["name"], "id": d["id"]},
                              lambda d: self._datacenter_xml(base), "data_centers")
        if rest[0] != dc["id"]:
            raise NotFound()
        if len(rest) == 1:
            self._allow(method, "GET")
            return self._ok(self._datacenter_xml(base))
        if rest[1:] == ["clusters"]:
            self._allow(method, "GET")
            clusters = sorted(self.state.clusters.values(), key=lambda c: c["name"])
            return self._ok(api_xml.collection("clusters", [self._cluster_xml(c, base) for c in clusters]))
        if len(rest) > 2:
            raise NotFound()
        return self._subcollection("datacenters", method, rest[1], base)

    def _template_xml(self, base):
        href = f"{base}/templates/{BLANK_TEMPLATE_ID}"
        obj = types.Template(
            id=BLANK_TEMPLATE_ID, name="Blank", description="Blank template", comment="",
            status=types.TemplateStatus.OK, memory=1024 ** 3, type=types.VmType.SERVER,
            cpu=types.Cpu(architecture=types.Architecture.X86_64,
                          topology=types.CpuTopology(cores=1, sockets=1, threads=1)),
            os=types.OperatingSystem(type="other", boot=types.Boot(devices=[types.BootDevice.HD])),
            creation_time=_date(1199145600.0), origin="ovirt", stateless=False, delete_protected=False,
            version=types.TemplateVersion(version_name="base version", version_number=1))
        obj.href = href
        return api_xml.element(obj, self._links("templates", href))

    def _templates(self, method, rest, query, body, base):
        vm_names = [vm["name"] for vm in self.state.vms.values()]
        if not rest:
            self._allow(method, "GET")
            return self._list("templates", [BLANK_TEMPLATE_ID], query,
                              lambda _: {"name": "Blank", "id": BLANK_TEMPLATE_ID, "vm.name": vm_names},
                              lambda _: self._template_xml(base), "templates")
        if rest[0] != BLANK_TEMPLATE_ID:
            raise NotFound()
        if len(rest) == 1:
            self._allow(method, "GET")
            return self._ok(self._template_xml(base))
        if len(rest) > 2:
            raise NotFound()
        return self._subcollection("templates", method, rest[1], base)

    # -- MAC pools ---------------------------------------------------------------------------------

    def _mac_pool_xml(self, base):
        obj = types.MacPool(id=DEFAULT_MAC_POOL_ID, name="Default", description="Default MAC pool",
                            allow_duplicates=False, default_pool=True,
                            ranges=[types.Range(from_="56:6f:1a:2b:00:00", to="56:6f:1a:2b:ff:ff")])
        obj.href = f"{base}/macpools/{DEFAULT_MAC_POOL_ID}"
        return api_xml.element(obj, [("permissions", f"{obj.href}/permissions")])

    def _mac_pools(self, method, rest, query, body, base):
        self._allow(method, "GET")
        if not rest:
            return self._list("macpools", [DEFAULT_MAC_POOL_ID], query, None, lambda _: self._mac_pool_xml(base),
                              "mac_pools")
        if rest[0] != DEFAULT_MAC_POOL_ID:
            raise NotFound()
        if rest[1:] == ["permissions"]:
            return self._ok(api_xml.collection("permissions", []))
        if len(rest) > 1:
            raise NotFound()
        return self._ok(self._mac_pool_xml(base))

    # -- clusters ----------------------------------------------------------------------------------

    def _cluster_fields(self, cluster):
        return {"name": cluster["name"], "id": cluster["id"], "datacenter": self.state.data_center["name"],
                "description": cluster["description"], "compatibility_version": cluster["version"]}

    def _cluster_xml(self, cluster, base):
        href = f"{base}/clusters/{cluster['id']}"
        dc_id = cluster["data_center_id"]
        obj = types.Cluster(
            id=cluster["id"], name=cluster["name"], description=cluster["description"], comment=cluster["comment"],
            version=_version(cluster["version"]),
            data_center=_ref(types.DataCenter, dc_id, f"{base}/datacenters/{dc_id}"),
            scheduling_policy=_ref(types.SchedulingPolicy, cluster["policy_id"],
                                   f"{base}/schedulingpolicies/{cluster['policy_id']}"),
            custom_scheduling_policy_properties=_properties(cluster["policy_properties"]),
            cpu=types.Cpu(architecture=types.Architecture.X86_64, type="Secure Intel Cascadelake Server Family"),
            virt_service=True, gluster_service=False, ballooning_enabled=False, ha_reservation=False,
            threads_as_cores=False, trusted_service=False, optional_reason=False, maintenance_reason_required=False,
            tunnel_migration=False, fips_mode=types.FipsMode.DISABLED,
            firewall_type=types.FirewallType.FIREWALLD, switch_type=types.SwitchType.LEGACY,
            bios_type=types.BiosType.Q35_OVMF, log_max_memory_used_threshold=95,
            log_max_memory_used_threshold_type=types.LogMaxMemoryUsedThresholdType.PERCENTAGE,
            # What a cluster made with the engine's defaults carries (clients read these unconditionally).
            ksm=types.Ksm(enabled=True, merge_across_nodes=True),
            fencing_policy=types.FencingPolicy(
                enabled=True, skip_if_gluster_bricks_up=False, skip_if_gluster_quorum_not_met=False,
                skip_if_sd_active=types.SkipIfSdActive(enabled=False),
                skip_if_connectivity_broken=types.SkipIfConnectivityBroken(enabled=False, threshold=50)),
            error_handling=types.ErrorHandling(on_error=types.MigrateOnError.MIGRATE),
            migration=types.MigrationOptions(
                auto_converge=types.InheritableBoolean.INHERIT, compressed=types.InheritableBoolean.INHERIT,
                encrypted=types.InheritableBoolean.INHERIT,
                bandwidth=types.MigrationBandwidth(assignment_method=types.MigrationBandwidthAssignmentMethod.AUTO),
                policy=types.MigrationPolicy(id=MINIMAL_DOWNTIME_MIGRATION_POLICY)),
            memory_policy=types.MemoryPolicy(over_commit=types.MemoryOverCommit(percent=100),
                                             transparent_huge_pages=types.TransparentHugePages(enabled=True)),
            required_rng_sources=[types.RngSource.URANDOM],
            mac_pool=_ref(types.MacPool, DEFAULT_MAC_POOL_ID, f"{base}/macpools/{DEFAULT_MAC_POOL_ID}"))
        obj.href = href
        return api_xml.element(obj, self._links("clusters", href))

    def _clusters(self, method, rest, query, body, base):
        state = self.state
        if not rest:
            self._allow(method, "GET")
            clusters = sorted(state.clusters.values(), key=lambda c: c["name"])
            return self._list("clusters", clusters, query, self._cluster_fields,
                              lambda c: self._cluster_xml(c, base), "clusters")
        cluster = self._find(state.clusters, rest[0])
        if len(rest) == 2:
            return self._subcollection("clusters", method, rest[1], base)
        if len(rest) > 2:
            raise NotFound()
        self._allow(method, "GET", "PUT")
        if method == "PUT":
            self._update_cluster(cluster, self._read(body, types.Cluster))
        return self._ok(self._cluster_xml(cluster, base))

    def _update_cluster(self, cluster, incoming):
        """UpdateClusterCommand as far as the lab models a cluster: naming, version, scheduling policy."""
        state = self.state
        name = incoming.name if incoming.name is not None else cluster["name"]
        other = state.by_name(state.clusters, name)
        if other is not None and other["id"] != cluster["id"]:
            raise Failure(["Cannot edit Cluster. Name is in use."], 409)
        version = cluster["version"]
        if incoming.version is not None and incoming.version.major is not None:
            version = f"{incoming.version.major}.{incoming.version.minor}"
            if version not in CLUSTER_VERSIONS:
                raise Failure(["Cannot edit Cluster. Selected Compatibility Version is not supported."])
        policy = state.policies()[cluster["policy_id"]]
        if incoming.scheduling_policy is not None:
            policy = api_scheduling.resolve_cluster_policy(state, incoming.scheduling_policy.id,
                                                           incoming.scheduling_policy.name)
        properties = dict(cluster["policy_properties"])
        for prop in incoming.custom_scheduling_policy_properties or []:
            properties[prop.name] = prop.value  # merged into the existing map: keys cannot be removed
        properties = api_scheduling.cluster_policy_properties(state, policy, properties)
        cluster.update(name=name, version=version, policy_id=policy["id"], policy_properties=properties)
        for attribute in ("description", "comment"):
            if getattr(incoming, attribute) is not None:
                cluster[attribute] = getattr(incoming, attribute)
        state.mark_dirty()

    # -- hosts -------------------------------------------------------------------------------------

    def _host_fields(self, host):
        return {"name": host["name"], "id": host["id"], "status": host["status"], "address": host["address"],
                "cluster": self.state.clusters[host["cluster_id"]]["name"],
                "datacenter": self.state.data_center["name"]}

    def _host_xml(self, host, base):
        href = f"{base}/hosts/{host['id']}"
        running = self.runtime.running_count(host)
        obj = types.Host(
            id=host["id"], name=host["name"], address=host["address"], comment="", description="",
            status=types.HostStatus(host["status"]), type=types.HostType.RHEL, port=54321,
            protocol=types.HostProtocol.STOMP,
            cluster=_ref(types.Cluster, host["cluster_id"], f"{base}/clusters/{host['cluster_id']}"),
            summary=types.VmSummary(active=running, migrating=0, total=running))
        obj.href = href
        return api_xml.element(obj, self._links("hosts", href))

    def _hook_items(self, host):
        for event_name in sorted(host["hooks"]):
            for name in sorted(host["hooks"][event_name]):
                checksum = host["hooks"][event_name][name].get("checksum", "")
                yield _hook_id(event_name, name, checksum), event_name, name, checksum

    def _hook_xml(self, host, item, base):
        hook_id, event_name, name, checksum = item
        obj = types.Hook(id=hook_id, name=name, event_name=event_name, md5=checksum,
                         host=_ref(types.Host, host["id"], f"{base}/hosts/{host['id']}"))
        obj.href = f"{base}/hosts/{host['id']}/hooks/{hook_id}"
        return api_xml.element(obj)

    def _hosts(self, method, rest, query, body, base):
        state = self.state
        if not rest:
            self._allow(method, "GET")
            hosts = sorted(state.hosts.values(), key=lambda h: h["name"])
            return self._list("hosts", hosts, query, self._host_fields, lambda h: self._host_xml(h, base), "hosts")
        host = self._find(state.hosts, rest[0])
        if len(rest) == 1:
            self._allow(method, "GET")
            return self._ok(self._host_xml(host, base))
        if rest[1] == "refresh" and len(rest) == 2:
            self._allow(method, "POST")
            state.lock.release()  # the agent call must not hold up every other request
            try:
                self.runtime.refresh_capabilities(host)
            finally:
                state.lock.acquire()
            return ApiResponse(200, api_xml.action_done())
        if rest[1] == "hooks":
            hooks = list(self._hook_items(host))
            if len(rest) == 2:
                self._allow(method, "GET")
                return self._ok(api_xml.collection("hooks", [self._hook_xml(host, item, base) for item in hooks]))
            item = next((item for item in hooks if item[0] == rest[2]), None) if len(rest) == 3 else None
            if item is None:
                raise NotFound()
            self._allow(method, "GET")
            return self._ok(self._hook_xml(host, item, base))
        if len(rest) > 2:
            raise NotFound()
        return self._subcollection("hosts", method, rest[1], base)

    # -- VMs ---------------------------------------------------------------------------------------

    def _vm_fields(self, vm):
        state = self.state
        host = state.hosts.get(vm["host_id"])
        return {"name": vm["name"], "id": vm["id"], "status": vm["status"], "description": vm["description"],
                "cluster": state.clusters[vm["cluster_id"]]["name"], "host": host["name"] if host else "",
                "datacenter": state.data_center["name"]}

    def _vm_xml(self, vm, base, next_run=False):
        key = (vm["id"], base, next_run)
        cached = self._vm_cache.get(key)
        if cached is not None and cached[0] == vm["revision"]:
            return cached[1]
        config = {**vm, **vm["next_run"]} if next_run and vm["next_run"] else vm
        href = f"{base}/vms/{vm['id']}"
        properties = api_custom_props.string_to_pairs(api_custom_props.join_vm_properties(
            config["predefined_properties"], config["userdefined_properties"]))
        cluster_id = config["cluster_id"]
        obj = types.Vm(
            id=vm["id"], name=config["name"], description=config["description"], comment=config["comment"],
            status=types.VmStatus(vm["status"]),
            cluster=_ref(types.Cluster, cluster_id, f"{base}/clusters/{cluster_id}"),
            template=_ref(types.Template, BLANK_TEMPLATE_ID, f"{base}/templates/{BLANK_TEMPLATE_ID}"),
            original_template=_ref(types.Template, BLANK_TEMPLATE_ID, f"{base}/templates/{BLANK_TEMPLATE_ID}"),
            host=_ref(types.Host, vm["host_id"], f"{base}/hosts/{vm['host_id']}") if vm["host_id"] else None,
            memory=config["memory"],
            memory_policy=types.MemoryPolicy(guaranteed=config["memory"], max=config["memory"] * 4, ballooning=True),
            cpu=types.Cpu(architecture=types.Architecture.X86_64,
                          topology=types.CpuTopology(cores=1, sockets=1, threads=1)),
            cpu_shares=0, type=types.VmType.SERVER, origin="ovirt", stateless=False, delete_protected=False,
            os=types.OperatingSystem(type="other", boot=types.Boot(devices=[types.BootDevice.HD])),
            high_availability=types.HighAvailability(enabled=False, priority=0),
            placement_policy=types.VmPlacementPolicy(affinity=types.VmAffinity.MIGRATABLE),
            creation_time=_date(vm["creation_time"]), start_time=_date(vm["start_time"]),
            stop_time=_date(vm["stop_time"]), run_once=False, start_paused=False, migration_downtime=-1,
            next_run_configuration_exists=vm["next_run"] is not None,
            numa_tune_mode=types.NumaTuneMode.INTERLEAVE, soundcard_enabled=False, usb=types.Usb(enabled=False),
            io=types.Io(threads=1), time_zone=types.TimeZone(name="Etc/GMT"), tpm_enabled=False,
            bios=types.Bios(type=types.BiosType.CLUSTER_DEFAULT, boot_menu=types.BootMenu(enabled=False)),
            display=types.Display(type=types.DisplayType.VNC, monitors=1, copy_paste_enabled=True,
                                  file_transfer_enabled=True, smartcard_enabled=False,
                                  disconnect_action="LOCK_SCREEN"),
            console=types.Console(enabled=False), sso=types.Sso(methods=[types.Method(id=types.SsoMethod.GUEST_AGENT)]),
            migration=types.MigrationOptions(auto_converge=types.InheritableBoolean.INHERIT,
                                             compressed=types.InheritableBoolean.INHERIT,
                                             encrypted=types.InheritableBoolean.INHERIT),
            storage_error_resume_behaviour=types.VmStorageErrorResumeBehaviour.AUTO_RESUME,
            custom_properties=[types.CustomProperty(name=name, value=value) for name, value in properties] or None)
        obj.href = href
        fragment = api_xml.element(obj, self._links("vms", href))
        self._vm_cache[key] = (vm["revision"], fragment)
        return fragment

    def _vms(self, method, rest, query, body, base):
        state = self.state
        next_run = query.get("next_run", "false").lower() == "true"
        if not rest:
            self._allow(method, "GET")
            vms = sorted(state.vms.values(), key=lambda vm: vm["name"])
            return self._list("vms", vms, query, self._vm_fields, lambda vm: self._vm_xml(vm, base), "vms")
        vm = self._find(state.vms, rest[0])
        if len(rest) == 1:
            self._allow(method, "GET", "PUT")
            if method == "PUT":
                self._update_vm(vm, self._read(body, types.Vm), next_run)
                return self._ok(self._vm_xml(vm, base))
            return self._ok(self._vm_xml(vm, base, next_run))
        actions = {"start": self.runtime.start_vm, "stop": self.runtime.stop_vm,
                   "shutdown": lambda target: self.runtime.stop_vm(target, graceful=True)}
        if len(rest) == 2 and rest[1] in actions:
            self._allow(method, "POST")
            state.lock.release()  # scheduling and host agents are called without the state lock
            try:
                actions[rest[1]](vm)
            except Failure as failure:
                return ApiResponse(failure.status, api_xml.action_fault(failure.reason, failure.detail))
            finally:
                state.lock.acquire()
            return ApiResponse(200, api_xml.action_done())
        if len(rest) > 2:
            raise NotFound()
        return self._subcollection("vms", method, rest[1], base)

    def _update_vm(self, vm, incoming, next_run):
        """UpdateVmCommand: fields editable only while Down go to the next-run configuration otherwise."""
        state = self.state
        name = incoming.name if incoming.name is not None else vm["name"]
        if name != vm["name"] and state.by_name(state.vms, name) is not None:
            raise Failure(["Cannot edit VM. The VM name is already in use, please choose a unique name and try "
                           "again."], 409)
        base_config = {**vm, **vm["next_run"]} if vm["next_run"] else vm
        cluster_id = base_config["cluster_id"]
        if incoming.cluster is not None:
            target = state.clusters.get(incoming.cluster.id) or state.by_name(state.clusters, incoming.cluster.name)
            if target is None:
                raise BadRequest("Operation Failed", "Entity not found: Cluster: name="
                                 f"{incoming.cluster.name or incoming.cluster.id}")
            cluster_id = target["id"]
        version = state.clusters[cluster_id]["version"]
        cold = {"cluster_id": cluster_id, "memory": base_config["memory"],
                "predefined_properties": base_config["predefined_properties"],
                "userdefined_properties": base_config["userdefined_properties"]}
        if incoming.memory is not None:
            cold["memory"] = incoming.memory
        if incoming.custom_properties is not None:
            pairs = [(prop.name, prop.value) for prop in incoming.custom_properties]
            predefined, user_defined = self.runtime.vm_properties.get(version, ({}, {}))
            messages = validate_vm_properties({**predefined, **user_defined}, pairs, "edit", "VM")
            if messages:
                raise Failure(messages)
            cold["predefined_properties"], cold["userdefined_properties"] = api_custom_props.split_vm_properties(
                pairs, predefined, user_defined)
        hot = {"name": name}
        for attribute in ("description", "comment"):
            value = getattr(incoming, attribute)
            hot[attribute] = base_config[attribute] if value is None else value
        if vm["status"] == "down":
            vm.update(hot, **cold)
            vm["next_run"] = None
        else:
            if not next_run:
                vm.update(hot)
            changed_cold = any(vm[key] != value for key, value in cold.items())
            vm["next_run"] = {**cold, **hot} if changed_cold or next_run else None
        state.touch_vm(vm)
        state.add_event(35, "normal", f"VM {vm['name']} configuration was updated by {LAB_USER}.", vm=vm)

    # -- events ------------------------------------------------------------------------------------

    def _event_xml(self, event, base):
        obj = types.Event(id=str(event["id"]), index=event["id"], code=event["code"],
                          severity=types.LogSeverity(event["severity"]), description=event["description"],
                          time=_date(event["time"]), origin="oVirt", custom_id=-1, flood_rate=30)
        for attribute, kind, collection, key in (("vm", types.Vm, "vms", "vm_id"),
                                                 ("host", types.Host, "hosts", "host_id"),
                                                 ("cluster", types.Cluster, "clusters", "cluster_id")):
            if event[key]:
                setattr(obj, attribute, _ref(kind, event[key], f"{base}/{collection}/{event[key]}"))
        obj.href = f"{base}/events/{event['id']}"
        return api_xml.element(obj)

    def _events(self, method, rest, query, body, base):
        events = list(reversed(self.state.events))
        if not rest:
            self._allow(method, "GET")
            if query.get("from", "").isdigit():
                events = [event for event in events if event["id"] > int(query["from"])]
            return self._list("events", events, query,
                              lambda e: {"id": str(e["id"]), "severity": e["severity"], "code": str(e["code"]),
                                         "description": e["description"]},
                              lambda e: self._event_xml(e, base), "events")
        event = next((event for event in events if str(event["id"]) == rest[0]), None)
        if event is None or len(rest) > 1:
            raise NotFound()
        self._allow(method, "GET")
        return self._ok(self._event_xml(event, base))

    # -- system options ----------------------------------------------------------------------------

    def _options(self, method, rest, query, body, base):
        if len(rest) != 1 or rest[0] not in VM_OPTIONS:
            raise NotFound()
        self._allow(method, "GET")
        version = query.get("version")
        if version and version not in CLUSTER_VERSIONS:
            raise NotFound()
        # Config values as loaded at engine start, like every other engine-config value.
        texts = self.runtime.vm_property_texts
        half = VM_OPTIONS.index(rest[0])
        values = [types.SystemOptionValue(version=v, value=texts[v][half])
                  for v in ([version] if version else CLUSTER_VERSIONS)]
        obj = types.SystemOption(id=rest[0], name=rest[0], values=values)
        obj.href = f"{base}/options/{rest[0]}"
        return self._ok(api_xml.element(obj))

    # -- scheduling policy units -------------------------------------------------------------------

    def _unit_xml(self, unit, base):
        regex = unit["regex"]
        obj = types.SchedulingPolicyUnit(
            id=unit["id"], name=unit["name"], description=unit["description"], enabled=unit["enabled"],
            internal=unit["internal"], type=types.PolicyUnitType(unit["type"]) if unit["type"] else None,
            properties=_properties(regex, api_custom_props.java_hash_order(regex)))
        obj.href = f"{base}/schedulingpolicyunits/{unit['id']}"
        return api_xml.element(obj)

    def _units(self, method, rest, query, body, base):
        state = self.state
        if not rest:
            self._allow(method, "GET")
            return self._list("schedulingpolicyunits", list(state.units().values()), query, None,
                              lambda u: self._unit_xml(u, base), "scheduling_policy_units")
        unit = self._find(state.units(), rest[0])
        if len(rest) > 1:
            raise NotFound()
        self._allow(method, "GET", "DELETE")
        if method == "GET":
            return self._ok(self._unit_xml(unit, base))
        api_scheduling.check_remove_unit(state, unit["id"])
        # A built-in unit no policy uses can be removed too; code brings it back at the next start.
        state.external_units.pop(unit["id"], None)
        state.builtin_units.pop(unit["id"], None)
        state.mark_dirty()
        return ApiResponse(200, content_type="")

    # -- scheduling policies -----------------------------------------------------------------------

    def _policy_xml(self, policy, base):
        href = f"{base}/schedulingpolicies/{policy['id']}"
        params = policy["params"]
        obj = types.SchedulingPolicy(id=policy["id"], name=policy["name"], description=policy["description"],
                                     default_policy=policy["default"], locked=policy["locked"],
                                     properties=_properties(params, api_custom_props.java_hash_order(params)))
        obj.href = href
        return api_xml.element(obj, [(sub, f"{href}/{sub}") for sub in ("balances", "filters", "weights")])

    def _policy_items(self, policy, sub):
        if sub == "filters":
            return [(unit_id, {"position": policy["positions"].get(unit_id, 0)}) for unit_id in policy["filters"]]
        if sub == "weights":
            return [(unit_id, {"factor": factor}) for unit_id, factor in policy["functions"]]
        return [(policy["balance"], {})] if policy["balance"] else []

    def _policy_item_xml(self, policy, sub, unit_id, values, base):
        unit_ref = _ref(types.SchedulingPolicyUnit, unit_id, f"{base}/schedulingpolicyunits/{unit_id}")
        obj = POLICY_ITEMS[sub](id=unit_id, scheduling_policy_unit=unit_ref, **values)
        obj.href = f"{base}/schedulingpolicies/{policy['id']}/{sub}/{unit_id}"
        return api_xml.element(obj)

    def _policies(self, method, rest, query, body, base):
        state = self.state
        if not rest:
            self._allow(method, "GET", "POST")
            if method == "GET":
                return self._list("schedulingpolicies", list(state.policies().values()), query, None,
                                  lambda p: self._policy_xml(p, base), "scheduling_policies")
            policy = self._add_policy(self._read(body, types.SchedulingPolicy))
            fragment = self._policy_xml(policy, base)
            return self._ok(fragment, 201, {"Location": f"{base}/schedulingpolicies/{policy['id']}"})
        policy = self._find(state.policies(), rest[0])
        if len(rest) == 1:
            self._allow(method, "GET", "PUT", "DELETE")
            if method == "GET":
                return self._ok(self._policy_xml(policy, base))
            if method == "DELETE":
                api_scheduling.check_remove_policy(state, policy["id"])
                del state.user_policies[policy["id"]]
                state.mark_dirty()
                return ApiResponse(200, content_type="")
            return self._ok(self._policy_xml(self._edit_policy(policy, self._read(body, types.SchedulingPolicy)),
                                             base))
        sub = rest[1]
        if sub not in POLICY_ITEMS or len(rest) > 3:
            raise NotFound()
        if len(rest) == 2:
            self._allow(method, "GET", "POST")
            if method == "GET":
                return self._ok(api_xml.collection(sub, [self._policy_item_xml(policy, sub, unit_id, values, base)
                                                         for unit_id, values in self._policy_items(policy, sub)]))
            unit_id, values = self._add_policy_item(policy, sub, body)
            return self._ok(self._policy_item_xml(state.policies()[policy["id"]], sub, unit_id, values, base))
        # Items have no PUT; their GET maps the policy with a null template, which the engine cannot do.
        self._allow(method, "GET", "DELETE")
        if method == "GET":
            raise NotFound()
        self._remove_policy_item(policy, sub, rest[2])
        return ApiResponse(200, content_type="")

    def _add_policy(self, incoming):
        if not incoming.name:
            raise BadRequest("Incomplete parameters", "SchedulingPolicy [name] required for add")
        policy = {"id": new_id(), "name": incoming.name, "description": incoming.description,
                  "locked": bool(incoming.locked), "default": bool(incoming.default_policy),
                  "filters": [], "positions": {}, "functions": [], "balance": None,
                  "params": {p.name: p.value or "" for p in incoming.properties or []}}
        api_scheduling.check_policy(self.state, policy, "add")
        self.state.user_policies[policy["id"]] = policy
        self.state.mark_dirty()
        return policy

    def _save_edited(self, candidate):
        api_scheduling.check_policy(self.state, candidate, "edit")
        self.state.user_policies[candidate["id"]] = candidate
        self.state.mark_dirty()
        return candidate

    def _edit_policy(self, policy, incoming):
        api_scheduling.check_not_locked(self.state, policy["id"], "edit")
        candidate = copy.deepcopy(policy)
        for attribute, key in (("name", "name"), ("description", "description"), ("locked", "locked"),
                               ("default_policy", "default")):
            if getattr(incoming, attribute) is not None:
                candidate[key] = getattr(incoming, attribute)
        if incoming.properties is not None:
            candidate["params"] = {p.name: p.value or "" for p in incoming.properties}
        return self._save_edited(candidate)

    def _add_policy_item(self, policy, sub, body):
        kind = POLICY_ITEMS[sub]
        incoming = self._read(body, kind)
        if incoming.scheduling_policy_unit is None or not incoming.scheduling_policy_unit.id:
            raise BadRequest("Incomplete parameters",
                             f"{kind.__name__} [schedulingPolicyUnit.id] required for add")
        api_scheduling.check_not_locked(self.state, policy["id"], "edit")
        unit_id = incoming.scheduling_policy_unit.id
        candidate = copy.deepcopy(policy)
        values = {}
        if sub == "filters":
            candidate["filters"].append(unit_id)
            candidate["positions"][unit_id] = incoming.position or 0
            values["position"] = candidate["positions"][unit_id]
        elif sub == "weights":
            factor = 1 if incoming.factor is None else incoming.factor
            candidate["functions"].append([unit_id, factor])
            values["factor"] = factor
        else:
            candidate["balance"] = unit_id
        self._save_edited(candidate)
        return unit_id, values

    def _remove_policy_item(self, policy, sub, unit_id):
        api_scheduling.check_not_locked(self.state, policy["id"], "edit")
        candidate = copy.deepcopy(policy)
        if sub == "filters" and unit_id in candidate["filters"]:
            candidate["filters"].remove(unit_id)
            candidate["positions"].pop(unit_id, None)
        elif sub == "weights":
            candidate["functions"] = [entry for entry in candidate["functions"] if entry[0] != unit_id]
        elif sub == "balances" and candidate["balance"] == unit_id:
            candidate["balance"] = None
        self._save_edited(candidate)
