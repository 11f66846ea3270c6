/* SPDX-License-Identifier: MIT */
/*
 * http-server: an HTTP/1.1 server on 127.0.0.1 where every connection thread
 * is accounted for, and a shutdown that drains.
 *
 * Two tombs.  `server` runs the acceptor; SIGINT or SIGTERM kills it, and a
 * callback on its death shuts the listening socket so that accept() returns:
 * no new connections from then on.  `conns` (errgroup lifetime: it dies once
 * waited for and empty) runs one worker per connection.  Idle connections see
 * the server dying and close; requests in flight get --grace seconds, then
 * `conns` is killed and they answer 503.  Exit status: 0 after a clean drain,
 * 1 if a request had to be interrupted, 2 on a usage error.
 */
#define _GNU_SOURCE /* accept4, strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tomb.h>

static tomb_t *server, *conns;
static atomic_long served, interrupted;

/* Writes all of buf; false if the peer went away. */
static bool send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool respond(int fd, int code, const char *status, const char *body,
                    bool close_after)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
	                 code, status, strlen(body),
	                 close_after ? "close" : "keep-alive");

	return send_all(fd, head, (size_t)n) && send_all(fd, body, strlen(body));
}

/*
 * Reads one request head into buf.  1 when complete, 0 when the connection
 * should just close (peer gone, idle while the server stops, or the grace
 * period over), -1 when it is too big.
 */
static int read_head(int fd, char *buf, size_t size)
{
	size_t len = 0;
	struct pollfd p[3] = {{.fd = fd, .events = POLLIN},
	                      {.fd = tomb_dying_fd(conns), .events = POLLIN},
	                      {.fd = tomb_dying_fd(server), .events = POLLIN}};

	for (;;) {
		ssize_t n;

		/* The server's death matters only to an idle connection. */
		if (poll(p, len == 0 ? 3 : 2, -1) < 0 && errno != EINTR)
			return 0;
		if (p[1].revents & POLLIN)
			return 0;
		if (len == 0 && (p[2].revents & POLLIN) && !(p[0].revents & POLLIN))
			return 0;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 1;
		if (len == size - 1)
			return -1;
	}
}

/* Serves one request; false when the connection must close. */
static bool serve(tomb_t *t, int fd, char *req)
{
	char method[8], path[256], version[16];
	bool close_after = tomb_dying(server) ||
	                   strcasestr(req, "\r\nConnection: close") != NULL;
	long ms;

	if (sscanf(req, "%7s %255s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		respond(fd, 400, "Bad Request", "malformed request\n", true);
		return false;
	}
	printf("request: %s %s\n", method, path); /* the access log */
	if (strcmp(version, "HTTP/1.0") == 0)
		close_after = true;
	if (strcmp(method, "GET") != 0) {
		respond(fd, 405, "Method Not Allowed", "only GET\n", close_after);
	} else if (strcmp(path, "/") == 0) {
		atomic_fetch_add(&served, 1);
		respond(fd, 200, "OK", "hello from libtomb\n", close_after);
	} else if (sscanf(path, "/slow?ms=%ld", &ms) == 1 && ms >= 0) {
		struct timespec until = tomb_deadline_ms(ms);
		char body[64];

		if (tomb_sleep(t, &until) != 0) { /* conns killed: grace is over */
			atomic_fetch_add(&interrupted, 1);
			respond(fd, 503, "Service Unavailable", "shutting down\n", true);
			return false;
		}
		atomic_fetch_add(&served, 1);
		snprintf(body, sizeof(body), "slept %ld ms\n", ms);
		respond(fd, 200, "OK", body, close_after);
	} else {
		respond(fd, 404, "Not Found", "not found\n", close_after);
	}
	return !close_after;
}

static int connection(tomb_t *t, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[8192];
	int got;

	while ((got = read_head(fd, req, sizeof(req))) != 0) {
		if (got < 0) {
			respond(fd, 400, "Bad Request", "request too big\n", true);
			break;
		}
		if (!serve(t, fd, req))
			break;
	}
	close(fd);
	return 0; /* a connection's end is nobody's error */
}

static int acceptor(tomb_t *t, void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* shut down by the callback, or a real error */
		}
		if (tomb_go_named(conns, "conn", connection, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
	return tomb_dying(t) ? TOMB_EDYING : errno;
}

static void stop_accepting(tomb_t *t, void *arg)
{
	(void)t;
	shutdown(*(int *)arg, SHUT_RDWR);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: http-server [--port N] [--grace SECONDS]\n"
	           "Serves GET / and GET /slow?ms=N on 127.0.0.1:N (default 8080; 0\n"
	           "picks a free port).  On SIGINT or SIGTERM it stops accepting, lets\n"
	           "requests in flight finish for up to SECONDS (default 5), then\n"
	           "interrupts the rest.  Exits 0 after a clean drain, 1 if it had to\n"
	           "interrupt a request or failed, 2 on a usage error.\n");
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct tomb_opts co = {.lifetime = TOMB_LIFETIME_ERRGROUP, .name = "conn"};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof(sa);
	long port = 8080, grace = 5;
	tomb_hook_t hook = TOMB_HOOK_INIT;
	struct timespec deadline;
	int lfd, one = 1, reason, err;

	for (int i = 1; i < argc; i++) {
		long *out = NULL;
		char *end;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
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
	setvbuf(stdout, NULL, _IOLBF, 0);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 128) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0) {
		perror("http-server: listen");
		return 1;
	}
	server = tomb_new_opts(&(struct tomb_opts){.name = "server"});
	conns = tomb_new_opts(&co);
	if (server == NULL || conns == NULL) {
		perror("http-server");
		return 1;
	}
	if ((err = tomb_notify_signals(server, sigs, 2, TOMB_SIGNAL_SECOND_EXITS)) != 0 ||
	    (err = tomb_on_dying(server, stop_accepting, &lfd, &hook)) != 0 ||
	    (err = tomb_go_named(server, "acceptor", acceptor, &lfd)) != 0) {
		fprintf(stderr, "http-server: %s\n", strerror(err));
		return 1;
	}
	printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));

	reason = tomb_wait(server); /* a signal, or the acceptor failed */
	printf("shutdown: stopped accepting (%s)\n",
	       reason == 0 ? tomb_errmsg(server) : strerror(reason));
	printf("shutdown: %zu connections open, waiting up to %ld s\n",
	       tomb_count(conns), grace);
	deadline = tomb_deadline_ms(grace * 1000);
	if (tomb_timedwait(conns, &deadline, NULL) == ETIMEDOUT) {
		printf("shutdown: grace period over, interrupting\n");
		tomb_killf(conns, ETIMEDOUT, "grace period over");
		tomb_wait(conns);
	}
	printf("shutdown: done: %ld requests served, %ld interrupted\n",
	       atomic_load(&served), atomic_load(&interrupted));
	tomb_off(&hook);
	tomb_free(conns);
	tomb_free(server);
	close(lfd);
	return reason != 0 || atomic_load(&interrupted) > 0 ? 1 : 0;
}
