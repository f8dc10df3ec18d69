"""Scheduling-policy rules of the engine (ClusterPolicyCRUDCommand and friends, SchedulingManager,
ClusterOperationCommandBase, RemoveExternalPolicyUnitCommand, ExternalSchedulerDiscovery).

Functions take a LabState (whose lock the caller holds) and raise `Failure` with the engine's
translated messages when a command's validation fails.
"""

from . import api_builtin, api_custom_props
from .api_model import new_id

POLICY = "Scheduling Policy"
TYPE_NAMES = {api_builtin.FILTER: "Filtering", api_builtin.WEIGHT: "score function",
              api_builtin.BALANCE: "load balancing logic"}


class Failure(Exception):
    """A backend validation failure: rendered as <fault><reason/><detail>[m1, m2]</detail>."""

    def __init__(self, messages, status=400, reason="Operation Failed"):
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        self.status = status
        self.reason = reason

    @property
    def detail(self):
        return "[" + ", ".join(self.messages) + "]"


def _fail(action, text, status=400):
    raise Failure([f"Cannot {action} {POLICY}. {text}"], status)


def regex_map(state, policy):
    """SchedulingManager.getCustomPropertiesRegexMap: the parameters of every unit the policy uses."""
    units = state.units()
    result = {}
    used = list(policy["filters"]) + [unit_id for unit_id, _factor in policy["functions"]]
    if policy["balance"]:
        used.append(policy["balance"])
    for unit_id in used:
        if unit_id in units:
            result.update(units[unit_id]["regex"])
    return result


def check_not_locked(state, policy_id, action):
    """checkRemoveEditValidations: built-in policies get the generic 'Parameters are invalid.'."""
    policy = state.policies().get(policy_id)
    if policy is None or policy["locked"]:
        _fail(action, "Parameters are invalid.")


def check_policy(state, policy, action):
    """checkAddEditValidations, in the engine's order."""
    for other in state.policies().values():
        if other["id"] != policy["id"] and other["name"] == policy["name"]:
            _fail(action, "Name is in use.")
    units = state.units()
    seen = set()

    def check_unit(unit_id, unit_type):
        if unit_id in seen:
            _fail(action, "policy unit already exists in Scheduling Policy.")
        seen.add(unit_id)
        if unit_id not in units:
            _fail(action, "Policy unit is unknown.")
        if units[unit_id]["type"] != unit_type:
            _fail(action, f"Policy unit doesn't implement {TYPE_NAMES[unit_type]}.")

    for unit_id in policy["filters"]:
        check_unit(unit_id, api_builtin.FILTER)
    positions = [policy["positions"].get(unit_id, 0) for unit_id in policy["filters"]]
    if positions.count(-1) > 1:
        _fail(action, "Only a single filter can be selected as first.")
    if positions.count(1) > 1:
        _fail(action, "Only a single filter can be selected as last.")
    for unit_id, factor in policy["functions"]:
        check_unit(unit_id, api_builtin.WEIGHT)
        if factor < 0:
            _fail(action, "Function factor cannot be negative.")
    if policy["balance"] is not None:
        if policy["balance"] not in units:
            _fail(action, "Policy unit is unknown.")
        if units[policy["balance"]]["type"] != api_builtin.BALANCE:
            _fail(action, f"Policy unit doesn't implement {TYPE_NAMES[api_builtin.BALANCE]}.")
    messages = api_custom_props.validate_map(regex_map(state, policy), policy["params"], action, POLICY)
    if messages:
        raise Failure(messages)


def check_remove_policy(state, policy_id):
    check_not_locked(state, policy_id, "remove")
    names = [cluster["name"] for cluster in state.clusters.values() if cluster["policy_id"] == policy_id]
    if names:
        _fail("remove", f"Scheduling Policy is attached to cluster(s): {','.join(names)}, please unassign "
                        "cluster(s).")


def check_remove_unit(state, unit_id):
    """RemoveExternalPolicyUnitCommand: no 'internal' guard, only the references (409)."""
    if unit_id not in state.units():
        raise Failure(["Cannot remove Policy Unit. Policy unit is unknown."])
    names = [policy["name"] for policy in state.policies().values() if unit_id in _policy_units(policy)]
    if names:
        raise Failure([f"Cannot remove Policy Unit. Policy unit is attached to the following cluster policies: "
                       f"{','.join(names)}."], status=409)


def _policy_units(policy):
    return set(policy["filters"]) | {unit_id for unit_id, _factor in policy["functions"]} | {policy["balance"]}


def resolve_cluster_policy(state, policy_id=None, policy_name=None):
    """ClusterOperationCommandBase.getClusterPolicy: by id, else by name (any case), else the default."""
    policies = state.policies()
    if policy_id in policies:
        return policies[policy_id]
    if policy_name:
        for policy in policies.values():
            if policy["name"].lower() == policy_name.lower():
                return policy
    return next(policy for policy in policies.values() if policy["default"])


def cluster_policy_properties(state, policy, properties):
    """validateClusterPolicy: add the policy defaults, drop what no unit defines, validate the rest."""
    regex = regex_map(state, policy)
    merged = dict(properties)
    for key, value in policy["params"].items():
        merged.setdefault(key, value)
    merged = {key: value for key, value in merged.items() if key in regex}
    messages = api_custom_props.validate_map(regex, merged, "edit", "Cluster")
    if messages:
        raise Failure(messages)
    return merged


def scheduling_parameters(state, cluster):
    """The propertiesMap the engine hands to external units: policy defaults overlaid by the cluster's."""
    policy = state.policies()[cluster["policy_id"]]
    return {**policy["params"], **cluster["policy_properties"]}


def disable_external_units(state):
    for unit in state.external_units.values():
        unit["enabled"] = False
    state.mark_dirty()


def apply_discovery(state, units):
    """ExternalSchedulerDiscovery.updateDB: create, update or re-enable the discovered units.

    `units` come from scheduler_client.parse_discovery; a unit is matched by (type, name) among the
    external ones and rewritten (same id, enabled again) when its description or regex map changed
    or it was disabled. Units not discovered stay as they are (disabled at engine start).
    """
    for discovered in units:
        unit = next((unit for unit in state.external_units.values()
                     if unit["type"] == discovered["type"] and unit["name"] == discovered["name"]), None)
        if unit is None:
            unit_id = new_id()
            state.external_units[unit_id] = {"id": unit_id, "name": discovered["name"], "type": discovered["type"],
                                             "description": discovered["description"], "internal": False,
                                             "enabled": True, "regex": discovered["properties"]}
        elif (unit["description"] != discovered["description"] or unit["regex"] != discovered["properties"]
              or not unit["enabled"]):
            unit.update(description=discovered["description"], regex=discovered["properties"], enabled=True)
    state.mark_dirty()
