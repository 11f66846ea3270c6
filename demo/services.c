/* SPDX-License-Identifier: MIT */
/*
 * services: pkg/group's example in C.  Three services, an HTTP one, a TCP
 * echo one and a metrics one, run in one tomb with the group lifetime: the
 * first to return, for any reason, stops the others.  SIGINT or SIGTERM stop
 * them all gracefully.  The exit status comes from the reason: 0 after a
 * graceful stop, 1 if a service failed.
 *
 * A service is a function that blocks until it is told to stop; main decides
 * which thread runs it.  Each service keeps its connections in a child tomb,
 * so that they stop with it and one wait on the group covers them all; it
 * accepts, reads and writes with tomb_accept, tomb_recv and tomb_send on that
 * tomb, which a kill of the group, or of the service alone, interrupts.
 */
#include <arpa/inet.h>
#include <errno.h>
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

struct service {
	const char *name;
	long port;
	int fd;                       /* the listening socket */
	tomb_fn *conn;                /* serves one connection */
};

static atomic_long http_requests, echo_lines;

/* Sends a reply, within a second (no tomb: also while stopping). */
static void reply(int fd, const char *status, const char *body)
{
	char buf[512];
	struct timespec deadline = tomb_deadline_ms(1000);
	size_t sent;
	int n = snprintf(buf, sizeof(buf),
	                 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	                 status, strlen(body), body);

	(void)!tomb_send(NULL, fd, buf, (size_t)n, 0, &sent, &deadline);
}

/* Reads a request head; returns its path in path[256], or false. */
static bool read_request(tomb_t *t, int fd, char *path)
{
	char req[4096] = "";
	size_t len = 0;

	while (len == 0 || strstr(req, "\r\n\r\n") == NULL) {
		size_t n;

		if (len == sizeof(req) - 1 ||
		    tomb_recv(t, fd, req + len, sizeof(req) - 1 - len, 0, &n,
		              NULL) != 0 ||
		    n == 0)
			return false;
		len += n;
		req[len] = '\0';
	}
	return sscanf(req, "GET %255s HTTP/1.", path) == 1;
}

/* The HTTP service's connections.  GET / answers; GET /quit makes the
 * service return 0, GET /fail makes it fail: either stops the group.  The
 * connection tells its service by killing the service's tomb, t, which ends
 * its tomb_accept. */
static atomic_int http_verdict = -1; /* -1: go on */

static void end_http_service(tomb_t *t, int verdict)
{
	atomic_store(&http_verdict, verdict);
	tomb_kill(t, 0);
}

static int http_conn(tomb_t *t, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char path[256];

	if (read_request(t, fd, path)) {
		atomic_fetch_add(&http_requests, 1);
		if (strcmp(path, "/quit") == 0) {
			reply(fd, "200 OK", "quitting\n");
			end_http_service(t, 0);
		} else if (strcmp(path, "/fail") == 0) {
			reply(fd, "500 Internal Server Error", "failing\n");
			end_http_service(t, EIO);
		} else {
			reply(fd, "200 OK", "hello from the http service\n");
		}
	} else {
		reply(fd, "400 Bad Request", "bad request\n");
	}
	close(fd);
	return 0;
}

static int echo_conn(tomb_t *t, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[1024];
	size_t n, sent;

	while (tomb_recv(t, fd, buf, sizeof(buf), 0, &n, NULL) == 0 && n > 0) {
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				atomic_fetch_add(&echo_lines, 1);
		if (tomb_send(t, fd, buf, n, 0, &sent, NULL) != 0)
			break;
	}
	close(fd);
	return 0;
}

static int metrics_conn(tomb_t *t, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char path[256], body[128];

	if (read_request(t, fd, path)) {
		snprintf(body, sizeof(body), "http_requests %ld\necho_lines %ld\n",
		         atomic_load(&http_requests), atomic_load(&echo_lines));
		reply(fd, "200 OK", body);
	}
	close(fd);
	return 0;
}

/* Runs one service until the group dies or the service decides to end. */
static int run_service(tomb_t *group, void *arg)
{
	struct service *s = arg;
	struct tomb_opts o = {.parent = group, .lifetime = TOMB_LIFETIME_ERRGROUP,
	                      .name = s->name};
	tomb_t *conns = tomb_new_opts(&o);
	int rc, err, fd, verdict;

	if (conns == NULL)
		return errno;
	/* conns dies with the group (its parent), or when a request ends
	 * the service: either ends the accept with ECANCELED. */
	while ((err = tomb_accept(conns, s->fd, NULL, NULL, SOCK_CLOEXEC, &fd,
	                          NULL)) == 0)
		if (tomb_go(conns, s->conn, (void *)(intptr_t)fd) != 0)
			close(fd);
	verdict = atomic_load(&http_verdict);
	if (err != ECANCELED)
		rc = err;
	else if (s->conn == http_conn && verdict >= 0)
		rc = verdict; /* a request asked the service to end */
	else
		rc = TOMB_EDYING;
	tomb_kill(conns, 0);
	tomb_wait(conns);
	tomb_free(conns);
	return rc;
}

static int listen_on(struct service *s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)s->port);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->fd, 64) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	printf("%s listening on 127.0.0.1:%d\n", s->name, ntohs(sa.sin_port));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: services [--http-port N] [--echo-port N] [--metrics-port N]\n"
	           "Runs an HTTP service (GET /, /quit, /fail), a TCP echo service and a\n"
	           "metrics service on 127.0.0.1 (port 0, the default, picks a free one)\n"
	           "until SIGINT or SIGTERM, or until one of them returns.  Exits 0 after\n"
	           "a graceful stop, 1 if a service failed, 2 on a usage error.\n");
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct service svc[3] = {
		{.name = "http", .conn = http_conn},
		{.name = "echo", .conn = echo_conn},
		{.name = "metrics", .conn = metrics_conn},
	};
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_GROUP, .name = "services"};
	tomb_t *group;
	int reason, err = 0;

	for (int i = 1; i < argc; i++) {
		static const char *flags[3] = {"--http-port", "--echo-port",
		                               "--metrics-port"};
		int k = 0;
		char *end;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		while (k < 3 && strcmp(argv[i], flags[k]) != 0)
			k++;
		if (k == 3 || i + 1 == argc) {
			usage(stderr);
			return 2;
		}
		svc[k].port = strtol(argv[++i], &end, 10);
		if (*end != '\0' || svc[k].port < 0 || svc[k].port > 65535) {
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int k = 0; k < 3; k++)
		if (listen_on(&svc[k]) != 0) {
			fprintf(stderr, "services: %s: %s\n", svc[k].name, strerror(errno));
			return 1;
		}
	group = tomb_new_opts(&o);
	if (group == NULL)
		return 1;
	err = tomb_notify_signals(group, sigs, 2, TOMB_SIGNAL_SECOND_EXITS);
	for (int k = 0; k < 3 && err == 0; k++)
		err = tomb_go_named(group, svc[k].name, run_service, &svc[k]);
	if (err != 0)
		tomb_killf(group, err, "starting the services: %s", strerror(err));

	reason = tomb_wait(group); /* every service and connection has ended */
	printf("services stopped: %s\n", reason == 0 && *tomb_errmsg(group) == '\0'
	                                         ? "a service returned"
	                                         : tomb_errmsg(group));
	tomb_free(group);
	for (int k = 0; k < 3; k++)
		close(svc[k].fd);
	return reason == 0 ? 0 : 1;
}
