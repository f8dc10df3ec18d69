"""Bad input fails before any write, with a message that names the field and the fix.

Each row: module, arguments, words the failure message must hold. No row may write through
the API (lab counters) or change the engine configuration (the engine-config state file).
"""

import os

import pytest

ENGINE_HOST = ('engine_config', 'vm_custom_property_definition')
WEIGHT = dict(name='OptimalForCpuEvenDistribution', factor=1)

BAD_INPUTS = [
    # engine_config
    ('engine_config', dict(key='Bad Key', value='1'), "key 'Bad Key': a key name is letters, digits and underscores"),
    ('engine_config', dict(key='ExternalSchedulerEnabled', value='true', versions=['4']),
     "versions: 4: a version is a cluster level such as '4.8'"),
    ('engine_config', dict(key='ExternalSchedulerEnabled', value='true', versions=['all', '4.8']),
     "versions: 'all' cannot be combined with other versions"),
    ('engine_config', dict(key='ExternalSchedulerEnabled'),
     'state is present but all of the following are missing: value'),
    ('engine_config', dict(key='ExternalSchedulerEnabled', value='a\nb'), 'value: must be a single line'),
    ('engine_config', dict(key='UserDefinedVMProperties', value='a=1', versions=['9.9']),
     "engine-config could not read UserDefinedVMProperties for version 9.9: Error fetching UserDefinedVMProperties "
     "value: no such entry with version '9.9'."),
    ('engine_config', dict(key='NoSuchKey', value='1'),
     'engine-config could not read NoSuchKey: Error fetching NoSuchKey value: no such entry. '
     'Please verify key name and property file support.'),
    # vm_custom_property_definition
    ('vm_custom_property_definition', dict(name='numa-mode', regex='.*'),
     "name 'numa-mode' must be made of letters, digits and underscores only ([a-zA-Z0-9_]+)"),
    ('vm_custom_property_definition', dict(name='x', regex='^(a;b)$'),
     "regex '^(a;b)$' must not contain ';': the engine separates definitions with it"),
    ('vm_custom_property_definition', dict(name='x', regex='^(a|b$'), "regex '^(a|b$' does not compile"),
    ('vm_custom_property_definition', dict(name='x', regex='.*', versions=['v4.8']),
     "versions: v4.8: a version is a cluster level such as '4.8'"),
    ('vm_custom_property_definition', dict(name='x'), 'state is present but all of the following are missing: regex'),
    ('vm_custom_property_definition', dict(name='x', regex='.*', versions=['4.1']),
     "engine-config could not read UserDefinedVMProperties for version 4.1"),
    # vm_custom_property_definition_info
    ('vm_custom_property_definition_info', dict(versions=['4.1']),
     'versions: the engine has no cluster level 4.1; it has 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8'),
    # vm_custom_properties
    ('vm_custom_properties', dict(vms=['vm0001'], search='name=vm*', properties={}),
     'parameters are mutually exclusive: vms|search'),
    ('vm_custom_properties', dict(properties={}), 'one of the following is required: vms, search'),
    ('vm_custom_properties', dict(vms=[], properties={}), 'vms: give at least one VM name'),
    ('vm_custom_properties', dict(vms=['vm0001'], properties={}, parallel=0),
     'parallel: 0 is out of range; use 1 to 64'),
    ('vm_custom_properties', dict(vms=['vm0001'], properties={'huge-pages': '1'}),
     "properties: the name 'huge-pages' must be made of letters, digits and underscores"),
    ('vm_custom_properties', dict(vms=['vm0001'], properties=dict(sap_agent=True)),
     'properties.sap_agent: True is not text; quote it in YAML'),
    ('vm_custom_properties', dict(vms=['vm0001'], properties=dict(numa_mode='a;b')),
     "properties.numa_mode: the value must not contain ';'"),
    ('vm_custom_properties', dict(vms=['vm0001', 'no_such_a', 'no_such_b'], properties=dict(numa_mode='strict')),
     'vms: no VM is named no_such_a, no_such_b'),
    ('vm_custom_properties', dict(vms=['vm0009'], properties=dict(prod_only='abc')),
     "VM 'vm0009' (cluster level 4.7): prod_only: not defined"),
    ('vm_custom_properties', dict(vms=['vm0009', 'vm0010'], properties=dict(hugepages='lots')),
     "VM 'vm0009' (cluster level 4.7): hugepages: value 'lots' does not match ^[0-9]+$ | VM 'vm0010'"),
    # scheduling_policy
    ('scheduling_policy', dict(name='t_bad', filters=['CPU', dict(name='Memory', position='top')]),
     "filters[1]: position 'top' is not one of first, last, any"),
    ('scheduling_policy', dict(name='t_bad', filters=[dict(name='CPU', position='first'),
                                                      dict(name='Memory', position='first')]),
     'filters: only one filter can be first, not CPU, Memory'),
    ('scheduling_policy', dict(name='t_bad', weights=[dict(name='PreferredHosts', factor=-2)]),
     "weights: the factor of 'PreferredHosts' is -2; a factor is 0 or more"),
    ('scheduling_policy', dict(name='t_bad', filters=['Cpu']),
     "no filter unit is named 'Cpu'; the filter units are: CPU, CPUOverloaded, ClusterInMaintenance"),
    ('scheduling_policy', dict(name='t_bad', filters=['PreferredHosts']),
     "no filter unit is named 'PreferredHosts'"),
    ('scheduling_policy', dict(name='t_bad', balancer='Even'),
     "no load_balancing unit is named 'Even'; the load_balancing units are: None, OptimalForEvenDistribution"),
    ('scheduling_policy', dict(name='t_bad', weights=[WEIGHT], properties=dict(HighUtilization='80')),
     "properties do not fit the units of scheduling policy 't_bad' (they take: VCpuToPhysicalCpuRatio): "
     'HighUtilization: not defined'),
    ('scheduling_policy', dict(name='t_bad', balancer='OptimalForEvenDistribution',
                               properties=dict(HighUtilization='10')),
     "HighUtilization: value '10' does not match ^([5-9][0-9])$"),
    ('scheduling_policy', dict(name='t_bad', properties=dict(HighUtilization=True)),
     'properties.HighUtilization: True is not text; quote it in YAML'),
    ('scheduling_policy', dict(name='t_bad', weights=[dict(factor=2)]),
     'missing required arguments: name found in weights'),
    ('scheduling_policy', dict(name='evenly_distributed', filters=['CPU']),
     "Scheduling policy 'evenly_distributed' is a locked built-in policy: the engine refuses to change it"),
    ('scheduling_policy', dict(name='none', state='absent'),
     "Scheduling policy 'none' is a locked built-in policy: the engine refuses to remove it"),
    # cluster_scheduling_policy
    ('cluster_scheduling_policy', dict(clusters=['Prod', 'NoSuchCluster'], policy='none'),
     'No cluster named NoSuchCluster; the clusters are: Default, Prod'),
    ('cluster_scheduling_policy', dict(clusters=['Prod'], policy='Evenly_Distributed'),
     "No scheduling policy named 'Evenly_Distributed'; the policies are: InClusterUpgrade, cluster_maintenance"),
    ('cluster_scheduling_policy', dict(clusters=['Prod'], policy='evenly_distributed',
                                       properties=dict(MaxFreeMemory='5')),
     "The scheduling policy 'evenly_distributed' does not take these properties (the engine would drop them "
     "silently): MaxFreeMemory: not defined. It takes: "),
    ('cluster_scheduling_policy', dict(clusters=['Prod'], policy='evenly_distributed',
                                       properties=dict(HighUtilization='101')),
     "HighUtilization: value '101' does not match ^([5-9][0-9])$"),
    ('cluster_scheduling_policy', dict(clusters=[], policy='none'), 'clusters: give at least one cluster name'),
    # scheduling_policy_unit_info
    ('scheduling_policy_unit_info', dict(type='filters'),
     'value of type must be one of: filter, weight, load_balancing, got: filters'),
    # auth, shared by the API modules
    ('scheduling_policy_unit_info', dict(auth=dict(token='not-a-real-token')), 'auth.url is required'),
    ('vm_custom_properties', dict(auth=dict(url='https://engine/ovirt-engine/api'), vms=['vm0001'],
                                  properties={}), 'auth needs a token (auth.token or OVIRT_TOKEN'),
    ('scheduling_policy_unit_info', dict(auth=dict(url='https://engine/ovirt-engine/api', token='not-a-real-token',
                                                   ca_file='/nonexistent/ca.pem')),
     "Could not connect to https://engine/ovirt-engine/api: The CA file '/nonexistent/ca.pem' doesn't exist"),
    ('cluster_scheduling_policy', dict(auth=dict(url='https://engine/ovirt-engine/api', token='not-a-real-token',
                                                 timeout=-5),
                                       clusters=['Prod'], policy='none'), 'auth.timeout is the limit in seconds'),
]


def engine_configuration(lab):
    with open(os.path.join(lab.engine.state_dir, 'engine-config.json'), 'rb') as handle:
        return handle.read()


@pytest.mark.parametrize('module, args, words', BAD_INPUTS,
                         ids=['%02d-%s' % (index, row[0]) for index, row in enumerate(BAD_INPUTS, 1)])
def test_bad_input_fails_before_any_write(defined_lab, clean_lab, module, args, words):
    lab = clean_lab
    configuration = engine_configuration(lab)
    result = lab.run(module, args, api=module not in ENGINE_HOST)
    assert result.get('failed'), result
    assert words in result['msg']
    assert lab.writes() == 0
    assert engine_configuration(lab) == configuration


def test_the_table_is_big_enough():
    assert len(BAD_INPUTS) >= 30
