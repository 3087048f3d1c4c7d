# Thin wrapper over CMake. Every target installs missing Debian packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= 2
CMAKE_ARGS ?=
# make install: where (the unit names PREFIX/bin/cdx), and a staging root.
PREFIX     ?= /usr/local
DESTDIR    ?=
# make deb: the package, its build log and lintian's report go here.
DEB_BUILD  ?= build-deb
# make fuzz: seconds per target, which targets, and the compiler (libFuzzer)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= proto manifest receipt agreement card keyfile cert auditexport control
FUZZ_CC      ?= clang
# Largest input worth trying per target: just above what each parser accepts
# (every target in fuzz/CMakeLists.txt must have one). cert: a certificate
# (2048) or a directory of a few certificates, not a directory's full 1 MiB;
# auditexport has no limit of its own: a few dozen entries. control: a few frames (one
# may be 64 KiB, but the parser's paths are all in the small ones).
FUZZ_MAXLEN_proto       = 8200
FUZZ_MAXLEN_manifest    = 4100
FUZZ_MAXLEN_receipt     = 4100
FUZZ_MAXLEN_agreement   = 4100
FUZZ_MAXLEN_card        = 2100
FUZZ_MAXLEN_keyfile     = 160
FUZZ_MAXLEN_cert        = 8192
FUZZ_MAXLEN_auditexport = 16384
FUZZ_MAXLEN_control     = 4096

.PHONY: all deps build check check-asan install deb deb-install-check demo fuzz bench soak clean

# No "Entering directory" lines from the make that CMake's build runs.
MAKEFLAGS += --no-print-directory

all: build

deps:
	@./tools/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

check: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

check-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCDX_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

# cdx, cdx(1), the bash completion, the unit (cdx@.service), sysusers.d,
# tmpfiles.d and the docs under PREFIX (default /usr/local), or a staging
# root with DESTDIR=DIR. cdx-gen-apc (test data) is not installed.
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

# The Debian package from the working tree, built in $(DEB_BUILD)/src and
# left as $(DEB_BUILD)/cdx_VERSION_ARCH.deb; lintian must report no error
# (its report: $(DEB_BUILD)/lintian.txt).
deb: deps
	@./tools/install-deps.sh debhelper dpkg-dev fakeroot lintian
	@./tools/deb.sh $(DEB_BUILD)

# That package installed with apt into a fresh Debian 12 root (debootstrap,
# cached under $(DEB_BUILD)/), where cdx --version, man cdx, the user cdx
# and cdx init as that user must work. Needs root.
deb-install-check: deb
	@./tools/install-deps.sh debootstrap
	@./tools/deb-install-check.sh $(DEB_BUILD)

# Runs each fuzz target for FUZZ_SECONDS over fuzz/corpus/TARGET/, adding the
# new inputs it finds there (commit them or not: your choice). Crashes and
# leaks are written to fuzz/ (crash-*, leak-*; ignored by git) and stop the run.
fuzz:
	@./tools/install-deps.sh clang libclang-rt-14-dev
	@$(foreach t,$(FUZZ_TARGETS),test -n "$(FUZZ_MAXLEN_$(t))" || { echo "Makefile: no FUZZ_MAXLEN_$(t)" >&2; exit 2; } && ) true
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCDX_FUZZ=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@$(foreach t,$(FUZZ_TARGETS),\
	    echo "== fuzz_$(t) for $(FUZZ_SECONDS) s" && mkdir -p fuzz/corpus/$(t) && \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(FUZZ_BUILD)/fuzz/fuzz_$(t) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAXLEN_$(t)) \
	        -print_final_stats=1 -artifact_prefix=fuzz/ fuzz/corpus/$(t) && ) true

# Long robustness runs, not part of make check: every tests/soak/*.sh
# against the build (e.g. 200 SIGKILL/restart cycles of a transfer).
soak: build
	@set -e; for t in tests/soak/*.sh; do \
	    echo "== $$t"; CDX=$(CURDIR)/$(BUILD)/cdx CDX_GEN=$(CURDIR)/$(BUILD)/cdx-gen-apc sh $$t; \
	done

# The demo builds quietly (the compiler's output only if the build fails).
demo: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@echo "building cdx in $(BUILD)/ ..."
	@cmake --build $(BUILD) -j$(JOBS) >$(BUILD)/build.log 2>&1 || \
	    { cat $(BUILD)/build.log; echo "the build failed (log in $(BUILD)/build.log)"; exit 1; }
	@./tools/demo.sh $(BUILD)

# The benchmark suite on loopback (bench/README.md): writes bench/results/.
# BENCH_QUICK=1 for a smoke run of small sizes. Installs its own extras: an
# OpenSSH server for the scp baseline, GNU time, bc, gnuplot for the plots.
bench: build
	@./tools/install-deps.sh openssh-server openssh-client time bc gnuplot-nox
	@./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(DEB_BUILD)/src $(DEB_BUILD)/root
