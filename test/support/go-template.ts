/**
 * A model of the subset of Go's text/template (with the sprig functions notifications-engine adds) that the
 * alert templates use, written from the text/template documentation and read against golang/go
 * src/text/template/exec.go (evalField, evalCall, validateType, walkRange, printValue) and funcs.go, and
 * Masterminds/sprig v3.3.0 (defaults.go dfault/empty/toJson, dict.go dict, list.go list/push, strings.go join,
 * regex.go regexFind). Anything outside the subset throws "not modelled", so a template cannot quietly depend on
 * behaviour this model does not reproduce. Where Go's behaviour differs between versions (eq on a missing value),
 * the model throws instead of guessing.
 *
 * Data is JSON-like, as notifications-engine passes it (the Application as map[string]interface{}). A missing map
 * key is Go's "invalid" value: printed as "<no value>", false in `if`, empty in `range`, nil when passed to an
 * interface{} parameter, an error for a string parameter.
 */

const MISSING: unique symbol = Symbol("missing");
type Value = unknown;

export class TemplateError extends Error {}

const notModelled = (what: string): never => {
  throw new TemplateError(`not modelled: ${what}`);
};

// ---- Lexing and parsing ------------------------------------------------------------------------------------

type Token =
  | { kind: "field"; path: string[] } // .a.b, or "." (path [])
  | { kind: "var"; name: string; path: string[] } // $x.a, or $ (name "$")
  | { kind: "string"; value: string }
  | { kind: "ident"; name: string }
  | { kind: "punct"; value: "(" | ")" | "|" | ":=" | "=" | "," };

type Arg =
  | { kind: "field"; path: string[] }
  | { kind: "var"; name: string; path: string[] }
  | { kind: "string"; value: string }
  | { kind: "pipe"; pipe: Pipeline };
interface Command {
  readonly fn?: string;
  readonly args: Arg[];
}
interface Pipeline {
  readonly decl?: { names: string[]; assign: boolean };
  readonly commands: Command[];
}
type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipeline }
  | { kind: "if"; pipe: Pipeline; then: Node[]; else: Node[] }
  | { kind: "range"; pipe: Pipeline; body: Node[]; else: Node[] };

const KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "define",
  "template",
  "block",
  "break",
  "continue",
]);

function unquote(raw: string): string {
  // Go's interpreted string literal escapes; only the common ones are modelled.
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => {
    const map: Record<string, string> = { n: "\n", t: "\t", '"': '"', "\\": "\\", r: "\r" };
    return map[c] ?? notModelled(`string escape \\${c}`);
  });
}

function lexAction(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const path = (start: number): [string[], number] => {
    const names: string[] = [];
    let j = start;
    while (src[j] === ".") {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(j + 1));
      if (!m) break;
      names.push(m[0]);
      j += 1 + m[0].length;
    }
    return [names, j];
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (c === "." && src[i - 1] === ")") notModelled("field access on a parenthesized pipeline");
    else if (c === ".") {
      const [names, j] = path(i);
      if (names.length === 0) {
        if (/[A-Za-z0-9_]/.test(src[i + 1] ?? "")) notModelled(`'${src.slice(i)}'`);
        tokens.push({ kind: "field", path: [] });
        i++;
      } else {
        tokens.push({ kind: "field", path: names });
        i = j;
      }
    } else if (c === "$") {
      const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i))!;
      const [names, j] = path(i + m[0].length);
      tokens.push({ kind: "var", name: m[0], path: names });
      i = j;
    } else if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(i));
      if (!m) throw new TemplateError("unterminated string");
      tokens.push({ kind: "string", value: unquote(m[0]) });
      i += m[0].length;
    } else if (src.startsWith(":=", i)) {
      tokens.push({ kind: "punct", value: ":=" });
      i += 2;
    } else if ("()|=,".includes(c)) {
      tokens.push({ kind: "punct", value: c as "(" | ")" | "|" | "=" | "," });
      i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      if (!m) notModelled(`'${src.slice(i)}' in an action`);
      tokens.push({ kind: "ident", name: m![0] });
      i += m![0].length;
    }
  }
  return tokens;
}

function parsePipeline(tokens: Token[]): Pipeline {
  let pos = 0;
  let decl: Pipeline["decl"];
  // `$x :=`, `$x =`, or `$i, $x :=` (range only, checked by the caller).
  const declEnd = tokens.findIndex((t) => t.kind === "punct" && (t.value === ":=" || t.value === "="));
  if (
    declEnd > 0 &&
    tokens.slice(0, declEnd).every((t) => t.kind === "var" || (t.kind === "punct" && t.value === ","))
  ) {
    const names = tokens.slice(0, declEnd).flatMap((t) => (t.kind === "var" ? [t.name] : []));
    if (tokens.slice(0, declEnd).some((t) => t.kind === "var" && t.path.length > 0))
      notModelled("field of a declared variable");
    decl = { names, assign: (tokens[declEnd] as { value: string }).value === "=" };
    pos = declEnd + 1;
  }
  const parseArg = (): Arg => {
    const t = tokens[pos++];
    if (t === undefined) throw new TemplateError("missing value");
    if (t.kind === "field" || t.kind === "var")
      return t.kind === "field"
        ? { kind: "field", path: t.path }
        : { kind: "var", name: t.name, path: t.path };
    if (t.kind === "string") return t;
    if (t.kind === "punct" && t.value === "(") {
      const start = pos;
      let depth = 1;
      while (depth > 0) {
        const u = tokens[pos++];
        if (u === undefined) throw new TemplateError("unclosed (");
        if (u.kind === "punct" && u.value === "(") depth++;
        if (u.kind === "punct" && u.value === ")") depth--;
      }
      return { kind: "pipe", pipe: parsePipeline(tokens.slice(start, pos - 1)) };
    }
    if (t.kind === "ident")
      return notModelled(`'${t.name}' as an argument (true, false, nil and numbers are not modelled)`);
    return notModelled(`'${(t as { value: string }).value}'`);
  };
  const commands: Command[] = [];
  while (pos < tokens.length) {
    const t = tokens[pos];
    let command: Command;
    if (t.kind === "ident") {
      pos++;
      const args: Arg[] = [];
      while (
        pos < tokens.length &&
        !(tokens[pos].kind === "punct" && (tokens[pos] as { value: string }).value === "|")
      )
        args.push(parseArg());
      command = { fn: t.name, args };
    } else {
      command = { args: [parseArg()] };
      if (
        pos < tokens.length &&
        !(tokens[pos].kind === "punct" && (tokens[pos] as { value: string }).value === "|")
      ) {
        throw new TemplateError("a value cannot take arguments");
      }
    }
    commands.push(command);
    if (pos < tokens.length) pos++; // the "|"
    if (
      pos === tokens.length &&
      tokens[pos - 1]?.kind === "punct" &&
      (tokens[pos - 1] as { value: string }).value === "|"
    ) {
      throw new TemplateError("missing command after |");
    }
  }
  if (commands.length === 0) throw new TemplateError("empty pipeline");
  if (commands.slice(1).some((c) => c.fn === undefined))
    throw new TemplateError("a pipeline stage must be a function");
  return { decl, commands };
}

/** Parses a template into a tree, handling trim markers and comment actions as Go does. */
export function parse(src: string): Node[] {
  const items: ({ kind: "text"; text: string } | { kind: "action"; body: string })[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = open === -1 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    if (open === -1) {
      items.push({ kind: "text", text });
      break;
    }
    let start = open + 2;
    if (/^- [\s\S]/.test(src.slice(start)) || /^-[\t\r\n]/.test(src.slice(start))) {
      text = text.replace(/[ \t\r\n]+$/, "");
      start += 1;
    }
    items.push({ kind: "text", text });
    const close = src.indexOf("}}", start);
    if (close === -1) throw new TemplateError("unclosed action");
    let end = close;
    trimNext = false;
    if (/[ \t\r\n]-$/.test(src.slice(start, close))) {
      trimNext = true;
      end = close - 1;
    }
    const body = src.slice(start, end).trim();
    if (body.startsWith("/*")) {
      if (!body.endsWith("*/")) throw new TemplateError("comment must fill the action");
    } else {
      items.push({ kind: "action", body });
    }
    i = close + 2;
  }

  let pos = 0;
  type Block = { nodes: Node[]; end: string; elseIf?: Pipeline };
  const parseIf = (pipe: Pipeline): Node => {
    if (pipe.decl) notModelled("a declaration in if");
    const then = block(["else", "else if", "end"]);
    let otherwise: Node[] = [];
    if (then.end === "else") otherwise = block(["end"]).nodes;
    // `{{else if x}}` is an if nested in the else branch that shares the outer {{end}} (text/template docs).
    if (then.end === "else if") otherwise = [parseIf(then.elseIf!)];
    return { kind: "if", pipe, then: then.nodes, else: otherwise };
  };
  const block = (terminators: string[]): Block => {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const item = items[pos++];
      if (item.kind === "text") {
        if (item.text !== "") nodes.push(item);
        continue;
      }
      const tokens = lexAction(item.body);
      const head = tokens[0];
      const keyword = head?.kind === "ident" && KEYWORDS.has(head.name) ? head.name : undefined;
      if (keyword === "end" || keyword === "else") {
        const elseIf = keyword === "else" && tokens[1]?.kind === "ident" && tokens[1].name === "if";
        const end = elseIf ? "else if" : keyword;
        if (!terminators.includes(end)) throw new TemplateError(`unexpected {{${end}}}`);
        if (elseIf) return { nodes, end, elseIf: parsePipeline(tokens.slice(2)) };
        if (tokens.length > 1) throw new TemplateError(`unexpected tokens after ${end}`);
        return { nodes, end };
      }
      if (keyword === "if") {
        nodes.push(parseIf(parsePipeline(tokens.slice(1))));
      } else if (keyword === "range") {
        const pipe = parsePipeline(tokens.slice(1));
        if (pipe.decl?.assign) throw new TemplateError("range can only declare variables");
        if ((pipe.decl?.names.length ?? 0) > 2) throw new TemplateError("too many range variables");
        const body = block(["else", "end"]);
        const otherwise = body.end === "else" ? block(["end"]).nodes : [];
        nodes.push({ kind: "range", pipe, body: body.nodes, else: otherwise });
      } else if (keyword !== undefined) {
        notModelled(`{{${keyword}}}`);
      } else {
        const pipe = parsePipeline(tokens);
        if (pipe.decl && pipe.decl.names.length !== 1) throw new TemplateError("too many declarations");
        nodes.push({ kind: "action", pipe });
      }
    }
    if (terminators.length > 0) throw new TemplateError("unexpected EOF, expected {{end}}");
    return { nodes, end: "EOF" };
  };
  return block([]).nodes;
}

// ---- Evaluation -----------------------------------------------------------------------------------------------

type Scope = { name: string; value: Value }[];

const isMap = (v: Value): v is Record<string, Value> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Go's isTrue: the zero value of a type is false; an invalid (missing) value is false. */
function truth(v: Value): boolean {
  if (v === MISSING || v === null || v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" || Array.isArray(v)) return v.length > 0;
  if (typeof v === "number") return v !== 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return notModelled(`truth of ${typeof v}`);
}

/** evalField: a missing map key is the invalid value; so is any field of it; a field of nil or a scalar fails. */
function field(receiver: Value, name: string): Value {
  if (receiver === MISSING) return MISSING;
  if (receiver === null) throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  if (isMap(receiver)) return Object.prototype.hasOwnProperty.call(receiver, name) ? receiver[name] : MISSING;
  throw new TemplateError(
    `can't evaluate field ${name} in type ${Array.isArray(receiver) ? "[]interface {}" : typeof receiver}`,
  );
}

// How each function receives its arguments (validateType): "value" for reflect.Value parameters (a missing value
// arrives as the invalid Value), "any" for interface{} (a missing value arrives as nil), "string" (a missing value
// is an error: "invalid value; expected string").
type Param = "value" | "any" | "string";
const asParam = (v: Value, param: Param, fn: string): Value => {
  if (param === "value") return v;
  if (param === "any") return v === MISSING ? null : v;
  if (v === MISSING) throw new TemplateError(`error calling ${fn}: invalid value; expected string`);
  if (typeof v !== "string")
    throw new TemplateError(`wrong type for value; expected string; got ${typeof v}`);
  return v;
};

/** Go's encoding/json Marshal, as sprig's toJson calls it: sorted map keys, HTML-safe string escapes. */
export function goJson(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") {
    return JSON.stringify(v).replace(
      /[<>&\u2028\u2029]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
    );
  }
  if (Array.isArray(v)) return `[${v.map(goJson).join(",")}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${goJson(k)}:${goJson(v[k])}`).join(",")}}`;
  }
  return notModelled(`toJson of ${typeof v}`);
}

/** RE2 and JavaScript agree on this subset: literal characters, [..] and [^..] classes, + * ? quantifiers. */
function re2(pattern: string): RegExp {
  if (!/^(?:[A-Za-z0-9:/._-]|\[[^\]\\]+\]|[+*?])*$/.test(pattern))
    notModelled(`regular expression ${pattern}`);
  return new RegExp(pattern);
}

type Fn = { params: Param[]; variadic?: Param; call: (args: Value[], fn: string) => Value };
const FUNCTIONS: Record<string, Fn> = {
  // text/template builtins (funcs.go).
  not: { params: ["value"], call: ([a]) => !truth(a) },
  eq: {
    params: ["value"],
    variadic: "value",
    call: ([a, ...rest], fn) => {
      if (rest.length === 0) throw new TemplateError("missing argument for comparison");
      for (const v of [a, ...rest]) {
        if (typeof v !== "string" && typeof v !== "boolean")
          notModelled(`${fn} of ${v === MISSING ? "a missing value" : typeof v}`);
      }
      for (const b of rest)
        if (typeof a !== typeof b) throw new TemplateError("incompatible types for comparison");
      return rest.some((b) => a === b);
    },
  },
  ne: { params: ["value", "value"], call: (args) => !(FUNCTIONS.eq.call(args, "ne") as boolean) },
  printf: {
    params: ["string"],
    variadic: "any",
    call: ([format, ...args]) => {
      let n = 0;
      const out = (format as string).replace(/%(.)/g, (_, verb: string) => {
        if (verb === "%") return "%";
        if (verb !== "s") notModelled(`printf verb %${verb}`);
        const arg = args[n++];
        if (arg === undefined) return "%!s(MISSING)";
        if (arg === null) return "%!s(<nil>)";
        if (typeof arg !== "string") notModelled(`printf %s of ${typeof arg}`);
        return arg as string;
      });
      if (n < args.length) notModelled("printf with extra arguments");
      return out;
    },
  },
  // sprig v3.3.0.
  list: { params: [], variadic: "any", call: (args) => [...args] },
  append: {
    params: ["any", "any"],
    call: ([list, v]) => {
      if (!Array.isArray(list))
        throw new TemplateError(
          `error calling append: Cannot push on type ${list === null ? "nil" : typeof list}`,
        );
      return [...list, v];
    },
  },
  dict: {
    params: [],
    variadic: "any",
    call: (args) => {
      const out: Record<string, Value> = {};
      for (let i = 0; i < args.length; i += 2) {
        if (typeof args[i] !== "string") notModelled("dict with a key that is not a string");
        out[args[i] as string] = i + 1 < args.length ? args[i + 1] : "";
      }
      return out;
    },
  },
  join: {
    params: ["string", "any"],
    call: ([sep, v]) => {
      if (!Array.isArray(v)) notModelled("join of a value that is not a list");
      const items = (v as Value[]).filter((x) => x !== null);
      if (items.some((x) => typeof x !== "string")) notModelled("join of values that are not strings");
      return items.join(sep as string);
    },
  },
  default: {
    params: ["any"],
    variadic: "any",
    call: ([d, ...given]) => (given.length === 0 || !truth(given[0]) ? d : given[0]),
  },
  toJson: { params: ["any"], call: ([v]) => goJson(v) },
  regexFind: {
    params: ["string", "string"],
    call: ([pattern, s]) => re2(pattern as string).exec(s as string)?.[0] ?? "",
  },
};

/** The functions this model knows; a template calling any other fails to render. */
export const MODELLED_FUNCTIONS = Object.keys(FUNCTIONS).concat(["and", "or"]).sort();

class State {
  constructor(
    private readonly root: Value,
    private vars: Scope,
  ) {}

  lookup(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw new TemplateError(`undefined variable: ${name}`);
  }

  assign(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    throw new TemplateError(`undefined variable: ${name}`);
  }

  arg(dot: Value, a: Arg): Value {
    switch (a.kind) {
      case "string":
        return a.value;
      case "field":
        return a.path.reduce(field, dot);
      case "var":
        return a.path.reduce(field, a.name === "$" ? this.root : this.lookup(a.name));
      case "pipe":
        return this.pipeline(dot, a.pipe);
    }
  }

  command(dot: Value, c: Command, final: Value | typeof NO_FINAL): Value {
    if (c.fn === undefined) return this.arg(dot, c.args[0]);
    if (c.fn === "and" || c.fn === "or") {
      // Go 1.18+: evaluated left to right, stopping at the first false (and) or true (or) argument.
      const args: (() => Value)[] = c.args.map((a) => () => this.arg(dot, a));
      if (final !== NO_FINAL) args.push(() => final);
      if (args.length === 0) throw new TemplateError(`wrong number of args for ${c.fn}`);
      let v: Value = MISSING;
      for (const next of args) {
        v = next();
        if (truth(v) === (c.fn === "or")) return v;
      }
      return v;
    }
    const fn = FUNCTIONS[c.fn] ?? notModelled(`function ${c.fn}`);
    const raw = c.args.map((a) => this.arg(dot, a));
    if (final !== NO_FINAL) raw.push(final);
    if (raw.length < fn.params.length || (fn.variadic === undefined && raw.length > fn.params.length)) {
      throw new TemplateError(`wrong number of args for ${c.fn}: want ${fn.params.length} got ${raw.length}`);
    }
    const args = raw.map((v, i) => asParam(v, fn.params[i] ?? fn.variadic!, c.fn!));
    return fn.call(args, c.fn);
  }

  pipeline(dot: Value, p: Pipeline): Value {
    let v: Value | typeof NO_FINAL = NO_FINAL;
    for (const c of p.commands) v = this.command(dot, c, v);
    if (p.decl) {
      const [name] = p.decl.names;
      if (p.decl.assign) this.assign(name, v);
      else this.vars.push({ name, value: v });
    }
    return v;
  }

  walk(dot: Value, nodes: Node[], out: string[]): void {
    for (const node of nodes) {
      if (node.kind === "text") out.push(node.text);
      else if (node.kind === "action") {
        const v = this.pipeline(dot, node.pipe);
        if (!node.pipe.decl) out.push(print(v));
      } else if (node.kind === "if") {
        const mark = this.vars.length;
        const branch = truth(this.pipeline(dot, node.pipe)) ? node.then : node.else;
        this.walk(dot, branch, out);
        this.vars.length = mark;
      } else {
        const mark = this.vars.length;
        const decl = node.pipe.decl;
        const v = this.pipeline(dot, { commands: node.pipe.commands });
        if (v === MISSING)
          this.walk(dot, node.else, out); // walkRange: an invalid value ranges over nothing
        else if (Array.isArray(v)) {
          if (v.length === 0) this.walk(dot, node.else, out);
          v.forEach((elem, index) => {
            const iteration = this.vars.length;
            if (decl?.names.length === 1) this.vars.push({ name: decl.names[0], value: elem });
            if (decl?.names.length === 2)
              this.vars.push({ name: decl.names[0], value: index }, { name: decl.names[1], value: elem });
            this.walk(elem, node.body, out);
            this.vars.length = iteration;
          });
        } else if (v === null) throw new TemplateError("range can't iterate over <nil>");
        else notModelled(`range over ${typeof v}`);
        this.vars.length = mark;
      }
    }
  }
}

const NO_FINAL: unique symbol = Symbol("no final");

/** printValue: strings as they are, a missing value as "<no value>"; maps and lists are not modelled. */
function print(v: Value): string {
  if (v === MISSING) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  return notModelled(`printing ${Array.isArray(v) ? "a list" : typeof v}`);
}

/** Renders a template on data, as notifications-engine's templater does (Execute with the vars map as dot). */
export function render(src: string, data: Value): string {
  const tree = parse(src);
  const out: string[] = [];
  new State(data, [{ name: "$", value: data }]).walk(data, tree, out);
  return out.join("");
}
