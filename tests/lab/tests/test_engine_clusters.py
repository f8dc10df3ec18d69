"""Clusters: list/search/get and the engine's rules for scheduling policy and its properties."""

import ovirtsdk4 as sdk
from ovirtsdk4 import types
import pytest

NONE_ID = "b4ed2332-a7ac-4d5f-9596-99a439cb2812"
EVENLY_ID = "20d25257-b4bd-4589-92a6-c4c5c5d3fd1a"


def props(cluster):
    return {p.name: p.value for p in cluster.custom_scheduling_policy_properties or []}


@pytest.fixture
def default(conn):
    cluster = conn.system_service().clusters_service().list(search="name=Default")[0]
    return conn.system_service().clusters_service().cluster_service(cluster.id)


def test_list_search_and_get(conn):
    clusters = conn.system_service().clusters_service()
    assert [c.name for c in clusters.list()] == ["Default", "Prod"]
    assert [c.name for c in clusters.list(search="name=prod")] == ["Prod"]
    assert [c.name for c in clusters.list(search='name="Default"')] == ["Default"]
    assert [c.name for c in clusters.list(search="datacenter=Default", max=1)] == ["Default"]
    prod = clusters.cluster_service(clusters.list(search="name=Prod")[0].id).get()
    assert (prod.version.major, prod.version.minor) == (4, 8)
    assert prod.scheduling_policy.id == NONE_ID
    assert props(prod) == {"HighUtilization": "80", "CpuOverCommitDurationMinutes": "2"}
    assert [p.name for p in prod.custom_scheduling_policy_properties] == ["HighUtilization",
                                                                          "CpuOverCommitDurationMinutes"]


def test_policy_by_id_fills_the_new_policy_defaults(default):
    cluster = default.update(types.Cluster(scheduling_policy=types.SchedulingPolicy(id=EVENLY_ID)))
    assert cluster.scheduling_policy.id == EVENLY_ID
    assert props(cluster) == {"HighUtilization": "80", "CpuOverCommitDurationMinutes": "2",
                              "HeSparesCount": "0", "VCpuToPhysicalCpuRatio": "0"}


def test_policy_by_name_ignores_case(default):
    cluster = default.update(types.Cluster(scheduling_policy=types.SchedulingPolicy(name="POWER_SAVING")))
    assert cluster.scheduling_policy.id == "5a2b0939-7d46-4b73-a469-e9c2c7fc6a53"
    assert props(cluster)["LowUtilization"] == "20"


def test_unknown_policy_falls_back_to_the_default_silently(default):
    power_saving = default.update(types.Cluster(scheduling_policy=types.SchedulingPolicy(name="power_saving")))
    assert props(power_saving)["LowUtilization"] == "20"
    cluster = default.update(types.Cluster(scheduling_policy=types.SchedulingPolicy(name="no_such_policy")))
    assert cluster.scheduling_policy.id == NONE_ID
    # LowUtilization belongs to the power saving balancer only: dropped on the way back to none.
    assert props(cluster) == {"HighUtilization": "80", "CpuOverCommitDurationMinutes": "2", "HeSparesCount": "0"}


def test_properties_merge_and_unknown_keys_are_dropped(default):
    cluster = default.update(types.Cluster(custom_scheduling_policy_properties=[
        types.Property(name="HighUtilization", value="70"), types.Property(name="foo", value="bar"),
        types.Property(name="MaximumAllowedSwapUsage", value="20")]))
    assert props(cluster) == {"HighUtilization": "70", "CpuOverCommitDurationMinutes": "2",
                              "MaximumAllowedSwapUsage": "20"}
    # Omitting a key does not remove it.
    cluster = default.update(types.Cluster(custom_scheduling_policy_properties=[]))
    assert props(cluster)["MaximumAllowedSwapUsage"] == "20"
    assert props(default.get())["HighUtilization"] == "70"


def test_illegal_property_value_fault(default):
    with pytest.raises(sdk.Error) as error:
        default.update(types.Cluster(custom_scheduling_policy_properties=[
            types.Property(name="HighUtilization", value="200"),
            types.Property(name="CpuOverCommitDurationMinutes", value="0")]))
    assert error.value.code == 400
    assert error.value.fault.reason == "Operation Failed"
    assert error.value.fault.detail == ("[Cannot edit Cluster if some of the specified custom properties have "
                                        "illegal values. The keys are: HighUtilization,CpuOverCommitDurationMinutes]")
    assert props(default.get())["HighUtilization"] == "80"


def test_property_value_with_semicolon_is_a_syntax_fault(default):
    with pytest.raises(sdk.Error) as error:
        default.update(types.Cluster(custom_scheduling_policy_properties=[
            types.Property(name="HighUtilization", value="70;1")]))
    assert error.value.fault.detail == ("[Cannot edit Cluster if custom properties are in invalid format. "
                                        "Please check the input.]")


def test_version_update(default):
    cluster = default.update(types.Cluster(version=types.Version(major=4, minor=8)))
    assert cluster.version.minor == 8
    with pytest.raises(sdk.Error, match="Compatibility Version is not supported"):
        default.update(types.Cluster(version=types.Version(major=4, minor=9)))


def test_name_in_use(default):
    with pytest.raises(sdk.Error, match="Name is in use") as error:
        default.update(types.Cluster(name="Prod"))
    assert error.value.code == 409


def test_cluster_changes_survive_restart(lab, default):
    default.update(types.Cluster(description="changed", custom_scheduling_policy_properties=[
        types.Property(name="HighUtilization", value="60")]))
    lab.engine.restart()
    cluster = lab.connect().system_service().clusters_service().list(search="name=Default")[0]
    assert cluster.description == "changed" and props(cluster)["HighUtilization"] == "60"
