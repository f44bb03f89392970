/*
 * The network policy of docs/RUNTIME.md: one nftables table that keeps
 * app uids from connecting to anything on this host.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container.h"

static int
table_ok(const char *t)
{
	size_t i, len = strlen(t);

	if (len == 0 || len > 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '_' ||
		    (i > 0 && t[i] >= '0' && t[i] <= '9')))
			return 0;
	return 1;
}

int
container_netpolicy_rules(const char *table, uid_t uid_lo, uid_t uid_hi,
    char *out, size_t outlen)
{
	int n;

	if (!table_ok(table) || uid_lo == 0 || uid_lo > uid_hi)
		return -EINVAL;
	/*
	 * The first two lines make "delete" work whether or not the table
	 * exists, so one nft transaction replaces it atomically.
	 */
	n = snprintf(out, outlen,
	    "table inet %s {}\n"
	    "delete table inet %s\n"
	    "table inet %s {\n"
	    "\tchain output {\n"
	    "\t\ttype filter hook output priority 0; policy accept;\n"
	    "\t\tmeta skuid != %u-%u accept\n"
	    "\t\tct state established,related accept\n"
	    "\t\tfib daddr type local meta l4proto { tcp, udp } "
	    "th dport 53 accept\n"
	    "\t\tfib daddr type local meta l4proto tcp "
	    "reject with tcp reset\n"
	    "\t\tfib daddr type local reject\n"
	    "\t}\n"
	    "}\n", table, table, table, (unsigned)uid_lo, (unsigned)uid_hi);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return n;
}

/* run nft -f - with text on its stdin; its stderr into msg */
static int
run_nft(const char *text, char *msg, size_t msglen)
{
	int in[2] = { -1, -1 }, er[2] = { -1, -1 }, st, rc = -EIO;
	size_t len = strlen(text), got = 0;
	ssize_t n;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(er, O_CLOEXEC) == -1) {
		rc = -errno;
		goto out;
	}
	if ((pid = fork()) == -1) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) == -1 || dup2(er[1], 2) == -1 ||
		    dup2(er[1], 1) == -1)
			_exit(127);
		execl(CONTAINER_NFT_PATH, "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(er[1]);
	in[0] = er[1] = -1;
	n = write(in[1], text, len);
	close(in[1]);
	in[1] = -1;
	while (got < msglen - 1 &&
	    (n = read(er[0], msg + got, msglen - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0)
		rc = 0;
out:
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (er[0] != -1)
		close(er[0]);
	if (er[1] != -1)
		close(er[1]);
	return rc;
}

int
container_netpolicy_apply(const char *table, uid_t uid_lo, uid_t uid_hi,
    struct perr *err)
{
	char rules[2048], msg[256];
	int rc;

	if ((rc = container_netpolicy_rules(table, uid_lo, uid_hi, rules,
	    sizeof(rules))) < 0)
		return perr_set(err, rc, "invalid network policy");
	if ((rc = run_nft(rules, msg, sizeof(msg))) < 0)
		return perr_set(err, rc, "nft: %s", msg[0] ? msg : "failed");
	return 0;
}

int
container_netpolicy_remove(const char *table, struct perr *err)
{
	char text[128], msg[256];
	int rc;

	if (!table_ok(table))
		return perr_set(err, -EINVAL, "invalid nft table name");
	snprintf(text, sizeof(text), "table inet %s {}\ndelete table inet %s\n",
	    table, table);
	if ((rc = run_nft(text, msg, sizeof(msg))) < 0)
		return perr_set(err, rc, "nft: %s", msg[0] ? msg : "failed");
	return 0;
}
