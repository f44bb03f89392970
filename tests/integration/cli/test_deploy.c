/*
 * git push deploys, end to end through the real paasd, the real git
 * client, the pre-receive hook, paas-build and the built-in buildpacks:
 * releases with images, rejected pushes that change nothing, one build
 * per app at a time, rollbacks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

struct fixture {
	struct daemon_proc	 d;
	char			 paas[512];
	char			 work[300];
	struct buf		 out, err;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	harness_tmpdir(f->d.data, sizeof(f->d.data), "deploy");
	if (harness_paasd_start(&f->d) != 0) {
		/* cmocka runs no teardown after a failed setup */
		harness_paasd_cleanup(&f->d);
		free(f);
		return -1;
	}
	harness_bin("paas", f->paas, sizeof(f->paas));
	snprintf(f->work, sizeof(f->work), "%s/work", f->d.data);
	/* 0755: a buildpack here is cloned or read as the app's user */
	if (mkdir(f->work, 0755) != 0 || chmod(f->work, 0755) != 0) {
		harness_paasd_cleanup(&f->d);
		free(f);
		return -1;
	}
	buf_init(&f->out);
	buf_init(&f->err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->d.pid > 0)
		assert_int_equal(harness_paasd_stop(&f->d), 0);
	harness_paasd_cleanup(&f->d);
	buf_release(&f->out);
	buf_release(&f->err);
	free(f);
	return 0;
}

/*
 * sh(f, fmt, ...) runs a shell script in the work dir, with PAAS_API,
 * PAAS_TOKEN and a `paas` function set up; output lands in f->out.
 */
static int
sh(struct fixture *f, const char *fmt, ...)
{
	struct buf	 script = BUF_INIT;
	va_list		 ap;
	int		 rc;

	buf_addf(&script, "cd %s\nexport PAAS_API=http://127.0.0.1:%d "
	    "PAAS_TOKEN=%s GIT_TERMINAL_PROMPT=0\n"
	    "paas() { %s \"$@\"; }\n"
	    "commit() { git add -A && git -c user.email=t@t -c user.name=t "
	    "commit -qm \"$1\"; }\nset -x\n", f->work, f->d.api_port,
	    f->d.token, f->paas);
	va_start(ap, fmt);
	buf_vaddf(&script, fmt, ap);
	va_end(ap);
	rc = harness_script(script.p, &f->out, &f->err);
	buf_release(&script);
	return rc;
}

/* a web process from the stack: answers on $PORT with the app's files */
#define WEB	"web: python3 -m http.server $PORT"

static void
test_push_deploys_and_bad_pushes_change_nothing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create shop >/dev/null 2>&1\n"
	    "git init -q -b main shop && cd shop\n"
	    "printf '" WEB "\\nworker: sleep 1000\\n' > Procfile\n"
	    "echo one > hello.txt && commit one\n"
	    "paas git:remote -a shop >/dev/null\n"
	    "git push paas main 2>&1 | tee ../push1\n"
	    "grep -q 'remote:        Released v2' ../push1\n"
	    "paas releases -a shop | grep -q 'v2  Deploy '\n"
	    "paas releases:info v2 -a shop --json > ../rel2\n"
	    "grep -q '\"image\": \"sha256:' ../rel2\n"
	    "grep -q '\"web\": \"python3 -m http.server' ../rel2\n"
	    "paas ps:scale -a shop | grep -q 'web=1:basic'\n"
	    "paas ps:scale -a shop | grep -q 'worker=0:basic'\n"
	    "curl -sf http://$(paas ps -a shop --json | sed -n "
	    "'s/.*\"address\": \"\\([0-9.:]*\\)\".*/\\1/p')/hello.txt | "
	    "grep -q one\n"), 0);
	/* a broken Procfile: rejected with the line, nothing moves */
	assert_int_equal(sh(f,
	    "cd shop && good=$(git rev-parse HEAD)\n"
	    "printf '" WEB "\\nBad Type: x\\n' > Procfile && commit two\n"
	    "! git push paas main > ../push2 2>&1\n"
	    "grep -q 'line 2' ../push2\n"
	    "grep -q 'pre-receive hook declined' ../push2\n"
	    "test \"$(git --git-dir=%s/repos/shop.git rev-parse main)\" = $good\n"
	    "paas releases -a shop | grep -q 'Current: v2'\n"
	    "paas builds -a shop | grep -q failed\n"
	    "paas builds:output -a shop | grep -q 'line 2'\n", f->d.data), 0);
	/* a symlink out of the tree: refused by the checkout */
	assert_int_equal(sh(f,
	    "cd shop && git reset -q --hard HEAD~1\n"
	    "ln -s /etc/shadow leak && commit three\n"
	    "! git push paas main > ../push3 2>&1\n"
	    "grep -qi 'symlink' ../push3\n"
	    "paas releases -a shop | grep -q 'Current: v2'\n"), 0);
	/* a tree no buildpack recognises */
	assert_int_equal(sh(f,
	    "paas apps:create bare >/dev/null 2>&1\n"
	    "git init -q -b main bare && cd bare && echo hi > README && "
	    "commit one\n"
	    "! git push http://paas:$PAAS_TOKEN@127.0.0.1:%d/bare.git main "
	    "> ../push4 2>&1\n"
	    "grep -q 'No default language could be detected' ../push4\n"
	    "paas releases -a bare | grep -q 'Current: v1'\n", f->d.api_port),
	    0);
}

static void
test_rollback_keeps_the_image(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create roll >/dev/null 2>&1\n"
	    "git init -q -b main roll && cd roll\n"
	    "printf '" WEB "\\n' > Procfile && echo one > index.html\n"
	    "commit one\n"
	    "git push -q http://paas:$PAAS_TOKEN@127.0.0.1:%d/roll.git main "
	    "2>/dev/null\n"
	    "echo two > index.html && commit two\n"
	    "git push -q http://paas:$PAAS_TOKEN@127.0.0.1:%d/roll.git main "
	    "2>/dev/null\n"
	    "img2=$(paas releases:info v2 -a roll --json | sed -n "
	    "'s/.*\"image\": \"\\(sha256:[0-9a-f]*\\)\".*/\\1/p')\n"
	    "img3=$(paas releases:info v3 -a roll --json | sed -n "
	    "'s/.*\"image\": \"\\(sha256:[0-9a-f]*\\)\".*/\\1/p')\n"
	    "test -n \"$img2\" && test \"$img2\" != \"$img3\"\n"
	    "paas rollback v2 -a roll 2>/dev/null\n"
	    "paas releases:info v4 -a roll --json | grep -q \"$img2\"\n"
	    "paas releases -a roll | grep -q 'Rollback to v2'\n",
	    f->d.api_port, f->d.api_port), 0);
}

/* One build per app at a time; two apps build side by side. */
static void
test_concurrent_pushes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "mkdir -p slowpack/bin\n"
	    "printf '#!/bin/sh\\necho Slow\\n' > slowpack/bin/detect\n"
	    "printf '#!/bin/sh\\nsleep 2\\necho \"       compiled\"\\n' > "
	    "slowpack/bin/compile\n"
	    "printf '#!/bin/sh\\necho \"--- {}\"\\n' > slowpack/bin/release\n"
	    "chmod -R a+rX slowpack && chmod +x slowpack/bin/*\n"
	    "for a in one-app two-app; do\n"
	    "  paas apps:create $a >/dev/null 2>&1\n"
	    "  paas config:set BUILDPACK_URL=$PWD/slowpack -a $a >/dev/null 2>&1\n"
	    "  git init -q -b main $a && (cd $a && printf '" WEB "\\n' > "
	    "Procfile && commit one)\n"
	    "done\n"
	    "git clone -q one-app one-b && (cd one-b && echo 2 > f && "
	    "commit two)\n"
	    "url() { echo http://paas:$PAAS_TOKEN@127.0.0.1:%d/$1.git; }\n"
	    "push() { if (cd $1 && git push -q $(url $2) main) > $3 2>&1; "
	    "then echo 0; else echo 1; fi > $3.rc; }\n"
	    "push one-app one-app p1 &\n"
	    "push two-app two-app p2 &\n"
	    "sleep 1\n"
	    "push one-b one-app p3\n"
	    "wait\n"
	    "test $(cat p1.rc) = 0 && test $(cat p2.rc) = 0\n"
	    "test $(cat p3.rc) != 0\n"
	    "grep -q 'Another build of this app is running' p3\n"
	    "paas releases -a one-app | grep -q 'Current: v3'\n"
	    "paas releases -a two-app | grep -q 'Current: v3'\n",
	    f->d.api_port), 0);
}

/*
 * A buildpack written to the letter of Heroku's classic API, used by
 * local path and by git URL (#ref), then chained with a second one:
 * everything it declares takes effect.
 */
static void
test_third_party_buildpacks(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "mk_pack() { mkdir -p $1/bin; cd $1\n"
	    "cat > bin/detect <<'EOS'\n#!/bin/sh\necho Mine\nEOS\n"
	    "cat > bin/compile <<'EOS'\n#!/bin/sh\nset -e\n"
	    "build=$1 cache=$2 env=$3\n"
	    "n=$(cat $cache/count 2>/dev/null || echo 0); n=$((n + 1))\n"
	    "echo $n > $cache/count\necho \"-----> Mine compile, cache=$n\"\n"
	    "cat $env/GREETING > $build/greeting.txt\n"
	    "echo 'export FROM_EXPORT=exported' > $(dirname $0)/../export\nEOS\n"
	    "cat > bin/release <<'EOS'\n#!/bin/sh\ncat <<'YAML'\n---\n"
	    "config_vars:\n  FROM_PACK: 'yes'\ndefault_process_types:\n"
	    "  web: python3 -m http.server $PORT\nYAML\nEOS\n"
	    "chmod +x bin/*; cd - >/dev/null; }\n"
	    "mk_pack $PWD/mypack\n"
	    "mkdir -p second/bin && cd second\n"
	    "printf '#!/bin/sh\\necho Second\\n' > bin/detect\n"
	    "printf '#!/bin/sh\\necho \"-----> second saw $FROM_EXPORT\"\\n' "
	    "> bin/compile\n"
	    "printf '#!/bin/sh\\necho \"--- {}\"\\n' > bin/release\n"
	    "chmod +x bin/*; cd ..\n"
	    "chmod -R a+rX mypack second\n"
	    "paas apps:create third >/dev/null 2>&1\n"
	    "paas buildpacks:set $PWD/mypack -a third >/dev/null 2>&1\n"
	    "paas buildpacks -a third | grep -q mypack\n"
	    "paas config:set GREETING=hey -a third >/dev/null 2>&1\n"
	    "git init -q -b main third && cd third && echo x > README && "
	    "commit one\n"
	    "url=http://paas:$PAAS_TOKEN@127.0.0.1:%d/third.git\n"
	    "git push $url main > ../tp1 2>&1\n"
	    "grep -q 'Mine compile, cache=1' ../tp1\n"
	    "paas config:get FROM_PACK -a third | grep -qx yes\n"
	    "paas releases:info -a third | grep -q 'web: python3 -m http.server'\n"
	    "a=$(paas ps -a third --json | sed -n "
	    "'s/.*\"address\": \"\\(127[0-9.:]*\\)\".*/\\1/p')\n"
	    "curl -sf http://$a/greeting.txt | grep -qx hey\n"
	    /* the same pack from a git URL pinned by #ref; the cache is kept */
	    "cd .. && (cd mypack && git init -q -b main && git add -A && "
	    "commit pack && git tag v1)\n"
	    /* served by a local bare repository */
	    "git clone -q --bare mypack mypack.git && chmod -R a+rX mypack.git\n"
	    "paas buildpacks:set file://$PWD/mypack.git#v1 -a third "
	    ">/dev/null 2>&1\n"
	    "cd third && echo y >> README && commit two\n"
	    "git push $url main > ../tp2 2>&1 || { cat ../tp2 >&2; false; }\n"
	    "grep -q 'Mine compile, cache=2' ../tp2\n"
	    /* multi-buildpack: the second pack sees the first one's export */
	    "paas buildpacks:add $(cd .. && pwd)/second -a third >/dev/null 2>&1\n"
	    "echo z >> README && commit three\n"
	    "git push $url main > ../tp3 2>&1 || { cat ../tp3 >&2; false; }\n"
	    "grep -q 'second saw exported' ../tp3\n"
	    /* an unreachable pack: a clear error, the push is rejected */
	    "paas buildpacks:set https://127.0.0.1:1/nope.git -a third "
	    ">/dev/null 2>&1\n"
	    "echo w >> README && commit four\n"
	    "! git push $url main > ../tp4 2>&1\n"
	    "grep -q 'could not be fetched' ../tp4\n"
	    "! paas buildpacks:set 'bad pack' -a third 2>/dev/null\n"
	    "paas buildpacks:clear -a third >/dev/null 2>&1\n"
	    "paas buildpacks -a third | grep -q 'no buildpack set'\n",
	    f->d.api_port), 0);
}

/* The release type runs once before a release goes live; failing, it
 * rejects the push and the running release stays. */
static void
test_release_phase(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create phased >/dev/null 2>&1\n"
	    "cp -r %s/examples/multi phased && cd phased\n"
	    "git init -q -b main && commit one\n"
	    "url=http://paas:$PAAS_TOKEN@127.0.0.1:%d/phased.git\n"
	    "git push $url main > ../rp1 2>&1 || { cat ../rp1 >&2; false; }\n"
	    "paas logs -n 200 -a phased | grep -q "
	    "'app\\[release.1\\]: multi: release phase ran'\n"
	    "paas logs -n 200 -a phased | grep -q 'Release phase of v2 "
	    "succeeded'\n"
	    "paas releases -a phased | grep -q 'Current: v2'\n"
	    "printf 'web: python3 web.py\\nrelease: echo failing; exit 4\\n' "
	    "> Procfile && commit two\n"
	    "! git push $url main > ../rp2 2>&1\n"
	    "grep -q 'release phase (release.1) exited with status 4' ../rp2\n"
	    "paas releases -a phased | grep -q 'Current: v2'\n"
	    "paas releases -a phased | grep -q 'v3.*failed'\n"
	    "paas ps -a phased | grep -q 'web.1: up .* (v2)'\n",
	    getenv("PAAS_SRC") ? getenv("PAAS_SRC") : ".", f->d.api_port), 0);
}

/* GC keeps the last 10 releases' images; older ones cannot be rolled to */
static void
test_gc_keeps_the_last_releases(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(harness_paasd_stop(&f->d), 0);
	setenv("PAAS_GC_MIN_AGE_S", "0", 1);
	assert_int_equal(harness_paasd_start(&f->d), 0);
	unsetenv("PAAS_GC_MIN_AGE_S");
	assert_int_equal(sh(f,
	    "paas apps:create gced >/dev/null 2>&1\n"
	    "git init -q -b main gced && cd gced\n"
	    "echo 'web: python3 -m http.server $PORT' > Procfile\n"
	    "url=http://paas:$PAAS_TOKEN@127.0.0.1:%d/gced.git\n"
	    "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do\n"
	    "  echo $i > n.txt && commit $i && git push -q $url main 2>/dev/null\n"
	    "done\n"
	    "paas releases -a gced | grep -q 'Current: v13'\n"
	    "sleep 1\n"
	    "! paas rollback v2 -a gced 2> ../gc.err\n"
	    "grep -q 'garbage-collected' ../gc.err\n"
	    "paas rollback v5 -a gced 2>/dev/null\n"
	    "test $(ls %s/slugs/gced | wc -l) -le 11\n"
	    "test $(grep -o 'ref.name' %s/images/index.json | wc -l) -le 11\n",
	    f->d.api_port, f->d.data, f->d.data), 0);
}

/*
 * Health checks (app.json, else CHECKS) gate a release: a new web
 * process is routed to only once its checks pass; a failing or badly
 * declared check rejects the push and the previous release keeps
 * serving.
 */
static void
test_health_checks(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create checked >/dev/null 2>&1\n"
	    "git init -q -b main checked && cd checked\n"
	    "echo '" WEB "' > Procfile\n"
	    "echo ready > health.txt\n"
	    "printf '{\"name\":\"checked\",\"healthchecks\":{\"web\":[{\"type\":"
	    "\"startup\",\"path\":\"/health.txt\",\"content\":\"ready\","
	    "\"attempts\":2,\"wait\":1,\"timeout\":2}]}}' > app.json\n"
	    "commit one\n"
	    "url=http://paas:$PAAS_TOKEN@127.0.0.1:%d/checked.git\n"
	    "git push $url main > ../hc1 2>&1 || { cat ../hc1 >&2; false; }\n"
	    "paas logs -n 200 -a checked > ../hc1.log\n"
	    "grep -q 'Running 1 health check from app.json' ../hc1.log\n"
	    "grep -q 'Health check GET /health.txt passed (status 200)' "
	    "../hc1.log\n"
	    "addr=$(paas ps -a checked --json | sed -n "
	    "'s/.*\"address\": \"\\([0-9.:]*\\)\".*/\\1/p')\n"
	    "echo broken > health.txt && commit two\n"
	    "! git push $url main > ../hc2 2>&1\n"
	    "grep -q 'web.1 failed its health check (GET /health.txt: status "
	    "200, but the body lacks \"ready\", 2 attempts)' ../hc2\n"
	    "paas logs -n 200 -a checked | grep -q 'failed (attempt 1 of 2)'\n"
	    "paas releases -a checked | grep -q 'Current: v2'\n"
	    "paas ps -a checked | grep -q 'web.1: up .* (v2)'\n"
	    "curl -sf http://$addr/health.txt | grep -q ready\n"
	    /* a bad declaration is a clear error, nothing started */
	    "echo ready > health.txt\n"
	    "printf '{\"healthchecks\":{\"web\":[{\"path\":\"health\"}]}}' "
	    "> app.json && commit three\n"
	    "! git push $url main > ../hc3 2>&1\n"
	    "grep -q 'healthchecks.web\\[0\\].path must start with one /' "
	    "../hc3\n"
	    "paas releases -a checked | grep -q 'Current: v2'\n"
	    /* Dokku's CHECKS file when app.json declares none */
	    "echo '{}' > app.json\n"
	    "printf 'WAIT=0\\nATTEMPTS=1\\n/missing.txt\\n' > CHECKS\n"
	    "commit four\n"
	    "! git push $url main > ../hc4 2>&1\n"
	    "grep -q 'GET /missing.txt: status 404, 1 attempt)' ../hc4\n"
	    "printf 'WAIT=0\\nATTEMPTS=1\\n/health.txt ready\\n' > CHECKS\n"
	    "commit five\n"
	    "git push $url main > ../hc5 2>&1 || { cat ../hc5 >&2; false; }\n"
	    "paas logs -n 300 -a checked | grep -q 'health check from CHECKS'\n"
	    "paas releases -a checked | grep -q 'Current: v6'\n"
	    "curl -sf -H 'Host: checked.localhost' http://$(paas ps -a checked "
	    "--json | sed -n 's/.*\"address\": \"\\([0-9.:]*\\)\".*/\\1/p')"
	    "/health.txt | grep -q ready\n",
	    f->d.api_port), 0);
}

/*
 * The deploy branch is a per-app setting (main by default); a push of
 * any other branch is refused with a message and changes nothing. With
 * --builds 1 a second app's push waits for the first build; with
 * --max-push-size a bigger push is refused by git with its message.
 */
static void
test_deploy_branch_and_limits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(harness_paasd_stop(&f->d), 0);
	f->d.extra[0] = "--builds";
	f->d.extra[1] = "1";
	f->d.extra[2] = "--max-push-size";
	f->d.extra[3] = "1M";
	assert_int_equal(harness_paasd_start(&f->d), 0);
	assert_int_equal(sh(f,
	    "paas apps:create branchy >/dev/null 2>&1\n"
	    "git init -q -b master branchy && cd branchy\n"
	    "echo '" WEB "' > Procfile && echo hi > index.html && commit one\n"
	    "url=http://paas:$PAAS_TOKEN@127.0.0.1:%d/branchy.git\n"
	    "! git push $url master > ../b1 2>&1\n"
	    "grep -q 'push to refs/heads/master refused: branchy deploys from "
	    "refs/heads/main' ../b1\n"
	    "! git ls-remote $url | grep -q master\n"
	    "paas releases -a branchy | grep -q 'Current: v1'\n"
	    /* a bad branch name is refused by the CLI and by the API */
	    "! paas apps:settings deploy_branch=../x -a branchy 2> ../b.err\n"
	    "grep -q 'invalid branch name' ../b.err\n"
	    "test \"$(curl -s -o /dev/null -w '%%{http_code}' -X PATCH -H "
	    "\"Authorization: Bearer $PAAS_TOKEN\" -d "
	    "'{\"deploy_branch\":\"a..b\"}' "
	    "http://127.0.0.1:%d/apps/branchy)\" = 422\n"
	    "paas apps:settings -a branchy | grep -q 'deploy_branch: main'\n"
	    "paas apps:settings deploy_branch=master -a branchy | "
	    "grep -q 'deploy_branch: master'\n"
	    "git push $url master > ../b2 2>&1 || { cat ../b2 >&2; false; }\n"
	    "paas releases -a branchy | grep -q 'Current: v2'\n"
	    /* HEAD follows: a clone checks the deploy branch out */
	    "git clone -q $url ../cloned && test \"$(git -C ../cloned "
	    "rev-parse --abbrev-ref HEAD)\" = master\n"
	    /* now main is the wrong branch; deletes stay refused */
	    "git branch -q main && ! git push $url main > ../b3 2>&1\n"
	    "grep -q 'refs/heads/main refused' ../b3\n"
	    "! git push $url :master > ../b4 2>&1\n"
	    "git ls-remote $url | grep -q refs/heads/master\n"
	    /* the push size limit: git's own message, the ref stays */
	    "head -c 3000000 /dev/urandom > big.bin && commit big\n"
	    "! git push $url master > ../b5 2>&1\n"
	    "grep -q 'maximum allowed size' ../b5\n"
	    "test \"$(git ls-remote $url refs/heads/master | cut -f1)\" = "
	    "\"$(git rev-parse HEAD~1)\"\n"
	    "paas releases -a branchy | grep -q 'Current: v2'\n",
	    f->d.api_port, f->d.api_port), 0);
	/* one build at a time: the second app's push waits, then deploys */
	assert_int_equal(sh(f,
	    "mkdir -p slowpack/bin\n"
	    "printf '#!/bin/sh\\necho Slow\\n' > slowpack/bin/detect\n"
	    "printf '#!/bin/sh\\nsleep 2\\n' > slowpack/bin/compile\n"
	    "printf '#!/bin/sh\\necho \"--- {}\"\\n' > slowpack/bin/release\n"
	    "chmod -R a+rX slowpack && chmod +x slowpack/bin/*\n"
	    "for a in q-one q-two; do\n"
	    "  paas apps:create $a >/dev/null 2>&1\n"
	    "  paas config:set BUILDPACK_URL=$PWD/slowpack -a $a >/dev/null 2>&1\n"
	    "  git init -q -b main $a && (cd $a && printf '" WEB "\\n' > "
	    "Procfile && commit one)\n"
	    "done\n"
	    "url() { echo http://paas:$PAAS_TOKEN@127.0.0.1:%d/$1.git; }\n"
	    "(cd q-one && git push $(url q-one) main > ../q1 2>&1; echo $? > "
	    "../q1.rc) &\n"
	    "sleep 0.7\n"
	    "(cd q-two && git push $(url q-two) main > ../q2 2>&1; echo $? > "
	    "../q2.rc)\n"
	    "wait\n"
	    "test $(cat q1.rc) = 0 && test $(cat q2.rc) = 0\n"
	    "grep -q 'Waiting for a build slot: 1 builds are running (at most "
	    "1 at a time)' q2\n"
	    "! grep -q 'Waiting' q1\n"
	    "paas releases -a q-two | grep -q 'Current: v3'\n",
	    f->d.api_port), 0);
}

/*
 * Hostile pushes through the whole path: a git bomb is refused quickly
 * and leaves nothing; a malicious buildpack (writes outside its dirs,
 * reads a host secret, leaves a daemon, makes setuid files and device
 * nodes) achieves nothing and leaves no process, mount or setuid bit.
 */
static void
test_hostile_pushes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create bomb >/dev/null 2>&1\n"
	    "mkdir bomb && cd bomb && git init -q -b main\n"
	    "b=$(printf x | git hash-object -w --stdin)\n"
	    "t=$(for i in 0 1 2 3 4 5 6 7 8 9; do printf '100644 blob "
	    "%%s\\tf%%s\\n' $b $i; done | git mktree)\n"
	    "for l in 1 2 3 4 5 6 7 8 9; do t=$(for i in 0 1 2 3 4 5 6 7 8 9; "
	    "do printf '040000 tree %%s\\td%%s\\n' $t $i; done | git mktree); "
	    "done\n"
	    "c=$(git -c user.name=t -c user.email=t@t commit-tree $t -m bomb)\n"
	    "git update-ref refs/heads/main $c\n"
	    "t0=$(date +%%s)\n"
	    "! git push http://paas:$PAAS_TOKEN@127.0.0.1:%d/bomb.git main "
	    "> ../bomb.out 2>&1\n"
	    "test $(( $(date +%%s) - t0 )) -lt 20\n"
	    "grep -q 'more than 1000000 files' ../bomb.out\n"
	    "! git --git-dir=%s/repos/bomb.git rev-parse -q --verify main\n"
	    "paas releases -a bomb | grep -q 'Current: v1'\n"
	    "test -z \"$(ls %s/builds/*/work 2>/dev/null)\"\n",
	    f->d.api_port, f->d.data, f->d.data), 0);
	assert_int_equal(sh(f,
	    "D=%s\n"
	    "mkdir -p evilpack/bin\n"
	    "printf '#!/bin/sh\\necho Evil\\n' > evilpack/bin/detect\n"
	    "cat > evilpack/bin/compile <<EOF\n"
	    "#!/bin/bash\nB=\\$1 C=\\$2\n"
	    "echo pwned > /tmp/paas-evil-push\n"
	    "echo pwned > $D/images/evil 2>/dev/null\n"
	    "echo pwned >> $D/repos/evil.git/HEAD 2>/dev/null\n"
	    "cp /etc/shadow \\$B/stolen 2>/dev/null\n"
	    "cp /bin/sh \\$B/suidsh && chmod 6755 \\$B/suidsh\n"
	    "mknod \\$B/null c 1 3 2>/dev/null; mkfifo \\$B/fifo\n"
	    "setsid sleep $((987700 + 10)) >/dev/null 2>&1 </dev/null &\n"
	    "(nohup sleep $((987700 + 11)) >/dev/null 2>&1 &)\n"
	    "echo '-----> evil done'\n"
	    "EOF\n"
	    "printf '#!/bin/sh\\necho \"--- {}\"\\n' > evilpack/bin/release\n"
	    "chmod -R a+rX evilpack && chmod +x evilpack/bin/*\n"
	    "paas apps:create evil >/dev/null 2>&1\n"
	    "paas config:set BUILDPACK_URL=$PWD/evilpack -a evil >/dev/null\n"
	    "git init -q -b main evil && cd evil\n"
	    "echo '" WEB "' > Procfile && echo hi > index.html && commit one\n"
	    "cp $D/repos/evil.git/HEAD ../evil-head\n"
	    "git push http://paas:$PAAS_TOKEN@127.0.0.1:%d/evil.git main > "
	    "../evil.out 2>&1 || { cat ../evil.out >&2; false; }\n"
	    "grep -q 'evil done' ../evil.out\n"
	    "! pgrep -f 'sleep 98771[01]'\n"
	    "test ! -e /tmp/paas-evil-push && test ! -e $D/images/evil\n"
	    "cmp -s $D/repos/evil.git/HEAD ../evil-head\n"
	    "! grep -q \" $D/builds\" /proc/self/mountinfo\n"
	    "test -z \"$(find $D/slugs/evil $D/cache/evil -perm /6000)\"\n"
	    "test -z \"$(find $D/slugs/evil $D/cache/evil \\( -type b -o "
	    "-type c -o -type p \\))\"\n"
	    "test -z \"$(find $D/slugs/evil -name stolen)\"\n"
	    "test -n \"$(find $D/slugs/evil -name suidsh)\"\n"
	    /* and it runs: the web process serves, as the app's user */
	    "paas releases -a evil | grep -q 'Current: v3'\n",
	    f->d.data, f->d.api_port), 0);
}

/*
 * paas-build killed in the middle of a step (SIGKILL, as the OOM killer
 * would): the push fails, the step and its daemon are gone, paasd
 * removes the step's cgroup, and the next push builds.
 */
static void
test_killed_build_leaves_nothing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "mkdir -p hang/bin\n"
	    "printf '#!/bin/sh\\necho Hang\\n' > hang/bin/detect\n"
	    "printf '#!/bin/sh\\nsetsid sleep $((987700 + 20)) >/dev/null "
	    "2>&1 </dev/null &\\n[ -e $1/fast ] || sleep 60\\n' > "
	    "hang/bin/compile\n"
	    "printf '#!/bin/sh\\necho \"--- {}\"\\n' > hang/bin/release\n"
	    "chmod -R a+rX hang && chmod +x hang/bin/*\n"
	    "paas apps:create killed >/dev/null 2>&1\n"
	    "paas config:set BUILDPACK_URL=$PWD/hang -a killed >/dev/null\n"
	    "git init -q -b main killed && cd killed\n"
	    "echo '" WEB "' > Procfile && commit one\n"
	    "url=http://paas:$PAAS_TOKEN@127.0.0.1:%d/killed.git\n"
	    "(if git push $url main > ../k1 2>&1; then echo 0; else echo 1; "
	    "fi > ../k1.rc) &\n"
	    "cg() { ls -d /sys/fs/cgroup/pids/paas/killed/build-* "
	    "/sys/fs/cgroup/paas/killed/build-* 2>/dev/null; }\n"
	    "wait_for() { n=$1; shift; while [ $n -gt 0 ]; do \"$@\" && "
	    "return 0; sleep 0.2; n=$((n - 1)); done; return 1; }\n"
	    "has_cg() { test -n \"$(cg)\"; }\n"
	    "wait_for 100 has_cg\n"
	    /* [0]: the pattern must not match this script's own argv */
	    "wait_for 50 pgrep -f 'sleep 98772[0]'\n"
	    "pid=$(pgrep -P %d -f paas-build)\n"
	    "test -n \"$pid\" && kill -9 $pid\n"
	    "wait_for 100 test -s ../k1.rc\n"
	    "test $(cat ../k1.rc) = 1\n"
	    "no_cg() { test -z \"$(cg)\"; }\n"
	    "wait_for 50 no_cg\n"
	    "no_sleep() { ! pgrep -f 'sleep 98772[0]' >/dev/null; }\n"
	    "wait_for 50 no_sleep\n"
	    "paas releases -a killed | grep -q 'Current: v2'\n"
	    "paas builds -a killed | grep -q failed\n"
	    "touch fast && commit two\n"
	    "git push $url main > ../k2 2>&1 || { cat ../k2 >&2; false; }\n"
	    "paas releases -a killed | grep -q 'Current: v3'\n"
	    "no_cg\n",
	    f->d.api_port, (int)f->d.pid), 0);
}

/*
 * Deploy tokens: good for git push and fetch of their own app only;
 * another app's repository answers 403, the API 403, an unknown token
 * 401; a revoked token stops working.
 */
static void
test_deploy_tokens(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create tok-a >/dev/null 2>&1\n"
	    "paas apps:create tok-b >/dev/null 2>&1\n"
	    "T=$(paas tokens:create -a tok-a 2>/dev/null)\n"
	    "echo \"$T\" | grep -qx 'paas_[0-9a-f]\\{40\\}'\n"
	    "h=http://127.0.0.1:%d\n"
	    "git init -q -b main tok && cd tok\n"
	    "echo '" WEB "' > Procfile && commit one\n"
	    "git push http://ci:$T@127.0.0.1:%d/tok-a.git main > ../t1 2>&1 "
	    "|| { cat ../t1 >&2; false; }\n"
	    "paas releases -a tok-a | grep -q 'Current: v2'\n"
	    "git clone -q http://ci:$T@127.0.0.1:%d/tok-a.git ../tok-clone\n"
	    "test -f ../tok-clone/Procfile\n"
	    "code() { curl -s -o /dev/null -w '%%{http_code}' \"$@\"; }\n"
	    "test $(code -u ci:$T "
	    "\"$h/tok-b.git/info/refs?service=git-receive-pack\") = 403\n"
	    "! git push http://ci:$T@127.0.0.1:%d/tok-b.git main > ../t2 2>&1\n"
	    "test $(code -H \"Authorization: Bearer $T\" $h/apps) = 403\n"
	    "test $(code -H \"Authorization: Bearer $T\" $h/apps/tok-a) = 403\n"
	    "test $(code -u ci:paas_0000000000000000000000000000000000000000 "
	    "\"$h/tok-a.git/info/refs?service=git-receive-pack\") = 401\n"
	    "paas tokens -a tok-a > ../t.list\n"
	    "grep -q \"\\.\\.\\.$(echo $T | tail -c 5)\" ../t.list\n"
	    "id=$(paas tokens -a tok-a --json | sed -n "
	    "'s/.*\"id\": \"\\([0-9a-f-]*\\)\".*/\\1/p')\n"
	    "! paas tokens:revoke ../../keys -a tok-a 2>/dev/null\n"
	    "paas tokens:revoke $id -a tok-a\n"
	    "test $(code -u ci:$T "
	    "\"$h/tok-a.git/info/refs?service=git-receive-pack\") = 401\n"
	    "test -z \"$(paas tokens -a tok-a --json | grep id)\"\n",
	    f->d.api_port, f->d.api_port, f->d.api_port, f->d.api_port), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_push_deploys_and_bad_pushes_change_nothing),
		T(test_rollback_keeps_the_image),
		T(test_concurrent_pushes),
		T(test_third_party_buildpacks),
		T(test_release_phase),
		T(test_gc_keeps_the_last_releases),
		T(test_health_checks),
		T(test_deploy_branch_and_limits),
		T(test_hostile_pushes),
		T(test_killed_build_leaves_nothing),
		T(test_deploy_tokens),
	};

	harness_alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
