/* SPDX-License-Identifier: MIT */
/* names.c: see names.h. */
#include "config.h"

#include "names.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#ifndef HAVE_STRERRORNAME_NP
/* The errno values the tests inject, expect or are likely to see. */
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{EPERM, "EPERM"},         {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},
	{EINTR, "EINTR"},         {EIO, "EIO"},         {E2BIG, "E2BIG"},
	{EBADF, "EBADF"},         {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},
	{EBUSY, "EBUSY"},         {EINVAL, "EINVAL"},   {ENFILE, "ENFILE"},
	{EMFILE, "EMFILE"},       {EPIPE, "EPIPE"},     {ERANGE, "ERANGE"},
	{EDEADLK, "EDEADLK"},     {ENOSYS, "ENOSYS"},   {ETIMEDOUT, "ETIMEDOUT"},
	{ECANCELED, "ECANCELED"}, {EOWNERDEAD, "EOWNERDEAD"},
	{ENOTSOCK, "ENOTSOCK"},   {EOPNOTSUPP, "EOPNOTSUPP"},
	{ECONNRESET, "ECONNRESET"}, {ECONNREFUSED, "ECONNREFUSED"},
	{EINPROGRESS, "EINPROGRESS"},
};
#endif

const char *test_errno_name(int err)
{
#ifdef HAVE_STRERRORNAME_NP
	const char *s = strerrorname_np(err);

	return s != NULL ? s : "";
#else
	for (size_t i = 0; i < COUNT(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return "";
#endif
}

const char *test_errno_desc(int err)
{
#ifdef HAVE_STRERRORDESC_NP
	return err > 0 ? strerrordesc_np(err) : NULL;
#else
	/* Unknown values all get one text from musl ("No error
	 * information"); the tests ask only of values below 4096. */
	static char unknown[128];

	if (err <= 0 || err >= 4096)
		return NULL;
	if (unknown[0] == '\0')
		strncpy(unknown, strerror(4096), sizeof(unknown) - 1);
	return strcmp(strerror(err), unknown) != 0 ? strerror(err) : NULL;
#endif
}

const char *test_signal_abbrev(int signo)
{
#ifdef HAVE_SIGABBREV_NP
	const char *s = sigabbrev_np(signo);

	return s != NULL ? s : "?";
#else
	switch (signo) {
	case SIGHUP: return "HUP";
	case SIGINT: return "INT";
	case SIGQUIT: return "QUIT";
	case SIGUSR1: return "USR1";
	case SIGUSR2: return "USR2";
	case SIGPIPE: return "PIPE";
	case SIGALRM: return "ALRM";
	case SIGTERM: return "TERM";
	case SIGCHLD: return "CHLD";
	default: return "?";
	}
#endif
}
