/**
 * A small GraphQL reader and executor for the GitHub stand-in: queries with aliases, arguments (literals and
 * variables), named and inline fragments. Enough to answer what changelog generators send, not a spec engine.
 */

export type GqlValue = string | number | boolean | null | GqlValue[] | { [key: string]: GqlValue };
class VariableRef {
  constructor(readonly name: string) {}
}
type ValueNode = GqlValue | VariableRef | ValueNode[] | { [key: string]: ValueNode };

export interface FieldNode {
  kind: "field";
  alias?: string;
  name: string;
  args: Record<string, ValueNode>;
  selections?: SelectionNode[];
}
interface SpreadNode {
  kind: "spread";
  name: string;
}
interface InlineNode {
  kind: "inline";
  typeCondition?: string;
  selections: SelectionNode[];
}
type SelectionNode = FieldNode | SpreadNode | InlineNode;

interface Fragment {
  typeCondition: string;
  selections: SelectionNode[];
}

export interface GqlDocument {
  operation: "query" | "mutation" | "subscription";
  selections: SelectionNode[];
  variableDefaults: Record<string, GqlValue>;
  fragments: Map<string, Fragment>;
}

export class GqlSyntaxError extends Error {}

/** A resolver's refusal for one field (GitHub answers `data` with that field null plus an `errors` entry). */
export class GqlFieldError extends Error {
  constructor(
    message: string,
    readonly type = "NOT_FOUND",
  ) {
    super(message);
  }
}

/** An object in the result graph: plain values, or functions of the field's arguments. */
export interface GqlObject {
  __typename: string;
  /** Interfaces the type implements, for `... on Node` and the like. */
  __implements?: string[];
  [field: string]: unknown;
}

export interface GqlError {
  message: string;
  type?: string;
  path?: Array<string | number>;
}

export interface GqlResponse {
  data?: Record<string, unknown> | null;
  errors?: GqlError[];
}

// ---------------------------------------------------------------- lexer

type Token =
  | { kind: "punct"; value: string; at: number }
  | { kind: "name"; value: string; at: number }
  | { kind: "string"; value: string; at: number }
  | { kind: "number"; value: number; at: number };

const PUNCTUATORS = ["...", "{", "}", "(", ")", ":", "!", "$", "@", "[", "]", "=", "|", "&"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at] ?? "";
    if (/[\s,\uFEFF]/.test(char)) {
      at += 1;
    } else if (char === "#") {
      while (at < source.length && source[at] !== "\n") at += 1;
    } else if (char === '"') {
      at = readString(source, at, tokens);
    } else if (/[-0-9]/.test(char)) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(at));
      if (!match) throw new GqlSyntaxError(`Unexpected character '${char}' at ${at}`);
      tokens.push({ kind: "number", value: Number(match[0]), at });
      at += match[0].length;
    } else if (/[_A-Za-z]/.test(char)) {
      const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(at))?.[0] ?? char;
      tokens.push({ kind: "name", value: name, at });
      at += name.length;
    } else {
      const punct = PUNCTUATORS.find((candidate) => source.startsWith(candidate, at));
      if (!punct) throw new GqlSyntaxError(`Unexpected character '${char}' at ${at}`);
      tokens.push({ kind: "punct", value: punct, at });
      at += punct.length;
    }
  }
  return tokens;
}

function readString(source: string, start: number, tokens: Token[]): number {
  if (source.startsWith('"""', start)) {
    const end = source.indexOf('"""', start + 3);
    if (end < 0) throw new GqlSyntaxError(`Unterminated block string at ${start}`);
    tokens.push({ kind: "string", value: source.slice(start + 3, end), at: start });
    return end + 3;
  }
  let at = start + 1;
  while (at < source.length && source[at] !== '"') at += source[at] === "\\" ? 2 : 1;
  if (at >= source.length) throw new GqlSyntaxError(`Unterminated string at ${start}`);
  // GraphQL string escapes are a subset of JSON's.
  tokens.push({ kind: "string", value: JSON.parse(source.slice(start, at + 1)) as string, at: start });
  return at + 1;
}

// ---------------------------------------------------------------- parser

class Parser {
  #at = 0;
  constructor(readonly tokens: Token[]) {}

  get done(): boolean {
    return this.#at >= this.tokens.length;
  }

  peek(value?: string): boolean {
    const token = this.tokens[this.#at];
    return token !== undefined && (value === undefined || token.value === value);
  }

  next(): Token {
    const token = this.tokens[this.#at];
    if (!token) throw new GqlSyntaxError("Unexpected end of document");
    this.#at += 1;
    return token;
  }

  expect(value: string): void {
    const token = this.next();
    if (token.value !== value)
      throw new GqlSyntaxError(`Expected '${value}' at ${token.at}, found '${token.value}'`);
  }

  name(): string {
    const token = this.next();
    if (token.kind !== "name")
      throw new GqlSyntaxError(`Expected a name at ${token.at}, found '${token.value}'`);
    return token.value;
  }

  skip(value: string): boolean {
    if (!this.peek(value)) return false;
    this.#at += 1;
    return true;
  }
}

export function parseDocument(source: string): GqlDocument {
  const parser = new Parser(tokenize(source));
  const fragments = new Map<string, Fragment>();
  let operation: Omit<GqlDocument, "fragments"> | undefined;
  while (!parser.done) {
    if (parser.skip("fragment")) {
      const name = parser.name();
      parser.expect("on");
      const typeCondition = parser.name();
      skipDirectives(parser);
      fragments.set(name, { typeCondition, selections: parseSelectionSet(parser) });
    } else {
      if (operation) throw new GqlSyntaxError("Only one operation per document is supported");
      operation = parseOperation(parser);
    }
  }
  if (!operation) throw new GqlSyntaxError("The document has no operation");
  return { ...operation, fragments };
}

function parseOperation(parser: Parser): Omit<GqlDocument, "fragments"> {
  if (parser.peek("{"))
    return { operation: "query", selections: parseSelectionSet(parser), variableDefaults: {} };
  const kind = parser.name();
  if (kind !== "query" && kind !== "mutation" && kind !== "subscription") {
    throw new GqlSyntaxError(`Unknown operation '${kind}'`);
  }
  if (!parser.peek("(") && !parser.peek("{") && !parser.peek("@")) parser.name();
  const variableDefaults = parser.peek("(") ? parseVariableDefinitions(parser) : {};
  skipDirectives(parser);
  return { operation: kind, selections: parseSelectionSet(parser), variableDefaults };
}

function parseVariableDefinitions(parser: Parser): Record<string, GqlValue> {
  const defaults: Record<string, GqlValue> = {};
  parser.expect("(");
  while (!parser.skip(")")) {
    parser.expect("$");
    const name = parser.name();
    parser.expect(":");
    skipType(parser);
    if (parser.skip("=")) defaults[name] = literal(parseValue(parser));
    skipDirectives(parser);
  }
  return defaults;
}

function skipType(parser: Parser): void {
  if (parser.skip("[")) {
    skipType(parser);
    parser.expect("]");
  } else {
    parser.name();
  }
  parser.skip("!");
}

function skipDirectives(parser: Parser): void {
  while (parser.skip("@")) {
    parser.name();
    if (parser.peek("(")) parseArguments(parser);
  }
}

function parseSelectionSet(parser: Parser): SelectionNode[] {
  const selections: SelectionNode[] = [];
  parser.expect("{");
  while (!parser.skip("}")) selections.push(parseSelection(parser));
  return selections;
}

function parseSelection(parser: Parser): SelectionNode {
  if (parser.skip("...")) {
    if (parser.skip("on")) {
      const typeCondition = parser.name();
      skipDirectives(parser);
      return { kind: "inline", typeCondition, selections: parseSelectionSet(parser) };
    }
    if (parser.peek("{") || parser.peek("@")) {
      skipDirectives(parser);
      return { kind: "inline", selections: parseSelectionSet(parser) };
    }
    const name = parser.name();
    skipDirectives(parser);
    return { kind: "spread", name };
  }
  let name = parser.name();
  let alias: string | undefined;
  if (parser.skip(":")) {
    alias = name;
    name = parser.name();
  }
  const args = parser.peek("(") ? parseArguments(parser) : {};
  skipDirectives(parser);
  const selections = parser.peek("{") ? parseSelectionSet(parser) : undefined;
  return { kind: "field", name, args, ...(alias ? { alias } : {}), ...(selections ? { selections } : {}) };
}

function parseArguments(parser: Parser): Record<string, ValueNode> {
  const args: Record<string, ValueNode> = {};
  parser.expect("(");
  while (!parser.skip(")")) {
    const name = parser.name();
    parser.expect(":");
    args[name] = parseValue(parser);
  }
  return args;
}

function parseValue(parser: Parser): ValueNode {
  if (parser.skip("$")) return new VariableRef(parser.name());
  if (parser.skip("[")) {
    const list: ValueNode[] = [];
    while (!parser.skip("]")) list.push(parseValue(parser));
    return list;
  }
  if (parser.skip("{")) {
    const object: Record<string, ValueNode> = {};
    while (!parser.skip("}")) {
      const key = parser.name();
      parser.expect(":");
      object[key] = parseValue(parser);
    }
    return object;
  }
  const token = parser.next();
  if (token.kind === "string" || token.kind === "number") return token.value;
  if (token.kind === "name") {
    if (token.value === "true" || token.value === "false") return token.value === "true";
    return token.value === "null" ? null : token.value; // enum values pass as strings
  }
  throw new GqlSyntaxError(`Unexpected '${token.value}' at ${token.at}`);
}

/** A default value may not refer to variables. */
function literal(node: ValueNode): GqlValue {
  if (node instanceof VariableRef) throw new GqlSyntaxError(`A default value cannot use $${node.name}`);
  if (Array.isArray(node)) return node.map(literal);
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, literal(item)]));
  }
  return node;
}

// ---------------------------------------------------------------- executor

class GqlValidationError extends Error {}

/** Runs the document's operation against `root`; syntax and schema errors answer `errors` without `data`. */
export function executeQuery(
  source: string,
  root: GqlObject,
  variables: Record<string, GqlValue> = {},
): GqlResponse {
  let document: GqlDocument;
  try {
    document = parseDocument(source);
  } catch (error) {
    if (error instanceof GqlSyntaxError) return { errors: [{ message: `Parse error: ${error.message}` }] };
    throw error;
  }
  if (document.operation !== "query") {
    return { errors: [{ message: `The GitHub stand-in answers queries only, not ${document.operation}s` }] };
  }
  const errors: GqlError[] = [];
  const run = { document, variables: { ...document.variableDefaults, ...variables }, errors };
  try {
    const data = selectObject(run, root, document.selections, []);
    return errors.length > 0 ? { data, errors } : { data };
  } catch (error) {
    if (error instanceof GqlValidationError) return { errors: [{ message: error.message }] };
    throw error;
  }
}

interface Run {
  document: GqlDocument;
  variables: Record<string, GqlValue>;
  errors: GqlError[];
}

function selectObject(
  run: Run,
  object: GqlObject,
  selections: SelectionNode[],
  path: Array<string | number>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of collectFields(run, object, selections)) {
    const key = field.alias ?? field.name;
    result[key] = resolveField(run, object, field, [...path, key]);
  }
  return result;
}

function collectFields(run: Run, object: GqlObject, selections: SelectionNode[]): FieldNode[] {
  return selections.flatMap((selection): FieldNode[] => {
    if (selection.kind === "field") return [selection];
    const fragment = selection.kind === "inline" ? selection : run.document.fragments.get(selection.name);
    if (!fragment)
      throw new GqlValidationError(`Fragment ${(selection as SpreadNode).name} was used, but not defined`);
    const condition = fragment.typeCondition;
    const applies = !condition || condition === object.__typename || object.__implements?.includes(condition);
    return applies ? collectFields(run, object, fragment.selections) : [];
  });
}

function resolveField(run: Run, object: GqlObject, field: FieldNode, path: Array<string | number>): unknown {
  if (field.name === "__typename") return object.__typename;
  if (!(field.name in object)) {
    throw new GqlValidationError(`Field '${field.name}' doesn't exist on type '${object.__typename}'`);
  }
  let value = object[field.name];
  try {
    if (typeof value === "function") value = value(resolveArgs(run, field.args));
  } catch (error) {
    if (!(error instanceof GqlFieldError)) throw error;
    run.errors.push({ type: error.type, path, message: error.message });
    return null;
  }
  return complete(run, value, field, path);
}

function complete(run: Run, value: unknown, field: FieldNode, path: Array<string | number>): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((item, index) => complete(run, item, field, [...path, index]));
  if (typeof value === "object" && "__typename" in value) {
    if (!field.selections) {
      throw new GqlValidationError(
        `Field '${field.name}' of type '${value.__typename}' must have a selection of subfields`,
      );
    }
    return selectObject(run, value as GqlObject, field.selections, path);
  }
  return value;
}

function resolveArgs(run: Run, args: Record<string, ValueNode>): Record<string, GqlValue> {
  const resolve = (node: ValueNode): GqlValue => {
    if (node instanceof VariableRef) {
      const name = node.name;
      if (!(name in run.variables)) throw new GqlValidationError(`Variable $${name} is not defined`);
      return run.variables[name] ?? null;
    }
    if (Array.isArray(node)) return node.map(resolve);
    if (node !== null && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, resolve(item)]));
    }
    return node;
  };
  return Object.fromEntries(Object.entries(args).map(([key, node]) => [key, resolve(node)]));
}
