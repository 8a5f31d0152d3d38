"""End to end against hostile submissions: each case is a real submission (a folder or a zip)
made from the reference solutions with one hostile change, graded through the real CLI
(`python -m grader grade ... --jobs 2`) together with the reference submission, and judged
by outcome from the written reports: the tests the hostile change touches fail with a clear
message, every other test scores exactly what the reference scores in the same run, every
report is complete, and nothing the student started survives the run or reaches outside.

The unit-level proofs (sandbox, child process, intake, tamper) live in their own test files;
here the whole pipeline has to hold together.
"""
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from grader.isolation.sandbox import UID_POOL
from grader.hidden_tests.catalogue import CATALOGUE
from tests.support import (ROOT, overridden, results_in, run_grader, sandbox_level, solution,
                           write_rubric)

NOTEBOOK = "NormalizationForConvFeatures.ipynb"   # the shortest notebook (a few seconds)
OPTIMIZERS = {"sgd_momentum", "rmsprop", "adam"}
SEED = 7
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def level():
    """Without a sandbox this corpus would run a fork bomb unbounded as the grader's user."""
    if sandbox_level() == "none":
        pytest.skip("no sandbox on this machine: hostile code is not run")
    return sandbox_level()


def needs_bubblewrap(level):
    if level != "bubblewrap":   # documented: the unprivileged uid reads world-readable files
        pytest.skip("at 'unprivileged-user' student code can read and write /tmp")


# --------------------------------------------------------------------------- rubrics


def rubric_copy(path: Path, *, notebooks: bool) -> Path:
    """The shipped rubric with notebooks off (or on for NOTEBOOK only), 3 s per sgd_momentum
    test (where the endless loops are: they cost 3 s, not 10), 40 s per rmsprop test (the
    memory bomb must meet the memory limit, not the time limit: it fills 1 GiB page by page,
    slow on a loaded machine) and 1 GiB of address space (a child needs 0.2 GiB)."""
    return write_rubric(path, {
        "groups": {"sgd_momentum": {"timeout": 3}, "rmsprop": {"timeout": 40}},
        "notebooks": {"only": [NOTEBOOK]},
        "limits": {"hidden_tests": {"memory_bytes": 1 << 30}}}, notebooks=notebooks)


# --------------------------------------------------------------------------- hostile code

# Written into the submissions with the report folder's path etc. filled in (str.format).

ENDLESS_LOOP = """
def sgd_momentum(w, dw, config=None):
    while True:
        pass
"""

MEMORY_BOMB = """
def rmsprop(w, dw, config=None):
    hoard = []
    for _ in range(64):                    # 8 GiB at most, should the limit ever be gone
        hoard.append(np.ones(1 << 24))     # 128 MiB, every page touched
    return w, config
"""

SYS_EXIT = """
def adam(w, dw, config=None):
    import sys
    sys.exit(0)
"""

OS_EXIT = """
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    import os
    os._exit(0)
"""

FORK_BOMB = """
def sgd_momentum(w, dw, config=None):
    import os, time
    while True:              # every process forks on; at the process limit, they retry
        try:
            os.fork()
        except OSError:
            time.sleep(0.05)
"""

# A double-forked daemon started at import; sgd_momentum's answer is off by one unless it
# really started, so a daemon that never ran cannot pass for a protection that worked.
DAEMON = """
import os as _os, time as _time


def _vandalise(roots, seconds):
    until = _time.time() + seconds
    while _time.time() < until:
        for root in roots:
            for folder, _, files in _os.walk(root):
                for name in files:
                    if name in ("results.json", "report.md"):
                        try:
                            with open(_os.path.join(folder, name), "w") as f:
                                f.write("PWNED by a daemon")
                        except OSError:
                            pass
        _time.sleep(0.5)


def _start_daemon():
    pid = _os.fork()
    if pid == 0:
        try:
            _os.setsid()
            if _os.fork() == 0:
                _time.sleep(3)
                _vandalise([{reports!r}, {decoys!r}], 120)
            _os._exit(0)
        except BaseException:
            _os._exit(1)
    return _os.waitpid(pid, 0)[1] == 0


_DAEMON_STARTED = _start_daemon()
_sgd_momentum = sgd_momentum


def sgd_momentum(w, dw, config=None):
    next_w, config = _sgd_momentum(w, dw, config)
    return next_w + (0.0 if _DAEMON_STARTED else 1.0), config
"""

PRINT_FLOOD = """
_rmsprop, _adam = rmsprop, adam


def rmsprop(w, dw, config=None):
    print("x" * (50 << 20))                        # 50 MB on every call
    return _rmsprop(w, dw, config)


def adam(w, dw, config=None):
    print("adam: dw =", dw.tolist(), "-" * 100_000)    # a verbose debug print (100 kB)
    return _adam(w, dw, config)
"""

NUMPY_PATCH = """
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None

_spatial_groupnorm_forward = spatial_groupnorm_forward


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    out, cache = _spatial_groupnorm_forward(x, gamma, beta, G, gn_param)
    return out + 1.0, cache                        # wrong, and "equal" by numpy's say-so
"""

# Looks for what it must not see: reference solutions (a layers.py with the handout's markers
# and a line only the solution has), the rubric, other students' reports. Walks up from its
# own folder and from the cwd, then searches / (bounded in entries and time).
SNOOP_SEARCH = """
import os as _os, time as _time
from collections import deque as _deque

# {{file name: what its content must hold}} (/usr/share/doc has report.md files of its own)
_LOOT = {{"layers.py": ("START OF YOUR CODE", {solution_line!r}),
         "rubric.toml": ("[groups.",), "results.json": ('"tests"', '"score"'),
         "report.md": ("Grading report",), "gradebook.csv": ("submission,score",)}}


def _is_loot(path):
    markers = _LOOT.get(_os.path.basename(path))
    if not markers or _os.path.realpath(path) == _os.path.realpath(__file__):
        return False
    try:
        with open(path, errors="replace") as f:
            text = f.read(1 << 20)
    except OSError:
        return False
    return all(marker in text for marker in markers)


def _loot():
    starts = []
    for here in (_os.path.dirname(_os.path.abspath(__file__)), _os.getcwd()):
        while True:
            starts.append(here)
            if here == _os.path.dirname(here):
                break
            here = _os.path.dirname(here)
    found, seen, deadline = set(), set(), _time.monotonic() + 3.0
    for start in starts:                           # nearest folders first, "/" last
        queue, budget = _deque([start]), 20000
        while queue and budget > 0 and _time.monotonic() < deadline:
            folder = queue.popleft()
            if folder in seen or folder in ("/proc", "/sys", "/dev"):
                continue
            seen.add(folder)
            try:
                entries = list(_os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                budget -= 1
                try:
                    if entry.is_dir(follow_symlinks=False):
                        queue.append(entry.path)
                    elif entry.is_file(follow_symlinks=False) and _is_loot(entry.path):
                        found.add(entry.path)
                except OSError:
                    pass
    return found
"""

SNOOP = SNOOP_SEARCH + """

_FOUND = len(_loot())
_spatial_groupnorm_forward = spatial_groupnorm_forward


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    out, cache = _spatial_groupnorm_forward(x, gamma, beta, G, gn_param)
    return out + _FOUND, cache
"""

# Writes outside scratch: the workspace (its own folder, the cwd), the repository, the
# reports. Each success adds 1 to the answer. /tmp is private inside the sandbox (writable
# there), so that write is checked from outside instead.
WRITES = """
import os as _os


def _try_write(path):
    try:
        with open(path, "w") as f:
            f.write("written by a student")
        return 1
    except OSError:
        return 0


_sgd_momentum = sgd_momentum


def sgd_momentum(w, dw, config=None):
    here = _os.path.dirname(_os.path.abspath(__file__))
    count = sum(_try_write(path) for path in [
        _os.path.join(here, "pwned.txt"),
        _os.path.join(_os.getcwd(), "pwned.txt"),
        _os.path.join(here, _os.pardir, "data", "pwned.txt"),
        {repo_file!r},
        {solutions_file!r},
        {reports_file!r},
    ])
    _try_write({tmp_file!r})
    next_w, config = _sgd_momentum(w, dw, config)
    return next_w + count, config
"""

# Folders nested deeper than Python's recursion limit, in scratch (where it may write): the
# grader's cleanup of the job folder used to crash on them and lose the whole report.
DEEP_SCRATCH = """
_sgd_momentum = sgd_momentum


def sgd_momentum(w, dw, config=None):
    import os
    fd = os.open(os.environ["HOME"], os.O_RDONLY)
    try:
        for _ in range(1100):
            os.mkdir("d", dir_fd=fd)
            fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(parent)
    except OSError:
        pass                                       # made on an earlier call
    os.close(fd)
    return _sgd_momentum(w, dw, config)
"""


# 2 GiB (in 8 MiB files, under the per-file limit) and 100,000 files into HOME in one call,
# which would fill the machine's disk under the students graded beside it; its own tmpfs
# fills instead, and this function alone fails (every call: the tmpfs stays full).
DISK_FILLER = """
def sgd_momentum(w, dw, config=None):
    import os
    home, chunk = os.environ["HOME"], b"x" * (8 << 20)
    for i in range(256):
        with open(os.path.join(home, "fill%d" % i), "wb") as f:
            f.write(chunk)
    for i in range(100_000):
        open(os.path.join(home, "many%d" % i), "w").close()
    return w, config
"""


def tagged_notebook() -> bytes:
    """A cell of the student's own that raises, tagged so that nbclient would ignore it."""
    notebook = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if c.get("id") == "convnorm-05")
    cell = nbformat.v4.new_code_cell('raise ValueError("hidden behind a tag")')
    cell.metadata["tags"] = ["raises-exception"]
    notebook.cells.insert(at + 1, cell)
    return nbformat.writes(notebook).encode()


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One hostile submission: files laid over the reference solutions (a folder), or a zip."""

    name: str
    files: dict = field(default_factory=dict)      # {file name: text or bytes}
    broken: set = field(default_factory=set)       # every test of these functions must fail
    words: tuple = ()                              # ... with one of these in its output
    zip_members: dict | None = None                # {member name: bytes}: a .zip instead

    def build(self, folder: Path) -> Path:
        if self.zip_members is not None:
            path = folder / f"{self.name}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
                for member, data in self.zip_members.items():
                    archive.writestr(member, data)
            return path
        path = folder / self.name
        path.mkdir()
        for name in ("layers.py", "fc_net.py", "optim.py"):
            (path / name).write_text(solution(name))
        for name, data in self.files.items():
            (path / name).write_bytes(data if isinstance(data, bytes) else data.encode())
        return path


def units():
    return {test.function for test in CATALOGUE}


def solution_only_line() -> str:
    """A line of solutions/layers.py that the handout's stub does not have."""
    stub = set((ROOT / "assignment" / "layers.py").read_text().splitlines())
    return next(line.strip() for line in solution("layers.py").splitlines()
                if len(line.strip()) > 30 and line not in stub and not line.strip().startswith("#"))


def zip_of_solutions(prefix: str = "") -> dict:
    return {prefix + name: solution(name).encode() for name in ("layers.py", "fc_net.py", "optim.py")}


def broken_notebook() -> bytes:
    """Valid JSON, but one cell has no source: nbformat.read only logs that."""
    notebook = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text())
    del notebook["cells"][5]["source"]
    return json.dumps(notebook).encode()


def tampered_notebook() -> bytes:
    notebook = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    cell = next(c for c in notebook.cells if c.get("id") == "convnorm-05")
    cell.source = 'print("relative error: 0.00e+00 -- ALL CHECKS PASSED")   # nothing to see here'
    return nbformat.writes(notebook).encode()


# --------------------------------------------------------------------------- running


class HTMLChecker(HTMLParser):
    """Every closing tag closes the innermost open one."""
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def live_processes(*marks: Path) -> list[str]:
    """'pid uid: command line' of the live processes whose command line names one of `marks`.
    Every process of a grade run does: workers name the report folder; sandboxes, their
    children and their forks name the job folder (the run's TMPDIR), which other grader runs
    on this machine (tests running in parallel) do not use."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        zombie = re.search(r"^State:\s+Z", status, re.M)
        if not zombie and int(pid) != os.getpid() and any(str(m) in cmdline for m in marks):
            found.append(f"{pid} {uid}{' (sandbox uid)' if uid in UID_POOL else ''}: {cmdline[:300]}")
    return found


def snapshot(*folders: Path) -> dict:
    return {str(p): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Run:
    out: Path
    results: dict          # {submission: results.json}
    stdout: str
    finished: float        # time.time() when the grader exited
    leftovers: list        # processes of the run alive after it (live_processes)
    jobs: list             # what the run left in its temporary folder
    reports: dict          # snapshot of out/ right after the run


def grade(sources: list[Path], out: Path, rubric: Path) -> Run:
    # The run's own TMPDIR (job folders, scratch), short: kernel sockets live in scratch.
    jobs = Path(tempfile.mkdtemp(prefix="hx-", dir="/tmp"))
    done = run_grader(["grade", *sources, "--out", out, "--jobs", 2, "--seed", SEED,
                       "--rubric", rubric], tmpdir=jobs, timeout=600)
    finished = time.time()
    time.sleep(0.5)   # stop() returns once the sandbox's processes are gone; allow for reaping
    results = results_in(out)
    left = sorted(p.name for p in jobs.iterdir())
    leftovers = live_processes(out, jobs)
    if not leftovers:
        subprocess.run(["rm", "-rf", str(jobs)])   # any depth (see DEEP_SCRATCH)
    return Run(out, results, done.stdout, finished, leftovers, left, snapshot(out))


# --------------------------------------------------------------------------- the corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, level):
    folder = tmp_path_factory.mktemp("hostile")
    out = folder / "reports"
    decoys = folder / "decoys"          # on the host's /tmp, where a daemon would look
    decoys.mkdir()
    (decoys / "results.json").write_text('{"score": 100}\n')
    (decoys / "report.md").write_text("# someone else's report\n")
    token = secrets.token_hex(6)
    targets = {
        "repo_file": str(ROOT / "grader" / f"pwned-{token}.txt"),
        "solutions_file": str(ROOT / "solutions" / f"pwned-{token}.txt"),
        "reports_file": str(out / f"pwned-{token}.txt"),
        "tmp_file": f"/tmp/pwned-{token}.txt",
    }
    escaped = folder / "escaped" / "layers.py"     # where a '..' member would land
    absolute = folder / "absolute" / "layers.py"
    layers_units = units() - OPTIMIZERS
    cases = [
        Case("reference"),
        Case("endless_loop", {"optim.py": overridden("optim.py", ENDLESS_LOOP)},
             {"sgd_momentum"}, ("timed out",)),
        Case("memory_bomb", {"optim.py": overridden("optim.py", MEMORY_BOMB)},
             {"rmsprop"}, ("MemoryError", "memory")),
        Case("sys_exit", {"optim.py": overridden("optim.py", SYS_EXIT)},
             {"adam"}, ("sys.exit(0)",)),
        Case("os_exit", {"layers.py": overridden("layers.py", OS_EXIT)},
             {"spatial_groupnorm_forward", "spatial_groupnorm_backward"}, ("exited with code 0",)),
        Case("fork_bomb", {"optim.py": overridden("optim.py", FORK_BOMB)},
             {"sgd_momentum"}, ("timed out",)),
        Case("daemon", {"optim.py": overridden("optim.py", DAEMON.format(
            reports=str(out), decoys=str(decoys)))}),
        Case("print_flood", {"optim.py": overridden("optim.py", PRINT_FLOOD)},
             {"rmsprop"}, ("File too large",)),
        Case("numpy_patch", {"layers.py": overridden("layers.py", NUMPY_PATCH)},
             {"spatial_groupnorm_forward"}, ("relative error",)),
        Case("snoop", {"layers.py": overridden("layers.py", SNOOP.format(
            solution_line=solution_only_line()))}),
        Case("writes", {"optim.py": overridden("optim.py", WRITES.format(**targets))}),
        Case("deep_scratch", {"optim.py": overridden("optim.py", DEEP_SCRATCH)}),
        Case("zip_traversal", zip_members={
            **zip_of_solutions("hw/"),
            "../" * 16 + str(escaped).lstrip("/"): solution("layers.py").encode(),
            str(absolute): solution("layers.py").encode()}),
        Case("zip_bomb", zip_members={**zip_of_solutions(), "bomb/layers.py": bytes(48 << 20)}),
        Case("broken_notebook", {NOTEBOOK: broken_notebook()}),
        Case("syntax_error", {"layers.py": solution("layers.py") + "\n\ndef broken(:\n    pass\n"},
             layers_units, ("SyntaxError",)),
        Case("import_crash", {"optim.py": solution("optim.py")
                              + '\nraise RuntimeError("crashed at import on purpose")\n'},
             OPTIMIZERS, ("crashed at import on purpose",)),
    ]
    if level == "bubblewrap":   # elsewhere it would write 10 GB to this machine's disk
        cases.append(Case("disk_filler", {"optim.py": overridden("optim.py", DISK_FILLER)},
                          {"sgd_momentum"}, ("No space left on device",)))
    submissions = folder / "submissions"
    submissions.mkdir()
    sources = [case.build(submissions) for case in cases]
    decoy_snapshot = snapshot(decoys)
    run = grade(sources, out, rubric_copy(folder / "rubric.toml", notebooks=False))
    return {"run": run, "cases": {case.name: case for case in cases}, "targets": targets,
            "escaped": escaped, "absolute": absolute, "decoys": decoys,
            "decoy_snapshot": decoy_snapshot, "submissions": submissions}


@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    """Notebooks executed (NOTEBOOK only): the reference, a tampered check cell, a corrupt file,
    a failing cell of the student's tagged raises-exception."""
    folder = tmp_path_factory.mktemp("hostile-notebooks")
    cases = [Case("reference", {NOTEBOOK: (ROOT / "notebooks" / NOTEBOOK).read_bytes()}),
             Case("tampered", {NOTEBOOK: tampered_notebook()}),
             Case("corrupt", {NOTEBOOK: b'{"cells": [ this is not json'}),
             Case("tagged", {NOTEBOOK: tagged_notebook()})]
    sources = [case.build(folder) for case in cases]
    return grade(sources, folder / "reports", rubric_copy(folder / "rubric.toml", notebooks=True))


def function_tests(result: dict) -> dict:
    return {t["name"]: t for t in result["tests"] if not t["name"].startswith("notebook ")}


def function_of(name: str) -> str:
    return name.split(": ", 1)[0]


def check_outcome(run: Run, case: Case):
    """The case's broken functions fail with a clear message; everything else scores exactly
    what the reference scores in the same run."""
    reference, mine = function_tests(run.results["reference"]), function_tests(run.results[case.name])
    assert set(mine) == set(reference), f"{case.name}: not every test was graded"
    for name, test in mine.items():
        function = function_of(name)
        if function in case.broken:
            assert test["status"] == "failed" and test["score"] == 0, name
            assert any(word in test["output"] for word in case.words), \
                f"{name}: none of {case.words} in {test['output'][:500]!r}"
        else:
            assert test["score"] == reference[name]["score"] and test["status"] == "passed", \
                f"{case.name} / {name}: {test['output'][:500]}"


# --------------------------------------------------------------------------- the tests


def test_reference_scores_full_marks(corpus):
    reference = function_tests(corpus["run"].results["reference"])
    assert len(reference) >= len(CATALOGUE)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in reference.values())


def test_every_submission_gets_a_complete_report(corpus, notebook_run):
    for run, names in ((corpus["run"], set(corpus["cases"])),
                       (notebook_run, {"reference", "tampered", "corrupt", "tagged"})):
        assert set(run.results) == names
        reference_size = (run.out / "reference" / "results.json").stat().st_size
        for name, result in run.results.items():
            folder = run.out / name
            assert result["extra_data"]["seed"] == SEED
            assert result["extra_data"]["isolation"] == sandbox_level()
            assert not result["extra_data"].get("error"), (name, result["extra_data"]["error"])
            assert abs(result["score"] - sum(t["score"] for t in result["tests"])) < 1e-6
            for file in ("results.json", "report.md", "report.html"):
                size = (folder / file).stat().st_size     # a 50 MB print stays out
                assert 0 < size < 2 * reference_size + 100_000, (name, file, size)
            assert "# " in (folder / "report.md").read_text()
            checker = HTMLChecker()
            checker.feed((folder / "report.html").read_text())
            checker.close()
            assert checker.stack == [], (name, checker.stack)
            assert not list(folder.glob(".*.tmp")), name
        assert (run.out / "gradebook.csv").exists()


@pytest.mark.parametrize("name", ["endless_loop", "memory_bomb", "sys_exit", "os_exit",
                                  "fork_bomb", "print_flood", "numpy_patch", "syntax_error",
                                  "import_crash", "deep_scratch"])
def test_a_hostile_function_costs_its_own_tests_only(corpus, name):
    check_outcome(corpus["run"], corpus["cases"][name])


def test_nothing_the_students_started_survives_the_run(corpus, notebook_run):
    for run in (corpus["run"], notebook_run):
        assert run.leftovers == [], "\n".join(run.leftovers)
        assert run.jobs == [], "temporary folders left behind"
    # The fork bomb hit the process limit, not the machine: the students graded beside it
    # kept every mark (checked for each case above), and this process can still fork.
    assert subprocess.run(["true"]).returncode == 0


def test_a_daemon_cannot_rewrite_reports_after_the_run(corpus):
    run = corpus["run"]
    check_outcome(run, corpus["cases"]["daemon"])        # it started: sgd_momentum passes
    time.sleep(max(0.0, run.finished + 5.0 - time.time()))
    assert snapshot(run.out) == run.reports
    assert snapshot(corpus["decoys"]) == corpus["decoy_snapshot"]
    assert "PWNED" not in "".join(p.read_text() for p in run.out.glob("*/results.json"))


def test_a_flood_of_output_fails_the_flooding_function_and_spares_the_next(corpus):
    run = corpus["run"]
    check_outcome(run, corpus["cases"]["print_flood"])   # adam prints too, and keeps its marks
    flood = function_tests(run.results["print_flood"])
    assert all(len(t["output"]) < 20_000 for t in flood.values())


def test_a_full_scratch_is_the_filling_students_own_fault(corpus, level):
    needs_bubblewrap(level)        # elsewhere scratch is the host's disk, with no quota
    run = corpus["run"]
    check_outcome(run, corpus["cases"]["disk_filler"])    # everyone else: full marks
    for test in function_tests(run.results["disk_filler"]).values():
        if function_of(test["name"]) == "sgd_momentum":
            assert "Your code filled its own scratch space (at most 64 MiB in 10000 files" \
                in test["output"], test["output"][:800]


def test_numpy_comparisons_patched_by_the_student_do_not_fool_the_grader(corpus):
    check_outcome(corpus["run"], corpus["cases"]["numpy_patch"])


def test_student_code_finds_no_solutions_rubric_or_reports(corpus, level):
    needs_bubblewrap(level)
    check_outcome(corpus["run"], corpus["cases"]["snoop"])   # found nothing: passes
    # The same search, run outside the sandbox from the submission's folder, does find loot
    # (the reference submission beside it): the search itself works.
    snoop = corpus["submissions"] / "snoop" / "layers.py"
    code = SNOOP_SEARCH.format(solution_line=solution_only_line())
    outside = subprocess.run(
        [sys.executable, "-c", f"__file__ = {str(snoop)!r}\n{code}\nprint(len(_loot()))"],
        cwd=snoop.parent, capture_output=True, text=True, timeout=60)
    assert int(outside.stdout.strip()) > 0, outside.stderr


def test_writes_outside_scratch_fail(corpus, level):
    needs_bubblewrap(level)
    check_outcome(corpus["run"], corpus["cases"]["writes"])  # no write succeeded: passes
    targets = corpus["targets"]
    try:
        for path in targets.values():
            assert not Path(path).exists(), f"a student wrote {path}"
    finally:
        for path in targets.values():
            Path(path).unlink(missing_ok=True)
    assert not list((corpus["run"].out).rglob("pwned*"))


def test_zip_members_that_escape_are_refused_and_the_rest_graded(corpus):
    run = corpus["run"]
    check_outcome(run, corpus["cases"]["zip_traversal"])
    assert not corpus["escaped"].exists() and not corpus["absolute"].exists()
    assert not corpus["escaped"].parent.exists() and not corpus["absolute"].parent.exists()
    output = run.results["zip_traversal"]["output"]
    assert "refused: path contains '..'" in output and "refused: absolute path" in output


def test_a_zip_bomb_is_refused_and_the_rest_graded(corpus):
    run = corpus["run"]
    check_outcome(run, corpus["cases"]["zip_bomb"])
    assert "bomb/layers.py' refused" in run.results["zip_bomb"]["output"]
    assert "zip bomb" in run.results["zip_bomb"]["output"]


def test_a_notebook_with_invalid_cells_is_replaced_and_costs_nothing_else(corpus):
    run = corpus["run"]
    check_outcome(run, corpus["cases"]["broken_notebook"])
    assert f"{NOTEBOOK} could not be read" in run.results["broken_notebook"]["output"]


def executed_sources(run: Run, name: str) -> dict:
    notebook = nbformat.read(run.out / name / "notebooks" / NOTEBOOK, as_version=4)
    return {cell.get("id"): cell for cell in notebook.cells}


def test_a_tampered_check_cell_is_restored_and_reported(notebook_run):
    result = notebook_run.results["tampered"]
    pristine = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    number = next(i for i, c in enumerate(pristine.cells, 1) if c.get("id") == "convnorm-05")
    assert f"provided cell {number} was modified; the original was restored" in result["output"]
    check = next(c for c in pristine.cells if c.get("id") == "convnorm-05")
    executed = executed_sources(notebook_run, "tampered")["convnorm-05"]
    assert executed.source == check.source
    printed = "".join(o.get("text", "") for o in executed.outputs)
    assert "channels 1.. after changing channel 0" in printed and "ALL CHECKS PASSED" not in printed
    tests = {t["name"]: t for t in result["tests"]}
    assert tests[f"notebook {NOTEBOOK}: runs to the end"]["status"] == "passed"
    reference = function_tests(notebook_run.results["reference"])
    assert {n: t["score"] for n, t in function_tests(result).items()} == \
        {n: t["score"] for n, t in reference.items()}


def test_a_corrupt_notebook_is_reported_and_the_pristine_one_run(notebook_run):
    result = notebook_run.results["corrupt"]
    assert f"{NOTEBOOK} could not be read" in result["output"]
    pristine = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    executed = executed_sources(notebook_run, "corrupt")
    assert {k: c.source for k, c in executed.items()} == {c.get("id"): c.source for c in pristine.cells}
    notebook = {t["name"]: t for t in result["tests"]}[f"notebook {NOTEBOOK}: runs to the end"]
    assert notebook["score"] == 0 and "earns no points" in notebook["output"]   # not the student's
    reference = function_tests(notebook_run.results["reference"])
    assert {n: t["score"] for n, t in function_tests(result).items()} == \
        {n: t["score"] for n, t in reference.items()}


def test_notebooks_only_runs_the_notebooks_it_names(notebook_run):
    executed = sorted(p.name for p in (notebook_run.out / "reference" / "notebooks").glob("*.ipynb"))
    assert executed == [NOTEBOOK]
    notebook_tests = [t["name"] for t in notebook_run.results["reference"]["tests"]
                      if t["name"].startswith("notebook ")]
    assert notebook_tests == [f"notebook {NOTEBOOK}: runs to the end"]


def test_a_students_cell_cannot_hide_its_error_behind_a_tag(notebook_run):
    result = notebook_run.results["tagged"]
    tests = {t["name"]: t for t in result["tests"]}
    main = tests[f"notebook {NOTEBOOK}: runs to the end"]
    assert main["status"] == "failed" and "ValueError: hidden behind a tag" in main["output"]
    assert "is tagged raises-exception; the grader runs your cells without these tags" \
        in result["output"]
