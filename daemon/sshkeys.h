#ifndef PAASD_SSHKEYS_H
#define PAASD_SSHKEYS_H

#include <stddef.h>

#include "gitcmd.h"
#include "perr.h"

/*
 * sshkeys: `git push ssh://…` for users who expect it (Dokku, piku).
 * Keys live in the store; paasd writes DATA/ssh/authorized_keys with a
 * forced command per key, for the system's sshd:
 *   command="/…/paas-git-shell --data-dir DATA key-ID",restrict,… KEY
 * and paas-git-shell lets that key run only git-receive-pack or
 * git-upload-pack on an existing app, with the path computed here.
 * The parsers are pure.
 */
#define SSHKEYS_LINE_MAX	16384
#define SSHKEYS_COMMENT_MAX	200

struct sshkey {
	char	type[48];		/* "ssh-ed25519" */
	char	blob[SSHKEYS_LINE_MAX];	/* base64, as given */
	char	comment[SSHKEYS_COMMENT_MAX + 1];
	char	fingerprint[64];	/* "SHA256:…" as ssh-keygen -l */
};

/*
 * sshkeys_parse() reads one authorized_keys-style public key line
 * ("TYPE BASE64 [COMMENT]") of an allowed type whose blob is valid
 * base64 and names the same type inside; options are refused.
 */
int	sshkeys_parse(const char *line, size_t len, struct sshkey *,
	    struct perr *);
/*
 * sshkeys_parse_command() takes $SSH_ORIGINAL_COMMAND and accepts only
 * "git-receive-pack 'APP.git'", "git-upload-pack 'APP.git'" and the
 * two-word spellings ("git receive-pack …"), with an optional leading
 * '/' in the path; the app name must be valid.
 */
int	sshkeys_parse_command(const char *cmd, enum gitcmd_service *,
	    char *app, size_t applen);
/* One authorized_keys line for key id (no newline). */
int	sshkeys_line(char *out, size_t outlen, const char *shell,
	    const char *data_dir, const char *id, const char *type,
	    const char *blob);

#endif
