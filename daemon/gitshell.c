/*
 * paas-git-shell: the forced command of every key in
 * DATA/ssh/authorized_keys. It lets that key run exactly one thing:
 * git-receive-pack or git-upload-pack on an existing app's repository,
 * with the path computed here and the platform's git settings.
 *
 *   command="paas-git-shell --data-dir DATA key-ID",restrict KEY
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitcmd.h"
#include "sshkeys.h"

static int
refuse(const char *why)
{
	fprintf(stderr, " !     %s\n", why);
	return 1;
}

int
main(int argc, char **argv)
{
	enum gitcmd_service	 svc;
	struct gitcmd		 cmd;
	struct stat		 sb;
	const char		*data, *orig;
	char			 app[32];

	if (argc != 4 || strcmp(argv[1], "--data-dir") != 0 ||
	    argv[2][0] != '/' || strncmp(argv[3], "key-", 4) != 0)
		return refuse("paas-git-shell: bad forced command");
	data = argv[2];
	orig = getenv("SSH_ORIGINAL_COMMAND");
	if (orig == NULL)
		return refuse("this key can only push and fetch with git");
	if (sshkeys_parse_command(orig, &svc, app, sizeof(app)) != 0)
		return refuse("only 'git push' and 'git fetch' of an app "
		    "(APP.git) are allowed");
	if (gitcmd_init(&cmd, data, app, svc, 0, 0,
	    gitcmd_limit_read(data)) != 0)
		return refuse("invalid app");
	if (lstat(cmd.repo, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return refuse("no such app");
	execve(cmd.argv[0], cmd.argv, cmd.envp);
	fprintf(stderr, " !     cannot run git: %s\n", strerror(errno));
	return 1;
}
