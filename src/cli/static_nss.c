/* Only in ward-static (the build for running ward inside a container, e.g.
 * nested containers in the integration tests): a static glibc resolves
 * getpwuid through NSS modules it would have to load at run time from a
 * glibc of the same version, which a container's root filesystem rarely
 * has. ward only needs the owner's name for `ward list`, so the static
 * build reads /etc/passwd itself (linked with -Wl,--wrap=getpwuid). */
#include <pwd.h>
#include <stdio.h>

struct passwd *__wrap_getpwuid(uid_t uid);

struct passwd *__wrap_getpwuid(uid_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return NULL;
	struct passwd *pw;
	while ((pw = fgetpwent(f)) && pw->pw_uid != uid)
		;
	fclose(f);
	return pw;
}
