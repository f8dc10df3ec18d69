"""Scheduling policy units and scheduling policies, with every quirk of the engine's REST API."""

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest

NONE_ID = "b4ed2332-a7ac-4d5f-9596-99a439cb2812"
CPU = "6d636bf6-a35c-4f9d-b68d-0731f720cddc"
MEMORY = "c9ddbb34-0e1d-4061-a8d7-b0893fa80932"
CPU_OVERLOADED = "98842bc5-4094-4b83-8224-7b50f86a94c9"
PREFERRED_HOSTS = "591cdb81-ba67-45b4-9642-e28f61a97d57"
NO_BALANCE = "38440000-8cf0-14bd-c43e-10b96e4ef00a"
EVEN_BALANCE = "7db4ab05-81ab-42e8-868a-aee2df483ed2"
HOST_HOOKS = "aae8c702-4756-4934-b84c-8daf59efc134"
UNKNOWN = "00000000-0000-0000-0000-0000000000aa"
BUILT_IN = {
    "none": NONE_ID, "cluster_maintenance": "7677771e-5eab-422e-83fa-dc04080d21b7",
    "evenly_distributed": "20d25257-b4bd-4589-92a6-c4c5c5d3fd1a",
    "power_saving": "5a2b0939-7d46-4b73-a469-e9c2c7fc6a53",
    "vm_evenly_distributed": "8d5d7bec-68de-4a67-b53e-0ac54686d579",
    "InClusterUpgrade": "8d5d7bec-68de-4a67-b53e-0ac54686d586",
}


def unit(unit_id):
    return types.SchedulingPolicyUnit(id=unit_id)


def fault(call):
    with pytest.raises(sdk.Error) as error:
        call()
    return error.value.code, error.value.fault.detail if error.value.fault else None


@pytest.fixture
def units(conn):
    return conn.system_service().scheduling_policy_units_service()


@pytest.fixture
def policies(conn):
    return conn.system_service().scheduling_policies_service()


@pytest.fixture
def policy(policies):
    created = policies.add(types.SchedulingPolicy(name="mine", description="lab policy"))
    return policies.policy_service(created.id)


def test_built_in_units(units):
    listed = {(u.name, u.type): u for u in units.list()}
    cpu = listed[("CPU", types.PolicyUnitType.FILTER)]
    assert (cpu.id, cpu.internal, cpu.enabled) == (CPU, True, True)
    assert listed[("PreferredHosts", types.PolicyUnitType.WEIGHT)].id == PREFERRED_HOSTS
    assert listed[("None", types.PolicyUnitType.LOAD_BALANCING)].id == NO_BALANCE
    assert listed[("VmAffinityGroups", types.PolicyUnitType.FILTER)].id.endswith("db566")
    assert listed[("VmAffinityGroups", types.PolicyUnitType.WEIGHT)].id.endswith("db567")
    overloaded = units.unit_service(CPU_OVERLOADED).get()
    assert {p.name: p.value for p in overloaded.properties} == {
        "HighUtilization": "^([5-9][0-9])$", "CpuOverCommitDurationMinutes": "^([1-9][0-9]*)$"}
    assert all(u.internal for u in units.list())
    # Selector units have no API type: the SDK reads them without one.
    assert [u.name for u in units.list() if u.type is None] == ["BasicWeighting", "RankSelector"]


def test_built_in_policies_are_locked(policies):
    listed = {p.name: p for p in policies.list()}
    assert {name: p.id for name, p in listed.items()} == BUILT_IN
    assert all(p.locked for p in listed.values())
    assert [name for name, p in listed.items() if p.default_policy] == ["none"]
    assert {p.name: p.value for p in listed["none"].properties} == {
        "CpuOverCommitDurationMinutes": "2", "HighUtilization": "80"}
    none = policies.policy_service(NONE_ID)
    filters = none.filters_service().list()
    assert filters[0].id == CPU and filters[0].scheduling_policy_unit.id == CPU and filters[0].position == -1
    assert filters[-1].position == 1 and {f.position for f in filters[1:-1]} == {0}
    weights = {w.id: w.factor for w in none.weights_service().list()}
    assert weights[PREFERRED_HOSTS] == 99
    assert [b.id for b in none.balances_service().list()] == [NO_BALANCE]


@pytest.mark.parametrize("action", ["update", "remove", "add_filter", "remove_filter"])
def test_locked_policies_refuse_changes_with_the_generic_text(policies, action):
    service = policies.policy_service(NONE_ID)
    calls = {
        "update": (lambda: service.update(types.SchedulingPolicy(description="x")), "edit"),
        "remove": (service.remove, "remove"),
        "add_filter": (lambda: service.filters_service().add(types.Filter(scheduling_policy_unit=unit(HOST_HOOKS))),
                       "edit"),
        "remove_filter": (lambda: service.filters_service().filter_service(CPU).remove(), "edit"),
    }
    call, verb = calls[action]
    assert fault(call) == (400, f"[Cannot {verb} Scheduling Policy. Parameters are invalid.]")


def test_add_policy_answers_201(lab, conn):
    status, headers, body = lab.raw("POST", "/ovirt-engine/api/schedulingpolicies",
                                    "<scheduling_policy><name>raw</name></scheduling_policy>",
                                    {"Content-Type": "application/xml"})
    assert status == 201 and headers["Location"].startswith("/ovirt-engine/api/schedulingpolicies/")
    added = conn.system_service().scheduling_policies_service().list()[-1]
    assert (added.name, added.locked, added.default_policy) == ("raw", False, False)


def test_add_policy_ignores_inline_units_and_needs_a_name(policies):
    created = policies.add(types.SchedulingPolicy(name="inline", filters=[types.Filter(id=CPU)]))
    assert policies.policy_service(created.id).filters_service().list() == []
    assert fault(lambda: policies.add(types.SchedulingPolicy(description="nameless"))) == (
        400, "SchedulingPolicy [name] required for add")


def test_duplicate_names(policies, policy):
    assert fault(lambda: policies.add(types.SchedulingPolicy(name="none"))) == (
        400, "[Cannot add Scheduling Policy. Name is in use.]")
    assert fault(lambda: policy.update(types.SchedulingPolicy(name="power_saving"))) == (
        400, "[Cannot edit Scheduling Policy. Name is in use.]")
    # Names are compared exactly.
    assert policies.add(types.SchedulingPolicy(name="None")).name == "None"


def test_filters_weights_balances(lab, policy):
    filters = policy.filters_service()
    added = filters.add(types.Filter(scheduling_policy_unit=unit(CPU), position=-1))
    assert (added.id, added.position) == (CPU, -1)
    filters.add(types.Filter(scheduling_policy_unit=unit(MEMORY)))
    assert [(f.id, f.position) for f in filters.list()] == [(CPU, -1), (MEMORY, 0)]
    weights = policy.weights_service()
    assert weights.add(types.Weight(scheduling_policy_unit=unit(PREFERRED_HOSTS))).factor == 1
    balances = policy.balances_service()
    balances.add(types.Balance(scheduling_policy_unit=unit(NO_BALANCE)))
    balances.add(types.Balance(scheduling_policy_unit=unit(EVEN_BALANCE)))
    assert [b.id for b in balances.list()] == [EVEN_BALANCE]  # a second balance replaces the first
    balances.balance_service(NO_BALANCE).remove()  # not the current one: nothing changes
    assert [b.id for b in balances.list()] == [EVEN_BALANCE]
    balances.balance_service(EVEN_BALANCE).remove()
    assert balances.list() == []
    filters.filter_service(MEMORY).remove()
    filters.filter_service(MEMORY).remove()  # absent: the policy is saved unchanged
    assert [f.id for f in filters.list()] == [CPU]
    policy_path = f"/ovirt-engine/api/schedulingpolicies/{policy.get().id}"
    xml = {"Content-Type": "application/xml"}
    weight = f'<weight><scheduling_policy_unit id="{MEMORY}"/></weight>'
    assert lab.raw("POST", f"{policy_path}/weights", weight, xml)[0] == 400
    memory_filter = f'<filter><scheduling_policy_unit id="{MEMORY}"/></filter>'
    assert lab.raw("POST", f"{policy_path}/filters", memory_filter, xml)[0] == 200  # not 201


def test_policy_item_quirks(lab, policy):
    policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(CPU)))
    policy_path = f"/ovirt-engine/api/schedulingpolicies/{policy.get().id}"
    assert lab.raw("GET", f"{policy_path}/filters/{CPU}")[0] == 404
    put = lab.raw("PUT", f"{policy_path}/filters/{CPU}", "<filter><position>1</position></filter>",
                  {"Content-Type": "application/xml"})
    assert put[0] == 405
    body = lab.raw("GET", policy_path)[2]
    assert {rel for rel in ("balances", "filters", "weights") if f'rel="{rel}"'.encode() in body} == {
        "balances", "filters", "weights"}


@pytest.mark.parametrize("add, detail", [
    (lambda p: p.filters_service().add(types.Filter(scheduling_policy_unit=unit(CPU))),
     "[Cannot edit Scheduling Policy. policy unit already exists in Scheduling Policy.]"),
    (lambda p: p.filters_service().add(types.Filter(scheduling_policy_unit=unit(UNKNOWN))),
     "[Cannot edit Scheduling Policy. Policy unit is unknown.]"),
    (lambda p: p.filters_service().add(types.Filter(scheduling_policy_unit=unit(PREFERRED_HOSTS))),
     "[Cannot edit Scheduling Policy. Policy unit doesn't implement Filtering.]"),
    (lambda p: p.weights_service().add(types.Weight(scheduling_policy_unit=unit(MEMORY))),
     "[Cannot edit Scheduling Policy. Policy unit doesn't implement score function.]"),
    # One set of units for filters and weights: a filter's unit cannot come back as a weight.
    (lambda p: p.weights_service().add(types.Weight(scheduling_policy_unit=unit(CPU))),
     "[Cannot edit Scheduling Policy. policy unit already exists in Scheduling Policy.]"),
    (lambda p: p.balances_service().add(types.Balance(scheduling_policy_unit=unit(CPU))),
     "[Cannot edit Scheduling Policy. Policy unit doesn't implement load balancing logic.]"),
    (lambda p: p.filters_service().add(types.Filter(scheduling_policy_unit=unit(MEMORY), position=-1)),
     "[Cannot edit Scheduling Policy. Only a single filter can be selected as first.]"),
    (lambda p: p.weights_service().add(types.Weight(scheduling_policy_unit=unit(PREFERRED_HOSTS), factor=-2)),
     "[Cannot edit Scheduling Policy. Function factor cannot be negative.]"),
])
def test_policy_item_faults(policy, add, detail):
    policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(CPU), position=-1))
    assert fault(lambda: add(policy)) == (400, detail)


def test_second_last_filter_fault(policy):
    policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(CPU), position=1))
    assert fault(lambda: policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(MEMORY),
                                                                   position=1))) == (
        400, "[Cannot edit Scheduling Policy. Only a single filter can be selected as last.]")


def test_policy_properties_follow_the_units(policy):
    assert fault(lambda: policy.update(types.SchedulingPolicy(properties=[
        types.Property(name="HighUtilization", value="80")]))) == (
        400, "[Cannot edit Scheduling Policy if some of the specified custom properties are not configured by the "
             "system. The keys are: HighUtilization]")
    policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(CPU_OVERLOADED)))
    assert fault(lambda: policy.update(types.SchedulingPolicy(properties=[
        types.Property(name="HighUtilization", value="10")]))) == (
        400, "[Cannot edit Scheduling Policy if some of the specified custom properties have illegal values. "
             "The keys are: HighUtilization]")
    updated = policy.update(types.SchedulingPolicy(properties=[types.Property(name="HighUtilization", value="70")]))
    assert [(p.name, p.value) for p in updated.properties] == [("HighUtilization", "70")]
    # The unit carrying the property cannot go while the property stays.
    assert fault(lambda: policy.filters_service().filter_service(CPU_OVERLOADED).remove())[1].endswith(
        "not configured by the system. The keys are: HighUtilization]")
    # Properties replace the whole map when present.
    assert policy.update(types.SchedulingPolicy(properties=[])).properties is None


def test_remove_policy_in_use_names_the_clusters(conn, policies, policy):
    policy_id = policy.get().id
    clusters = conn.system_service().clusters_service()
    for cluster in clusters.list():
        clusters.cluster_service(cluster.id).update(
            types.Cluster(scheduling_policy=types.SchedulingPolicy(id=policy_id)))
    assert fault(policy.remove) == (400, "[Cannot remove Scheduling Policy. Scheduling Policy is attached to "
                                         "cluster(s): Default,Prod, please unassign cluster(s).]")
    for cluster in clusters.list():
        clusters.cluster_service(cluster.id).update(
            types.Cluster(scheduling_policy=types.SchedulingPolicy(id=NONE_ID)))
    policy.remove()
    with pytest.raises(sdk.NotFoundError):
        policy.get()
    with pytest.raises(sdk.NotFoundError):
        policies.policy_service("nope").remove()


def test_remove_unit_in_use_is_409(units, policy):
    policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(HOST_HOOKS)))
    code, detail = fault(units.unit_service(HOST_HOOKS).remove)
    assert (code, detail) == (409, "[Cannot remove Policy Unit. Policy unit is attached to the following cluster "
                                   "policies: mine.]")
    code, detail = fault(units.unit_service(CPU).remove)
    assert code == 409 and detail.startswith("[Cannot remove Policy Unit. Policy unit is attached to the following "
                                             "cluster policies: none,cluster_maintenance,")
    with pytest.raises(sdk.NotFoundError):
        units.unit_service("nope").remove()


def test_unused_built_in_unit_can_be_removed_until_restart(lab, units):
    units.unit_service(HOST_HOOKS).remove()
    with pytest.raises(sdk.NotFoundError):
        units.unit_service(HOST_HOOKS).get()
    lab.engine.restart()
    assert lab.connect().system_service().scheduling_policy_units_service().unit_service(HOST_HOOKS).get().name == \
        "Host-hooks"


def test_policies_survive_restart(lab, policy):
    policy.filters_service().add(types.Filter(scheduling_policy_unit=unit(CPU)))
    lab.engine.restart()
    policies = lab.connect().system_service().scheduling_policies_service()
    mine = next(p for p in policies.list() if p.name == "mine")
    assert [f.id for f in policies.policy_service(mine.id).filters_service().list()] == [CPU]
