"""The local lab: real Debian 12 hosts (systemd as PID 1, sshd) booted with systemd-nspawn.

    python -m provision.lab up [HOST ...]      # default host: server
    python -m provision.lab down [HOST ...]    # default: all lab hosts (--purge also drops their files)
    python -m provision.lab reset [HOST ...]   # back to a freshly installed host
    python -m provision.lab reboot HOST        # a real reboot; files on the host survive it
    python -m provision.lab status

By what it does: the settings and their one-line errors (``settings.py``), the base image (``image.py``), the
files of each host and of the client (``files.py``), the hosts' life cycle (``hosts.py``), the command line
(``__main__.py``).
"""

from provision.lab.files import (allocate_address, render_hosts_file, render_known_hosts, render_machines,
                                 render_network, render_ssh_config)
from provision.lab.hosts import (Lab, cgroup_dirs, cgroup_pids, ensure_kernel_limits, supervisor_command)
from provision.lab.image import recipe_id
from provision.lab.settings import LabError, Settings, check_name

__all__ = ["Lab", "LabError", "Settings", "allocate_address", "cgroup_dirs", "cgroup_pids", "check_name",
           "ensure_kernel_limits", "recipe_id", "render_hosts_file", "render_known_hosts", "render_machines",
           "render_network", "render_ssh_config", "supervisor_command", "main"]


def main(argv=None) -> int:
    from provision.lab.__main__ import main as run

    return run(argv)
