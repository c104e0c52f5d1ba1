import { Type, type Schema } from '@google/genai';

/** A JSON Schema node as MCP servers send them (pydantic's output: `$defs`, `$ref`, `anyOf [T, null]`). */
type JsonSchema = Record<string, unknown>;

const TYPES: Record<string, Type> = {
  string: Type.STRING,
  number: Type.NUMBER,
  integer: Type.INTEGER,
  boolean: Type.BOOLEAN,
  array: Type.ARRAY,
  object: Type.OBJECT,
  null: Type.NULL,
};

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The parameters of an MCP tool as a Gemini function declaration sees them. Agent Memory Server's
 * tools describe their filters and memory records through `$defs` and `$ref`, which ADK's own
 * conversion leaves as empty objects (a model would see memory items without `text`); here every
 * reference is resolved first, and `anyOf [T, null]` becomes a nullable T.
 */
export function toolParameters(inputSchema: unknown): Schema | undefined {
  if (!isSchema(inputSchema)) return undefined;
  const defs = isSchema(inputSchema.$defs) ? inputSchema.$defs : {};
  const convert = (node: JsonSchema, depth: number): Schema => {
    // A reference to a definition; cycles end as an open object.
    if (typeof node.$ref === 'string') {
      const target = defs[node.$ref.replace(/^#\/\$defs\//, '')];
      const { $ref: _r, ...rest } = node;
      return isSchema(target) && depth < 12 ? convert({ ...target, ...rest }, depth + 1) : { type: Type.OBJECT };
    }
    const variants = (Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined)?.filter(isSchema);
    const typeList = Array.isArray(node.type) ? node.type.map(String) : undefined;
    if (variants || typeList) {
      const options = variants ?? typeList!.map((t) => ({ type: t }));
      const nonNull = options.filter((o) => o.type !== 'null');
      const nullable = nonNull.length < options.length;
      const { anyOf: _a, oneOf: _o, type: _t, ...rest } = node;
      if (nonNull.length === 1) return { ...convert({ ...rest, ...nonNull[0]! }, depth), ...(nullable ? { nullable: true } : {}) };
      return {
        anyOf: nonNull.map((o) => convert(o, depth)),
        ...(nullable ? { nullable: true } : {}),
        ...(typeof node.description === 'string' ? { description: node.description } : {}),
      };
    }
    if (Array.isArray(node.allOf) && node.allOf.length === 1 && isSchema(node.allOf[0])) {
      const { allOf: _all, ...rest } = node;
      return convert({ ...rest, ...node.allOf[0] }, depth);
    }
    const out: Schema = {};
    const enumValues = Array.isArray(node.enum) ? node.enum : node.const !== undefined ? [node.const] : undefined;
    const declared =
      typeof node.type === 'string' ? node.type : node.properties ? 'object' : node.items ? 'array' : enumValues ? typeof enumValues[0] : 'object';
    out.type = TYPES[declared] ?? Type.STRING;
    if (typeof node.description === 'string') out.description = node.description;
    if (enumValues) out.enum = enumValues.map(String);
    if (out.type === Type.OBJECT) {
      out.properties = {};
      if (isSchema(node.properties)) for (const [k, v] of Object.entries(node.properties)) if (isSchema(v)) out.properties[k] = convert(v, depth);
      if (Array.isArray(node.required)) out.required = node.required.map(String);
    }
    if (out.type === Type.ARRAY && isSchema(node.items)) out.items = convert(node.items, depth);
    return out;
  };
  return convert(inputSchema, 0);
}
