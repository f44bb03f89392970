#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sshkeys.h"
#include "valid.h"

static const char *const key_types[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"ssh-rsa",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
};

static int
type_allowed(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i]) == len &&
		    memcmp(key_types[i], t, len) == 0)
			return 1;
	return 0;
}

/* Decode standard base64 with padding; -1 if it is not that. */
static int
b64_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > outlen)
		return -1;
	if (strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") < len)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	if (in[len - 1] == '=')
		n--;
	if (len >= 2 && in[len - 2] == '=')
		n--;
	return n;
}

static void
fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen)
{
	unsigned char	md[32];
	unsigned int	mdlen = 0;
	char		b64[64];
	int		n;

	EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL);
	n = EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	if (outlen < 8 + (size_t)n)
		return;
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, b64, (size_t)n + 1);
}

int
sshkeys_parse(const char *line, size_t len, struct sshkey *k,
    struct perr *err)
{
	static unsigned char	 blob[SSHKEYS_LINE_MAX];
	const char		*p = line, *end = line + len, *sp;
	size_t			 tlen, blen, i;
	int			 n;
	unsigned int		 inner;

	memset(k, 0, sizeof(*k));
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' '))
		end--;
	if (end - p >= SSHKEYS_LINE_MAX || memchr(p, '\n', (size_t)(end - p)))
		return perr_set(err, -EINVAL, "public key must be one line "
		    "shorter than %d bytes", SSHKEYS_LINE_MAX);
	sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return perr_set(err, -EINVAL, "public key must look like "
		    "'ssh-ed25519 AAAA... comment'");
	tlen = (size_t)(sp - p);
	if (!type_allowed(p, tlen))
		return perr_set(err, -EINVAL, "unsupported key type '%.*s' "
		    "(options before the key are not accepted either)",
		    (int)(tlen > 48 ? 48 : tlen), p);
	memcpy(k->type, p, tlen);
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	blen = sp ? (size_t)(sp - p) : (size_t)(end - p);
	memcpy(k->blob, p, blen);
	n = b64_decode(k->blob, blen, blob, sizeof(blob));
	if (n < 4)
		return perr_set(err, -EINVAL, "public key data is not base64");
	inner = (unsigned)blob[0] << 24 | (unsigned)blob[1] << 16 |
	    (unsigned)blob[2] << 8 | blob[3];
	if (inner != tlen || (size_t)n < 4 + tlen ||
	    memcmp(blob + 4, k->type, tlen) != 0)
		return perr_set(err, -EINVAL, "public key data does not match "
		    "its type");
	if (sp) {
		p = sp + 1;
		for (i = 0; p < end && i < SSHKEYS_COMMENT_MAX; p++) {
			unsigned char c = (unsigned char)*p;

			k->comment[i++] = c < 0x20 || c >= 0x7f || c == '"' ||
			    c == '\\' ? '_' : (char)c;
		}
	}
	fingerprint(blob, (size_t)n, k->fingerprint, sizeof(k->fingerprint));
	return 0;
}

int
sshkeys_parse_command(const char *cmd, enum gitcmd_service *svc, char *app,
    size_t applen)
{
	static const struct {
		const char		*verb;
		enum gitcmd_service	 svc;
	} verbs[] = {
		{ "git-receive-pack '", GITCMD_RECEIVE },
		{ "git receive-pack '", GITCMD_RECEIVE },
		{ "git-upload-pack '", GITCMD_UPLOAD },
		{ "git upload-pack '", GITCMD_UPLOAD },
	};
	const char	*p = NULL, *dot;
	size_t		 i, len;

	if (cmd == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strncmp(cmd, verbs[i].verb, strlen(verbs[i].verb)) == 0) {
			p = cmd + strlen(verbs[i].verb);
			*svc = verbs[i].svc;
			break;
		}
	if (p == NULL)
		return -EINVAL;
	if (*p == '/')
		p++;
	dot = strchr(p, '.');
	if (dot == NULL || strcmp(dot, ".git'") != 0)
		return -EINVAL;
	len = (size_t)(dot - p);
	if (len >= applen || valid_app_name(p, len, NULL) != 0)
		return -EINVAL;
	memcpy(app, p, len);
	app[len] = '\0';
	return 0;
}

int
sshkeys_line(char *out, size_t outlen, const char *shell,
    const char *data_dir, const char *id, const char *type, const char *blob)
{
	int n;

	/* the forced command is parsed by sshd and a shell: plain paths only */
	if (strspn(shell, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/._-") != strlen(shell) ||
	    strspn(data_dir, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/._-") != strlen(data_dir) ||
	    strspn(id, "0123456789abcdef-") != strlen(id))
		return -EINVAL;
	n = snprintf(out, outlen, "command=\"%s --data-dir %s key-%s\","
	    "no-port-forwarding,no-X11-forwarding,no-agent-forwarding,"
	    "no-pty,no-user-rc,restrict %s %s", shell, data_dir, id, type,
	    blob);
	return n >= 0 && (size_t)n < outlen ? 0 : -ENAMETOOLONG;
}
