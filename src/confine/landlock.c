#include "landlock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"

/* The UAPI, declared here: Debian 12's headers stop at ABI 2. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH	  1
#define LL_RULE_NET_PORT	  2
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule	    445
#define SYS_landlock_restrict_self  446
#endif

const struct ward_landlock_right ward_landlock_fs_rights[] = {
	{"execute", 1ULL << 0, 1},	{"write_file", 1ULL << 1, 1},	{"read_file", 1ULL << 2, 1},
	{"read_dir", 1ULL << 3, 1},	{"remove_dir", 1ULL << 4, 1},	{"remove_file", 1ULL << 5, 1},
	{"make_char", 1ULL << 6, 1},	{"make_dir", 1ULL << 7, 1},	{"make_reg", 1ULL << 8, 1},
	{"make_sock", 1ULL << 9, 1},	{"make_fifo", 1ULL << 10, 1},	{"make_block", 1ULL << 11, 1},
	{"make_sym", 1ULL << 12, 1},	{"refer", 1ULL << 13, 2},	{"truncate", 1ULL << 14, 3},
	{"ioctl_dev", 1ULL << 15, 5},	{NULL, 0, 0},
};
const struct ward_landlock_right ward_landlock_net_rights[] = {
	{"bind_tcp", 1ULL << 0, 4}, {"connect_tcp", 1ULL << 1, 4}, {NULL, 0, 0},
};
const struct ward_landlock_right ward_landlock_scopes[] = {
	{"abstract_unix_socket", 1ULL << 0, 6}, {"signal", 1ULL << 1, 6}, {NULL, 0, 0},
};
const struct ward_landlock_right ward_landlock_restrict_flags[] = {
	{"log_same_exec_off", 1ULL << 0, 7}, {"log_new_exec_on", 1ULL << 1, 7},
	{"log_subdomains_off", 1ULL << 2, 7}, {NULL, 0, 0},
};

/* Rights that make sense on a file (not a directory) in a path-beneath rule. */
#define FS_FILE_RIGHTS ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14) | (1ULL << 15))

int ward_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static uint64_t supported(const struct ward_landlock_right *t, int abi)
{
	uint64_t m = 0;
	for (; t->name; t++)
		if (t->abi <= abi)
			m |= t->bit;
	return m;
}

struct lctx {
	const char *field;
	int abi;
	bool strict;
	ward_err *err;
	struct ward_landlock *ll;
};

static void note_dropped(struct lctx *c, const char *name)
{
	size_t l = strlen(c->ll->dropped);
	if (strstr(c->ll->dropped, name))
		return;
	snprintf(c->ll->dropped + l, sizeof(c->ll->dropped) - l, "%s%s", l ? "," : "", name);
}

/* Names -> mask, negotiating each right with the ABI. */
static int rights(struct lctx *c, json_t *arr, const struct ward_landlock_right *table,
		  const char *what, uint64_t *out)
{
	*out = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return ward_err_set(c->err, "%s.%s: must be an array of strings", c->field, what);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *n = json_string_value(v);
		const struct ward_landlock_right *r = table;
		while (r->name && (!n || strcmp(r->name, n) != 0))
			r++;
		if (!r->name)
			return ward_err_set(c->err, "%s.%s[%zu]: unknown access right \"%s\"", c->field,
					    what, i, n ? n : "(not a string)");
		if (r->abi > c->abi) {
			if (c->strict)
				return ward_err_set(c->err,
						    "%s.%s[%zu]: \"%s\" needs Landlock ABI %d; this "
						    "kernel has ABI %d (disableBestEffort is set)",
						    c->field, what, i, n, r->abi, c->abi);
			note_dropped(c, n);
			continue;
		}
		*out |= r->bit;
	}
	return 0;
}

static int parse_paths(struct lctx *c, json_t *arr)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return ward_err_set(c->err, "%s.rules.pathBeneath: must be an array", c->field);
	size_t i, cap = 0;
	json_t *e;
	json_array_foreach(arr, i, e) cap += json_array_size(json_object_get(e, "paths"));
	c->ll->paths = calloc(cap + 1, sizeof(*c->ll->paths));
	json_array_foreach(arr, i, e)
	{
		char what[96];
		snprintf(what, sizeof(what), "rules.pathBeneath[%zu].allowedAccess", i);
		uint64_t acc;
		if (rights(c, json_object_get(e, "allowedAccess"), ward_landlock_fs_rights, what, &acc) < 0)
			return -1;
		json_t *paths = json_object_get(e, "paths");
		if (!json_is_array(paths))
			return ward_err_set(c->err, "%s.rules.pathBeneath[%zu].paths: must be an array",
					    c->field, i);
		size_t k;
		json_t *p;
		json_array_foreach(paths, k, p)
		{
			const char *s = json_string_value(p);
			if (!s || s[0] != '/')
				return ward_err_set(c->err, "%s.rules.pathBeneath[%zu].paths[%zu]: must be "
							    "an absolute path",
						    c->field, i, k);
			c->ll->paths[c->ll->n_paths++] = (struct ward_landlock_path){strdup(s), acc};
		}
	}
	return 0;
}

static int parse_ports(struct lctx *c, json_t *arr)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return ward_err_set(c->err, "%s.rules.netPort: must be an array", c->field);
	size_t i, cap = 0;
	json_t *e;
	json_array_foreach(arr, i, e) cap += json_array_size(json_object_get(e, "ports"));
	c->ll->ports = calloc(cap + 1, sizeof(*c->ll->ports));
	json_array_foreach(arr, i, e)
	{
		char what[96];
		snprintf(what, sizeof(what), "rules.netPort[%zu].allowedAccess", i);
		uint64_t acc;
		if (rights(c, json_object_get(e, "allowedAccess"), ward_landlock_net_rights, what, &acc) < 0)
			return -1;
		json_t *ports = json_object_get(e, "ports");
		size_t k;
		json_t *p;
		json_array_foreach(ports, k, p)
		{
			if (!json_is_integer(p) || json_integer_value(p) < 0 ||
			    json_integer_value(p) > 65535)
				return ward_err_set(c->err, "%s.rules.netPort[%zu].ports[%zu]: must be a "
							    "port number",
						    c->field, i, k);
			if (acc)
				c->ll->ports[c->ll->n_ports++] =
					(struct ward_landlock_port){(uint64_t)json_integer_value(p), acc};
		}
	}
	return 0;
}

int ward_landlock_parse(json_t *obj, const char *field, int abi, struct ward_landlock *ll,
			ward_err *err)
{
	memset(ll, 0, sizeof(*ll));
	if (!obj)
		return 0;
	struct lctx c = {field, abi, false, err, ll};
	if (!json_is_object(obj))
		return ward_err_set(err, "%s: must be an object", field);
	json_t *dbe = json_object_get(obj, "disableBestEffort");
	if (dbe && !json_is_boolean(dbe))
		return ward_err_set(err, "%s.disableBestEffort: must be a boolean", field);
	c.strict = ll->strict = json_is_true(dbe);
	ll->present = true;
	ll->abi = abi;
	if (abi < 1) {
		if (c.strict)
			return ward_err_set(err, "%s: Landlock is not available on this kernel "
						 "(disableBestEffort is set)",
					    field);
		ward_warn("%s: Landlock is not available on this kernel; the container runs "
			  "without its Landlock policy (best effort)",
			  field);
		snprintf(ll->dropped, sizeof(ll->dropped), "all (no Landlock)");
	}
	const char *preset = json_string_value(json_object_get(obj, "preset"));
	if (json_object_get(obj, "preset") && (!preset || strcmp(preset, "wx") != 0))
		return ward_err_set(err, "%s.preset: unknown preset (ward knows \"wx\")", field);
	ll->preset = preset ? strdup(preset) : NULL;

	json_t *rs = json_object_get(obj, "ruleset");
	if (rights(&c, json_object_get(rs, "handledAccessFS"), ward_landlock_fs_rights,
		   "ruleset.handledAccessFS", &ll->handled_fs) < 0 ||
	    rights(&c, json_object_get(rs, "handledAccessNet"), ward_landlock_net_rights,
		   "ruleset.handledAccessNet", &ll->handled_net) < 0 ||
	    rights(&c, json_object_get(rs, "scoped"), ward_landlock_scopes, "ruleset.scoped",
		   &ll->scoped) < 0)
		return -1;
	uint64_t flags;
	if (rights(&c, json_object_get(obj, "restrictSelf"), ward_landlock_restrict_flags,
		   "restrictSelf", &flags) < 0)
		return -1;
	ll->restrict_flags = (uint32_t)flags;
	if (preset) {
		/* wx handles every right this kernel knows and scopes the domain. */
		ll->handled_fs |= supported(ward_landlock_fs_rights, abi);
		ll->scoped |= supported(ward_landlock_scopes, abi);
	}
	json_t *rules = json_object_get(obj, "rules");
	if (parse_paths(&c, json_object_get(rules, "pathBeneath")) < 0 ||
	    parse_ports(&c, json_object_get(rules, "netPort")) < 0)
		return -1;
	for (size_t i = 0; i < ll->n_paths; i++)
		if (ll->paths[i].access & ~ll->handled_fs)
			return ward_err_set(err, "%s.rules.pathBeneath: %s allows rights the ruleset "
						 "does not handle (add them to handledAccessFS)",
					    field, ll->paths[i].path);
	for (size_t i = 0; i < ll->n_ports; i++)
		if (ll->ports[i].access & ~ll->handled_net)
			return ward_err_set(err, "%s.rules.netPort: port %llu allows rights the ruleset "
						 "does not handle (add them to handledAccessNet)",
					    field, (unsigned long long)ll->ports[i].port);
	if (ll->dropped[0])
		ward_debug("%s: best effort: dropped %s (kernel Landlock ABI %d)", field, ll->dropped,
			   abi);
	return 0;
}

void ward_landlock_release(struct ward_landlock *ll)
{
	for (size_t i = 0; i < ll->n_paths; i++)
		free(ll->paths[i].path);
	free(ll->paths);
	free(ll->ports);
	free(ll->preset);
	memset(ll, 0, sizeof(*ll));
}

static json_t *names(const struct ward_landlock_right *t, uint64_t mask)
{
	json_t *a = json_array();
	for (; t->name; t++)
		if (mask & t->bit)
			json_array_append_new(a, json_string(t->name));
	return a;
}

json_t *ward_landlock_describe(const struct ward_landlock *ll)
{
	if (!ll->present)
		return json_null();
	return json_pack("{s:i, s:b, s:o, s:o, s:o, s:s, s:s?, s:i, s:i}", "abi", ll->abi,
			 "disableBestEffort", ll->strict, "handledAccessFS",
			 names(ward_landlock_fs_rights, ll->handled_fs), "handledAccessNet",
			 names(ward_landlock_net_rights, ll->handled_net), "scoped",
			 names(ward_landlock_scopes, ll->scoped), "dropped", ll->dropped, "preset",
			 ll->preset, "pathRules", (int)ll->n_paths, "portRules", (int)ll->n_ports);
}

static int add_path_rule(int rs, const char *path, uint64_t access, bool strict, ward_err *err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = ward_open_in_root(root, path, O_PATH, 0, err);
	if (fd < 0) {
		if (err->errnum == ENOENT && !strict) {
			ward_warn("process.landlock: %s does not exist in the container; rule skipped",
				  path);
			ward_err_clear(err);
			return 0;
		}
		return ward_err_wrap(err, "process.landlock: rule path");
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= FS_FILE_RIGHTS;
	if (!access)
		return 0;
	struct ll_path_beneath_attr pb = {.allowed_access = access, .parent_fd = fd};
	if (syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		return ward_err_sys(err, errno, "process.landlock: add rule for %s", path);
	return 0;
}

/* ---- the "wx" preset: execute only beneath read-only mounts, write only
 * beneath writable ones, read everywhere. Computed from the container's own
 * mount table after pivot_root. ---- */

struct mnt {
	char path[1024];
	bool ro;
};

static size_t read_mounts(struct mnt *m, size_t max)
{
	_cleanup_file_ FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t n = 0;
	char line[4096];
	while (f && n < max && fgets(line, sizeof(line), f)) {
		char mp[1024], opts[256];
		if (sscanf(line, "%*s %*s %*s %*s %1023s %255s", mp, opts) != 2)
			continue;
		/* mountinfo escapes spaces as \040; such paths are skipped. */
		if (strchr(mp, '\\'))
			continue;
		snprintf(m[n].path, sizeof(m[n].path), "%s", mp);
		m[n].ro = strncmp(opts, "ro", 2) == 0 && (opts[2] == ',' || opts[2] == '\0');
		n++;
	}
	return n;
}

/* Is path (or something below it) the mount point of a writable mount, or is
 * it itself on a writable mount? Later mounts shadow earlier ones. */
static bool writable_at(const struct mnt *m, size_t n, const char *path)
{
	bool rw = false;
	size_t best = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(m[i].path);
		bool covers = strcmp(m[i].path, "/") == 0 ||
			      (strncmp(path, m[i].path, l) == 0 && (path[l] == '/' || path[l] == '\0'));
		if (covers && l >= best) {
			best = l;
			rw = !m[i].ro;
		}
	}
	return rw;
}

static bool has_mount_below(const struct mnt *m, size_t n, const char *path)
{
	size_t l = strlen(path);
	for (size_t i = 0; i < n; i++)
		if (strncmp(m[i].path, path, l) == 0 && m[i].path[l] == '/')
			return true;
	return false;
}

/* A read-only mount refuses writes whatever Landlock allows, so granting
 * the write rights broadly is harmless; execute is the right that must stay
 * off anything writable. A directory with mounts below it gets the
 * non-execute rights and is split further; anything else gets execute only
 * if it is on a read-only mount. */
static int wx_walk(int rs, const struct mnt *m, size_t n, const char *dir, uint64_t rx,
		   uint64_t rw, int depth, ward_err *err)
{
	if (depth > 16)
		return 0;
	_cleanup_dir_ DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		/* Symlinks need no rule: access is checked on what they lead to. */
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || de->d_type == DT_LNK)
			continue;
		char p[2048];
		snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);
		if (de->d_type == DT_DIR && has_mount_below(m, n, p)) {
			if (add_path_rule(rs, p, rw, false, err) < 0 ||
			    wx_walk(rs, m, n, p, rx, rw, depth + 1, err) < 0)
				return -1;
			continue;
		}
		if (add_path_rule(rs, p, writable_at(m, n, p) ? rw : rx, false, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_preset(int rs, const struct ward_landlock *ll, ward_err *err)
{
	struct mnt *m = calloc(512, sizeof(*m));
	if (!m)
		return ward_err_sys(err, ENOMEM, "landlock preset");
	size_t n = read_mounts(m, 512);
	uint64_t all = ll->handled_fs;
	uint64_t exec = all & (1ULL << 0);
	uint64_t read = all & ((1ULL << 2) | (1ULL << 3) | (1ULL << 15));
	uint64_t rw = all & ~exec;
	int r = add_path_rule(rs, "/", rw, false, err);
	if (r == 0)
		r = wx_walk(rs, m, n, "/", read | exec, rw, 0, err);
	free(m);
	return r;
}

int ward_landlock_prepare(const struct ward_landlock *ll, ward_err *err)
{
	if (!ll->present || ll->abi < 1)
		return -2; /* nothing to enforce */
	struct ll_ruleset_attr attr = {
		.handled_access_fs = ll->handled_fs,
		.handled_access_net = ll->handled_net,
		.scoped = ll->scoped,
	};
	size_t size = ll->abi >= 6 ? sizeof(attr) : ll->abi >= 4 ? 16 : 8;
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0)
		return ward_err_sys(err, errno, "process.landlock: create ruleset");
	for (size_t i = 0; i < ll->n_paths; i++)
		if (add_path_rule(rs, ll->paths[i].path, ll->paths[i].access, ll->strict, err) < 0)
			goto fail;
	for (size_t i = 0; i < ll->n_ports; i++) {
		struct ll_net_port_attr np = {.allowed_access = ll->ports[i].access,
					      .port = ll->ports[i].port};
		if (syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &np, 0) < 0) {
			ward_err_sys(err, errno, "process.landlock: add rule for port %llu",
				     (unsigned long long)ll->ports[i].port);
			goto fail;
		}
	}
	if (ll->preset && apply_preset(rs, ll, err) < 0)
		goto fail;
	return rs;
fail:
	close(rs);
	return -1;
}

int ward_landlock_enforce(int rs, const struct ward_landlock *ll, ward_err *err)
{
	if (rs < 0)
		return 0;
	uint32_t flags = ll->abi >= 7 ? ll->restrict_flags : 0;
	if (syscall(SYS_landlock_restrict_self, rs, flags) < 0) {
		int e = errno;
		close(rs);
		return ward_err_sys(err, e, "process.landlock: restrict_self");
	}
	close(rs);
	return 0;
}

json_t *ward_landlock_default_policy(void)
{
	return json_pack("{s:s, s:b}", "preset", "wx", "disableBestEffort", 0);
}
