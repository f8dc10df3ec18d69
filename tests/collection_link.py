"""Makes ``ansible_collections.ovirt_ext.deploy`` importable from this checkout. tests/conftest.py
calls it for pytest; tests/modules/lab_driver.py calls it too, for the benchmarks that drive the
lab outside pytest."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, '.build', 'collections')


def use_checkout_collection():
    """Links ``.build/collections/ansible_collections/ovirt_ext/deploy`` to the checkout and puts
    ``.build/collections`` on ``sys.path``; safe to call more than once, from several workers."""
    namespace = os.path.join(COLLECTIONS, 'ansible_collections', 'ovirt_ext')
    os.makedirs(namespace, exist_ok=True)
    try:
        os.symlink(os.path.relpath(REPO, namespace), os.path.join(namespace, 'deploy'))
    except FileExistsError:
        pass  # made by an earlier run or another test worker
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
