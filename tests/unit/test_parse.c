/* config.json parsing and validation (src/oci/parse.c): what is accepted, how
 * it is folded into struct ward_spec, and the exact text of every rejection. */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oci/spec.h"

/* The smallest valid config, and a process that is valid too. JSON with ' for ". */
#define BASE "'ociVersion':'1.2.0','root':{'path':'rootfs'}"
#define USER "'user':{'uid':0,'gid':0}"
#define PROC_FIELDS USER ",'args':['sh'],'cwd':'/'"
#define PROC "'process':{" PROC_FIELDS "}"
/* A config with BASE and extra top-level members. */
#define CFG(...) "{" BASE "," __VA_ARGS__ "}"
/* A config whose process has the valid fields plus more. */
#define WITH_PROC(...) CFG("'process':{" PROC_FIELDS "," __VA_ARGS__ "}")
/* A config whose linux object holds the given members. */
#define LINUX(...) CFG("'linux':{" __VA_ARGS__ "}")

static struct ward_spec *parse_ok_at(const char *tmpl, const char *file, int line)
{
	char *js = unit_json(tmpl);
	ward_err err = {0};
	struct ward_spec *s = ward_spec_parse(js, strlen(js), "config.json", &err);
	if (!s)
		print_error("# input: %s\n# error: %s\n", js, err.msg);
	else if (err.msg[0]) /* success must not leave an error behind (a swallowed failure) */
		print_error("# input: %s\n# parse succeeded but left error: %s\n", js, err.msg);
	free(js);
	if (!s || err.msg[0]) {
		ward_spec_free(s);
		_fail(file, line);
	}
	return s;
}
#define parse_ok(tmpl) parse_ok_at(tmpl, __FILE__, __LINE__)

static void expect_err_at(const char *tmpl, const char *want, const char *file, int line)
{
	char *js = unit_json(tmpl);
	ward_err err = {0};
	struct ward_spec *s = ward_spec_parse(js, strlen(js), "config.json", &err);
	if (s)
		print_error("# input: %s\n# parsed, but expected error: %s\n", js, want);
	else if (strcmp(err.msg, want) != 0)
		print_error("# input: %s\n", js);
	free(js);
	if (s) {
		ward_spec_free(s);
		_fail(file, line);
	}
	_assert_string_equal(err.msg, want, file, line);
	_assert_int_equal(err.errnum, 0, file, line);
}
#define expect_err(tmpl, want) expect_err_at(tmpl, want, __FILE__, __LINE__)

/* ---- the document and the required fields ---- */

static void test_minimal(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok("{" BASE "}");
	assert_string_equal(s->oci_version, "1.2.0");
	assert_string_equal(s->root_path, "rootfs");
	assert_false(s->root_readonly);
	assert_null(s->process);
	assert_null(s->hostname);
	assert_null(s->domainname);
	assert_int_equal(s->n_mounts, 0);
	assert_null(s->annotations);
	assert_non_null(s->json);
	for (int i = 0; i < WARD_NS_COUNT; i++)
		assert_false(s->lx.ns[i].present);
	for (int k = 0; k < WARD_HOOK_COUNT; k++)
		assert_int_equal(s->hooks.n[k], 0);
	assert_int_equal(s->lx.rootfs_propagation, 0);
	assert_false(s->lx.has_personality);
	assert_null(s->lx.resources);
	assert_null(s->lx.seccomp);
	ward_spec_free(s);

	/* Explicit nulls count as absent. */
	s = parse_ok(CFG("'process':null,'mounts':null,'hostname':null,'linux':null"));
	assert_null(s->process);
	assert_null(s->hostname);
	ward_spec_free(s);
	ward_spec_free(NULL);
}

static void test_process_fields(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(
		"{'ociVersion':'1.0.2','root':{'path':'/abs/rootfs','readonly':true},"
		"'process':{'terminal':true,'consoleSize':{'height':24,'width':80},"
		"'user':{'uid':1000,'gid':100,'umask':18,'additionalGids':[5,6,7],'username':'u'},"
		"'args':['/bin/sh','-c','echo hi'],'env':['PATH=/bin','EMPTY='],'cwd':'/home/u',"
		"'noNewPrivileges':true,'apparmorProfile':'ward-default','selinuxLabel':'x_t',"
		"'oomScoreAdj':-500,'landlock':{'ruleset':{}}},"
		"'hostname':'box','domainname':'example.org',"
		"'linux':{'namespaces':[{'type':'uts'}]}}");
	assert_string_equal(s->oci_version, "1.0.2");
	assert_string_equal(s->root_path, "/abs/rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "box");
	assert_string_equal(s->domainname, "example.org");
	struct ward_process *p = s->process;
	assert_non_null(p);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 24);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 100);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 3);
	assert_int_equal(p->user.additional_gids[0], 5);
	assert_int_equal(p->user.additional_gids[2], 7);
	assert_string_equal(p->args[0], "/bin/sh");
	assert_string_equal(p->args[2], "echo hi");
	assert_null(p->args[3]);
	assert_string_equal(p->env[0], "PATH=/bin");
	assert_string_equal(p->env[1], "EMPTY=");
	assert_null(p->env[2]);
	assert_string_equal(p->cwd, "/home/u");
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "ward-default");
	assert_string_equal(p->selinux_label, "x_t");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_non_null(p->landlock);
	assert_non_null(json_object_get(p->landlock, "ruleset"));
	assert_false(p->caps.present);
	assert_int_equal(p->n_rlimits, 0);
	ward_spec_free(s);

	/* Defaults when optional fields are absent. */
	s = parse_ok(CFG(PROC));
	assert_false(s->process->terminal);
	assert_false(s->process->has_console_size);
	assert_false(s->process->user.has_umask);
	assert_int_equal(s->process->user.n_additional_gids, 0);
	assert_null(s->process->env);
	assert_false(s->process->no_new_privileges);
	assert_false(s->process->has_oom_score_adj);
	assert_null(s->process->landlock);
	assert_null(s->process->apparmor_profile);
	ward_spec_free(s);
}

static void test_duplicate_member_rejected(void **state)
{
	(void)state;
	/* A repeated member is refused, not last-one-wins. */
	char *js = unit_json(CFG("'root':{'path':'x'}"));
	ward_err err = {0};
	struct ward_spec *s = ward_spec_parse(js, strlen(js), "config.json", &err);
	assert_null(s);
	assert_string_equal(err.msg, "config.json:1:53: invalid JSON: duplicate object key near "
				     "'\"root\"'");
	free(js);

	/* Nested objects too. */
	expect_err(CFG("'process':{" PROC_FIELDS ",'cwd':'/tmp'}"),
		   "config.json:1:112: invalid JSON: duplicate object key near '\"cwd\"'");
	expect_err(CFG("'annotations':{'a':'1','a':'2'}"),
		   "config.json:1:73: invalid JSON: duplicate object key near '\"a\"'");
}

static void test_required_missing(void **state)
{
	(void)state;
	expect_err("{'root':{'path':'r'}}", "config.json: ociVersion: missing required field");
	expect_err("{'ociVersion':null,'root':{'path':'r'}}",
		   "config.json: ociVersion: missing required field");
	expect_err("{'ociVersion':'1.2.0'}", "config.json: root: missing required field");
	expect_err("{'ociVersion':'1.2.0','root':{}}",
		   "config.json: root.path: missing required field");
	expect_err("{'ociVersion':'1.2.0','root':{'path':''}}",
		   "config.json: root.path: must not be empty");
	expect_err(CFG("'process':{'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user: missing required field");
	expect_err(CFG("'process':{'user':{'gid':0},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.uid: missing required field");
	expect_err(CFG("'process':{'user':{'uid':0},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.gid: missing required field");
	expect_err(CFG("'process':{" USER ",'cwd':'/'}"),
		   "config.json: process.args: missing required field");
	expect_err(CFG("'process':{" USER ",'args':[],'cwd':'/'}"),
		   "config.json: process.args: must contain at least one entry (the program to run)");
	expect_err(CFG("'process':{" USER ",'args':['sh']}"),
		   "config.json: process.cwd: missing required field");
	expect_err(CFG("'process':{" USER ",'args':['sh'],'cwd':'tmp'}"),
		   "config.json: process.cwd: \"tmp\" must be an absolute path");
	expect_err(WITH_PROC("'consoleSize':{'width':80}"),
		   "config.json: process.consoleSize.height: missing required field");
	expect_err(WITH_PROC("'consoleSize':{'height':80}"),
		   "config.json: process.consoleSize.width: missing required field");
	expect_err(CFG("'mounts':[{'type':'tmpfs'}]"),
		   "config.json: mounts[0].destination: missing required field");
	expect_err(CFG("'mounts':[{'destination':'/tmp','source':'tmpfs'}]"),
		   "config.json: mounts[0].type: missing: a mount that is not a bind mount needs a type");
	expect_err(CFG("'mounts':[{'destination':'/x','options':['rbind']}]"),
		   "config.json: mounts[0].source: missing: a bind mount needs a source");
	expect_err(CFG("'mounts':[{'destination':'','type':'tmpfs'}]"),
		   "config.json: mounts[0].destination: must not be empty");
	expect_err(CFG("'hooks':{'prestart':[{'args':['x']}]}"),
		   "config.json: hooks.prestart[0].path: missing required field");
	expect_err(LINUX("'namespaces':[{'type':'pid'},{'path':'/proc/1/ns/net'}]"),
		   "config.json: linux.namespaces[1].type: missing required field");
	expect_err(LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'hostID':1,'size':1}]"),
		   "config.json: linux.uidMappings[0].containerID: missing required field");
	expect_err(LINUX("'namespaces':[{'type':'user'}],'gidMappings':[{'containerID':0,'size':1}]"),
		   "config.json: linux.gidMappings[0].hostID: missing required field");
	expect_err(LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,'hostID':1}]"),
		   "config.json: linux.uidMappings[0].size: missing required field");
	expect_err(LINUX("'devices':[{'type':'c','major':1,'minor':3}]"),
		   "config.json: linux.devices[0].path: missing required field");
	expect_err(LINUX("'devices':[{'path':'/dev/null','major':1,'minor':3}]"),
		   "config.json: linux.devices[0].type: missing required field");
	expect_err(LINUX("'devices':[{'path':'/dev/null','type':'c','minor':3}]"),
		   "config.json: linux.devices[0].major: missing required field");
	expect_err(LINUX("'devices':[{'path':'/dev/null','type':'b','major':1}]"),
		   "config.json: linux.devices[0].minor: missing required field");
	expect_err(WITH_PROC("'rlimits':[{'soft':1,'hard':1}]"),
		   "config.json: process.rlimits[0].type: missing required field");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_CORE','hard':1}]"),
		   "config.json: process.rlimits[0].soft: missing required field");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_CORE','soft':1}]"),
		   "config.json: process.rlimits[0].hard: missing required field");
	expect_err(LINUX("'personality':{'flags':[]}"),
		   "config.json: linux.personality.domain: missing required field");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_err("[]", "config.json: must be a JSON object");
	expect_err("{'ociVersion':1,'root':{'path':'r'}}",
		   "config.json: ociVersion: must be a string, not an integer");
	expect_err("{'ociVersion':'1','root':'r'}", "config.json: root: must be an object, not a string");
	expect_err("{'ociVersion':'1','root':{'path':['r']}}",
		   "config.json: root.path: must be a string, not an array");
	expect_err("{'ociVersion':'1','root':{'path':'r','readonly':'yes'}}",
		   "config.json: root.readonly: must be a boolean, not a string");
	expect_err(CFG("'hostname':false"), "config.json: hostname: must be a string, not a boolean");
	expect_err(CFG("'process':[]"), "config.json: process: must be an object, not an array");
	expect_err(WITH_PROC("'terminal':1"),
		   "config.json: process.terminal: must be a boolean, not an integer");
	expect_err(WITH_PROC("'consoleSize':{'height':-1,'width':80}"),
		   "config.json: process.consoleSize.height: -1 out of range [0, 65535]");
	expect_err(CFG("'process':{'user':{'uid':1.5,'gid':0},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.uid: must be an integer, not a number");
	expect_err(CFG("'process':{'user':{'uid':-1,'gid':0},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.uid: -1 out of range [0, 4294967294]");
	expect_err(CFG("'process':{'user':{'uid':0,'gid':4294967295},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.gid: 4294967295 out of range [0, 4294967294]");
	expect_err(CFG("'process':{'user':{'uid':0,'gid':0,'additionalGids':[1,'2']},"
		       "'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.additionalGids[1]: must be a gid (a non-negative integer)");
	expect_err(CFG("'process':{'user':{'uid':0,'gid':0,'username':7},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.username: must be a string");
	expect_err(CFG("'process':{" USER ",'args':'sh','cwd':'/'}"),
		   "config.json: process.args: must be an array, not a string");
	expect_err(CFG("'process':{" USER ",'args':['sh',1],'cwd':'/'}"),
		   "config.json: process.args[1]: must be a string, not an integer");
	expect_err(WITH_PROC("'env':['A=1','NOVALUE']"),
		   "config.json: process.env[1]: \"NOVALUE\" is not NAME=value");
	expect_err(WITH_PROC("'env':['=x']"), "config.json: process.env[0]: \"=x\" is not NAME=value");
	expect_err(WITH_PROC("'oomScoreAdj':2000"),
		   "config.json: process.oomScoreAdj: 2000 out of range [-1000, 1000]");
	expect_err(WITH_PROC("'noNewPrivileges':'true'"),
		   "config.json: process.noNewPrivileges: must be a boolean, not a string");
	expect_err(WITH_PROC("'landlock':[]"),
		   "config.json: process.landlock: must be an object, not an array");
	expect_err(CFG("'mounts':{}"), "config.json: mounts: must be an array, not an object");
	expect_err(CFG("'mounts':[1]"), "config.json: mounts[0]: must be an object, not an integer");
	expect_err(CFG("'mounts':[{'destination':'/x','type':'tmpfs','options':'ro'}]"),
		   "config.json: mounts[0].options: must be an array, not a string");
	expect_err(CFG("'linux':true"), "config.json: linux: must be an object, not a boolean");
	expect_err(LINUX("'namespaces':['pid']"),
		   "config.json: linux.namespaces[0]: must be an object");
	expect_err(LINUX("'maskedPaths':['/a',2]"),
		   "config.json: linux.maskedPaths[1]: must be a string, not an integer");
	expect_err(LINUX("'maskedPaths':['/proc/kcore','proc/keys']"),
		   "config.json: linux.maskedPaths[1]: \"proc/keys\" must be an absolute path");
	expect_err(LINUX("'readonlyPaths':['sys']"),
		   "config.json: linux.readonlyPaths[0]: \"sys\" must be an absolute path");
	expect_err(LINUX("'resources':[]"),
		   "config.json: linux.resources: must be an object, not an array");
	expect_err(LINUX("'seccomp':'x'"), "config.json: linux.seccomp: must be an object, not a string");
	expect_err(LINUX("'cgroupsPath':1"),
		   "config.json: linux.cgroupsPath: must be a string, not an integer");
	expect_err(CFG("'annotations':[]"), "config.json: annotations: must be an object, not an array");
	expect_err(CFG("'annotations':{'ok':'1','org.example.n':1}"),
		   "config.json: annotations.org.example.n: must be a string, not an integer");
	expect_err(CFG("'annotations':{'x':null}"),
		   "config.json: annotations.x: must be a string, not null");
}

/* umask is optional, but a present one must be valid: never silently dropped
 * (the process would run with the default umask instead). */
static void test_umask_validated(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(CFG("'process':{'user':{'uid':0,'gid':0,'umask':511},"
					   "'args':['sh'],'cwd':'/'}"));
	assert_true(s->process->user.has_umask);
	assert_int_equal(s->process->user.umask, 0777);
	ward_spec_free(s);
	expect_err(CFG("'process':{'user':{'uid':0,'gid':0,'umask':512},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.umask: 512 out of range [0, 511]");
	expect_err(CFG("'process':{'user':{'uid':0,'gid':0,'umask':'022'},'args':['sh'],'cwd':'/'}"),
		   "config.json: process.user.umask: must be an integer, not a string");
}

static void test_malformed_json(void **state)
{
	(void)state;
	/* line:column of the offending token (jansson counts columns from 1). */
	expect_err("{\n  'ociVersion': '1.2.0',\n  'root': }\n",
		   "config.json:3:11: invalid JSON: unexpected token near '}'");
	expect_err("{'ociVersion':'1.2.0',", "config.json:1:22: invalid JSON: string or '}' expected "
						  "near end of file");
	expect_err("", "config.json:1:0: invalid JSON: '[' or '{' expected near end of file");
	expect_err("{} x", "config.json:1:4: invalid JSON: end of file expected near 'x'");
	expect_err("{'a':tru}", "config.json:1:8: invalid JSON: invalid token near 'tru'");
	/* Embedded NUL bytes are refused, not truncated. */
	ward_err err = {0};
	static const char nul[] = "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}}\0junk";
	assert_null(ward_spec_parse(nul, sizeof(nul) - 1, "config.json", &err));
	assert_string_equal(err.msg, "config.json:1:39: invalid JSON: end of file expected near end "
				     "of file");
	/* The length is honoured: a valid prefix parses without reading past it. */
	static const char prefix[] = "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}}garbage";
	struct ward_spec *s = ward_spec_parse(prefix, sizeof(prefix) - 1 - 7, "config.json", &err);
	assert_non_null(s);
	ward_spec_free(s);
	/* The name given is the name printed. */
	assert_null(ward_spec_parse("[", 1, "/b/config.json", &err));
	assert_string_equal(err.msg, "/b/config.json:1:1: invalid JSON: ']' expected near end of "
				     "file");
}

/* ---- mounts ---- */

static void test_mount_fold_tmpfs(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(CFG(
		"'mounts':[{'destination':'/tmp','type':'tmpfs','source':'tmpfs',"
		"'options':['nosuid','nodev','mode=1777','size=64m','rro','rprivate','noexec']},"
		"{'destination':'proc','type':'proc'}]"));
	assert_int_equal(s->n_mounts, 2);
	struct ward_mount *m = &s->mounts[0];
	assert_string_equal(m->destination, "/tmp");
	assert_string_equal(m->type, "tmpfs");
	assert_string_equal(m->source, "tmpfs");
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
	assert_int_equal(m->clear_flags, 0);
	assert_int_equal(m->propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY);
	assert_int_equal(m->rec_attr_clr, 0);
	assert_false(m->bind);
	assert_false(m->rbind);
	assert_false(m->idmap);
	assert_string_equal(m->data, "mode=1777,size=64m");
	assert_string_equal(m->options[0], "nosuid");
	assert_null(m->options[7]);
	/* A relative destination is taken relative to the root, as runc does. */
	m = &s->mounts[1];
	assert_string_equal(m->destination, "/proc");
	assert_null(m->source);
	assert_null(m->options);
	assert_null(m->data);
	assert_int_equal(m->flags, 0);
	ward_spec_free(s);
}

static void test_mount_fold_bind(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(CFG(
		"'mounts':[{'destination':'/data','source':'/srv/data',"
		"'options':['nosuid','rbind','rro','ro','rslave']},"
		"{'destination':'/etc/hosts','type':'bind','source':'/h'},"
		"{'destination':'/b','source':'/s','type':'none','options':['bind','ro','rw','rrw','ridmap']}]"));
	struct ward_mount *m = &s->mounts[0];
	assert_true(m->bind);
	assert_true(m->rbind);
	/* MS_BIND|MS_REC are implied by bind/rbind and removed from flags. */
	assert_int_equal(m->flags, MS_NOSUID | MS_RDONLY);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY);
	assert_int_equal(m->propagation, MS_SLAVE | MS_REC);
	assert_null(m->data);
	assert_null(m->type);
	/* type "bind" alone makes a bind mount. */
	m = &s->mounts[1];
	assert_true(m->bind);
	assert_false(m->rbind);
	assert_string_equal(m->type, "bind");
	/* Later options win: ro then rw leaves rw, recorded as explicitly cleared. */
	m = &s->mounts[2];
	assert_true(m->bind);
	assert_false(m->rbind);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->clear_flags, MS_RDONLY);
	assert_int_equal(m->rec_attr_set, 0);
	assert_int_equal(m->rec_attr_clr, MOUNT_ATTR_RDONLY);
	assert_true(m->idmap);
	assert_true(m->ridmap);
	ward_spec_free(s);

	/* rw then ro: ro wins and is no longer in clear_flags. */
	s = parse_ok(CFG("'mounts':[{'destination':'/x','type':'ext4','source':'/dev/sda1',"
			 "'options':['rw','ro','atime','noatime','strictatime']}]"));
	assert_int_equal(s->mounts[0].flags, MS_RDONLY | MS_NOATIME | MS_STRICTATIME);
	assert_int_equal(s->mounts[0].clear_flags, 0);
	ward_spec_free(s);
}

static void test_mount_rejections(void **state)
{
	(void)state;
	/* size= means nothing to a bind: ignored (the kernel and runc ignore it). */
	struct ward_spec *s = parse_ok(CFG("'mounts':[{'destination':'/d','source':'/s',"
					   "'options':['nosuid','rbind','rro','size=64m','mode=755']}]"));
	assert_true(s->mounts[0].bind);
	assert_null(s->mounts[0].data);
	ward_spec_free(s);
	/* A bare unknown word is a mistyped flag, even after NAME=VALUE ones. */
	expect_err(CFG("'mounts':[{'destination':'/d','source':'/s',"
		       "'options':['mode=755','rbind','nosiud']}]"),
		   "config.json: mounts[0].options[2]: unknown mount option \"nosiud\" for a bind mount");
	expect_err(CFG("'mounts':[{'destination':'/d','type':'bind','source':'/s',"
		       "'options':['rprivate','nosiud']}]"),
		   "config.json: mounts[0].options[1]: unknown mount option \"nosiud\" for a bind mount");
	/* Two unknown words: the first one is named. */
	expect_err(CFG("'mounts':[{'destination':'/d','source':'/s','options':['bind','foo','bar']}]"),
		   "config.json: mounts[0].options[1]: unknown mount option \"foo\" for a bind mount");
	expect_err(CFG("'mounts':[{'destination':'/d','type':'tmpfs','options':['ro','']}]"),
		   "config.json: mounts[0].options[1]: empty mount option");
	expect_err(CFG("'mounts':[{'destination':'/d','type':'tmpfs','options':['idmap']}]"),
		   "config.json: mounts[0].options: idmap is only supported on bind mounts");
	expect_err(CFG("'mounts':[{'destination':'/a','type':'tmpfs'},{'destination':'/b','type':7}]"),
		   "config.json: mounts[1].type: must be a string, not an integer");
}

/* mounts[].uidMappings/gidMappings: kept for the idmapped mount; mappings
 * alone mean idmap (as runc); both are needed. */
static void test_mount_idmaps(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(CFG(
		"'mounts':[{'destination':'/v','type':'bind','source':'/s','options':['rbind'],"
		"'uidMappings':[{'containerID':1000,'hostID':2000,'size':3}],"
		"'gidMappings':[{'containerID':1,'hostID':2,'size':4},"
		"{'containerID':10,'hostID':20,'size':1}]}]"));
	struct ward_mount *m = &s->mounts[0];
	assert_true(m->idmap);
	assert_false(m->ridmap);
	assert_int_equal(m->n_uid_mappings, 1);
	assert_int_equal(m->uid_mappings[0].container_id, 1000);
	assert_int_equal(m->uid_mappings[0].host_id, 2000);
	assert_int_equal(m->uid_mappings[0].size, 3);
	assert_int_equal(m->n_gid_mappings, 2);
	assert_int_equal(m->gid_mappings[1].host_id, 20);
	ward_spec_free(s);
	expect_err(CFG("'mounts':[{'destination':'/v','source':'/s','options':['bind'],"
		       "'uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]"),
		   "config.json: mounts[0].gidMappings: missing: an idmapped mount needs both "
		   "uidMappings and gidMappings");
	expect_err(CFG("'mounts':[{'destination':'/v','source':'/s','options':['bind'],"
		       "'uidMappings':[{'containerID':0,'hostID':1,'size':0}],"
		       "'gidMappings':[{'containerID':0,'hostID':1,'size':1}]}]"),
		   "config.json: mounts[0].uidMappings[0].size: 0 out of range [1, 4294967295]");
	expect_err(CFG("'mounts':[{'destination':'/v','type':'tmpfs',"
		       "'uidMappings':[{'containerID':0,'hostID':1,'size':1}],"
		       "'gidMappings':[{'containerID':0,'hostID':1,'size':1}]}]"),
		   "config.json: mounts[0].options: idmap is only supported on bind mounts");
}

/* A known option that is a prefix of the unknown word must not be blamed. */
static void test_mount_unknown_option_named_correctly(void **state)
{
	(void)state;
	expect_err(CFG("'mounts':[{'destination':'/d','source':'/s','options':['rbind','ro','rox']}]"),
		   "config.json: mounts[0].options[2]: unknown mount option \"rox\" for a bind mount");
	expect_err(CFG("'mounts':[{'destination':'/d','source':'/s','options':['bind','bindx']}]"),
		   "config.json: mounts[0].options[1]: unknown mount option \"bindx\" for a bind mount");
}

/* ---- process.capabilities and rlimits ---- */

static void test_capabilities(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(WITH_PROC(
		"'capabilities':{'bounding':['CAP_CHOWN','kill','net_admin','Cap_Sys_Admin'],"
		"'effective':['CAP_KILL'],'permitted':[],'ambient':['cap_checkpoint_restore']}"));
	struct ward_caps *c = &s->process->caps;
	assert_true(c->present);
	assert_int_equal(c->bounding, (1ULL << 0) | (1ULL << 5) | (1ULL << 12) | (1ULL << 21));
	assert_int_equal(c->effective, 1ULL << 5);
	assert_int_equal(c->permitted, 0);
	assert_int_equal(c->inheritable, 0);
	assert_int_equal(c->ambient, 1ULL << 40);
	ward_spec_free(s);

	s = parse_ok(WITH_PROC("'capabilities':{}"));
	assert_true(s->process->caps.present);
	assert_int_equal(s->process->caps.bounding, 0);
	ward_spec_free(s);

	/* Unknown names are ignored (with a warning), as runc does. */
	s = parse_ok(WITH_PROC("'capabilities':{'bounding':['CAP_CHOWN','CAP_FOO'],'ambient':['']}"));
	assert_int_equal(s->process->caps.bounding, 1ULL << 0);
	assert_int_equal(s->process->caps.ambient, 0);
	ward_spec_free(s);
	expect_err(WITH_PROC("'capabilities':{'inheritable':[21]}"),
		   "config.json: process.capabilities.inheritable[0]: must be a string, not an integer");
	expect_err(WITH_PROC("'capabilities':{'permitted':'CAP_KILL'}"),
		   "config.json: process.capabilities.permitted: must be an array, not a string");
	expect_err(WITH_PROC("'capabilities':['CAP_KILL']"),
		   "config.json: process.capabilities: must be an object, not an array");
}

static void test_rlimits(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(WITH_PROC(
		"'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
		"{'type':'RLIMIT_CORE','soft':-1,'hard':-1},"
		"{'type':'RLIMIT_MEMLOCK','soft':0,'hard':1.8446744073709552e19},"
		"{'type':'RLIMIT_STACK','soft':8388608,'hard':8388608}]"));
	struct ward_process *p = s->process;
	assert_int_equal(p->n_rlimits, 4);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == UINT64_MAX); /* -1 is RLIM_INFINITY */
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_int_equal(p->rlimits[2].soft, 0);
	assert_true(p->rlimits[2].hard == UINT64_MAX);
	assert_int_equal(p->rlimits[3].resource, RLIMIT_STACK);
	ward_spec_free(s);

	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':5000,'hard':4096}]"),
		   "config.json: process.rlimits[0]: soft limit 5000 is above hard limit 4096");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_CORE','soft':-1,'hard':10}]"),
		   "config.json: process.rlimits[0]: soft limit 18446744073709551615 is above hard "
		   "limit 10");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
			     "{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
		   "config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
	expect_err(WITH_PROC("'rlimits':[{'type':'nofile','soft':1,'hard':1}]"),
		   "config.json: process.rlimits[0].type: unknown rlimit \"nofile\"");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
			     "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
		   "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':-2,'hard':1}]"),
		   "config.json: process.rlimits[0].soft: must be a non-negative integer");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':'1'}]"),
		   "config.json: process.rlimits[0].hard: must be a non-negative integer");
	expect_err(WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1e30}]"),
		   "config.json: process.rlimits[0].hard: must be a non-negative integer");
	expect_err(WITH_PROC("'rlimits':['RLIMIT_NOFILE']"),
		   "config.json: process.rlimits[0]: must be an object");
	expect_err(WITH_PROC("'rlimits':{}"), "config.json: process.rlimits: must be an array, not an object");
}

/* ---- linux ---- */

static void test_namespaces(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX(
		"'namespaces':[{'type':'pid'},{'type':'network','path':'/proc/1/ns/net'},"
		"{'type':'mount'},{'type':'ipc'},{'type':'uts'},{'type':'cgroup'},{'type':'time'},"
		"{'type':'user','path':'/run/userns/x'}]"));
	for (int i = 0; i < WARD_NS_COUNT; i++)
		assert_true(s->lx.ns[i].present);
	assert_null(s->lx.ns[WARD_NS_PID].path);
	assert_string_equal(s->lx.ns[WARD_NS_NET].path, "/proc/1/ns/net");
	assert_string_equal(s->lx.ns[WARD_NS_USER].path, "/run/userns/x");
	assert_null(s->lx.ns[WARD_NS_MNT].path);
	ward_spec_free(s);

	s = parse_ok(LINUX("'namespaces':[{'type':'mount','path':null}]"));
	assert_true(s->lx.ns[WARD_NS_MNT].present);
	assert_false(s->lx.ns[WARD_NS_PID].present);
	assert_null(s->lx.ns[WARD_NS_MNT].path);
	ward_spec_free(s);

	expect_err(LINUX("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'foo'}]"),
		   "config.json: linux.namespaces[2].type: unknown namespace \"foo\"");
	expect_err(LINUX("'namespaces':[{'type':'net'}]"),
		   "config.json: linux.namespaces[0].type: unknown namespace \"net\"");
	expect_err(LINUX("'namespaces':[{'type':'pid'},{'type':'pid','path':'/proc/1/ns/pid'}]"),
		   "config.json: linux.namespaces[1].type: duplicate namespace \"pid\"");
	expect_err(LINUX("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
		   "config.json: linux.namespaces[0].path: \"proc/1/ns/net\" must be an absolute path");
	expect_err(LINUX("'namespaces':[{'type':'network','path':''}]"),
		   "config.json: linux.namespaces[0].path: \"\" must be an absolute path");
	expect_err(LINUX("'namespaces':[{'type':'ipc','path':3}]"),
		   "config.json: linux.namespaces[0].path: must be a string, not an integer");
	expect_err(LINUX("'namespaces':{'type':'ipc'}"),
		   "config.json: linux.namespaces: must be an array, not an object");
}

static void test_hostname_needs_uts(void **state)
{
	(void)state;
	expect_err(CFG("'hostname':'box'"),
		   "config.json: hostname: setting the hostname needs a uts namespace");
	expect_err(CFG("'domainname':'d'"),
		   "config.json: domainname: setting the domainname needs a uts namespace");
	/* A joined one takes it, as in runc (create refuses the runtime's own). */
	struct ward_spec *s = parse_ok(
		CFG("'hostname':'box','linux':{'namespaces':[{'type':'uts','path':'/proc/1/ns/uts'}]}"));
	ward_spec_free(s);
	/* An empty hostname sets nothing. */
	s = parse_ok(CFG("'hostname':''"));
	assert_string_equal(s->hostname, "");
	ward_spec_free(s);
}

static void test_idmaps(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX(
		"'namespaces':[{'type':'user'}],"
		"'uidMappings':[{'containerID':0,'hostID':100000,'size':65536},"
		"{'containerID':65536,'hostID':1000,'size':1}],"
		"'gidMappings':[{'containerID':0,'hostID':0,'size':4294967295},"
		"{'containerID':4294967294,'hostID':4294967294,'size':1}]"));
	assert_int_equal(s->lx.n_uid_mappings, 2);
	assert_int_equal(s->lx.uid_mappings[0].container_id, 0);
	assert_int_equal(s->lx.uid_mappings[0].host_id, 100000);
	assert_int_equal(s->lx.uid_mappings[0].size, 65536);
	assert_int_equal(s->lx.uid_mappings[1].container_id, 65536);
	assert_int_equal(s->lx.uid_mappings[1].host_id, 1000);
	assert_int_equal(s->lx.uid_mappings[1].size, 1);
	assert_int_equal(s->lx.n_gid_mappings, 2);
	assert_int_equal(s->lx.gid_mappings[0].size, 4294967295U);
	assert_int_equal(s->lx.gid_mappings[1].host_id, 4294967294U);
	ward_spec_free(s);

	/* Joining a user namespace needs no mappings. */
	s = parse_ok(LINUX("'namespaces':[{'type':'user','path':'/proc/1/ns/user'}]"));
	assert_int_equal(s->lx.n_uid_mappings, 0);
	ward_spec_free(s);

	expect_err(LINUX("'uidMappings':[{'containerID':0,'hostID':0,'size':1}],"
			 "'gidMappings':[{'containerID':0,'hostID':0,'size':1}]"),
		   "config.json: linux.uidMappings: ID mappings are set but there is no user namespace "
		   "in linux.namespaces");
	expect_err(LINUX("'namespaces':[{'type':'user'}]"),
		   "config.json: linux.uidMappings: a new user namespace needs both uidMappings and "
		   "gidMappings");
	expect_err(LINUX("'namespaces':[{'type':'user'}],"
			 "'uidMappings':[{'containerID':0,'hostID':0,'size':1}]"),
		   "config.json: linux.gidMappings: a new user namespace needs both uidMappings and "
		   "gidMappings");
	expect_err(LINUX("'namespaces':[{'type':'user'}],"
			 "'uidMappings':[{'containerID':0,'hostID':0,'size':0}]"),
		   "config.json: linux.uidMappings[0].size: 0 out of range [1, 4294967295]");
	/* Ranges the kernel refuses (they wrap past 2^32 - 1): found by fuzz_config. */
	expect_err(LINUX("'namespaces':[{'type':'user'}],"
			 "'uidMappings':[{'containerID':4294967294,'hostID':0,'size':2}]"),
		   "config.json: linux.uidMappings[0]: the containerID range goes past the last id "
		   "(4294967294)");
	expect_err(LINUX("'namespaces':[{'type':'user'}],"
			 "'uidMappings':[{'containerID':0,'hostID':0,'size':1}],"
			 "'gidMappings':[{'containerID':0,'hostID':4294967294,'size':4294967295}]"),
		   "config.json: linux.gidMappings[0]: the hostID range goes past the last id "
		   "(4294967294)");
	expect_err(LINUX("'namespaces':[{'type':'user'}],"
			 "'uidMappings':[{'containerID':-1,'hostID':0,'size':1}]"),
		   "config.json: linux.uidMappings[0].containerID: -1 out of range [0, 4294967294]");
	expect_err(LINUX("'namespaces':[{'type':'user'}],'uidMappings':[[0,0,1]]"),
		   "config.json: linux.uidMappings[0]: must be an object");
}

static void test_devices(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX(
		"'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,"
		"'uid':0,'gid':5},"
		"{'path':'/dev/sda','type':'b','major':8,'minor':0},"
		"{'path':'/dev/fifo','type':'p'},"
		"{'path':'/dev/u','type':'u','major':4095,'minor':1048575}]"));
	assert_int_equal(s->lx.n_devices, 4);
	struct ward_device *d = &s->lx.devices[0];
	assert_string_equal(d->path, "/dev/fuse");
	assert_int_equal(d->type, 'c');
	assert_int_equal(d->major, 10);
	assert_int_equal(d->minor, 229);
	assert_true(d->has_mode);
	assert_int_equal(d->file_mode, 0666);
	assert_true(d->has_uid);
	assert_int_equal(d->uid, 0);
	assert_true(d->has_gid);
	assert_int_equal(d->gid, 5);
	d = &s->lx.devices[1];
	assert_int_equal(d->type, 'b');
	assert_false(d->has_mode);
	assert_false(d->has_uid);
	assert_false(d->has_gid);
	d = &s->lx.devices[2];
	assert_int_equal(d->type, 'p');
	assert_int_equal(d->major, 0);
	assert_int_equal(d->minor, 0);
	d = &s->lx.devices[3];
	assert_int_equal(d->major, 4095);
	assert_int_equal(d->minor, 1048575);
	ward_spec_free(s);

	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'x','major':1,'minor':1}]"),
		   "config.json: linux.devices[0].type: unknown device type \"x\" (want c, b, u or p)");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'cb','major':1,'minor':1}]"),
		   "config.json: linux.devices[0].type: unknown device type \"cb\" (want c, b, u or p)");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'','major':1,'minor':1}]"),
		   "config.json: linux.devices[0].type: unknown device type \"\" (want c, b, u or p)");
	expect_err(LINUX("'devices':[{'path':'dev/x','type':'c','major':1,'minor':1}]"),
		   "config.json: linux.devices[0].path: \"dev/x\" must be an absolute path");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'c','major':4096,'minor':1}]"),
		   "config.json: linux.devices[0].major: 4096 out of range [0, 4095]");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1048576}]"),
		   "config.json: linux.devices[0].minor: 1048576 out of range [0, 1048575]");
	/* File-type bits must be the device's own type (4096 is S_IFIFO). */
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'fileMode':4096}]"),
		   "config.json: linux.devices[0].fileMode: 010000 has the file type bits of a fifo "
		   "(010000), but type is \"c\"");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'fileMode':25008}]"),
		   "config.json: linux.devices[0].fileMode: 060660 has the file type bits of a block "
		   "device (060000), but type is \"c\"");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'b','major':1,'minor':1,'fileMode':33188}]"),
		   "config.json: linux.devices[0].fileMode: 0100644 has the file type bits of not a "
		   "device (0100000), but type is \"b\"");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'fileMode':65536}]"),
		   "config.json: linux.devices[0].fileMode: 65536 out of range [0, 65535]");
	expect_err(LINUX("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'uid':'0'}]"),
		   "config.json: linux.devices[0].uid: must be an integer, not a string");
	expect_err(LINUX("'devices':['/dev/null']"), "config.json: linux.devices[0]: must be an object");
}

/* major/minor are optional for a fifo, but a present one of the wrong type or
 * out of range is still an error: it must not be silently ignored. */
/* podman passes the host node's st_mode (8576 = S_IFCHR|0600), as runc and
 * crun accept: the type bits are dropped once they agree with the type. */
static void test_devices_file_mode_with_type_bits(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX(
		"'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':8576},"
		"{'path':'/dev/u','type':'u','major':1,'minor':3,'fileMode':8630},"
		"{'path':'/dev/sda','type':'b','major':8,'minor':0,'fileMode':25008},"
		"{'path':'/dev/f','type':'p','fileMode':4532}]"));
	assert_int_equal(s->lx.n_devices, 4);
	assert_true(s->lx.devices[0].has_mode);
	assert_int_equal(s->lx.devices[0].file_mode, 0600);
	assert_int_equal(s->lx.devices[1].file_mode, 0666);
	assert_int_equal(s->lx.devices[2].file_mode, 0660);
	assert_int_equal(s->lx.devices[3].file_mode, 0664);
	ward_spec_free(s);
}

static void test_devices_fifo_numbers_validated(void **state)
{
	(void)state;
	expect_err(LINUX("'devices':[{'path':'/dev/f','type':'p','major':'x'}]"),
		   "config.json: linux.devices[0].major: must be an integer, not a string");
	expect_err(LINUX("'devices':[{'path':'/dev/f','type':'p','minor':-1}]"),
		   "config.json: linux.devices[0].minor: -1 out of range [0, 1048575]");
}

static void test_sysctl(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX(
		"'namespaces':[{'type':'network'},{'type':'ipc'},{'type':'uts'}],"
		"'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'4096','kernel.msgmax':'1',"
		"'kernel.sem':'1 2 3 4','fs.mqueue.msg_max':'10','kernel.hostname':'h',"
		"'kernel.domainname':'d'}"));
	assert_int_equal(s->lx.n_sysctl, 7);
	assert_string_equal(s->lx.sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(s->lx.sysctl[0].value, "1");
	assert_string_equal(s->lx.sysctl[3].key, "kernel.sem");
	assert_string_equal(s->lx.sysctl[3].value, "1 2 3 4");
	ward_spec_free(s);

	/* A joined network namespace is still not the host's. */
	s = parse_ok(LINUX("'namespaces':[{'type':'network','path':'/proc/1/ns/net'}],"
			   "'sysctl':{'net.core.somaxconn':'1024'}"));
	assert_int_equal(s->lx.n_sysctl, 1);
	ward_spec_free(s);
	s = parse_ok(LINUX("'sysctl':{}"));
	assert_int_equal(s->lx.n_sysctl, 0);
	ward_spec_free(s);

	expect_err(LINUX("'sysctl':{'net.ipv4.ip_forward':'1'}"),
		   "config.json: linux.sysctl.net.ipv4.ip_forward: needs a network namespace (it would "
		   "change the host)");
	expect_err(LINUX("'namespaces':[{'type':'network'}],'sysctl':{'kernel.shmmax':'1'}"),
		   "config.json: linux.sysctl.kernel.shmmax: needs an ipc namespace (it would change the "
		   "host)");
	expect_err(LINUX("'sysctl':{'fs.mqueue.queues_max':'1'}"),
		   "config.json: linux.sysctl.fs.mqueue.queues_max: needs an ipc namespace (it would "
		   "change the host)");
	expect_err(LINUX("'namespaces':[{'type':'ipc'}],'sysctl':{'kernel.hostname':'h'}"),
		   "config.json: linux.sysctl.kernel.hostname: needs a uts namespace (it would change "
		   "the host)");
	expect_err(LINUX("'namespaces':[{'type':'network'},{'type':'ipc'},{'type':'uts'}],"
			 "'sysctl':{'vm.swappiness':'10'}"),
		   "config.json: linux.sysctl.vm.swappiness: not a namespaced sysctl; it would change "
		   "the host");
	expect_err(LINUX("'namespaces':[{'type':'ipc'}],'sysctl':{'kernel.pid_max':'10'}"),
		   "config.json: linux.sysctl.kernel.pid_max: not a namespaced sysctl; it would change "
		   "the host");
	expect_err(LINUX("'namespaces':[{'type':'network'}],'sysctl':{'net..x':'1'}"),
		   "config.json: linux.sysctl.net..x: invalid sysctl name");
	expect_err(LINUX("'sysctl':{'.net.x':'1'}"), "config.json: linux.sysctl..net.x: invalid sysctl name");
	expect_err(LINUX("'sysctl':{'/proc/sys/net':'1'}"),
		   "config.json: linux.sysctl./proc/sys/net: invalid sysctl name");
	expect_err(LINUX("'sysctl':{'':'1'}"), "config.json: linux.sysctl.: invalid sysctl name");
	expect_err(LINUX("'namespaces':[{'type':'network'}],'sysctl':{'net.x':1}"),
		   "config.json: linux.sysctl.net.x: must be a string, not an integer");
	expect_err(LINUX("'sysctl':['net.x=1']"), "config.json: linux.sysctl: must be an object, not an array");
}

static void test_hooks(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(CFG(
		"'hooks':{'prestart':[{'path':'/bin/true','args':['true','x'],'env':['A=b'],'timeout':5}],"
		"'createRuntime':[{'path':'/a'},{'path':'/b','timeout':1}],"
		"'poststop':[],'startContainer':[{'path':'/s','args':[]}]}"));
	assert_int_equal(s->hooks.n[WARD_HOOK_PRESTART], 1);
	struct ward_hook *h = &s->hooks.list[WARD_HOOK_PRESTART][0];
	assert_string_equal(h->path, "/bin/true");
	assert_string_equal(h->args[0], "true");
	assert_string_equal(h->args[1], "x");
	assert_null(h->args[2]);
	assert_string_equal(h->env[0], "A=b");
	assert_int_equal(h->timeout, 5);
	assert_int_equal(s->hooks.n[WARD_HOOK_CREATE_RUNTIME], 2);
	assert_int_equal(s->hooks.list[WARD_HOOK_CREATE_RUNTIME][0].timeout, 0);
	assert_null(s->hooks.list[WARD_HOOK_CREATE_RUNTIME][0].args);
	assert_int_equal(s->hooks.list[WARD_HOOK_CREATE_RUNTIME][1].timeout, 1);
	assert_int_equal(s->hooks.n[WARD_HOOK_CREATE_CONTAINER], 0);
	assert_int_equal(s->hooks.n[WARD_HOOK_POSTSTOP], 0);
	assert_int_equal(s->hooks.n[WARD_HOOK_START_CONTAINER], 1);
	assert_non_null(s->hooks.list[WARD_HOOK_START_CONTAINER][0].args);
	assert_null(s->hooks.list[WARD_HOOK_START_CONTAINER][0].args[0]);
	ward_spec_free(s);

	expect_err(CFG("'hooks':{'prestart':[{'path':'/x','timeout':0}]}"),
		   "config.json: hooks.prestart[0].timeout: 0 out of range [1, 2147483647]");
	expect_err(CFG("'hooks':{'poststart':[{'path':'/x'},{'path':'/y','timeout':-5}]}"),
		   "config.json: hooks.poststart[1].timeout: -5 out of range [1, 2147483647]");
	expect_err(CFG("'hooks':{'poststop':[{'path':'/x','timeout':'5'}]}"),
		   "config.json: hooks.poststop[0].timeout: must be an integer, not a string");
	expect_err(CFG("'hooks':{'createContainer':[{'path':'true'}]}"),
		   "config.json: hooks.createContainer[0].path: \"true\" must be an absolute path");
	expect_err(CFG("'hooks':{'prestart':[{'path':'/x','env':'A=b'}]}"),
		   "config.json: hooks.prestart[0].env: must be an array, not a string");
	expect_err(CFG("'hooks':{'prestart':['/bin/true']}"),
		   "config.json: hooks.prestart[0]: must be an object");
	expect_err(CFG("'hooks':{'poststart':{}}"),
		   "config.json: hooks.poststart: must be an array, not an object");
	expect_err(CFG("'hooks':[]"), "config.json: hooks: must be an object, not an array");
}

static void test_time_offsets(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX(
		"'namespaces':[{'type':'time'}],"
		"'timeOffsets':{'monotonic':{'secs':10,'nanosecs':5},'boottime':{'secs':-3}}"));
	assert_true(s->lx.monotonic.present);
	assert_int_equal(s->lx.monotonic.secs, 10);
	assert_int_equal(s->lx.monotonic.nanosecs, 5);
	assert_true(s->lx.boottime.present);
	assert_true(s->lx.boottime.secs == -3);
	assert_int_equal(s->lx.boottime.nanosecs, 0);
	ward_spec_free(s);

	s = parse_ok(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'boottime':{}}"));
	assert_false(s->lx.monotonic.present);
	assert_true(s->lx.boottime.present);
	ward_spec_free(s);

	/* An empty timeOffsets sets nothing and needs no time namespace. */
	s = parse_ok(LINUX("'timeOffsets':{}"));
	assert_false(s->lx.monotonic.present);
	ward_spec_free(s);

	expect_err(LINUX("'timeOffsets':{'monotonic':{'secs':1}}"),
		   "config.json: linux.timeOffsets: time offsets need a time namespace");
	expect_err(LINUX("'namespaces':[{'type':'time','path':'/proc/1/ns/time'}],"
			 "'timeOffsets':{'boottime':{'secs':1}}"),
		   "config.json: linux.timeOffsets: time offsets cannot be set when joining an existing "
		   "time namespace");
	expect_err(LINUX("'namespaces':[{'type':'time'}],"
			 "'timeOffsets':{'monotonic':{'nanosecs':1000000000}}"),
		   "config.json: linux.timeOffsets.monotonic.nanosecs: 1000000000 out of range [0, "
		   "999999999]");
	expect_err(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'boottime':{'secs':1.5}}"),
		   "config.json: linux.timeOffsets.boottime.secs: must be an integer, not a number");
	expect_err(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'monotonic':5}"),
		   "config.json: linux.timeOffsets.monotonic: must be an object, not an integer");
	expect_err(LINUX("'timeOffsets':[]"),
		   "config.json: linux.timeOffsets: must be an object, not an array");
}

static void test_personality_and_propagation(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(LINUX("'personality':{'domain':'LINUX32','flags':[]},"
					     "'rootfsPropagation':'rslave','mountLabel':'lbl',"
					     "'cgroupsPath':'/ward/c1','resources':{'pids':{'limit':5}},"
					     "'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'}"));
	assert_true(s->lx.has_personality);
	assert_int_equal(s->lx.personality, PER_LINUX32);
	assert_int_equal(s->lx.rootfs_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(s->lx.mount_label, "lbl");
	assert_string_equal(s->lx.cgroups_path, "/ward/c1");
	/* Borrowed from the document, kept raw for cgroup/ and confine/. */
	assert_ptr_equal(s->lx.resources, json_object_get(json_object_get(s->json, "linux"), "resources"));
	assert_ptr_equal(s->lx.seccomp, json_object_get(json_object_get(s->json, "linux"), "seccomp"));
	ward_spec_free(s);

	s = parse_ok(LINUX("'personality':{'domain':'LINUX'},'rootfsPropagation':'private'"));
	assert_int_equal(s->lx.personality, PER_LINUX);
	assert_int_equal(s->lx.rootfs_propagation, MS_PRIVATE);
	ward_spec_free(s);
	s = parse_ok(LINUX("'rootfsPropagation':''"));
	assert_int_equal(s->lx.rootfs_propagation, 0);
	ward_spec_free(s);

	expect_err(LINUX("'personality':{'domain':'FOO'}"),
		   "config.json: linux.personality.domain: unknown domain \"FOO\" (want LINUX or "
		   "LINUX32)");
	expect_err(LINUX("'personality':{'domain':'linux'}"),
		   "config.json: linux.personality.domain: unknown domain \"linux\" (want LINUX or "
		   "LINUX32)");
	expect_err(LINUX("'personality':{'domain':'LINUX','flags':['ADDR_NO_RANDOMIZE']}"),
		   "config.json: linux.personality.flags: personality flags are not supported");
	expect_err(LINUX("'personality':'LINUX'"),
		   "config.json: linux.personality: must be an object, not a string");
	expect_err(LINUX("'rootfsPropagation':'foo'"),
		   "config.json: linux.rootfsPropagation: unknown propagation \"foo\"");
	expect_err(LINUX("'rootfsPropagation':'RSHARED'"),
		   "config.json: linux.rootfsPropagation: unknown propagation \"RSHARED\"");
}

static void test_annotations(void **state)
{
	(void)state;
	struct ward_spec *s = parse_ok(CFG("'annotations':{'org.example.a':'1','b':''}"));
	assert_non_null(s->annotations);
	assert_ptr_equal(s->annotations, json_object_get(s->json, "annotations"));
	assert_int_equal(json_object_size(s->annotations), 2);
	assert_string_equal(json_string_value(json_object_get(s->annotations, "org.example.a")), "1");
	assert_string_equal(json_string_value(json_object_get(s->annotations, "b")), "");
	ward_spec_free(s);
}

/* ward_process_parse alone, as exec --process uses it. */
static void test_process_parse_alone(void **state)
{
	(void)state;
	json_error_t jerr;
	ward_err err = {0};
	char *js = unit_json("{'user':{'uid':1,'gid':2},'args':['ls','-l'],'cwd':'/w','env':['A=1']}");
	json_t *o = json_loads(js, 0, &jerr);
	free(js);
	assert_non_null(o);
	struct ward_process *p = ward_process_parse(o, "proc.json", "process", &err);
	assert_non_null(p);
	assert_int_equal(p->user.uid, 1);
	assert_int_equal(p->user.gid, 2);
	assert_string_equal(p->args[1], "-l");
	assert_string_equal(p->cwd, "/w");
	ward_process_free(p);
	json_decref(o);

	js = unit_json("{'user':{'uid':1,'gid':2},'args':['ls'],'cwd':'w'}");
	o = json_loads(js, 0, &jerr);
	free(js);
	assert_null(ward_process_parse(o, "proc.json", "process", &err));
	assert_string_equal(err.msg, "proc.json: process.cwd: \"w\" must be an absolute path");
	/* The field prefix is the caller's. */
	assert_null(ward_process_parse(o, "exec", "p", &err));
	assert_string_equal(err.msg, "exec: p.cwd: \"w\" must be an absolute path");
	json_decref(o);

	o = json_object();
	assert_null(ward_process_parse(o, "proc.json", "process", &err));
	assert_string_equal(err.msg, "proc.json: process.user: missing required field");
	json_decref(o);
	ward_process_free(NULL);
}

/* What `ward spec` writes must be what ward accepts, both variants. */
static void test_default_spec_parses(void **state)
{
	(void)state;
	for (int rootless = 0; rootless <= 1; rootless++) {
		json_t *j = ward_spec_default(rootless);
		assert_non_null(j);
		char *text = json_dumps(j, JSON_INDENT(2));
		json_decref(j);
		ward_err err = {0};
		struct ward_spec *s = ward_spec_parse(text, strlen(text), "config.json", &err);
		if (!s)
			fail_msg("ward spec%s: %s", rootless ? " --rootless" : "", err.msg);
		free(text);
		assert_string_equal(s->oci_version, WARD_OCI_VERSION);
		assert_non_null(s->process);
		assert_true(s->process->no_new_privileges);
		assert_true(s->process->caps.present);
		/* Hardened: nothing beyond the usual default set in the bounding set. */
		assert_int_equal(s->process->caps.bounding & (1ULL << 21 /* CAP_SYS_ADMIN */), 0);
		assert_true(s->lx.ns[WARD_NS_PID].present);
		assert_true(s->lx.ns[WARD_NS_MNT].present);
		assert_int_equal(s->lx.ns[WARD_NS_USER].present, rootless);
		if (rootless) {
			assert_int_equal(s->lx.n_uid_mappings, 1);
			assert_int_equal(s->lx.n_gid_mappings, 1);
		}
		assert_true(s->n_mounts > 0);
		for (size_t i = 0; i < s->n_mounts; i++)
			assert_int_equal(s->mounts[i].destination[0], '/');
		assert_non_null(s->lx.masked_paths);
		ward_spec_free(s);
	}
}

/* ward_spec_load reads the file and names it in errors. */
static void test_spec_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/ward-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	ward_err err = {0};
	assert_null(ward_spec_load(path, &err));
	assert_int_equal(err.errnum, ENOENT);
	char want[256];
	snprintf(want, sizeof(want), "open %s", path);
	assert_string_equal(err.msg, want);

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"ociVersion\":\"1.2.0\",\n\"root\":{\"path\":7}}", f);
	fclose(f);
	assert_null(ward_spec_load(path, &err));
	snprintf(want, sizeof(want), "%s: root.path: must be a string, not an integer", path);
	assert_string_equal(err.msg, want);

	f = fopen(path, "w");
	fputs("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"}}\n", f);
	fclose(f);
	struct ward_spec *s = ward_spec_load(path, &err);
	assert_non_null(s);
	assert_string_equal(s->root_path, "r");
	ward_spec_free(s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_process_fields),
		cmocka_unit_test(test_duplicate_member_rejected),
		cmocka_unit_test(test_required_missing),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_umask_validated),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_mount_fold_tmpfs),
		cmocka_unit_test(test_mount_fold_bind),
		cmocka_unit_test(test_mount_rejections),
		cmocka_unit_test(test_mount_unknown_option_named_correctly),
		cmocka_unit_test(test_mount_idmaps),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_rlimits),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_hostname_needs_uts),
		cmocka_unit_test(test_idmaps),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_devices_file_mode_with_type_bits),
		cmocka_unit_test(test_devices_fifo_numbers_validated),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_time_offsets),
		cmocka_unit_test(test_personality_and_propagation),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_process_parse_alone),
		cmocka_unit_test(test_default_spec_parses),
		cmocka_unit_test(test_spec_load),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
