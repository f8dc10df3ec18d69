# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not import it from other collections.
"""Reading the VM custom property definitions through the API.

The engine exposes both definition keys as system options, every cluster level in one
answer: ``GET /options/PredefinedVMProperties`` and ``GET /options/UserDefinedVMProperties``.
"""

from ansible_collections.ovirt_ext.deploy.plugins.module_utils._custom_properties import (
    parse_definitions,
)

PREDEFINED = 'PredefinedVMProperties'
USER_DEFINED = 'UserDefinedVMProperties'


def read_definitions(engine, option):
    """``{cluster level: OrderedDict(name -> regex)}`` of one option (one request)."""
    found = engine.read('read the engine option %s' % option,
                        lambda system: system.options_service().option_service(option).get())
    return dict((value.version, parse_definitions(value.value)) for value in found.values or [])


def effective_definitions(predefined, user_defined):
    """What the engine checks VMs against, per level: both sets, user-defined keys winning."""
    levels = set(predefined) | set(user_defined)
    effective = {}
    for level in levels:
        merged = dict(predefined.get(level, {}))
        merged.update(user_defined.get(level, {}))
        effective[level] = merged
    return effective
