# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not import it from other collections.
"""The one client layer of the API modules (they run on the controller).

- ``auth``: the same dict as ``ovirt.ovirt`` modules take, so the ``ovirt_auth`` fact
  that ``ovirt.ovirt.ovirt_auth`` sets can be passed as it is.
- One SSO token per task: a token the user passed is never revoked; one we created
  is revoked when the task ends. Worker connections reuse the token.
- Every call goes through one funnel: reads and repeatable writes are retried with
  back-off on 5xx answers, dropped connections and timeouts, never on 4xx; an engine
  fault becomes an ``EngineError`` that says what the module was doing.
"""

import random
import re
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

try:
    import ovirtsdk4 as sdk
except ImportError:
    sdk = None  # run_engine_module fails with missing_required_lib before any use
    SDK_IMPORT_ERROR = traceback.format_exc()
else:
    SDK_IMPORT_ERROR = None

AUTH_OPTIONS = dict(
    url=dict(type='str', fallback=(env_fallback, ['OVIRT_URL'])),
    username=dict(type='str', fallback=(env_fallback, ['OVIRT_USERNAME'])),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['OVIRT_PASSWORD'])),
    token=dict(type='str', no_log=True, fallback=(env_fallback, ['OVIRT_TOKEN'])),
    ca_file=dict(type='path', fallback=(env_fallback, ['OVIRT_CAFILE'])),
    insecure=dict(type='bool', default=False),
    timeout=dict(type='int', default=180),
    headers=dict(type='dict'),
    # Accepted so that the ovirt_auth fact of ovirt.ovirt can be passed unchanged.
    compress=dict(type='bool', default=True),
    kerberos=dict(type='bool', default=False),
)

# Pauses before the 2nd, 3rd, ... attempt of a call; each gets a random jitter so that
# parallel workers do not retry in step.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)

# The SDK reports transport failures as errors without an HTTP code, whose message holds
# libcurl's error code: "Error while sending HTTP request: (7, '...')" or
# "Failed to read response: [(<curl>, 52, '...')]". That code is the only way to tell a
# request that never left from one whose answer was lost.
TRANSPORT_FAILURES = ('Error while sending HTTP request', 'Failed to read response')
CURL_CODE = re.compile(r"(?:\(|, )(\d+), '")
CURL_NOT_SENT = (5, 6, 7)  # could not resolve the proxy or host, could not connect
CURL_ANSWER_LOST = (18, 28, 52, 55, 56)  # cut short, timed out, empty reply, send/receive failed
# A proxy's error page (502, 503) is HTML: the SDK only says that it is not XML.
NOT_XML = 'The response content type'


def engine_argument_spec(options):
    """The argument spec of an API module: its own options plus ``auth``."""
    spec = dict(auth=dict(type='dict', options=AUTH_OPTIONS, apply_defaults=True))
    spec.update(options)
    return spec


def auth_error(auth):
    """Why ``auth`` cannot be used to log in, or None."""
    if not auth['url']:
        return ('auth.url is required: the API URL, such as '
                'https://engine.example.com/ovirt-engine/api (or set OVIRT_URL)')
    if not auth['token'] and not auth['kerberos'] and not (auth['username'] and auth['password']):
        return ('auth needs a token (auth.token or OVIRT_TOKEN, such as the ovirt_auth fact of '
                'ovirt.ovirt.ovirt_auth) or auth.username and auth.password '
                '(or OVIRT_USERNAME and OVIRT_PASSWORD)')
    if (auth['timeout'] or 0) < 0:
        return 'auth.timeout is the limit in seconds for one request: use 0 (no limit) or more'
    return None


def run_engine_module(run, options, **module_options):
    """The whole ``main()`` of an API module.

    ``run(module, engine)`` returns the module result; the engine connection opens at
    the first call and is closed whatever happens.
    """
    module = AnsibleModule(argument_spec=engine_argument_spec(options),
                           supports_check_mode=True, **module_options)
    if SDK_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('ovirt-engine-sdk-python'),
                         exception=SDK_IMPORT_ERROR)
    problem = auth_error(module.params['auth'])
    if problem:
        module.fail_json(msg=problem)
    engine = EngineClient(module.params['auth'])
    failure = None
    try:
        result = run(module, engine)
    except EngineError as error:
        failure = error.result()
    finally:
        engine.close()
    if failure:
        module.fail_json(**failure)
    module.exit_json(**result)


class EngineError(Exception):
    """A call failed for good: what the module was doing and what the engine said."""

    def __init__(self, doing, error, attempts=1, outcome_unknown=False):
        super(EngineError, self).__init__(doing)
        self.doing = doing
        self.error = error
        self.attempts = attempts
        self.outcome_unknown = outcome_unknown

    @property
    def message(self):
        fault = self.error.fault
        if fault is not None and (fault.reason or fault.detail):
            said = '%s: %s (HTTP %s)' % (fault.reason, fault.detail, self.error.code)
        else:
            said = str(self.error)
        message = 'Could not %s: %s' % (self.doing, said)
        if self.attempts > 1:
            message += ' (gave up after %d attempts)' % self.attempts
        if self.outcome_unknown:
            message += ('. The answer was lost, so the engine may or may not have made this '
                        'change: run the task again; it reads the current state and finishes the job')
        return message

    def result(self):
        fault = self.error.fault
        return dict(
            msg=self.message,
            doing=self.doing,
            engine_fault=dict(
                reason=fault.reason if fault is not None else None,
                detail=fault.detail if fault is not None else None,
                http_code=self.error.code,
            ),
        )


def failure_kind(error):
    """How an SDK error bears on retrying the call.

    ``'not_applied'``: the engine certainly did not act (it was unreachable or answered
    503), any call may be retried. ``'lost'``: the engine may have acted (5xx, dropped
    connection, timeout), only repeatable calls may be retried. None: a definite answer
    (4xx, bad credentials, TLS verification, local error), never retried.
    """
    if error.code is not None:
        if error.code == 503:
            return 'not_applied'
        return 'lost' if error.code >= 500 else None
    message = str(error)
    if message.startswith(NOT_XML):
        return 'lost'
    curl = CURL_CODE.search(message)
    if curl is None or not message.startswith(TRANSPORT_FAILURES):
        return None
    code = int(curl.group(1))
    if code in CURL_NOT_SENT:
        return 'not_applied'
    return 'lost' if code in CURL_ANSWER_LOST else None


class EngineClient(object):
    """One SDK connection to the engine, used through ``read`` and ``write``.

    pycurl handles are not thread-safe: each thread needs its own client
    (``run_concurrently`` makes them).
    """

    def __init__(self, auth, token=None):
        self._auth = auth
        self._token = token or auth['token']
        # Revoke at the end only a token this client obtained itself.
        self._obtains_token = not self._token
        self._connection = None

    def read(self, doing, call):
        """``call(system_service)``, retried on 5xx, lost connections and timeouts."""
        return self._attempt(doing, call, repeatable=True)

    def write(self, doing, call, repeatable=True):
        """``call(system_service)`` that changes something.

        ``repeatable``: running it twice has the same effect as once (a PUT of a whole
        value, a DELETE), so it may be retried even when the answer was lost.
        """
        return self._attempt(doing, call, repeatable)

    def apply(self, plan):
        """Run the steps of a plan in order; the first failure stops the run."""
        for step in plan.steps:
            self.write(step.description, step.action, step.repeatable)

    def run_concurrently(self, steps, workers):
        """Run independent plan steps on up to ``workers`` connections sharing our token.

        Returns one ``(result, error)`` pair per step, in the order of the steps; ``error``
        is None or the step's EngineError.
        """
        self._open()
        per_thread = threading.local()
        clients = []
        clients_lock = threading.Lock()

        def run(step):
            if not hasattr(per_thread, 'client'):
                per_thread.client = EngineClient(self._auth, token=self._token)
                with clients_lock:
                    clients.append(per_thread.client)
            try:
                return per_thread.client._attempt(step.description, step.action, step.repeatable), None
            except EngineError as error:
                return None, error

        try:
            with ThreadPoolExecutor(max_workers=max(1, min(workers, len(steps)))) as pool:
                return list(pool.map(run, steps))
        finally:
            for client in clients:
                client.close()

    def close(self):
        """Close the connection if it was opened; revoke the token only if we obtained it."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            connection.close(logout=self._obtains_token)
        except Exception:  # pylint: disable=broad-except
            # The task's outcome is already decided; an unrevoked token just expires.
            pass

    def _open(self):
        if self._connection is not None:
            return
        auth = self._auth
        try:
            self._connection = sdk.Connection(
                url=auth['url'],
                username=auth['username'],
                password=auth['password'],
                token=self._token,
                ca_file=auth['ca_file'],
                insecure=auth['insecure'],
                timeout=auth['timeout'] or 0,
                headers=auth['headers'],
                compress=auth['compress'],
                kerberos=auth['kerberos'],
            )
        except sdk.Error as error:  # such as a CA file that does not exist
            raise EngineError('connect to %s' % auth['url'], error)
        if self._obtains_token:
            who = auth['username'] or 'Kerberos'
            self._token = self._attempt('log in to %s as %s' % (auth['url'], who),
                                        lambda system: self._connection.authenticate(),
                                        repeatable=True)

    def _attempt(self, doing, call, repeatable):
        self._open()
        attempt = 1
        while True:
            try:
                return call(self._connection.system_service())
            except sdk.Error as error:
                kind = failure_kind(error)
                if kind is None:
                    raise EngineError(doing, error, attempt)
                if kind == 'lost' and not repeatable:
                    raise EngineError(doing, error, attempt, outcome_unknown=True)
                if attempt > len(RETRY_DELAYS):
                    raise EngineError(doing, error, attempt)
                time.sleep(RETRY_DELAYS[attempt - 1] * random.uniform(0.5, 1.5))
                attempt += 1
