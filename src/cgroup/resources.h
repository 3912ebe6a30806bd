/* linux.resources, parsed and validated (pure), then written to the
 * container's cgroups for v1 or v2 with the runtime-spec's conversions. */
#ifndef WARD_CGROUP_RESOURCES_H
#define WARD_CGROUP_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../util/err.h"

#define WARD_UNSET INT64_MIN

struct ward_dev_rule {
	bool allow;
	char type; /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = any */
	char access[4];	      /* subset of "rwm" */
};

struct ward_blkio_dev {
	int64_t major, minor;
	int64_t weight, leaf_weight; /* WARD_UNSET */
	uint64_t rate;
};

struct ward_resources {
	struct {
		int64_t limit, reservation, swap, kernel, kernel_tcp, swappiness;
		bool has_disable_oom, disable_oom_killer, check_before_update;
	} memory;
	struct {
		int64_t shares, quota, period, burst, rt_runtime, rt_period, idle;
		char *cpus, *mems;
	} cpu;
	int64_t pids_limit;
	struct {
		int64_t weight, leaf_weight;
		struct ward_blkio_dev *weight_device;
		size_t n_weight_device;
		struct ward_blkio_dev *throttle[4]; /* read_bps, write_bps, read_iops, write_iops */
		size_t n_throttle[4];
	} blkio;
	struct {
		char *page_size;
		uint64_t limit;
	} *hugepages;
	size_t n_hugepages;
	int64_t net_class_id;
	struct {
		char *name;
		uint32_t priority;
	} *net_priorities;
	size_t n_net_priorities;
	struct {
		char *device;
		int64_t handles, objects;
	} *rdma;
	size_t n_rdma;
	struct ward_dev_rule *devices;
	size_t n_devices;
	bool has_devices;
	json_t *unified; /* borrowed */
};

/* name is the field prefix in messages ("linux.resources" or "--resources file"). */
int ward_resources_parse(json_t *obj, const char *name, struct ward_resources *r, ward_err *err);
void ward_resources_free(struct ward_resources *r);
/* Append the devices every container gets (runc's list) and linux.devices. */
struct ward_spec;
int ward_resources_add_default_devices(struct ward_resources *r, const struct ward_spec *s,
				       ward_err *err);

/* Write to the cgroups recorded in extra. update=true: runc update rules
 * (checkBeforeUpdate, only what is set). */
int ward_resources_apply(json_t *extra, const struct ward_resources *r, bool update,
			 ward_err *err);

/* v1 -> v2 conversions from the runtime-spec's cgroup-v2 document. */
uint64_t ward_cpu_shares_to_weight(uint64_t shares);
uint64_t ward_blkio_weight_to_io(uint64_t weight);

/* Device rules as an eBPF cgroup device program (v2). Returns instruction count. */
size_t ward_devices_bpf(const struct ward_dev_rule *rules, size_t n, void *insns, size_t max);
/* BPF_PROG_LOAD it as BPF_PROG_TYPE_CGROUP_DEVICE: the program fd, or -1 with
 * the verifier's reason in err. */
int ward_devices_bpf_load(const void *insns, size_t count, ward_err *err);
int ward_devices_apply_v2(const char *dir, const struct ward_dev_rule *rules, size_t n,
			  ward_err *err);
int ward_devices_apply_v1(const char *dir, const struct ward_dev_rule *rules, size_t n,
			  ward_err *err);

#endif
