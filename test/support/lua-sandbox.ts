/**
 * Runs Lua the way Argo CD v3.4.4 runs an argocd-cm health check (util/lua/lua.go `runLuaWithResourceActionParameters`
 * and `ExecuteHealthLua`, at tag v3.4.4): a fresh gopher-lua state without the standard libraries (no
 * useOpenLibs), then `package`, the base library and `table`, and `os` ONLY as a preloaded module. That loop
 * also calls `OpenSafeOs` (util/lua/oslib_safe.go), but it registers its two functions under the table
 * library's name (`RegisterModule(lua.TabLibName, ...)`), and gopher-lua's RegisterModule (auxlib.go, v1.1.1)
 * returns the already-loaded `table` module untouched: so there is no global `os` and `table` gains nothing.
 * `l.PreloadModule(lua.OsLibName, SafeOsLoader)` is what makes `local os = require("os")` return a table with
 * exactly `time` and `date`. No `string`, no `math`, so strings have no methods either. The object goes in as
 * the global `obj`; Argo CD reads the value on top of the stack after the chunk ran (`l.Get(-1)`), i.e. the
 * script's last return value. A script error becomes a thrown JS error so a test fails loudly instead of quietly
 * reading as "not Healthy".
 *
 * The VM here is Lua 5.3 (fengari) and Argo CD's is gopher-lua (Lua 5.1), so the sandbox offers no more than
 * gopher-lua does: what only 5.2+ has is removed (rawlen, table.move/pack/unpack, package.searchpath), and
 * `require` searches only package.preload (gopher-lua would also search package.path on the Argo CD server's
 * disk, which no health check can count on). Lua 5.1-only globals (unpack, loadstring, module, getfenv,
 * setfenv) stay absent: a script using them fails here, never the other way round.
 */
// fengari: a Lua 5.3 VM in pure JS, so no native build, and it lets us open only the libraries Argo CD opens.
import { lauxlib, lua, lualib, to_luastring, type LuaState } from "fengari";

/** The statuses Argo CD accepts from a script; anything else it turns into Unknown. */
export const HEALTH_STATUS_CODES = [
  "Healthy",
  "Progressing",
  "Degraded",
  "Suspended",
  "Missing",
  "Unknown",
] as const;
export type HealthStatusCode = (typeof HEALTH_STATUS_CODES)[number];

export interface HealthStatus {
  status: HealthStatusCode;
  message: string;
  /** What Argo CD v3.6 and later show for an object being deleted; absent when the script sets none. */
  deletionMessage?: string;
}

export interface SandboxOptions {
  /**
   * Push every number as a float, as gopher-lua (Argo CD's VM) holds them. Off by default: then whole numbers
   * go in as Lua integers, which is how they read in gopher-lua (`.. 3` gives "3", not Lua 5.3's "3.0").
   */
  floatNumbers?: boolean;
  /** Argo CD cancels a script after one second. */
  timeoutMs?: number;
  /** Shown in error messages. */
  chunkName?: string;
}

/** A script that failed to load or run: in Argo CD the resource would show as Unknown. */
export class LuaScriptError extends Error {
  override name = "LuaScriptError";
}

// fengari's integers are 32-bit; a whole number outside that range has to go in as a float.
const LUA_MIN_INTEGER = -2147483648;
const LUA_MAX_INTEGER = 2147483647;
const MAX_DEPTH = 100;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v));

/**
 * gopher-lua's `SafeOsLoader` (util/lua/oslib_safe.go): a new table holding only `time` and `date`. Built from
 * fengari's os library, of which the rest is dropped.
 */
const safeOsLoader = (L: LuaState): number => {
  lua.lua_pushcfunction(L, lualib.luaopen_os);
  lua.lua_call(L, 0, 1);
  lua.lua_createtable(L, 0, 2);
  for (const name of ["time", "date"]) {
    lua.lua_getfield(L, -2, to_luastring(name));
    lua.lua_setfield(L, -2, to_luastring(name));
  }
  return 1;
};

/**
 * Shapes Lua 5.3's libraries into gopher-lua's (Lua 5.1) surface: drops what 5.1 lacks, adds table.getn and
 * table.maxn (gopher-lua tablelib.go), reports 5.1, and lets `require` look only in package.preload.
 */
const GOPHER_LUA_SURFACE = `
rawlen = nil
_VERSION = "Lua 5.1"
table.move, table.pack, table.unpack = nil, nil, nil
table.getn = function(list) return #list end
table.maxn = function(list)
  local n = 0
  for k in pairs(list) do
    if type(k) == "number" and k > n then n = k end
  end
  return n
end
package.searchpath, package.jspath = nil, nil
package.searchers = { package.searchers[1] }
`;

/** Opens what Argo CD opens for an argocd-cm script without useOpenLibs, in the order lua.go opens it. */
function openArgoLibraries(L: LuaState): void {
  // lua.go: LoadLibName/OpenPackage, BaseLibName/OpenBase, TabLibName/OpenTable. (gopher-lua's base library
  // also defines the global `require`; fengari's package library does.)
  lauxlib.luaL_requiref(L, to_luastring("package"), lualib.luaopen_package, 1);
  lauxlib.luaL_requiref(L, to_luastring("_G"), lualib.luaopen_base, 1);
  lauxlib.luaL_requiref(L, to_luastring("table"), lualib.luaopen_table, 1);
  lua.lua_settop(L, 0);
  // lua.go: {lua.OsLibName, OpenSafeOs} is a no-op here (see the header): nothing to open.
  // lua.go: l.PreloadModule(lua.OsLibName, SafeOsLoader), i.e. package.preload.os.
  lua.lua_getglobal(L, to_luastring("package"));
  lua.lua_getfield(L, -1, to_luastring("preload"));
  lua.lua_pushcfunction(L, safeOsLoader);
  lua.lua_setfield(L, -2, to_luastring("os"));
  lua.lua_settop(L, 0);
  const surface = to_luastring(GOPHER_LUA_SURFACE);
  if (
    lauxlib.luaL_loadbufferx(L, surface, surface.length, to_luastring("=sandbox"), to_luastring("t")) !==
    lua.LUA_OK
  ) {
    throw new Error(`sandbox setup does not compile: ${errorText(L)}`);
  }
  lua.lua_call(L, 0, 0);
}

/**
 * Pushes a JSON-shaped JS value the way Argo CD's decodeValue does: arrays become 1-based sequences (null
 * items dropped, as gopher-lua's Append drops nil), objects become string-keyed tables, null and undefined
 * are absent.
 */
function pushValue(L: LuaState, value: unknown, floatNumbers: boolean, depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError("value nested too deeply to pass to Lua");
  if (!lua.lua_checkstack(L, 4)) throw new Error("Lua stack exhausted");
  if (value === null || value === undefined) {
    lua.lua_pushnil(L);
  } else if (typeof value === "boolean") {
    lua.lua_pushboolean(L, value);
  } else if (typeof value === "number") {
    const asInteger =
      !floatNumbers && Number.isInteger(value) && value >= LUA_MIN_INTEGER && value <= LUA_MAX_INTEGER;
    if (asInteger) lua.lua_pushinteger(L, value);
    else lua.lua_pushnumber(L, value);
  } else if (typeof value === "string") {
    lua.lua_pushstring(L, to_luastring(value));
  } else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    let n = 0;
    for (const item of value) {
      if (item === null || item === undefined) continue;
      pushValue(L, item, floatNumbers, depth + 1);
      lua.lua_rawseti(L, -2, ++n);
    }
  } else if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      lua.lua_pushstring(L, to_luastring(key));
      pushValue(L, item, floatNumbers, depth + 1);
      lua.lua_rawset(L, -3);
    }
  } else {
    throw new TypeError(`cannot pass a ${typeof value} (${String(value)}) to Lua`);
  }
}

/** Reads a Lua value back: tables keyed 1..n become arrays, other tables objects. */
function toJs(L: LuaState, index: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new LuaScriptError("Lua value nested too deeply (a cycle?)");
  const idx = lua.lua_absindex(L, index);
  const type = lua.lua_type(L, idx);
  if (type === lua.LUA_TNIL) return undefined;
  if (type === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx);
  if (type === lua.LUA_TNUMBER) return lua.lua_tonumber(L, idx);
  if (type === lua.LUA_TSTRING) return lua.lua_tojsstring(L, idx);
  if (type !== lua.LUA_TTABLE) {
    throw new LuaScriptError(`cannot read a Lua ${typeName(L, type)} back into JS`);
  }
  const entries: [string | number, unknown][] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    const keyType = lua.lua_type(L, -2);
    const key = keyType === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : lua.lua_tojsstring(L, -2);
    entries.push([key, toJs(L, -1, depth + 1)]);
    lua.lua_pop(L, 1);
  }
  const isSequence =
    entries.length > 0 &&
    entries.every(([k]) => typeof k === "number") &&
    entries.map(([k]) => k as number).every((k) => Number.isInteger(k) && k >= 1 && k <= entries.length);
  if (isSequence) {
    const list: unknown[] = new Array(entries.length);
    for (const [k, v] of entries) list[(k as number) - 1] = v;
    return list;
  }
  return Object.fromEntries(entries.map(([k, v]) => [String(k), v]));
}

function typeName(L: LuaState, type: number): string {
  return new TextDecoder().decode(lua.lua_typename(L, type));
}

/** The error value on top of the stack as text, whatever its type. */
function errorText(L: LuaState): string {
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) return lua.lua_tojsstring(L, -1);
  lauxlib.luaL_tolstring(L, -1);
  return lua.lua_tojsstring(L, -1);
}

/**
 * Runs `script` in the sandbox with the given globals and returns what it returns, converted to JS.
 * Throws LuaScriptError on a syntax error, a runtime error or a timeout.
 */
export function runLua(
  script: string,
  globals: Record<string, unknown> = {},
  options: SandboxOptions = {},
): unknown[] {
  const { floatNumbers = false, timeoutMs = 1000, chunkName = "script" } = options;
  const L = lauxlib.luaL_newstate();
  try {
    openArgoLibraries(L);
    for (const [name, value] of Object.entries(globals)) {
      pushValue(L, value, floatNumbers, 0);
      lua.lua_setglobal(L, to_luastring(name));
    }
    const deadline = Date.now() + timeoutMs;
    lua.lua_sethook(
      L,
      (state) => {
        if (Date.now() > deadline) lauxlib.luaL_error(state, to_luastring(`timed out after ${timeoutMs} ms`));
      },
      lua.LUA_MASKCOUNT,
      1000,
    );
    const code = to_luastring(script);
    // Mode "t": text only, as a configmap holds text; a precompiled chunk would be refused.
    const loaded = lauxlib.luaL_loadbufferx(
      L,
      code,
      code.length,
      to_luastring(`=${chunkName}`),
      to_luastring("t"),
    );
    if (loaded !== lua.LUA_OK) throw new LuaScriptError(`Lua syntax error: ${errorText(L)}`);
    if (lua.lua_pcall(L, 0, lua.LUA_MULTRET, 0) !== lua.LUA_OK) {
      throw new LuaScriptError(`Lua error: ${errorText(L)}`);
    }
    const results: unknown[] = [];
    const top = lua.lua_gettop(L);
    for (let i = 1; i <= top; i++) results.push(toJs(L, i, 0));
    return results;
  } finally {
    lua.lua_close(L);
  }
}

/**
 * Runs a health script against `obj` and returns its verdict, read the way ExecuteHealthLua reads it: the last
 * returned value (`l.Get(-1)`) must be a table whose `status` is one of Argo CD's health codes
 * (`isValidHealthStatusCode`) and whose `message`, if any, is a string. Anything else throws: Argo CD would
 * report an error, an empty status, or Unknown ("Lua returned an invalid health status").
 */
export function runHealthScript(script: string, obj: unknown, options: SandboxOptions = {}): HealthStatus {
  const results = runLua(script, { obj }, options);
  const verdict = results[results.length - 1];
  if (!isPlainObject(verdict)) {
    throw new LuaScriptError(`health script returned ${JSON.stringify(verdict)}, expected a table`);
  }
  const { status, message, deletionMessage } = verdict;
  if (typeof status !== "string" || !(HEALTH_STATUS_CODES as readonly string[]).includes(status)) {
    throw new LuaScriptError(`health script returned status ${JSON.stringify(status)}`);
  }
  if (message !== undefined && typeof message !== "string") {
    throw new LuaScriptError(`health script returned message ${JSON.stringify(message)}, expected a string`);
  }
  if (deletionMessage !== undefined && typeof deletionMessage !== "string") {
    throw new LuaScriptError(`health script returned deletionMessage ${JSON.stringify(deletionMessage)}`);
  }
  return {
    status: status as HealthStatusCode,
    message: message ?? "",
    ...(deletionMessage === undefined ? {} : { deletionMessage }),
  };
}
