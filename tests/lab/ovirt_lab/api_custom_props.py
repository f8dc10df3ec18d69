"""Custom-property handling the REST layer needs on top of `config_store`'s engine rules.

`config_store` parses definitions and validates a VM's (name, value) list; this module adds the
map validation used for scheduling-policy and cluster properties (SimpleCustomPropertiesUtil) and
the way a VM's properties are stored and shown. Where the engine iterates a Java HashMap, the same
order is reproduced (`java_hash_order`), since clients comparing lists can depend on it.
"""

import re

from .config_store import effective_custom_properties

_KEY = re.compile(r"[a-z_A-Z0-9]+")
_VALUE = re.compile(r"[^;]*")


def java_string_hash(text):
    data = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(data), 2):
        value = (31 * value + (data[index] << 8 | data[index + 1])) & 0xFFFFFFFF
    return value


def java_hash_order(keys):
    """Iteration order of a java.util.HashMap filled with `keys` in this order (default capacity)."""
    keys = list(dict.fromkeys(keys))
    capacity = 16
    while len(keys) > capacity * 0.75:
        capacity *= 2
    buckets = {}
    for key in keys:
        hashed = java_string_hash(key)
        buckets.setdefault((hashed ^ (hashed >> 16)) & (capacity - 1), []).append(key)
    return [key for index in sorted(buckets) for key in buckets[index]]


def _full_match(regex, value):
    """Java String.matches: anchored at both ends; a regex Python cannot compile never matches."""
    try:
        return re.fullmatch(regex, value) is not None
    except re.error:
        return False


def validate_map(definitions, properties, action, entity_type):
    """SimpleCustomPropertiesUtil.validateProperties + handleCustomPropertiesError -> messages."""
    if not properties:
        return []
    if any(not _KEY.fullmatch(key) or not _VALUE.fullmatch(value or "") for key, value in properties.items()):
        return [f"Cannot {action} {entity_type} if custom properties are in invalid format. Please check the input."]
    missing = [key for key in properties if key not in definitions]
    wrong = [key for key, value in properties.items()
             if key in definitions and not _full_match(definitions[key], value or "")]
    messages = []
    if missing:
        messages.append(f"Cannot {action} {entity_type} if some of the specified custom properties are not "
                        f"configured by the system. The keys are: {','.join(missing)}")
    if wrong:
        messages.append(f"Cannot {action} {entity_type} if some of the specified custom properties have illegal "
                        f"values. The keys are: {','.join(wrong)}")
    return messages


def split_vm_properties(pairs, predefined, user_defined):
    """separateCustomPropertiesToUserAndPredefined for valid input: (predefined_text, user_defined_text).

    Both halves are rebuilt from Java HashMaps; a name defined both ways lands in both halves.
    """
    values = effective_custom_properties(pairs)
    halves = []
    for definitions in (predefined, user_defined):
        kept = {key: value for key, value in values.items() if key in definitions}
        halves.append(";".join(f"{key}={kept[key]}" for key in java_hash_order(kept)))
    return tuple(halves)


def join_vm_properties(predefined_text, user_defined_text):
    """VmPropertiesUtils.customProperties(predefined, userDefined): what the VM shows."""
    return ";".join(part for part in (predefined_text, user_defined_text) if part)


def string_to_pairs(text):
    """CustomPropertiesParser.parse(String, false): (name, value) pairs split at ';' and the first '='."""
    pairs = []
    for item in (text or "").split(";"):
        if item:
            name, _sep, value = item.partition("=")
            pairs.append((name, value))
    return pairs
