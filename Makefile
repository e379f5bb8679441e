# mqlb — one plain Makefile.
#   make            build ./mqlb (release, -O2)
#   make check      install deps, build with ASan+UBSan, run every test tier
#   make fuzz       libFuzzer targets for FUZZ_SECONDS each (default 60)
#   make bench      the benchmarks under bench/ (print ratios against peers)
#   make lab        the study on the embedded default (see README)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        the Debian package in build/deb (packaging/deb)
#   make format     clang-format the tree
#
# Sources are found by wildcard: a new file in src/<component>/ is built with no
# edit here. src/mqlb.c holds main(); everything else links into tests too.

VERSION     := 0.1.0
CC          ?= cc
CLANG       ?= clang
PREFIX      ?= /usr/local
DESTDIR     ?=
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 3
# the test build (three flavours of every object) uses every core unless make -j was given
CHECK_JOBS  ?= $(if $(findstring j,$(filter-out --%,$(MAKEFLAGS))),,-j$(shell nproc 2>/dev/null || echo 1))

WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers \
            -Wno-format-truncation  # bounded snprintf truncation is intended where used
ifeq ($(CI),true)
WARN     += -Werror
endif
CPPFLAGS += -D_GNU_SOURCE -DMQLB_VERSION=\"$(VERSION)\" -Isrc -MMD -MP
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -pthread
LDLIBS   += -lnftables -lmnl -lssl -lcrypto -lm -pthread

# Quiet by default (one line per file, like the kernel); V=1 shows the commands.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = printf '  %-6s %s\n' $(1) $(2);
endif

LIB_SRC  := $(sort $(wildcard src/*/*.c))
MAIN_SRC := src/mqlb.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

# release build
REL      := build/rel
REL_OBJ  := $(LIB_SRC:%.c=$(REL)/%.o)
# test build: sanitizers on
SAN      := build/san
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_OBJ  := $(LIB_SRC:%.c=$(SAN)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(SAN)/unit/%)
# fuzz build: clang + libFuzzer
FUZ      := build/fuzz
# UB must end the run: without -fno-sanitize-recover UBSan reports and goes on, and
# a target would pass with undefined behaviour in it
FUZZFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-unknown-warning-option
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZ)/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZ)/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(REL)/bench/%)

.PHONY: all check test-build unit fuzz fuzz-build bench lab install uninstall format clean deps readme
all: mqlb

mqlb: $(REL)/mqlb
	$(Q)ln -sf $(REL)/mqlb mqlb

$(REL)/mqlb: $(REL)/src/mqlb.o $(REL_OBJ)
	$(Q)$(call say,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(REL)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(SAN)/mqlb: $(SAN)/src/mqlb.o $(SAN_OBJ)
	$(Q)$(call say,LD,$@)$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(SAN)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(SAN)/unit/%: tests/unit/%.c $(SAN_OBJ)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -o $@ $(filter %.c %.o,$^) -lcmocka $(LDLIBS)

$(FUZ)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call say,CLANG,$@)$(CLANG) $(CPPFLAGS) $(CFLAGS) $(FUZZFLAGS) -c -o $@ $<

$(FUZ)/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CLANG) $(CPPFLAGS) $(CFLAGS) -O1 -g -Wno-unknown-warning-option -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ $(filter %.c %.o,$^) $(LDLIBS)

$(REL)/bench/%: bench/%.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(Q)$(call say,LD,$@)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

deps:
	@scripts/install-deps

test-build: $(SAN)/mqlb $(REL)/mqlb $(UNIT_BIN) $(FUZZ_BIN)

# Every tier that exists: unit (cmocka), integration (real mosquitto, nft in
# namespaces), vm (real IPVS in a QEMU microVM), fuzz (short). The runner closes
# with "N passed, N failed" and exits non-zero if anything failed.
check: deps
	@$(MAKE) --no-print-directory $(CHECK_JOBS) test-build
	@MQLB=$(CURDIR)/$(SAN)/mqlb MQLB_REL=$(CURDIR)/$(REL)/mqlb FUZZ_DIR=$(CURDIR)/$(FUZ) \
		FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) tests/run $(UNIT_BIN) \
		$(sort $(wildcard tests/integration/*.sh)) $(sort $(wildcard tests/vm/test_*.sh)) \
		$(if $(FUZZ_BIN),tests/fuzz/run-all.sh)

unit: $(UNIT_BIN)
	@tests/run $(UNIT_BIN)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_DIR=$(CURDIR)/$(FUZ) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-all.sh

bench: $(REL)/mqlb $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	@for b in $(sort $(wildcard bench/*.sh)); do echo "== $$b"; MQLB=$(CURDIR)/$(REL)/mqlb $$b || exit 1; done

lab: deps mqlb
	./mqlb lab run $(LAB_ARGS)

install: $(REL)/mqlb
	install -D -m 0755 $(REL)/mqlb $(DESTDIR)$(PREFIX)/bin/mqlb
	@for m in $(wildcard docs/*.1); do \
		echo install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/$$(basename $$m); \
		install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/$$(basename $$m); done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mqlb $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(wildcard docs/*.1)))

readme:
	scripts/readme

# make deb: the Debian package mqlb_$(VERSION)_<arch>.deb in $(DEB_OUT). Its
# binary is built apart, in build/deb/rel, with Debian's hardening flags
# (dpkg-buildflags: fortify, stack protector, relro, now), so the package does
# not depend on how build/rel was last built; packaging/deb/mkdeb lays out and
# builds the package (needs dpkg-dev, no root).
DEB_OUT ?= build/deb
.PHONY: deb
deb:
	@command -v dpkg-buildflags >/dev/null || { echo "make deb: dpkg-buildflags not found (apt-get install dpkg-dev)" >&2; exit 1; }
	$(Q)export DEB_BUILD_MAINT_OPTIONS=hardening=+all; \
	CFLAGS="$$(dpkg-buildflags --get CFLAGS)" CPPFLAGS="$$(dpkg-buildflags --get CPPFLAGS)" \
	LDFLAGS="$$(dpkg-buildflags --get LDFLAGS)" \
	$(MAKE) --no-print-directory REL=build/deb/rel build/deb/rel/mqlb
	$(Q)packaging/deb/mkdeb --version $(VERSION) --binary build/deb/rel/mqlb --out $(DEB_OUT)

format:
	clang-format -i $(wildcard src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c bench/*.c)

clean:
	rm -rf build mqlb

-include $(shell find build -name '*.d' 2>/dev/null)
