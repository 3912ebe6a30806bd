/* --systemd-cgroup without systemd: runc's cgroupsPath "slice:prefix:name"
 * placed where systemd would put that unit, with cgroupfs.
 *
 * systemd maps a unit to a cgroup from its name alone: a slice "a-b.slice"
 * is a.slice/a-b.slice, a scope "prefix-name.scope" lives in its slice. ward
 * does not talk to systemd over D-Bus (no transient unit is registered, no
 * unit properties are set): the directories are made and managed exactly as
 * for cgroupfs, at the path the unit would have (docs/kubernetes.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "cgroup.h"

#define SLICE_SUFFIX ".slice"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t l = strlen(s), sl = strlen(suffix);
	return l >= sl && strcmp(s + l - sl, suffix) == 0;
}

/* Characters systemd allows in a unit name (less ':', our separator). */
static bool unit_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-@\\", *s)))
			return false;
	return true;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "". */
static int expand_slice(const char *slice, char *out, size_t len, ward_err *err)
{
	out[0] = '\0';
	if (strcmp(slice, "-.slice") == 0)
		return 0;
	size_t sl = strlen(slice);
	if (!has_suffix(slice, SLICE_SUFFIX) || sl == strlen(SLICE_SUFFIX))
		return ward_err_set(err, "slice \"%s\" does not end in \".slice\"", slice);
	size_t base = sl - strlen(SLICE_SUFFIX);
	if (!unit_chars_ok(slice) || slice[0] == '-' || slice[base - 1] == '-' ||
	    strstr(slice, "--"))
		return ward_err_set(err, "slice \"%s\" is not a valid slice name (letters, digits, "
					 "_ . @ \\ and single dashes between parts)",
				    slice);
	size_t o = 0;
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		/* Every prefix up to a dash (and the whole name) is one level. */
		int w = snprintf(out + o, len - o, "/%.*s%s", (int)i, slice, SLICE_SUFFIX);
		if (w < 0 || (size_t)w >= len - o)
			return ward_err_set(err, "slice \"%s\" is too long", slice);
		o += (size_t)w;
	}
	return 0;
}

int ward_cgroup_systemd_path(const char *cgroups_path, const char *id, char *out, size_t len,
			     ward_err *err)
{
	char def[1100];
	if (!cgroups_path || !*cgroups_path) {
		/* As runc, a scope of the runtime's own in system.slice. */
		snprintf(def, sizeof(def), "system.slice:ward:%s", id);
		cgroups_path = def;
	}
	_cleanup_free_ char *copy = strdup(cgroups_path);
	if (!copy)
		return ward_err_sys(err, ENOMEM, "linux.cgroupsPath");
	char *c1 = strchr(copy, ':');
	char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':'))
		return ward_err_set(err, "linux.cgroupsPath: \"%s\" is not \"slice:prefix:name\", "
					 "as --systemd-cgroup requires",
				    cgroups_path);
	*c1 = *c2 = '\0';
	const char *slice = *copy ? copy : "system.slice", *prefix = c1 + 1, *name = c2 + 1;
	if (!*name)
		return ward_err_set(err, "linux.cgroupsPath: \"%s\": the name (after the second "
					 "':') is empty",
				    cgroups_path);
	if (!unit_chars_ok(prefix) || !unit_chars_ok(name) || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return ward_err_set(err, "linux.cgroupsPath: \"%s\": prefix and name may hold only "
					 "letters, digits and _ . - @ \\",
				    cgroups_path);
	char dir[2048];
	if (expand_slice(slice, dir, sizeof(dir), err) < 0)
		return ward_err_wrap(err, "linux.cgroupsPath \"%s\"", cgroups_path);
	/* A name that is a slice is the unit itself; otherwise a scope. */
	int w = has_suffix(name, SLICE_SUFFIX)
			? snprintf(out, len, "%s/%s", dir, name)
			: snprintf(out, len, "%s/%s%s%s.scope", dir, prefix, *prefix ? "-" : "", name);
	if (w < 0 || (size_t)w >= len)
		return ward_err_set(err, "linux.cgroupsPath: \"%s\" is too long", cgroups_path);
	return 0;
}

int ward_cgroup_systemd_resolve(struct ward_spec *spec, const char *id, ward_err *err)
{
	char path[4096];
	if (ward_cgroup_systemd_path(spec->lx.cgroups_path, id, path, sizeof(path), err) < 0)
		return -1;
	char *p = strdup(path);
	if (!p)
		return ward_err_sys(err, ENOMEM, "linux.cgroupsPath");
	free(spec->lx.cgroups_path);
	spec->lx.cgroups_path = p;
	return 0;
}
