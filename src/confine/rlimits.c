#include <errno.h>
#include <sys/resource.h>

#include "confine.h"

static const char *rlimit_label(int r)
{
	static const char *const names[] = {
		[RLIMIT_CPU] = "RLIMIT_CPU",	     [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
		[RLIMIT_DATA] = "RLIMIT_DATA",	     [RLIMIT_STACK] = "RLIMIT_STACK",
		[RLIMIT_CORE] = "RLIMIT_CORE",	     [RLIMIT_RSS] = "RLIMIT_RSS",
		[RLIMIT_NPROC] = "RLIMIT_NPROC",     [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
		[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
		[RLIMIT_LOCKS] = "RLIMIT_LOCKS",     [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
		[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
		[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",   [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
	};
	return (r >= 0 && r < (int)(sizeof(names) / sizeof(names[0])) && names[r]) ? names[r] : "?";
}

int ward_rlimits_apply(const struct ward_process *p, ward_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct ward_rlimit *rl = &p->rlimits[i];
		struct rlimit lim = {
			.rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : rl->soft,
			.rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : rl->hard,
		};
		if (setrlimit((__rlimit_resource_t)rl->resource, &lim) < 0) {
			int e = errno;
			struct rlimit cur;
			getrlimit((__rlimit_resource_t)rl->resource, &cur);
			if (e == EPERM && lim.rlim_max > cur.rlim_max)
				return ward_err_sys(err, e,
						    "process.rlimits[%zu] %s: raising the hard limit "
						    "above %llu needs CAP_SYS_RESOURCE",
						    i, rlimit_label(rl->resource),
						    (unsigned long long)cur.rlim_max);
			return ward_err_sys(err, e, "process.rlimits[%zu] %s", i,
					    rlimit_label(rl->resource));
		}
	}
	return 0;
}
