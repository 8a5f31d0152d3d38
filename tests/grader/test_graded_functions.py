"""One list of graded functions: the hidden-test catalogue's. The rubric, the handout's stubs and
the public checks must agree with it, so adding a graded function is the function, one test
module entry and one rubric table, and nothing else needs a count changed."""
import ast

from grader.hidden_tests.catalogue import CATALOGUE, GRADED_FUNCTIONS
from grader.rubric import load_rubric
from tests.support import ROOT


def defined_in(path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_every_graded_function_has_tests_and_a_rubric_table_and_nothing_else_does():
    rubric = load_rubric()
    assert set(rubric.groups) == {t.group for t in CATALOGUE} == set(GRADED_FUNCTIONS)


def test_every_graded_function_is_a_stub_in_the_handout_and_solved_in_the_solutions():
    for folder in ("assignment", "solutions"):
        defined = set().union(*(defined_in(ROOT / folder / name)
                                for name in ("layers.py", "fc_net.py", "optim.py")))
        assert set(GRADED_FUNCTIONS) <= defined, folder


def test_the_public_checks_cover_exactly_the_graded_functions():
    from assignment.public_checks import CHECKS
    assert set(CHECKS) == set(GRADED_FUNCTIONS)
