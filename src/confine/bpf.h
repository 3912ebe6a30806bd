/* A classic BPF interpreter for seccomp filters: what a compiled filter
 * answers for one system call, asked before the filter is loaded (protect.c
 * asks whether the exec stub's calls get through). */
#ifndef WARD_CONFINE_BPF_H
#define WARD_CONFINE_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Run prog (n instructions) over d as the kernel would; *ret gets the value
 * of the RET reached. -1 for a program the kernel would refuse to load or
 * that runs off its end, 0 otherwise. */
int ward_bpf_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d,
		 uint32_t *ret);
/* The two halves, for asking one program several questions: the checks
 * (most of the cost on a profile of ~1400 instructions), then runs. */
bool ward_bpf_valid(const struct sock_filter *prog, size_t n);
int ward_bpf_run_valid(const struct sock_filter *prog, size_t n, const struct seccomp_data *d,
		       uint32_t *ret);

#endif
