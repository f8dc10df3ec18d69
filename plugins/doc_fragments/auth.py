# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not use it from other collections.
"""Documentation of the ``auth`` option shared by the API modules."""


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  auth:
    description:
      - How to reach and log in to the engine API.
      - The same dictionary as the C(auth) option of the C(ovirt.ovirt) modules, so the
        C(ovirt_auth) fact set by M(ovirt.ovirt.ovirt_auth) can be passed as it is.
      - Every value falls back to an environment variable when it is not given.
      - Set it once for all modules of the collection with
        C(module_defaults) and C(group/ovirt_ext.deploy.engine).
      - The module logs in once per task. A token given in O(auth.token) is left valid;
        a token the module obtained with O(auth.username) and O(auth.password) is revoked
        when the task ends.
    type: dict
    suboptions:
      url:
        description:
          - The API URL, such as V(https://engine.example.com/ovirt-engine/api).
          - Falls back to the E(OVIRT_URL) environment variable.
          - Required, here or in the environment.
        type: str
      username:
        description:
          - The user to log in as, such as V(admin@internal).
          - Falls back to the E(OVIRT_USERNAME) environment variable.
          - Needed, with O(auth.password), unless O(auth.token) is given.
        type: str
      password:
        description:
          - The password of O(auth.username).
          - Falls back to the E(OVIRT_PASSWORD) environment variable.
        type: str
      token:
        description:
          - An SSO token to use instead of O(auth.username) and O(auth.password).
          - Falls back to the E(OVIRT_TOKEN) environment variable.
          - The module never revokes this token.
        type: str
      ca_file:
        description:
          - A PEM file with the CA certificates that signed the engine's certificate.
          - Without it the system's trusted CAs are used.
          - Falls back to the E(OVIRT_CAFILE) environment variable.
        type: path
      insecure:
        description:
          - Skip the verification of the engine's TLS certificate and host name.
          - Only for throw-away test engines; the certificate is verified unless this is V(true).
        type: bool
        default: false
      timeout:
        description:
          - The longest time, in seconds, to wait for the answer to one API request.
          - A request that times out is retried when that is safe (see the module notes).
          - V(0) waits forever.
        type: int
        default: 180
      headers:
        description:
          - Extra HTTP headers to send with every API request.
        type: dict
      compress:
        description:
          - Ask the engine to compress its answers.
        type: bool
        default: true
      kerberos:
        description:
          - Log in with Kerberos instead of a user name and password.
        type: bool
        default: false
requirements:
  - ovirt-engine-sdk-python >= 4.6.3 (on the host that runs the module, usually the controller)
notes:
  - Reads, and writes that have the same effect when repeated, are retried with a growing
    pause (up to 5 attempts) when the engine answers with a 5xx code, the connection drops or
    the request times out. Answers 4xx are never retried.
  - A write that is not safe to repeat (adding something) is retried only when the engine
    certainly did not get it (unreachable, or HTTP 503). If its answer is lost, the task fails
    saying so; running it again reads the engine's state afresh and finishes the job.
'''
