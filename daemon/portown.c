#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portown.h"

#define TCP_LISTEN	0x0A

/* One line of /proc/net/tcp*: "sl local rem st ... uid timeout inode". */
static int
parse_line(const char *p, const char *end, int *port, int *state,
    unsigned long *inode)
{
	char		 field[64];
	const char	*colon;
	size_t		 len;
	int		 i;

	for (i = 0; i < 10; i++) {
		while (p < end && *p == ' ')
			p++;
		for (len = 0; p + len < end && p[len] != ' '; len++)
			;
		if (len == 0 || len >= sizeof(field))
			return -1;
		memcpy(field, p, len);
		field[len] = '\0';
		p += len;
		if (i == 1) {
			if ((colon = strrchr(field, ':')) == NULL)
				return -1;
			*port = (int)strtol(colon + 1, NULL, 16);
		} else if (i == 3)
			*state = (int)strtol(field, NULL, 16);
		else if (i == 9)
			*inode = strtoul(field, NULL, 10);
	}
	return 0;
}

int
portown_listeners(const char *text, size_t len, int port,
    unsigned long *inodes, size_t max, size_t *n)
{
	const char	*p = text, *end = text + len, *nl;
	unsigned long	 inode;
	int		 lport, state, first = 1;

	*n = 0;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (first) {		/* the header */
			first = 0;
			continue;
		}
		if (parse_line(p, nl, &lport, &state, &inode) == 0 &&
		    lport == port && state == TCP_LISTEN && inode != 0 &&
		    *n < max)
			inodes[(*n)++] = inode;
	}
	return 0;
}

static int
read_all(const char *path, char **textp, size_t *lenp)
{
	char	*text = NULL, *nt;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if ((nt = realloc(text, cap)) == NULL)
				abort();
			text = nt;
		}
		r = read(fd, text + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*textp = text;
	*lenp = len;
	return 0;
}

/* Does one of pids hold socket inode open? */
static int
held_by(unsigned long inode, const pid_t *pids, size_t npids)
{
	struct dirent	*de;
	char		 dir[64], link[64], want[48];
	ssize_t		 n;
	size_t		 i;
	DIR		*d;
	int		 found = 0;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	for (i = 0; i < npids && !found; i++) {
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pids[i]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while (!found && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			n = readlinkat(dirfd(d), de->d_name, link,
			    sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				found = strcmp(link, want) == 0;
			}
		}
		closedir(d);
	}
	return found;
}

int
portown_check(int port, const pid_t *pids, size_t npids)
{
	static const char *const tables[] = { "/proc/net/tcp",
	    "/proc/net/tcp6" };
	unsigned long	 inodes[PORTOWN_MAX];
	size_t		 t, i, n, total = 0, len = 0;
	char		*text = NULL;
	int		 rc;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		if ((rc = read_all(tables[t], &text, &len)) != 0) {
			if (rc == -ENOENT)	/* no IPv6 */
				continue;
			return rc;
		}
		portown_listeners(text, len, port, inodes, PORTOWN_MAX, &n);
		free(text);
		for (i = 0; i < n; i++)
			if (!held_by(inodes[i], pids, npids))
				return 0;
		total += n;
	}
	return total > 0;
}
