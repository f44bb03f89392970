#ifndef PAASD_PORTOWN_H
#define PAASD_PORTOWN_H

#include <sys/types.h>

#include <stddef.h>

/*
 * portown: who listens on a web instance's $PORT. Apps share the host's
 * network, so another app could bind a port paasd handed to a new
 * instance before that instance does; "something accepts on $PORT" is
 * then not "the instance is up". An instance is ready only when every
 * listening socket on its port belongs to one of its own processes.
 */
#define PORTOWN_MAX	16	/* listening sockets considered per port */

/*
 * portown_listeners() is pure: the inodes of the sockets in LISTEN state
 * on port in the text of /proc/net/tcp or /proc/net/tcp6. Returns 0.
 */
int	portown_listeners(const char *text, size_t len, int port,
	    unsigned long *inodes, size_t max, size_t *n);

/*
 * portown_check(): 1 when something listens on port and every such
 * socket is held open by one of pids; 0 when nothing listens or some
 * listener belongs to another process; <0 on an error reading /proc.
 */
int	portown_check(int port, const pid_t *pids, size_t npids);

#endif
