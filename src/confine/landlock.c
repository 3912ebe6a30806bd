#include "landlock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	bool named; /* the policy names at least one right to handle (or a preset) */
	uint64_t last_named;	       /* every right the last list named, known or not to the kernel */
	uint64_t named_fs, named_net; /* the ruleset's handled rights as named */
	ward_err *err;
	struct ward_landlock *ll;
};

/* Is name one of the comma-separated words of list? */
static bool has_word(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, name, n))
			return true;
		p += l + (e ? 1 : 0);
	}
	return false;
}

static void note_dropped(struct lctx *c, const char *name)
{
	if (c->abi < 1)
		return; /* "all (no Landlock)" says it */
	size_t l = strlen(c->ll->dropped);
	if (has_word(c->ll->dropped, name))
		return;
	snprintf(c->ll->dropped + l, sizeof(c->ll->dropped) - l, "%s%s", l ? "," : "", name);
}

static const char *first_name(const struct ward_landlock_right *t, uint64_t mask)
{
	for (; t->name; t++)
		if (mask & t->bit)
			return t->name;
	return "?";
}

/* Names -> mask, negotiating each right with the ABI. */
static int rights(struct lctx *c, json_t *arr, const struct ward_landlock_right *table,
		  const char *what, uint64_t *out)
{
	*out = 0;
	c->last_named = 0;
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
		c->last_named |= r->bit;
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

/* A rule may only allow rights the ruleset handles (the kernel refuses the
 * rule otherwise). Checked on the rights as named, before negotiation: the
 * policy is wrong whatever the kernel. */
static int check_handled(struct lctx *c, const char *what, uint64_t acc, uint64_t handled,
			 const struct ward_landlock_right *table, const char *handled_field)
{
	if (!(acc & ~handled))
		return 0;
	return ward_err_set(c->err, "%s.%s: \"%s\" is not in ruleset.%s (a rule can only allow "
				    "rights the ruleset handles)",
			    c->field, what, first_name(table, acc & ~handled), handled_field);
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
	if (!c->ll->paths)
		return ward_err_sys(c->err, ENOMEM, "%s", c->field);
	json_array_foreach(arr, i, e)
	{
		if (!json_is_object(e))
			return ward_err_set(c->err, "%s.rules.pathBeneath[%zu]: must be an object",
					    c->field, i);
		char what[96];
		snprintf(what, sizeof(what), "rules.pathBeneath[%zu].allowedAccess", i);
		uint64_t acc;
		if (rights(c, json_object_get(e, "allowedAccess"), ward_landlock_fs_rights, what, &acc) < 0 ||
		    check_handled(c, what, c->last_named, c->named_fs, ward_landlock_fs_rights,
				  "handledAccessFS") < 0)
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
			char *copy = strdup(s);
			if (!copy)
				return ward_err_sys(c->err, ENOMEM, "%s", c->field);
			c->ll->paths[c->ll->n_paths++] =
				(struct ward_landlock_path){.path = copy, .access = acc, .rule = i, .index = k};
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
	if (!c->ll->ports)
		return ward_err_sys(c->err, ENOMEM, "%s", c->field);
	json_array_foreach(arr, i, e)
	{
		if (!json_is_object(e))
			return ward_err_set(c->err, "%s.rules.netPort[%zu]: must be an object", c->field,
					    i);
		char what[96];
		snprintf(what, sizeof(what), "rules.netPort[%zu].allowedAccess", i);
		uint64_t acc;
		if (rights(c, json_object_get(e, "allowedAccess"), ward_landlock_net_rights, what, &acc) < 0 ||
		    check_handled(c, what, c->last_named, c->named_net, ward_landlock_net_rights,
				  "handledAccessNet") < 0)
			return -1;
		json_t *ports = json_object_get(e, "ports");
		if (!json_is_array(ports))
			return ward_err_set(c->err, "%s.rules.netPort[%zu].ports: must be an array of "
						    "port numbers",
					    c->field, i);
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
	struct lctx c = {.field = field, .abi = abi, .err = err, .ll = ll};
	if (!json_is_object(obj))
		return ward_err_set(err, "%s: must be an object", field);
	if (!(ll->field = strdup(field)))
		return ward_err_sys(err, ENOMEM, "%s", field);
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
	if (rs && !json_is_object(rs))
		return ward_err_set(err, "%s.ruleset: must be an object", field);
	static const char *const handled_keys[] = {"handledAccessFS", "handledAccessNet", "scoped"};
	for (size_t i = 0; i < ARRAY_SIZE(handled_keys); i++)
		if (json_array_size(json_object_get(rs, handled_keys[i])))
			c.named = true;
	if (rights(&c, json_object_get(rs, "handledAccessFS"), ward_landlock_fs_rights,
		   "ruleset.handledAccessFS", &ll->handled_fs) < 0)
		return -1;
	c.named_fs = c.last_named;
	if (rights(&c, json_object_get(rs, "handledAccessNet"), ward_landlock_net_rights,
		   "ruleset.handledAccessNet", &ll->handled_net) < 0)
		return -1;
	c.named_net = c.last_named;
	if (rights(&c, json_object_get(rs, "scoped"), ward_landlock_scopes, "ruleset.scoped",
		   &ll->scoped) < 0)
		return -1;
	uint64_t flags;
	if (rights(&c, json_object_get(obj, "restrictSelf"), ward_landlock_restrict_flags,
		   "restrictSelf", &flags) < 0)
		return -1;
	ll->restrict_flags = (uint32_t)flags;
	if (preset) {
		/* wx handles every right this kernel knows and scopes the domain. */
		c.named = true;
		c.named_fs |= supported(ward_landlock_fs_rights, INT_MAX);
		ll->handled_fs |= supported(ward_landlock_fs_rights, abi);
		ll->scoped |= supported(ward_landlock_scopes, abi);
	}
	json_t *rules = json_object_get(obj, "rules");
	if (rules && !json_is_object(rules))
		return ward_err_set(err, "%s.rules: must be an object", field);
	if (parse_paths(&c, json_object_get(rules, "pathBeneath")) < 0 ||
	    parse_ports(&c, json_object_get(rules, "netPort")) < 0)
		return -1;
	/* The kernel refuses a ruleset that handles nothing: say why here. */
	if (!c.named)
		return ward_err_set(err, "%s.ruleset: handles no access right (name rights in "
					 "handledAccessFS, handledAccessNet or scoped, or use a "
					 "preset); such a policy would restrict nothing",
				    field);
	if (abi >= 1 && !ward_landlock_enforced(ll))
		ward_warn("%s: every right the policy handles needs a newer Landlock ABI than this "
			  "kernel's (%d): dropped %s; the container runs without a Landlock "
			  "policy (best effort)",
			  field, abi, ll->dropped);
	else if (ll->dropped[0])
		ward_debug("%s: best effort: dropped %s (kernel Landlock ABI %d)", field, ll->dropped,
			   abi);
	return 0;
}

bool ward_landlock_enforced(const struct ward_landlock *ll)
{
	return ll->present && ll->abi >= 1 && (ll->handled_fs || ll->handled_net || ll->scoped);
}

#define MEMFD_NOEXEC "/proc/sys/vm/memfd_noexec"

int ward_landlock_plan_memfd(struct ward_landlock *ll, bool new_pidns, bool userns,
			     ward_err *err)
{
	ll->memfd_noexec = false;
	if (!ll->preset || !ward_landlock_enforced(ll))
		return 0;
	const char *why = NULL;
	if (!new_pidns)
		why = "the container has no pid namespace of its own (vm.memfd_noexec is a setting "
		      "of the pid namespace)";
	else if (userns)
		why = "in a user namespace vm.memfd_noexec cannot be set (only the host's root may "
		      "write it)";
	else if (access(MEMFD_NOEXEC, F_OK) < 0)
		why = "this kernel has no vm.memfd_noexec (Linux >= 6.3)";
	if (!why) {
		ll->memfd_noexec = true;
		return 0;
	}
	if (ll->strict)
		return ward_err_set(err, "%s.preset: \"wx\" cannot keep the container from executing "
					 "memfds: %s (disableBestEffort is set)",
				    ll->field, why);
	ward_warn("%s.preset: \"wx\" cannot keep the container from executing memfds: %s (best "
		  "effort)",
		  ll->field, why);
	return 0;
}

int ward_landlock_set_memfd_noexec(const struct ward_landlock *ll, ward_err *err)
{
	if (!ll->memfd_noexec)
		return 0;
	_cleanup_close_ int fd = open(MEMFD_NOEXEC, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "2", 1) != 1)
		return ward_err_sys(err, errno, "%s.preset: set vm.memfd_noexec=2 in the container's "
						"pid namespace",
				    ll->field);
	return 0;
}

void ward_landlock_release(struct ward_landlock *ll)
{
	for (size_t i = 0; i < ll->n_paths; i++)
		free(ll->paths[i].path);
	free(ll->paths);
	free(ll->ports);
	free(ll->preset);
	free(ll->field);
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

/* "a,b,c" -> ["a", "b", "c"] */
static json_t *words(const char *list)
{
	json_t *a = json_array();
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, l));
		p += l + (e ? 1 : 0);
	}
	return a;
}

json_t *ward_landlock_describe(const struct ward_landlock *ll)
{
	if (!ll->present)
		return json_null();
	json_t *skipped = json_array();
	for (size_t i = 0; i < ll->n_paths; i++)
		if (ll->paths[i].missing)
			json_array_append_new(skipped, json_string(ll->paths[i].path));
	json_t *d = json_pack("{s:b, s:i, s:b, s:o, s:o, s:o, s:o, s:o, s:s?, s:i, s:i, s:o}", "enforced",
			 ward_landlock_enforced(ll), "abi", ll->abi, "disableBestEffort", ll->strict,
			 "handledAccessFS", names(ward_landlock_fs_rights, ll->handled_fs),
			 "handledAccessNet", names(ward_landlock_net_rights, ll->handled_net),
			 "scoped", names(ward_landlock_scopes, ll->scoped), "restrictSelf",
			 names(ward_landlock_restrict_flags, ll->restrict_flags), "dropped",
			 words(ll->dropped), "preset", ll->preset, "pathRules", (int)ll->n_paths,
			 "portRules", (int)ll->n_ports, "skippedPaths", skipped);
	if (ll->preset)
		json_object_set_new(d, "memfdNoexec", json_boolean(ll->memfd_noexec));
	return d;
}

void ward_landlock_skipped_report(const bool *missing, size_t n, char *out, size_t len)
{
	size_t i = 0;
	for (; i < n && i + 1 < len; i++)
		out[i] = missing[i] ? '1' : '0';
	out[i] = '\0';
}

void ward_landlock_skipped_apply(struct ward_landlock *ll, const char *report)
{
	for (size_t i = 0; i < ll->n_paths; i++)
		ll->paths[i].missing = report && i < strlen(report) && report[i] == '1';
}

/* what: the field the path came from, for messages. Returns 1 for a path
 * skipped because it does not exist (best effort). */
static int add_path_rule(int rs, const char *what, const char *path, uint64_t access, bool strict,
			 ward_err *err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = ward_open_in_root(root, path, O_PATH, 0, err);
	if (fd < 0) {
		int e = err->errnum;
		if (e == ENOENT && !strict) {
			ward_warn("%s: \"%s\" does not exist in the container; rule skipped (best "
				  "effort)",
				  what, path);
			ward_err_clear(err);
			return 1;
		}
		if (e == ENOENT)
			return ward_err_set(err, "%s: \"%s\" does not exist in the container "
						 "(disableBestEffort is set)",
					    what, path);
		return ward_err_sys(err, e, "%s: open \"%s\" in the container", what, path);
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= FS_FILE_RIGHTS;
	if (!access)
		return 0;
	struct ll_path_beneath_attr pb = {.allowed_access = access, .parent_fd = fd};
	if (syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		return ward_err_sys(err, errno, "%s: add a rule for \"%s\"", what, path);
	return 0;
}

#define PRESET_WHAT "process.landlock.preset \"wx\""


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
			if (add_path_rule(rs, PRESET_WHAT, p, rw, false, err) < 0 ||
			    wx_walk(rs, m, n, p, rx, rw, depth + 1, err) < 0)
				return -1;
			continue;
		}
		if (add_path_rule(rs, PRESET_WHAT, p, writable_at(m, n, p) ? rw : rx, false, err) < 0)
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
	int r = add_path_rule(rs, PRESET_WHAT, "/", rw, false, err);
	if (r >= 0)
		r = wx_walk(rs, m, n, "/", read | exec, rw, 0, err);
	free(m);
	return r;
}

int ward_landlock_prepare(const struct ward_landlock *ll, bool *missing, ward_err *err)
{
	if (!ward_landlock_enforced(ll))
		return -2; /* nothing to enforce */
	struct ll_ruleset_attr attr = {
		.handled_access_fs = ll->handled_fs,
		.handled_access_net = ll->handled_net,
		.scoped = ll->scoped,
	};
	size_t size = ll->abi >= 6 ? sizeof(attr) : ll->abi >= 4 ? 16 : 8;
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0)
		return ward_err_sys(err, errno, "%s: create the ruleset",
				    ll->field ? ll->field : "process.landlock");
	for (size_t i = 0; i < ll->n_paths; i++) {
		char what[160];
		snprintf(what, sizeof(what), "%s.rules.pathBeneath[%zu].paths[%zu]",
			 ll->field ? ll->field : "process.landlock", ll->paths[i].rule,
			 ll->paths[i].index);
		int r = add_path_rule(rs, what, ll->paths[i].path, ll->paths[i].access, ll->strict,
				      err);
		if (r < 0)
			goto fail;
		if (missing)
			missing[i] = r == 1;
	}
	for (size_t i = 0; i < ll->n_ports; i++) {
		struct ll_net_port_attr np = {.allowed_access = ll->ports[i].access,
					      .port = ll->ports[i].port};
		if (syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &np, 0) < 0) {
			ward_err_sys(err, errno, "%s.rules.netPort: add a rule for port %llu",
				     ll->field ? ll->field : "process.landlock",
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
