/* libFuzzer: cgroup resources (ward_resources_parse), as `ward update
 * --resources FILE` and linux.resources give them, then the device rules
 * compiled to the cgroup v2 eBPF device program (ward_devices_bpf).
 * Promises checked: a refusal names the field; an accepted document leaves
 * no error behind and holds only values the cgroup writers may write
 * unchecked, none of it read as nothing for being of another type (ranges,
 * among them the weights cgroup v2 takes after the
 * runtime-spec's conversions, CPU lists, device rules, file names below
 * the container's cgroup); the parser does not change the document. The eBPF
 * program is run by a small interpreter here, against the rules' meaning
 * (the last rule that matches decides, no match denies) for devices each
 * rule names and their neighbours, and every instruction of it must be
 * reachable (the verifier refuses the program otherwise). */
#include <jansson.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/resources.h"

#define FUZZ_NAME "fuzz_resources"
#include "check.h"

#define NAME "--resources file"

static bool cpulist(const char *s)
{
	return strspn(s, "0123456789,-") == strlen(s);
}

static bool in_v2_range(uint64_t w)
{
	return w >= 1 && w <= 10000;
}

/* No part of the document was read as nothing for being of another type:
 * a "pids": 100 would be no limit, a device rule's "type": 99 the rule for
 * every device. */
static void check_types(json_t *obj)
{
	static const char *const objects[] = {"memory", "cpu",	"pids",	  "blockIO",
					      "network", "rdma", "unified"};
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		json_t *v = json_object_get(obj, objects[i]);
		CHECK(!v || json_is_null(v) || json_is_object(v));
	}
	json_t *pr = json_object_get(json_object_get(obj, "network"), "priorities");
	CHECK(!pr || json_is_null(pr) || json_is_array(pr));
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(obj, "devices"), i, d)
	{
		json_t *t = json_object_get(d, "type"), *a = json_object_get(d, "access");
		CHECK(!t || json_is_null(t) || json_is_string(t));
		CHECK(!a || json_is_null(a) || json_is_string(a));
	}
}

static void check_values(const struct ward_resources *r)
{
	CHECK(r->memory.swappiness == WARD_UNSET ||
	      (r->memory.swappiness >= 0 && r->memory.swappiness <= 100));
	CHECK(r->cpu.shares == WARD_UNSET || r->cpu.shares == 0 ||
	      (r->cpu.shares >= 2 && r->cpu.shares <= 262144));
	CHECK(r->cpu.period == WARD_UNSET || r->cpu.period == 0 ||
	      (r->cpu.period >= 1000 && r->cpu.period <= 1000000));
	CHECK(r->cpu.quota == WARD_UNSET || r->cpu.quota == -1 || r->cpu.quota == 0 ||
	      r->cpu.quota >= 1000);
	CHECK(r->cpu.idle == WARD_UNSET || r->cpu.idle == 0 || r->cpu.idle == 1);
	CHECK(!r->cpu.cpus || cpulist(r->cpu.cpus));
	CHECK(!r->cpu.mems || cpulist(r->cpu.mems));
	CHECK(r->pids_limit == WARD_UNSET || r->pids_limit >= -1);
	CHECK(r->blkio.weight == WARD_UNSET || r->blkio.weight == 0 ||
	      (r->blkio.weight >= 10 && r->blkio.weight <= 1000));
	CHECK(r->blkio.leaf_weight == WARD_UNSET || r->blkio.leaf_weight == 0 ||
	      (r->blkio.leaf_weight >= 10 && r->blkio.leaf_weight <= 1000));
	/* What cgroup v2 gets: io.weight and cpu.weight take 1 to 10000. */
	if (r->blkio.weight > 0)
		CHECK(in_v2_range(ward_blkio_weight_to_io((uint64_t)r->blkio.weight)));
	if (r->cpu.shares > 0)
		CHECK(in_v2_range(ward_cpu_shares_to_weight((uint64_t)r->cpu.shares)));
	for (size_t i = 0; i < r->blkio.n_weight_device; i++) {
		const struct ward_blkio_dev *d = &r->blkio.weight_device[i];
		CHECK(d->major >= 0 && d->minor >= 0);
		CHECK(d->weight == WARD_UNSET || (d->weight >= 10 && d->weight <= 1000));
		CHECK(d->leaf_weight == WARD_UNSET ||
		      (d->leaf_weight >= 10 && d->leaf_weight <= 1000));
		if (d->weight != WARD_UNSET)
			CHECK(in_v2_range(ward_blkio_weight_to_io((uint64_t)d->weight)));
	}
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < r->blkio.n_throttle[k]; i++)
			CHECK(r->blkio.throttle[k][i].major >= 0 &&
			      r->blkio.throttle[k][i].minor >= 0);
	for (size_t i = 0; i < r->n_hugepages; i++)
		CHECK(r->hugepages[i].page_size[0] && !strchr(r->hugepages[i].page_size, '/'));
	for (size_t i = 0; i < r->n_rdma; i++)
		CHECK(r->rdma[i].device);
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct ward_dev_rule *d = &r->devices[i];
		CHECK(d->type && strchr("acb", d->type));
		CHECK(d->major >= -1 && d->minor >= -1);
		CHECK(memchr(d->access, '\0', sizeof(d->access)));
		CHECK(strspn(d->access, "rwm") == strlen(d->access));
	}
	CHECK(!r->n_devices || r->has_devices);
	if (r->unified) {
		const char *k;
		json_t *v;
		json_object_foreach(r->unified, k, v)
		{
			CHECK(json_is_string(v));
			CHECK(!strchr(k, '/') && k[0] != '.' && strchr(k, '.'));
		}
	}
}

/* The instructions ward_devices_bpf emits, and nothing else. */
static int run(const struct bpf_insn *p, size_t n, uint32_t ctx[3])
{
	uint64_t r[11] = {0};
	for (size_t pc = 0, steps = 0; pc < n && steps < 100000; pc++, steps++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_W | BPF_MEM:
			CHECK(i->src_reg == 1 && i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> (i->imm & 31);
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			r[i->dst_reg] = r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
			CHECK(i->off >= 0);
			if ((uint32_t)r[i->dst_reg] != (uint32_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			CHECK(!"an instruction ward_devices_bpf does not emit");
		}
	}
	CHECK(!"the program runs off its end");
	return -1;
}

/* Every instruction reachable from the first, every jump inside. */
static void check_reachable(const struct bpf_insn *p, size_t n)
{
	bool seen[1024] = {0};
	CHECK(n <= 1024);
	size_t stack[1024], sp = 0;
	stack[sp++] = 0;
	while (sp) {
		size_t pc = stack[--sp];
		CHECK(pc < n);
		if (seen[pc])
			continue;
		seen[pc] = true;
		if (p[pc].code == (BPF_JMP | BPF_EXIT))
			continue;
		stack[sp++] = pc + 1;
		if (p[pc].code == (BPF_JMP32 | BPF_JNE | BPF_K))
			stack[sp++] = pc + 1 + (size_t)p[pc].off;
		CHECK(sp < 1024);
	}
	for (size_t i = 0; i < n; i++)
		CHECK(seen[i]);
}

static int acc_mask(const char *a)
{
	if (!*a)
		a = "rwm";
	int m = 0;
	for (; *a; a++)
		m |= *a == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *a == 'w' ? BPF_DEVCG_ACC_WRITE
				 : BPF_DEVCG_ACC_MKNOD;
	return m;
}

/* The rules' meaning: the last rule matching the access decides. */
static int expect(const struct ward_dev_rule *rules, size_t n, char type, int acc, uint32_t maj,
		  uint32_t min)
{
	for (size_t i = n; i-- > 0;) {
		const struct ward_dev_rule *d = &rules[i];
		if (d->type != 'a') {
			if (d->type != type)
				continue;
			if (d->major >= 0 && d->major != (int64_t)maj)
				continue;
			if (d->minor >= 0 && d->minor != (int64_t)min)
				continue;
		}
		if ((acc & ~acc_mask(d->access)) != 0)
			continue;
		return d->allow;
	}
	return 0;
}

static void check_devices(const struct ward_resources *r)
{
	size_t n = r->n_devices < 100 ? r->n_devices : 100;
	size_t max = 8 + n * 8;
	struct bpf_insn *p = calloc(max, sizeof(*p));
	CHECK(p);
	size_t count = ward_devices_bpf(r->devices, n, p, max);
	CHECK(count > 0 && count <= max);
	check_reachable(p, count);
	static const int accs[] = {BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE,
				   BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE, 7};
	for (size_t i = 0; i <= n; i++) {
		uint32_t maj =
		    i < n && r->devices[i].major >= 0 ? (uint32_t)r->devices[i].major : 1;
		uint32_t min =
		    i < n && r->devices[i].minor >= 0 ? (uint32_t)r->devices[i].minor : 3;
		for (int t = 0; t < 2; t++)
			for (size_t a = 0; a < sizeof(accs) / sizeof(accs[0]); a++)
				for (uint32_t d = 0; d < 2; d++) {
					char type = t ? 'b' : 'c';
					uint32_t ctx[3] = {
					    (uint32_t)accs[a] << 16 |
						(t ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
					    maj + d, min};
					int got = run(p, count, ctx);
					int want =
					    expect(r->devices, n, type, accs[a], maj + d, min);
					if (got != want) {
						fprintf(stderr,
							FUZZ_NAME
							": %c %u:%u access %d: program says %d, "
							"rules say %d\n",
							type, maj + d, min, accs[a], got, want);
						abort();
					}
				}
	}
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)data, size, 0, &jerr);
	if (!obj)
		return 0;
	json_t *copy = json_deep_copy(obj);
	struct ward_resources r;
	ward_err err = {0};
	int rc = ward_resources_parse(obj, NAME, &r, &err);
	CHECK(json_equal(obj, copy));
	json_decref(copy);
	if (rc < 0) {
		CHECK_REFUSAL(err, NAME);
	} else {
		CHECK(rc == 0);
		CHECK_NO_ERROR(err);
		check_values(&r);
		check_types(obj);
		if (r.has_devices)
			check_devices(&r);
	}
	ward_resources_free(&r);
	json_decref(obj);
	return 0;
}
