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
	   libssl-dev zlib1g-dev sqlite3 curl iproute2 procps psmisc valgrind \
	   openssh-client openssh-server nftables clang musl-tools

PKGS	:= libuv sqlite3 jansson libgit2 libcurl libarchive yaml-0.1 \
	   libseccomp openssl zlib

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

# make SANITIZE=address,undefined test: a separate tree, so sanitized and
# plain objects never mix
ifdef SANITIZE
B	:= build-san
BIN	:= build-san/bin
PAAS_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif
# the user's flags come last and are never replaced
ALL_CFLAGS = $(PAAS_CFLAGS) $(OPT_CFLAGS) $(CPPFLAGS) $(CFLAGS)

# ---------------------------------------------------------------- llhttp
# Debian ships llhttp's generated C sources in node-llhttp but no library:
# build them here, strict, with their own (relaxed) warnings.
LLHTTP_A := $(B)/llhttp.a
LLHTTP_OBJS := $(B)/llhttp/api.o $(B)/llhttp/http.o $(B)/llhttp/llhttp.o

$(B)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(@D)
	$(CC) $(OPT_CFLAGS) $(CFLAGS) -DLLHTTP_STRICT_MODE=1 -w -I$(LLHTTP_INC) -c -o $@ $<

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
	    lib/valid.c lib/gitcmd.c lib/atomic.c
LIBPAAS := $(B)/libpaas.a

$(LIBPAAS): $(call objs_of,$(LIB_SRCS))
	$(AR) rcs $@ $^

UNIT_LIB := tests/unit/lib/test_buf tests/unit/lib/test_parse \
	    tests/unit/lib/test_valid tests/unit/lib/test_atomic
UNIT_TESTS += $(UNIT_LIB)
$(addprefix $(B)/,$(UNIT_LIB)): $(B)/%: $(B)/%.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)



# ---------------------------------------------------------------- daemon
PAASD_SRCS := daemon/main.c daemon/api.c daemon/applog.c daemon/build.c \
	      daemon/dyno.c daemon/gitsrv.c \
	      daemon/http.c daemon/model.c daemon/proc.c daemon/store.c \
	      daemon/routerctl.c daemon/routes.c daemon/runapi.c daemon/health.c \
	      daemon/portown.c \
	      daemon/sshkeys.c \
	      daemon/super.c
PROGS += paasd
$(BIN)/paasd: $(call objs_of,$(PAASD_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	@mkdir -p $(@D)
	$(link)

# the forced command of SSH keys
GITSHELL_SRCS := daemon/gitshell.c daemon/sshkeys.c
PROGS += paas-git-shell
$(BIN)/paas-git-shell: $(call objs_of,$(GITSHELL_SRCS)) $(LIBPAAS)
	@mkdir -p $(@D)
	$(link)

UNIT_DAEMON := tests/unit/daemon/test_store tests/unit/daemon/test_model \
	       tests/unit/daemon/test_api tests/unit/daemon/test_applog \
	       tests/unit/daemon/test_gitsrv tests/unit/daemon/test_super \
	       tests/unit/daemon/test_routes tests/unit/daemon/test_sshkeys \
	       tests/unit/daemon/test_health tests/unit/daemon/test_portown
UNIT_TESTS += $(UNIT_DAEMON)
$(B)/tests/unit/daemon/%.o: ALL_CFLAGS += -Idaemon
$(addprefix $(B)/,$(UNIT_DAEMON)): $(B)/%: $(B)/%.o \
	    $(call core_of,$(PAASD_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	$(tlink)

ITEST_DAEMON := tests/integration/daemon/test_api \
		tests/integration/cli/test_cli tests/integration/cli/test_deploy \
		tests/integration/cli/test_dynos tests/integration/cli/test_examples
INTEGRATION += $(ITEST_DAEMON)
$(addprefix $(B)/,$(ITEST_DAEMON)): $(B)/%: $(B)/%.o \
	    $(B)/tests/integration/harness.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)
$(B)/tests/integration/%.o: ALL_CFLAGS += -Itests/integration



# ---------------------------------------------------------------- cli
PAAS_SRCS := cli/main.c cli/cli.c cli/client.c cli/out.c cli/env.c \
	     cli/args.c cli/cmd_apps.c cli/cmd_config.c cli/cmd_releases.c \
	     cli/cmd_domains.c cli/cmd_ps.c cli/cmd_git.c cli/cmd_logs.c \
	     cli/cmd_keys.c cli/cmd_builds.c cli/cmd_tokens.c \
	     cli/cmd_dynos.c cli/cmd_buildpacks.c \
	     cli/cmd_run.c
PROGS += paas

$(BIN)/paas: $(call objs_of,$(PAAS_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	@mkdir -p $(@D)
	$(link)

UNIT_CLI := tests/unit/cli/test_env tests/unit/cli/test_args \
	    tests/unit/cli/test_out tests/unit/cli/test_client \
	    tests/unit/cli/test_cmd
UNIT_TESTS += $(UNIT_CLI)
$(B)/tests/unit/cli/%.o: PAAS_CFLAGS += -Icli
$(B)/tests/unit/cli/test_client $(B)/tests/unit/cli/test_cmd: \
	    $(B)/tests/unit/cli/fake_api.o
$(addprefix $(B)/,$(UNIT_CLI)): $(B)/%: $(B)/%.o \
	    $(call core_of,$(PAAS_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	$(tlink)



# ---------------------------------------------------------------- router
ROUTER_SRCS := router/main.c router/route.c router/head.c router/conn.c \
	       router/upstream.c router/accesslog.c router/metrics.c \
	       router/slot.c
PROGS += paas-router
$(BIN)/paas-router: $(call objs_of,$(ROUTER_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	@mkdir -p $(@D)
	$(link)
$(call objs_of,$(ROUTER_SRCS)): | $(LLHTTP_A)
# Every request runs through the router, llhttp and lib's buffers: -O3
# and link-time optimisation cut the router's user time by a fifth
# (docs/ROUTER.md). Fat LTO objects: the other programs and the tests
# link the same objects as usual.
ifndef SANITIZE
$(call objs_of,$(ROUTER_SRCS) $(LIB_SRCS)) $(LLHTTP_OBJS): \
	    OPT_CFLAGS := -flto=auto -ffat-lto-objects -fno-plt
$(call objs_of,$(ROUTER_SRCS) $(LIB_SRCS)) $(LLHTTP_OBJS): \
	    CFLAGS := $(patsubst -O2,-O3,$(CFLAGS))
$(BIN)/paas-router: LDFLAGS += -O3 -flto=auto -Wl,--as-needed
endif

UNIT_ROUTER := tests/unit/router/test_route tests/unit/router/test_head \
	       tests/unit/router/test_conn tests/unit/router/test_accesslog \
	       tests/unit/router/test_slot
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
fuzz: deps $(B)/fuzz/fuzz_head
	./$(B)/fuzz/fuzz_head -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
	    $(B)/fuzz/corpus-head tests/fuzz/corpus/head

# bench-router: router vs nginx vs HAProxy (bench/router.sh); not in test
BENCH_DEBS := wrk nginx haproxy liburing-dev
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
$(addprefix $(B)/,$(ITEST_ROUTER)): $(B)/%: $(B)/%.o \
	    $(B)/tests/integration/harness.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)

# ---------------------------------------------------------------- runtime
# Containers: lib/{container,cgroup,seccomp}.c go into libpaas.a; the
# shim (one per instance) and the static PID 1 that runs inside.
RUNTIME_SRCS := daemon/shim.c daemon/shim_ctl.c daemon/shim_log.c \
		daemon/shim_req.c daemon/shim_tty.c
SHIM_CORE := $(B)/daemon/shim_log.o $(B)/daemon/shim_req.o \
	     $(B)/daemon/shim_tty.o
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
# sanitizer runtimes do not link statically). One runs in every
# container, so it is built against musl when musl-gcc is there (Debian's
# musl-tools): glibc's static start-up alone leaves ~35 KiB of private
# pages in each instance, musl's a few.
INIT_CC := $(shell command -v musl-gcc 2>/dev/null)
PROGS += paas-init
ifneq ($(INIT_CC),)
$(B)/daemon/init.o: daemon/init.c
	@mkdir -p $(@D)
	$(INIT_CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -c -o $@ $<
$(BIN)/paas-init: $(B)/daemon/init.o
	@mkdir -p $(@D)
	$(INIT_CC) -static -s -o $@ $<
else
$(B)/daemon/init.o: daemon/init.c
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS)) -c -o $@ $<
$(BIN)/paas-init: $(B)/daemon/init.o
	@mkdir -p $(@D)
	$(CC) -static -o $@ $<
endif

UNIT_RUNTIME := tests/unit/lib/test_seccomp tests/unit/lib/test_cgroup \
		tests/unit/lib/test_container
UNIT_TESTS += $(UNIT_RUNTIME)
$(addprefix $(B)/,$(UNIT_RUNTIME)): $(B)/%: $(B)/%.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)

UNIT_SHIM := tests/unit/daemon/test_shim_log tests/unit/daemon/test_shim_req \
	     tests/unit/daemon/test_shim_tty
UNIT_TESTS += $(UNIT_SHIM)
$(addprefix $(B)/,$(addsuffix .o,$(UNIT_SHIM))): PAAS_CFLAGS += -Idaemon
$(addprefix $(B)/,$(UNIT_SHIM)): $(B)/%: $(B)/%.o $(SHIM_CORE) $(LIBPAAS) \
	    $(LLHTTP_A)
	$(tlink)

# paas run's API edge (daemon/runapi.c), linked with paasd's core
UNIT_RUNAPI := tests/unit/daemon/test_runapi
UNIT_TESTS += $(UNIT_RUNAPI)
$(addprefix $(B)/,$(UNIT_RUNAPI)): $(B)/%: $(B)/%.o \
	    $(call core_of,$(PAASD_SRCS)) $(LIBPAAS) $(LLHTTP_A)
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
# skopeo and umoci validate the OCI images in the tests
DEBS += skopeo umoci
BUILDER_LIB_SRCS := lib/procfile.c lib/oci.c
$(LIBPAAS): $(call objs_of,$(BUILDER_LIB_SRCS))

BUILD_SRCS := builder/main.c builder/checkout.c builder/slugignore.c \
	      builder/fsutil.c builder/release.c builder/sandbox.c \
	      builder/buildpack.c builder/slug.c builder/say.c
BUILD_CORE := $(call core_of,$(BUILD_SRCS))
PROGS += paas-build

$(BIN)/paas-build: $(call objs_of,$(BUILD_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	@mkdir -p $(@D)
	$(link)

UNIT_BUILDER_LIB := tests/unit/lib/test_procfile tests/unit/lib/test_oci
UNIT_BUILDER := tests/unit/builder/test_checkout \
		tests/unit/builder/test_slugignore \
		tests/unit/builder/test_release \
		tests/unit/builder/test_sandbox \
		tests/unit/builder/test_buildpack
UNIT_TESTS += $(UNIT_BUILDER_LIB) $(UNIT_BUILDER)
$(addprefix $(B)/,$(UNIT_BUILDER_LIB)): $(B)/%: $(B)/%.o $(LIBPAAS) $(LLHTTP_A)
	$(tlink)
$(addprefix $(B)/,$(UNIT_BUILDER)): $(B)/%: $(B)/%.o $(BUILD_CORE) \
    $(LIBPAAS) $(LLHTTP_A)
	$(tlink)
$(B)/tests/unit/builder/%.o: ALL_CFLAGS += -Ibuilder

INTEGRATION_BUILDER := tests/integration/builder/test_build
INTEGRATION += $(INTEGRATION_BUILDER)
$(addprefix $(B)/,$(INTEGRATION_BUILDER)): $(B)/%: $(B)/%.o $(LIBPAAS) \
    $(LLHTTP_A)
	$(tlink)



# ---------------------------------------------------------------- buildpacks
# The buildpacks themselves are shell (buildpacks/NAME/bin/*). The one
# program here is paas-static, the static buildpack's file server: linked
# statically (libc only) so that it runs on any stack, and also copied
# into the pack (buildpacks/static/vendor/, git-ignored) so that it
# travels with every copy of the pack. The pack looks for it in
# $$PAAS_STATIC_BIN, its vendor/, bin/ of this tree, then PATH
# (buildpacks/README.md). Sanitizer builds link it dynamically and leave
# vendor/ alone.
DEBS += python3-venv
BUILDPACKS_SRCS := buildpacks/static/main.c buildpacks/static/conn.c \
	    buildpacks/static/req.c buildpacks/static/urlpath.c \
	    buildpacks/static/cond.c buildpacks/static/mime.c \
	    buildpacks/static/safeopen.c
BUILDPACKS_LIBOBJS := $(B)/lib/slice.o $(B)/lib/parse.o
# sanitizers cannot be linked statically
BUILDPACKS_STATIC := $(if $(SANITIZE),,-static)
PROGS += paas-static

$(BIN)/paas-static: $(call objs_of,$(BUILDPACKS_SRCS)) $(BUILDPACKS_LIBOBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(BUILDPACKS_STATIC) -o $@ $^
	$(if $(SANITIZE),,mkdir -p buildpacks/static/vendor && \
	    cp $@ buildpacks/static/vendor/paas-static.tmp && \
	    mv -f buildpacks/static/vendor/paas-static.tmp \
	    buildpacks/static/vendor/paas-static)

UNIT_BUILDPACKS := tests/unit/buildpacks/test_urlpath \
	    tests/unit/buildpacks/test_mime tests/unit/buildpacks/test_cond \
	    tests/unit/buildpacks/test_req tests/unit/buildpacks/test_safeopen \
	    tests/unit/buildpacks/test_detect tests/unit/buildpacks/test_packs
UNIT_TESTS += $(UNIT_BUILDPACKS)
$(B)/tests/unit/buildpacks/test_detect $(B)/tests/unit/buildpacks/test_packs: \
	    $(B)/tests/unit/buildpacks/packrun.o
$(B)/tests/unit/buildpacks/%.o: PAAS_CFLAGS += -Ibuildpacks/static

# integration: every built-in pack on its example (examples/), no root
INTEGRATION_BUILDPACKS := tests/integration/buildpacks/test_buildpacks
INTEGRATION += $(INTEGRATION_BUILDPACKS)
$(addprefix $(B)/,$(INTEGRATION_BUILDPACKS)): $(B)/%: $(B)/%.o $(LIBPAAS) \
	    $(LLHTTP_A)
	$(tlink)
$(addprefix $(B)/,$(UNIT_BUILDPACKS)): $(B)/%: $(B)/%.o \
	    $(call core_of,$(BUILDPACKS_SRCS)) $(LIBPAAS) $(LLHTTP_A)
	$(tlink)



# ================================================================ targets
.PHONY: all deps unit integration test run clean unit-bins integration-bins \
	valgrind

# The platform with working defaults: data in /var/lib/paas, the API on
# 127.0.0.1:7070 (and DATA/paasd.sock), apps at http://APP.localhost:7080
RUN_DATA	?= /var/lib/paas
RUN_API		?= tcp:127.0.0.1:7070
RUN_HTTP_PORT	?= 7080
RUN_DOMAIN	?= localhost

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

# The tests remove every instance and app cgroup they make; the shared
# paas/ roots under each hierarchy go too if the tests made them.
CG_ROOTS := /sys/fs/cgroup/paas $(addprefix /sys/fs/cgroup/,$(addsuffix \
	    /paas,memory pids cpu freezer))
CG_HAD = had=$$(ls -d $(CG_ROOTS) 2>/dev/null | tr "\n" " ")
CG_CLEAN = for c in $(CG_ROOTS); do case " $$had " in *" $$c "*) ;; \
		*) for _try in 1 2 3 4 5 6 7 8 9 10; do [ -d $$c ] || break; \
		    rmdir $$c 2>/dev/null || sleep 0.3; done ;; esac; done
integration: integration-bins
	@$(CG_HAD); fail=0; \
	for t in $(INTEGRATION); do \
		echo "=== $$t"; PAAS_BIN=$(CURDIR)/$(BIN) \
		    PAAS_SRC=$(CURDIR) ./$(B)/$$t || fail=1; done; \
	$(CG_CLEAN); \
	if [ $$fail != 0 ]; then echo "integration tests FAILED"; fi; \
	exit $$fail

# the daemon's and the router's integration tests with paasd and
# paas-router under valgrind's memcheck (a leak or an error fails them)
valgrind: integration-bins
	PAAS_VALGRIND=1 $(MAKE) --no-print-directory integration \
	    INTEGRATION="$(ITEST_DAEMON) $(ITEST_ROUTER)"

# test: deps, then everything; non-zero if anything failed
test: deps
	@$(MAKE) --no-print-directory all unit-bins integration-bins
	@u=0; i=0; $(CG_HAD); \
	$(MAKE) --no-print-directory unit || u=1; \
	$(MAKE) --no-print-directory integration || i=1; \
	$(CG_CLEAN); \
	echo "unit: $$([ $$u = 0 ] && echo ok || echo FAILED)," \
	    "integration: $$([ $$i = 0 ] && echo ok || echo FAILED)"; \
	[ $$u = 0 ] && [ $$i = 0 ]

# make run: the platform in the foreground (Ctrl-C stops it and its apps).
# On an empty data dir it deploys examples/static as the app "hello" with
# a real git push and prints its URL; RUN_DEMO=0 skips that.
RUN_DEMO	?= 1
RUN_API_URL	= http://$(patsubst tcp:%,%,$(RUN_API))
run: deps
	@$(MAKE) --no-print-directory all
	@set -u; bin=$(CURDIR)/$(BIN); \
	$$bin/paasd --data-dir $(RUN_DATA) --api $(RUN_API) \
	    --http-port $(RUN_HTTP_PORT) --domain $(RUN_DOMAIN) & pid=$$!; \
	trap 'kill -TERM $$pid 2>/dev/null; wait $$pid; exit 0' INT TERM; \
	for i in $$(seq 100); do [ -S $(RUN_DATA)/paasd.sock ] && break; \
	    sleep 0.1; done; \
	export PAAS_API=unix:$(RUN_DATA)/paasd.sock; \
	if [ "$(RUN_DEMO)" != 0 ] && [ -z "$$($$bin/paas apps --json | \
	    grep '"name"')" ]; then \
		echo "paas: deploying examples/static as 'hello' (RUN_DEMO=0 skips)"; \
		src=$$(mktemp -d) && cp -r examples/static/. $$src && \
		(cd $$src && git init -q -b main && git add -A && \
		 git -c user.email=demo@paas -c user.name=paas commit -qm demo && \
		 $$bin/paas apps:create hello >/dev/null && \
		 git push -q $(RUN_API_URL:http://%=http://paas:$$(cat $(RUN_DATA)/admin-token)@%)/hello.git main) \
		 || echo "paas: the demo deploy failed; see the lines above"; \
		rm -rf $$src; \
	fi; \
	port=$(RUN_HTTP_PORT); [ $$port = 80 ] && port= || port=:$$port; \
	echo; echo "paas is running: data in $(RUN_DATA), API $(RUN_API)"; \
	if $$bin/paas apps --json | grep -q '"hello"'; then \
	    echo "  curl http://hello.$(RUN_DOMAIN)$$port/"; fi; \
	echo "Next, in another terminal (as root):"; \
	echo "  export PATH=$$bin:\$$PATH"; \
	echo "  paas apps:create myapp && cd /path/to/myapp && paas git:remote -a myapp && git push paas main"; \
	echo "  paas ps:scale web=2 -a myapp; paas logs -t -a myapp"; \
	echo "Ctrl-C stops the platform and its apps."; \
	wait $$pid

clean:
	rm -rf build bin build-san

-include $(shell find $(B) -name '*.d' 2>/dev/null)
