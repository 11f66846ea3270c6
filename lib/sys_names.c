/* SPDX-License-Identifier: MIT */
/*
 * sys_names.c: sys.h's names, the description of an errno value and the
 * abbreviation of a signal.  glibc (2.32 and later) has both,
 * strerrordesc_np and sigabbrev_np: thread-safe, with strings of static
 * lifetime.  Elsewhere (musl, the BSDs, an older glibc) they come from
 * code of our own: the signals' abbreviations from a table of their POSIX
 * names, the descriptions from strerror_r, copied once into a table of the
 * library's (strerror itself need not be thread-safe, and strerror_r's
 * text is the caller's to keep).
 */
#include "config.h"

#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#ifndef HAVE_STRERRORDESC_NP
#include <pthread.h>
#include <stdio.h>
#endif

#ifdef HAVE_STRERRORDESC_NP

const char *tomb__errno_desc(int err)
{
	return err > 0 ? strerrordesc_np(err) : NULL;
}

#else

/* The errno values whose descriptions are kept: 1 to DESC_COUNT - 1.
 * Every system's values are below it (Linux's stop at 133, EHWPOISON; the
 * BSDs' and macOS's near 100); above it, a value gets no description. */
enum { DESC_COUNT = 256, DESC_SIZE = 64 };

/* descs[e]: e's description, or "" if e is not an errno value (or its
 * description did not fit).  Written once, by fill_descs under
 * descs_once, before any read: pthread_once orders the writes before every
 * caller's reads, and nothing writes it again for the process's life. */
static char descs[DESC_COUNT][DESC_SIZE];
static pthread_once_t descs_once = PTHREAD_ONCE_INIT;

/* strerror_r's text for err into buf: 0, or an error (an unknown err,
 * EINVAL; a text too long for buf, ERANGE).  GNU's strerror_r returns the
 * text (an older glibc); the XSI one, an error number. */
static int desc_of(int err, char *buf, size_t size)
{
#ifdef STRERROR_R_CHAR_P
	const char *s = strerror_r(err, buf, size);

	if (strlen(s) >= size)
		return ERANGE;
	if (s != buf)
		memcpy(buf, s, strlen(s) + 1);
	return 0;
#else
	return strerror_r(err, buf, size);
#endif
}

/* Whether text is the C library's text for an unknown value err, given its
 * text `unknown` for the value UNKNOWN: the same text (musl's "No error
 * information"), or the same with err's number in place of UNKNOWN's
 * (glibc's "Unknown error 100000", the BSDs' "Unknown error: 100000"). */
#define UNKNOWN 100000
#define UNKNOWN_DIGITS "100000"
static int is_unknown(int err, const char *text, const char *unknown)
{
	const char *at = strstr(unknown, UNKNOWN_DIGITS);
	char number[16];
	size_t head, len;

	if (strcmp(text, unknown) == 0)
		return 1;
	if (at == NULL)
		return 0;
	head = (size_t)(at - unknown);
	snprintf(number, sizeof(number), "%d", err);
	len = strlen(number);
	return strncmp(text, unknown, head) == 0 &&
	       strncmp(text + head, number, len) == 0 &&
	       strcmp(text + head + len, at + strlen(UNKNOWN_DIGITS)) == 0;
}

static void fill_descs(void)
{
	char unknown[DESC_SIZE];

	if (desc_of(UNKNOWN, unknown, sizeof(unknown)) != 0)
		unknown[0] = '\0';
	for (int e = 1; e < DESC_COUNT; e++)
		if (desc_of(e, descs[e], DESC_SIZE) != 0 ||
		    is_unknown(e, descs[e], unknown))
			descs[e][0] = '\0';
}

const char *tomb__errno_desc(int err)
{
	if (err <= 0 || err >= DESC_COUNT)
		return NULL;
	pthread_once(&descs_once, fill_descs);
	return descs[err][0] != '\0' ? descs[err] : NULL;
}

#endif

#ifdef HAVE_SIGABBREV_NP

const char *tomb__signal_abbrev(int signo)
{
	return sigabbrev_np(signo);
}

#else

/* The signals' names, without their "SIG": POSIX's, then those some
 * systems add.  Of two names for one number (SIGPOLL and SIGIO on Linux),
 * the first is found, as glibc's sigabbrev_np says. */
static const struct {
	int signo;
	const char *abbrev;
} signal_names[] = {
	{SIGHUP, "HUP"},     {SIGINT, "INT"},       {SIGQUIT, "QUIT"},
	{SIGILL, "ILL"},     {SIGTRAP, "TRAP"},     {SIGABRT, "ABRT"},
	{SIGBUS, "BUS"},     {SIGFPE, "FPE"},       {SIGKILL, "KILL"},
	{SIGUSR1, "USR1"},   {SIGSEGV, "SEGV"},     {SIGUSR2, "USR2"},
	{SIGPIPE, "PIPE"},   {SIGALRM, "ALRM"},     {SIGTERM, "TERM"},
	{SIGCHLD, "CHLD"},   {SIGCONT, "CONT"},     {SIGSTOP, "STOP"},
	{SIGTSTP, "TSTP"},   {SIGTTIN, "TTIN"},     {SIGTTOU, "TTOU"},
	{SIGURG, "URG"},     {SIGXCPU, "XCPU"},     {SIGXFSZ, "XFSZ"},
	{SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},   {SIGSYS, "SYS"},
#ifdef SIGWINCH
	{SIGWINCH, "WINCH"},
#endif
#ifdef SIGPOLL
	{SIGPOLL, "POLL"},
#endif
#ifdef SIGIO
	{SIGIO, "IO"},
#endif
#ifdef SIGSTKFLT
	{SIGSTKFLT, "STKFLT"},
#endif
#ifdef SIGPWR
	{SIGPWR, "PWR"},
#endif
#ifdef SIGEMT
	{SIGEMT, "EMT"},
#endif
#ifdef SIGINFO
	{SIGINFO, "INFO"},
#endif
};

const char *tomb__signal_abbrev(int signo)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].signo == signo)
			return signal_names[i].abbrev;
	return NULL;
}

#endif
