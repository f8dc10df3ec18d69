# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not use it from other collections.
"""Documentation of the module attributes shared by the modules of the collection."""


class ModuleDocFragment(object):

    # The attributes every module states its support for.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a prediction of C(changed), and the plan of
      calls it would make, without changing anything.
  diff_mode:
    description: Returns the state before and after the change (or the predicted change in check
      mode) when run with C(--diff).
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second run
        reports no change.
      - This assumes that nothing else changed the managed objects in between.
'''

    # For modules that only read.
    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
'''

    # For the API modules, which take the auth option.
    ACTIONGROUP_ENGINE = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/ovirt_ext.deploy.engine) in C(module_defaults) to set defaults for
      this module, typically O(auth).
    support: full
    membership:
      - ovirt_ext.deploy.engine
'''

    # For the modules that run on the engine host itself.
    ACTIONGROUP_ENGINE_HOST = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/ovirt_ext.deploy.engine_host) in C(module_defaults) to set defaults
      for this module.
    support: full
    membership:
      - ovirt_ext.deploy.engine_host
'''
