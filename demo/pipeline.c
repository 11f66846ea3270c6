/* SPDX-License-Identifier: MIT */
/*
 * pipeline: the Go blog's "Pipelines and cancellation" bounded-parallelism
 * example (https://go.dev/blog/pipelines, bounded.go), ported to libtomb's
 * channels.  A walker sends the paths of the regular files under DIR on a
 * channel; N digesters receive them, compute each file's CRC-32 and send
 * the results on a second channel; the main thread collects them and
 * prints them sorted by path.  An error in any stage (a file that cannot
 * be read, a path that cannot be walked), --first N (stop after N
 * results) or SIGINT stops every stage at once: each is blocked in a
 * channel operation or a sleep that the kill interrupts, and every thread
 * is joined before the program exits.
 *
 *   pipeline [-j N] [--first N] [--slow MS] DIR
 *
 * Exit status: 0, the errno value of the first error, 130 after SIGINT,
 * or 2 for bad usage.  --slow makes each digester pause MS milliseconds
 * per file (interruptibly), for trying SIGINT by hand and in the test.
 */
#define _GNU_SOURCE
/* readdir and stat of 64-bit inode numbers in a 32-bit build too. */
#define _FILE_OFFSET_BITS 64
#include "tomb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a digester sends: a path it owns now, and its CRC-32. */
struct result {
	char *path;
	uint32_t crc;
};

struct pipeline {
	tomb_chan_t *paths;   /* of char *: the walker's, owned by the receiver */
	tomb_chan_t *results; /* of struct result */
	const char *root;
	long slow_ms;
	int digesters;
	atomic_int digesting; /* digesters still running; the last closes results */
};

/* ---- CRC-32 (IEEE 802.3, as zlib's crc32 and gzip) ---------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* The CRC-32 of the file at path: 0, or an errno value. */
static int crc_file(const char *path, uint32_t *out)
{
	unsigned char buf[65536];
	uint32_t c = 0xffffffffu;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			c = crc_table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
	}
	close(fd);
	*out = c ^ 0xffffffffu;
	return err;
}

/* ---- the walker: one worker ---------------------------------------------- */

/* Sends the regular files under dir (not following links to directories):
 * 0, ECANCELED once the tomb is dying, or an errno value (killed with it
 * and a message). */
static int walk(tomb_t *t, struct pipeline *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	if (d == NULL)
		return tomb_killf(t, errno, "%s: %s", dir, strerror(errno));
	while (err == 0 && (e = readdir(d)) != NULL) {
		struct stat st;
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			err = tomb_killf(t, ENOMEM, "out of memory");
			break;
		}
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			err = walk(t, p, path);
			free(path);
			continue;
		}
		if (stat(path, &st) != 0) { /* a link that leads nowhere */
			err = tomb_killf(t, errno, "%s: %s", path, strerror(errno));
			free(path);
			break;
		}
		if (!S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		/* Blocks while the digesters are busy: the bound. */
		if ((err = tomb_chan_send(t, p->paths, &path, NULL)) != 0)
			free(path); /* not sent: still ours */
	}
	closedir(d);
	return err;
}

static int walker(tomb_t *t, void *arg)
{
	struct pipeline *p = arg;
	int err = walk(t, p, p->root);

	tomb_chan_close(p->paths); /* the digesters' loops end */
	return err == ECANCELED ? TOMB_EDYING : err;
}

/* ---- the digesters: N workers -------------------------------------------- */

static int digester(tomb_t *t, void *arg)
{
	struct pipeline *p = arg;
	struct result r;
	int err;

	/* Go's for path := range paths */
	while ((err = tomb_chan_recv(t, p->paths, &r.path, NULL)) == 0) {
		if (p->slow_ms > 0) {
			struct timespec at = tomb_deadline_ms(p->slow_ms);

			if (tomb_sleep(t, &at) == ECANCELED) {
				free(r.path);
				err = ECANCELED;
				break;
			}
		}
		if ((err = crc_file(r.path, &r.crc)) != 0) {
			tomb_killf(t, err, "%s: %s", r.path, strerror(err));
			free(r.path);
			break;
		}
		if ((err = tomb_chan_send(t, p->results, &r, NULL)) != 0) {
			free(r.path);
			break;
		}
	}
	if (atomic_fetch_sub(&p->digesting, 1) == 1)
		tomb_chan_close(p->results); /* the last one: the collector ends */
	if (err == EPIPE)
		return 0; /* no more paths */
	return err == ECANCELED ? TOMB_EDYING : err;
}

/* ---- the collector: main ------------------------------------------------- */

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct result *)a)->path,
	              ((const struct result *)b)->path);
}

static int usage(void)
{
	fprintf(stderr, "usage: pipeline [-j N] [--first N] [--slow MS] DIR\n");
	return 2;
}

/* A positive number from a command-line word, or -1. */
static long number(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || end == s || v < 1 || v > max ? -1 : v;
}

int main(int argc, char **argv)
{
	struct pipeline p = {.digesters = 4};
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP,
	                      .name = "pipeline"};
	int sigs[] = {SIGINT, SIGTERM};
	struct result r, *all = NULL;
	size_t n = 0, room = 0;
	long first = 0;
	int err, reason;
	tomb_t *t;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0) {
			if ((p.digesters = (int)number(argv[++i], 1024)) < 0)
				return usage();
		} else if (strcmp(argv[i], "--first") == 0) {
			if ((first = number(argv[++i], 1000000000)) < 0)
				return usage();
		} else if (strcmp(argv[i], "--slow") == 0) {
			if ((p.slow_ms = number(argv[++i], 3600000)) < 0)
				return usage();
		} else if (strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else if (argv[i][0] == '-' || p.root != NULL) {
			return usage();
		} else {
			p.root = argv[i];
		}
	}
	if (p.root == NULL)
		return usage();
	crc_init();

	/* An unbuffered channel of paths, as in the blog; results buffered a
	 * little, so digesters rarely wait for the collector. */
	p.paths = tomb_chan_new(sizeof(char *), 0);
	p.results = tomb_chan_new(sizeof(struct result), 16);
	atomic_init(&p.digesting, p.digesters);
	if (p.paths == NULL || p.results == NULL || (t = tomb_new_opts(&o)) == NULL) {
		perror("pipeline");
		return 1;
	}
	if ((err = tomb_notify_signals(t, sigs, 2, TOMB_SIGNAL_REASON)) != 0 ||
	    (err = tomb_go_named(t, "walker", walker, &p)) != 0) {
		fprintf(stderr, "pipeline: %s\n", strerror(err));
		tomb_kill(t, err);
	}
	for (int i = 0; i < p.digesters && err == 0; i++)
		if ((err = tomb_go_named(t, "digester", digester, &p)) != 0) {
			fprintf(stderr, "pipeline: %s\n", strerror(err));
			tomb_kill(t, err);
			/* The ones not started will not close results. */
			atomic_fetch_sub(&p.digesting, p.digesters - i);
		}

	/* Collect until the results end, the tomb dies, or --first N. */
	while ((first == 0 || (long)n < first) &&
	       tomb_chan_recv(t, p.results, &r, NULL) == 0) {
		if (n == room) {
			struct result *more;

			room = room ? 2 * room : 64;
			if ((more = realloc(all, room * sizeof(*all))) == NULL) {
				free(r.path);
				tomb_killf(t, ENOMEM, "out of memory");
				break;
			}
			all = more;
		}
		all[n++] = r;
	}
	tomb_kill(t, 0); /* --first: stop the others; else they are done */
	reason = tomb_wait(t);

	/* Every thread is joined: free what the channels still hold. */
	{
		char *path;

		while (tomb_chan_tryrecv(p.results, &r) == 0)
			free(r.path);
		while (tomb_chan_tryrecv(p.paths, &path) == 0)
			free(path);
	}
	if (reason != 0) {
		fprintf(stderr, "pipeline: %s\n", tomb_errmsg(t));
	} else {
		qsort(all, n, sizeof(*all), by_path);
		for (size_t i = 0; i < n; i++)
			printf("%08x  %s\n", (unsigned)all[i].crc, all[i].path);
	}
	for (size_t i = 0; i < n; i++)
		free(all[i].path);
	free(all);
	tomb_free(t);
	tomb_chan_free(p.paths);
	tomb_chan_free(p.results);
	return reason;
}
