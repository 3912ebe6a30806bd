/* Filling the libcrypto table (crypto_dl.h says why ward loads it late).
 * Built twice: with the dynamic loader for ward, the unit tests and the
 * fuzzers; with -DWARD_CRYPTO_STATIC for ward-static, from libcrypto.a. */
#include <dlfcn.h>
#include <link.h>
#include <time.h>

#include "../util/log.h"
#include "crypto_dl.h"

struct ward_crypto_table ward_ossl;
static bool loaded;

bool ward_crypto_loaded(void)
{
	return loaded;
}

#ifdef WARD_CRYPTO_STATIC

int ward_crypto_open(const char *soname, struct ward_crypto_table *t, ward_err *err)
{
	(void)t;
	return ward_err_set(err, "%s: a static ward links libcrypto in; it cannot load a library",
			    soname);
}

int ward_crypto_load(ward_err *err)
{
	(void)err;
	if (!loaded) {
#define WARD_CRYPTO_LINK(f) ward_ossl.f = f;
		WARD_CRYPTO_FUNCS(WARD_CRYPTO_LINK)
#undef WARD_CRYPTO_LINK
		loaded = true;
	}
	return 0;
}

#else

static const char *dl_why(void)
{
	const char *why = dlerror();
	return why ? why : "unknown error";
}

/* The file a handle is, for errors: which libcrypto.so.3 was found. */
static const char *dl_path(void *h)
{
	struct link_map *lm = NULL;
	return dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name[0] ? lm->l_name : "?";
}

int ward_crypto_open(const char *soname, struct ward_crypto_table *t, ward_err *err)
{
	/* RTLD_NOW: every relocation now, as ward's own (-z now), not at a
	 * first call deep inside the monitor. */
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return ward_err_set(err,
				    "%s (OpenSSL 3, Debian package libssl3) cannot be loaded: %s",
				    soname, dl_why());
	struct ward_crypto_table tmp;
	/* dlsym's void * to a function pointer: what POSIX promises to work. */
#define WARD_CRYPTO_SYM(f)                                                                         \
	if (!(*(void **)&tmp.f = dlsym(h, #f))) {                                                  \
		ward_err_set(err, "%s (%s) is not OpenSSL 3's libcrypto: no function " #f, soname, \
			     dl_path(h));                                                          \
		dlclose(h);                                                                        \
		return -1;                                                                         \
	}
	WARD_CRYPTO_FUNCS(WARD_CRYPTO_SYM)
#undef WARD_CRYPTO_SYM
	/* The handle stays open: the table points into it for good. */
	*t = tmp;
	return 0;
}

int ward_crypto_load(ward_err *err)
{
	if (loaded)
		return 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ward_crypto_open(WARD_LIBCRYPTO, &ward_ossl, err) < 0)
		return -1;
	loaded = true;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ward_debug("integrity: %s loaded (%s) in %.2f ms", WARD_LIBCRYPTO,
		   ward_ossl.OpenSSL_version(OPENSSL_VERSION),
		   (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}

#endif
