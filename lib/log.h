#ifndef PAAS_LOG_H
#define PAAS_LOG_H

/*
 * One line per event to stderr, relayd's API: log_warn() appends
 * ": strerror(errno)", log_warnx() does not. fatal()/fatalx() exit 1 and
 * are for start-up only. Messages are key=value context; callers escape
 * untrusted text with log_escape() first.
 */
void	log_init(const char *progname, int verbose);
/* log_reopen() points stderr at path again (SIGHUP); NULL keeps it. */
int	log_reopen(const char *path);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/*
 * log_escape() copies at most outlen-1 bytes of s into out, replacing
 * control bytes, quotes and backslashes with escapes; returns out.
 */
char	*log_escape(char *out, size_t outlen, const char *s, size_t len);

#endif
