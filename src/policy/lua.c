/* Custom rules in Lua 5.4, sandboxed:
 *   - text chunks only (luaL_loadbufferx mode "t"): crafted bytecode can
 *     crash the interpreter;
 *   - the base, string, table, math and utf8 libraries, without dofile,
 *     loadfile, load, collectgarbage, rawset, pcall/xpcall (a rule must not
 *     catch the limit errors) and string.dump; no io, os, package/require,
 *     debug or coroutine;
 *   - an instruction-count hook and an allocator that refuses to grow past
 *     the rule's memory limit; every Lua call runs in protected mode, so a
 *     limit is an error of the rule, never a crash of ward;
 *   - the config and the context as read-only tables (proxies whose
 *     metatable is locked); setmetatable refuses __gc, so no finalizer runs
 *     after the rule returns.
 * A rule file is a chunk that returns a function(config, ctx) returning nil
 * (allowed), a reason, or a list of reasons or {field = ..., reason = ...}. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HOOK_STEP 1000

struct sandbox {
	size_t used, max;
	long steps, max_steps;
	bool mem_exceeded;
	const struct ward_policy_rule *rule;
	struct ward_rule_ctx *rc;
	json_t *ctx; /* the rule's context, alive while Lua can look at it */
};

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sandbox *sb = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		sb->used -= old;
		return NULL;
	}
	if (nsize > old && sb->used + (nsize - old) > sb->max) {
		sb->mem_exceeded = true;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (p)
		sb->used = sb->used - old + nsize;
	return p;
}

static struct sandbox *sandbox_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
	struct sandbox *sb = sandbox_of(L);
	sb->steps += HOOK_STEP;
	if (sb->steps <= sb->max_steps)
		return;
	/* From now on every instruction fails, wherever it runs. */
	lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		luaL_error(L, "%s:%d: instruction limit of %d exceeded", ar->short_src,
			   ar->currentline, (int)sb->max_steps);
	luaL_error(L, "instruction limit of %d exceeded", (int)sb->max_steps);
}

static int safe_setmetatable(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	int t = lua_type(L, 2);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	if (t == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
		return luaL_error(L, "__gc metamethods are not allowed in policy rules");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

static void sandbox_open(lua_State *L)
{
	static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
					{LUA_TABLIBNAME, luaopen_table},
					{LUA_STRLIBNAME, luaopen_string},
					{LUA_MATHLIBNAME, luaopen_math},
					{LUA_UTF8LIBNAME, luaopen_utf8},
					{NULL, NULL}};
	for (const luaL_Reg *l = libs; l->func; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	static const char *const removed[] = {"dofile", "loadfile", "load", "collectgarbage",
					      "rawset", "pcall", "xpcall", "print", "require"};
	for (size_t i = 0; i < sizeof(removed) / sizeof(*removed); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}
	lua_pushcfunction(L, safe_setmetatable);
	lua_setglobal(L, "setmetatable");
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
}

static int ro_newindex(lua_State *L)
{
	return luaL_error(L, "the config is read-only");
}

/* The config reaches Lua as read-only views of its JSON, each child made
 * when the rule first looks at it (a rule reads a few fields; converting
 * the whole config, seccomp profile and all, would cost more than the
 * rule). A view is an empty table whose locked metatable answers __index,
 * __len and __pairs from the JSON; the JSON outlives the rule's run. */
static void push_value(lua_State *L, json_t *v);

static json_t *view_json(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static json_t *view_child(json_t *j, lua_State *L, int key)
{
	if (json_is_object(j) && lua_type(L, key) == LUA_TSTRING)
		return json_object_get(j, lua_tostring(L, key));
	int isnum = 0;
	lua_Integer i = lua_type(L, key) == LUA_TNUMBER ? lua_tointegerx(L, key, &isnum) : 0;
	if (json_is_array(j) && isnum) {
		if (i >= 1 && (size_t)i <= json_array_size(j))
			return json_array_get(j, (size_t)i - 1);
	}
	return NULL;
}

/* upvalues: the JSON, a cache of the views made (one view per child) */
static int view_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	json_t *child = view_child(view_json(L), L, 2);
	push_value(L, child);
	if (json_is_object(child) || json_is_array(child)) {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, lua_upvalueindex(2));
	}
	return 1;
}

static int view_len(lua_State *L)
{
	json_t *j = view_json(L);
	lua_pushinteger(L, json_is_array(j) ? (lua_Integer)json_array_size(j) : 0);
	return 1;
}

/* next(view, key) over the JSON: array indexes from 1, object keys in order */
static int view_next(lua_State *L)
{
	json_t *j = view_json(L);
	if (json_is_array(j)) {
		lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;
		if (i < 0 || (size_t)i >= json_array_size(j)) {
			lua_pushnil(L);
			return 1;
		}
		lua_pushinteger(L, i + 1);
	} else {
		void *it = lua_isnil(L, 2) ? json_object_iter(j)
		   : lua_type(L, 2) == LUA_TSTRING
			   ? json_object_iter_next(j, json_object_iter_at(j, lua_tostring(L, 2)))
			   : NULL;
		if (!it) {
			lua_pushnil(L);
			return 1;
		}
		lua_pushstring(L, json_object_iter_key(it));
	}
	lua_pushvalue(L, -1);
	lua_gettable(L, 1); /* through __index: the same views */
	return 2;
}

static int view_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushcclosure(L, view_next, 1);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static void push_view(lua_State *L, json_t *j)
{
	luaL_checkstack(L, 8, "config too deep");
	lua_newtable(L);
	lua_createtable(L, 0, 5);
	lua_pushlightuserdata(L, j);
	lua_newtable(L);
	lua_pushcclosure(L, view_index, 2);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ro_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushlightuserdata(L, j);
	lua_pushcclosure(L, view_len, 1);
	lua_setfield(L, -2, "__len");
	lua_pushlightuserdata(L, j);
	lua_pushcclosure(L, view_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushliteral(L, "read-only");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

static void push_value(lua_State *L, json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		push_view(L, v);
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(v));
		break;
	default:
		lua_pushnil(L);
	}
}

static json_t *context_json(const struct ward_rule_ctx *rc)
{
	const struct ward_policy_input *in = rc->in;
	const struct ward_policy_facts *f = in->facts;
	json_t *binds = json_array();
	for (size_t i = 0; f && i < f->n_mounts; i++)
		json_array_append_new(binds, f->bind_real[i] ? json_string(f->bind_real[i])
							     : json_false());
	json_t *ctx = json_pack("{s:s, s:s, s:I, s:b, s:o}", "op", ward_policy_op_name(in->op), "id",
				in->id ? in->id : "", "callerUid",
				(json_int_t)(f ? f->caller_uid : 0), "rootless", f && f->rootless,
				"bindSources", binds);
	if (in->process_json)
		json_object_set(ctx, "process", in->process_json);
	if (in->resources)
		json_object_set(ctx, "resources", in->resources);
	return ctx;
}

static void collect_one(lua_State *L, struct ward_rule_ctx *rc)
{
	if (lua_type(L, -1) == LUA_TSTRING) {
		ward_rule_report(rc, NULL, "%s", lua_tostring(L, -1));
		return;
	}
	if (lua_type(L, -1) != LUA_TTABLE ||
	    lua_getfield(L, -1, "reason") != LUA_TSTRING)
		luaL_error(L, "the rule returned a finding that is neither a string nor "
			      "{field = ..., reason = ...}");
	const char *reason = lua_tostring(L, -1);
	lua_getfield(L, -2, "field");
	const char *field = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	ward_rule_report(rc, field, "%s", reason);
	lua_pop(L, 2);
}

static void collect(lua_State *L, struct ward_rule_ctx *rc)
{
	int t = lua_type(L, -1);
	if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
		return;
	if (t == LUA_TSTRING) {
		collect_one(L, rc);
		return;
	}
	if (t != LUA_TTABLE)
		luaL_error(L, "the rule must return nil, a reason or a list of findings (got %s)",
			   luaL_typename(L, -1));
	lua_Integer n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, -1, i);
		collect_one(L, rc);
		lua_pop(L, 1);
	}
}

/* Everything that touches Lua runs here, under lua_pcall. */
static int protected_main(lua_State *L)
{
	struct sandbox *sb = lua_touserdata(L, 1);
	const struct ward_policy_rule *r = sb->rule;
	sandbox_open(L);
	lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
	char chunkname[4200];
	snprintf(chunkname, sizeof(chunkname), "@%s", r->source_name);
	if (luaL_loadbufferx(L, r->source, r->source_len, chunkname, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 1);
	if (lua_type(L, -1) != LUA_TFUNCTION)
		return luaL_error(L, "%s: the chunk must return the rule, a function(config, ctx)",
				  r->source_name);
	push_value(L, sb->rc->in->spec->json);
	push_value(L, sb->ctx);
	lua_call(L, 2, 1);
	collect(L, sb->rc);
	return 0;
}

static int lua_run_sandboxed(const struct ward_policy_rule *r, struct ward_rule_ctx *rc,
			     ward_err *err)
{
	struct sandbox sb = {
		.max = (size_t)r->max_memory, .max_steps = r->max_instructions, .rule = r, .rc = rc};
	lua_State *L = lua_newstate(sb_alloc, &sb);
	if (!L)
		return ward_err_sys(err, ENOMEM, "%s: cannot start Lua", r->source_name);
	sb.ctx = context_json(rc);
	lua_pushcfunction(L, protected_main);
	lua_pushlightuserdata(L, &sb);
	int st = lua_pcall(L, 1, 0, 0);
	int ret = 0;
	if (st != LUA_OK) {
		const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
		if (sb.mem_exceeded)
			ret = ward_err_set(err, "%s: memory limit of %ld bytes exceeded (%s)",
					   r->source_name, r->max_memory, msg);
		else
			ret = ward_err_set(err, "%s", msg);
	}
	lua_close(L);
	json_decref(sb.ctx);
	return ret;
}

/* At load: compile only (syntax errors name the file and line then); the
 * chunk runs, sandboxed, when the rule does. */
static int lua_check(const struct ward_policy_rule *r, ward_err *err)
{
	struct sandbox sb = {.max = (size_t)r->max_memory, .rule = r};
	lua_State *L = lua_newstate(sb_alloc, &sb);
	if (!L)
		return ward_err_sys(err, ENOMEM, "%s: cannot start Lua", r->source_name);
	char chunkname[4200];
	snprintf(chunkname, sizeof(chunkname), "@%s", r->source_name);
	int ret = 0;
	/* lua_load runs in protected mode: a memory error is returned, too */
	if (luaL_loadbufferx(L, r->source, r->source_len, chunkname, "t") != LUA_OK)
		ret = ward_err_set(err, "%s", lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
									: "cannot load");
	lua_close(L);
	return ret;
}

static int lua_run(const struct ward_policy_rule *r, struct ward_rule_ctx *rc, ward_err *err)
{
	return lua_run_sandboxed(r, rc, err);
}

const struct ward_policy_engine ward_policy_engine_lua = {
	.name = "lua",
	.file_key = "lua",
	.source_key = "luaSource",
	.check = lua_check,
	.run = lua_run,
};
