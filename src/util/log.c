#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static enum ward_log_format log_format = WARD_LOG_TEXT;
static bool log_debug;

static const char *const level_names[] = {
	[WARD_LOG_ERROR] = "error",
	[WARD_LOG_WARN] = "warning",
	[WARD_LOG_INFO] = "info",
	[WARD_LOG_DEBUG] = "debug",
};

int ward_log_init(const char *path, enum ward_log_format format, bool debug)
{
	log_format = format;
	log_debug = debug;
	if (!path)
		return 0;
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return log_fd < 0 ? -1 : 0;
}

bool ward_log_debug_enabled(void)
{
	return log_debug;
}

int ward_log_fd(void)
{
	return log_fd;
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

/* Escape for a JSON string or a logfmt quoted value (the same rules suffice). */
static size_t escape(char *out, size_t len, const char *in)
{
	size_t o = 0;
	for (; *in && o + 7 < len; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

void ward_log(enum ward_log_level level, const char *fmt, ...)
{
	char msg[2048], esc[4200], line[4400], ts[64];
	va_list ap;
	int saved = errno;

	if (level == WARD_LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_fd < 0) {
		/* No log file: errors and warnings go to stderr, as runc. */
		dprintf(STDERR_FILENO, "ward: %s%s\n", level == WARD_LOG_ERROR ? "" :
			level == WARD_LOG_WARN ? "warning: " : level == WARD_LOG_DEBUG ? "debug: " : "", msg);
		errno = saved;
		return;
	}
	now_rfc3339(ts, sizeof(ts));
	escape(esc, sizeof(esc), msg);
	int n;
	if (log_format == WARD_LOG_JSON)
		n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
			     level_names[level], esc, ts);
	else
		n = snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"%s\"\n", ts,
			     level_names[level], esc);
	if (n > 0)
		(void)!write(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	if (level == WARD_LOG_ERROR)
		dprintf(STDERR_FILENO, "ward: %s\n", msg);
	errno = saved;
}

void ward_now_rfc3339(char *buf, size_t len)
{
	/* Go's RFC3339Nano, as runc prints: trailing zeros of the fraction dropped. */
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	char frac[16];
	snprintf(frac, sizeof(frac), "%09ld", ts.tv_nsec);
	int f = 8;
	while (f >= 0 && frac[f] == '0')
		frac[f--] = '\0';
	snprintf(buf + n, len - n, "%s%sZ", frac[0] ? "." : "", frac);
}
