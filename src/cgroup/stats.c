/* Reading the container's cgroups: stats in runc's events format, freezing,
 * OOM notification. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "cgroup.h"

static int read_text(const char *dir, const char *file, char **out)
{
	char path[4300];
	ward_err e;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return ward_read_file_at(AT_FDCWD, path, out, NULL, &e);
}

static bool read_u64(const char *dir, const char *file, uint64_t *v)
{
	_cleanup_free_ char *t = NULL;
	if (!dir || read_text(dir, file, &t) < 0)
		return false;
	if (strncmp(t, "max", 3) == 0) {
		*v = UINT64_MAX;
		return true;
	}
	*v = strtoull(t, NULL, 10);
	return true;
}

/* "key value" lines into an object; returns NULL if the file is missing. */
static json_t *read_kv(const char *dir, const char *file)
{
	_cleanup_free_ char *t = NULL;
	if (!dir || read_text(dir, file, &t) < 0)
		return NULL;
	json_t *o = json_object();
	char *save = NULL;
	for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		json_object_set_new(o, line, json_integer((json_int_t)strtoull(sp + 1, NULL, 10)));
	}
	return o;
}

static uint64_t kv_get(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

static void set_u64(json_t *o, const char *k, uint64_t v, bool omit_zero)
{
	if (omit_zero && v == 0)
		return;
	json_object_set_new(o, k, json_integer(v == UINT64_MAX ? -1 : (json_int_t)v));
}

static json_t *mem_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	json_t *e = json_object();
	set_u64(e, "limit", limit, false);
	set_u64(e, "usage", usage, true);
	set_u64(e, "max", max, true);
	set_u64(e, "failcnt", failcnt, false);
	return e;
}

static json_t *cpu_stats(json_t *extra)
{
	bool v2 = false;
	json_t *cpu = json_object(), *usage = json_object(), *thr = json_object();
	const char *acct = ward_cgroup_dir_for(extra, "cpuacct", &v2);
	const char *c = ward_cgroup_dir_for(extra, "cpu", &v2);
	if (acct && !v2) {
		uint64_t total = 0;
		read_u64(acct, "cpuacct.usage", &total);
		set_u64(usage, "total", total, true);
		_cleanup_free_ char *pc = NULL;
		if (read_text(acct, "cpuacct.usage_percpu", &pc) == 0) {
			json_t *arr = json_array();
			for (char *p = pc; *p && *p != '\n';) {
				char *end;
				uint64_t v = strtoull(p, &end, 10);
				if (end == p)
					break;
				json_array_append_new(arr, json_integer((json_int_t)v));
				p = end;
				while (*p == ' ')
					p++;
			}
			json_object_set_new(usage, "percpu", arr);
		}
		json_t *st = read_kv(acct, "cpuacct.stat");
		/* user/system are in USER_HZ ticks; runc reports nanoseconds. */
		long hz = sysconf(_SC_CLK_TCK);
		set_u64(usage, "kernel", kv_get(st, "system") * (1000000000ULL / (uint64_t)hz), false);
		set_u64(usage, "user", kv_get(st, "user") * (1000000000ULL / (uint64_t)hz), false);
		json_decref(st);
	}
	json_t *st = NULL;
	if (c && v2) {
		st = read_kv(c, "cpu.stat");
		set_u64(usage, "total", kv_get(st, "usage_usec") * 1000, true);
		set_u64(usage, "kernel", kv_get(st, "system_usec") * 1000, false);
		set_u64(usage, "user", kv_get(st, "user_usec") * 1000, false);
		set_u64(thr, "periods", kv_get(st, "nr_periods"), true);
		set_u64(thr, "throttledPeriods", kv_get(st, "nr_throttled"), true);
		set_u64(thr, "throttledTime", kv_get(st, "throttled_usec") * 1000, true);
	} else if (c) {
		st = read_kv(c, "cpu.stat");
		set_u64(thr, "periods", kv_get(st, "nr_periods"), true);
		set_u64(thr, "throttledPeriods", kv_get(st, "nr_throttled"), true);
		set_u64(thr, "throttledTime", kv_get(st, "throttled_time"), true);
	}
	json_decref(st);
	json_object_set_new(cpu, "usage", usage);
	json_object_set_new(cpu, "throttling", thr);
	return cpu;
}

static json_t *memory_stats(json_t *extra)
{
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, "memory", &v2);
	json_t *m = json_object();
	if (!d)
		return m;
	uint64_t limit = 0, usage = 0, max = 0, fail = 0;
	if (!v2) {
		read_u64(d, "memory.limit_in_bytes", &limit);
		read_u64(d, "memory.usage_in_bytes", &usage);
		read_u64(d, "memory.max_usage_in_bytes", &max);
		read_u64(d, "memory.failcnt", &fail);
		json_object_set_new(m, "usage", mem_entry(limit, usage, max, fail));
		limit = usage = max = fail = 0;
		if (read_u64(d, "memory.memsw.limit_in_bytes", &limit)) {
			read_u64(d, "memory.memsw.usage_in_bytes", &usage);
			read_u64(d, "memory.memsw.max_usage_in_bytes", &max);
			read_u64(d, "memory.memsw.failcnt", &fail);
			json_object_set_new(m, "swap", mem_entry(limit, usage, max, fail));
		}
		json_t *raw = read_kv(d, "memory.stat");
		if (raw) {
			set_u64(m, "cache", kv_get(raw, "cache"), true);
			json_object_set_new(m, "raw", raw);
		}
	} else {
		read_u64(d, "memory.max", &limit);
		read_u64(d, "memory.current", &usage);
		read_u64(d, "memory.peak", &max);
		json_t *ev = read_kv(d, "memory.events");
		json_object_set_new(m, "usage", mem_entry(limit, usage, max, kv_get(ev, "max")));
		json_decref(ev);
		uint64_t sl = 0, su = 0;
		if (read_u64(d, "memory.swap.max", &sl)) {
			read_u64(d, "memory.swap.current", &su);
			json_object_set_new(m, "swap", mem_entry(sl, su, 0, 0));
		}
		json_t *raw = read_kv(d, "memory.stat");
		if (raw) {
			set_u64(m, "cache", kv_get(raw, "file"), true);
			json_object_set_new(m, "raw", raw);
		}
	}
	return m;
}

static json_t *hugetlb_stats(json_t *extra)
{
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, "hugetlb", &v2);
	json_t *h = json_object();
	static const char *const sizes[] = {"2MB", "1GB"};
	for (size_t i = 0; d && i < 2; i++) {
		char f[64];
		uint64_t usage = 0, max = 0, fail = 0;
		snprintf(f, sizeof(f), v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes", sizes[i]);
		if (!read_u64(d, f, &usage))
			continue;
		if (!v2) {
			snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
			read_u64(d, f, &max);
			snprintf(f, sizeof(f), "hugetlb.%s.failcnt", sizes[i]);
			read_u64(d, f, &fail);
		} else {
			snprintf(f, sizeof(f), "hugetlb.%s.events", sizes[i]);
			_cleanup_free_ char *t = NULL;
			if (read_text(d, f, &t) == 0 && strncmp(t, "max ", 4) == 0)
				fail = strtoull(t + 4, NULL, 10);
		}
		json_t *e = json_object();
		set_u64(e, "usage", usage, true);
		set_u64(e, "max", max, true);
		set_u64(e, "failcnt", fail, false);
		json_object_set_new(h, sizes[i], e);
	}
	return h;
}

static json_t *blkio_stats(json_t *extra)
{
	bool v2 = false;
	json_t *b = json_object();
	const char *d = ward_cgroup_dir_for(extra, "blkio", &v2);
	if (d && !v2) {
		_cleanup_free_ char *t = NULL;
		if (read_text(d, "blkio.throttle.io_service_bytes_recursive", &t) < 0)
			return b;
		json_t *arr = json_array();
		char *save = NULL;
		for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			unsigned maj, min;
			char op[32];
			unsigned long long v;
			if (sscanf(l, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
				json_array_append_new(arr, json_pack("{s:i, s:i, s:s, s:I}", "major", maj,
								     "minor", min, "op", op, "value",
								     (json_int_t)v));
		}
		json_object_set_new(b, "ioServiceBytesRecursive", arr);
	} else if ((d = ward_cgroup_dir_for(extra, "io", &v2))) {
		_cleanup_free_ char *t = NULL;
		if (read_text(d, "io.stat", &t) < 0)
			return b;
		json_t *bytes = json_array(), *ios = json_array();
		char *save = NULL;
		for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			unsigned maj, min;
			unsigned long long rb = 0, wb = 0, rio = 0, wio = 0;
			if (sscanf(l, "%u:%u rbytes=%llu wbytes=%llu rios=%llu wios=%llu", &maj, &min,
				   &rb, &wb, &rio, &wio) < 2)
				continue;
			json_array_append_new(bytes, json_pack("{s:i,s:i,s:s,s:I}", "major", maj, "minor",
							       min, "op", "Read", "value", (json_int_t)rb));
			json_array_append_new(bytes, json_pack("{s:i,s:i,s:s,s:I}", "major", maj, "minor",
							       min, "op", "Write", "value", (json_int_t)wb));
			json_array_append_new(ios, json_pack("{s:i,s:i,s:s,s:I}", "major", maj, "minor",
							     min, "op", "Read", "value", (json_int_t)rio));
			json_array_append_new(ios, json_pack("{s:i,s:i,s:s,s:I}", "major", maj, "minor",
							     min, "op", "Write", "value", (json_int_t)wio));
		}
		json_object_set_new(b, "ioServiceBytesRecursive", bytes);
		json_object_set_new(b, "ioServicedRecursive", ios);
	}
	return b;
}

/* "0-3,8,10-11" as [0,1,2,3,8,10,11]. */
static json_t *cpu_list(const char *text)
{
	json_t *a = json_array();
	const char *p = text;
	while (p && *p && *p != '\n') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (end == p)
			break;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long i = lo; i <= hi && i - lo < 65536; i++)
			json_array_append_new(a, json_integer((json_int_t)i));
		p = *end == ',' ? end + 1 : NULL;
	}
	return a;
}

/* runc's cpuset stats: the effective cpus and mems, and v1's flags. */
static json_t *cpuset_stats(json_t *extra)
{
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, "cpuset", &v2);
	json_t *c = json_object();
	if (!d)
		return c;
	_cleanup_free_ char *cpus = NULL, *mems = NULL;
	read_text(d, v2 ? "cpuset.cpus.effective" : "cpuset.cpus", &cpus);
	read_text(d, v2 ? "cpuset.mems.effective" : "cpuset.mems", &mems);
	json_object_set_new(c, "cpus", cpu_list(cpus));
	json_object_set_new(c, "mems", cpu_list(mems));
	if (v2)
		return c;
	static const char *const flags[] = {"cpu_exclusive",	  "mem_hardwall",
					    "mem_exclusive",	  "memory_migrate",
					    "memory_spread_page", "memory_spread_slab",
					    "memory_pressure",	  "sched_load_balance",
					    "sched_relax_domain_level"};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char f[64];
		_cleanup_free_ char *t = NULL;
		snprintf(f, sizeof(f), "cpuset.%s", flags[i]);
		if (read_text(d, f, &t) == 0)
			json_object_set_new(c, flags[i], json_integer(strtoll(t, NULL, 10)));
	}
	return c;
}

json_t *ward_cgroup_stats(json_t *extra)
{
	json_t *pids = json_object();
	bool v2;
	const char *pd = ward_cgroup_dir_for(extra, "pids", &v2);
	uint64_t cur = 0, lim = 0;
	if (read_u64(pd, "pids.current", &cur))
		set_u64(pids, "current", cur, true);
	if (read_u64(pd, "pids.max", &lim) && lim != UINT64_MAX)
		set_u64(pids, "limit", lim, true);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:{}, s:n}", "cpu", cpu_stats(extra),
			 "cpuset", cpuset_stats(extra), "memory", memory_stats(extra), "pids", pids,
			 "blkio", blkio_stats(extra), "hugetlb", hugetlb_stats(extra), "intel_rdt",
			 "network_interfaces");
}

/* ---- freezing ---- */

static int freeze_path(json_t *extra, char *path, size_t len, bool *v2)
{
	const char *d = ward_cgroup_dir_for(extra, "freezer", v2);
	if (d) {
		snprintf(path, len, "%s", d);
		return 0;
	}
	d = ward_cgroup_dir_for(extra, NULL, v2);
	if (d && *v2) {
		snprintf(path, len, "%s", d);
		return 0;
	}
	return -1;
}

char *ward_cgroup_freeze_file(json_t *extra)
{
	char dir[4200];
	bool v2 = false;
	char *f = NULL;
	if (freeze_path(extra, dir, sizeof(dir), &v2) < 0 ||
	    asprintf(&f, "%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state") < 0)
		return NULL;
	return f;
}

bool ward_cgroup_file_frozen(const char *file)
{
	char buf[16];
	_cleanup_close_ int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* v1 freezer.state: FROZEN (FREEZING is not yet); v2 cgroup.freeze: 1 */
	return strncmp(buf, "FROZEN", 6) == 0 || buf[0] == '1';
}

bool ward_cgroup_is_frozen(json_t *extra)
{
	_cleanup_free_ char *f = ward_cgroup_freeze_file(extra);
	return ward_cgroup_file_frozen(f);
}

int ward_cgroup_freeze(json_t *extra, bool freeze, ward_err *err)
{
	char dir[4200];
	bool v2 = false;
	if (freeze_path(extra, dir, sizeof(dir), &v2) < 0)
		return ward_err_set(err, "no freezer: this container has no freezer cgroup (v1) nor a "
					 "cgroup v2 directory");
	char file[4300];
	snprintf(file, sizeof(file), "%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state");
	const char *want = v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
	/* Freezing can take a moment (and on v1 can fail to converge): retry. */
	for (int i = 0; i < 1000; i++) {
		if (ward_write_file_at(AT_FDCWD, file, want, strlen(want), err) < 0)
			return -1;
		_cleanup_free_ char *t = NULL;
		bool done;
		if (v2) {
			if (read_text(dir, "cgroup.events", &t) < 0)
				return ward_err_sys(err, errno, "read %s/cgroup.events", dir);
			done = strstr(t, freeze ? "frozen 1" : "frozen 0") != NULL;
		} else {
			if (read_text(dir, "freezer.state", &t) < 0)
				return ward_err_sys(err, errno, "read %s", file);
			done = strncmp(t, want, strlen(want)) == 0;
		}
		if (done)
			return 0;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	if (freeze)
		ward_write_file_at(AT_FDCWD, file, v2 ? "0" : "THAWED", v2 ? 1 : 6, err);
	return ward_err_set(err, "%s: the cgroup did not %s in time", file,
			    freeze ? "freeze" : "thaw");
}

/* ---- OOM ---- */

int ward_cgroup_oom_fd(json_t *extra, int *kind, ward_err *err)
{
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, "memory", &v2);
	if (!d)
		return ward_err_set(err, "no memory cgroup: cannot watch for OOM");
	char path[4300];
	if (v2) {
		int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		snprintf(path, sizeof(path), "%s/memory.events", d);
		if (in < 0 || inotify_add_watch(in, path, IN_MODIFY) < 0) {
			int e = errno;
			if (in >= 0)
				close(in);
			return ward_err_sys(err, e, "watch %s", path);
		}
		*kind = 2;
		return in;
	}
	/* v1: an eventfd registered on memory.oom_control. */
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	snprintf(path, sizeof(path), "%s/memory.oom_control", d);
	_cleanup_close_ int oc = open(path, O_RDONLY | O_CLOEXEC);
	if (efd < 0 || oc < 0) {
		int e = errno;
		if (efd >= 0)
			close(efd);
		return ward_err_sys(err, e, "open %s", path);
	}
	char line[64];
	snprintf(line, sizeof(line), "%d %d", efd, oc);
	snprintf(path, sizeof(path), "%s/cgroup.event_control", d);
	if (ward_write_file_at(AT_FDCWD, path, line, strlen(line), err) < 0) {
		close(efd);
		return -1;
	}
	*kind = 1;
	return efd;
}

uint64_t ward_cgroup_oom_count(json_t *extra)
{
	bool v2 = false;
	const char *d = ward_cgroup_dir_for(extra, "memory", &v2);
	if (!d)
		return 0;
	if (v2) {
		json_t *ev = read_kv(d, "memory.events");
		uint64_t n = kv_get(ev, "oom_kill");
		json_decref(ev);
		return n;
	}
	json_t *oc = read_kv(d, "memory.oom_control");
	uint64_t n = kv_get(oc, "oom_kill");
	json_decref(oc);
	return n;
}
