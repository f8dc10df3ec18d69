"""Built-in scheduling units and policies, as the engine defines them in code.

Sources: @SchedulingUnit annotations of bll/scheduling/policyunits/*.java, the enabled list of
InternalPolicyUnits.java, PolicyUnitParameter.java and InternalClusterPolicies.java (engine HEAD);
InClusterUpgrade is the locked policy row the dbscripts insert (it is no longer built in code).
Mandatory units (PinToHost, CPU-Level, ...) are not in the engine's unit map and so are not listed.
"""

# PolicyUnitParameter: name -> regex (Java String.matches semantics).
PARAMETERS = {
    "ScaleDown": r"(100|[1-9]|[1-9][0-9])$",
    "HighVmCount": r"^([0-9]|[1-9][0-9]+)$",
    "MigrationThreshold": r"^([2-9]|[1-9][0-9]+)$",
    "SpmVmGrace": r"^([0-9]|[1-9][0-9]+)$",
    "CpuOverCommitDurationMinutes": r"^([1-9][0-9]*)$",
    "HighUtilization": r"^([5-9][0-9])$",
    "LowUtilization": r"^([0-9]|[1-4][0-9])$",
    "VCpuToPhysicalCpuRatio": r"^([0-2](\.([0-9]+))?)$",
    "HostsInReserve": r"^[0-9][0-9]*$",
    "EnableAutomaticHostPowerManagement": r"^(true|false)$",
    "MaxFreeMemoryForOverUtilized": r"^([1-9][0-9]*)$",
    "MinFreeMemoryForUnderUtilized": r"^([1-9][0-9]*)$",
    "HeSparesCount": r"^([0-9][0-9]*)$",
    "MaximumAllowedSwapUsage": r"^1?[0-9]?[0-9]$",
}

FILTER, WEIGHT, BALANCE, SELECTOR = "filter", "weight", "load_balancing", None

# (id, name, type, description, parameter names)
_UNITS = [
    ("0bd8fef9-bcb4-4250-9998-410f01608d9b", "ClusterInMaintenance", FILTER,
     "Prevents any VM start except for highly available VMs", []),
    ("98842bc5-4094-4b83-8224-7b50f86a94c9", "CPUOverloaded", FILTER,
     "Filters out CPU overloaded hosts.", ["HighUtilization", "CpuOverCommitDurationMinutes"]),
    ("6d636bf6-a35c-4f9d-b68d-0731f720cddc", "CPU", FILTER,
     "Filters out hosts with less CPUs than VM's CPUs", []),
    ("58894b5b-d55d-4f85-8f82-5bf217e640b0", "Emulated-Machine", FILTER,
     "Runs VMs only on hosts with a proper emulated machine support", []),
    ("e659c871-0bf1-4ccc-b748-f28f5d08dffd", "HA", FILTER,
     "Runs the hosted engine VM only on hosts with a positive score", []),
    ("53bff075-8306-446f-a53b-9c872a29d197", "HostedEngineSpares", FILTER,
     "Reserve space for starting the hosted engine VM on different hosts in case the current one crashes.",
     ["HeSparesCount"]),
    ("23e07b34-66dd-4735-bc45-bcddded02c05", "HugePages", FILTER,
     "Filters out hosts that do not have enough free huge pages", []),
    ("c9ddbb34-0e1d-4061-a8d7-b0893fa80932", "Memory", FILTER,
     "Filters out hosts that have insufficient memory to run the VM", []),
    ("fcbfe4b1-b83e-4428-b9d3-b3d348b93be6", "NUMA", FILTER,
     "Filters out hosts that have incompatible NUMA nodes.", []),
    ("e659c871-0bf1-4ccc-b748-f28f5d08ddda", "Migration", FILTER,
     "Prevent migration to the same host.", []),
    ("72163d1c-9468-4480-99d9-0888664eb143", "Network", FILTER,
     "Filters out hosts that are missing networks required by VM NICs, or missing cluster's display network", []),
    ("43b9e654-337f-4b0d-a896-cbb22ce5a7fc", "Swap", FILTER,
     "Filters out hosts that are swapping", ["MaximumAllowedSwapUsage"]),
    ("84e6ddee-ab0d-42dd-82f0-c297779db566", "VmAffinityGroups", FILTER,
     "Enables Affinity Groups hard enforcement for VMs; VMs in group are required to run either on the same "
     "hypervisor host (positive) or on independent hypervisor hosts (negative)", []),
    ("e69808a9-8a41-40f1-94ba-dd5d385d82d8", "VmToHostsAffinityGroups", FILTER,
     "Enables Affinity Groups hard enforcement for VMs to hosts; VMs in group are required to run either on one "
     "of the hosts in group (positive) or on independent hosts which are excluded from the hosts in group "
     "(negative).", []),
    ("84e6ddee-ab0d-42dd-82f0-c298889db567", "InClusterUpgrade", FILTER,
     "Filter out all hosts which run an older OS version than the host the vm is currently running on.", []),
    ("47ea3cd0-8a2f-438d-9f63-49534178882a", "Migration-Tsc-Frequency", FILTER,
     "High-Performance VMs can only be migrated to hosts with the same TSC frequency", []),
    ("aae8c702-4756-4934-b84c-8daf59efc134", "Host-hooks", FILTER,
     "Runs VMs only on hosts with a hooks required by VM's configuration", []),
    ("7db4ab05-81ab-42e8-868a-aee2df483edb", "OptimalForCpuEvenDistribution", WEIGHT,
     "Gives hosts with lower CPU usage, lower weight (means that hosts with lower CPU usage are more likely to "
     "be selected)", ["VCpuToPhysicalCpuRatio"]),
    ("4134247a-9c58-4b9a-8593-530bb9e37c59", "OptimalForMemoryEvenDistribution", WEIGHT,
     "Gives hosts with higher available memory, lower weight (means that hosts with more available memory are "
     "more likely to be selected)", []),
    ("3ba8c988-f779-42c0-90ce-caa8243edee7", "OptimalForEvenGuestDistribution", WEIGHT, "", ["SpmVmGrace"]),
    ("7f262d70-6cac-11e3-981f-0800200c9a66", "OptimalForHaReservation", WEIGHT,
     "Weights hosts according to their HA score regardless of hosted engine", ["ScaleDown"]),
    ("98e92667-6161-41fb-b3fa-34f820ccbc4b", "HA", WEIGHT, "Weights hosts according to their HA score", []),
    ("f58c1cb9-d91f-48a6-a196-c6d22fb10c4e", "Fit VM to single host NUMA node", WEIGHT,
     "Prefers hosts where a VM without vNUMA can fit in a single host NUMA node.", []),
    ("736999d0-1023-46a4-9a75-1316ed50e15b", "OptimalForCpuPowerSaving", WEIGHT,
     "Gives hosts with higher CPU usage, lower weight (means that hosts with higher CPU usage are more likely "
     "to be selected)", ["HighUtilization"]),
    ("9dfe6086-646d-43b8-8eef-4d94de8472c8", "OptimalForMemoryPowerSaving", WEIGHT,
     "Gives hosts with lower available memory, lower weight (means that hosts with lower available memory are "
     "more likely to be selected)", ["MaxFreeMemoryForOverUtilized", "MinFreeMemoryForUnderUtilized"]),
    ("591cdb81-ba67-45b4-9642-e28f61a97d57", "PreferredHosts", WEIGHT,
     "Prioritize preferred hosts during VM startup.", []),
    ("84e6ddee-ab0d-42dd-82f0-c297779db567", "VmAffinityGroups", WEIGHT,
     "Enables Affinity Groups soft enforcement for VMs; VMs in group are most likely to run either on the same "
     "hypervisor host (positive) or on independent hypervisor hosts (negative)", []),
    ("427aed70-dae3-48ba-8fe9-a902a9d563c8", "VmToHostsAffinityGroups", WEIGHT,
     "Enables Affinity Groups soft enforcement for VMs to hosts; VMs in group are most likely to run either on "
     "one of the hosts in group (positive) or on independent hosts which are excluded from the hosts in group "
     "(negative)", []),
    ("84e6ddee-ab0d-42dd-82f0-c298889db568", "InClusterUpgrade", WEIGHT,
     "Penalize hosts with older OS version more than hosts with the same OS version where a vm is currently "
     "running on. Newer OS versions are not penalized", []),
    ("71931e14-f0e6-4f91-a7c8-d494a26e3a09", "CPU for high performance VMs", WEIGHT,
     "Prefers hosts that have more or equal number of sockets, cores and threads.", []),
    ("1b14ac11-20e9-4593-a149-2eb83c60a330", "CPU and NUMA pinning compatibility", WEIGHT,
     "Prefers hosts where CPU pinning is compatible with NUMA node pinning", []),
    ("38440000-8cf0-14bd-c43e-10b96e4ef00a", "None", BALANCE, "No load balancing operation", []),
    ("7db4ab05-81ab-42e8-868a-aee2df483ed2", "OptimalForEvenDistribution", BALANCE,
     "Load balancing VMs in cluster according to hosts CPU load, striving cluster's hosts CPU load to be under "
     "'HighUtilization'",
     ["HighUtilization", "MaxFreeMemoryForOverUtilized", "MinFreeMemoryForUnderUtilized",
      "CpuOverCommitDurationMinutes", "VCpuToPhysicalCpuRatio"]),
    ("736999d0-1023-46a4-9a75-1316ed50e151", "OptimalForPowerSaving", BALANCE,
     "Load balancing VMs in cluster according to hosts CPU load, striving cluster's hosts CPU load to be over "
     "'LowUtilization' and under 'HighUtilization'",
     ["HighUtilization", "MaxFreeMemoryForOverUtilized", "MinFreeMemoryForUnderUtilized",
      "CpuOverCommitDurationMinutes", "LowUtilization", "EnableAutomaticHostPowerManagement", "HostsInReserve"]),
    ("d58c8e32-44e1-418f-9222-52cd887bf9e0", "OptimalForEvenGuestDistribution", BALANCE, "",
     ["SpmVmGrace", "HighVmCount", "MigrationThreshold"]),
    ("0c89f215-9c4f-4bbb-8419-31a2d43ae7ea", "BasicWeighting", SELECTOR,
     "The host with lowest accumulated weight wins. No ranking or scaling is performed.", []),
    ("b280e7de-5df8-401e-b004-a1414d79a687", "RankSelector", SELECTOR,
     "The host with lowest accumulated rank wins.", []),
]


def builtin_units():
    return [{"id": unit_id, "name": name, "type": unit_type, "description": description, "internal": True,
             "enabled": True, "regex": {param: PARAMETERS[param] for param in params}}
            for unit_id, name, unit_type, description, params in _UNITS]


_STANDARD_FILTERS = [
    "6d636bf6-a35c-4f9d-b68d-0731f720cddc",  # CPU
    "98842bc5-4094-4b83-8224-7b50f86a94c9",  # CPUOverloaded
    "58894b5b-d55d-4f85-8f82-5bf217e640b0",  # Emulated-Machine
    "e659c871-0bf1-4ccc-b748-f28f5d08dffd",  # HA
    "43b9e654-337f-4b0d-a896-cbb22ce5a7fc",  # Swap
    "c9ddbb34-0e1d-4061-a8d7-b0893fa80932",  # Memory
    "fcbfe4b1-b83e-4428-b9d3-b3d348b93be6",  # NUMA
    "23e07b34-66dd-4735-bc45-bcddded02c05",  # HugePages
    "e659c871-0bf1-4ccc-b748-f28f5d08ddda",  # Migration
    "84e6ddee-ab0d-42dd-82f0-c297779db566",  # VmAffinityGroups
    "e69808a9-8a41-40f1-94ba-dd5d385d82d8",  # VmToHostsAffinityGroups
    "72163d1c-9468-4480-99d9-0888664eb143",  # Network
    "53bff075-8306-446f-a53b-9c872a29d197",  # HostedEngineSpares
    "47ea3cd0-8a2f-438d-9f63-49534178882a",  # Migration-Tsc-Frequency
]
_COMMON_WEIGHTS = [
    ["591cdb81-ba67-45b4-9642-e28f61a97d57", 99],  # PreferredHosts
    ["98e92667-6161-41fb-b3fa-34f820ccbc4b", 1],  # HA
    ["7f262d70-6cac-11e3-981f-0800200c9a66", 1],  # OptimalForHaReservation
    ["84e6ddee-ab0d-42dd-82f0-c297779db567", 1],  # VmAffinityGroups
    ["427aed70-dae3-48ba-8fe9-a902a9d563c8", 20],  # VmToHostsAffinityGroups
    ["71931e14-f0e6-4f91-a7c8-d494a26e3a09", 4],  # CPU for high performance VMs
    ["1b14ac11-20e9-4593-a149-2eb83c60a330", 5],  # CPU and NUMA pinning compatibility
]
_EVEN_WEIGHTS = [["7db4ab05-81ab-42e8-868a-aee2df483edb", 2], ["4134247a-9c58-4b9a-8593-530bb9e37c59", 1]]
_NO_BALANCE = "38440000-8cf0-14bd-c43e-10b96e4ef00a"
_BASE_PARAMS = {"CpuOverCommitDurationMinutes": "2", "HighUtilization": "80"}
DEFAULT_POLICY_ID = "b4ed2332-a7ac-4d5f-9596-99a439cb2812"


def _positions(filters):
    """PolicyBuilder.addFilters: first filter runs first (-1), the last one last (1), the rest 0."""
    positions = {unit: 0 for unit in filters}
    positions[filters[0]] = -1
    if len(filters) > 1:
        positions[filters[-1]] = 1
    return positions


def _policy(policy_id, name, filters, functions, balance, params, description=None, default=False):
    return {"id": policy_id, "name": name, "description": description, "locked": True, "default": default,
            "filters": list(filters), "positions": _positions(filters), "functions": [list(f) for f in functions],
            "balance": balance, "params": dict(params)}


def builtin_policies():
    maintenance_filters = ["0bd8fef9-bcb4-4250-9998-410f01608d9b"] + _STANDARD_FILTERS
    upgrade = _policy("8d5d7bec-68de-4a67-b53e-0ac54686d586", "InClusterUpgrade",
                      ["84e6ddee-ab0d-42dd-82f0-c298889db567", "58894b5b-d55d-4f85-8f82-5bf217e640b0",
                       "72163d1c-9468-4480-99d9-0888664eb143", "e659c871-0bf1-4ccc-b748-f28f5d08ddda",
                       "c9ddbb34-0e1d-4061-a8d7-b0893fa80932", "6d636bf6-a35c-4f9d-b68d-0731f720cddc"],
                      [["84e6ddee-ab0d-42dd-82f0-c298889db568", 1]], _NO_BALANCE, {},
                      description="Allow upgrade hosts to newer major OS versions")
    # The dbscript rows give every InClusterUpgrade filter sequence 0.
    upgrade["positions"] = {unit: 0 for unit in upgrade["filters"]}
    return [
        _policy(DEFAULT_POLICY_ID, "none", _STANDARD_FILTERS, _EVEN_WEIGHTS + _COMMON_WEIGHTS, _NO_BALANCE,
                _BASE_PARAMS, default=True),
        _policy("7677771e-5eab-422e-83fa-dc04080d21b7", "cluster_maintenance", maintenance_filters,
                _EVEN_WEIGHTS + _COMMON_WEIGHTS, _NO_BALANCE, _BASE_PARAMS),
        _policy("20d25257-b4bd-4589-92a6-c4c5c5d3fd1a", "evenly_distributed", _STANDARD_FILTERS,
                _EVEN_WEIGHTS + _COMMON_WEIGHTS, "7db4ab05-81ab-42e8-868a-aee2df483ed2",
                {"HeSparesCount": "0", **_BASE_PARAMS, "VCpuToPhysicalCpuRatio": "0"}),
        _policy("5a2b0939-7d46-4b73-a469-e9c2c7fc6a53", "power_saving", _STANDARD_FILTERS,
                [["736999d0-1023-46a4-9a75-1316ed50e15b", 2], ["9dfe6086-646d-43b8-8eef-4d94de8472c8", 1]]
                + _COMMON_WEIGHTS, "736999d0-1023-46a4-9a75-1316ed50e151",
                {"HeSparesCount": "0", **_BASE_PARAMS, "LowUtilization": "20"}),
        _policy("8d5d7bec-68de-4a67-b53e-0ac54686d579", "vm_evenly_distributed", _STANDARD_FILTERS,
                [["3ba8c988-f779-42c0-90ce-caa8243edee7", 2]] + _COMMON_WEIGHTS,
                "d58c8e32-44e1-418f-9222-52cd887bf9e0",
                {"HeSparesCount": "0", **_BASE_PARAMS, "HighVmCount": "10", "MigrationThreshold": "5",
                 "SpmVmGrace": "5"}),
        upgrade,
    ]
