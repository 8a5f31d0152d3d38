# The two commands: `make grade` and `make test`. Everything else is for instructors.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUBMISSIONS ?= submissions
REPORTS ?= reports
# JOBS: submissions graded at once; empty means one per core (each job needs about 240 MB)
JOBS ?=
SEED ?=
GRADE_FLAGS ?=

.PHONY: help venv venv-test sandbox test test-fast grade stubs lab data bench release autograder check clean examples

help:
	@echo "make grade    grade every submission in $(SUBMISSIONS)/ into $(REPORTS)/"
	@echo "make test     run the test suite"
	@echo "make stubs    regenerate assignment/ stubs from solutions/"
	@echo "make lab      open the notebooks in JupyterLab"
	@echo "make data     fetch CIFAR-10 into data/ (needs network access)"
	@echo "make bench    print the benchmark figures"

# The virtual environment gets the runtime pins (requirements.txt) for grading, and the test
# suite's packages too (requirements-test.txt) before the tests; each step reruns when its file changes.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed

venv-test: $(VENV)/.installed-test

test: venv-test
	$(PY) -m pytest -q

test-fast: venv-test
	$(PY) -m pytest -q -m "not slow"

# bubblewrap sandboxes student code. Installed where this machine allows (root with apt);
# elsewhere the grader runs with weaker isolation and says so loudly.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) ; } \
	  || echo "warning: bubblewrap is not installed; see README, 'How student code is isolated'"

grade: venv sandbox
	$(PY) -m grader grade --each $(SUBMISSIONS) --out $(REPORTS) $(if $(JOBS),--jobs $(JOBS)) $(if $(SEED),--seed $(SEED)) $(GRADE_FLAGS)

stubs: venv
	$(PY) -m tools.stubs

lab: venv
	$(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab notebooks/

data: venv
	$(PY) data/get_cifar10.py

bench: venv
	$(PY) bench/batchnorm_backward.py
	$(PY) bench/grading_speed.py
	$(PY) bench/diagnosis_cost.py

release: venv
	$(PY) -m tools.release

check: venv
	$(PY) -m assignment.public_checks $(CHECKS)

clean:
	rm -rf $(REPORTS) dist .pytest_cache

autograder: venv
	$(PY) -m tools.autograder.build

examples: venv
	$(PY) -m tools.make_examples
