#include <signal.h>
#include <unistd.h>

#include "confine.h"
#include "landlock.h"
#include "seccomp.h"

static int load_seccomp(const struct ward_confine_final *f, ward_err *err)
{
	if (!f->seccomp || !f->seccomp->bpf)
		return 0;
	int notify = -1;
	if (ward_seccomp_load(f->seccomp, &notify, err) < 0)
		return -1;
	if (notify < 0)
		return 0;
	int r = 0;
	if (f->listener >= 0)
		r = ward_seccomp_listener_send(f->listener, notify, f->seccomp, f->listener_state,
					       f->host_pid, err);
	close(notify);
	return r;
}

/* The program starts with every signal at its default and none blocked,
 * whatever the caller of ward ignored (a background job ignores SIGINT and
 * SIGQUIT, and sh cannot trap a signal ignored at its start). */
static void reset_signals(void)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int ward_confine_final(const struct ward_confine_final *f, ward_err *err)
{
	reset_signals();
	bool early = !f->p->no_new_privileges;
	/* The exec label first, while the transition is still unconstrained by
	 * no_new_privs (as runc). */
	if (!f->lsm_applied && ward_lsm_apply(f->p, err) < 0)
		return -1;
	if (early && f->landlock && ward_landlock_enforce(f->landlock_fd, f->landlock, err) < 0)
		return -1;
	if (early && load_seccomp(f, err) < 0)
		return -1;
	if (ward_privs_apply(f->p, &f->privs, err) < 0 || ward_nnp_apply(f->p, err) < 0)
		return -1;
	if (!early && f->landlock && ward_landlock_enforce(f->landlock_fd, f->landlock, err) < 0)
		return -1;
	if (!early && load_seccomp(f, err) < 0)
		return -1;
	return 0;
}
