/**
 * A model of the subset of expr-lang (github.com/expr-lang/expr v1.17.8, the version argo-cd v3.4.4 pins) that the
 * trigger conditions use, read in parser/operator/operator.go (precedence), parser/parser.go
 * (parsePostfixExpression: `.`, `?.`, `?.[`, chains), compiler/compiler.go (and/or short-circuit, `??`),
 * vm/vm.go (OpContains: nil on either side is false; OpBegin: `any` over nil panics; OpNot/OpJumpIfFalse:
 * operands must be bool) and vm/runtime/runtime.go (Fetch: a missing map key is nil, a field of nil panics;
 * In; Equal). Anything else throws "not modelled".
 */

export class ExprError extends Error {}
const notModelled = (what: string): never => {
  throw new ExprError(`not modelled: ${what}`);
};

type Value = unknown;
type Node =
  | { kind: "literal"; value: Value }
  | { kind: "array"; items: Node[] }
  | { kind: "name"; name: string }
  | { kind: "pointer" } // `#`, written as a leading `.` inside a predicate
  | { kind: "chain"; base: Node; steps: { key: Node; optional: boolean }[] }
  | { kind: "unary"; op: "not"; operand: Node }
  | { kind: "binary"; op: string; left: Node; right: Node }
  | { kind: "any"; array: Node; predicate: Node };

// operator.go Binary: precedence of the operators modelled.
const BINARY: Record<string, number> = {
  or: 10,
  "||": 10,
  and: 15,
  "&&": 15,
  "==": 20,
  "!=": 20,
  in: 20,
  contains: 20,
  "??": 500,
};
const UNARY_PRECEDENCE = 50; // "not" and "!"

type Token = { kind: "op" | "name" | "string" | "punct"; value: string };

function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) i += m[0].length;
    else if ((m = /^'((?:[^'\\]|\\.)*)'|^"((?:[^"\\]|\\.)*)"/.exec(rest))) {
      const body = m[1] ?? m[2];
      if (/\\/.test(body)) notModelled("escapes in string literals");
      tokens.push({ kind: "string", value: body });
      i += m[0].length;
    } else if ((m = /^(\?\?|\?\.|==|!=|&&|\|\|)/.exec(rest))) {
      tokens.push({ kind: "op", value: m[0] });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const word = m[0];
      const isOp = ["and", "or", "not", "in", "contains"].includes(word);
      if (["matches", "startsWith", "endsWith", "true", "false", "nil"].includes(word)) notModelled(word);
      tokens.push({ kind: isOp ? "op" : "name", value: word });
      i += word.length;
    } else if ("()[]{},.!".includes(rest[0])) {
      tokens.push({ kind: rest[0] === "!" ? "op" : "punct", value: rest[0] });
      i++;
    } else {
      notModelled(`'${rest}'`);
    }
  }
  return tokens;
}

export function parse(src: string): Node {
  const tokens = lex(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (value: string) => {
    if (tokens[pos]?.value !== value) throw new ExprError(`expected ${value} at ${pos}`);
    pos++;
  };

  const expression = (minPrecedence: number, inPredicate: boolean): Node => {
    let left = unary(inPredicate);
    for (;;) {
      const t = peek();
      if (t === undefined || t.kind !== "op" || !(t.value in BINARY)) {
        if (t?.kind === "op" && t.value === "not") notModelled("'not in' and 'not contains'");
        break;
      }
      const precedence = BINARY[t.value];
      if (precedence < minPrecedence) break;
      pos++;
      // All modelled binary operators are left-associative.
      const right = expression(precedence + 1, inPredicate);
      left = { kind: "binary", op: t.value, left, right };
    }
    return left;
  };

  const unary = (inPredicate: boolean): Node => {
    const t = peek();
    if (t?.kind === "op" && (t.value === "not" || t.value === "!")) {
      pos++;
      return { kind: "unary", op: "not", operand: expression(UNARY_PRECEDENCE, inPredicate) };
    }
    return postfix(primary(inPredicate), inPredicate);
  };

  const primary = (inPredicate: boolean): Node => {
    const t = tokens[pos++];
    if (t === undefined) throw new ExprError("unexpected end of expression");
    if (t.kind === "string") return { kind: "literal", value: t.value };
    if (t.value === "(") {
      const inner = expression(0, inPredicate);
      expect(")");
      return inner;
    }
    if (t.value === "[") {
      const items: Node[] = [];
      while (peek()?.value !== "]") {
        items.push(expression(0, inPredicate));
        if (peek()?.value === ",") pos++;
      }
      pos++;
      return { kind: "array", items };
    }
    if (t.value === "." && inPredicate) {
      pos--; // `.field` inside a predicate is `#.field`
      return { kind: "pointer" };
    }
    if (t.kind === "name") {
      if (peek()?.value === "(") {
        if (t.value !== "any") notModelled(`function ${t.value}`);
        pos++;
        const array = expression(0, inPredicate);
        expect(",");
        expect("{");
        const predicate = expression(0, true);
        expect("}");
        expect(")");
        return { kind: "any", array, predicate };
      }
      return { kind: "name", name: t.value };
    }
    return notModelled(`'${t.value}'`);
  };

  const postfix = (base: Node, inPredicate: boolean): Node => {
    const steps: { key: Node; optional: boolean }[] = [];
    for (;;) {
      const t = peek();
      if (t?.value === "." || t?.value === "?.") {
        pos++;
        const optional = t.value === "?.";
        if (optional && peek()?.value === "[") {
          pos++;
          steps.push({ key: expression(0, inPredicate), optional: true });
          expect("]");
          continue;
        }
        const name = tokens[pos++];
        if (name?.kind !== "name") throw new ExprError("expected name");
        if (peek()?.value === "(") notModelled("method calls");
        steps.push({ key: { kind: "literal", value: name.value }, optional });
      } else if (t?.value === "[") {
        pos++;
        if (peek()?.value === ":") notModelled("slices");
        steps.push({ key: expression(0, inPredicate), optional: false });
        expect("]");
      } else break;
    }
    return steps.length === 0 ? base : { kind: "chain", base, steps };
  };

  const node = expression(0, false);
  if (pos !== tokens.length) throw new ExprError(`unexpected '${tokens[pos].value}'`);
  return node;
}

const isMap = (v: Value): v is Record<string, Value> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isNil = (v: Value) => v === null || v === undefined;

/** runtime.Fetch on JSON-like data: a map's missing key is nil; nil or a scalar cannot be fetched from. */
function fetch(from: Value, key: Value): Value {
  if (isMap(from)) {
    if (typeof key !== "string") notModelled("a map key that is not a string");
    return Object.prototype.hasOwnProperty.call(from, key as string) ? from[key as string] : null;
  }
  if (Array.isArray(from)) return notModelled("array indexing");
  throw new ExprError(`cannot fetch ${String(key)} from ${isNil(from) ? "<nil>" : typeof from}`);
}

/** runtime.Equal for the values modelled: scalars and nil. */
function equal(a: Value, b: Value): boolean {
  const scalar = (v: Value) => isNil(v) || ["string", "boolean", "number"].includes(typeof v);
  if (!scalar(a) || !scalar(b)) notModelled("== on lists or maps");
  return (isNil(a) && isNil(b)) || a === b;
}

const bool = (v: Value, what: string): boolean => {
  if (typeof v !== "boolean")
    throw new ExprError(`${what}: interface conversion: interface {} is ${typeof v}, not bool`);
  return v;
};

function evaluate(node: Node, env: Record<string, Value>, pointer: Value): Value {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "array":
      return node.items.map((n) => evaluate(n, env, pointer));
    case "name":
      return Object.prototype.hasOwnProperty.call(env, node.name) ? env[node.name] : null;
    case "pointer":
      return pointer;
    case "chain": {
      // A chain short-circuits to nil as a whole at the first optional step on nil (ChainNode).
      let v = evaluate(node.base, env, pointer);
      for (const step of node.steps) {
        if (isNil(v) && step.optional) return null;
        v = fetch(v, evaluate(step.key, env, pointer));
      }
      return v;
    }
    case "unary":
      return !bool(evaluate(node.operand, env, pointer), "not");
    case "any": {
      const array = evaluate(node.array, env, pointer);
      if (!Array.isArray(array))
        throw new ExprError(`cannot iterate over ${isNil(array) ? "<nil>" : typeof array}`);
      return array.some((item) => bool(evaluate(node.predicate, env, item), "any predicate"));
    }
    case "binary": {
      const left = () => evaluate(node.left, env, pointer);
      const right = () => evaluate(node.right, env, pointer);
      switch (node.op) {
        case "and":
        case "&&":
          return bool(left(), node.op) ? bool(right(), node.op) : false;
        case "or":
        case "||":
          return bool(left(), node.op) ? true : bool(right(), node.op);
        case "??": {
          const l = left();
          return isNil(l) ? right() : l;
        }
        case "==":
          return equal(left(), right());
        case "!=":
          return !equal(left(), right());
        case "in": {
          const needle = left();
          const haystack = right();
          if (isNil(haystack)) return false;
          if (Array.isArray(haystack)) return haystack.some((v) => equal(v, needle));
          if (isMap(haystack)) return typeof needle === "string" && needle in haystack;
          throw new ExprError(`operator "in" not defined on ${typeof haystack}`);
        }
        case "contains": {
          const l = left();
          const r = right();
          if (isNil(l) || isNil(r)) return false;
          if (typeof l !== "string" || typeof r !== "string") throw new ExprError("contains needs strings");
          return l.includes(r);
        }
      }
      return notModelled(node.op);
    }
  }
}

/** Compiles and runs a condition on `env`, e.g. `{ app }`; throws where expr-lang would return an error. */
export function run(src: string, env: Record<string, Value>): Value {
  return evaluate(parse(src), env, null);
}
