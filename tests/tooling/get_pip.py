"""Offline stand-in for pip's get-pip.py, which `ansible-test sanity --venv` downloads.

ansible-test runs this file with pip's options and the packages to install. We cannot reach the
host it downloads from, so bootstrap pip from the interpreter's own ensurepip and then let that
pip install the packages through the machine's usual package index.
"""

import subprocess
import sys

# get-pip.py understands these two; a plain `pip install` does not.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")

pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
# In a subprocess, so that ensurepip's PIP_CONFIG_FILE=/dev/null does not leak into our
# environment and hide the machine's pip configuration (index, CA) from the next call.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + pip_args)
