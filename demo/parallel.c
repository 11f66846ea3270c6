/* SPDX-License-Identifier: MIT */
/*
 * parallel: errgroup's classic job, in C: a CRC-32 of every regular file under
 * a directory, with at most -j N files in work at once.
 *
 * One tomb, `files`, with the errgroup lifetime and a limit of N: main walks
 * the tree and starts one worker per file with tomb_go, which blocks while N
 * run and fails with ECANCELED once the tomb is dying.  The first file that
 * cannot be opened or read kills the tomb with its name; the other workers see
 * it between chunks and stop.  main's tomb_wait returns once every worker has,
 * with 0 if none failed.  --timeout runs a timer on a second tomb of its own
 * (with the errgroup lifetime the timer would keep `files` from dying), which
 * kills `files` when the deadline passes; main stops it once `files` is dead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nftw, strdup */
#endif
/* nftw and stat of 64-bit inode numbers in a 32-bit build too. */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <tomb.h>

#define CHUNK (64 * 1024)
#define MAX_JOBS 1024
#define MAX_TIMEOUT_MS 86400000LL /* a day */

static tomb_t *files; /* for visit(): nftw has no argument for its callback */

struct timer {
	tomb_t *victim;
	long long ms;
	struct timespec deadline;
};

/* One file: prints its CRC-32, or kills the tomb with its name. */
static int checksum(tomb_t *t, void *arg)
{
	char *path = arg;
	unsigned char buf[CHUNK];
	uLong crc = crc32(0L, Z_NULL, 0);
	int fd = -1, err = 0;

	if (tomb_dying(t))
		err = TOMB_EDYING;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err = errno;
	while (err == 0) {
		ssize_t n;

		if (tomb_dying(t)) {
			err = TOMB_EDYING; /* another file failed, or the timeout */
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		else if (n == 0)
			break;
		else
			crc = crc32(crc, buf, (uInt)n);
	}
	if (err == 0)
		printf("%08lx  %s\n", crc, path); /* one call: one whole line */
	else if (err != TOMB_EDYING)
		tomb_killf(t, err, "%s: %s", path, strerror(err));
	if (fd >= 0)
		close(fd);
	free(path);
	return err;
}

static int timer(tomb_t *self, void *arg)
{
	struct timer *tm = arg;

	if (tomb_sleep(self, &tm->deadline) == 0)
		tomb_killf(tm->victim, ETIMEDOUT, "timeout after %lld ms", tm->ms);
	return 0;
}

/* Starts a worker for path; non-zero to stop the walk. */
static int start(const char *path)
{
	char *copy;
	int err;

	if (tomb_dying(files))
		return 1;
	copy = strdup(path);
	if (copy == NULL) {
		tomb_killf(files, ENOMEM, "%s: %s", path, strerror(ENOMEM));
		return 1;
	}
	err = tomb_go_named(files, "crc32", checksum, copy);
	if (err != 0) {
		free(copy);
		if (err != ECANCELED) /* ECANCELED: dying, the reason is set */
			tomb_killf(files, err, "tomb_go: %s", strerror(err));
		return 1;
	}
	return 0;
}

/*
 * The rule: regular files, and symbolic links to them, are checksummed;
 * directories are walked, but not through symbolic links; other kinds are
 * skipped.  An entry whose kind cannot be told (a dangling link, a failed
 * stat) goes to a worker too, so that its open fails and is reported.
 */
static int visit(const char *path, const struct stat *sb, int type,
                 struct FTW *ftw)
{
	struct stat target;

	(void)ftw;
	switch (type) {
	case FTW_F:
		return S_ISREG(sb->st_mode) ? start(path) : 0;
	case FTW_SL:
		if (stat(path, &target) == 0 && !S_ISREG(target.st_mode))
			return 0;
		return start(path);
	case FTW_NS:
		return start(path);
	case FTW_DNR:
		tomb_killf(files, EACCES, "%s: cannot read the directory", path);
		return 1;
	default: /* FTW_D */
		return tomb_dying(files);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: parallel [-j N] [--timeout MS] DIR\n"
	        "Prints the CRC-32 of every regular file under DIR (symbolic links\n"
	        "to files too; links to directories are not followed), one line\n"
	        "per file: 8 hex digits, two spaces, the path.  At most N files\n"
	        "(1 to %d, default 4) are read at once.  Entries that cannot be\n"
	        "opened (a dangling link, say) or read are failures: the first one\n"
	        "stops the others.  --timeout stops everything after MS\n"
	        "milliseconds (1 to %lld).  Exits 0 when every file was read,\n"
	        "1 after a failure or the timeout (the reason on stderr), or 2 on\n"
	        "a usage error.\n",
	        MAX_JOBS, MAX_TIMEOUT_MS);
}

static int number(const char *s, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *out < min || *out > max)
		return -1;
	return 0;
}

static int parse(int argc, char **argv, long long *jobs, long long *ms,
                 const char **dir)
{
	bool options = true;

	for (int i = 1; i < argc; i++) {
		if (options && (strcmp(argv[i], "--help") == 0 ||
		                strcmp(argv[i], "-h") == 0)) {
			usage(stdout);
			exit(0);
		} else if (options && strcmp(argv[i], "--") == 0) {
			options = false;
		} else if (options && strcmp(argv[i], "-j") == 0) {
			if (i + 1 == argc || number(argv[++i], 1, MAX_JOBS, jobs))
				return -1;
		} else if (options && strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 == argc ||
			    number(argv[++i], 1, MAX_TIMEOUT_MS, ms))
				return -1;
		} else if (options && argv[i][0] == '-' && argv[i][1] != '\0') {
			return -1;
		} else if (*dir == NULL) {
			*dir = argv[i];
		} else {
			return -1; /* one directory only */
		}
	}
	return *dir == NULL ? -1 : 0;
}

int main(int argc, char **argv)
{
	long long jobs = 4, ms = 0;
	const char *dir = NULL;
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .name = "parallel"};
	struct timer tm = {0};
	tomb_t *timer_tomb = NULL;
	int reason, status;

	if (parse(argc, argv, &jobs, &ms, &dir) != 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	o.limit = (int)jobs;
	files = tomb_new_opts(&o);
	if (files == NULL) {
		perror("parallel");
		return 1;
	}
	if (ms > 0) {
		tm = (struct timer){.victim = files, .ms = ms,
		                    .deadline = tomb_deadline_ms(ms)};
		timer_tomb = tomb_new();
		if (timer_tomb == NULL ||
		    (errno = tomb_go_named(timer_tomb, "timer", timer, &tm)) != 0) {
			perror("parallel: the timer");
			return 1;
		}
	}

	if (nftw(dir, visit, 16, FTW_PHYS) < 0) {
		int err = errno;

		tomb_killf(files, err, "%s: %s", dir, strerror(err));
	}
	reason = tomb_wait(files); /* every worker has returned */

	if (timer_tomb != NULL) {
		tomb_kill(timer_tomb, 0); /* no longer needed: wake it */
		tomb_wait(timer_tomb);
		tomb_free(timer_tomb);
	}
	status = reason == 0 ? 0 : 1;
	if (reason != 0)
		fprintf(stderr, "parallel: %s\n", tomb_errmsg(files));
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "parallel: cannot write the output\n");
		status = 1;
	}
	tomb_free(files);
	return status;
}
