/* The policy in force: the settings with what they name loaded and checked
 * (keys against the host's CAs, the allow-list, detached signatures), and
 * the host's own settings (/etc/ward/integrity.json, or $WARD_INTEGRITY_CONF):
 *
 *   {"ca": ["/etc/ward/integrity-ca.pem"],   keys must chain to one of these
 *    "hostList": "/var/lib/ward/integrity"}  root's activity in every container
 *
 * Both files decide what runs, so only root may have written them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/strv.h"
#include "crypto_dl.h"
#include "integrity.h"

#define HOST_CONF "/etc/ward/integrity.json"

int ward_integrity_read_trusted(const char *path, char **text, size_t *len, ward_err *err)
{
	/* What decides what runs must be root's: a file another user could
	 * replace would let them choose what the container may run. */
	_cleanup_close_ int fd = ward_open_trusted(path, err);
	if (fd < 0)
		return -1;
	if (ward_read_fd(fd, text, len, err) < 0)
		return ward_err_wrap(err, "%s", path);
	return 0;
}

void ward_integrity_host_release(struct ward_integrity_host *h)
{
	ward_strv_free(h->ca);
	free(h->host_list);
	free(h->conf_path);
	memset(h, 0, sizeof(*h));
}

static int host_apply(struct ward_integrity_host *h, json_t *o, const char *path, ward_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "ca") && strcmp(k, "hostList"))
			return ward_err_set(err, "%s: %s: unknown setting (known: ca, hostList)",
					    path, k);
	}
	json_t *ca = json_object_get(o, "ca");
	if (ca && !json_is_array(ca))
		return ward_err_set(err, "%s: ca: must be an array of paths", path);
	size_t i;
	json_array_foreach(ca, i, v)
	{
		if (!json_is_string(v) || json_string_value(v)[0] != '/')
			return ward_err_set(err, "%s: ca[%zu]: must be an absolute path", path, i);
		if (ward_strv_push(&h->ca, json_string_value(v)) < 0)
			return ward_err_sys(err, ENOMEM, "%s", path);
		h->n_ca++;
	}
	v = json_object_get(o, "hostList");
	if (v && !json_is_null(v) && !(json_is_string(v) && json_string_value(v)[0] == '/'))
		return ward_err_set(err, "%s: hostList: must be an absolute path or null", path);
	if (json_is_string(v))
		h->host_list = strdup(json_string_value(v));
	return 0;
}

int ward_integrity_host_load(struct ward_integrity_host *h, ward_err *err)
{
	memset(h, 0, sizeof(*h));
	const char *env = getenv("WARD_INTEGRITY_CONF");
	const char *path = env && *env ? env : HOST_CONF;
	if (access(path, F_OK) < 0 && errno == ENOENT && !(env && *env))
		return 0;
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ward_integrity_read_trusted(path, &text, &len, err) < 0)
		return -1;
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return ward_err_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	int r = json_is_object(o) ? host_apply(h, o, path, err)
				  : ward_err_set(err, "%s: must be a JSON object", path);
	json_decref(o);
	h->conf_path = strdup(path);
	if (r < 0)
		ward_integrity_host_release(h);
	return r;
}

void ward_integrity_policy_release(struct ward_integrity_policy *p)
{
	ward_integrity_conf_release(&p->conf);
	ward_ima_keyring_release(&p->keys);
	ward_allowlist_release(&p->allow);
	ward_manifest_release(&p->sigs);
	memset(p, 0, sizeof(*p));
}

/* Load what conf names; where: "config.json: linux.integrity". */
int ward_integrity_policy_load(struct ward_integrity_policy *p, const struct ward_integrity_host *h,
			       const char *where, ward_err *err)
{
	_cleanup_free_ char *wkeys = NULL, *wallow = NULL, *wsigs = NULL;
	if (asprintf(&wkeys, "%s.keys", where) < 0 ||
	    asprintf(&wallow, "%s.allowList", where) < 0 ||
	    asprintf(&wsigs, "%s.signatures", where) < 0)
		return ward_err_sys(err, ENOMEM, "policy");
	/* First, so that a host without libcrypto says so, and not as a CA's error. */
	if (ward_crypto_load(err) < 0)
		return ward_err_wrap(err, "%s", where);
	X509_STORE *ca = NULL;
	if (ward_ima_ca_load(h->ca, h->n_ca, &ca, err) < 0)
		return ward_err_wrap(err, "%s: ca", h->conf_path ? h->conf_path : "integrity.json");
	int r = ward_ima_keyring_load(&p->keys, p->conf.keys, p->conf.n_keys, ca, wkeys, err);
	if (ca)
		ward_ossl.X509_STORE_free(ca);
	if (r < 0)
		return -1;
	if (p->conf.allow_list &&
	    ward_allowlist_load(p->conf.allow_list, wallow, &p->allow, err) < 0)
		return -1;
	if (p->conf.signatures && ward_manifest_load(p->conf.signatures, wsigs, &p->sigs, err) < 0)
		return -1;
	return 0;
}

/* The policy as the list records it: what decides, in a stable form. */
json_t *ward_integrity_policy_json(const struct ward_integrity_policy *p)
{
	json_t *keys = json_array();
	for (size_t i = 0; i < p->keys.n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%08x", p->keys.keys[i].keyid);
		json_array_append_new(keys,
				      json_pack("{s:s, s:s, s:s}", "path", p->keys.keys[i].path,
						"keyid", id, "subject", p->keys.keys[i].subject));
	}
	json_t *j =
	    json_pack("{s:s, s:o, s:b, s:s, s:b}", "mode", ward_integrity_mode_name(p->conf.mode),
		      "keys", keys, "libraries", p->conf.libraries, "logChildren",
		      p->conf.children_all ? "all" : "root", "locked", p->conf.locked);
	if (p->conf.allow_list)
		json_object_set_new(j, "allowList",
				    json_pack("{s:s, s:I}", "path", p->conf.allow_list, "digests",
					      (json_int_t)p->allow.n));
	if (p->conf.signatures)
		json_object_set_new(j, "signatures",
				    json_pack("{s:s, s:I}", "path", p->conf.signatures, "files",
					      (json_int_t)p->sigs.n));
	return j;
}
