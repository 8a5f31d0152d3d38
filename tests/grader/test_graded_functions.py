"""One list of graded functions: the hidden-test catalogue's. The rubric, the handout's stubs and
the public checks must agree with it, so adding a graded function is the function, one test
module entry and one rubric table, and nothing else needs a count changed."""
import ast
import io
import tokenize

import nbformat

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


def graded_calls(notebook) -> set[str]:
    """The graded functions a notebook's provided code cells name, import statements aside."""
    names = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code" or "provided" not in cell.metadata.get("tags", []):
            continue
        statement_start, importing = True, False
        for token in tokenize.generate_tokens(io.StringIO(cell.source).readline):
            if token.type == tokenize.NEWLINE:
                statement_start, importing = True, False
            elif token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                importing |= statement_start and token.string in ("import", "from")
                statement_start = False
                if token.type == tokenize.NAME and not importing:
                    names.add(token.string)
    return names & set(GRADED_FUNCTIONS)


def test_the_rubric_names_the_functions_each_notebook_exercises():
    """A notebook's points rest on the hidden tests of the functions it calls: the rubric's
    table must list exactly those, for every notebook of the handout."""
    exercises = load_rubric().notebooks.exercises
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert set(exercises) == {p.name for p in notebooks}
    for path in notebooks:
        assert set(exercises[path.name]) == graded_calls(path), path.name
