"""Example weight for the oVirt scheduler proxy: spread running VMs evenly across hosts.

Python 3 version of the even_vm_distribution sample, using the oVirt Python SDK v4
(ovirtsdk4). The engine connection comes from the proxy's environment: OVIRT_URL (for
example https://engine.example.com/ovirt-engine/api), OVIRT_USERNAME, OVIRT_PASSWORD, and
either OVIRT_CAFILE (the engine CA certificate) or OVIRT_INSECURE=true. Errors go to stderr,
which makes the proxy count the run as failed; stdout carries only the result.
"""
import os
import sys

import ovirtsdk4


def environment(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError('%s is not set in the scheduler proxy environment' % name)
    return value


def engine_connection():
    return ovirtsdk4.Connection(
        url=environment('OVIRT_URL'),
        username=environment('OVIRT_USERNAME'),
        password=environment('OVIRT_PASSWORD'),
        ca_file=os.environ.get('OVIRT_CAFILE') or None,
        insecure=os.environ.get('OVIRT_INSECURE', '').lower() in ('1', 'true', 'yes'),
    )


def running_vm_counts(connection, host_ids):
    """Running VMs per host, for the hosts of host_ids that the engine knows."""
    wanted = set(host_ids)
    hosts = connection.system_service().hosts_service().list()
    return {host.id: host.summary.active or 0 for host in hosts
            if host.id in wanted and host.summary is not None}


class even_vm_distribution(object):
    """Weight: the fewer VMs a host runs, the better (lower) its score."""

    properties_validation = ''

    def do_score(self, hosts_ids, vm_id, args_map):
        """Scores each host with the number of VMs running on it, so the least loaded comes first."""
        try:
            with engine_connection() as connection:
                counts = running_vm_counts(connection, hosts_ids)
        except Exception as error:
            print('even_vm_distribution: %s' % error, file=sys.stderr)
            return
        print([(host_id, counts[host_id]) for host_id in hosts_ids if host_id in counts])
