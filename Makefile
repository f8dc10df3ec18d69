# ovirt_ext.deploy: every step a fresh Debian 12 machine needs, from system packages to the lab.
# `make demo` and `make test` are the two entry points; the rest are the steps they are made of.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTIONS := .build/collections
SANITY_ROOT := .build/sanity/ansible_collections/ovirt_ext/deploy
PORT ?= 8443
VMS ?= 10

# Podman reads our settings (runc, no default ulimits, netavark) from this file, never from /etc.
export CONTAINERS_CONF := $(CURDIR)/tests/lab/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Molecule scenarios stay in molecule/ at the top level, as our users asked.
export MOLECULE_GLOB := molecule/*/molecule.yml
export PATH := $(CURDIR)/$(BIN):$(PATH)

SYSTEM_PACKAGES := podman runc netavark aardvark-dns iptables debootstrap gcc libxml2-dev python3-dev python3-venv rsync openssl

.PHONY: demo test system-deps venv collection images lint sanity build units molecule bench \
	lab-up lab-down lab-engine clean

demo: venv images lab-up
	ansible-playbook site.yml
	@echo
	@echo "The lab engine is at https://localhost:18443/ovirt-engine/api (admin@internal / ovirt-lab,"
	@echo "CA in .lab/ovirt-ext-lab-ca.pem); its Administration Portal page lists the UI plugin at"
	@echo "https://localhost:18443/ovirt-engine/webadmin/. Containers: podman ps (CONTAINERS_CONF=tests/lab/containers.conf)."
	@echo "Remove the lab with 'make lab-down'."

test: venv
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint sanity build units images molecule; \
	echo "make test: all steps passed in $$(( $$(date +%s) - start )) s"

# System packages (root, apt). Skipped when everything is already installed.
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

venv: system-deps $(VENV)/.installed collection

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	# `source .venv/bin/activate` then gives `molecule test` and ansible the same settings as make.
	grep -q ovirt_ext.deploy $(BIN)/activate || printf '%s\n' \
		'# ovirt_ext.deploy settings' \
		'export CONTAINERS_CONF="$(CURDIR)/tests/lab/containers.conf"' \
		'export ANSIBLE_CONFIG="$(CURDIR)/ansible.cfg"' \
		'export MOLECULE_GLOB="molecule/*/molecule.yml"' >> $(BIN)/activate
	touch $@

# Ansible finds the collection under its namespace path; a link keeps edits live.
collection: $(COLLECTIONS)/ansible_collections/ovirt_ext/deploy
$(COLLECTIONS)/ansible_collections/ovirt_ext/deploy:
	mkdir -p $(@D)
	ln -sfn $(CURDIR) $@

images: system-deps
	bash tests/lab/images/build.sh

lint: venv
	yamllint -s .
	ansible-lint --profile production

# ansible-test wants the collection at ansible_collections/NS/NAME and no symlink loops: copy
# the files git knows about (tracked or new, not ignored) into such a tree. The copy gets a git
# index of its own, or ansible-test would see it as an ignored part of this checkout.
sanity: venv
	mkdir -p ~/.ansible/test/cache
	cp tests/tooling/get_pip.py ~/.ansible/test/cache/get_pip_24_2.py
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- . $(SANITY_ROOT)/
	cd $(SANITY_ROOT) && git init -q && git add -A
	cd $(SANITY_ROOT) && ansible-test sanity --venv --python 3.11 --color no

# The published tarball: it must hold none of the tests, the lab, Molecule or CI files.
build: venv
	ansible-galaxy collection build --force --output-path .build/dist
	@if tar tzf .build/dist/ovirt_ext-deploy-*.tar.gz | grep -E '^(tests|molecule|inventory|\.ci|\.config)/'; then \
		echo "build: the files above must not be in the tarball (galaxy.yml build_ignore)"; exit 1; fi

units: venv
	python -m pytest -q -n 2 tests/unit tests/lab/tests tests/modules

molecule: venv images
	molecule test --all

bench: venv
	for b in tests/bench/bench_*.py; do echo "== $$b"; python $$b; done

lab-up: venv images
	ansible-playbook tests/lab/playbooks/lab-up.yml

lab-down: venv
	ansible-playbook tests/lab/playbooks/lab-down.yml

# The lab engine alone, in the foreground, on 127.0.0.1:$(PORT).
lab-engine: venv
	mkdir -p .lab
	cd tests/lab && ../../$(BIN)/python -m ovirt_lab.engine --listen 127.0.0.1 --port $(PORT) \
		--vms $(VMS) --state-dir ../../.lab/engine --ca-out ../../.lab/ca.pem

clean: lab-down
	rm -rf .build .lab tests/output
