/* Shared by the unit tests: cmocka includes and small helpers. */
#ifndef WARD_TESTS_UNIT_H
#define WARD_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* JSON in C strings is unreadable with \" everywhere: tests write 'x' and
 * this turns every ' into ". (No test needs a literal ' in its JSON.) */
static inline char *unit_json(const char *tmpl)
{
	char *s = strdup(tmpl);
	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

#endif
