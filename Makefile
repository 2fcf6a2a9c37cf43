# make check HOSTS=server (or bin/check server, which needs no make): audit your own host(s) (only a Python environment is set up)
# make demo: set everything up, then run the features against the local lab (reports in reports/)
# make test: set everything up, then run the project's whole test suite
SHELL := /bin/bash
# Python may keep the bytecode it compiles (__pycache__/, ignored by git): each of the many Python processes
# a run starts would otherwise compile the project and assertion-rewrite its steps again (~0.45 s of CPU each)
unexport PYTHONDONTWRITEBYTECODE
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PACKAGES := systemd-container debootstrap iproute2 openssh-client ca-certificates chromium
PYTEST_ARGS ?=
# the project's tests run in groups side by side (tests/conftest.py: tests that share lab hosts stay together)
TEST_WORKERS ?= 4

.PHONY: setup system venv binaries image demo test unit down clean bench check catalog

setup: system venv binaries image

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed-audit: requirements-audit.txt
	@test -x $(PY) || { $(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1 && $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; } || \
	  { rm -rf $(VENV); echo "make: $(PYTHON) cannot make a virtual environment (no ensurepip): sudo apt-get install -y python3-venv"; exit 1; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-audit.txt
	@touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.installed-audit
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

# audit hosts as they are, over SSH with your own ~/.ssh/config and known_hosts; nothing on them changes
check: $(VENV)/.installed-audit
	@test -n "$(HOSTS)" || { echo "usage: make check HOSTS=server[,node-0] [SSH_CONFIG=FILE] [EDITION=kthw-current]"; exit 2; }
	$(PY) -m pytest features/ --hosts=$(HOSTS) $(if $(SSH_CONFIG),--ssh-config=$(SSH_CONFIG)) $(if $(EDITION),--edition=$(EDITION)) $(PYTEST_ARGS)

binaries: venv
	@$(PY) -m provision.binaries --source debian
	@$(PY) -m provision.binaries --source debian-trixie --dest .cache/binaries/debian-trixie
	@$(PY) -m provision.binaries --source debian-trixie --arch arm64 --dest .cache/binaries/debian-trixie-arm64

image: venv system
	@$(PY) -m provision.lab image

demo: setup
	@$(PY) -m provision.render -o units/etcd.service
	$(PY) -m pytest features/ $(PYTEST_ARGS)
	@echo "demo: the lab host is still up: ssh -F .lab/ssh_config server   (make down to stop it)"

unit: venv
	$(PY) -m pytest tests/ -m "not lab" --junitxml=reports/unit-junit.xml $(PYTEST_ARGS)

test: setup
	@mkdir -p reports
	$(PY) -m pytest tests/ -n $(TEST_WORKERS) --junitxml=reports/tests-junit.xml --durations=15 $(PYTEST_ARGS) ; rc=$$?; \
	$(PY) -m pytest features/ $(PYTEST_ARGS) ; rc2=$$?; \
	$(PY) -m provision.lab down ; \
	exit $$(( rc || rc2 ))

down:
	$(PY) -m provision.lab down

bench: setup
	$(PY) bench/lab.py
	$(PY) bench/suite.py
	$(PY) bench/audit.py

clean: down
	rm -rf reports/*.xml reports/*.html reports/*.json .lab/certs

# the translations (core/i18n.py): extract the messages with Babel (babel.cfg), merge them into each language's
# catalogue (locale/<lang>/LC_MESSAGES/kthw.po, translated there), compile the .mo the suite reads (committed)
catalog: venv
	PYTHONPATH=. $(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output --omit-header \
	  --project=kthw-etcd -o locale/kthw.pot .
	$(VENV)/bin/pybabel -q update -i locale/kthw.pot -d locale -D kthw --no-fuzzy-matching --ignore-pot-creation-date --ignore-obsolete
	$(VENV)/bin/pybabel compile -d locale -D kthw --statistics
