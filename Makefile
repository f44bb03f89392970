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
ROUTER_SRCS :=



# ---------------------------------------------------------------- runtime
# Containers: lib/{container,cgroup,seccomp}.c go into libpaas.a; the
# shim (one per instance) and the static PID 1 that runs inside.
RUNTIME_SRCS := daemon/shim.c daemon/shim_ctl.c daemon/shim_log.c \
		daemon/shim_req.c
SHIM_CORE := $(B)/daemon/shim_log.o $(B)/daemon/shim_req.o
PROGS += paas-shim
# one shim per instance: link only what it uses, and statically (no
# relocated library pages private to each shim; the text is shared),
# except under the sanitizers, whose runtimes do not link statically
ifdef SANITIZE
SHIM_STATIC :=
else
SHIM_STATIC := -static
endif
$(BIN)/paas-shim: $(call objs_of,$(RUNTIME_SRCS)) $(LIBPAAS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(SHIM_STATIC) -o $@ $(filter %.o,$^) $(LIBPAAS) \
	    $(shell pkg-config --libs jansson libseccomp 2>/dev/null)
RUNTIME_LIB_SRCS := lib/seccomp.c lib/cgroup.c lib/container.c \
		    lib/container_plan.c lib/container_net.c
$(LIBPAAS): $(call objs_of,$(RUNTIME_LIB_SRCS))

# lib/seccomp.h shadows libseccomp's <seccomp.h> under -Ilib: compile
# the one file that needs both without -Ilib (its own header is found
# next to it).
$(B)/lib/seccomp.o: PAAS_CFLAGS := $(filter-out -Ilib,$(PAAS_CFLAGS))

# paas-init runs inside any rootfs: static, and never sanitized (the
# sanitizer runtimes do not link statically).
PROGS += paas-init
$(B)/daemon/init.o: daemon/init.c
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS)) -c -o $@ $<
$(BIN)/paas-init: $(B)/daemon/init.o
	@mkdir -p $(@D)
	$(CC) -static -o $@ $<

UNIT_RUNTIME := tests/unit/lib/test_seccomp tests/unit/lib/test_cgroup \
		tests/unit/lib/test_container
UNIT_TESTS += $(UNIT_RUNTIME)
$(addprefix $(B)/,$(UNIT_RUNTIME)): $(B)/%: $(B)/%.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)

UNIT_SHIM := tests/unit/daemon/test_shim_log tests/unit/daemon/test_shim_req
UNIT_TESTS += $(UNIT_SHIM)
$(addprefix $(B)/,$(addsuffix .o,$(UNIT_SHIM))): PAAS_CFLAGS += -Idaemon
$(addprefix $(B)/,$(UNIT_SHIM)): $(B)/%: $(B)/%.o $(SHIM_CORE) $(LIBPAAS) \
	    $(LLHTTP_A)
	$(tlink)

# as root, with real containers and cgroups; skip() otherwise
INTEGRATION_RUNTIME := tests/integration/runtime/test_container \
		       tests/integration/runtime/test_shim
INTEGRATION += $(INTEGRATION_RUNTIME)
RT_HELPERS := $(B)/tests/integration/runtime/rt.o
$(addprefix $(B)/,$(INTEGRATION_RUNTIME)): $(B)/%: $(B)/%.o $(RT_HELPERS) \
	    $(LIBPAAS) $(LLHTTP_A)
	$(tlink)



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
