"""A network test that failed because a layer raises or answers wrong, run again with that
layer answered from a table.

When the student's network raises in (or is thrown off by) a broken layer, comparing it with
the composition of its own layers (composition.py) says nothing: the network never finished,
or its answer rests on the broken layer's. So the grader

1. composes the student's layers leniently: every layer that raises or answers wrong is
   noted broken and the reference's answer carries the composition on;
2. composes again with the broken layers (forward and backward) answered by the reference
   from the start, recording each of their calls: inputs, answer, what it wrote back;
3. runs the test again, the student's network calling, in place of each broken layer, a
   stand-in that answers from that table (grader/hidden_tests/child/runner.py: substituted).
   Only numbers enter the student's process, never the reference's code. A stand-in called
   on inputs the composition never gave it (the network's own code is wrong) raises.

A network that now passes the test (against the reference, with its other layers its own)
is right but for the broken layers: RELIES_ON_WRONG, the report naming them. One that does
not keeps its first result.
"""
from __future__ import annotations

import contextvars
import copy

from grader.hidden_tests.composition import FORWARD_OF, CannotCompose, Composer
from grader.hidden_tests.dependencies import DIAGNOSES, relies_on
from grader.results import Outcome, TestResult

# The "model" requests a test made (to replay), and the tables of its second run.
REQUESTS: contextvars.ContextVar = contextvars.ContextVar("network_requests", default=None)
TABLES: contextvars.ContextVar = contextvars.ContextVar("network_tables", default=None)
JUDGED = (Outcome.RAISED, Outcome.FAILED) + DIAGNOSES


def prepared(request: dict) -> dict:
    """The request to send: noted for a replay, and carrying the tables on the replay."""
    noted = REQUESTS.get()
    if noted is not None:
        noted.append(request)
    tables = TABLES.get()
    return {**request, "substitutes": tables} if tables and request.get("runs") else request


def compose_runs(student, reference, settings, init, runs, **options):
    """Composer over `runs` (the request's format); None when a layer stops it."""
    composer = Composer(student, reference, settings, init, **options)
    params = None
    try:
        for run in runs:
            params = run.get("params") or params
            composer.run(params, run["X"], run.get("y"), not run.get("loss_only"))
    except (CannotCompose, ValueError):
        return None
    return composer


def replacement_tables(student, reference, settings, request):
    """(broken functions, tables for the child, functions used), or None when the network's
    layers are all right or the composition cannot be recorded."""
    init, runs = request["init"], request.get("runs") or []
    checked = [run for run in runs if not run.get("loss_only")]
    found = compose_runs(student, reference, settings, init, checked, lenient=True)
    if found is None or not found.broken:
        return None
    replaced = {FORWARD_OF.get(name, name) for name in found.broken}
    recorded = compose_runs(student, reference, settings, init, runs, replaced=replaced)
    if recorded is None or set(recorded.broken) - replaced:
        return None
    return found.broken, recorded.tables, recorded.used


def with_layers_replaced(result: TestResult, replay, student, reference, settings,
                         requests: list) -> TestResult:
    """`result`, or RELIES_ON_WRONG when replay() (the test run again, its model requests
    carrying the tables) passes with the broken layers answered from the tables."""
    if result.passed or result.outcome not in JUDGED or not requests:
        return result
    if result.outcome is Outcome.RAISED and result.data.get("status") != "raised":
        return result
    request = next((r for r in reversed(requests) if r.get("runs")), None)
    if request is None:
        return result
    found = replacement_tables(student, reference, settings, request)
    if found is None:
        return result
    broken, tables, used = found
    token = TABLES.set(tables)
    try:
        again = replay()
    finally:
        TABLES.reset(token)
    if not again.passed:
        return result
    own = [copy.copy(finding) for finding in again.findings if finding.role == "reference"]
    return relies_on(result, own, broken, "substituted", used)
