/* libFuzzer: ward_spec_parse on arbitrary bytes (config.json as read from a
 * bundle). Besides memory errors and UB (ASan/UBSan), it checks the parser's
 * promises and aborts when one is broken:
 *   - a rejection always comes with a message naming the file;
 *   - an accepted config leaves no error behind (no swallowed failure) and
 *     satisfies what later stages rely on without re-checking. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci/spec.h"

#define FUZZ_NAME "fuzz_config"
#include "check.h"

static void check_process(const struct ward_process *p)
{
	CHECK(p->args && p->args[0]);
	CHECK(p->cwd && p->cwd[0] == '/');
	for (size_t i = 0; p->env && p->env[i]; i++)
		CHECK(p->env[i][0] != '=' && strchr(p->env[i], '='));
	CHECK(!p->user.has_umask || p->user.umask <= 0777);
	for (size_t i = 0; i < p->n_rlimits; i++)
		CHECK(p->rlimits[i].soft <= p->rlimits[i].hard);
	uint64_t all = p->caps.bounding | p->caps.effective | p->caps.permitted |
		       p->caps.inheritable | p->caps.ambient;
	CHECK((all >> (ward_cap_last() + 1)) == 0);
	CHECK(!p->has_oom_score_adj || (p->oom_score_adj >= -1000 && p->oom_score_adj <= 1000));
}

/* What the kernel takes in uid_map and gid_map (and an idmapped mount's
 * user namespace): ranges that end within 32 bits. */
static void check_maps(const struct ward_id_map *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		CHECK(m[i].size > 0);
		CHECK((uint64_t)m[i].container_id + m[i].size <= UINT32_MAX);
		CHECK((uint64_t)m[i].host_id + m[i].size <= UINT32_MAX);
	}
}

static void check_spec(const struct ward_spec *s)
{
	CHECK(s->json && json_is_object(s->json));
	CHECK(s->oci_version);
	CHECK(s->root_path && s->root_path[0]);
	if (s->process)
		check_process(s->process);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		CHECK(m->destination && m->destination[0] == '/');
		CHECK(m->bind || m->type);
		CHECK(!m->bind || m->source);
		CHECK(!m->bind || !m->data);
		CHECK(!m->idmap || m->bind);
		CHECK(!(m->flags & MS_BIND));
		check_maps(m->uid_mappings, m->n_uid_mappings);
		check_maps(m->gid_mappings, m->n_gid_mappings);
	}
	for (int k = 0; k < WARD_HOOK_COUNT; k++)
		for (size_t i = 0; i < s->hooks.n[k]; i++) {
			CHECK(s->hooks.list[k][i].path && s->hooks.list[k][i].path[0] == '/');
			CHECK(s->hooks.list[k][i].timeout >= 0);
		}
	const struct ward_linux *l = &s->lx;
	for (int i = 0; i < WARD_NS_COUNT; i++)
		CHECK(!l->ns[i].path || (l->ns[i].present && l->ns[i].path[0] == '/'));
	CHECK(!(l->n_uid_mappings || l->n_gid_mappings) || l->ns[WARD_NS_USER].present);
	check_maps(l->uid_mappings, l->n_uid_mappings);
	check_maps(l->gid_mappings, l->n_gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct ward_device *d = &l->devices[i];
		CHECK(d->path && d->path[0] == '/');
		CHECK(d->type && strchr("cbup", d->type));
		CHECK(d->major >= 0 && d->major <= 0xfff && d->minor >= 0 && d->minor <= 0xfffff);
	}
	for (size_t i = 0; l->masked_paths && l->masked_paths[i]; i++)
		CHECK(l->masked_paths[i][0] == '/');
	for (size_t i = 0; l->readonly_paths && l->readonly_paths[i]; i++)
		CHECK(l->readonly_paths[i][0] == '/');
	for (size_t i = 0; i < l->n_sysctl; i++)
		CHECK(l->sysctl[i].key[0] && !strstr(l->sysctl[i].key, "..") &&
		      l->sysctl[i].key[0] != '/');
	CHECK(!(l->monotonic.present || l->boottime.present) ||
	      (l->ns[WARD_NS_TIME].present && !l->ns[WARD_NS_TIME].path));
	CHECK(l->monotonic.nanosecs < 1000000000 && l->boottime.nanosecs < 1000000000);
	if (s->hostname && s->hostname[0])
		CHECK(l->ns[WARD_NS_UTS].present && !l->ns[WARD_NS_UTS].path);
	if (s->annotations) {
		const char *k;
		json_t *v;
		json_object_foreach(s->annotations, k, v) CHECK(json_is_string(v));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ward_err err = {0};
	struct ward_spec *s = ward_spec_parse((const char *)data, size, "config.json", &err);
	if (!s) {
		CHECK(strncmp(err.msg, "config.json", 11) == 0);
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
		return 0;
	}
	CHECK_NO_ERROR(err);
	check_spec(s);
	ward_spec_free(s);
	return 0;
}
