#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/unix.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

const char *const ward_seccomp_actions[] = {
	"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",	   "SCMP_ACT_ALLOW",	   "SCMP_ACT_LOG",
	"SCMP_ACT_NOTIFY", NULL,
};
const char *const ward_seccomp_operators[] = {
	"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
	"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};
const char *const ward_seccomp_flags[] = {
	"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
};
const char *const ward_seccomp_archs[] = {
	"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",	   "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",	   "SCMP_ARCH_MIPS64",	   "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	   "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",	   NULL,
};

static int fail(ward_err *err, const char *field, const char *fmt, const char *v)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, v);
	return ward_err_set(err, "config.json: linux.seccomp%s: %s", field, msg);
}

/* o.key, when present and not null, must be of type t: read with jansson's
 * getters a value of another type is silently nothing (no system calls, no
 * conditions, errno EPERM), a rule other than the one written. */
static int typed(ward_err *err, json_t *o, const char *key, const char *at, json_type t,
		 const char *want)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v) || json_typeof(v) == t)
		return 0;
	char f[160];
	snprintf(f, sizeof(f), "%s.%s", at, key);
	return fail(err, f, "must be %s", want);
}

/* Parse an action name; errno_ret is used by ERRNO and TRACE. */
static int parse_action(const char *name, json_t *errno_ret, uint32_t deflt_errno,
			uint32_t *out, bool *notify)
{
	/* An errno only means something to ERRNO (and TRACE, as its message). */
	if (errno_ret && !json_is_null(errno_ret) && strcmp(name, "SCMP_ACT_ERRNO") != 0 &&
	    strcmp(name, "SCMP_ACT_TRACE") != 0)
		return -2;
	uint32_t e = json_is_integer(errno_ret) ? (uint32_t)json_integer_value(errno_ret)
						: deflt_errno;
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(e);
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(e);
	else if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_NOTIFY")) {
		*out = SCMP_ACT_NOTIFY;
		*notify = true;
	} else
		return -1;
	return 0;
}

static int parse_op(const char *name, enum scmp_compare *op)
{
	static const enum scmp_compare ops[] = {SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE,
						SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT,
						SCMP_CMP_MASKED_EQ};
	for (size_t i = 0; ward_seccomp_operators[i]; i++)
		if (!strcmp(name, ward_seccomp_operators[i])) {
			*op = ops[i];
			return 0;
		}
	return -1;
}

static uint32_t arch_token(const char *name)
{
	if (strncmp(name, "SCMP_ARCH_", 10) != 0)
		return 0;
	char lower[32];
	size_t i = 0;
	for (const char *p = name + 10; *p && i < sizeof(lower) - 1; p++)
		lower[i++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static int parse_flags(json_t *flags, unsigned int *out, ward_err *err)
{
	size_t i;
	json_t *f;
	json_array_foreach(flags, i, f)
	{
		const char *n = json_string_value(f);
		char field[64];
		snprintf(field, sizeof(field), ".flags[%zu]", i);
		if (!n)
			return fail(err, field, "must be a string%s", "");
		if (!strcmp(n, "SECCOMP_FILTER_FLAG_TSYNC"))
			continue; /* single-threaded: nothing to sync */
		else if (!strcmp(n, "SECCOMP_FILTER_FLAG_LOG"))
			*out |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(n, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			*out |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (!strcmp(n, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
			*out |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		else
			return fail(err, field, "unknown flag \"%s\"", n);
	}
	return 0;
}

/* One syscalls[] entry. runc's rule: comparisons on distinct arguments go in
 * one rule (AND); repeated comparisons of the same argument become separate
 * rules (OR), since libseccomp cannot AND two tests of one argument. */
static int add_entry(scmp_filter_ctx ctx, json_t *e, size_t idx, uint32_t deflt, bool *notify,
		     ward_err *err)
{
	char field[96];
	snprintf(field, sizeof(field), ".syscalls[%zu]", idx);
	if (!json_is_object(e))
		return fail(err, field, "must be an object%s", "");
	const char *an = json_string_value(json_object_get(e, "action"));
	if (!an)
		return fail(err, field, "action: missing or not a string%s", "");
	json_t *names = json_object_get(e, "names");
	if (typed(err, e, "errnoRet", field, JSON_INTEGER, "an integer") < 0 ||
	    typed(err, e, "args", field, JSON_ARRAY, "an array") < 0 ||
	    typed(err, e, "names", field, JSON_ARRAY, "an array of system call names") < 0)
		return -1;
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n)
	{
		if (json_is_string(n))
			continue;
		char f2[128];
		snprintf(f2, sizeof(f2), "%s.names[%zu]", field, i);
		return fail(err, f2, "must be a string%s", "");
	}
	uint32_t action;
	/* Spec: a rule's errnoRet defaults to EPERM, not to defaultErrnoRet. */
	int pa = parse_action(an, json_object_get(e, "errnoRet"), EPERM, &action, notify);
	if (pa == -2) {
		char f2[128];
		snprintf(f2, sizeof(f2), "%s.errnoRet", field);
		return fail(err, f2, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
			    an);
	}
	if (pa < 0) {
		char f2[128];
		snprintf(f2, sizeof(f2), "%s.action", field);
		return fail(err, f2, "unknown action \"%s\"", an);
	}
	json_t *args = json_object_get(e, "args");
	size_t nargs = json_array_size(args);
	struct scmp_arg_cmp cmps[6];
	bool same_index = false;
	if (nargs > 6 && !json_is_array(args))
		nargs = 0;
	json_t *a;
	unsigned seen = 0;
	json_array_foreach(args, i, a)
	{
		char f2[128];
		snprintf(f2, sizeof(f2), "%s.args[%zu]", field, i);
		json_t *jidx = json_object_get(a, "index");
		const char *opn = json_string_value(json_object_get(a, "op"));
		if (!json_is_integer(jidx) || json_integer_value(jidx) < 0 ||
		    json_integer_value(jidx) > 5)
			return fail(err, f2, "index: must be 0..5%s", "");
		enum scmp_compare op;
		if (!opn || parse_op(opn, &op) < 0)
			return fail(err, f2, "op: unknown operator \"%s\"", opn ? opn : "(none)");
		if (i >= 6)
			return fail(err, f2, "at most 6 argument comparisons%s", "");
		unsigned ix = (unsigned)json_integer_value(jidx);
		if (seen & (1u << ix))
			same_index = true;
		seen |= 1u << ix;
		json_t *v = json_object_get(a, "value"), *v2 = json_object_get(a, "valueTwo");
		/* json_integer_value would make 0 of a string or of a number jansson
		 * reads as a real (1.8e19, 8.0): a rule on another value. */
		const char *bad = NULL;
		if (v && !json_is_null(v) && !json_is_integer(v))
			bad = "value";
		else if (v2 && !json_is_null(v2) && !json_is_integer(v2))
			bad = "valueTwo";
		if (bad) {
			char f3[160];
			snprintf(f3, sizeof(f3), "%s.%s", f2, bad);
			return fail(err, f3, "must be an integer of at most 9223372036854775807%s", "");
		}
		cmps[i] = (struct scmp_arg_cmp){
			.arg = ix,
			.op = op,
			.datum_a = (scmp_datum_t)json_integer_value(v),
			.datum_b = (scmp_datum_t)json_integer_value(v2),
		};
	}
	if (action == deflt)
		return 0; /* same as the default: nothing to add (runc does the same) */
	json_array_foreach(names, i, n)
	{
		const char *name = json_string_value(n);
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			ward_debug("seccomp: unknown syscall \"%s\" skipped", name);
			continue;
		}
		int r;
		if (same_index) {
			for (size_t k = 0; k < nargs; k++)
				if ((r = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[k])) < 0)
					goto bad;
		} else if ((r = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, cmps)) < 0) {
		bad:
			return ward_err_sys(err, -r, "config.json: linux.seccomp%s: rule for %s", field,
					    name);
		}
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct ward_seccomp *out, ward_err *err)
{
	_cleanup_close_ int fd = memfd_create("seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return ward_err_sys(err, errno, "seccomp: memfd");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return ward_err_sys(err, -r, "seccomp: export BPF");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ward_err_sys(err, errno, "seccomp: stat BPF");
	out->bpf = malloc((size_t)st.st_size);
	if (!out->bpf || pread(fd, out->bpf, (size_t)st.st_size, 0) != st.st_size)
		return ward_err_sys(err, errno ? errno : EIO, "seccomp: read BPF");
	out->bpf_len = (size_t)st.st_size / sizeof(struct sock_filter);
	return 0;
}

static int build(json_t *obj, struct ward_seccomp *out, ward_err *err)
{
	const char *dn = json_string_value(json_object_get(obj, "defaultAction"));
	if (!dn)
		return fail(err, ".defaultAction", "missing or not a string%s", "");
	if (typed(err, obj, "defaultErrnoRet", "", JSON_INTEGER, "an integer") < 0 ||
	    typed(err, obj, "architectures", "", JSON_ARRAY, "an array") < 0 ||
	    typed(err, obj, "flags", "", JSON_ARRAY, "an array") < 0)
		return -1;
	json_t *jerrno = json_object_get(obj, "defaultErrnoRet");
	uint32_t deflt;
	int pa = parse_action(dn, jerrno, EPERM, &deflt, &out->notify);
	if (pa == -2)
		return fail(err, ".defaultErrnoRet",
			    "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s", dn);
	if (pa < 0)
		return fail(err, ".defaultAction", "unknown action \"%s\"", dn);
	if (deflt == SCMP_ACT_NOTIFY)
		return fail(err, ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default%s", "");
	scmp_filter_ctx ctx = seccomp_init(deflt);
	if (!ctx)
		return ward_err_set(err, "seccomp: cannot initialise libseccomp");
	int r = -1;
	/* NO_NEW_PRIVS is ward's to decide (process.noNewPrivileges), not libseccomp's. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	json_t *archs = json_object_get(obj, "architectures");
	size_t i;
	json_t *a;
	json_array_foreach(archs, i, a)
	{
		const char *an = json_string_value(a);
		uint32_t tok = an ? arch_token(an) : 0;
		if (!tok) {
			char f[64];
			snprintf(f, sizeof(f), ".architectures[%zu]", i);
			fail(err, f, "unknown architecture \"%s\"", an ? an : "(not a string)");
			goto out;
		}
		int ar = seccomp_arch_add(ctx, tok);
		if (ar < 0 && ar != -EEXIST) {
			ward_err_sys(err, -ar, "seccomp: add architecture %s", an);
			goto out;
		}
	}
	if (parse_flags(json_object_get(obj, "flags"), &out->flags, err) < 0)
		goto out;
	json_t *calls = json_object_get(obj, "syscalls");
	if (calls && !json_is_array(calls)) {
		fail(err, ".syscalls", "must be an array%s", "");
		goto out;
	}
	json_array_foreach(calls, i, a) if (add_entry(ctx, a, i, deflt, &out->notify, err) < 0) goto out;
	if (out->notify && !out->listener_path) {
		fail(err, ".listenerPath", "is required when a rule uses SCMP_ACT_NOTIFY%s", "");
		goto out;
	}
	r = export_bpf(ctx, out, err);
out:
	seccomp_release(ctx);
	return r;
}

/* FNV-1a over the canonical JSON: the cache key. */
static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int ward_seccomp_compile(json_t *obj, const char *cache_dir, struct ward_seccomp *out,
			 ward_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!obj)
		return 0;
	const char *lp = json_string_value(json_object_get(obj, "listenerPath"));
	const char *lm = json_string_value(json_object_get(obj, "listenerMetadata"));
	out->listener_path = lp ? strdup(lp) : NULL;
	out->listener_metadata = lm ? strdup(lm) : NULL;

	_cleanup_free_ char *canon = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	char key[64] = "";
	const struct scmp_version *v = seccomp_version();
	if (canon)
		snprintf(key, sizeof(key), "%016llx-%u.%u.%u.bpf",
			 (unsigned long long)hash_text(canon), v->major, v->minor, v->micro);
	if (cache_dir && *key) {
		/* Cache entries: flags (u32), notify (u32), then the program. The key
		 * includes libseccomp's version; the canonical text is compared too. */
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", cache_dir, key);
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		ward_err e;
		size_t clen = strlen(canon);
		if (ward_read_file_at(AT_FDCWD, path, &data, &len, &e) == 0 && len > 8 + clen &&
		    memcmp(data + 8, canon, clen) == 0 && data[8 + clen] == '\0' &&
		    (len - 9 - clen) % sizeof(struct sock_filter) == 0) {
			memcpy(&out->flags, data, 4);
			uint32_t nt;
			memcpy(&nt, data + 4, 4);
			out->notify = nt != 0;
			out->bpf_len = (len - 9 - clen) / sizeof(struct sock_filter);
			out->bpf = malloc(len - 9 - clen);
			if (out->bpf) {
				memcpy(out->bpf, data + 9 + clen, len - 9 - clen);
				out->from_cache = true;
				return 0;
			}
		}
	}
	if (build(obj, out, err) < 0) {
		ward_seccomp_release(out);
		return -1;
	}
	if (cache_dir && *key) {
		size_t clen = strlen(canon), blen = out->bpf_len * sizeof(struct sock_filter);
		char *data = malloc(9 + clen + blen);
		if (data) {
			uint32_t nt = out->notify;
			memcpy(data, &out->flags, 4);
			memcpy(data + 4, &nt, 4);
			memcpy(data + 8, canon, clen + 1);
			memcpy(data + 9 + clen, out->bpf, blen);
			/* The state root may not exist yet on a first run. */
			_cleanup_free_ char *parent = strdup(cache_dir);
			char *slash = parent ? strrchr(parent, '/') : NULL;
			if (slash && slash != parent) {
				*slash = '\0';
				mkdir(parent, 0700);
			}
			mkdir(cache_dir, 0700);
			_cleanup_close_ int dfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			ward_err e;
			if (dfd >= 0)
				ward_write_atomic_at(dfd, key, data, 9 + clen + blen, &e);
			free(data);
		}
	}
	return 0;
}

void ward_seccomp_release(struct ward_seccomp *s)
{
	free(s->bpf);
	free(s->listener_path);
	free(s->listener_metadata);
	memset(s, 0, sizeof(*s));
}

int ward_seccomp_load(const struct ward_seccomp *s, int *notify_fd, ward_err *err)
{
	if (!s->bpf)
		return 0;
	struct sock_fprog prog = {.len = (unsigned short)s->bpf_len, .filter = s->bpf};
	unsigned int flags = s->flags | (s->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		return ward_err_sys(err, errno, "linux.seccomp: load the filter");
	if (notify_fd)
		*notify_fd = s->notify ? (int)r : -1;
	return 0;
}

int ward_seccomp_listener_connect(const struct ward_seccomp *s, ward_err *err)
{
	if (!s->notify || !s->listener_path)
		return -1;
	int fd = ward_unix_connect(s->listener_path, err);
	if (fd < 0)
		return ward_err_wrap(err, "linux.seccomp.listenerPath");
	return fd;
}

int ward_seccomp_listener_send(int sock, int notify_fd, const struct ward_seccomp *s,
			       json_t *state, pid_t pid, ward_err *err)
{
	/* The runtime-spec's containerProcessState. */
	json_t *j = json_pack("{s:s, s:[s], s:i, s:s, s:O}", "ociVersion", "1.2.0", "fds",
			      "seccompFd", "pid", (int)pid, "metadata",
			      s->listener_metadata ? s->listener_metadata : "", "state", state);
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return ward_err_sys(err, ENOMEM, "seccomp listener");
	if (ward_unix_send_fd(sock, text, strlen(text), notify_fd, err) < 0)
		return ward_err_wrap(err, "linux.seccomp.listenerPath");
	return 0;
}
