# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not import it from other collections.
#
# Engine-host modules import it, so it stays compatible with Python 3.6 (EL8).
"""Reading and writing engine configuration keys with ``engine-config``.

``engine-config`` runs on the engine host and talks to the engine database. Rules:

- never interactively: ``-s`` without ``--cver`` prompts for a version, so every
  write names its version (and a prompt, should one appear, fails the command);
- never ``-m``: it appends ``name=regex`` items by exact text, so a key with a new
  regex ends up twice; modules compute the whole value and write it with ``-s``;
- the engine reads most keys only when it starts: a change needs an engine restart.
"""

import re
from collections import OrderedDict

ALL_VERSIONS = 'all'
# Cluster levels look like 4.8; keys that do not depend on the level have 'general'.
VERSION_PATTERN = re.compile(r'\d+\.\d+|general')
PROMPT_PATTERN = r'(?i)please (select|enter)'


def versions_error(versions):
    """Why ``versions`` (the module option) is not usable, or None."""
    if not versions:
        return "give at least one version, or 'all'"
    if ALL_VERSIONS in versions:
        if len(versions) > 1:
            return "'all' cannot be combined with other versions"
        return None
    bad = [version for version in versions if not VERSION_PATTERN.fullmatch(version)]
    if bad:
        return ("%s: a version is a cluster level such as '4.8' (quote it in YAML: "
                "4.10 unquoted is the number 4.1), 'general', or 'all'" % ', '.join(bad))
    return None


def parse_all_versions(key, output):
    """Parse ``engine-config -g KEY``: one ``KEY: VALUE version: VERSION`` line per version."""
    values = OrderedDict()
    prefix = key + ': '
    for line in output.splitlines():
        if line.startswith(prefix) and ' version: ' in line:
            value, version = line[len(prefix):].rsplit(' version: ', 1)
            values[version.strip()] = value
    return values


def parse_one_version(output):
    """Parse ``engine-config -g KEY --cver=X.Y``: the value alone, on the last line."""
    lines = output.rstrip('\r\n').splitlines()
    return lines[-1] if lines else ''


class EngineConfig(object):
    """The ``engine-config`` command of the engine host."""

    def __init__(self, module):
        self.module = module
        self.command = module.get_bin_path('engine-config', required=True)

    def read(self, key, versions):
        """``OrderedDict`` version -> value of ``key``, for ``versions`` or ['all']."""
        if versions == [ALL_VERSIONS]:
            values = parse_all_versions(key, self._run(['-g', key], 'read %s' % key))
            if not values:
                self.module.fail_json(msg='engine-config printed no value for %s' % key)
            return values
        return OrderedDict(
            (version, parse_one_version(self._run(
                ['-g', key, '--cver=%s' % version], 'read %s for version %s' % (key, version))))
            for version in versions
        )

    def write(self, key, value, version):
        self._run(['-s', '%s=%s' % (key, value), '--cver=%s' % version],
                  'set %s for version %s' % (key, version))

    def _run(self, arguments, doing):
        command = [self.command] + arguments
        rc, stdout, stderr = self.module.run_command(
            command, prompt_regex=PROMPT_PATTERN, environ_update=dict(LANG='C', LC_ALL='C'))
        if rc != 0:
            self.module.fail_json(
                msg='engine-config could not %s: %s' % (doing, (stderr or stdout).strip()),
                rc=rc, cmd=command, stdout=stdout, stderr=stderr)
        return stdout
