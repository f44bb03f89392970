#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "out.h"

#define KEY_FILE_MAX	16384

int
cmd_keys(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct out_table	 t;
	json_t			*ans = NULL, *k;
	size_t			 i;

	(void)argc;
	(void)argv;
	if (cli_call(c, "GET", NULL, &ans, err, "/keys"))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
		json_decref(ans);
		return CLI_OK;
	}
	out_header(c->out, "SSH Keys");
	out_table_init(&t, 3, "  ");
	json_array_foreach(ans, i, k) {
		const char *row[3] = { cli_jstr(k, "fingerprint"),
		    cli_jstr(k, "comment"), cli_jstr(k, "id") };

		out_table_row(&t, row);
	}
	out_table_print(&t, c->out);
	out_table_release(&t);
	json_decref(ans);
	return CLI_OK;
}

static int
read_key(const char *path, struct buf *out, struct perr *err)
{
	char	 chunk[4096];
	size_t	 n;
	FILE	*f;

	f = fopen(path, "re");
	if (f == NULL)
		return cli_fail(err, -errno, "cannot read %s: %s", path,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(out, chunk, n);
		if (out->len > KEY_FILE_MAX) {
			fclose(f);
			return cli_fail(err, -E2BIG, "%s is not a public key "
			    "file (too big)", path);
		}
	}
	fclose(f);
	return CLI_OK;
}

/* keys:add [FILE]: default ~/.ssh/id_ed25519.pub, id_ecdsa.pub, id_rsa.pub */
int
cmd_keys_add(struct cli *c, int argc, char **argv, struct perr *err)
{
	static const char *const defaults[] = { "id_ed25519.pub",
	    "id_ecdsa.pub", "id_rsa.pub" };
	struct buf	 key = BUF_INIT;
	json_t		*body, *ans = NULL;
	const char	*home = getenv("HOME");
	char		 path[1024];
	size_t		 i;
	int		 rc = CLI_FAIL;

	if (argc > 0)
		snprintf(path, sizeof(path), "%s", argv[0]);
	else {
		path[0] = '\0';
		for (i = 0; home && i < sizeof(defaults) / sizeof(defaults[0]);
		    i++) {
			snprintf(path, sizeof(path), "%s/.ssh/%s", home,
			    defaults[i]);
			if (access(path, R_OK) == 0)
				break;
			path[0] = '\0';
		}
		if (path[0] == '\0')
			return cli_fail(err, -ENOENT, "no public key found in "
			    "~/.ssh; name one: paas keys:add FILE");
	}
	if (read_key(path, &key, err) != CLI_OK)
		goto out;
	body = json_pack("{s:s}", "public_key", key.p);
	if (body == NULL) {
		rc = cli_fail(err, -EINVAL, "%s is not text", path);
		goto out;
	}
	fprintf(c->msg, "Uploading %s SSH key... ", path);
	if (cli_call(c, "POST", body, &ans, err, "/keys") == 0) {
		fprintf(c->msg, "done\n");
		fprintf(c->out, "%s\n", cli_jstr(ans, "fingerprint"));
		rc = CLI_OK;
	} else
		fprintf(c->msg, "failed\n");
	json_decref(body);
	json_decref(ans);
out:
	buf_release(&key);
	return rc;
}

/* keys:remove ID|FINGERPRINT|COMMENT */
int
cmd_keys_remove(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL, *k, *gone = NULL;
	const char	*want = argv[0], *id = NULL;
	size_t		 i, matches = 0;
	int		 rc = CLI_FAIL;

	(void)argc;
	if (cli_call(c, "GET", NULL, &ans, err, "/keys"))
		return CLI_FAIL;
	json_array_foreach(ans, i, k)
		if (strcmp(cli_jstr(k, "id"), want) == 0 ||
		    strcmp(cli_jstr(k, "fingerprint"), want) == 0 ||
		    strcmp(cli_jstr(k, "comment"), want) == 0) {
			id = cli_jstr(k, "id");
			matches++;
		}
	if (matches == 0)
		rc = cli_fail(err, -ENOENT, "no key matches '%s'", want);
	else if (matches > 1)
		rc = cli_fail(err, -EINVAL, "%zu keys match '%s'; use the id "
		    "or fingerprint", matches, want);
	else if (cli_call(c, "DELETE", NULL, &gone, err, "/keys/%s", id) == 0) {
		fprintf(c->msg, "Removing %s SSH key... done\n", want);
		rc = CLI_OK;
	}
	json_decref(gone);
	json_decref(ans);
	return rc;
}
