/*
 * paas-build end to end, as root: real git repos made with the git CLI,
 * buildpacks written to Heroku's API, images checked with skopeo and
 * umoci, hostile buildpacks and repos. PAAS_BIN points at bin/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "oci.h"

#define BUILD_UID	61907

struct fx {
	char	base[64];
	char	bin[512];
};

static struct fx	fx;

static void
sh(const char *fmt, ...)
{
	struct buf	b = BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (system(b.p) != 0)
		fail_msg("command failed: %s", b.p);
	buf_release(&b);
}

static int
sh_ok(const char *fmt, ...)
{
	struct buf	b = BUF_INIT;
	va_list		ap;
	int		rc;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = system(b.p);
	buf_release(&b);
	return rc == 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* detect_any is replaced by a detect that prints the pack's name */
static const char detect_any[] = "#!/bin/sh\nexit 0\n";

/* a buildpack dir NAME under base/packs with the given scripts */
static void
make_pack(const char *name, const char *detect, const char *compile,
    const char *release)
{
	char	p[256];

	snprintf(p, sizeof(p), "%s/packs/%s/bin", fx.base, name);
	sh("mkdir -p %s", p);
	snprintf(p, sizeof(p), "%s/packs/%s/bin/detect", fx.base, name);
	write_file(p, detect, 0755);
	if (strcmp(detect, detect_any) == 0)
		sh("printf '#!/bin/sh\\necho %s\\n' > %s", name, p);
	snprintf(p, sizeof(p), "%s/packs/%s/bin/compile", fx.base, name);
	write_file(p, compile, 0755);
	if (release != NULL) {
		snprintf(p, sizeof(p), "%s/packs/%s/bin/release", fx.base,
		    name);
		write_file(p, release, 0755);
	}
}

/* an app repo: files given as "path=content" pairs, committed with git */
static void
make_app(const char *app, const char *const *files)
{
	char	dir[256], p[512];
	size_t	i;

	snprintf(dir, sizeof(dir), "%s/src/%s", fx.base, app);
	sh("rm -rf %s && mkdir -p %s && cd %s && git init -q -b main", dir,
	    dir, dir);
	for (i = 0; files[i] != NULL; i += 2) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		sh("mkdir -p \"$(dirname %s)\"", p);
		write_file(p, files[i + 1], strstr(files[i], "bin/") ? 0755 :
		    0644);
	}
	sh("cd %s && git add -A && git -c user.name=t -c user.email=t@t "
	    "-c commit.gpgsign=false commit -q -m app && rm -rf "
	    "%s/repos/%s.git && git clone -q --bare . %s/repos/%s.git", dir,
	    fx.base, app, fx.base, app);
}

/* runs paas-build; returns its exit status, output in out */
static int
build(const char *app, const char *extra, struct buf *out)
{
	struct buf	 cmd = BUF_INIT;
	char		 chunk[4096];
	size_t		 n;
	FILE		*p;
	int		 st;

	buf_reset(out);
	buf_addf(&cmd, "%s/paas-build --repo %s/repos/%s.git --commit main "
	    "--app %s --images %s/images --cache %s/cache/%s --work "
	    "%s/work-%s --env-dir %s/env --buildpacks-dir %s/packs "
	    "--uid %d --gid %d %s 2>&1", fx.bin, fx.base, app, app, fx.base,
	    fx.base, app, fx.base, app, fx.base, fx.base, BUILD_UID,
	    BUILD_UID, extra);
	p = popen(cmd.p, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(out, chunk, n);
	st = pclose(p);
	buf_release(&cmd);
	if (getenv("PAAS_TEST_VERBOSE") != NULL)
		fprintf(stderr, "%s", out->p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
expect_in(const struct buf *out, const char *needle)
{
	if (strstr(out->p, needle) == NULL)
		fail_msg("output lacks '%s':\n%s", needle, out->p);
}

static void
result_image(const struct buf *out, char *digest)
{
	const char	*r = strstr(out->p, "paas-build: result {\"image\":\"");

	if (r == NULL)
		fail_msg("no result line:\n%s", out->p);
	memcpy(digest, r + 29, 71);
	digest[71] = '\0';
}

static int
running(const char *needle)
{
	DIR		*d = opendir("/proc");
	struct dirent	*de;
	char		 p[300], buf[256];
	ssize_t		 n, i;
	int		 fd, found = 0;

	while (d != NULL && (de = readdir(d)) != NULL && !found) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(p, O_RDONLY)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n > 0 ? n : 0] = '\0';
		found = strstr(buf, needle) != NULL;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

static void
expect_no_work_dir(const char *app)
{
	char	p[256];

	snprintf(p, sizeof(p), "%s/work-%s", fx.base, app);
	assert_int_equal(access(p, F_OK), -1);
}

/* no build cgroup of app is left, in any hierarchy (v1 or v2) */
static void
expect_no_cgroup(const char *app)
{
	char	pat[2][128];
	glob_t	g;
	int	i;

	snprintf(pat[0], sizeof(pat[0]), "/sys/fs/cgroup/*/paas/%s", app);
	snprintf(pat[1], sizeof(pat[1]), "/sys/fs/cgroup/paas/%s", app);
	for (i = 0; i < 2; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(pat[i], 0, NULL, &g) == 0)
			fail_msg("cgroup left behind: %s", g.gl_pathv[0]);
		globfree(&g);
	}
}

/* nothing is mounted anywhere under the test's base dir */
static void
expect_no_mounts(void)
{
	FILE	*f = fopen("/proc/self/mountinfo", "r");
	char	 line[4096];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, fx.base) != NULL)
			fail_msg("still mounted: %s", line);
	fclose(f);
}


static const char compile_a[] =
	"#!/bin/sh\nset -e\nBUILD=$1 CACHE=$2 ENV=$3\n"
	"echo '-----> TestA compiling'\n"
	"n=0; [ -f \"$CACHE/count\" ] && n=$(cat \"$CACHE/count\")\n"
	"n=$((n + 1)); echo $n > \"$CACHE/count\"\n"
	"echo \"       cache count $n\"\n"
	"echo \"       greeting $(cat \"$ENV/GREETING\")\"\n"
	"[ -z \"$GREETING\" ] || { echo 'GREETING leaked'; exit 9; }\n"
	"echo \"       home=$HOME stack=$STACK version=$SOURCE_VERSION\"\n"
	"BP_DIR=$(cd \"$(dirname \"$0\")/..\"; pwd)\n"
	"echo 'export FROM_A=hello-from-a' > \"$BP_DIR/export\"\n"
	"mkdir -p \"$BUILD/bin\"\n"
	"printf '#!/bin/sh\\necho serving\\n' > \"$BUILD/bin/serve\"\n"
	"chmod +x \"$BUILD/bin/serve\"\n";

static const char compile_b[] =
	"#!/bin/sh\n[ \"$FROM_A\" = hello-from-a ] || exit 3\n"
	"echo '       saw FROM_A'\necho \"$FROM_A\" > \"$1/from-a.txt\"\n";

static const char release_b[] =
	"#!/bin/sh\ncat <<EOF\n---\naddons: []\nconfig_vars:\n"
	"  FROM_B: \"yes\"\ndefault_process_types:\n  web: bin/serve\n"
	"  worker: bin/serve --worker\nEOF\n";

static int
setup(void **state)
{
	const char	*bin = getenv("PAAS_BIN");

	(void)state;
	if (geteuid() != 0 || getpwuid(BUILD_UID) != NULL)
		return 0;
	snprintf(fx.bin, sizeof(fx.bin), "%s", bin ? bin : "bin");
	strcpy(fx.base, "/var/lib/paas-build-itest-XXXXXX");
	assert_non_null(mkdtemp(fx.base));
	sh("chmod 755 %s && mkdir -p %s/repos %s/cache %s/env %s/packs "
	    "%s/src && echo hi > %s/env/GREETING && chmod -R a+rX %s",
	    fx.base, fx.base, fx.base, fx.base, fx.base, fx.base, fx.base,
	    fx.base);
	make_pack("testpack-a", detect_any, compile_a, NULL);
	make_pack("testpack-b", detect_any, compile_b, release_b);
	sh("cd %s/packs/testpack-b && git init -q -b main && git add -A && "
	    "git -c user.name=t -c user.email=t@t commit -q -m v1 && "
	    "git tag v1 && echo changed > bin/compile && git commit -qam v2 "
	    "&& git clone -q --bare . %s/repos/testpack-b.git", fx.base,
	    fx.base);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (fx.base[0] != '\0')
		sh("rm -rf %s", fx.base);
	return 0;
}

#define NEED_ROOT()	do { if (fx.base[0] == '\0') skip(); } while (0)

static void
test_two_packs_cache_env_release(void **state)
{
	const char	*files[] = { "app.txt", "hello\n", NULL };
	struct buf	 out = BUF_INIT, args = BUF_INIT;
	char		 d1[72], d2[72];

	(void)state;
	NEED_ROOT();
	make_app("multi", files);
	buf_addf(&args, "--buildpack %s/packs/testpack-a --buildpack "
	    "file://%s/repos/testpack-b.git#v1 --release-version 3",
	    fx.base, fx.base);
	assert_int_equal(build("multi", args.p, &out), 0);
	expect_in(&out, "-----> testpack-a app detected");
	expect_in(&out, "       cache count 1");
	expect_in(&out, "       greeting hi");
	expect_in(&out, "stack=heroku-22");
	expect_in(&out, "       saw FROM_A");
	expect_in(&out, "Default types for buildpack -> web, worker");
	expect_in(&out, "\"process_types\":{\"web\":\"bin/serve\","
	    "\"worker\":\"bin/serve --worker\"}");
	expect_in(&out, "\"config_vars\":{\"FROM_B\":\"yes\"}");
	expect_in(&out, "\"ref\":\"multi-v3\"");
	result_image(&out, d1);
	expect_no_work_dir("multi");
	assert_int_equal(build("multi", args.p, &out), 0);
	expect_in(&out, "       cache count 2");
	result_image(&out, d2);
	assert_string_equal(d1, d2);
	assert_true(sh_ok("skopeo inspect oci:%s/images:multi-v3 | grep -q "
	    "'\"paas.process_types\": \"{\\\\\"web\\\\\":\\\\\"bin/serve'",
	    fx.base));
	assert_true(sh_ok("skopeo inspect --config oci:%s/images:multi-v3 | "
	    "grep -q '\"WorkingDir\": \"/app\"'", fx.base));
	/* umoci 0.4.7 reads gzip layers only */
	buf_addf(&args, " --compression gzip --ref multi-gz");
	assert_int_equal(build("multi", args.p, &out), 0);
	sh("cd %s && umoci unpack --rootless --image images:multi-gz gz "
	    ">/dev/null && grep -q hello-from-a gz/rootfs/app/from-a.txt && "
	    "test -x gz/rootfs/app/bin/serve && umoci stat --image "
	    "images:multi-gz >/dev/null", fx.base);
	buf_release(&out);
	buf_release(&args);
}

static void
test_procfile_wins_and_dot_buildpacks(void **state)
{
	struct buf	 out = BUF_INIT, bp = BUF_INIT;
	const char	*files[] = { "Procfile", "web: ./web --port $PORT\n",
			    "app.txt", "x", ".buildpacks", NULL, NULL };

	(void)state;
	NEED_ROOT();
	buf_addf(&bp, "# packs\n%s/packs/testpack-a\n\nfile://%s/repos/"
	    "testpack-b.git#v1\n", fx.base, fx.base);
	files[5] = bp.p;
	make_app("procs", files);
	assert_int_equal(build("procs", "", &out), 0);
	expect_in(&out, "Procfile declares types -> web");
	expect_in(&out, "\"process_types\":{\"web\":\"./web --port $PORT\"}");
	expect_in(&out, "\"procfile\":true");
	expect_in(&out, "\"ref\":\"procs-");
	buf_release(&out);
	buf_release(&bp);
}

static void
test_no_process_types_warns(void **state)
{
	struct buf	 out = BUF_INIT, args = BUF_INIT;
	const char	*files[] = { "app.txt", "x", NULL };
	const char	*worker[] = { "app.txt", "x", "Procfile", "clock: x\n",
			    NULL };

	(void)state;
	NEED_ROOT();
	make_app("quiet", files);
	buf_addf(&args, "--buildpack %s/packs/testpack-a", fx.base);
	assert_int_equal(build("quiet", args.p, &out), 0);
	expect_in(&out, "       WARNING: no process types");
	expect_in(&out, "\"process_types\":{}");
	make_app("quiet", worker);
	assert_int_equal(build("quiet", args.p, &out), 0);
	expect_in(&out, "       WARNING: no web process type");
	expect_in(&out, "\"warnings\":[\"no web process type");
	buf_release(&out);
	buf_release(&args);
}

static void
test_failing_compile_rejects(void **state)
{
	struct buf	 out = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	struct oci_desc	 d;
	struct perr	 err = PERR_INIT;
	char		 images[128];

	(void)state;
	NEED_ROOT();
	make_pack("failpack", detect_any, "#!/bin/sh\necho '-----> about "
	    "to fail'\necho boom >&2\nexit 7\n", NULL);
	make_app("failing", files);
	assert_int_equal(build("failing", "--buildpack failpack "
	    "--release-version 9", &out), 1);
	expect_in(&out, "-----> about to fail\nboom\n");
	expect_in(&out, " !     Push rejected, failed to compile failpack "
	    "app (bin/compile: exit status 7)");
	assert_null(strstr(out.p, "paas-build: result"));
	snprintf(images, sizeof(images), "%s/images", fx.base);
	assert_int_equal(oci_ref_get(images, "failing-v9", &d, &err) == 0, 0);
	expect_no_work_dir("failing");
	buf_release(&out);
}

static void
test_malicious_buildpack_achieves_nothing(void **state)
{
	struct buf	 out = BUF_INIT, evil = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	struct perr	 err = PERR_INIT;
	struct stat	 st;
	char		 p[256], images[128], digest[72];

	(void)state;
	NEED_ROOT();
	buf_addf(&evil, "#!/bin/bash\nB=$1 C=$2\n"
	    "echo pwned > /tmp/paas-evil-tmp\n"
	    "echo pwned > /var/lib/paas-evil\n"
	    "echo pwned > %s/images/evil\n"
	    "echo pwned >> %s/repos/evil.git/HEAD\n"
	    "cp /etc/shadow $B/stolen\n"
	    "ln /etc/shadow $B/shadowlink\n"
	    "cp /bin/sh $B/suidsh && chmod 6755 $B/suidsh\n"
	    "cp /bin/sh $C/suidsh && chmod 4755 $C/suidsh\n"
	    "mkfifo $B/fifo $C/fifo\nmknod $B/null c 1 3\n"
	    "setsid sleep 987700 >/dev/null 2>&1 </dev/null &\n"
	    "(nohup sleep 987701 >/dev/null 2>&1 &)\n"
	    "kill -9 $PPID\n"
	    "echo '-----> evil done'\nexit 0\n", fx.base, fx.base);
	make_pack("evilpack", detect_any, evil.p, NULL);
	make_app("evil", files);
	sh("cp %s/repos/evil.git/HEAD %s/evil-head", fx.base, fx.base);
	assert_int_equal(build("evil", "--buildpack evilpack "
	    "--release-version 1", &out), 0);
	expect_in(&out, "-----> evil done");
	expect_in(&out, "special files left out of the slug (devices, fifos, "
	    "sockets): 1");
	assert_false(running("sleep 98770"));
	expect_no_cgroup("evil");
	expect_no_mounts();
	assert_int_equal(access("/tmp/paas-evil-tmp", F_OK), -1);
	assert_int_equal(access("/var/lib/paas-evil", F_OK), -1);
	snprintf(p, sizeof(p), "%s/images/evil", fx.base);
	assert_int_equal(access(p, F_OK), -1);
	sh("cmp -s %s/repos/evil.git/HEAD %s/evil-head", fx.base, fx.base);
	snprintf(p, sizeof(p), "%s/cache/evil/suidsh", fx.base);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07000, 0);
	snprintf(p, sizeof(p), "%s/cache/evil/fifo", fx.base);
	assert_int_equal(access(p, F_OK), -1);
	result_image(&out, digest);
	snprintf(images, sizeof(images), "%s/images", fx.base);
	sh("cd %s && skopeo inspect oci:images:evil-v1 | grep -o "
	    "'sha256:[0-9a-f]*' | tail -1 > evil-layer", fx.base);
	snprintf(p, sizeof(p), "%s/evil-slug", fx.base);
	{
		char	 layer[80] = "";
		FILE	*f;

		snprintf(layer, sizeof(layer), "%s/evil-layer", fx.base);
		f = fopen(layer, "r");
		assert_non_null(f);
		assert_non_null(fgets(layer, sizeof(layer), f));
		fclose(f);
		layer[strcspn(layer, "\n")] = '\0';
		if (oci_layer_unpack(images, layer, p, NULL, &err) != 0)
			fail_msg("unpack: %s", err.msg);
	}
	snprintf(p, sizeof(p), "%s/evil-slug/app/suidsh", fx.base);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07000, 0);
	sh("cd %s/evil-slug/app && test ! -e stolen && test ! -e shadowlink "
	    "&& test ! -e fifo && test ! -e null && test -f Procfile",
	    fx.base);
	buf_release(&out);
	buf_release(&evil);
}

static void
test_timeout_kills_everything(void **state)
{
	struct buf	 out = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	time_t		 t0 = time(NULL);

	(void)state;
	NEED_ROOT();
	make_pack("sleeppack", detect_any, "#!/bin/sh\nsetsid sleep 987702 "
	    ">/dev/null 2>&1 &\necho '-----> sleeping'\nexec sleep 100\n",
	    NULL);
	make_app("slow", files);
	assert_int_equal(build("slow", "--buildpack sleeppack --timeout 2",
	    &out), 1);
	expect_in(&out, " !     build timed out after 2 seconds");
	assert_true(time(NULL) - t0 < 15);
	assert_false(running("sleep 987702"));
	expect_no_cgroup("slow");
	expect_no_mounts();
	expect_no_work_dir("slow");
	buf_release(&out);
}

static void
test_hostile_repo_and_bad_inputs(void **state)
{
	struct buf	 out = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	const char	*badproc[] = { "Procfile", "web: a\nweb: b\n", NULL };

	(void)state;
	NEED_ROOT();
	make_app("shadow", files);
	sh("cd %s/src/shadow && ln -s /etc/shadow secret && git add secret "
	    "&& git -c user.name=t -c user.email=t@t commit -qm s && "
	    "git push -q %s/repos/shadow.git main", fx.base, fx.base);
	assert_int_equal(build("shadow", "--buildpack testpack-a", &out), 1);
	expect_in(&out, " !     checkout: symlink 'secret' points outside");
	expect_no_work_dir("shadow");

	make_app("badproc", badproc);
	make_pack("okpack", detect_any, "#!/bin/sh\nexit 0\n", NULL);
	assert_int_equal(build("badproc", "--buildpack okpack", &out), 1);
	expect_in(&out, " !     Procfile line 2: process type 'web' already "
	    "defined on line 1");

	assert_int_equal(build("badproc", "--buildpack file:///nonexistent/"
	    "pack.git", &out), 1);
	expect_in(&out, " !     buildpack 'file:///nonexistent/pack.git' "
	    "could not be fetched");
	assert_int_equal(build("badproc", "--buildpack nosuchpack", &out), 1);
	expect_in(&out, "not found among the built-in buildpacks");
	buf_release(&out);
}

static void
test_git_bomb_refused_fast(void **state)
{
	struct buf	 out = BUF_INIT;
	struct rusage	 ru;
	time_t		 t0;

	(void)state;
	NEED_ROOT();
	/* 10 levels of 10 entries: 10^10 paths in a few KB of objects */
	sh("d=%s/src/bomb && rm -rf $d && mkdir -p $d && cd $d && "
	    "git init -q -b main && b=$(printf x | git hash-object -w --stdin)"
	    " && t=$(for i in 0 1 2 3 4 5 6 7 8 9; do printf '100644 blob "
	    "%%s\\tf%%s\\n' $b $i; done | git mktree) && for l in 1 2 3 4 5 "
	    "6 7 8 9; do t=$(for i in 0 1 2 3 4 5 6 7 8 9; do printf "
	    "'040000 tree %%s\\td%%s\\n' $t $i; done | git mktree); done && "
	    "c=$(git -c user.name=t -c user.email=t@t commit-tree $t -m bomb)"
	    " && git update-ref refs/heads/main $c && rm -rf "
	    "%s/repos/bomb.git && git clone -q --bare . %s/repos/bomb.git",
	    fx.base, fx.base, fx.base);
	t0 = time(NULL);
	assert_int_equal(build("bomb", "--buildpack testpack-a", &out), 1);
	expect_in(&out, " !     checkout: more than 1000000 files");
	assert_true(time(NULL) - t0 < 5);
	assert_int_equal(getrusage(RUSAGE_CHILDREN, &ru), 0);
	assert_true(ru.ru_maxrss < 200 * 1024);
	expect_no_work_dir("bomb");
	buf_release(&out);
}

static void
test_no_buildpack_detects(void **state)
{
	struct buf	 out = BUF_INIT, args = BUF_INIT;
	const char	*files[] = { "README", "nothing here\n", NULL };

	(void)state;
	NEED_ROOT();
	sh("mkdir -p %s/builtins/procfile/bin && printf '#!/bin/sh\\n"
	    "[ -f \"$1/Procfile\" ] && echo Procfile\\n' > "
	    "%s/builtins/procfile/bin/detect && chmod -R a+rx %s/builtins",
	    fx.base, fx.base, fx.base);
	make_app("plain", files);
	buf_addf(&args, "--buildpacks-dir %s/builtins", fx.base);
	assert_int_equal(build("plain", args.p, &out), 1);
	expect_in(&out, " !     No default language could be detected");
	buf_release(&out);
	buf_release(&args);
}

/* what a build step is: the app's uid, no privileges, a read-only system */
static void
test_step_runs_confined(void **state)
{
	struct buf	 out = BUF_INIT, want = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };

	(void)state;
	NEED_ROOT();
	make_pack("confpack", detect_any, "#!/bin/sh\n"
	    "grep -E '^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' "
	    "/proc/self/status | tr -s '\\t' ' ' | sed 's/^/       /'\n"
	    "touch /usr/paas-evil 2>/dev/null || echo '       usr read-only'\n"
	    "touch /etc/paas-evil 2>/dev/null || echo '       etc read-only'\n"
	    "echo x > \"$3/X\" 2>/dev/null || echo '       env read-only'\n"
	    "echo '       pid1 '$(tr '\\0' ' ' < /proc/1/cmdline)\n"
	    "test -e /etc/shadow || echo '       no shadow'\n"
	    "echo ok > \"$1/written\" && echo ok > \"$2/cached\" && "
	    "echo '       dirs writable'\n", NULL);
	make_app("confined", files);
	assert_int_equal(build("confined", "--buildpack confpack", &out), 0);
	buf_addf(&want, "Uid: %d %d %d %d", BUILD_UID, BUILD_UID, BUILD_UID,
	    BUILD_UID);
	expect_in(&out, want.p);
	expect_in(&out, "CapEff: 0000000000000000");
	expect_in(&out, "CapPrm: 0000000000000000");
	expect_in(&out, "CapBnd: 0000000000000000");
	expect_in(&out, "NoNewPrivs: 1");
	expect_in(&out, "Seccomp: 2");
	expect_in(&out, "usr read-only");
	expect_in(&out, "etc read-only");
	expect_in(&out, "env read-only");
	expect_in(&out, "no shadow");
	expect_in(&out, "dirs writable");
	/* paas-init next to paas-build is PID 1 and reaps the zombies */
	buf_reset(&want);
	buf_addf(&want, "%s/paas-init", fx.bin);
	if (access(want.p, X_OK) == 0)
		expect_in(&out, "pid1 paas-init -- /bin/bash");
	assert_int_equal(access("/usr/paas-evil", F_OK), -1);
	expect_no_cgroup("confined");
	expect_no_mounts();
	expect_no_work_dir("confined");
	buf_release(&out);
	buf_release(&want);
}

static void
test_fork_bomb_stopped_by_pids_limit(void **state)
{
	struct buf	 out = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	time_t		 t0 = time(NULL);

	(void)state;
	NEED_ROOT();
	make_pack("bombpack", detect_any, "#!/bin/bash\n"
	    "echo '-----> forking'\n"
	    "while :; do sleep 987703 & done\n", NULL);
	make_app("forkbomb", files);
	assert_int_equal(build("forkbomb", "--buildpack bombpack "
	    "--build-pids 64", &out), 1);
	expect_in(&out, "-----> forking");
	expect_in(&out, " !     build exceeded its process limit (64 "
	    "processes)");
	assert_true(time(NULL) - t0 < 30);
	assert_false(running("sleep 987703"));
	expect_no_cgroup("forkbomb");
	expect_no_mounts();
	expect_no_work_dir("forkbomb");
	/* the host is fine: it can still fork */
	assert_true(sh_ok("true"));
	buf_release(&out);
}

static void
test_memory_hog_stopped_by_memory_limit(void **state)
{
	struct buf	 out = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	time_t		 t0 = time(NULL);

	(void)state;
	NEED_ROOT();
	make_pack("hogpack", detect_any, "#!/bin/bash\n"
	    "echo '-----> eating'\n"
	    "/usr/bin/python3 -c 'a = bytearray(512 * 1024 * 1024); "
	    "print(len(a))'\n"
	    "echo '       survived'\n"
	    "exit 1\n", NULL);
	make_app("memhog", files);
	assert_int_equal(build("memhog", "--buildpack hogpack "
	    "--build-memory 64", &out), 1);
	expect_in(&out, "-----> eating");
	expect_in(&out, " !     build exceeded its memory limit (64 MB)");
	assert_true(strstr(out.p, "536870912") == NULL);
	assert_true(time(NULL) - t0 < 60);
	expect_no_cgroup("memhog");
	expect_no_mounts();
	expect_no_work_dir("memhog");
	buf_release(&out);
}

/* SIGTERM to paas-build mid-step: the step and its daemons are gone */
static void
test_cancel_kills_everything(void **state)
{
	struct buf	 out = BUF_INIT;
	const char	*files[] = { "Procfile", "web: x\n", NULL };
	char		 p[256];
	FILE		*f;
	size_t		 n;

	(void)state;
	NEED_ROOT();
	make_pack("waitpack", detect_any, "#!/bin/sh\nsetsid sleep 987704 "
	    ">/dev/null 2>&1 &\necho '-----> waiting'\nexec sleep 100\n",
	    NULL);
	make_app("cancel", files);
	snprintf(p, sizeof(p), "%s/cancel-out", fx.base);
	sh("%s/paas-build --repo %s/repos/cancel.git --commit main --app "
	    "cancel --images %s/images --cache %s/cache/cancel --work "
	    "%s/work-cancel --buildpacks-dir %s/packs --buildpack waitpack "
	    "--uid %d --gid %d > %s 2>&1 & pid=$!; "
	    "for i in $(seq 100); do grep -q waiting %s && break; "
	    "sleep 0.1; done; kill -TERM $pid; wait $pid; "
	    "test $? = 1", fx.bin, fx.base, fx.base, fx.base, fx.base,
	    fx.base, BUILD_UID, BUILD_UID, p, p);
	f = fopen(p, "r");
	assert_non_null(f);
	buf_reset(&out);
	while ((n = fread(p, 1, sizeof(p), f)) > 0)
		buf_add(&out, p, n);
	fclose(f);
	expect_in(&out, "-----> waiting");
	expect_in(&out, " !     build cancelled");
	assert_false(running("sleep 987704"));
	expect_no_cgroup("cancel");
	expect_no_mounts();
	expect_no_work_dir("cancel");
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_packs_cache_env_release),
		cmocka_unit_test(test_procfile_wins_and_dot_buildpacks),
		cmocka_unit_test(test_no_process_types_warns),
		cmocka_unit_test(test_failing_compile_rejects),
		cmocka_unit_test(test_malicious_buildpack_achieves_nothing),
		cmocka_unit_test(test_timeout_kills_everything),
		cmocka_unit_test(test_hostile_repo_and_bad_inputs),
		cmocka_unit_test(test_git_bomb_refused_fast),
		cmocka_unit_test(test_no_buildpack_detects),
		cmocka_unit_test(test_step_runs_confined),
		cmocka_unit_test(test_fork_bomb_stopped_by_pids_limit),
		cmocka_unit_test(test_memory_hog_stopped_by_memory_limit),
		cmocka_unit_test(test_cancel_kills_everything),
	};

	alarm(300);
	return cmocka_run_group_tests(tests, setup, teardown);
}
