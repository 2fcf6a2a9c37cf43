"""Steps about the systemd unit and service."""

from pytest_bdd import parsers, then

from checks import service, unit
from core.evidence import require

SETTINGS = {"Type": "Type", "Restart": "Restart", "RestartSec": "RestartUSec", "WantedBy": "WantedBy"}


@then("systemd has loaded the unit from the unit directory")
def unit_loaded(target):
    require(unit.current(target.remote, target.member))


@then("systemd-analyze verify accepts the unit")
def unit_verifies(target):
    require(unit.verify(target.remote, target.member))


@then(parsers.parse("the unit passes --{flag} with the configured value"))
def unit_flag(target, flag):
    require(unit.flag(target.remote, target.member, flag))


@then("the unit passes no flag beyond the configured ones")
def unit_no_other_flag(target):
    require(unit.no_unexpected_flags(target.remote, target.member))


@then("the etcd service is enabled")
def service_enabled(target):
    require(service.enabled(target.remote, target.member))


@then("the etcd service is active and running")
def service_running(target):
    require(service.running(target.remote, target.member))


@then(parsers.parse("the etcd service has the configured {setting}"))
def service_setting(target, setting):
    require(unit.setting(target.remote, target.member, SETTINGS[setting]))
