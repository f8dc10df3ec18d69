"""scheduling_policy, cluster_scheduling_policy and scheduling_policy_unit_info against the lab."""

POLICY = dict(
    filters=['CPU', dict(name='Memory', position='first')],
    weights=[dict(name='OptimalForCpuEvenDistribution', factor=2), dict(name='VmAffinityGroups', factor=3)],
    balancer='OptimalForEvenDistribution',
    properties=dict(HighUtilization='80', CpuOverCommitDurationMinutes='2'),
)


def engine_policy(lab, name):
    """The policy as the engine has it: names of units, positions, factors, balancer, properties."""
    connection = lab.connection()
    try:
        system = connection.system_service()
        units = dict((unit.id, unit.name) for unit in system.scheduling_policy_units_service().list())
        policy = next((found for found in system.scheduling_policies_service().list() if found.name == name), None)
        if policy is None:
            return None
        service = system.scheduling_policies_service().policy_service(policy.id)
        return dict(
            description=policy.description or '',
            filters=sorted((units[item.id], item.position or 0) for item in service.filters_service().list()),
            weights=sorted((units[item.id], item.factor) for item in service.weights_service().list()),
            balancer=[units[item.id] for item in service.balances_service().list()],
            properties=dict((prop.name, prop.value) for prop in policy.properties or []),
        )
    finally:
        connection.close(logout=False)


def cluster_state(lab, name):
    connection = lab.connection()
    try:
        system = connection.system_service()
        cluster = next(found for found in system.clusters_service().list() if found.name == name)
        policies = dict((policy.id, policy.name) for policy in system.scheduling_policies_service().list())
        return (policies[cluster.scheduling_policy.id],
                dict((prop.name, prop.value) for prop in cluster.custom_scheduling_policy_properties or []))
    finally:
        connection.close(logout=False)


def test_policy_check_diff_create_idempotence(clean_lab):
    lab = clean_lab
    args = dict(POLICY, name='t_create', description='made by a test')

    predicted = lab.run('scheduling_policy', args, check_mode=True, diff=True)
    assert predicted['changed']
    assert predicted['plan'] == [
        "create scheduling policy 't_create'",
        "add filter 'CPU' (position any)",
        "add filter 'Memory' (position first)",
        "add weight 'OptimalForCpuEvenDistribution' (factor 2)",
        "add weight 'VmAffinityGroups' (factor 3)",
        "set balancer 'OptimalForEvenDistribution'",
        "update the properties of scheduling policy 't_create'",
    ]
    assert predicted['diff']['before'] == {}
    assert predicted['diff']['after']['filters'] == [dict(name='CPU', position='any'),
                                                     dict(name='Memory', position='first')]
    assert predicted['scheduling_policy']['id'] is None
    assert lab.writes() == 0 and engine_policy(lab, 't_create') is None

    applied = lab.run('scheduling_policy', args)
    assert applied['changed'] and applied['plan'] == predicted['plan']
    assert engine_policy(lab, 't_create') == dict(
        description='made by a test',
        filters=[('CPU', 0), ('Memory', -1)],
        weights=[('OptimalForCpuEvenDistribution', 2), ('VmAffinityGroups', 3)],
        balancer=['OptimalForEvenDistribution'],
        properties=dict(HighUtilization='80', CpuOverCommitDurationMinutes='2'),
    )

    lab.reset_stats()
    again = lab.run('scheduling_policy', args, diff=True)
    assert not again['changed'] and again['plan'] == []
    assert again['diff']['before'] == again['diff']['after']
    assert lab.requests() == dict(GET=5, POST=0, PUT=0, DELETE=0)


def test_policy_changes_only_what_differs_in_the_engine_order(clean_lab):
    lab = clean_lab
    lab.run('scheduling_policy', dict(POLICY, name='t_update'))
    changed = dict(name='t_update', description='new words',
                   filters=['CPU', dict(name='Memory', position='last')],
                   weights=[dict(name='OptimalForCpuEvenDistribution', factor=2),
                            dict(name='VmAffinityGroups', factor=5)],
                   balancer='None', properties={})
    lab.reset_stats()
    predicted = lab.run('scheduling_policy', changed, check_mode=True, diff=True)
    assert predicted['plan'] == [
        'remove the properties CpuOverCommitDurationMinutes, HighUtilization, whose units leave the policy',
        "remove filter 'Memory'",
        "remove weight 'VmAffinityGroups'",
        "add filter 'Memory' (position last)",
        "add weight 'VmAffinityGroups' (factor 5)",
        "set balancer 'None'",
        "update the description of scheduling policy 't_update'",
    ]
    assert lab.writes() == 0

    applied = lab.run('scheduling_policy', changed)
    assert applied['changed'], applied
    assert engine_policy(lab, 't_update') == dict(
        description='new words', filters=[('CPU', 0), ('Memory', 1)],
        weights=[('OptimalForCpuEvenDistribution', 2), ('VmAffinityGroups', 5)],
        balancer=['None'], properties={})
    assert not lab.run('scheduling_policy', changed)['changed']


def test_properties_of_leaving_units_go_first_when_not_managed(clean_lab):
    lab = clean_lab
    lab.run('scheduling_policy', dict(name='t_leaving', filters=['CPU'], balancer='OptimalForEvenDistribution',
                                      properties=dict(HighUtilization='70')))
    result = lab.run('scheduling_policy', dict(name='t_leaving', balancer='OptimalForPowerSaving'))
    assert result['plan'] == ['remove the properties HighUtilization, whose units leave the policy',
                              "set balancer 'OptimalForPowerSaving'",
                              "update the properties of scheduling policy 't_leaving'"]
    # The new balancer takes HighUtilization too: the value comes back once it is in place.
    assert engine_policy(lab, 't_leaving')['properties'] == dict(HighUtilization='70')
    assert not lab.run('scheduling_policy', dict(name='t_leaving', balancer='OptimalForPowerSaving'))['changed']


def test_units_are_matched_by_name_and_type(clean_lab):
    lab = clean_lab
    args = dict(name='t_same_name', filters=['VmAffinityGroups'], weights=[dict(name='VmAffinityGroups')])
    assert lab.run('scheduling_policy', args)['changed']
    assert engine_policy(lab, 't_same_name')['filters'] == [('VmAffinityGroups', 0)]
    assert engine_policy(lab, 't_same_name')['weights'] == [('VmAffinityGroups', 1)]
    assert not lab.run('scheduling_policy', args)['changed']


def test_policy_half_made_is_finished_by_the_next_run(clean_lab):
    lab = clean_lab
    connection = lab.connection()
    try:
        from ovirtsdk4 import types
        policies = connection.system_service().scheduling_policies_service()
        policy = policies.add(types.SchedulingPolicy(name='t_half'))
        units = dict((unit.name, unit.id) for unit in connection.system_service()
                     .scheduling_policy_units_service().list() if unit.type == types.PolicyUnitType.FILTER)
        policies.policy_service(policy.id).filters_service().add(
            types.Filter(scheduling_policy_unit=types.SchedulingPolicyUnit(id=units['CPU']), position=0))
    finally:
        connection.close(logout=False)
    result = lab.run('scheduling_policy', dict(POLICY, name='t_half'))
    assert "create scheduling policy 't_half'" not in result['plan']
    assert "add filter 'CPU' (position any)" not in result['plan']
    assert engine_policy(lab, 't_half')['filters'] == [('CPU', 0), ('Memory', -1)]
    assert not lab.run('scheduling_policy', dict(POLICY, name='t_half'))['changed']


def test_absent_removes_and_names_the_clusters_of_a_policy_in_use(clean_lab):
    lab = clean_lab
    lab.run('scheduling_policy', dict(POLICY, name='t_in_use'))
    assert lab.run('cluster_scheduling_policy', dict(clusters=['Default'], policy='t_in_use'))['changed']
    lab.reset_stats()
    refused = lab.run('scheduling_policy', dict(name='t_in_use', state='absent'))
    assert refused['failed']
    assert refused['msg'] == ("Scheduling policy 't_in_use' is used by the clusters Default: give them another "
                              "policy first (ovirt_ext.deploy.cluster_scheduling_policy), then remove it.")
    assert lab.writes() == 0

    lab.run('cluster_scheduling_policy', dict(clusters=['Default'], policy='none'))
    predicted = lab.run('scheduling_policy', dict(name='t_in_use', state='absent'), check_mode=True, diff=True)
    assert predicted['changed'] and predicted['diff']['after'] == {}
    assert predicted['diff']['before']['balancer'] == 'OptimalForEvenDistribution'
    assert engine_policy(lab, 't_in_use') is not None
    removed = lab.run('scheduling_policy', dict(name='t_in_use', state='absent'))
    assert removed['changed'] and engine_policy(lab, 't_in_use') is None
    lab.reset_stats()
    assert not lab.run('scheduling_policy', dict(name='t_in_use', state='absent'))['changed']
    assert lab.requests() == dict(GET=1, POST=0, PUT=0, DELETE=0)


def test_locked_builtin_policy_is_left_alone_when_nothing_differs(clean_lab):
    lab = clean_lab
    same = lab.run('scheduling_policy', dict(name='none'))
    assert not same['changed'] and same['scheduling_policy']['balancer'] == 'None'


def test_cluster_policy_check_diff_assign_idempotence(clean_lab):
    lab = clean_lab
    lab.run('scheduling_policy', dict(POLICY, name='t_cluster'))
    args = dict(clusters=['Prod'], policy='t_cluster', properties=dict(HighUtilization='75'))

    lab.reset_stats()
    predicted = lab.run('cluster_scheduling_policy', args, check_mode=True, diff=True)
    assert predicted['changed'] and lab.writes() == 0
    assert predicted['diff']['before']['Prod']['policy'] == 'none'
    assert predicted['diff']['after']['Prod'] == dict(
        policy='t_cluster', properties=dict(HighUtilization='75', CpuOverCommitDurationMinutes='2'))
    assert cluster_state(lab, 'Prod')[0] == 'none'

    applied = lab.run('cluster_scheduling_policy', args)
    assert applied['changed']
    assert applied['clusters'][0]['policy'] == 't_cluster'
    assert cluster_state(lab, 'Prod') == ('t_cluster', dict(HighUtilization='75', CpuOverCommitDurationMinutes='2'))

    lab.reset_stats()
    assert not lab.run('cluster_scheduling_policy', args)['changed']
    assert lab.requests() == dict(GET=2, POST=0, PUT=0, DELETE=0)
    assert lab.run('cluster_scheduling_policy', dict(clusters=['Prod'], policy='none'))['changed']


def test_unit_info_filters(clean_lab):
    lab = clean_lab
    weights = lab.run('scheduling_policy_unit_info', dict(type='weight', name='Optimal*'))
    names = [unit['name'] for unit in weights['scheduling_policy_units']]
    assert 'OptimalForCpuEvenDistribution' in names and all(name.startswith('Optimal') for name in names)
    assert all(unit['type'] == 'weight' for unit in weights['scheduling_policy_units'])
    balancer = lab.run('scheduling_policy_unit_info', dict(type='load_balancing', name='OptimalForEvenDistribution'))
    [unit] = balancer['scheduling_policy_units']
    assert unit['properties']['HighUtilization'] == '^([5-9][0-9])$' and unit['internal'] and unit['enabled']
    assert lab.run('scheduling_policy_unit_info', dict(internal=False))['scheduling_policy_units'] == []
    assert lab.requests() == dict(GET=3, POST=0, PUT=0, DELETE=0)
