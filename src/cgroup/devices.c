/* Device access rules. v1: the devices controller's allow/deny files. v2: an
 * eBPF BPF_PROG_TYPE_CGROUP_DEVICE program compiled from the rule list and
 * attached to the cgroup, replacing the previous one atomically. Rules are
 * read in order and the last matching rule decides, as on v1. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "resources.h"

static void rule_text(const struct ward_dev_rule *r, char *buf, size_t len)
{
	char maj[16], min[16];
	if (r->type == 'a') {
		snprintf(buf, len, "a");
		return;
	}
	if (r->major < 0)
		snprintf(maj, sizeof(maj), "*");
	else
		snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
	if (r->minor < 0)
		snprintf(min, sizeof(min), "*");
	else
		snprintf(min, sizeof(min), "%lld", (long long)r->minor);
	snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, r->access[0] ? r->access : "rwm");
}

int ward_devices_apply_v1(const char *dir, const struct ward_dev_rule *rules, size_t n,
			  ward_err *err)
{
	/* One open file per kind; the kernel takes one rule per write. */
	_cleanup_close_ int deny_fd = -1;
	_cleanup_close_ int allow_fd = -1;
	for (size_t i = 0; i < n; i++) {
		char text[64], path[4300];
		int *fd = rules[i].allow ? &allow_fd : &deny_fd;
		rule_text(&rules[i], text, sizeof(text));
		snprintf(path, sizeof(path), "%s/%s", dir, rules[i].allow ? "devices.allow" : "devices.deny");
		if (*fd < 0)
			*fd = open(path, O_WRONLY | O_CLOEXEC);
		if (*fd < 0 || write(*fd, text, strlen(text)) < 0)
			return ward_err_sys(err, errno, "linux.resources.devices: write \"%s\" to %s",
					    text, path);
	}
	return 0;
}

/* ---- eBPF ---- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)   INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define MOV_REG(dst, src)      INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)      INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm)      INSN(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)      INSN(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
/* 32-bit compare: majors and minors are u32 in bpf_cgroup_dev_ctx, and a
 * 64-bit JNE would sign-extend an immediate >= 2^31 so that it never matched. */
#define JNE32_IMM(dst, imm, o) INSN(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, o, imm)
#define EXIT()		       INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_mask(const char *a)
{
	int m = 0;
	for (; *a; a++)
		m |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
	return m;
}

/* The kernel reports majors and minors as u32: a rule naming a bigger number
 * can never match, and its block would compare against a truncated value. */
static bool rule_can_match(const struct ward_dev_rule *r)
{
	if (r->type == 'a')
		return true;
	return r->major <= (int64_t)UINT32_MAX && r->minor <= (int64_t)UINT32_MAX;
}

/* One rule's block into b (at most 7 instructions): tests that jump past the
 * block when the rule does not match, then "return verdict". Returns the
 * block's length; *always is set when the block has no test at all. */
static int rule_block(const struct ward_dev_rule *r, struct bpf_insn *b, bool *always)
{
	int acc = access_mask(r->access[0] ? r->access : "rwm");
	int nb = 0, jumps[4], nj = 0;
	if (r->type != 'a') {
		jumps[nj++] = nb;
		b[nb++] = JNE32_IMM(2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if (acc != 7) {
		/* Matches when every access asked for is one the rule names. */
		b[nb++] = MOV_REG(1, 3);
		b[nb++] = AND_IMM(1, ~acc & 7);
		jumps[nj++] = nb;
		b[nb++] = JNE32_IMM(1, 0, 0);
	}
	if (r->type != 'a' && r->major >= 0) {
		jumps[nj++] = nb;
		b[nb++] = JNE32_IMM(4, (int32_t)(uint32_t)r->major, 0);
	}
	if (r->type != 'a' && r->minor >= 0) {
		jumps[nj++] = nb;
		b[nb++] = JNE32_IMM(5, (int32_t)(uint32_t)r->minor, 0);
	}
	b[nb++] = MOV_IMM(0, r->allow ? 1 : 0);
	b[nb++] = EXIT();
	for (int j = 0; j < nj; j++)
		b[jumps[j]].off = (short)(nb - jumps[j] - 1);
	*always = nj == 0;
	return nb;
}

/* r2 = type, r3 = access, r4 = major, r5 = minor. Rules are emitted last
 * first; a rule that does not match jumps over its own block to the next
 * (earlier) rule, so the first match from the end returns its verdict. With
 * no match the access is denied.
 * The verifier rejects any instruction no path reaches ("unreachable insn",
 * checked before it looks at values), so nothing is emitted after a rule
 * that matches everything: that rule decides every access the earlier ones
 * would have seen. ward's lists start with deny-all, so that rule usually
 * ends the program and the final "deny" is not emitted either. */
size_t ward_devices_bpf(const struct ward_dev_rule *rules, size_t n, void *out, size_t max)
{
	struct bpf_insn *p = out;
	size_t k = 0;
	if (max < 8)
		return 0;
	p[k++] = LDX_W(2, 1, 0);
	p[k++] = AND_IMM(2, 0xffff);
	p[k++] = LDX_W(3, 1, 0);
	p[k++] = RSH_IMM(3, 16);
	p[k++] = LDX_W(4, 1, 4);
	p[k++] = LDX_W(5, 1, 8);
	for (size_t i = n; i-- > 0;) {
		if (!rule_can_match(&rules[i]))
			continue;
		struct bpf_insn b[8];
		bool always;
		int nb = rule_block(&rules[i], b, &always);
		if (k + (size_t)nb + 2 > max)
			return 0;
		memcpy(p + k, b, (size_t)nb * sizeof(*b));
		k += (size_t)nb;
		if (always)
			return k;
	}
	p[k++] = MOV_IMM(0, 0);
	p[k++] = EXIT();
	return k;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The verifier's reason from its log: the last line that is not one of its
 * closing statistics ("processed N insns ...", "verification time ..."). */
static void verifier_reason(char *log, char *out, size_t len)
{
	char *why = NULL, *save = NULL;
	for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) ||
		    !strncmp(line, "stack depth", 11) || !line[strspn(line, " \t")])
			continue;
		why = line;
	}
	snprintf(out, len, "%s", why ? why : "");
}

#define VERIFIER_LOG_SIZE (256 * 1024)

/* Load the program. The common case pays for no verifier log; only when the
 * kernel refuses it is it loaded again with a log, to say why. */
int ward_devices_bpf_load(const void *insns, size_t count, ward_err *err)
{
	union bpf_attr load = {0};
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)insns;
	load.insn_cnt = (uint32_t)count;
	load.license = (uint64_t)(uintptr_t) "Apache";
	int prog = (int)bpf(BPF_PROG_LOAD, &load);
	if (prog >= 0)
		return prog;
	int first = errno;
	_cleanup_free_ char *log = calloc(1, VERIFIER_LOG_SIZE);
	if (log) {
		load.log_buf = (uint64_t)(uintptr_t)log;
		load.log_size = VERIFIER_LOG_SIZE - 1;
		load.log_level = 1;
		prog = (int)bpf(BPF_PROG_LOAD, &load);
		if (prog >= 0)
			return prog; /* refused once, accepted now: nothing to report */
	}
	char why[256] = "";
	if (log)
		verifier_reason(log, why, sizeof(why));
	return ward_err_sys(err, first,
			    "linux.resources.devices: the kernel refused the eBPF device filter "
			    "(%zu instructions)%s%s",
			    count, why[0] ? "; verifier: " : "", why);
}

int ward_devices_apply_v2(const char *dir, const struct ward_dev_rule *rules, size_t n,
			  ward_err *err)
{
	size_t max = 8 + n * 8;
	_cleanup_free_ struct bpf_insn *insns = calloc(max, sizeof(*insns));
	if (!insns)
		return ward_err_sys(err, ENOMEM, "linux.resources.devices");
	size_t count = ward_devices_bpf(rules, n, insns, max);
	if (!count)
		return ward_err_set(err, "linux.resources.devices: too many rules");
	_cleanup_close_ int prog = ward_devices_bpf_load(insns, count, err);
	if (prog < 0)
		return -1;
	_cleanup_close_ int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return ward_err_sys(err, errno, "linux.resources.devices: open %s", dir);

	/* An update replaces the program already there, in one step. */
	uint32_t ids[64];
	union bpf_attr q = {0};
	q.query.target_fd = (uint32_t)cg;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = 64;
	if (bpf(BPF_PROG_QUERY, &q) < 0)
		q.query.prog_cnt = 0;
	union bpf_attr at = {0};
	at.target_fd = (uint32_t)cg;
	at.attach_bpf_fd = (uint32_t)prog;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = BPF_F_ALLOW_MULTI;
	_cleanup_close_ int old = -1;
	if (q.query.prog_cnt == 1) {
		union bpf_attr g = {0};
		g.prog_id = ids[0];
		old = (int)bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (old >= 0) {
			at.attach_flags |= BPF_F_REPLACE;
			at.replace_bpf_fd = (uint32_t)old;
		}
	}
	if (bpf(BPF_PROG_ATTACH, &at) < 0)
		return ward_err_sys(err, errno, "linux.resources.devices: attach the device filter "
						"to %s",
				    dir);
	/* More than one old program: detach the others after ours is in. */
	for (uint32_t i = 0; q.query.prog_cnt > 1 && i < q.query.prog_cnt; i++) {
		union bpf_attr g = {0};
		g.prog_id = ids[i];
		_cleanup_close_ int fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0)
			continue;
		union bpf_attr d = {0};
		d.target_fd = (uint32_t)cg;
		d.attach_bpf_fd = (uint32_t)fd;
		d.attach_type = BPF_CGROUP_DEVICE;
		bpf(BPF_PROG_DETACH, &d);
	}
	return 0;
}
