"""The steps of every check judged on gathered evidence: one step per declared sentence (checks/catalog.py).

Each runs the declaration's judgement on the host's answers (``Target.judge``); the check id comes from the
sentence's parameters and the scenario's example row, as the declaration's family writes it. The steps are
bound at module level: pytest-bdd registers a step's fixture in the module that declares it.
"""

import inspect
import re

from checks import catalog
from core.evidence import require
from suite.checkstep import declared


def step_for(check: catalog.Check):
    """A step function of the declared sentence: its parameters are the sentence's."""
    def step(target, check_id, **_sentence_params):
        return require(target.judge(check_id))

    names = ("target", "check_id", *re.findall(r"{(\w+)}", check.step))
    step.__signature__ = inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                            for n in names])
    step.__name__ = "judge_" + re.sub(r"\W+", "_", check.family or check.id)
    return step


for _check in {c.step: c for c in reversed(catalog.judged()) if c.step}.values():
    globals()[step_for(_check).__name__] = declared(_check.family or _check.id)(step_for(_check))
