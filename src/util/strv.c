#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ward_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t ward_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int ward_strv_push(char ***v, const char *s)
{
	size_t n = ward_strv_len(*v);
	char *copy = strdup(s);
	if (!copy)
		return -1;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(copy);
		errno = ENOMEM;
		return -1;
	}
	nv[n] = copy;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int ward_strv_setenv(char ***env, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);
	for (char **p = *env; p && *p; p++) {
		if (strncmp(*p, entry, klen) == 0 && ((*p)[klen] == '=' || (*p)[klen] == '\0')) {
			char *copy = strdup(entry);
			if (!copy)
				return -1;
			free(*p);
			*p = copy;
			return 0;
		}
	}
	return ward_strv_push(env, entry);
}

const char *ward_strv_getenv(char *const *env, const char *name)
{
	size_t klen = strlen(name);
	for (char *const *p = env; p && *p; p++)
		if (strncmp(*p, name, klen) == 0 && (*p)[klen] == '=')
			return *p + klen + 1;
	return NULL;
}

char *ward_strv_join(char *const *v, const char *sep)
{
	size_t len = 1, sl = strlen(sep);
	for (size_t i = 0; v && v[i]; i++)
		len += strlen(v[i]) + sl;
	char *out = malloc(len);
	if (!out)
		return NULL;
	char *p = out;
	for (size_t i = 0; v && v[i]; i++) {
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		size_t l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}
