"""Stands in for the pip bootstrap script ansible-test downloads from ci-files.testing.ansible.com
(unreachable from our build machines): the same job, "install pip, then these packages, into this
empty virtual environment", done with the standard library's ensurepip and pip itself from PyPI.
tests/ansible/test_sanity.py puts it where ansible-test looks (~/.ansible/test/cache/get_pip_<version>.py)."""

import subprocess
import sys

# get-pip.py's own options, which pip install does not know: what they ask for is done here instead.
OWN = {"--no-setuptools", "--no-wheel"}

if __name__ == "__main__":
    # In its own process: ensurepip points PIP_CONFIG_FILE at /dev/null in the process it runs in, and
    # the pip below must read the machine's pip configuration (its index and certificates).
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    wanted = [arg for arg in sys.argv[1:] if arg not in OWN]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *wanted]))  # noqa: S603 - our own pip
