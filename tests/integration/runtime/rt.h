#ifndef RT_H
#define RT_H

/*
 * Helpers shared by the runtime integration tests: a scratch directory
 * under /tmp removed pass or fail, file reads, and the path of bin/.
 */
#include <sys/types.h>

#include <stddef.h>

/* rt_scratch() makes /tmp/paas-rt.XXXXXX; rt_rmrf() removes a tree. */
int	rt_scratch(char *out, size_t outlen);
int	rt_rmrf(const char *path);
/* rt_mkdirs() makes a/b/c like mkdir -p; rt_write() writes a file. */
int	rt_mkdirs(const char *path);
int	rt_write(const char *path, const char *text);
/* rt_read() reads at most outlen-1 bytes of path into out (NUL-ended). */
ssize_t	rt_read(const char *path, char *out, size_t outlen);
/* rt_bin() is PAAS_BIN (set by make integration) or ./bin */
const char *rt_bin(void);
/* rt_drain() reads fd to EOF into out (NUL-ended, truncating). */
size_t	rt_drain(int fd, char *out, size_t outlen);

#endif
