"""The rubric is loaded and checked in one place; a mistake names its key and line."""
import pytest

from grader.rubric import Group, RubricError, load_rubric
from tests.support import SHIPPED_RUBRIC


def broken(tmp_path, old: str, new: str):
    text = SHIPPED_RUBRIC.read_text()
    assert old in text, old
    path = tmp_path / "rubric.toml"
    path.write_text(text.replace(old, new, 1))
    line = text[: text.index(old)].count("\n") + 1
    return path, line


@pytest.mark.parametrize("old, new, message", [
    ("[groups.adam]\npoints = 3", "[groups.adam]\npoints = -3", "groups.adam.points must be a number >= 0"),
    ("[groups.adam]\npoints = 3", "[groups.adam]\npointz = 3", "groups.adam.pointz is not a rubric key"),
    ('visibility = "visible"\nshapes', 'visibility = "public"\nshapes',
     "defaults.visibility must be one of"),
    ('shapes = "lenient"', 'shapes = "loose"', "defaults.shapes must be one of"),
    ("dependency_credit = 1.0", "dependency_credit = 2", "defaults.dependency_credit must be between"),
    ("cell_timeout = 120", 'cell_timeout = 120\nonly = "Dropout.ipynb"', "notebooks.only must be a list"),
    ("cpu_seconds = 120", "cpu_seconds = 0", "limits.hidden_tests.cpu_seconds must be a whole number > 0"),
])
def test_a_bad_value_names_its_key_and_line(tmp_path, old, new, message):
    path, line = broken(tmp_path, old, new)
    with pytest.raises(RubricError, match=message) as error:
        load_rubric(path)
    offset = new.split("\n").index(next(l for l in new.split("\n") if l not in old.split("\n")))
    assert f"{path}:{line + offset}:" in str(error.value)


def test_unparsable_toml_says_where(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text("[groups.adam\npoints = 3\n")
    with pytest.raises(RubricError, match=r"line 1"):
        load_rubric(path)


def test_defaults_live_in_the_rubric_module_only(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text("[groups.adam]\npoints = 3\n")
    rubric = load_rubric(path)
    assert rubric.groups["adam"] == Group(points=3)
    assert rubric.submission_timeout == 1800 and rubric.notebooks.run
    with pytest.raises(AttributeError):
        rubric.groups["adam"].points = 4                        # frozen


def test_notebook_limits_that_cannot_fit_the_submission_limit_are_refused(tmp_path):
    """Four notebooks of 600 s in an 1800 s submission: the worker was stopped while the last
    ones ran, and every finished hidden test was thrown away with it."""
    path, _ = broken(tmp_path, "notebook_timeout = 300", "notebook_timeout = 600")
    with pytest.raises(RubricError, match="cannot hold 4 notebooks of notebooks.notebook_timeout "
                                          "= 600 s each") as error:
        load_rubric(path)
    line = SHIPPED_RUBRIC.read_text().split("submission_timeout = 1800")[0].count("\n") + 1
    assert f"{path}:{line}: limits.submission_timeout" in str(error.value)
    assert "at most 435 s" in str(error.value)


@pytest.mark.parametrize("old, new, message", [
    ('"Dropout.ipynb" = ["dropout_forward"', '"Dropout.ipynb" = ["dropout_fwd"',
     "notebooks.exercises.Dropout.ipynb names dropout_fwd, which no"),
    ('"Dropout.ipynb" = ["dropout_forward", "dropout_backward", "FullyConnectedNet"]\n', "",
     "notebooks.per_notebook.Dropout.ipynb has points but notebooks.exercises names no functions"),
])
def test_notebook_points_need_the_functions_they_rest_on(tmp_path, old, new, message):
    path, _ = broken(tmp_path, old, new)
    with pytest.raises(RubricError, match=message):
        load_rubric(path)
