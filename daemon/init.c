/*
 * paas-init: PID 1 inside every container. Linked static so it runs in
 * any root filesystem; bound read-only at /dev/init.
 *
 *	paas-init -- CMD [ARG...]
 *
 * Starts CMD (searched in the container's PATH) as the leader of its
 * own process group, reaps every zombie the pid namespace hands it,
 * forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to that
 * process group, and exits with CMD's status: its exit code, or 128+N
 * when signal N killed it. 127: CMD not found, 126: not executable.
 * When init exits the kernel kills whatever is left in the namespace.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};
#define NFWD	(sizeof(forwarded) / sizeof(forwarded[0]))

static void
on_signal(int sig)
{
	(void)sig;
}

static void __attribute__((noreturn))
run_app(char **argv, const sigset_t *old)
{
	int e;

	(void)setpgid(0, 0);
	/* on a terminal the app's group is the foreground (SIGTTOU blocked) */
	if (isatty(0))
		(void)tcsetpgrp(0, getpid());
	(void)sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	e = errno;
	fprintf(stderr, "paas-init: exec %s: %s\n", argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static int
status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* reap every exited child; return the app's status once it is gone */
static int
reap(pid_t app, int *done)
{
	pid_t p;
	int st, code = 0;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == app) {
			*done = 1;
			code = status_code(st);
		}
	return code;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t all, old;
	siginfo_t si;
	size_t i;
	pid_t app;
	int done = 0, code = 0, c;

	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fprintf(stderr, "usage: paas-init -- CMD [ARG...]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	for (i = 0; i < NFWD; i++)
		sigaction(forwarded[i], &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((app = fork()) == -1) {
		fprintf(stderr, "paas-init: fork: %s\n", strerror(errno));
		return 1;
	}
	if (app == 0) {
		sa.sa_handler = SIG_DFL;
		for (i = 0; i < NFWD; i++)
			sigaction(forwarded[i], &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		run_app(argv + 2, &old);
	}
	(void)setpgid(app, app);
	while (!done) {
		if (sigwaitinfo(&all, &si) == -1)
			continue;
		if (si.si_signo == SIGCHLD) {
			c = reap(app, &done);
			if (done)
				code = c;
			continue;
		}
		for (i = 0; i < NFWD; i++)
			if (si.si_signo == forwarded[i] &&
			    kill(-app, si.si_signo) == -1)
				(void)kill(app, si.si_signo);
	}
	return code;
}
