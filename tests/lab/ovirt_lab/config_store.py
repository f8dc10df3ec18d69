"""The engine's option table (``vdc_options``) as a JSON file, plus the engine's custom-property rules.

A real engine keeps its options in the ``vdc_options`` table: one row per (key, version), where
``version`` is a cluster level ("4.2" ... "4.8") or ``general``. ``engine-config`` edits the rows
and the engine reads them once, at start. The lab keeps the same rows in a JSON file
``{key: {version: value}}``; :class:`ConfigStore` reads and writes it, and never creates a row
that does not exist (like the SQL ``UPDATE`` that ``engine-config`` runs).

Defaults are the values of ``packaging/dbscripts/upgrade/pre_upgrade/0000_config.sql``; see
``tests/lab/docs/hosts-and-config.md`` for the one choice made there (PredefinedVMProperties for
the cluster levels 4.2 to 4.5).

The helpers at the bottom follow ``CustomPropertiesUtils`` / ``VmPropertiesUtils``: the syntax
``name=regex;name2=regex2``, how a specification string is parsed into a ``{name: regex}`` map, and
how a VM's custom properties are validated against it, with the engine's fault texts.
"""

import json
import os
import re
import tempfile

CLUSTER_VERSIONS = ["4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8"]
GENERAL = "general"

# Regular expressions of CustomPropertiesUtils, spelled as the engine spells them: the validator's
# error message quotes VM_PROPERTIES_SPEC verbatim.
_KEY_CHAR = "[a-z_A-Z0-9]"
_VALUE_CHAR = "[^;]"
KEY_REGEX = "(" + _KEY_CHAR + ")+"
VALUE_REGEX = "(" + _VALUE_CHAR + ")*"
_KEY_VALUE_REGEX = "((" + _KEY_CHAR + ")+)=((" + _VALUE_CHAR + ")*)"
VM_PROPERTIES_SPEC = "(" + _KEY_VALUE_REGEX + "(;" + _KEY_VALUE_REGEX + ")*;?)?"
_VM_PROPERTIES_SPEC_RE = re.compile(VM_PROPERTIES_SPEC)

# PredefinedVMProperties per cluster level. 4.6-4.8 is the value at engine HEAD (reference §4.2);
# 4.2-4.5 are the values of the 4.5-era 0000_config.sql (the last snapshot that lists them).
_PREDEFINED_4_2 = (
    "sap_agent=^(true|false)$;sndbuf=^[0-9]+$;"
    "vhost=^(([a-zA-Z0-9_]*):(true|false))(,(([a-zA-Z0-9_]*):(true|false)))*$;"
    "viodiskcache=^(none|writeback|writethrough)$;mdev_type=^.*$;hugepages=^[0-9]+$"
)
_PREDEFINED_4_3 = (
    "sap_agent=^(true|false)$;sndbuf=^[0-9]+$;"
    "vhost=^(([a-zA-Z0-9_]*):(true|false))(,(([a-zA-Z0-9_]*):(true|false)))*$;"
    "viodiskcache=^(none|writeback|writethrough)$;mdev_type=^[^,](,?[0-9A-Za-z_-]+)+$;"
    "hugepages=^[0-9]+$"
)
_PREDEFINED_4_4 = (
    "sap_agent=^(true|false)$;sndbuf=^[0-9]+$;"
    "vhost=^(([a-zA-Z0-9_-]*):(true|false))(,(([a-zA-Z0-9_-]*):(true|false)))*$;"
    "viodiskcache=^(none|writeback|writethrough)$;mdev_type=^[^,](,?[0-9A-Za-z_-]+)+$;"
    "hugepages=^[0-9]+$;scsi_hostdev=^(scsi_generic|scsi_block|scsi_hd|virtio_blk_pci)$;"
    "nvram_template=^.*$"
)
_PREDEFINED_4_6 = (
    "sap_agent=^(true|false)$;sndbuf=^[0-9]+$;"
    "vhost=^(([a-zA-Z0-9_-]*):(true|false))(,(([a-zA-Z0-9_-]*):(true|false)))*$;"
    "viodiskcache=^(none|writeback|writethrough)$;hugepages=^[0-9]+$;"
    "scsi_hostdev=^(scsi_generic|scsi_block|scsi_hd|virtio_blk_pci)$;nvram_template=^.*$;"
    "extra_cpu_flags=^([+-]?[a-zA-Z0-9_-]+)(,[+-]?[a-zA-Z0-9_-]+)*$"
)
_CUSTOM_DEVICE_PROPERTIES = (
    "{type=interface;prop={SecurityGroups=^(?:(?:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}"
    "[0-9a-fA-F]{12}, *)*[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|)$}}"
)
_PREDEFINED_NETWORK_PROPERTIES = r"bridge_opts=^[^\s=]+=[^\s=]+(\s+[^\s=]+=[^\s=]+)*$"


def _per_version(value):
    return {version: value for version in CLUSTER_VERSIONS}


DEFAULTS = {
    "UserDefinedVMProperties": _per_version(""),
    "PredefinedVMProperties": {
        "4.2": _PREDEFINED_4_2,
        "4.3": _PREDEFINED_4_3,
        "4.4": _PREDEFINED_4_4,
        "4.5": _PREDEFINED_4_4,
        "4.6": _PREDEFINED_4_6,
        "4.7": _PREDEFINED_4_6,
        "4.8": _PREDEFINED_4_6,
    },
    "CustomDeviceProperties": _per_version(_CUSTOM_DEVICE_PROPERTIES),
    "UserDefinedNetworkCustomProperties": _per_version(""),
    "PreDefinedNetworkCustomProperties": _per_version(_PREDEFINED_NETWORK_PROPERTIES),
    "ExternalSchedulerEnabled": {GENERAL: "false"},
    "ExternalSchedulerServiceURL": {GENERAL: "http://localhost:18781/"},
    "ExternalSchedulerConnectionTimeout": {GENERAL: "100"},
    "ExternalSchedulerResponseTimeout": {GENERAL: "120000"},
}


class ConfigStore:
    """The option rows, backed by a JSON file that is rewritten atomically on every change.

    Rows are read when the store is created; a long-lived reader (the engine) therefore sees new
    values only when it creates a new store, i.e. on restart, as a real engine does.
    """

    def __init__(self, path):
        self.path = path
        self._rows = self._load()

    def _load(self):
        rows = {key: dict(versions) for key, versions in DEFAULTS.items()}
        try:
            with open(self.path, encoding="utf-8") as state:
                saved = json.load(state)
        except FileNotFoundError:
            return rows
        for key, versions in saved.items():
            rows.setdefault(key, {}).update({ver: str(val) for ver, val in versions.items()})
        return rows

    def keys(self):
        return list(self._rows)

    def versions(self, key):
        """Cluster levels the key has rows for, oldest first; empty for a ``general`` key."""
        rows = self._rows[key]
        return [version for version in _version_order(rows) if version != GENERAL]

    def rows(self, key):
        """Every version the key has a row for (``general`` included), as the DB lists them."""
        return _version_order(self._rows.get(key, {}))

    def get(self, key, version=None):
        """The value of one row; ``KeyError`` when the row does not exist."""
        return self._rows[key][version or GENERAL]

    def get_bool(self, key, version=None):
        """A Boolean option as the engine reads it (Java ``Boolean.parseBoolean``: only "true")."""
        return self.get(key, version).lower() == "true"

    def default(self, key, version=None):
        return DEFAULTS[key][version or GENERAL]

    def set(self, key, value, version=None):
        """Update one existing row (``KeyError`` if there is none) and save the file.

        The file is re-read first so that a change written by another process in the meantime
        is kept.
        """
        version = version or GENERAL
        self._rows = self._load()
        if version not in self._rows.get(key, {}):
            raise KeyError(f"{key}/{version}")
        self._rows[key][version] = value
        self._save()

    def vm_property_sets(self, version):
        """``(predefined, user_defined)`` VM custom-property definitions of a cluster level."""
        return (
            parse_properties_spec(self._rows["PredefinedVMProperties"].get(version, "")),
            parse_properties_spec(self._rows["UserDefinedVMProperties"].get(version, "")),
        )

    def vm_properties(self, version):
        """The VM custom-property definitions of a cluster level: predefined, then user-defined on
        top (a user-defined name wins), as ``VmPropertiesUtils.init`` builds them."""
        predefined, user_defined = self.vm_property_sets(version)
        return {**predefined, **user_defined}

    def _save(self):
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".engine-config.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as state:
                json.dump(self._rows, state, indent=1, sort_keys=True)
                state.flush()
                os.fsync(state.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise


def _version_order(rows):
    known = [version for version in [GENERAL, *CLUSTER_VERSIONS] if version in rows]
    return known + sorted(version for version in rows if version not in known)


def java_split(text, separator):
    """``String.split`` with a literal one-character separator: trailing empty parts are dropped,
    but a text without the separator (even an empty one) is returned as a single part."""
    parts = text.split(separator)
    if len(parts) == 1:
        return parts
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def syntax_error_in_properties(spec):
    """True when ``spec`` is not ``name=value(;name=value)*;?`` (``syntaxErrorInProperties``)."""
    return _VM_PROPERTIES_SPEC_RE.fullmatch(spec) is None


def parse_properties_spec(spec):
    """``"k=re;k2=re2"`` -> ``{"k": "re", "k2": "re2"}`` as ``parsePropertiesRegex`` does it: a name
    without ``=`` allows any value without ``;``, and a later definition of a name wins."""
    definitions = {}
    if not spec:
        return definitions
    for item in java_split(spec, ";"):
        name, separator, regex = item.partition("=")
        definitions[name] = regex if separator else VALUE_REGEX
    return definitions


def custom_properties_string(custom):
    """The string the REST layer stores for a VM: ``name=value;`` for every entry that has both a
    name and a value (``CustomPropertiesParser.parse``); other entries are silently dropped."""
    return "".join(f"{name}={value};" for name, value in custom if name is not None and value is not None)


def effective_custom_properties(custom):
    """The properties the engine keeps from a list of ``(name, value)``: the list goes through the
    stored string and a map, so a repeated name keeps only its last value."""
    spec = custom_properties_string(custom)
    if syntax_error_in_properties(spec):
        return {}
    effective = {}
    for item in java_split(spec, ";") if spec else []:
        name, _sep, value = item.partition("=")
        effective[name] = value
    return effective


def stored_custom_properties(predefined, user_defined, custom):
    """The ``(name, value)`` list a VM shows after the engine stored ``custom`` (already valid).

    The engine keeps two strings, the predefined properties and the user-defined ones, and shows
    them joined in that order; a name defined in both sets is kept in both, so it shows twice.
    """
    effective = effective_custom_properties(custom)
    return [(name, value) for name, value in effective.items() if name in predefined] + [
        (name, value) for name, value in effective.items() if name in user_defined
    ]


def _full_match(regex, value):
    # Java String.matches is anchored at both ends. A regex Python cannot compile (Java-only
    # syntax) cannot be honoured here; it is treated as not matching.
    try:
        return re.fullmatch(regex, value) is not None
    except re.error:
        return False


def validate_vm_properties(definitions, custom, action="edit", entity_type="VM"):
    """The engine's messages for a VM's custom properties, ``[]`` when they are valid.

    ``definitions`` is ``{name: regex}`` for the VM's cluster level (see
    :meth:`ConfigStore.vm_properties`); ``custom`` the ``(name, value)`` pairs of the request;
    ``action``/``entity_type`` fill ``${action}``/``${type}`` ("add"/"edit"/"run", "VM"/"Template").

    Rules of ``VmPropertiesUtils.validateVmProperties(version, String)``: a syntax error alone
    yields the syntax message; otherwise names not defined, then values not fully matching their
    regex, each group as one message with the names comma-joined. The string is turned into a map
    before the per-name checks, so a repeated name is not reported (its last value is checked) and
    the engine's "appear more than once" message cannot occur on this path.
    """
    spec = custom_properties_string(custom)
    if syntax_error_in_properties(spec):
        return [f"Cannot {action} {entity_type} if custom properties are in invalid format. Please check the input."]
    missing, wrong = [], []
    for name, value in effective_custom_properties(custom).items():
        if name not in definitions:
            missing.append(name)
        elif not _full_match(definitions[name], value):
            wrong.append(name)
    messages = []
    if missing:
        messages.append(
            f"Cannot {action} {entity_type} if some of the specified custom properties are not configured"
            f" by the system. The keys are: {','.join(missing)}"
        )
    if wrong:
        messages.append(
            f"Cannot {action} {entity_type} if some of the specified custom properties have illegal values."
            f" The keys are: {','.join(wrong)}"
        )
    return messages
