"""Step definitions that run a check: each names the id of the check it runs.

``@check_then("the {binary} binary is installed", "binary.{binary}.installed")`` registers a pytest-bdd
step whose check id is formatted from the step's parameters and the scenario's example row (values
as :func:`checks.catalog.slug` writes them). The same registry lets the suite know, at collection,
which checks each scenario runs (JUnit ``check_id`` properties, the report, cucumber JSON).

At run time the wrapper gives a failure its check id, and turns the failure of a check that is a known
deviation of the run's profile (checks/deviations.py) into a passing step that records the deviation.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pytest_bdd import given, parsers, then, when

from checks import catalog, deviations
from core.evidence import CheckFailure, ConnectionLost, PreconditionFailure, Result
from core.i18n import N_

DEVIATION_KEY = pytest.StashKey[list]()  # on an item: [(check id, reason, found)]
CHECK_IDS_KEY = pytest.StashKey[list]()  # on an item: the check ids its scenario runs
NOTE_KEY = pytest.StashKey[list]()  # on an item: [(check id, note)] of checks that held
WARNING_KEY = pytest.StashKey[list]()  # on an item: [(check id, warning)] of checks that held
WAIVED_KEY = pytest.StashKey[list]()  # on an item: [(check id, justification, found)] of failures waived
WAIVERS_KEY = pytest.StashKey[list]()  # on the config: the run's waivers (suite/waivers.py)


@dataclass(frozen=True)
class CheckStep:
    kind: str  # "when" | "then"
    parser: object
    template: str | Callable[..., str]

    def check_id(self, values: dict) -> str:
        params = {k: catalog.slug(v) for k, v in values.items() if isinstance(v, (str, int))}
        return self.template(**params) if callable(self.template) else self.template.format(**params)


REGISTRY: list[CheckStep] = []


def example_of(request: pytest.FixtureRequest) -> dict:
    callspec = getattr(request.node, "callspec", None)
    return dict(callspec.params.get("_pytest_bdd_example", {})) if callspec else {}


def _check_step(kind: str, sentence: str, template, target_fixture: str | None = None, regex: bool = False):
    parser = parsers.re(sentence) if regex else parsers.parse(sentence)
    spec = CheckStep(kind, parser, template)
    REGISTRY.append(spec)
    decorator = {"given": given, "then": then, "when": when}[kind]

    def wrap(fn):
        sig = inspect.signature(fn)
        wants_request = "request" in sig.parameters
        wants_id = "check_id" in sig.parameters  # a step that judges by id (steps/judged.py)
        params = [p for p in sig.parameters.values() if p.name != "check_id"]
        if not wants_request:
            params.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD))

        @functools.wraps(fn)
        def step(*args, **kwargs):
            __tracebackhide__ = True
            request = kwargs["request"] if wants_request else kwargs.pop("request")
            check_id = spec.check_id({**example_of(request), **kwargs})
            try:
                result = fn(*args, **kwargs, **({"check_id": check_id} if wants_id else {}))
            except ConnectionLost as exc:  # reported once per host, as the host's: the rest is not judged
                if exc.remote.lost_reported:
                    pytest.skip(N_("not judged: the SSH connection to {host} was lost").format(host=exc.host))
                exc.remote.lost_reported = True
                exc.check_id = "host.preflight"
                raise
            except PreconditionFailure as exc:
                exc.check_id = check_id
                raise
            except CheckFailure as exc:
                exc.check_id = check_id
                opt = request.config.option
                deviation = deviations.known(check_id, opt.profile, getattr(opt, "edition", None),
                                             exc.result.cause)
                if deviation is None:
                    waived(request, check_id, exc)  # returns only when a waiver covers it
                    return None
                request.node.stash.setdefault(DEVIATION_KEY, []).append(
                    (check_id, deviation.reason, exc.result.found))
                return None
            if isinstance(result, Result) and result.warning:
                request.node.stash.setdefault(WARNING_KEY, []).append((check_id, result.warning))
            if isinstance(result, Result):
                request.node.stash.setdefault(NOTE_KEY, []).extend((check_id, n) for n in result.notes)
            return result

        step.__signature__ = sig.replace(parameters=[p for p in params if p.name != "check_id"])
        return decorator(parser, target_fixture=target_fixture, stacklevel=2)(step)

    return wrap


def waived(request: pytest.FixtureRequest, check_id: str, exc: CheckFailure) -> None:
    """A failed check an active waiver covers on this host: noted as waived. Otherwise the failure is raised, saying
    so when a waiver covered it until a day now past."""
    __tracebackhide__ = True
    import dataclasses

    from suite.hosts import item_host_name
    from suite.waivers import find

    waivers = request.config.stash.get(WAIVERS_KEY, [])
    active, expired = find(waivers, check_id, item_host_name(request.node) or "") if waivers else (None, None)
    if active is not None:
        request.node.stash.setdefault(WAIVED_KEY, []).append(
            (check_id, active.justification + active.until(), exc.result.found))
        return
    if expired is not None:
        failure = CheckFailure(dataclasses.replace(exc.result, found=(
            f"{exc.result.found} (its waiver expired on {expired.expires.isoformat()}: {expired.justification})")))
        failure.check_id = check_id
        raise failure from None
    raise exc


def declared(check_id: str, target_fixture: str | None = None):
    """The step of a declared check (checks/catalog.py): its sentence and keyword are the declaration's; a family
    is named by its id template (``members.{format}.exact``)."""
    check = next(c for c in catalog.CHECKS.values() if check_id in (c.id, c.family))
    return _check_step(check.kind, check.step, check.family or check.id, target_fixture, regex="(?P<" in check.step)


def check_then(sentence: str, check_id, regex: bool = False):
    """A Then step that runs the check ``check_id`` (a template of the step's parameters)."""
    return _check_step("then", sentence, check_id, regex=regex)


def check_when(sentence: str, check_id, target_fixture: str | None = None, regex: bool = False):
    """A When step that is itself a check (e.g. "etcd is stopped with systemctl")."""
    return _check_step("when", sentence, check_id, target_fixture, regex)


def check_given(sentence: str, check_id, target_fixture: str | None = None):
    """A Given step that is itself a check (e.g. "a key written to etcd and the member's ID noted")."""
    return _check_step("given", sentence, check_id, target_fixture)


_TEMPLATE_CHECKS: dict[tuple, tuple] = {}


def template_checks(template, example: dict) -> list[str]:
    """The check ids a scenario template runs with one example row, in step order (worked out once per template
    and row: every host's scenario asks the same)."""
    key = (id(template), tuple(sorted((k, str(v)) for k, v in example.items())))
    known = _TEMPLATE_CHECKS.get(key)
    if known is None or known[0] is not template:
        known = _TEMPLATE_CHECKS[key] = (template, tuple(_template_checks(template, example)))
    return list(known[1])


def _template_checks(template, example: dict) -> list[str]:
    out: list[str] = []
    kind = ""
    for step in template.render(example).steps:
        kind = step.type or kind
        matching = [s for s in REGISTRY if s.kind == kind and s.parser.is_matching(step.name)]
        if len(matching) > 1:  # pytest-bdd would pick one of them: the sentence must say which check it is
            raise ValueError(f"step {step.name!r} matches several check steps: "
                             f"{', '.join(str(s.template) for s in matching)}")
        for spec in matching:
            cid = spec.check_id({**example, **(spec.parser.parse_arguments(step.name) or {})})
            if cid not in out:
                out.append(cid)
    return out


def scenario_checks(item: pytest.Item) -> list[str]:
    """The check ids an item's scenario runs, in step order (empty for tests that are not scenarios)."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    if template is None:
        return ["host.preflight"] if getattr(item, "originalname", "") == "test_preflight" else []
    callspec = getattr(item, "callspec", None)
    return template_checks(template, dict(callspec.params.get("_pytest_bdd_example", {})) if callspec else {})
