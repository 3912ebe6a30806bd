#include "resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../oci/spec.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "cgroup.h"

/* ---------------------------------------------------------------- parse */

struct rp {
	const char *name;
	ward_err *err;
};

__attribute__((format(printf, 3, 4))) static int bad(struct rp *c, const char *field,
						     const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ward_err_set(c->err, "%s.%s: %s", c->name, field, msg);
}

static int num(struct rp *c, json_t *o, const char *key, const char *field, int64_t min,
	       int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (json_is_real(v) && json_real_value(v) >= 9.2e18) {
		*out = INT64_MAX; /* uint64 max from Go tools: unlimited */
		return 1;
	}
	if (!json_is_integer(v))
		return bad(c, field, "must be an integer");
	if (json_integer_value(v) < min)
		return bad(c, field, "%lld is below the minimum %lld", (long long)json_integer_value(v),
			   (long long)min);
	*out = json_integer_value(v);
	return 1;
}

static int str(struct rp *c, json_t *o, const char *key, const char *field, char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(c, field, "must be a string");
	*out = strdup(json_string_value(v));
	return 1;
}

static int parse_memory(struct rp *c, json_t *m, struct ward_resources *r)
{
	if (num(c, m, "limit", "memory.limit", -1, &r->memory.limit) < 0 ||
	    num(c, m, "reservation", "memory.reservation", -1, &r->memory.reservation) < 0 ||
	    num(c, m, "swap", "memory.swap", -1, &r->memory.swap) < 0 ||
	    num(c, m, "kernel", "memory.kernel", -1, &r->memory.kernel) < 0 ||
	    num(c, m, "kernelTCP", "memory.kernelTCP", -1, &r->memory.kernel_tcp) < 0)
		return -1;
	int s = num(c, m, "swappiness", "memory.swappiness", 0, &r->memory.swappiness);
	if (s < 0)
		return -1;
	if (s > 0 && r->memory.swappiness > 100)
		return bad(c, "memory.swappiness", "%" PRId64 " is above 100", r->memory.swappiness);
	json_t *v = json_object_get(m, "disableOOMKiller");
	if (json_is_boolean(v)) {
		r->memory.has_disable_oom = true;
		r->memory.disable_oom_killer = json_is_true(v);
	} else if (v && !json_is_null(v))
		return bad(c, "memory.disableOOMKiller", "must be a boolean");
	v = json_object_get(m, "checkBeforeUpdate");
	if (v && !json_is_boolean(v) && !json_is_null(v))
		return bad(c, "memory.checkBeforeUpdate", "must be a boolean");
	r->memory.check_before_update = json_is_true(v);
	if (r->memory.limit > 0 && r->memory.swap > 0 && r->memory.swap < r->memory.limit)
		return bad(c, "memory.swap",
			   "%" PRId64 " is below memory.limit %" PRId64
			   " (swap is memory plus swap)",
			   r->memory.swap, r->memory.limit);
	if (r->memory.limit > 0 && r->memory.reservation > r->memory.limit)
		return bad(c, "memory.reservation", "is above memory.limit");
	return 0;
}

static bool cpulist_ok(const char *s)
{
	/* "0-3,5,7-8" */
	if (!*s)
		return true;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == ',' || *p == '-'))
			return false;
	return true;
}

static int parse_cpu(struct rp *c, json_t *m, struct ward_resources *r)
{
	if (num(c, m, "shares", "cpu.shares", 0, &r->cpu.shares) < 0 ||
	    num(c, m, "quota", "cpu.quota", -1, &r->cpu.quota) < 0 ||
	    num(c, m, "period", "cpu.period", 0, &r->cpu.period) < 0 ||
	    num(c, m, "burst", "cpu.burst", 0, &r->cpu.burst) < 0 ||
	    num(c, m, "realtimeRuntime", "cpu.realtimeRuntime", -1, &r->cpu.rt_runtime) < 0 ||
	    num(c, m, "realtimePeriod", "cpu.realtimePeriod", 0, &r->cpu.rt_period) < 0 ||
	    num(c, m, "idle", "cpu.idle", 0, &r->cpu.idle) < 0 ||
	    str(c, m, "cpus", "cpu.cpus", &r->cpu.cpus) < 0 ||
	    str(c, m, "mems", "cpu.mems", &r->cpu.mems) < 0)
		return -1;
	if (r->cpu.shares != WARD_UNSET && r->cpu.shares != 0 &&
	    (r->cpu.shares < 2 || r->cpu.shares > 262144))
		return bad(c, "cpu.shares", "%" PRId64 " is outside [2, 262144]", r->cpu.shares);
	if (r->cpu.period != WARD_UNSET && r->cpu.period != 0 &&
	    (r->cpu.period < 1000 || r->cpu.period > 1000000))
		return bad(c, "cpu.period", "%" PRId64 " is outside [1000, 1000000] µs", r->cpu.period);
	if (r->cpu.quota != WARD_UNSET && r->cpu.quota > 0 && r->cpu.quota < 1000)
		return bad(c, "cpu.quota", "%" PRId64 " is below 1000 µs", r->cpu.quota);
	if (r->cpu.idle != WARD_UNSET && r->cpu.idle > 1)
		return bad(c, "cpu.idle", "must be 0 or 1");
	if (r->cpu.cpus && !cpulist_ok(r->cpu.cpus))
		return bad(c, "cpu.cpus", "\"%s\" is not a CPU list", r->cpu.cpus);
	if (r->cpu.mems && !cpulist_ok(r->cpu.mems))
		return bad(c, "cpu.mems", "\"%s\" is not a node list", r->cpu.mems);
	return 0;
}

/* blkio weights: 10 to 1000 (0 as "unset" where allowed). cgroup v2 gets
 * them converted to io.weight's 1 to 10000 (ward_blkio_weight_to_io): a
 * bigger value would overflow there into a wrong weight, silently. */
static int weight_range(struct rp *c, const char *field, int64_t v, bool zero_ok)
{
	if (v == WARD_UNSET || (zero_ok && v == 0) || (v >= 10 && v <= 1000))
		return 0;
	return bad(c, field, "%" PRId64 " is outside [10, 1000]", v);
}

static int parse_blkio_devs(struct rp *c, json_t *arr, const char *field, bool weights,
			    struct ward_blkio_dev **out, size_t *n)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(c, field, "must be an array");
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		char f[128];
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		struct ward_blkio_dev *d = &(*out)[i];
		d->weight = d->leaf_weight = WARD_UNSET;
		if (num(c, e, "major", f, 0, &d->major) <= 0 || num(c, e, "minor", f, 0, &d->minor) <= 0)
			return c->err->msg[0] ? -1 : bad(c, f, "major and minor are required");
		if (weights) {
			char fw[160], fl[160];
			snprintf(fw, sizeof(fw), "%s.weight", f);
			snprintf(fl, sizeof(fl), "%s.leafWeight", f);
			if (num(c, e, "weight", fw, 10, &d->weight) < 0 ||
			    num(c, e, "leafWeight", fl, 10, &d->leaf_weight) < 0 ||
			    weight_range(c, fw, d->weight, false) < 0 ||
			    weight_range(c, fl, d->leaf_weight, false) < 0)
				return -1;
		} else {
			int64_t rate = 0;
			if (num(c, e, "rate", f, 0, &rate) <= 0)
				return c->err->msg[0] ? -1 : bad(c, f, "rate is required");
			d->rate = (uint64_t)rate;
		}
		(*n)++;
	}
	return 0;
}

static int parse_blkio(struct rp *c, json_t *m, struct ward_resources *r)
{
	static const char *const thr[] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
					  "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
	if (num(c, m, "weight", "blockIO.weight", 0, &r->blkio.weight) < 0 ||
	    num(c, m, "leafWeight", "blockIO.leafWeight", 0, &r->blkio.leaf_weight) < 0)
		return -1;
	if (weight_range(c, "blockIO.weight", r->blkio.weight, true) < 0 ||
	    weight_range(c, "blockIO.leafWeight", r->blkio.leaf_weight, true) < 0)
		return -1;
	if (parse_blkio_devs(c, json_object_get(m, "weightDevice"), "blockIO.weightDevice", true,
			     &r->blkio.weight_device, &r->blkio.n_weight_device) < 0)
		return -1;
	for (int k = 0; k < 4; k++) {
		char f[64];
		snprintf(f, sizeof(f), "blockIO.%s", thr[k]);
		if (parse_blkio_devs(c, json_object_get(m, thr[k]), f, false, &r->blkio.throttle[k],
				     &r->blkio.n_throttle[k]) < 0)
			return -1;
	}
	return 0;
}

static int parse_devices(struct rp *c, json_t *arr, struct ward_resources *r)
{
	if (!json_is_array(arr))
		return bad(c, "devices", "must be an array");
	r->has_devices = true;
	r->devices = calloc(json_array_size(arr) + 16, sizeof(*r->devices));
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		char f[64];
		snprintf(f, sizeof(f), "devices[%zu]", i);
		struct ward_dev_rule *d = &r->devices[r->n_devices];
		json_t *allow = json_object_get(e, "allow");
		if (!json_is_boolean(allow))
			return bad(c, f, "allow: missing or not a boolean");
		d->allow = json_is_true(allow);
		/* Absent or null is "a" (every device), as the runtime-spec says; of
		 * another type it is an error, not a rule for every device. */
		json_t *jt = json_object_get(e, "type"), *ja = json_object_get(e, "access");
		if (jt && !json_is_null(jt) && !json_is_string(jt))
			return bad(c, f, "type: must be a string: a, c or b");
		if (ja && !json_is_null(ja) && !json_is_string(ja))
			return bad(c, f, "access: must be a string of r, w and m");
		const char *t = json_string_value(jt);
		d->type = t ? t[0] : 'a';
		if (t && (strlen(t) != 1 || !strchr("acb", t[0])))
			return bad(c, f, "type: \"%s\" is not a, c or b", t);
		d->major = d->minor = -1;
		if (num(c, e, "major", f, -1, &d->major) < 0 || num(c, e, "minor", f, -1, &d->minor) < 0)
			return -1;
		if (d->major == WARD_UNSET)
			d->major = -1;
		if (d->minor == WARD_UNSET)
			d->minor = -1;
		const char *acc = json_string_value(ja);
		if (!acc)
			acc = "rwm";
		if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
			return bad(c, f, "access: \"%s\" is not a combination of r, w and m", acc);
		snprintf(d->access, sizeof(d->access), "%s", acc);
		r->n_devices++;
	}
	return 0;
}

static void init_unset(struct ward_resources *r)
{
	memset(r, 0, sizeof(*r));
	int64_t *fields[] = {&r->memory.limit,	   &r->memory.reservation, &r->memory.swap,
			     &r->memory.kernel,	   &r->memory.kernel_tcp,  &r->memory.swappiness,
			     &r->cpu.shares,	   &r->cpu.quota,	   &r->cpu.period,
			     &r->cpu.burst,	   &r->cpu.rt_runtime,	   &r->cpu.rt_period,
			     &r->cpu.idle,	   &r->pids_limit,	   &r->blkio.weight,
			     &r->blkio.leaf_weight, &r->net_class_id};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		*fields[i] = WARD_UNSET;
}

int ward_resources_parse(json_t *obj, const char *name, struct ward_resources *r, ward_err *err)
{
	struct rp ctx = {name, err}, *c = &ctx;
	init_unset(r);
	ward_err_clear(err);
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return ward_err_set(err, "%s: must be an object", name);
	/* A section of another type would read as empty: "pids": 100, no limit. */
	static const char *const sections[] = {"memory", "cpu", "pids", "blockIO", "network"};
	json_t *v;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if ((v = json_object_get(obj, sections[i])) && !json_is_null(v) && !json_is_object(v))
			return bad(c, sections[i], "must be an object");
	if ((v = json_object_get(obj, "memory")) && parse_memory(c, v, r) < 0)
		return -1;
	if ((v = json_object_get(obj, "cpu")) && parse_cpu(c, v, r) < 0)
		return -1;
	if ((v = json_object_get(obj, "pids")) && num(c, v, "limit", "pids.limit", -1, &r->pids_limit) < 0)
		return -1;
	if ((v = json_object_get(obj, "blockIO")) && parse_blkio(c, v, r) < 0)
		return -1;
	if ((v = json_object_get(obj, "hugepageLimits"))) {
		if (!json_is_array(v))
			return bad(c, "hugepageLimits", "must be an array");
		r->hugepages = calloc(json_array_size(v) + 1, sizeof(*r->hugepages));
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			char f[64];
			snprintf(f, sizeof(f), "hugepageLimits[%zu]", i);
			const char *ps = json_string_value(json_object_get(e, "pageSize"));
			int64_t lim;
			if (!ps || !*ps || strchr(ps, '/'))
				return bad(c, f, "pageSize: missing or invalid");
			if (num(c, e, "limit", f, 0, &lim) <= 0)
				return c->err->msg[0] ? -1 : bad(c, f, "limit: missing");
			r->hugepages[i].page_size = strdup(ps);
			r->hugepages[i].limit = (uint64_t)lim;
			r->n_hugepages++;
		}
	}
	if ((v = json_object_get(obj, "network"))) {
		if (num(c, v, "classID", "network.classID", 0, &r->net_class_id) < 0)
			return -1;
		json_t *pr = json_object_get(v, "priorities");
		if (pr && !json_is_null(pr) && !json_is_array(pr))
			return bad(c, "network.priorities", "must be an array");
		size_t i;
		json_t *e;
		r->net_priorities = calloc(json_array_size(pr) + 1, sizeof(*r->net_priorities));
		json_array_foreach(pr, i, e)
		{
			const char *n = json_string_value(json_object_get(e, "name"));
			json_t *p = json_object_get(e, "priority");
			if (!n || !json_is_integer(p))
				return bad(c, "network.priorities", "[%zu]: name and priority required", i);
			r->net_priorities[i].name = strdup(n);
			r->net_priorities[i].priority = (uint32_t)json_integer_value(p);
			r->n_net_priorities++;
		}
	}
	if ((v = json_object_get(obj, "rdma"))) {
		if (!json_is_object(v))
			return bad(c, "rdma", "must be an object");
		r->rdma = calloc(json_object_size(v) + 1, sizeof(*r->rdma));
		const char *k;
		json_t *e;
		json_object_foreach(v, k, e)
		{
			struct rp sub = {name, err};
			char f[128];
			snprintf(f, sizeof(f), "rdma.%s", k);
			/* Counted at once: on a bad value below, ward_resources_free frees it. */
			typeof(*r->rdma) *d = &r->rdma[r->n_rdma++];
			d->device = strdup(k);
			d->handles = d->objects = WARD_UNSET;
			if (num(&sub, e, "hcaHandles", f, 0, &d->handles) < 0 ||
			    num(&sub, e, "hcaObjects", f, 0, &d->objects) < 0)
				return -1;
		}
	}
	if ((v = json_object_get(obj, "devices")) && parse_devices(c, v, r) < 0)
		return -1;
	if ((v = json_object_get(obj, "unified"))) {
		if (!json_is_object(v))
			return bad(c, "unified", "must be an object");
		const char *k;
		json_t *e;
		json_object_foreach(v, k, e)
		{
			if (!json_is_string(e))
				return bad(c, "unified", "%s: must be a string", k);
			if (strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
				return bad(c, "unified", "\"%s\" is not a cgroup file name", k);
		}
		r->unified = v;
	}
	return 0;
}

void ward_resources_free(struct ward_resources *r)
{
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->blkio.weight_device);
	for (int k = 0; k < 4; k++)
		free(r->blkio.throttle[k]);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	for (size_t i = 0; i < r->n_net_priorities; i++)
		free(r->net_priorities[i].name);
	free(r->net_priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	free(r->devices);
	memset(r, 0, sizeof(*r));
}

/* What runc allows every container beyond its own rules: mknod of anything
 * (opening is what matters), the standard character devices and ptys. */
static const struct ward_dev_rule default_rules[] = {
	{true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},  {true, 'c', 1, 3, "rwm"},
	{true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},  {true, 'c', 1, 8, "rwm"},
	{true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},  {true, 'c', 5, 1, "rwm"},
	{true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
};

int ward_resources_add_default_devices(struct ward_resources *r, const struct ward_spec *s,
				       ward_err *err)
{
	size_t extra = ARRAY_SIZE(default_rules) + s->lx.n_devices;
	struct ward_dev_rule *nv = realloc(r->devices, (r->n_devices + extra) * sizeof(*nv));
	if (!nv)
		return ward_err_sys(err, ENOMEM, "devices");
	r->devices = nv;
	for (size_t i = 0; i < s->lx.n_devices; i++) {
		const struct ward_device *d = &s->lx.devices[i];
		if (d->type == 'p')
			continue;
		r->devices[r->n_devices++] = (struct ward_dev_rule){
			true, d->type == 'u' ? 'c' : d->type, d->major, d->minor, "rwm"};
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
		r->devices[r->n_devices++] = default_rules[i];
	r->has_devices = true;
	return 0;
}

/* ---------------------------------------------------------------- apply */

uint64_t ward_cpu_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t ward_blkio_weight_to_io(uint64_t weight)
{
	if (weight == 0)
		return 0;
	return 1 + ((weight - 10) * 9999) / 990;
}

static int cg_write(const char *dir, const char *file, const char *value, const char *what,
		    ward_err *err)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ward_debug("cgroup: %s <- %s", path, value);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "%s: open %s", what, path);
	if (write(fd, value, strlen(value)) < 0)
		return ward_err_sys(err, errno, "%s: write \"%s\" to %s", what, value, path);
	return 0;
}

static int cg_writef(const char *dir, const char *file, const char *what, ward_err *err,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int cg_writef(const char *dir, const char *file, const char *what, ward_err *err,
		     const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return cg_write(dir, file, buf, what, err);
}

static int64_t cg_read_int(const char *dir, const char *file)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	_cleanup_free_ char *t = NULL;
	ward_err e;
	if (ward_read_file_at(AT_FDCWD, path, &t, NULL, &e) < 0)
		return -1;
	if (strncmp(t, "max", 3) == 0)
		return INT64_MAX;
	return strtoll(t, NULL, 10);
}

static const char *need(json_t *extra, const char *ctrl, const char *what, bool *v2,
			ward_err *err)
{
	const char *d = ward_cgroup_dir_for(extra, ctrl, v2);
	if (!d)
		ward_err_set(err, "linux.resources.%s: the %s controller is not available to this "
				  "container on this host (layout %s)",
			     what, ctrl,
			     json_string_value(json_object_get(json_object_get(extra, "cgroup"),
							       "layout")));
	return d;
}

static void fmt_limit(char *buf, size_t len, int64_t v, bool v2)
{
	if (v < 0 || v == INT64_MAX)
		snprintf(buf, len, "%s", v2 ? "max" : "-1");
	else
		snprintf(buf, len, "%" PRId64, v);
}

static int memory_v1(const char *d, const struct ward_resources *r, bool update, ward_err *err)
{
	char lim[32], sw[32];
	const char *w = "linux.resources.memory";
	if (update && r->memory.check_before_update && r->memory.limit > 0) {
		int64_t usage = cg_read_int(d, "memory.usage_in_bytes");
		if (usage > r->memory.limit)
			return ward_err_set(err, "%s.limit: %" PRId64 " is below the current usage %" PRId64
						 " (checkBeforeUpdate)",
					    w, r->memory.limit, usage);
	}
	fmt_limit(lim, sizeof(lim), r->memory.limit, false);
	fmt_limit(sw, sizeof(sw), r->memory.swap, false);
	/* memsw must stay >= limit at every step: order the two writes. */
	if (r->memory.swap != WARD_UNSET) {
		int64_t cur = cg_read_int(d, "memory.limit_in_bytes");
		bool swap_first = r->memory.swap < 0 || r->memory.swap > cur;
		if (swap_first && cg_write(d, "memory.memsw.limit_in_bytes", sw, w, err) < 0)
			return -1;
		if (r->memory.limit != WARD_UNSET &&
		    cg_write(d, "memory.limit_in_bytes", lim, w, err) < 0)
			return -1;
		if (!swap_first && cg_write(d, "memory.memsw.limit_in_bytes", sw, w, err) < 0)
			return -1;
	} else if (r->memory.limit != WARD_UNSET) {
		if (cg_write(d, "memory.limit_in_bytes", lim, w, err) < 0)
			return -1;
		if (!update && r->memory.limit > 0) {
			/* As runc: without a swap setting, swap is unlimited on top. */
			char path[4300];
			snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", d);
			if (access(path, F_OK) == 0 &&
			    cg_write(d, "memory.memsw.limit_in_bytes", "-1", w, err) < 0)
				return -1;
		}
	}
	if (r->memory.reservation != WARD_UNSET) {
		fmt_limit(lim, sizeof(lim), r->memory.reservation, false);
		if (cg_write(d, "memory.soft_limit_in_bytes", lim, w, err) < 0)
			return -1;
	}
	if (r->memory.kernel != WARD_UNSET)
		ward_warn("%s.kernel: kernel memory limits are deprecated and ignored", w);
	if (r->memory.kernel_tcp != WARD_UNSET) {
		fmt_limit(lim, sizeof(lim), r->memory.kernel_tcp, false);
		if (cg_write(d, "memory.kmem.tcp.limit_in_bytes", lim, w, err) < 0)
			return -1;
	}
	if (r->memory.swappiness != WARD_UNSET &&
	    cg_writef(d, "memory.swappiness", w, err, "%" PRId64, r->memory.swappiness) < 0)
		return -1;
	if (r->memory.has_disable_oom &&
	    cg_write(d, "memory.oom_control", r->memory.disable_oom_killer ? "1" : "0", w, err) < 0)
		return -1;
	return 0;
}

static int memory_v2(const char *d, const struct ward_resources *r, bool update, ward_err *err)
{
	char buf[32];
	const char *w = "linux.resources.memory";
	if (update && r->memory.check_before_update && r->memory.limit > 0) {
		int64_t usage = cg_read_int(d, "memory.current");
		if (usage > r->memory.limit)
			return ward_err_set(err, "%s.limit: %" PRId64 " is below the current usage %" PRId64
						 " (checkBeforeUpdate)",
					    w, r->memory.limit, usage);
	}
	if (r->memory.swap != WARD_UNSET) {
		/* v2 limits swap alone; the spec's swap is memory + swap. */
		if (r->memory.swap < 0)
			snprintf(buf, sizeof(buf), "max");
		else if (r->memory.limit == WARD_UNSET || r->memory.limit < 0)
			return ward_err_set(err, "%s.swap: on cgroup v2 a swap limit needs a memory "
						 "limit too",
					    w);
		else
			snprintf(buf, sizeof(buf), "%" PRId64, r->memory.swap - r->memory.limit);
		if (cg_write(d, "memory.swap.max", buf, w, err) < 0)
			return -1;
	}
	if (r->memory.limit != WARD_UNSET) {
		fmt_limit(buf, sizeof(buf), r->memory.limit, true);
		if (cg_write(d, "memory.max", buf, w, err) < 0)
			return -1;
	}
	if (r->memory.reservation != WARD_UNSET) {
		fmt_limit(buf, sizeof(buf), r->memory.reservation, true);
		if (cg_write(d, "memory.low", buf, w, err) < 0)
			return -1;
	}
	if (r->memory.swappiness != WARD_UNSET)
		return ward_err_set(err, "%s.swappiness: not supported on cgroup v2", w);
	if (r->memory.has_disable_oom && r->memory.disable_oom_killer)
		return ward_err_set(err, "%s.disableOOMKiller: not supported on cgroup v2", w);
	if (r->memory.kernel != WARD_UNSET || r->memory.kernel_tcp != WARD_UNSET)
		ward_warn("%s: kernel memory limits do not exist on cgroup v2; ignored", w);
	return 0;
}

static int cpu_apply(json_t *extra, const struct ward_resources *r, ward_err *err)
{
	const char *w = "linux.resources.cpu";
	bool any = r->cpu.shares != WARD_UNSET || r->cpu.quota != WARD_UNSET ||
		   r->cpu.period != WARD_UNSET || r->cpu.burst != WARD_UNSET ||
		   r->cpu.rt_runtime != WARD_UNSET || r->cpu.rt_period != WARD_UNSET ||
		   r->cpu.idle != WARD_UNSET;
	bool v2 = false;
	const char *d = any ? need(extra, "cpu", "cpu", &v2, err) : NULL;
	if (any && !d)
		return -1;
	if (d && !v2) {
		if (r->cpu.shares > 0 &&
		    cg_writef(d, "cpu.shares", w, err, "%" PRId64, r->cpu.shares) < 0)
			return -1;
		if (r->cpu.period > 0 &&
		    cg_writef(d, "cpu.cfs_period_us", w, err, "%" PRId64, r->cpu.period) < 0)
			return -1;
		if (r->cpu.quota != WARD_UNSET &&
		    cg_writef(d, "cpu.cfs_quota_us", w, err, "%" PRId64,
			      r->cpu.quota <= 0 ? -1 : r->cpu.quota) < 0)
			return -1;
		if (r->cpu.burst != WARD_UNSET &&
		    cg_writef(d, "cpu.cfs_burst_us", w, err, "%" PRId64, r->cpu.burst) < 0)
			return -1;
		if (r->cpu.rt_period > 0 &&
		    cg_writef(d, "cpu.rt_period_us", w, err, "%" PRId64, r->cpu.rt_period) < 0)
			return -1;
		if (r->cpu.rt_runtime != WARD_UNSET &&
		    cg_writef(d, "cpu.rt_runtime_us", w, err, "%" PRId64, r->cpu.rt_runtime) < 0)
			return -1;
		if (r->cpu.idle != WARD_UNSET &&
		    cg_writef(d, "cpu.idle", w, err, "%" PRId64, r->cpu.idle) < 0)
			return -1;
	} else if (d) {
		if (r->cpu.shares > 0 &&
		    cg_writef(d, "cpu.weight", w, err, "%" PRIu64,
			      ward_cpu_shares_to_weight((uint64_t)r->cpu.shares)) < 0)
			return -1;
		if (r->cpu.quota != WARD_UNSET || r->cpu.period > 0) {
			/* cpu.max holds both values: keep the one not being set. */
			char cur[64] = "max 100000", q[32];
			_cleanup_free_ char *t = NULL;
			char path[4300];
			ward_err e;
			snprintf(path, sizeof(path), "%s/cpu.max", d);
			if (ward_read_file_at(AT_FDCWD, path, &t, NULL, &e) == 0)
				snprintf(cur, sizeof(cur), "%s", t);
			char curq[32] = "max";
			long long curp = 100000;
			sscanf(cur, "%31s %lld", curq, &curp);
			int64_t period = r->cpu.period > 0 ? r->cpu.period : curp;
			if (r->cpu.quota == WARD_UNSET)
				snprintf(q, sizeof(q), "%s", curq);
			else if (r->cpu.quota <= 0)
				snprintf(q, sizeof(q), "max");
			else
				snprintf(q, sizeof(q), "%" PRId64, r->cpu.quota);
			if (cg_writef(d, "cpu.max", w, err, "%s %" PRId64, q, period) < 0)
				return -1;
		}
		if (r->cpu.burst != WARD_UNSET &&
		    cg_writef(d, "cpu.max.burst", w, err, "%" PRId64, r->cpu.burst) < 0)
			return -1;
		if (r->cpu.idle != WARD_UNSET &&
		    cg_writef(d, "cpu.idle", w, err, "%" PRId64, r->cpu.idle) < 0)
			return -1;
		if (r->cpu.rt_runtime != WARD_UNSET || r->cpu.rt_period != WARD_UNSET)
			return ward_err_set(err, "%s.realtimeRuntime: realtime scheduling limits "
						 "are not supported on cgroup v2",
					    w);
	}
	if (r->cpu.cpus || r->cpu.mems) {
		const char *cs = need(extra, "cpuset", "cpu.cpus", &v2, err);
		if (!cs)
			return -1;
		if (r->cpu.cpus && *r->cpu.cpus &&
		    cg_write(cs, v2 ? "cpuset.cpus" : "cpuset.cpus", r->cpu.cpus, "linux.resources.cpu.cpus",
			     err) < 0)
			return -1;
		if (r->cpu.mems && *r->cpu.mems &&
		    cg_write(cs, "cpuset.mems", r->cpu.mems, "linux.resources.cpu.mems", err) < 0)
			return -1;
	}
	return 0;
}

static int blkio_apply(json_t *extra, const struct ward_resources *r, ward_err *err)
{
	static const char *const v1files[] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	static const char *const v2keys[] = {"rbps", "wbps", "riops", "wiops"};
	const char *w = "linux.resources.blockIO";
	bool any = r->blkio.weight != WARD_UNSET || r->blkio.leaf_weight != WARD_UNSET ||
		   r->blkio.n_weight_device;
	for (int k = 0; k < 4; k++)
		any |= r->blkio.n_throttle[k] != 0;
	if (!any)
		return 0;
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, "blkio", &v2);
	if (!d)
		d = need(extra, "io", "blockIO", &v2, err);
	if (!d)
		return -1;
	if (!v2) {
		char path[4300];
		snprintf(path, sizeof(path), "%s/blkio.weight", d);
		/* CFQ is gone from current kernels; BFQ exposes its own weight file. */
		const char *wf = access(path, F_OK) == 0 ? "blkio.weight" : "blkio.bfq.weight";
		if (r->blkio.weight > 0 && cg_writef(d, wf, w, err, "%" PRId64, r->blkio.weight) < 0)
			return -1;
		if (r->blkio.leaf_weight > 0 &&
		    cg_writef(d, "blkio.leaf_weight", w, err, "%" PRId64, r->blkio.leaf_weight) < 0)
			return -1;
		for (size_t i = 0; i < r->blkio.n_weight_device; i++) {
			const struct ward_blkio_dev *x = &r->blkio.weight_device[i];
			if (x->weight > 0 &&
			    cg_writef(d, strcmp(wf, "blkio.weight") ? "blkio.bfq.weight" : "blkio.weight_device",
				      w, err, "%" PRId64 ":%" PRId64 " %" PRId64, x->major, x->minor,
				      x->weight) < 0)
				return -1;
			if (x->leaf_weight > 0 &&
			    cg_writef(d, "blkio.leaf_weight_device", w, err,
				      "%" PRId64 ":%" PRId64 " %" PRId64, x->major, x->minor,
				      x->leaf_weight) < 0)
				return -1;
		}
		for (int k = 0; k < 4; k++)
			for (size_t i = 0; i < r->blkio.n_throttle[k]; i++) {
				const struct ward_blkio_dev *x = &r->blkio.throttle[k][i];
				if (cg_writef(d, v1files[k], w, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					      x->major, x->minor, x->rate) < 0)
					return -1;
			}
		return 0;
	}
	if (r->blkio.weight > 0) {
		char path[4300];
		snprintf(path, sizeof(path), "%s/io.weight", d);
		const char *wf = access(path, F_OK) == 0 ? "io.weight" : "io.bfq.weight";
		uint64_t v = strcmp(wf, "io.weight") == 0
				     ? ward_blkio_weight_to_io((uint64_t)r->blkio.weight)
				     : (uint64_t)r->blkio.weight;
		if (cg_writef(d, wf, w, err, "default %" PRIu64, v) < 0)
			return -1;
	}
	if (r->blkio.leaf_weight != WARD_UNSET && r->blkio.leaf_weight > 0)
		return ward_err_set(err, "%s.leafWeight: not supported on cgroup v2", w);
	for (size_t i = 0; i < r->blkio.n_weight_device; i++) {
		const struct ward_blkio_dev *x = &r->blkio.weight_device[i];
		if (x->weight > 0 && cg_writef(d, "io.weight", w, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					       x->major, x->minor,
					       ward_blkio_weight_to_io((uint64_t)x->weight)) < 0)
			return -1;
	}
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < r->blkio.n_throttle[k]; i++) {
			const struct ward_blkio_dev *x = &r->blkio.throttle[k][i];
			if (cg_writef(d, "io.max", w, err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
				      x->major, x->minor, v2keys[k], x->rate) < 0)
				return -1;
		}
	return 0;
}

static int misc_apply(json_t *extra, const struct ward_resources *r, ward_err *err)
{
	bool v2 = false;
	if (r->pids_limit != WARD_UNSET) {
		const char *d = need(extra, "pids", "pids", &v2, err);
		char buf[32];
		if (!d)
			return -1;
		if (r->pids_limit <= 0)
			snprintf(buf, sizeof(buf), "max");
		else
			snprintf(buf, sizeof(buf), "%" PRId64, r->pids_limit);
		if (cg_write(d, "pids.max", buf, "linux.resources.pids.limit", err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_hugepages; i++) {
		const char *d = need(extra, "hugetlb", "hugepageLimits", &v2, err);
		char file[128];
		if (!d)
			return -1;
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
			 r->hugepages[i].page_size);
		char what[64];
		snprintf(what, sizeof(what), "linux.resources.hugepageLimits[%zu]", i);
		if (cg_writef(d, file, what, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
	}
	if (r->net_class_id != WARD_UNSET) {
		const char *d = need(extra, "net_cls", "network.classID", &v2, err);
		if (!d || cg_writef(d, "net_cls.classid", "linux.resources.network.classID", err,
				    "%" PRId64, r->net_class_id) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_net_priorities; i++) {
		const char *d = need(extra, "net_prio", "network.priorities", &v2, err);
		if (!d || cg_writef(d, "net_prio.ifpriomap", "linux.resources.network.priorities",
				    err, "%s %u", r->net_priorities[i].name,
				    r->net_priorities[i].priority) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_rdma; i++) {
		const char *d = need(extra, "rdma", "rdma", &v2, err);
		char line[256];
		int n = snprintf(line, sizeof(line), "%s", r->rdma[i].device);
		if (r->rdma[i].handles != WARD_UNSET)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " hca_handle=%" PRId64,
				      r->rdma[i].handles);
		if (r->rdma[i].objects != WARD_UNSET)
			snprintf(line + n, sizeof(line) - (size_t)n, " hca_object=%" PRId64,
				 r->rdma[i].objects);
		if (!d || cg_write(d, "rdma.max", line, "linux.resources.rdma", err) < 0)
			return -1;
	}
	return 0;
}

static int unified_apply(json_t *extra, const struct ward_resources *r, ward_err *err)
{
	if (!r->unified || !json_object_size(r->unified))
		return 0;
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, NULL, &v2);
	if (!d || !v2)
		return ward_err_set(err, "linux.resources.unified: needs cgroup v2, and this host's "
					 "container cgroup is v1");
	const char *k;
	json_t *v;
	json_object_foreach(r->unified, k, v)
	{
		char what[300];
		snprintf(what, sizeof(what), "linux.resources.unified.%s", k);
		/* On a hybrid host the v2 tree may lack the controller the key needs. */
		char ctrl[64];
		snprintf(ctrl, sizeof(ctrl), "%.*s", (int)strcspn(k, "."), k);
		const char *cd = ward_cgroup_dir_for(extra, ctrl, &v2);
		if (strcmp(ctrl, "cgroup") != 0 && (!cd || !v2))
			return ward_err_set(err, "%s: the %s controller is not on this host's "
						 "cgroup v2 hierarchy",
					    what, ctrl);
		if (cg_write(cd ? cd : d, k, json_string_value(v), what, err) < 0)
			return -1;
	}
	return 0;
}

int ward_resources_apply(json_t *extra, const struct ward_resources *r, bool update,
			 ward_err *err)
{
	if (!ward_cgroup_present(extra))
		return 0;
	bool v2 = false;
	bool mem = r->memory.limit != WARD_UNSET || r->memory.reservation != WARD_UNSET ||
		   r->memory.swap != WARD_UNSET || r->memory.kernel != WARD_UNSET ||
		   r->memory.kernel_tcp != WARD_UNSET || r->memory.swappiness != WARD_UNSET ||
		   r->memory.has_disable_oom;
	if (mem) {
		const char *d = need(extra, "memory", "memory", &v2, err);
		if (!d || (v2 ? memory_v2(d, r, update, err) : memory_v1(d, r, update, err)) < 0)
			return -1;
	}
	if (cpu_apply(extra, r, err) < 0 || blkio_apply(extra, r, err) < 0 ||
	    misc_apply(extra, r, err) < 0 || unified_apply(extra, r, err) < 0)
		return -1;
	if (r->has_devices) {
		const char *d = ward_cgroup_dir_for(extra, "devices", &v2);
		if (d && !v2)
			return ward_devices_apply_v1(d, r->devices, r->n_devices, err);
		d = ward_cgroup_dir_for(extra, NULL, &v2);
		if (d && v2 && json_string_value(json_object_get(json_object_get(extra, "cgroup"),
								 "layout")) &&
		    !strcmp(json_string_value(
				    json_object_get(json_object_get(extra, "cgroup"), "layout")),
			    "v2"))
			return ward_devices_apply_v2(d, r->devices, r->n_devices, err);
		ward_debug("no device controller for this container: device rules not applied");
	}
	return 0;
}
