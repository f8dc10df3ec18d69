"""Request budgets of the no-op runs, as the module docs state them, and the auth contract."""

import importlib

import pytest

MODULES = 'ansible_collections.ovirt_ext.deploy.plugins.modules.'

# module, arguments of a run that has nothing left to do, API requests, the docs' words for that.
NO_OP_RUNS = [
    ('engine_config', dict(key='ExternalSchedulerEnabled', value='false'), 0, 'it makes no API request'),
    ('vm_custom_property_definition', dict(name='budget_key', regex='^[0-9]+$', versions=['4.5']), 0,
     'it makes no API request'),
    ('vm_custom_property_definition_info', {}, 2, 'Request budget: 2 API requests'),
    ('vm_custom_properties', dict(vms=['vm0011', 'vm0012'], properties=dict(sap_agent='false')), 1,
     'a run that changes nothing makes 1 API request'),
    ('scheduling_policy', dict(name='t_budget', filters=['CPU'], balancer='None'), 5,
     'a run that changes nothing makes 5 API requests'),
    ('scheduling_policy', dict(name='t_never_made', state='absent'), 1,
     '1 with O(state=absent) when the policy does not exist'),
    ('cluster_scheduling_policy', dict(clusters=['Default', 'Prod'], policy='none'), 2,
     'a run that changes nothing makes 2 API requests'),
    ('scheduling_policy_unit_info', dict(type='filter'), 1, 'Request budget: 1 API request'),
]


@pytest.mark.parametrize('module, args, requests, words', NO_OP_RUNS,
                         ids=['%s-%d' % (row[0], row[2]) for row in NO_OP_RUNS])
def test_no_op_request_budget_is_documented_and_kept(clean_lab, module, args, requests, words):
    lab = clean_lab
    api = module not in ('engine_config', 'vm_custom_property_definition')
    first = lab.run(module, args, api=api)
    assert not first.get('failed'), first
    lab.reset_stats()
    result = lab.run(module, args, api=api)
    assert not result['changed']
    counts = lab.requests()
    assert sum(counts.values()) == requests and counts['GET'] == requests, counts
    assert lab.stats()['sso'] == {}  # a token was given: no login, no logout
    documentation = ' '.join(importlib.import_module(MODULES + module).DOCUMENTATION.split())
    assert words in documentation


def test_password_login_is_revoked_and_a_given_token_is_not(clean_lab):
    lab = clean_lab
    auth = lab.auth(token=None, username='admin@internal', password='ovirt-lab')
    assert not lab.run('scheduling_policy_unit_info', dict(auth=auth)).get('failed')
    assert lab.stats()['sso'] == dict(token=1, logout=1)

    lab.reset_stats()
    assert not lab.run('scheduling_policy_unit_info', {}).get('failed')
    assert lab.stats()['sso'] == {}
    connection = lab.connection()  # the session token still works
    try:
        assert connection.test(raise_exception=True)
    finally:
        connection.close(logout=False)


def test_the_ovirt_auth_fact_is_accepted_as_it_is(clean_lab):
    lab = clean_lab
    # What ovirt.ovirt.ovirt_auth puts in its ovirt_auth fact.
    fact = dict(token=lab.token, url=lab.engine.url, ca_file=lab.engine.ca_file, insecure=False, timeout=0,
                compress=True, kerberos=False, headers=None)
    result = lab.run('scheduling_policy_unit_info', dict(auth=fact, type='load_balancing'))
    assert not result.get('failed'), result
    assert len(result['scheduling_policy_units']) == 4


def test_environment_fallbacks(clean_lab):
    lab = clean_lab
    env = dict(OVIRT_URL=lab.engine.url, OVIRT_USERNAME='admin@internal', OVIRT_PASSWORD='ovirt-lab',
               OVIRT_CAFILE=lab.engine.ca_file)
    result = lab.run('scheduling_policy_unit_info', dict(type='weight'), api=False, env=env)
    assert not result.get('failed'), result
    assert lab.stats()['sso'] == dict(token=1, logout=1)
    result = lab.run('scheduling_policy_unit_info', dict(type='weight'), api=False,
                     env=dict(OVIRT_URL=lab.engine.url, OVIRT_TOKEN=lab.token, OVIRT_CAFILE=lab.engine.ca_file))
    assert not result.get('failed'), result


def test_tls_is_verified_unless_insecure(clean_lab):
    lab = clean_lab
    unverified = lab.run('scheduling_policy_unit_info', dict(auth=lab.auth(ca_file=None)))
    assert unverified['failed']
    assert unverified['msg'].startswith('Could not list the scheduling policy units: ')
    assert "60, 'SSL certificate" in unverified['msg'] and 'attempts' not in unverified['msg']  # not retried
    insecure = lab.run('scheduling_policy_unit_info', dict(auth=lab.auth(ca_file=None, insecure=True)))
    assert not insecure.get('failed'), insecure


def test_bad_credentials_fail_clearly(clean_lab):
    lab = clean_lab
    result = lab.run('scheduling_policy_unit_info',
                     dict(auth=lab.auth(token=None, username='admin@internal', password='wrong-password')))
    assert result['failed']
    assert result['msg'].startswith('Could not log in to %s as admin@internal: Error during SSO authentication'
                                    % lab.engine.url)
    assert lab.requests() == dict(GET=0, POST=0, PUT=0, DELETE=0)


def test_an_unknown_token_fails_clearly(clean_lab):
    lab = clean_lab
    result = lab.run('scheduling_policy_unit_info', dict(auth=lab.auth(token='expired-or-unknown-token')))
    assert result['failed']
    assert result['msg'].startswith('Could not list the scheduling policy units: Error during SSO authentication')
    assert result['doing'] == 'list the scheduling policy units'


@pytest.mark.parametrize('module, args', [('scheduling_policy_unit_info', dict(enabled=True)),
                                          ('vm_custom_property_definition_info', dict(versions=['4.8']))])
def test_info_modules_in_check_and_diff_mode(clean_lab, module, args):
    lab = clean_lab
    result = lab.run(module, args, check_mode=True, diff=True)
    assert not result.get('failed') and not result['changed']
    assert lab.writes() == 0
