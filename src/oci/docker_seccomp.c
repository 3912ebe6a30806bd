/* Docker/podman seccomp profiles -> linux.seccomp. The Docker format adds,
 * per rule, conditions on the container's capabilities, the architecture and
 * the kernel version (includes/excludes) and an archMap; the OCI form is what
 * is left once those are decided for one container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "spec.h"

static bool str_in(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s))
		return true;
	return false;
}

/* Docker names caps "CAP_SYS_ADMIN"; accept any form ward accepts. */
static int caps_all(json_t *arr, uint64_t bounding, const char *name, const char *field,
		    bool *all, bool *any, ward_err *err)
{
	*all = true;
	*any = false;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		int c = json_is_string(v) ? ward_cap_from_name(json_string_value(v)) : -1;
		if (c < 0)
			return ward_err_set(err, "%s: %s[%zu]: unknown capability %s", name, field, i,
					    json_is_string(v) ? json_string_value(v) : "(not a string)");
		if (bounding & (1ULL << c))
			*any = true;
		else
			*all = false;
	}
	return 0;
}

/* v is MAJOR.MINOR (condition_typed checked it). */
static bool kernel_at_least(const char *v, int major, int minor)
{
	int ma = 0, mi = 0;
	(void)sscanf(v, "%d.%d", &ma, &mi);
	return major > ma || (major == ma && minor >= mi);
}

/* includes or excludes, when given, is an object of caps and arches
 * (arrays) and minKernel (a string). Of another type a condition would
 * read as none: {"caps": "CAP_SYS_ADMIN"} would give the rule to every
 * container. */
static int condition_typed(json_t *cond, size_t idx, const char *which, const char *name,
			   ward_err *err)
{
	if (!cond || json_is_null(cond))
		return 0;
	if (!json_is_object(cond))
		return ward_err_set(err, "%s: syscalls[%zu].%s: must be an object", name, idx, which);
	static const char *const arrays[] = {"caps", "arches"};
	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		json_t *v = json_object_get(cond, arrays[i]);
		if (v && !json_is_null(v) && !json_is_array(v))
			return ward_err_set(err, "%s: syscalls[%zu].%s.%s: must be an array", name, idx,
					    which, arrays[i]);
	}
	json_t *mk = json_object_get(cond, "minKernel");
	if (mk && !json_is_null(mk) && !json_is_string(mk))
		return ward_err_set(err, "%s: syscalls[%zu].%s.minKernel: must be a string", name, idx,
				    which);
	/* moby refuses a version it cannot read; read as 0.0 it would decide
	 * the rule for every kernel. */
	int ma, mi;
	if (json_is_string(mk) && (sscanf(json_string_value(mk), "%d.%d", &ma, &mi) != 2 ||
				   ma < 0 || mi < 0))
		return ward_err_set(err,
				    "%s: syscalls[%zu].%s.minKernel: \"%s\" is not a kernel version "
				    "(MAJOR.MINOR)",
				    name, idx, which, json_string_value(mk));
	return 0;
}

/* Should this rule be in the profile for this container? */
static int applies(json_t *rule, size_t idx, const char *name, uint64_t bounding,
		   const char *native, int kmaj, int kmin, bool *yes, ward_err *err)
{
	json_t *inc = json_object_get(rule, "includes");
	json_t *exc = json_object_get(rule, "excludes");
	char field[64];
	bool all, any;
	*yes = false;
	if (condition_typed(inc, idx, "includes", name, err) < 0 ||
	    condition_typed(exc, idx, "excludes", name, err) < 0)
		return -1;
	if (inc) {
		snprintf(field, sizeof(field), "syscalls[%zu].includes.caps", idx);
		if (caps_all(json_object_get(inc, "caps"), bounding, name, field, &all, &any, err) < 0)
			return -1;
		if (!all)
			return 0;
		json_t *arches = json_object_get(inc, "arches");
		if (json_array_size(arches) && !str_in(arches, native))
			return 0;
		const char *mk = json_string_value(json_object_get(inc, "minKernel"));
		if (mk && !kernel_at_least(mk, kmaj, kmin))
			return 0;
	}
	if (exc) {
		snprintf(field, sizeof(field), "syscalls[%zu].excludes.caps", idx);
		if (caps_all(json_object_get(exc, "caps"), bounding, name, field, &all, &any, err) < 0)
			return -1;
		if (any)
			return 0;
		if (str_in(json_object_get(exc, "arches"), native))
			return 0;
		/* moby: a rule excluded from a kernel version on is dropped there. */
		const char *mk = json_string_value(json_object_get(exc, "minKernel"));
		if (mk && kernel_at_least(mk, kmaj, kmin))
			return 0;
	}
	*yes = true;
	return 0;
}

/* Docker's arches are short names ("amd64"); archMap uses SCMP_ARCH_*. */
static const char *docker_native(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#else
	return "unknown";
#endif
}

json_t *ward_seccomp_from_docker(json_t *p, const char *name, uint64_t bounding, int kmaj,
				 int kmin, ward_err *err)
{
	if (!json_is_object(p)) {
		ward_err_set(err, "%s: a seccomp profile must be a JSON object", name);
		return NULL;
	}
	const char *da = json_string_value(json_object_get(p, "defaultAction"));
	if (!da) {
		ward_err_set(err, "%s: defaultAction: missing or not a string", name);
		return NULL;
	}
	json_t *out = json_pack("{s:s}", "defaultAction", da);
	json_t *der = json_object_get(p, "defaultErrnoRet");
	if (json_is_integer(der))
		json_object_set(out, "defaultErrnoRet", der);
	json_t *archs = json_array();
	json_t *amap = json_object_get(p, "archMap");
	const char *native0 = ward_native_archs()[0];
	size_t i;
	json_t *e;
	json_array_foreach(amap, i, e)
	{
		const char *a = json_string_value(json_object_get(e, "architecture"));
		if (!a || !native0 || strcmp(a, native0) != 0)
			continue;
		json_array_append_new(archs, json_string(a));
		json_t *sub = json_object_get(e, "subArchitectures");
		size_t k;
		json_t *s;
		json_array_foreach(sub, k, s) if (json_is_string(s)) json_array_append(archs, s);
	}
	if (!json_array_size(archs)) {
		/* No archMap (or the older "architectures" list): keep what is given. */
		json_t *old = json_object_get(p, "architectures");
		json_array_foreach(old, i, e) if (json_is_string(e)) json_array_append(archs, e);
	}
	json_object_set_new(out, "architectures", archs);
	json_t *flags = json_object_get(p, "flags");
	if (json_is_array(flags))
		json_object_set(out, "flags", flags);
	json_t *rules = json_object_get(p, "syscalls");
	if (rules && !json_is_null(rules) && !json_is_array(rules)) {
		/* Read as no rules, it would leave only the defaultAction. */
		ward_err_set(err, "%s: syscalls: must be an array", name);
		json_decref(out);
		return NULL;
	}
	json_t *calls = json_array();
	json_object_set_new(out, "syscalls", calls);
	json_array_foreach(rules, i, e)
	{
		bool yes;
		if (applies(e, i, name, bounding, docker_native(), kmaj, kmin, &yes, err) < 0) {
			json_decref(out);
			return NULL;
		}
		if (!yes)
			continue;
		json_t *names = json_object_get(e, "names");
		if (!names && json_is_string(json_object_get(e, "name")))
			names = json_pack("[O]", json_object_get(e, "name"));
		else
			json_incref(names);
		json_t *r = json_pack("{s:o, s:O}", "names", names ? names : json_array(), "action",
				      json_object_get(e, "action"));
		if (!r) {
			ward_err_set(err, "%s: syscalls[%zu]: action missing", name, i);
			json_decref(out);
			return NULL;
		}
		json_t *args = json_object_get(e, "args");
		if (json_array_size(args))
			json_object_set(r, "args", args);
		json_t *er = json_object_get(e, "errnoRet");
		if (json_is_integer(er))
			json_object_set(r, "errnoRet", er);
		json_array_append_new(calls, r);
	}
	return out;
}
