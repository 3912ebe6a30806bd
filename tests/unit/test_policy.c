/* The admission policy's pure parts: policy files, the built-in rules on
 * hand-made facts, exemptions and the namespace trust, layers, Lua rules
 * and their sandbox, and SHA-256. */
#include "unit.h"

#include <stdio.h>

#include "policy/internal.h"
#include "policy/policy.h"
#include "util/sha256.h"

static struct ward_spec *spec_of(const char *tmpl)
{
	char *text = unit_json(tmpl);
	ward_err e = {0};
	struct ward_spec *s = ward_spec_parse(text, strlen(text), "config.json", &e);
	if (!s)
		fail_msg("%s", e.msg);
	free(text);
	return s;
}

/* A config ward spec would write (near enough), for the rules to judge. */
#define BASE_SPEC                                                                                  \
	"{'ociVersion': '1.0.2', 'root': {'path': 'rootfs', 'readonly': true},"                    \
	" 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 0, 'gid': 0},"                   \
	"  'noNewPrivileges': true, 'capabilities': {'bounding': ['CAP_CHOWN', 'CAP_KILL'],"      \
	"  'effective': ['CAP_CHOWN'], 'permitted': ['CAP_CHOWN']}},"                              \
	" 'mounts': [{'destination': '/proc', 'type': 'proc', 'source': 'proc'}, %s"               \
	"  {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs', 'options': ['ro']}],"       \
	" 'linux': {'namespaces': [{'type': 'pid'}, {'type': 'network'}, {'type': 'ipc'},"         \
	"  {'type': 'uts'}, {'type': 'mount'}],"                                                  \
	"  'maskedPaths': ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',"     \
	"   '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',"          \
	"   '/sys/firmware'],"                                                                     \
	"  'readonlyPaths': ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys',"                  \
	"   '/proc/sysrq-trigger'],"                                                               \
	"  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO'} %s}}"

struct fixture {
	struct ward_spec *spec;
	struct ward_policy_facts facts;
	struct ward_policy policy;
	struct ward_policy_decision d;
	char *bind[4];
};

static void facts_default(struct fixture *fx)
{
	memset(&fx->facts, 0, sizeof(fx->facts));
	for (int t = 0; t < WARD_NS_COUNT; t++)
		fx->facts.ns[t] = fx->spec->lx.ns[t].present ? WARD_NSF_NEW : WARD_NSF_ABSENT;
	fx->facts.host_caps = (1ULL << 41) - 1;
	fx->facts.n_mounts = fx->spec->n_mounts;
	fx->facts.bind_real = fx->bind;
	static int no_errno[8];
	fx->facts.bind_errno = no_errno;
	fx->facts.caller_uid = 0;
}

static void spec_with(struct fixture *fx, const char *mounts, const char *linux_extra)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), BASE_SPEC, mounts ? mounts : "", linux_extra ? linux_extra : "");
	memset(fx, 0, sizeof(*fx));
	fx->spec = spec_of(buf);
	facts_default(fx);
}

static void add_layer(struct fixture *fx, const char *tmpl, bool system)
{
	char *text = unit_json(tmpl);
	struct ward_policy_layer l;
	ward_err e = {0};
	if (ward_policy_layer_parse(&l, text, strlen(text), system ? "/etc/ward/policy.json" : "x.json",
				    system, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(ward_policy_add_layer(&fx->policy, &l, &e), 0);
	free(text);
}

static int decide(struct fixture *fx, enum ward_policy_op op, const char *id)
{
	struct ward_policy_input in = {.op = op, .id = id, .spec = fx->spec,
				       .process = fx->spec->process, .facts = &fx->facts};
	ward_err e = {0};
	ward_policy_decision_release(&fx->d);
	int r = ward_policy_decide(&fx->policy, &in, &fx->d, &e);
	if (r < 0)
		print_message("decide: %s\n", e.msg);
	return r;
}

static const struct ward_policy_finding *finding(struct fixture *fx, const char *rule)
{
	for (size_t i = 0; i < fx->d.n; i++)
		if (strcmp(fx->d.findings[i].rule, rule) == 0)
			return &fx->d.findings[i];
	return NULL;
}

static void fixture_release(struct fixture *fx)
{
	ward_policy_decision_release(&fx->d);
	ward_policy_release(&fx->policy);
	ward_spec_free(fx->spec);
}

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	ward_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ward_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	ward_sha256_hex(two, strlen(two), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_baseline_admits_the_hardened_default(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	add_layer(&fx, "{'level': 'baseline'}", true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_false(fx.d.denied);
	assert_int_equal(fx.d.n, 0);
	fixture_release(&fx);
}

static void test_host_namespaces(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	add_layer(&fx, "{'level': 'baseline'}", true);
	fx.facts.ns[WARD_NS_PID] = WARD_NSF_ABSENT;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	ward_err e = {0};
	ward_policy_denial_message(&fx.d, &e);
	assert_string_equal(e.msg, "policy baseline/host-namespaces: linux.namespaces: no \"pid\" "
				   "namespace (the container would share the host's pid namespace)");
	/* joined by a path: judged by what it is */
	fx.facts.ns[WARD_NS_PID] = WARD_NSF_JOINED;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_false(fx.d.denied);
	fx.facts.ns[WARD_NS_NET] = WARD_NSF_UNKNOWN;
	fx.facts.ns_errno[WARD_NS_NET] = 2;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied); /* unknown is not allowed */
	/* the user namespace is not one of PSS's host namespaces */
	fx.facts.ns[WARD_NS_NET] = WARD_NSF_NEW;
	fx.facts.ns[WARD_NS_USER] = WARD_NSF_HOST;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_false(fx.d.denied);
	fixture_release(&fx);
}

static void test_capabilities_and_audit_control(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	fx.spec->process->caps.ambient |= 1ULL << 21; /* CAP_SYS_ADMIN */
	add_layer(&fx, "{'level': 'baseline'}", true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	const struct ward_policy_finding *f = finding(&fx, "capabilities");
	assert_non_null(f);
	assert_string_equal(f->field, "process.capabilities.ambient");
	assert_non_null(strstr(f->reason, "CAP_SYS_ADMIN"));
	/* CAP_AUDIT_CONTROL: its own rule, at every level, never exempted */
	fx.spec->process->caps.ambient = 1ULL << 30;
	ward_policy_release(&fx.policy);
	add_layer(&fx, "{'level': 'privileged', 'exemptions': [{'ids': ['*']}]}", true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	assert_non_null(finding(&fx, "audit-control"));
	assert_null(finding(&fx, "capabilities"));
	/* restricted: NET_BIND_SERVICE only; exec judged on the new process */
	ward_policy_release(&fx.policy);
	fx.spec->process->caps.ambient = 0;
	add_layer(&fx, "{'level': 'restricted'}", true);
	assert_int_equal(decide(&fx, WARD_POP_EXEC, "c1"), 0);
	f = finding(&fx, "capabilities");
	assert_non_null(f);
	assert_string_equal(f->origin, "restricted");
	assert_string_equal(f->field, "process (exec).capabilities.bounding");
	assert_null(finding(&fx, "seccomp")); /* not an exec's business */
	fixture_release(&fx);
	/* an exec no stronger than its container (exec-escalation, baseline) */
	spec_with(&fx, NULL, NULL);
	add_layer(&fx, "{'level': 'baseline'}", true);
	struct ward_process exec_p = *fx.spec->process;
	exec_p.caps.bounding |= 1ULL << 7; /* CAP_SETUID: baseline's, not the container's */
	exec_p.no_new_privileges = false;
	struct ward_policy_input in = {.op = WARD_POP_EXEC, .id = "c1", .spec = fx.spec,
				       .process = &exec_p, .facts = &fx.facts};
	ward_err e = {0};
	assert_int_equal(ward_policy_decide(&fx.policy, &in, &fx.d, &e), 0);
	assert_null(finding(&fx, "capabilities"));
	size_t esc = 0;
	for (size_t i = 0; i < fx.d.n; i++)
		esc += strcmp(fx.d.findings[i].rule, "exec-escalation") == 0;
	assert_int_equal(esc, 2); /* CAP_KILL, no_new_privs */
	in.process = fx.spec->process;
	ward_policy_decision_release(&fx.d);
	assert_int_equal(ward_policy_decide(&fx.policy, &in, &fx.d, &e), 0);
	assert_false(fx.d.denied);
	fixture_release(&fx);
}

static void test_host_paths(void **state)
{
	(void)state;
	static const struct {
		const char *real;
		const char *want; /* substring of the reason, or NULL: allowed */
	} cases[] = {
		{"/", "/ is the host's /"},
		{"/etc/shadow", "inside the host's /etc"},
		{"/var", "holds the host's /var/lib/kubelet"},
		{"/home/u/.docker/run/docker.sock", "engine's socket"},
		{"/var/lib/kubelet/pods/x/volumes/kubernetes.io~empty-dir/v", NULL},
		{"/var/lib/kubelet/config.yaml", "inside the host's /var/lib/kubelet"},
		{"/srv/data", NULL},
		{"/srv/state/ward/c1", "inside the host's /srv/state"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fixture fx;
		spec_with(&fx, "{'destination': '/x', 'type': 'bind', 'source': '/s', 'options': "
			       "['rbind']},",
			  NULL);
		fx.bind[1] = (char *)cases[i].real;
		fx.facts.state_root = "/srv/state";
		add_layer(&fx, "{'level': 'baseline'}", true);
		assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
		const struct ward_policy_finding *f = finding(&fx, "host-paths");
		if (!cases[i].want) {
			assert_null(f);
		} else {
			assert_non_null(f);
			assert_string_equal(f->field, "mounts[1].source");
			if (!strstr(f->reason, cases[i].want))
				fail_msg("%s: %s", cases[i].real, f->reason);
		}
		fixture_release(&fx);
	}
}

static void test_seccomp_sysctls_devices(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL,
		  ", 'sysctl': {'net.ipv4.ping_group_range': '0 0', 'kernel.msgmax': '1'},"
		  " 'devices': [{'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0},"
		  "  {'path': '/dev/port', 'type': 'c', 'major': 1, 'minor': 4},"
		  "  {'path': '/dev/null2', 'type': 'c', 'major': 1, 'minor': 3}]");
	add_layer(&fx, "{'level': 'baseline'}", true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	const struct ward_policy_finding *f = finding(&fx, "sysctls");
	assert_non_null(f);
	assert_string_equal(f->field, "linux.sysctl.kernel.msgmax"); /* the other is safe */
	size_t devices = 0;
	for (size_t i = 0; i < fx.d.n; i++)
		devices += strcmp(fx.d.findings[i].rule, "devices") == 0;
	assert_int_equal(devices, 2);
	assert_null(finding(&fx, "seccomp"));
	fixture_release(&fx);
	spec_with(&fx, NULL, NULL);
	json_object_set_new(fx.spec->lx.seccomp, "defaultAction", json_string("SCMP_ACT_ALLOW"));
	add_layer(&fx, "{'level': 'baseline'}", true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_non_null(finding(&fx, "seccomp"));
	fixture_release(&fx);
}

static void test_restricted_uid(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	add_layer(&fx, "{'level': 'restricted'}", true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_non_null(finding(&fx, "run-as-non-root"));
	assert_non_null(finding(&fx, "user-namespace"));
	/* a user namespace joined by path whose map is known and unprivileged */
	fx.spec->lx.ns[WARD_NS_USER].present = true;
	fx.spec->lx.ns[WARD_NS_USER].path = strdup("/proc/7/ns/user");
	fx.facts.ns[WARD_NS_USER] = WARD_NSF_JOINED;
	struct ward_id_map m = {0, 100000, 65536};
	fx.facts.join_user_map_known = true;
	fx.facts.join_uid_map = &m;
	fx.facts.n_join_uid_map = 1;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_null(finding(&fx, "run-as-non-root"));
	assert_null(finding(&fx, "user-namespace"));
	m.host_id = 0;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_non_null(finding(&fx, "run-as-non-root"));
	fixture_release(&fx);
}

static void test_layers_only_restrict(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	json_object_set_new(fx.spec->lx.seccomp, "defaultAction", json_string("SCMP_ACT_ALLOW"));
	add_layer(&fx, "{'level': 'baseline'}", true);
	add_layer(&fx, "{'level': 'privileged', 'mode': 'audit', 'rules': {'seccomp': {'mode': "
		       "'off'}}, 'exemptions': [{'ids': ['*']}]}",
		  false);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	assert_int_equal(fx.d.findings[0].layer, 0);
	/* and an added layer does add */
	ward_policy_release(&fx.policy);
	add_layer(&fx, "{'level': 'privileged'}", true);
	add_layer(&fx, "{'level': 'baseline', 'mode': 'warn', 'rules': {'seccomp': {'mode': "
		       "'enforce'}}}",
		  false);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	fixture_release(&fx);
}

static void test_modes_order(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	json_object_set_new(fx.spec->lx.seccomp, "defaultAction", json_string("SCMP_ACT_ALLOW"));
	fx.facts.ns[WARD_NS_IPC] = WARD_NSF_ABSENT;
	add_layer(&fx, "{'level': 'baseline', 'rules': {'host-namespaces': {'mode': 'warn'},"
		       " 'seccomp': {'mode': 'audit'}}}",
		  true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_false(fx.d.denied);
	assert_int_equal(fx.d.n, 2);
	assert_int_equal(fx.d.findings[0].mode, WARD_PMODE_WARN);
	assert_int_equal(fx.d.findings[1].mode, WARD_PMODE_AUDIT);
	fixture_release(&fx);
}

static void test_exemptions_and_namespace_trust(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	json_object_set_new(fx.spec->lx.seccomp, "defaultAction", json_string("SCMP_ACT_ALLOW"));
	fx.spec->annotations = json_pack("{s:s}", "io.kubernetes.cri.sandbox-namespace",
					 "kube-system");
	json_object_set_new(fx.spec->json, "annotations", fx.spec->annotations);
	add_layer(&fx, "{'level': 'baseline', 'exemptions': [{'namespaces': ['kube-system']}]}",
		  true);
	/* the claim from anyone but containerd's shim in k8s.io: not trusted */
	char *argv[] = {"containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "x", NULL};
	char *argv_moby[] = {"containerd-shim-runc-v2", "-namespace", "moby", NULL};
	fx.facts.caller_exe = "/usr/bin/conmon";
	fx.facts.caller_argv = argv;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	fx.facts.caller_exe = "/usr/bin/containerd-shim-runc-v2";
	fx.facts.caller_argv = argv_moby; /* docker's containerd namespace */
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	fx.facts.caller_argv = argv;
	fx.facts.rootless = true;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_true(fx.d.denied);
	fx.facts.rootless = false;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "c1"), 0);
	assert_false(fx.d.denied);
	assert_true(fx.d.findings[0].exempt);
	/* by id pattern and by uid, limited to named rules */
	ward_policy_release(&fx.policy);
	add_layer(&fx, "{'level': 'baseline', 'exemptions': [{'ids': ['infra-*'], 'uids': [0],"
		       " 'rules': ['seccomp']}]}",
		  true);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "infra-1"), 0);
	assert_false(fx.d.denied);
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "web-1"), 0);
	assert_true(fx.d.denied);
	fx.facts.caller_uid = 1000;
	assert_int_equal(decide(&fx, WARD_POP_CREATE, "infra-1"), 0);
	assert_true(fx.d.denied);
	fx.facts.caller_exe = NULL;
	fx.facts.caller_argv = NULL;
	fixture_release(&fx);
}

static void parse_fails(const char *tmpl, const char *want)
{
	char *text = unit_json(tmpl);
	for (char *p = text; *p; p++)
		if (*p == '|')
			*p = '\n';
	struct ward_policy_layer l;
	ward_err e = {0};
	assert_int_equal(ward_policy_layer_parse(&l, text, strlen(text), "p.json", false, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("want \"%s\" in \"%s\"", want, e.msg);
	free(text);
}

static void test_file_errors_name_the_line(void **state)
{
	(void)state;
	parse_fails("{'level': 'baseline',|'rules': {|'nope': {}}}",
		    "p.json:3: rules.nope: unknown rule");
	parse_fails("{'level': 'strict'}", "p.json:1: level: unknown level \"strict\"");
	parse_fails("{'level': 'baseline',|'mode': 'loud'}", "p.json:2: mode: must be one of");
	parse_fails("{|'rules': {'seccomp': {'mode': 'warn', 'strict': true}}}",
		    "p.json:2: rules.seccomp.strict: unknown parameter");
	parse_fails("{'rules': {'capabilities': {'allowed': ['CAP_AUDIT_CONTROL']}}}",
		    "CAP_AUDIT_CONTROL can never be allowed");
	parse_fails("{'rules': {'x': {'rego': 'x.rego'}}}", "Rego are not supported");
	parse_fails("{'exemptions': [{'rules': ['seccomp']}]}", "names nothing to match");
	parse_fails("{'level': 'baseline',|'nonsense': 1}", "p.json:2: nonsense: unknown key");
	parse_fails("{'rules': {'r': {'luaSource': 'return 1 +'}}}", "rules.r:1:");
	parse_fails("{'level': 'baseline', ", "p.json:1:");
}

static int lua_decide(const char *src, long max_ins, long max_mem, struct fixture *fx,
		      char *msg, size_t msglen)
{
	spec_with(fx, NULL, NULL);
	json_t *rules = json_pack("{s:{s:s, s:{s:I, s:I}}}", "r", "luaSource", src, "limits",
				  "instructions", (json_int_t)max_ins, "memory", (json_int_t)max_mem);
	json_t *top = json_pack("{s:o}", "rules", rules);
	char *text = json_dumps(top, 0);
	json_decref(top);
	struct ward_policy_layer l;
	ward_err e = {0};
	int r = ward_policy_layer_parse(&l, text, strlen(text), "p.json", false, &e);
	free(text);
	if (r == 0) {
		ward_policy_add_layer(&fx->policy, &l, &e);
		struct ward_policy_input in = {.op = WARD_POP_CREATE, .id = "c1", .spec = fx->spec,
					       .process = fx->spec->process, .facts = &fx->facts};
		r = ward_policy_decide(&fx->policy, &in, &fx->d, &e);
	}
	snprintf(msg, msglen, "%s", e.msg);
	return r;
}

static void test_lua_rules(void **state)
{
	(void)state;
	struct fixture fx;
	char msg[1024];
	assert_int_equal(lua_decide("return function(c, ctx)\n"
				    "  if c.process.args[1] == 'sh' and #c.mounts == 2 and ctx.op == "
				    "'create' then\n"
				    "    return {{field = 'process.args', reason = 'no shells'}, 'and "
				    "more'}\n  end\nend",
				    100000, 1 << 20, &fx, msg, sizeof(msg)),
			 0);
	assert_true(fx.d.denied);
	assert_int_equal(fx.d.n, 2);
	assert_string_equal(fx.d.findings[0].origin, "lua");
	assert_string_equal(fx.d.findings[0].field, "process.args");
	assert_string_equal(fx.d.findings[0].reason, "no shells");
	fixture_release(&fx);
	/* pairs and ipairs see the read-only tables */
	assert_int_equal(lua_decide("return function(c)\n local n = 0\n"
				    " for _, m in ipairs(c.mounts) do n = n + 1 end\n"
				    " for k in pairs(c.process) do n = n + 1 end\n"
				    " if n ~= 2 + 5 then return 'saw ' .. n end\n"
				    " if c.mounts ~= c.mounts or #c.process.args ~= 1 then return 'views' end\n"
				    " if c.linux.namespaces[5].type ~= 'mount' or c.nope ~= nil then return 'idx' end\n"
				    " if c.mounts[0] ~= nil or c.mounts[1.0].type ~= 'proc' then return 'arr' end\n"
				    "end",
				    100000, 1 << 20, &fx, msg, sizeof(msg)),
			 0);
	assert_false(fx.d.denied);
	fixture_release(&fx);
	static const struct {
		const char *src, *want;
	} bad[] = {
		{"return function(c) while true do end end", "instruction limit of 100000"},
		{"return function(c) local t = {} for i = 1, 1e8 do t[i] = i end end",
		 "memory limit"},
		{"return function(c) c.process.args[1] = 'x' end", "read-only"},
		{"return function(c) return os.getenv('HOME') end", "global 'os'"},
		{"return function(c) return io.open('/etc/passwd') end", "global 'io'"},
		{"return function(c) return require('os') end", "global 'require'"},
		{"return function(c) return load('return 1')() end", "global 'load'"},
		{"return function(c) return string.dump(print) end", "field 'dump'"},
		{"return function(c) return pcall(error) end", "global 'pcall'"},
		{"return function(c) setmetatable({}, {__gc = function() end}) end", "__gc"},
		{"return function(c) setmetatable(c, nil) end", "protected metatable"},
		{"return function(c) return 42 end", "must return nil"},
		{"\033Lua", "binary chunk"},
		{"return 42", "must return the rule"},
		{"while true do end", "instruction limit"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(lua_decide(bad[i].src, 100000, 1 << 20, &fx, msg, sizeof(msg)), -1);
		if (!strstr(msg, bad[i].want))
			fail_msg("%s: want \"%s\" in \"%s\"", bad[i].src, bad[i].want, msg);
		fixture_release(&fx);
	}
}

static void test_describe_expands_levels(void **state)
{
	(void)state;
	struct fixture fx;
	spec_with(&fx, NULL, NULL);
	add_layer(&fx, "{'level': 'restricted', 'mode': 'warn'}", true);
	json_t *j = ward_policy_describe(&fx.policy);
	json_t *rules = json_object_get(json_array_get(json_object_get(j, "layers"), 0), "rules");
	for (const char *const *n = ward_policy_rule_names(); *n; n++)
		assert_non_null(json_object_get(rules, *n));
	assert_string_equal(json_string_value(json_object_get(json_object_get(rules, "no-new-privs"),
							      "mode")),
			    "warn");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(rules, "audit-control"), "mode")),
			    "enforce");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(rules, "resource-limits"), "mode")),
			    "off");
	json_decref(j);
	fixture_release(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_baseline_admits_the_hardened_default),
		cmocka_unit_test(test_host_namespaces),
		cmocka_unit_test(test_capabilities_and_audit_control),
		cmocka_unit_test(test_host_paths),
		cmocka_unit_test(test_seccomp_sysctls_devices),
		cmocka_unit_test(test_restricted_uid),
		cmocka_unit_test(test_layers_only_restrict),
		cmocka_unit_test(test_modes_order),
		cmocka_unit_test(test_exemptions_and_namespace_trust),
		cmocka_unit_test(test_file_errors_name_the_line),
		cmocka_unit_test(test_lua_rules),
		cmocka_unit_test(test_describe_expands_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
