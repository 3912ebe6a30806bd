#include "err.h"

#include <stdio.h>
#include <string.h>

static void vset(ward_err *err, int errnum, const char *fmt, va_list ap)
{
	err->errnum = errnum;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int ward_err_sys(ward_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int ward_err_set(ward_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int ward_err_wrap(ward_err *err, const char *fmt, ...)
{
	char prefix[WARD_ERR_MSG_MAX];
	char old[WARD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return -1;
}

const char *ward_err_str(const ward_err *err, char *buf, size_t len)
{
	if (err->errnum)
		snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
	else
		snprintf(buf, len, "%s", err->msg);
	return buf;
}

void ward_err_clear(ward_err *err)
{
	err->errnum = 0;
	err->msg[0] = '\0';
}
