/*
 * Every built-in buildpack's bin/detect on fixture directories made in a
 * temp dir: the exit status and the name it prints. Finds the packs in
 * $PAAS_SRC/buildpacks, else ./buildpacks (make runs tests from the top).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* The order paas-build tries them in. */
static const char *const order[] = {
	"nodejs", "python", "go", "c", "static", "procfile",
};

struct fixture {
	const char	*pack;
	const char	*files;		/* space-separated, parents created */
	const char	*name;		/* what detect prints, NULL: no match */
};

static const struct fixture fixtures[] = {
	{ "nodejs",	"package.json",			"Node.js" },
	{ "nodejs",	"server.js index.js Procfile",	NULL },
	{ "nodejs",	"sub/package.json",		NULL },
	{ "python",	"requirements.txt",		"Python" },
	{ "python",	"pyproject.toml",		"Python" },
	{ "python",	"setup.py",			"Python" },
	{ "python",	"runtime.txt",			"Python" },
	{ "python",	"app.py manage.py",		NULL },
	{ "go",		"go.mod main.go",		"Go" },
	{ "go",		"main.go go.sum",		NULL },
	{ "c",		"Makefile",			"C" },
	{ "c",		"GNUmakefile",			"C" },
	{ "c",		"configure",			"C" },
	{ "c",		"main.c CMakeLists.txt",	NULL },
	{ "static",	"index.html",			"Static" },
	{ "static",	"public/index.html",		"Static" },
	{ "static",	"dist/index.html",		"Static" },
	{ "static",	"_site/index.html",		"Static" },
	{ "static",	"docs/index.html site/index.htm", NULL },
	{ "procfile",	"Procfile",			"Procfile" },
	{ "procfile",	"procfile.txt README",		NULL },
};

static char	packs[PATH_MAX];

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Make a fixture dir holding the (empty) files; returns 0 or -1. */
static int
fixture_make(char *dir, size_t dirlen, const char *files)
{
	char	 list[256], path[PATH_MAX + 256], *tok, *save, *slash;
	int	 fd;

	snprintf(dir, dirlen, "/tmp/paas-detect-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(list, sizeof(list), "%s", files);
	for (tok = strtok_r(list, " ", &save); tok;
	    tok = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/%s", dir, tok);
		if ((slash = strrchr(path, '/')) > path + strlen(dir)) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* Run PACK/bin/detect DIR: exit status, stdout (trimmed) in out. */
static int
detect(const char *pack, const char *dir, char *out, size_t outlen)
{
	char	 prog[PATH_MAX + 64];
	int	 pfd[2], st;
	ssize_t	 n;
	size_t	 len = 0;
	pid_t	 pid;

	snprintf(prog, sizeof(prog), "%s/%s/bin/detect", packs, pack);
	if (pipe(pfd) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(prog, prog, dir, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (len + 1 < outlen &&
	    (n = read(pfd[0], out + len, outlen - len - 1)) > 0)
		len += (size_t)n;
	close(pfd[0]);
	out[len] = '\0';
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_detect_fixtures(void **state)
{
	char	 dir[64], out[128];
	size_t	 i;
	int	 rc;

	(void)state;
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];

		assert_int_equal(fixture_make(dir, sizeof(dir), f->files), 0);
		rc = detect(f->pack, dir, out, sizeof(out));
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		if (f->name) {
			if (rc != 0)
				fail_msg("%s on '%s': exit %d", f->pack,
				    f->files, rc);
			assert_string_equal(out, f->name);
		} else if (rc == 0) {
			fail_msg("%s matched '%s'", f->pack, f->files);
		} else {
			assert_int_equal(rc, 1);
		}
	}
}

/* The first pack in build order that claims the files, or "". */
static void
first_match(const char *files, char *name, size_t namelen)
{
	char	 dir[64];
	size_t	 i;

	name[0] = '\0';
	assert_int_equal(fixture_make(dir, sizeof(dir), files), 0);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (detect(order[i], dir, name, namelen) == 0)
			break;
	if (i == sizeof(order) / sizeof(order[0]))
		name[0] = '\0';
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
test_detect_order(void **state)
{
	char	name[128];

	(void)state;
	first_match("package.json requirements.txt Procfile", name,
	    sizeof(name));
	assert_string_equal(name, "Node.js");
	first_match("requirements.txt go.mod Makefile", name, sizeof(name));
	assert_string_equal(name, "Python");
	first_match("go.mod Makefile index.html", name, sizeof(name));
	assert_string_equal(name, "Go");
	first_match("Makefile public/index.html Procfile", name, sizeof(name));
	assert_string_equal(name, "C");
	first_match("dist/index.html Procfile", name, sizeof(name));
	assert_string_equal(name, "Static");
	first_match("Procfile run.sh", name, sizeof(name));
	assert_string_equal(name, "Procfile");
	first_match("README.md", name, sizeof(name));
	assert_string_equal(name, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_fixtures),
		cmocka_unit_test(test_detect_order),
	};
	const char	*src = getenv("PAAS_SRC");
	char		 probe[PATH_MAX + 32];

	alarm(60);
	snprintf(packs, sizeof(packs), "%s/buildpacks", src ? src : ".");
	snprintf(probe, sizeof(probe), "%s/nodejs/bin/detect", packs);
	if (access(probe, X_OK) < 0) {
		fprintf(stderr, "test_detect: no buildpacks in %s "
		    "(run from the top of the tree or set PAAS_SRC)\n", packs);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
