# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ovirt_ext.deploy.scheduler_plugin: reads ``src`` on the controller.

Like ``copy`` and ``template``, the plugin file named by ``src`` is looked up on the controller
(in the ``files`` directories of the role and play when the path is relative) and its text is
passed to the module as ``content``. Everything else, check and diff mode included, is the
module's work on the engine host.
"""

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

MODULE = 'ovirt_ext.deploy.scheduler_plugin'


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no longer has any effect

        module_args = dict(self._task.args)
        source = module_args.pop('src', None)
        if source is not None:
            if module_args.get('content') is not None:
                result.update(failed=True, msg='src and content are mutually exclusive')
                return result
            try:
                module_args['content'] = self._read_source(source)
            except AnsibleError as error:
                result.update(failed=True, msg='cannot read src %s: %s' % (source, to_text(error)))
                return result

        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        return result

    def _read_source(self, source):
        """The text of the controller file ``source`` (vault-encrypted files are decrypted)."""
        path = self._find_needle('files', source)
        real_path = self._loader.get_real_file(path, decrypt=True)
        try:
            with open(real_path, 'rb') as stream:
                data = stream.read()
        except (IOError, OSError) as error:
            raise AnsibleError(to_text(error)) from error
        finally:
            self._loader.cleanup_tmp_file(real_path)
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError as error:
            raise AnsibleError('%s is not UTF-8 text' % path) from error
