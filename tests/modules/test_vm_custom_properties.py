"""vm_custom_properties and vm_custom_property_definition_info against the lab.

The lab seeds VMs vm0001..vm0012, the odd ones in cluster Default (level 4.7, with hosts),
the even ones in Prod (level 4.8). Each test works on its own VMs.
"""

import json


def engine_properties(lab, name):
    vm = lab.vm(name)
    if vm.next_run_configuration_exists:
        connection = lab.connection()
        try:
            vm = connection.system_service().vms_service().vm_service(vm.id).get(next_run=True)
        finally:
            connection.close(logout=False)
    return dict((prop.name, prop.value) for prop in vm.custom_properties or [])


def test_merge_replace_absent_with_check_diff_and_idempotence(defined_lab, clean_lab):
    lab = clean_lab
    merge = dict(vms=['vm0003', 'vm0004'], properties=dict(numa_mode='strict', hugepages=1024))

    predicted = lab.run('vm_custom_properties', merge, check_mode=True, diff=True)
    assert predicted['changed'] and lab.writes() == 0
    assert predicted['diff'] == dict(before=dict(vm0003={}, vm0004={}),
                                     after=dict(vm0003=dict(numa_mode='strict', hugepages='1024'),
                                                vm0004=dict(numa_mode='strict', hugepages='1024')))
    assert engine_properties(lab, 'vm0003') == {}

    applied = lab.run('vm_custom_properties', merge)
    assert applied['changed'] and [vm['changed'] for vm in applied['vms']] == [True, True]
    assert engine_properties(lab, 'vm0004') == dict(numa_mode='strict', hugepages='1024')

    lab.reset_stats()
    again = lab.run('vm_custom_properties', merge)
    assert not again['changed'] and again['plan'] == []
    assert lab.requests() == dict(GET=1, POST=0, PUT=0, DELETE=0)

    merged = lab.run('vm_custom_properties', dict(vms=['vm0003'], properties=dict(hook_flag='on')))
    assert merged['vms'][0]['after'] == dict(numa_mode='strict', hugepages='1024', hook_flag='on')
    assert engine_properties(lab, 'vm0003') == dict(numa_mode='strict', hugepages='1024', hook_flag='on')

    replaced = lab.run('vm_custom_properties', dict(vms=['vm0003'], properties=dict(sap_agent='true'),
                                                    mode='replace'))
    assert replaced['changed'] and engine_properties(lab, 'vm0003') == dict(sap_agent='true')

    removed = lab.run('vm_custom_properties', dict(vms=['vm0003', 'vm0004'], properties=dict(sap_agent=None,
                                                   numa_mode=None), mode='absent'), diff=True)
    assert removed['diff']['after'] == dict(vm0003={}, vm0004=dict(hugepages='1024'))
    assert engine_properties(lab, 'vm0003') == {} and engine_properties(lab, 'vm0004') == dict(hugepages='1024')
    assert not lab.run('vm_custom_properties', dict(vms=['vm0003', 'vm0004'], properties=dict(sap_agent=None),
                                                    mode='absent'))['changed']


def test_every_bad_vm_and_key_is_listed_before_any_write(defined_lab, clean_lab):
    lab = clean_lab
    result = lab.run('vm_custom_properties', dict(vms=['vm0005', 'vm0006'],
                                                  properties=dict(prod_only='abc', hugepages='lots')))
    assert result['failed'] and lab.writes() == 0
    assert result['msg'] == (
        'Custom properties that the engine would refuse, nothing was changed. Define the keys '
        '(vm_custom_property_definition, then restart the engine) or fix the values: '
        "VM 'vm0005' (cluster level 4.7): hugepages: value 'lots' does not match ^[0-9]+$; prod_only: not defined"
        " | VM 'vm0006' (cluster level 4.8): hugepages: value 'lots' does not match ^[0-9]+$")
    assert engine_properties(lab, 'vm0006') == {}
    # Level 4.8 defines prod_only: the same key is fine there.
    assert lab.run('vm_custom_properties', dict(vms=['vm0006'], properties=dict(prod_only='abc')))['changed']


def test_running_vm_gets_the_change_at_its_next_run(defined_lab, clean_lab):
    lab = clean_lab
    connection = lab.connection()
    try:
        connection.system_service().vms_service().vm_service(lab.vm('vm0007').id).start()
    finally:
        connection.close(logout=False)
    lab.engine.wait_idle()
    assert lab.vm('vm0007').status.value == 'up'
    args = dict(vms=['vm0007'], properties=dict(numa_mode='interleave'))

    applied = lab.run('vm_custom_properties', args)
    assert applied['vms'][0]['next_run'] is True
    assert applied['plan'] == ["update the custom properties of VM 'vm0007': numa_mode=interleave "
                               "(at its next run)"]
    vm = lab.vm('vm0007')
    assert vm.next_run_configuration_exists and not vm.custom_properties  # still running with the old ones
    assert engine_properties(lab, 'vm0007') == dict(numa_mode='interleave')

    lab.reset_stats()
    again = lab.run('vm_custom_properties', args)
    assert not again['changed'] and again['vms'][0]['before'] == dict(numa_mode='interleave')
    # The search, plus the next-run configuration of the one VM that has it.
    assert lab.requests() == dict(GET=2, POST=0, PUT=0, DELETE=0)


def test_search_selects_the_vms(defined_lab, clean_lab):
    lab = clean_lab
    args = dict(search='name=vm001* and cluster=Prod', properties=dict(hook_flag='off'), parallel=1)
    result = lab.run('vm_custom_properties', args)
    assert [vm['name'] for vm in result['vms']] == ['vm0010', 'vm0012']
    assert engine_properties(lab, 'vm0012')['hook_flag'] == 'off'
    assert not lab.run('vm_custom_properties', args)['changed']

    nothing = lab.run('vm_custom_properties', dict(search='name=no_such_vm*', properties=dict(hook_flag='on')))
    assert not nothing['changed'] and nothing['vms'] == []
    assert "The search 'name=no_such_vm*' matches no VM." in json.dumps(nothing['warnings'])


def test_definition_info_lists_levels(defined_lab, clean_lab):
    lab = clean_lab
    result = lab.run('vm_custom_property_definition_info', {})
    assert set(result['user_defined']) == {'4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4.8'}
    assert result['user_defined']['4.8']['prod_only'] == '^[a-z]+$'
    assert 'prod_only' not in result['user_defined']['4.7']
    assert result['predefined']['4.7']['sap_agent'] == '^(true|false)$'
    assert lab.requests() == dict(GET=2, POST=0, PUT=0, DELETE=0)
