import pytest
import ovirtsdk4 as sdk
from ovirtsdk4 import types

from ansible_collections.ovirt_ext.deploy.plugins.module_utils import _client
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._client import (
    EngineClient,
    EngineError,
    auth_error,
    failure_kind,
)
from ansible_collections.ovirt_ext.deploy.plugins.module_utils._plan import Plan, carry_out


class FakeModule(object):
    def __init__(self, check_mode=False, diff=False):
        self.check_mode = check_mode
        self._diff = diff


def test_empty_plan_is_no_change_and_applies_nothing():
    applied = []
    result = carry_out(FakeModule(), Plan(), {'a': 1}, {'a': 1}, apply=applied.append, extra=5)
    assert result == dict(changed=False, plan=[], extra=5)
    assert applied == []


def test_check_mode_predicts_without_applying():
    applied = []
    plan = Plan()
    plan.add('do x', lambda: applied.append('x'))
    result = carry_out(FakeModule(check_mode=True, diff=True), plan, {'a': 1}, {'a': 2})
    assert result == dict(changed=True, plan=['do x'], diff=dict(before={'a': 1}, after={'a': 2}))
    assert applied == []


def test_plan_runs_in_order_by_default():
    applied = []
    plan = Plan()
    plan.add('one', lambda: applied.append(1))
    plan.add('two', lambda: applied.append(2), repeatable=False)
    result = carry_out(FakeModule(), plan, {}, {})
    assert applied == [1, 2]
    assert result['changed'] and 'diff' not in result
    assert [step.repeatable for step in plan.steps] == [True, False]


def auth(**values):
    base = dict(url='https://e/ovirt-engine/api', username=None, password=None, token=None, ca_file=None,
                insecure=False, timeout=180, headers=None, compress=True, kerberos=False)
    base.update(values)
    return base


@pytest.mark.parametrize('values, words', [
    (dict(url=None, token='t'), 'auth.url is required'),
    (dict(url='', token='t'), 'OVIRT_URL'),
    (dict(), 'auth needs a token'),
    (dict(username='admin@internal'), 'auth.password'),
    (dict(password='x'), 'OVIRT_USERNAME'),
    (dict(token='t', timeout=-1), 'auth.timeout'),
])
def test_auth_errors(values, words):
    assert words in auth_error(auth(**values))


@pytest.mark.parametrize('values', [
    dict(token='t'), dict(username='u', password='p'), dict(kerberos=True), dict(token='t', timeout=0),
    dict(token='t', timeout=None),
])
def test_auth_accepted(values):
    assert auth_error(auth(**values)) is None


def sdk_error(cls=sdk.Error, message='boom', code=None, fault=None):
    error = cls(message)
    error.code = code
    error.fault = fault
    return error


@pytest.mark.parametrize('error, kind', [
    (sdk_error(sdk.ConnectionError, "Error while sending HTTP request: (7, 'Failed to connect')"), 'not_applied'),
    (sdk_error(message="Failed to read response: [(<pycurl.Curl object at 0x7f>, 7, 'Failed to connect')]"),
     'not_applied'),
    (sdk_error(sdk.ConnectionError, "Error while sending HTTP request: (6, 'Could not resolve host')"),
     'not_applied'),
    (sdk_error(code=503), 'not_applied'),
    (sdk_error(code=500), 'lost'),
    (sdk_error(code=502), 'lost'),
    (sdk_error(code=504), 'lost'),
    (sdk_error(sdk.TimeoutError, "Error while sending HTTP request: (28, 'Operation timed out')"), 'lost'),
    (sdk_error(message="Failed to read response: [(<pycurl.Curl object at 0x7f>, 52, 'Empty reply from server')]"),
     'lost'),
    (sdk_error(message="Failed to read response: [(<c>, 28, 'Operation timed out after 1001 milliseconds')]"),
     'lost'),
    (sdk_error(message="Failed to read response: [(<c>, 56, 'OpenSSL SSL_read: unexpected eof')]"), 'lost'),
    (sdk_error(message="The response content type 'text/html' isn't the expected XML"), 'lost'),
    (sdk_error(message="Failed to read response: [(<c>, 60, 'SSL certificate problem: unable to get local "
                       "issuer certificate')]"), None),
    (sdk_error(message="Error while sending HTTP request: (60, 'SSL certificate problem')"), None),
    (sdk_error(message='Failed to read response: something without a curl code'), None),
    (sdk_error(code=400), None),
    (sdk_error(code=409), None),
    (sdk_error(sdk.NotFoundError, code=404), None),
    (sdk_error(sdk.AuthError, 'Error during SSO authentication access_denied : bad'), None),
    (sdk_error(sdk.AuthError, code=401), None),
    (sdk_error(message="The CA file 'x' doesn't exist"), None),
])
def test_failure_kind(error, kind):
    assert failure_kind(error) == kind


def test_engine_error_message_carries_reason_detail_code_and_doing():
    fault = types.Fault(reason='Operation Failed', detail='[Cannot add Scheduling Policy. Name is in use.]')
    error = EngineError("create scheduling policy 'p'", sdk_error(code=400, fault=fault))
    assert error.message == ("Could not create scheduling policy 'p': Operation Failed: "
                             "[Cannot add Scheduling Policy. Name is in use.] (HTTP 400)")
    assert error.result() == dict(
        msg=error.message, doing="create scheduling policy 'p'",
        engine_fault=dict(reason='Operation Failed', detail='[Cannot add Scheduling Policy. Name is in use.]',
                          http_code=400))


def test_engine_error_lost_answer_tells_to_rerun():
    error = EngineError('add filter', sdk_error(message='Failed to read response: x'), outcome_unknown=True)
    assert 'may or may not have made this change: run the task again' in error.message


class FakeConnection(object):
    def system_service(self):
        return 'system'


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(_client.time, 'sleep', lambda seconds: None)
    engine = EngineClient(auth(token='t'))
    engine._connection = FakeConnection()
    return engine


def scripted(*outcomes):
    """A call that raises or returns the outcomes in turn, counting its calls."""
    calls = []

    def call(system):
        assert system == 'system'
        outcome = outcomes[len(calls)]
        calls.append(outcome)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    call.calls = calls
    return call


def test_read_retries_5xx_and_drops_then_succeeds(client):
    call = scripted(sdk_error(code=503), sdk_error(message="Failed to read response: [(<c>, 52, 'Empty')]"),
                    sdk_error(code=500), 'ok')
    assert client.read('list VMs', call) == 'ok'
    assert len(call.calls) == 4


def test_read_gives_up_after_five_attempts(client):
    call = scripted(*[sdk_error(code=502)] * 5)
    with pytest.raises(EngineError) as failure:
        client.read('list VMs', call)
    assert failure.value.attempts == 5
    assert 'gave up after 5 attempts' in failure.value.message


def test_4xx_is_never_retried(client):
    call = scripted(sdk_error(code=400), 'never')
    with pytest.raises(EngineError) as failure:
        client.write('update VM', call)
    assert len(call.calls) == 1
    assert failure.value.error.code == 400


def test_unrepeatable_write_is_retried_only_when_not_applied(client):
    call = scripted(sdk_error(code=503), sdk_error(sdk.ConnectionError, "Error while sending HTTP request: "
                                                                        "(7, 'refused')"), 'created')
    assert client.write('create', call, repeatable=False) == 'created'
    lost = scripted(sdk_error(message="Failed to read response: [(<c>, 56, 'reset')]"), 'never')
    with pytest.raises(EngineError) as failure:
        client.write('create', lost, repeatable=False)
    assert failure.value.outcome_unknown
    assert len(lost.calls) == 1


def test_repeatable_write_is_retried_when_lost(client):
    call = scripted(sdk_error(sdk.TimeoutError, "Error while sending HTTP request: (28, 'timeout')"), 'updated')
    assert client.write('update', call) == 'updated'


def test_close_without_connection_is_a_no_op():
    EngineClient(auth(token='t')).close()


class ClosingConnection(object):
    def __init__(self):
        self.logout = None

    def close(self, logout=True):
        self.logout = logout


@pytest.mark.parametrize('token, logout', [('given', False), (None, True)])
def test_only_a_token_we_obtained_is_revoked(token, logout):
    engine = EngineClient(auth(token=token, username='u', password='p'))
    engine._connection = connection = ClosingConnection()
    engine.close()
    assert connection.logout is logout
