# paas: one non-recursive Makefile. `make` builds bin/, `make test` runs
# every test (unit, then integration), `make run` starts the platform.
# Objects go to build/. Sections below are per program; list sources
# explicitly (no wildcards) so a stray file can't get linked in.

.DEFAULT_GOAL := all
SHELL := /bin/bash

B	:= build
BIN	:= bin

# Debian packages the build, the tests and the platform need.
DEBS	:= build-essential pkg-config git libuv1-dev libsqlite3-dev \
	   libjansson-dev libgit2-dev libcmocka-dev node-llhttp \
	   libcurl4-openssl-dev libarchive-dev libyaml-dev libseccomp-dev \
	   libssl-dev sqlite3 curl iproute2 procps psmisc

PKGS	:= libuv sqlite3 jansson libgit2 libcurl libarchive yaml-0.1 \
	   libseccomp openssl

LLHTTP_SRC := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp

CC	?= cc
CFLAGS	?= -O2 -g
WARN	:= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla \
	   -Wno-format-nonliteral
PAAS_CFLAGS = -std=c11 -D_GNU_SOURCE -DLLHTTP_STRICT_MODE=1 $(WARN) -MMD -MP \
	   -Ilib -I$(LLHTTP_INC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PAAS_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
TEST_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

# make SANITIZE=address,undefined test
ifdef SANITIZE
PAAS_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif
# the user's flags come last and are never replaced
ALL_CFLAGS = $(PAAS_CFLAGS) $(CPPFLAGS) $(CFLAGS)

# ---------------------------------------------------------------- llhttp
# Debian ships llhttp's generated C sources in node-llhttp but no library:
# build them here, strict, with their own (relaxed) warnings.
LLHTTP_A := $(B)/llhttp.a
LLHTTP_OBJS := $(B)/llhttp/api.o $(B)/llhttp/http.o $(B)/llhttp/llhttp.o

$(B)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DLLHTTP_STRICT_MODE=1 -w -I$(LLHTTP_INC) -c -o $@ $<

$(LLHTTP_A): $(LLHTTP_OBJS)
	$(AR) rcs $@ $^

# ---------------------------------------------------------------- common
# Each program section lists its sources, adds itself to PROGS, its unit
# tests to UNIT_TESTS and its integration tests to INTEGRATION, and has
# its own link rules. A program's CORE is everything but its main.c;
# its unit tests link the CORE.
PROGS		:=
UNIT_TESTS	:=
INTEGRATION	:=

core_of = $(patsubst %.c,$(B)/%.o,$(filter-out %/main.c,$(1)))
objs_of = $(patsubst %.c,$(B)/%.o,$(1))
link = $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) \
	    $(LLHTTP_A) $(PAAS_LIBS)
tlink = $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) \
	    $(LLHTTP_A) $(PAAS_LIBS) $(TEST_LIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# ---------------------------------------------------------------- lib
LIB_SRCS := lib/buf.c lib/slice.c lib/perr.c lib/log.c lib/parse.c \
	    lib/valid.c
LIBPAAS := $(B)/libpaas.a

$(LIBPAAS): $(call objs_of,$(LIB_SRCS))
	$(AR) rcs $@ $^

UNIT_LIB := tests/unit/lib/test_buf tests/unit/lib/test_parse \
	    tests/unit/lib/test_valid
UNIT_TESTS += $(UNIT_LIB)
$(addprefix $(B)/,$(UNIT_LIB)): $(B)/%: $(B)/%.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)



# ---------------------------------------------------------------- daemon
PAASD_SRCS :=



# ---------------------------------------------------------------- cli
PAAS_SRCS :=



# ---------------------------------------------------------------- router
ROUTER_SRCS := router/main.c router/route.c router/head.c router/conn.c \
	       router/upstream.c router/accesslog.c router/metrics.c
PROGS += paas-router
$(BIN)/paas-router: $(call objs_of,$(ROUTER_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	@mkdir -p $(@D)
	$(link)
$(call objs_of,$(ROUTER_SRCS)): | $(LLHTTP_A)

UNIT_ROUTER := tests/unit/router/test_route tests/unit/router/test_head \
	       tests/unit/router/test_conn tests/unit/router/test_accesslog
UNIT_TESTS += $(UNIT_ROUTER)
$(addprefix $(B)/,$(UNIT_ROUTER)): $(B)/%: $(B)/%.o \
	    $(call core_of,$(ROUTER_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	$(tlink)
$(B)/tests/unit/router/%.o: ALL_CFLAGS += -Irouter

# make fuzz [FUZZ_SECONDS=60]: clang libFuzzer over the head parser, with
# the seed corpus in tests/fuzz/corpus/head (new finds go to build/).
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DLLHTTP_STRICT_MODE=1 -g -O1 \
	-fsanitize=fuzzer,address,undefined -Ilib -Irouter -I$(LLHTTP_INC)
FUZZ_SRCS := tests/fuzz/fuzz_head.c router/head.c router/route.c \
	lib/buf.c lib/slice.c lib/parse.c lib/perr.c lib/valid.c \
	$(LLHTTP_SRC)/api.c $(LLHTTP_SRC)/http.c $(LLHTTP_SRC)/llhttp.c
$(B)/fuzz/fuzz_head: $(FUZZ_SRCS) router/head.h router/router.h
	@mkdir -p $(@D) $(B)/fuzz/corpus-head
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS) $(shell pkg-config --libs jansson)
.PHONY: fuzz bench-router
fuzz: $(B)/fuzz/fuzz_head
	./$(B)/fuzz/fuzz_head -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
	    $(B)/fuzz/corpus-head tests/fuzz/corpus/head

# bench-router: router vs nginx vs HAProxy (bench/router.sh); not in test
BENCH_DEBS := wrk nginx haproxy
bench-router: all
	@missing=$$(for p in $(BENCH_DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$missing; fi
	PAAS_BIN=$(CURDIR)/$(BIN) bench/router.sh

ITEST_ROUTER := tests/integration/router/test_router
INTEGRATION += $(ITEST_ROUTER)
$(addprefix $(B)/,$(ITEST_ROUTER)): $(B)/%: $(B)/%.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)

# ---------------------------------------------------------------- runtime
RUNTIME_SRCS :=



# ---------------------------------------------------------------- builder
BUILD_SRCS :=



# ---------------------------------------------------------------- buildpacks
BUILDPACKS_SRCS :=



# ================================================================ targets
.PHONY: all deps unit integration test run clean check-root

all: $(addprefix $(BIN)/,$(PROGS))

deps:
	@missing=$$(for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make deps: run as root to apt-get install:" \
			    $$missing >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$missing; \
	fi

unit-bins: $(addprefix $(B)/,$(UNIT_TESTS))
integration-bins: all $(addprefix $(B)/,$(INTEGRATION))

unit: unit-bins
	@fail=0; for t in $(UNIT_TESTS); do \
		echo "=== $$t"; ./$(B)/$$t || fail=1; done; \
	if [ $$fail != 0 ]; then echo "unit tests FAILED"; fi; exit $$fail

integration: integration-bins
	@fail=0; for t in $(INTEGRATION); do \
		echo "=== $$t"; PAAS_BIN=$(CURDIR)/$(BIN) \
		    PAAS_SRC=$(CURDIR) ./$(B)/$$t || fail=1; done; \
	if [ $$fail != 0 ]; then echo "integration tests FAILED"; fi; \
	exit $$fail

# test: deps, then everything; non-zero if anything failed
test: deps
	@$(MAKE) --no-print-directory all unit-bins integration-bins
	@u=0; i=0; \
	$(MAKE) --no-print-directory unit || u=1; \
	$(MAKE) --no-print-directory integration || i=1; \
	echo "unit: $$([ $$u = 0 ] && echo ok || echo FAILED)," \
	    "integration: $$([ $$i = 0 ] && echo ok || echo FAILED)"; \
	[ $$u = 0 ] && [ $$i = 0 ]

clean:
	rm -rf $(B) $(BIN)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
