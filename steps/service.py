"""Steps about the systemd unit and service."""


from suite.checkstep import check_then

from checks import service, unit
from core.evidence import require

@check_then("systemd has loaded the unit from the unit directory", "unit.loaded")
def unit_loaded(target):
    require(unit.current(target.remote, target.member))


@check_then("systemd-analyze verify accepts the unit", "unit.verify")
def unit_verifies(target):
    require(unit.verify(target.remote, target.member))


@check_then("the unit passes --{flag} with the configured value", "unit.flag.{flag}")
def unit_flag(target, flag):
    require(unit.flag(target.remote, target.member, flag))


@check_then("the unit passes no flag beyond the configured ones", "unit.no-other-flag")
def unit_no_other_flag(target):
    require(unit.no_unexpected_flags(target.remote, target.member))


@check_then("the etcd service is enabled", "service.enabled")
def service_enabled(target):
    require(service.enabled(target.remote, target.member))


@check_then("the etcd service is active and running", "service.running")
def service_running(target):
    require(service.running(target.remote, target.member))


@check_then("the etcd service has the configured {setting}", "service.{setting}")
def service_setting(target, setting):
    require(unit.setting(target.remote, target.member, setting))
