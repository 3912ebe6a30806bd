/* What the monitor does not see, said per container (inspect's "gaps") so
 * nobody reads more into a measurement list than it holds. The mmap gap
 * depends on the kernel: the way to close it is a BPF LSM program on
 * mmap_file/file_mprotect scoped to the container's cgroup; ward probes
 * whether this kernel would load one at all and says which it is. */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "integrity.h"

/* Would the kernel load a BPF_LSM_CGROUP program? (attach_btf_id 0 is
 * refused with EINVAL by a kernel that has them: the type is known; EPERM
 * before that point means such programs are refused outright.) */
static const char *bpf_lsm_probe(void)
{
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_LSM;
	a.expected_attach_type = BPF_LSM_CGROUP;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t) "GPL";
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd >= 0) {
		close(fd);
		return "loadable";
	}
	return errno == EPERM ? "refused by this kernel" : "not refused outright";
}

json_t *ward_integrity_gaps(json_t *info)
{
	json_t *g = json_array();
	char msg[512];
	snprintf(msg, sizeof(msg),
		 "mmap/mprotect(PROT_EXEC): code mapped from a file is not checked when mapped; "
		 "ELF files are appraised when opened, so a file written through a descriptor "
		 "opened before is not (BPF LSM programs: %s)",
		 bpf_lsm_probe());
	json_array_append_new(g, json_string(msg));
	json_array_append_new(g, json_string("anonymous executable memory (JIT) and memfds mapped "
					     "executable are not measured"));
	json_array_append_new(g, json_string("a script read by an interpreter as data (sh x.sh) is "
					     "not measured; one run through #! is"));
	json_array_append_new(g, json_string("filesystems mounted inside the container after it "
					     "was created are not watched"));
	if (info && !json_is_true(json_object_get(info, "memfdNoexec")))
		json_array_append_new(g,
				      json_string("memfd exec is not refused: the container shares "
						  "a pid namespace, where vm.memfd_noexec is not "
						  "ward's to set"));
	return g;
}
