# -*- coding: utf-8 -*-
# This file is PRIVATE to the ovirt_ext.deploy collection: it may change or go away
# without notice. Do not import it from other collections.
#
# Engine-host modules import it, so it stays compatible with Python 3.6 (EL8).
"""Plans: the list of calls that turn the current state into the wanted one.

Every module of the collection works the same way: check the input (``fail_on_input_errors``),
read the current state, compute a plan (each step a call with a human description), then

- in check mode, report the plan without running it;
- with ``--diff``, report the before/after views;
- report ``changed`` exactly when the plan has steps;
- otherwise run the steps in order.
"""


class Step(object):
    """One call of a plan.

    ``repeatable`` says whether running the call twice has the same effect as running
    it once; the API client retries only such calls when an answer is lost.
    """

    def __init__(self, description, action, repeatable):
        self.description = description
        self.action = action
        self.repeatable = repeatable


class Plan(object):
    def __init__(self):
        self.steps = []

    def add(self, description, action, repeatable=True):
        self.steps.append(Step(description, action, repeatable))

    @property
    def descriptions(self):
        return [step.description for step in self.steps]


def fail_on_input_errors(module, errors):
    """Fails the module, before any change, with every problem of its input at once."""
    if errors:
        module.fail_json(msg='; '.join(errors))


def run_in_order(plan):
    """The plain way to apply a plan: each step's action, one after the other."""
    for step in plan.steps:
        step.action()


def carry_out(module, plan, before, after, apply=run_in_order, **result):
    """Apply ``plan`` unless in check mode; return the module result.

    ``before`` and ``after`` are the views of the state that ``--diff`` shows;
    ``apply`` runs the steps (in order by default); ``result`` holds the module's
    own return values.
    """
    result.update(changed=bool(plan.steps), plan=plan.descriptions)
    if module._diff:
        result['diff'] = dict(before=before, after=after)
    if plan.steps and not module.check_mode:
        apply(plan)
    return result
