# convnet-vis: the three commands of the README, plus a few conveniences.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup notebooks site test test-fast benchmark lab strip sync classroom gallery

setup:            ## create .venv and install everything (runtime + tests)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements-dev.txt

notebooks:        ## the main job: execute the notebooks offline, then build the course site (open build/index.html)
	$(BIN)/python scripts/run_notebooks.py
	$(MAKE) site

AUDIENCE ?= teachers
site:             ## the course site and slides from build/executed/ (AUDIENCE=students: no answers, build/site-students/)
	$(BIN)/python scripts/build_site.py --audience $(AUDIENCE)

test:             ## the test suite (what CI runs)
	$(BIN)/python -m pytest

test-fast:        ## the edit loop: everything but notebook runs, browsers and real classroom servers
	$(BIN)/python -m pytest -m "not notebook and not browser and not server" -n auto --maxprocesses 4

benchmark:        ## speed ratios of each technique, measured in one run
	$(BIN)/python benchmarks/run_all.py

lab:              ## open the notebooks interactively
	$(BIN)/jupyter lab notebooks/

strip:            ## remove outputs from the notebooks before committing (and number the cell ids 0, 1, ...)
	$(BIN)/nbstripout notebooks/*.ipynb

sync:             ## after editing a notebook's .py (or its .ipynb in Jupyter): update its twin, then strip
	$(BIN)/jupytext --sync notebooks/*.py
	$(MAKE) strip

PORT ?= 8765
WORKERS ?= auto
classroom:        ## serve the explorers to a whole class (PORT=..., CLASSROOM_HOST=0.0.0.0 for the LAN, WORKERS=N processes)
	PORT=$(PORT) CLASSROOM_PROCESSES=$(WORKERS) $(BIN)/python scripts/classroom.py

gallery:          ## regenerate the README's pictures in docs/images/
	$(BIN)/python scripts/make_gallery.py
