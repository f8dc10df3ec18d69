"""Make ``ansible_collections.ovirt_ext.deploy`` importable from this checkout."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COLLECTIONS = os.path.join(REPO, '.build', 'collections')


def link_collection():
    """``.build/collections/ansible_collections/ovirt_ext/deploy`` -> the checkout."""
    namespace = os.path.join(COLLECTIONS, 'ansible_collections', 'ovirt_ext')
    os.makedirs(namespace, exist_ok=True)
    try:
        os.symlink(os.path.relpath(REPO, namespace), os.path.join(namespace, 'deploy'))
    except FileExistsError:
        pass  # made by an earlier run or another test worker


link_collection()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
