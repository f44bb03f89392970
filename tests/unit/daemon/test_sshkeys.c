#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "sshkeys.h"

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKB5NHItzLpU63ajQiDlgm" \
	"OKbNtdT1HRHemflvLqqGZy"

static struct sshkey k;

static void
test_parse_key_and_fingerprint(void **state)
{
	struct perr	err = PERR_INIT;
	const char	*line = ED25519 " dev@laptop\n";

	(void)state;
	assert_int_equal(sshkeys_parse(line, strlen(line), &k, &err), 0);
	assert_string_equal(k.type, "ssh-ed25519");
	assert_string_equal(k.comment, "dev@laptop");
	/* what `ssh-keygen -lf` prints for this key */
	assert_string_equal(k.fingerprint,
	    "SHA256:jK5dpncFjK+zsXNOpfyTW+m45SaSLiZmJROZcL0a/hI");
	assert_int_equal(sshkeys_parse(ED25519, strlen(ED25519), &k, &err), 0);
	assert_string_equal(k.comment, "");
}

static void
test_refuse_bad_keys(void **state)
{
	static const char *const bad[] = {
		"",
		"ssh-ed25519",
		"ssh-dss AAAAB3NzaC1kc3MAAACBAP",
		"command=\"sh\" " ED25519,
		"ssh-ed25519 !!!notbase64!!!",
		/* an RSA blob labelled ed25519 */
		"ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQCepXi4SUf1Kvoe4+ijRs"
		    "WuDCMFvsK0XZdDfkaOXk2Q",
		ED25519 " two\nlines",
	};
	struct perr	err = PERR_INIT;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sshkeys_parse(bad[i], strlen(bad[i]), &k, &err) != -EINVAL)
			fail_msg("accepted bad key %zu", i);
}

static void
test_comment_is_sanitised(void **state)
{
	const char *line = ED25519 " a\"b\\c\x01";

	(void)state;
	assert_int_equal(sshkeys_parse(line, strlen(line), &k, NULL), 0);
	assert_string_equal(k.comment, "a_b_c_");
}

static void
test_forced_command_allowlist(void **state)
{
	static const struct {
		const char		*cmd;
		int			 ok;
		enum gitcmd_service	 svc;
	} cases[] = {
		{ "git-receive-pack 'hello.git'", 1, GITCMD_RECEIVE },
		{ "git-receive-pack '/hello.git'", 1, GITCMD_RECEIVE },
		{ "git receive-pack 'hello.git'", 1, GITCMD_RECEIVE },
		{ "git-upload-pack 'my-app.git'", 1, GITCMD_UPLOAD },
		{ "git upload-pack 'my-app.git'", 1, GITCMD_UPLOAD },
		{ "git-upload-archive 'hello.git'", 0, GITCMD_UPLOAD },
		{ "git-receive-pack hello.git", 0, GITCMD_RECEIVE },
		{ "git-receive-pack '../hello.git'", 0, GITCMD_RECEIVE },
		{ "git-receive-pack 'hello.git'; rm -rf /", 0, GITCMD_RECEIVE },
		{ "git-receive-pack 'hello.git' extra", 0, GITCMD_RECEIVE },
		{ "git-receive-pack 'Hello.git'", 0, GITCMD_RECEIVE },
		{ "git-receive-pack 'a/b.git'", 0, GITCMD_RECEIVE },
		{ "sh -c 'id'", 0, GITCMD_RECEIVE },
		{ "", 0, GITCMD_RECEIVE },
	};
	enum gitcmd_service	svc;
	char			app[32];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = sshkeys_parse_command(cases[i].cmd, &svc, app,
		    sizeof(app));

		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d", cases[i].cmd, rc);
		if (rc == 0)
			assert_int_equal(svc, cases[i].svc);
	}
	assert_int_equal(sshkeys_parse_command("git-receive-pack '/hello.git'",
	    &svc, app, sizeof(app)), 0);
	assert_string_equal(app, "hello");
	assert_int_equal(sshkeys_parse_command(NULL, &svc, app, sizeof(app)),
	    -EINVAL);
}

static void
test_authorized_keys_line(void **state)
{
	char line[1024];

	(void)state;
	assert_int_equal(sshkeys_line(line, sizeof(line), "/usr/bin/paas-git-"
	    "shell", "/var/lib/paas", "0a1b-2c", "ssh-ed25519", "AAAA"), 0);
	assert_string_equal(line, "command=\"/usr/bin/paas-git-shell --data-dir "
	    "/var/lib/paas key-0a1b-2c\",no-port-forwarding,no-X11-forwarding,"
	    "no-agent-forwarding,no-pty,no-user-rc,restrict ssh-ed25519 AAAA");
	assert_int_equal(sshkeys_line(line, sizeof(line), "/bin/x\" y",
	    "/d", "1", "t", "b"), -EINVAL);
	assert_int_equal(sshkeys_line(line, sizeof(line), "/bin/x",
	    "/d d", "1", "t", "b"), -EINVAL);
	assert_int_equal(sshkeys_line(line, 10, "/bin/x", "/d", "1", "t",
	    "b"), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_key_and_fingerprint),
		cmocka_unit_test(test_refuse_bad_keys),
		cmocka_unit_test(test_comment_is_sanitised),
		cmocka_unit_test(test_forced_command_allowlist),
		cmocka_unit_test(test_authorized_keys_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
