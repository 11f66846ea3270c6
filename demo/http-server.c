/* SPDX-License-Identifier: MIT */
/*
 * http-server: an HTTP/1.1 server on 127.0.0.1 where every connection thread
 * is accounted for, and a shutdown that drains.
 *
 * Two tombs.  `server` runs the acceptor, blocked in tomb_accept; SIGINT or
 * SIGTERM kills it, the accept returns ECANCELED, and the listening socket
 * is closed: no new connections from then on.  `conns` (errgroup lifetime:
 * it dies once waited for and empty) runs one worker per connection, which
 * reads and writes with tomb_recv and tomb_send.  Idle connections see the
 * server dying and close; requests in flight get --grace seconds, then
 * `conns` is killed and they answer 503.  Exit status: 0 after a clean drain,
 * 1 if a request had to be interrupted, 2 on a usage error.
 */
#define _GNU_SOURCE /* strcasestr */
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

/* Writes all of buf unless t dies (NULL t: within a second); false if the
 * peer went away or t is dying. */
static bool send_all(tomb_t *t, int fd, const char *buf, size_t len)
{
	struct timespec deadline = tomb_deadline_ms(1000);
	size_t sent;

	return tomb_send(t, fd, buf, len, 0, &sent, t != NULL ? NULL : &deadline) == 0;
}

static bool respond(tomb_t *t, int fd, int code, const char *status,
                    const char *body, size_t len, bool close_after)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
	                 code, status, len, close_after ? "close" : "keep-alive");

	return send_all(t, fd, head, (size_t)n) && send_all(t, fd, body, len);
}

/* GET /bytes?n=N: N bytes of numbered lines, "000000000000000\n",
 * "000000000000001\n" and so on (the last one cut at N), as
 * `seq -f %015.0f 0 N/16 | head -c N` prints them: a body big enough to be
 * checked byte for byte through test/demo-proxy.sh's proxy. */
static bool respond_bytes(tomb_t *t, int fd, long total, bool close_after)
{
	char head[256], chunk[65536];
	long line = 0;
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: %ld\r\nConnection: %s\r\n\r\n",
	                 total, close_after ? "close" : "keep-alive");

	if (!send_all(t, fd, head, (size_t)n))
		return false;
	for (long left = total; left > 0;) {
		size_t len = 0;

		while (len < sizeof(chunk)) {
			char one[32];

			snprintf(one, sizeof(one), "%015ld\n", line++);
			memcpy(chunk + len, one, 16);
			len += 16;
		}
		if (len > (size_t)left)
			len = (size_t)left;
		if (!send_all(t, fd, chunk, len))
			return false;
		left -= (long)len;
	}
	return true;
}

/*
 * Reads one request head into buf.  1 when complete, 0 when the connection
 * should just close (peer gone, idle while the server stops, or the grace
 * period over), -1 when it is too big.
 */
static int read_head(int fd, char *buf, size_t size)
{
	size_t len = 0, got;
	int ready;

	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = tomb_dying_fd(server), .events = POLLIN}};

		/* conns' death ends any wait (ECANCELED); the server's, only
		 * that of an idle connection. */
		if (tomb_poll(conns, p, len == 0 ? 2 : 1, NULL, &ready) != 0 ||
		    p[0].revents == 0 ||
		    tomb_recv(conns, fd, buf + len, size - 1 - len, 0, &got,
		              NULL) != 0 ||
		    got == 0)
			return 0;
		len += got;
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
		respond(t, fd, 400, "Bad Request", "malformed request\n", 18, true);
		return false;
	}
	printf("request: %s %s\n", method, path); /* the access log */
	if (strcmp(version, "HTTP/1.0") == 0)
		close_after = true;
	if (strcmp(method, "GET") != 0) {
		respond(t, fd, 405, "Method Not Allowed", "only GET\n", 9, close_after);
	} else if (strcmp(path, "/") == 0) {
		atomic_fetch_add(&served, 1);
		respond(t, fd, 200, "OK", "hello from libtomb\n", 19, close_after);
	} else if (sscanf(path, "/bytes?n=%ld", &ms) == 1 && ms >= 0) {
		if (!respond_bytes(t, fd, ms, close_after))
			return false;
		atomic_fetch_add(&served, 1);
	} else if (sscanf(path, "/slow?ms=%ld", &ms) == 1 && ms >= 0) {
		struct timespec until = tomb_deadline_ms(ms);
		char body[64];

		if (tomb_sleep(t, &until) != 0) { /* conns killed: grace is over */
			atomic_fetch_add(&interrupted, 1);
			/* No tomb (t is dying): a second to say so. */
			respond(NULL, fd, 503, "Service Unavailable",
			        "shutting down\n", 14, true);
			return false;
		}
		atomic_fetch_add(&served, 1);
		snprintf(body, sizeof(body), "slept %ld ms\n", ms);
		respond(t, fd, 200, "OK", body, strlen(body), close_after);
	} else {
		respond(t, fd, 404, "Not Found", "not found\n", 10, close_after);
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
			respond(t, fd, 400, "Bad Request", "request too big\n", 16, true);
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
	int lfd = *(int *)arg, fd, err;

	while ((err = tomb_accept(t, lfd, NULL, NULL, SOCK_CLOEXEC, &fd,
	                          NULL)) == 0)
		if (tomb_go_named(conns, "conn", connection, (void *)(intptr_t)fd) != 0)
			close(fd);
	return err == ECANCELED ? TOMB_EDYING : err;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: http-server [--port N] [--grace SECONDS]\n"
	           "Serves GET /, GET /slow?ms=N and GET /bytes?n=N (N bytes of numbered\n"
	           "lines) on 127.0.0.1:N (default 8080; 0 picks a free port).  On SIGINT or SIGTERM it stops accepting, lets\n"
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
	    (err = tomb_go_named(server, "acceptor", acceptor, &lfd)) != 0) {
		fprintf(stderr, "http-server: %s\n", strerror(err));
		return 1;
	}
	printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));

	reason = tomb_wait(server); /* a signal, or the acceptor failed */
	close(lfd);
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
	tomb_free(conns);
	tomb_free(server);
	return reason != 0 || atomic_load(&interrupted) > 0 ? 1 : 0;
}
