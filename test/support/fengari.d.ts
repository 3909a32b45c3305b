/** The slice of fengari's C-style API that test/support/lua-sandbox.ts uses; fengari ships no types. */
declare module "fengari" {
  /** An opaque Lua state. */
  export interface LuaState {
    readonly __brand: "LuaState";
  }
  /** Lua strings are byte arrays in fengari. */
  export type LuaString = Uint8Array;
  export type LuaJsFunction = (L: LuaState) => number;
  export type LuaHook = (L: LuaState, ar: unknown) => void;

  export function to_luastring(s: string): LuaString;

  export const lua: {
    LUA_OK: number;
    LUA_MULTRET: number;
    LUA_MASKCOUNT: number;
    LUA_TNIL: number;
    LUA_TBOOLEAN: number;
    LUA_TNUMBER: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    lua_absindex(L: LuaState, idx: number): number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_close(L: LuaState): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_getfield(L: LuaState, idx: number, k: LuaString): number;
    lua_getglobal(L: LuaState, name: LuaString): number;
    lua_gettop(L: LuaState): number;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_next(L: LuaState, idx: number): boolean;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushcfunction(L: LuaState, f: LuaJsFunction): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): void;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_rawset(L: LuaState, idx: number): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_setfield(L: LuaState, idx: number, k: LuaString): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_sethook(L: LuaState, f: LuaHook | null, mask: number, count: number): void;
    lua_settop(L: LuaState, idx: number): void;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tojsstring(L: LuaState, idx: number): string;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_type(L: LuaState, idx: number): number;
    lua_typename(L: LuaState, t: number): LuaString;
  };

  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbufferx(
      L: LuaState,
      buff: LuaString,
      size: number,
      name: LuaString,
      mode: LuaString | null,
    ): number;
    luaL_requiref(L: LuaState, modname: LuaString, openf: LuaJsFunction, glb: number): void;
    luaL_error(L: LuaState, fmt: LuaString): never;
    luaL_tolstring(L: LuaState, idx: number): LuaString;
  };

  export const lualib: {
    luaopen_base: LuaJsFunction;
    luaopen_table: LuaJsFunction;
    luaopen_os: LuaJsFunction;
    luaopen_package: LuaJsFunction;
  };
}
