# Everything a newcomer needs: `make demo` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-kernel install clean reference goldens

# A .venv whose Python no longer runs (moved, upgraded away) or is older than the package needs is
# made anew rather than left half-working.
VENV_OK := $(shell $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo yes)
ifneq ($(VENV_OK),yes)
$(shell rm -rf $(VENV))
endif

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "toolkit needs Python 3.11 or newer: make PYTHON=python3.11")'
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

# Exit status 1 means "findings were reported", which is what the demo is for.
demo: $(STAMP)
	$(BIN)/toolkit check patches/int3-call-emulation-v1.mbox; test $$? -le 1

# ruff: pyflakes (unused or undefined names) and the order of imports, as pyproject.toml says.
# The rows marked slow run too; `pytest -m 'not slow and not kernel'` leaves them out by hand.
test: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/pytest -q

# Integration tests on real kernel trees (never part of `make test`); each test skips, with its
# reason, when no tree is there. TOOLKIT_KERNEL_TREES=dir:dir picks other trees.
test-kernel: $(STAMP)
	$(BIN)/pytest -q -m kernel

# Debian's linux-source packages, unpacked into .kernels/ (gitignored): only arch/x86, include
# and scripts are kept. The .deb holds /usr/src/linux-source-X.Y.tar.xz.
KERNEL_VERSIONS ?= 6.1 6.12
.PHONY: kernel-trees
kernel-trees:
	mkdir -p .kernels
	cd .kernels && for v in $(KERNEL_VERSIONS); do \
	  test -d linux-source-$$v && continue; \
	  apt-get download linux-source-$$v || exit 1; \
	  dpkg-deb --fsys-tarfile linux-source-$${v}_*.deb \
	    | tar -xO ./usr/src/linux-source-$$v.tar.xz \
	    | tar -xJ linux-source-$$v/arch/x86 linux-source-$$v/include linux-source-$$v/scripts \
	    || exit 1; \
	  rm -f linux-source-$${v}_*.deb; \
	done

# Era trees for the int3 batch tests (tests/kernel/test_patching_kernel.py): a 2025-era
# alternative.c (smp_text_poke_* names, v6.16 or later), which no package of the archive
# carries, taken from any public tree you have, in a tree of links to 6.1's files whose
# text-patching.h has the constant's 2025 name. Laid down in .kernels/era-2025 (gitignored).
.PHONY: kernel-eras
kernel-eras: kernel-trees
	@test -n "$(ALTERNATIVE_2025)" || { echo "usage: make kernel-eras ALTERNATIVE_2025=path/to/alternative.c"; exit 2; }
	grep -q smp_text_poke_int3_handler "$(ALTERNATIVE_2025)" || { echo "$(ALTERNATIVE_2025): not of the 2025 era"; exit 2; }
	rm -rf .kernels/era-2025
	cp -rs "$(CURDIR)/.kernels/linux-source-6.1" .kernels/era-2025
	rm .kernels/era-2025/arch/x86/kernel/alternative.c .kernels/era-2025/arch/x86/include/asm/text-patching.h
	cp "$(ALTERNATIVE_2025)" .kernels/era-2025/arch/x86/kernel/alternative.c
	sed 's/\bPOKE_MAX_OPCODE_SIZE\b/TEXT_POKE_MAX_OPCODE_SIZE/' \
	  .kernels/linux-source-6.1/arch/x86/include/asm/text-patching.h \
	  > .kernels/era-2025/arch/x86/include/asm/text-patching.h

# The reference model ships made (toolkit/states/reference.json); after a change to the templates,
# the code generator or the header parser, make it anew (the test suite says when).
reference: $(STAMP)
	$(BIN)/python -c "from toolkit.states import reference; reference.write_shipped()"

# Every golden artefact written anew from what the toolkit does now (the .expected findings and
# outputs, the codegen goldens, reference.json), then the difference shown: commit it only when
# every changed line is a change you meant.
goldens: $(STAMP)
	$(BIN)/python tests/goldens.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
