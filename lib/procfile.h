#ifndef PAAS_PROCFILE_H
#define PAAS_PROCFILE_H

#include <stddef.h>
#include <stdint.h>

#include "perr.h"

/*
 * The Procfile: "type: command" lines, '#' comments, blank lines. Types
 * match ^[a-z][a-z0-9_-]{0,62}$ (valid_process_type). A duplicate type,
 * an empty command, a line without ':' or a NUL byte is an error that
 * names the line. CRLF line ends are accepted. Leading and trailing
 * blanks of a line and around the command are dropped. Pure: no
 * syscalls, so it can be fuzzed.
 */
#define PROCFILE_MAX_BYTES	(64 * 1024)
#define PROCFILE_MAX_ENTRIES	1000

struct procfile_entry {
	char		*type;		/* NUL-terminated, owned */
	char		*command;	/* NUL-terminated, owned */
	unsigned	 line;		/* 1-based line it came from */
};

struct procfile {
	struct procfile_entry	*v;	/* in file order */
	size_t			 n;
};

#define PROCFILE_INIT	{ NULL, 0 }

/* procfile_parse() fills an initialised pf; on error pf stays empty. */
int	procfile_parse(const char *text, size_t len, struct procfile *pf,
	    struct perr *err);
void	procfile_release(struct procfile *pf);
/* procfile_get() returns the command for type, or NULL. */
const char *procfile_get(const struct procfile *pf, const char *type);
/* procfile_add() appends type/command (copied); -EEXIST if type is there. */
int	procfile_add(struct procfile *pf, const char *type, const char *cmd,
	    struct perr *err);
/* procfile_fuzz() parses and frees; the entry point for fuzzers. */
int	procfile_fuzz(const uint8_t *data, size_t size);

#endif
