/* SPDX-License-Identifier: MIT */
/*
 * proxy: a TCP proxy on 127.0.0.1, Go's pair of io.Copy goroutines per
 * connection, with a shutdown that drains.
 *
 * Three levels of tombs.  `server` runs the acceptor, blocked in
 * tomb_accept; SIGINT or SIGTERM kills it, and the accept returns
 * ECANCELED: no callback shuts the socket down.  `conns` (errgroup
 * lifetime: it dies once waited for and empty) runs one worker per
 * connection, which connects upstream with tomb_connect and then makes a
 * child tomb of `conns` with the group lifetime, `pair`, that runs two
 * copy workers, one per direction: when either direction ends (its reader
 * sees the end, or an error), the group lifetime kills the pair and the
 * other copy returns ECANCELED from its tomb_read or tomb_write at once.
 * On a signal the proxy stops accepting and closes its port, lets the
 * transfers in flight finish for up to --grace seconds, then kills `conns`,
 * whose death reaches every pair, its child.
 * Exit status: 0 after a clean drain, 1 if a transfer was cut or the proxy
 * failed, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tomb.h>

/* The reason `conns` is killed with once the grace period is over. */
#define GRACE_OVER ETIMEDOUT

static tomb_t *server, *conns;
static struct sockaddr_storage upstream; /* set once, before any worker */
static socklen_t upstream_len;
static atomic_long proxied, interrupted, failed;

/* One direction of a connection: io.Copy(to, from). */
struct copy {
	int from, to;
};

static int copy(tomb_t *t, void *arg)
{
	const struct copy *c = arg;
	char buf[65536];
	size_t n, written;
	int err;

	while ((err = tomb_read(t, c->from, buf, sizeof(buf), &n, NULL)) == 0 &&
	       n > 0)
		if ((err = tomb_write(t, c->to, buf, n, &written, NULL)) != 0)
			break;
	/* The end of the stream (err 0) or an error kills the pair (group
	 * lifetime); ECANCELED means the other direction ended first. */
	return err == ECANCELED ? TOMB_EDYING : err;
}

/* A worker of `conns`: one client connection, from accept to close. */
static int connection(tomb_t *t, void *arg)
{
	int client = (int)(intptr_t)arg, up, err, reason;
	struct timespec deadline = tomb_deadline_ms(5000);
	struct tomb_opts o = {.parent = t, .lifetime = TOMB_LIFETIME_GROUP,
	                      .name = "pair"};
	struct copy there, back;
	tomb_t *pair;

	err = tomb_connect(t, (struct sockaddr *)&upstream, upstream_len,
	                   SOCK_STREAM | SOCK_CLOEXEC, &up, &deadline);
	if (err != 0) {
		fprintf(stderr, "proxy: upstream: %s\n", strerror(err));
		atomic_fetch_add(&failed, 1);
		close(client);
		return 0; /* one connection's failure is not the proxy's */
	}
	pair = tomb_new_opts(&o);
	if (pair == NULL) {
		atomic_fetch_add(&failed, 1);
		close(up);
		close(client);
		return 0;
	}
	there = (struct copy){.from = client, .to = up};
	back = (struct copy){.from = up, .to = client};
	if ((err = tomb_go_named(pair, "copy-up", copy, &there)) != 0 ||
	    (err = tomb_go_named(pair, "copy-down", copy, &back)) != 0)
		tomb_kill(pair, err);
	reason = tomb_wait(pair);
	tomb_free(pair);
	close(up);
	close(client);
	if (reason == GRACE_OVER && tomb_dying(t))
		atomic_fetch_add(&interrupted, 1);
	else
		atomic_fetch_add(&proxied, 1);
	return 0;
}

static int acceptor(tomb_t *t, void *arg)
{
	int lfd = *(int *)arg, fd, err;

	while ((err = tomb_accept(t, lfd, NULL, NULL, SOCK_CLOEXEC, &fd,
	                          NULL)) == 0)
		if (tomb_go_named(conns, "conn", connection,
		                  (void *)(intptr_t)fd) != 0)
			close(fd); /* no thread for it: refuse it */
	return err == ECANCELED ? TOMB_EDYING : err;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: proxy --upstream HOST:PORT [--port N] [--grace SECONDS]\n"
	           "Listens on 127.0.0.1:N (default 8081; 0 picks a free port) and\n"
	           "forwards each connection to HOST:PORT.  On SIGINT or SIGTERM it\n"
	           "stops accepting, lets transfers in flight finish for up to\n"
	           "SECONDS (default 5), then cuts the rest.  Exits 0 after a clean\n"
	           "drain, 1 if it had to cut a transfer or failed, 2 on a usage\n"
	           "error.\n");
}

/* Resolves HOST:PORT into upstream; false if it cannot. */
static bool resolve(char *hostport)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	char *colon = strrchr(hostport, ':');
	int err;

	if (colon == NULL || colon == hostport || colon[1] == '\0')
		return false;
	*colon = '\0';
	err = getaddrinfo(hostport, colon + 1, &hints, &res);
	*colon = ':';
	if (err != 0) {
		fprintf(stderr, "proxy: %s: %s\n", hostport, gai_strerror(err));
		return false;
	}
	memcpy(&upstream, res->ai_addr, res->ai_addrlen);
	upstream_len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct tomb_opts co = {.lifetime = TOMB_LIFETIME_ERRGROUP, .name = "conns"};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof(sa);
	long port = 8081, grace = 5;
	char *up = NULL;
	struct timespec deadline;
	int lfd, one = 1, reason, err;

	for (int i = 1; i < argc; i++) {
		long *out = NULL;
		char *end;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--upstream") == 0 && i + 1 < argc) {
			up = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--port") == 0)
			out = &port;
		else if (strcmp(argv[i], "--grace") == 0)
			out = &grace;
		if (out == NULL || i + 1 == argc) {
			usage(stderr);
			return 2;
		}
		*out = strtol(argv[++i], &end, 10);
		if (*end != '\0' || *out < 0 || (out == &port && *out > 65535)) {
			usage(stderr);
			return 2;
		}
	}
	if (up == NULL || !resolve(up)) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 128) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0) {
		perror("proxy: listen");
		return 1;
	}
	server = tomb_new_opts(&(struct tomb_opts){.name = "server"});
	conns = tomb_new_opts(&co);
	if (server == NULL || conns == NULL) {
		perror("proxy");
		return 1;
	}
	if ((err = tomb_notify_signals(server, sigs, 2, TOMB_SIGNAL_SECOND_EXITS)) != 0 ||
	    (err = tomb_go_named(server, "acceptor", acceptor, &lfd)) != 0) {
		fprintf(stderr, "proxy: %s\n", strerror(err));
		return 1;
	}
	printf("listening on 127.0.0.1:%d, upstream %s\n", ntohs(sa.sin_port), up);

	reason = tomb_wait(server); /* a signal, or the acceptor failed */
	close(lfd);
	printf("shutdown: stopped accepting (%s)\n",
	       reason == 0 ? tomb_errmsg(server) : strerror(reason));
	printf("shutdown: %zu connections open, waiting up to %ld s\n",
	       tomb_count(conns), grace);
	deadline = tomb_deadline_ms(grace * 1000);
	if (tomb_timedwait(conns, &deadline, NULL) == ETIMEDOUT) {
		printf("shutdown: grace period over, cutting transfers\n");
		tomb_killf(conns, GRACE_OVER, "grace period over");
		tomb_wait(conns);
	}
	printf("shutdown: done: %ld connections proxied, %ld cut, %ld failed\n",
	       atomic_load(&proxied), atomic_load(&interrupted),
	       atomic_load(&failed));
	tomb_free(conns);
	tomb_free(server);
	return reason != 0 || atomic_load(&interrupted) > 0 ? 1 : 0;
}
