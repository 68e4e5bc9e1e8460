import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/** A GraphQL operation the suite sends: one root field, every argument a variable. */
export interface GraphQLCase {
  kind: string;
  /** `createCustomer(input.name)`: where the hostile value sits. */
  target: string;
  query: string;
  variables: Record<string, unknown>;
  /** The field is a required name or title, given blank: it must be refused (BAD_USER_INPUT). */
  mustRefuse?: boolean;
}

type Key = string | number;
interface Override {
  path: Key[];
  value: unknown;
}

/** Real records of the principal's organization by entity (`customer` → id), so `id` arguments reach the resolvers. */
export type IdPool = Record<string, string>;

/** Strings and scalars that pass the format checks, so a hostile value next to them is what gets judged. */
function sampleText(name: string): string {
  if (/email/i.test(name)) return 'hostile@example.com';
  if (/password/i.test(name)) return 'a perfectly fine passphrase';
  if (/slug|sku/i.test(name)) return `hostile-${randomUUID().slice(0, 8)}`; // unique: a repeat would be CONFLICT
  if (/phone/i.test(name)) return '15550001111';
  if (/currency/i.test(name)) return 'USD';
  if (/url/i.test(name)) return 'https://example.com/';
  if (/(date|until)$/i.test(name)) return '2030-01-01';
  if (/timezone/i.test(name)) return 'UTC';
  return 'hostile sample';
}

/** The id argument's entity: `quoteId` → quote; `id` of `updateCustomer` → customer. */
function sampleId(name: string, field: string, ids: IdPool): string {
  const named = name.replace(/Id$/, '').toLowerCase();
  const entity = name === 'id' ? Object.keys(ids).find((e) => field.toLowerCase().includes(e)) : named;
  return (entity && ids[entity]) || randomUUID();
}

const isRequired = (input: { type: GraphQLInputType; defaultValue?: unknown }) =>
  isNonNullType(input.type) && input.defaultValue === undefined;

class ValueBuilder {
  constructor(
    private readonly field: string,
    private readonly ids: IdPool,
  ) {}

  build(type: GraphQLInputType, name: string, override?: Override): unknown {
    if (override && override.path.length === 0) return override.value;
    if (isNonNullType(type)) return this.build(type.ofType, name, override);
    const inner = override && { ...override, path: override.path.slice(1) };
    if (isListType(type)) return [this.build(type.ofType, name, inner)];
    if (isInputObjectType(type)) {
      const value: Record<string, unknown> = {};
      for (const field of Object.values(type.getFields())) {
        if (override?.path[0] === field.name) value[field.name] = this.build(field.type, field.name, inner);
        else if (isRequired(field)) value[field.name] = this.build(field.type, field.name);
      }
      return value;
    }
    if (isEnumType(type)) return type.getValues()[0].value;
    switch (type.name) {
      case 'ID':
        return sampleId(name, this.field, this.ids);
      case 'Int':
        return 1;
      case 'Float':
        return 1.5;
      case 'Boolean':
        return false;
      case 'DateTimeISO':
        return new Date().toISOString();
      case 'Decimal':
        return '1.00';
      default:
        return sampleText(name);
    }
  }
}

/** Where strings (String, ID and string scalars) and nullable inputs sit in an argument, to the given depth. */
function positions(type: GraphQLInputType, at: Key[], depth = 0): { text: Key[][]; nullable: Key[][] } {
  const found = { text: [] as Key[][], nullable: [] as Key[][] };
  if (depth > 4) return found;
  if (isNonNullType(type)) return positions(type.ofType, at, depth);
  if (isListType(type)) return positions(type.ofType, [...at, 0], depth + 1);
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      const inner = positions(field.type, [...at, field.name], depth + 1);
      found.text.push(...inner.text);
      found.nullable.push(...inner.nullable, ...(isNonNullType(field.type) ? [] : [[...at, field.name]]));
    }
    return found;
  }
  const named = getNamedType(type);
  if (isLeafType(named) && !isEnumType(named) && !['Int', 'Float', 'Boolean'].includes(named.name)) found.text.push(at);
  return found;
}

type RootField = GraphQLField<unknown, unknown>;

function operation(kind: 'query' | 'mutation', field: RootField, args: readonly GraphQLArgument[]): string {
  const defs = args.map((a) => `$${a.name}: ${a.type}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `${kind} Hostile${defs ? `(${defs})` : ''} { ${field.name}${call}${selection} }`;
}

export const loadSchema = (): GraphQLSchema =>
  buildSchema(readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8'));

/** Required names and titles: blank must be refused, not stored as "". */
const NAME_FIELD = /^(name|title|subject|businessName|firstName|lastName)$/;

export interface HostileValues {
  [kind: string]: string;
}

/**
 * Every root field's operations with one hostile value each: every String/ID/string-scalar argument and
 * input field with each of `values`; every nullable input field with explicit null; every `after` with `cursors`.
 */
export function schemaCases(
  schema: GraphQLSchema,
  values: HostileValues,
  cursors: Record<string, string>,
  ids: IdPool,
): GraphQLCase[] {
  const cases: GraphQLCase[] = [];
  for (const [kind, root] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(root!.getFields())) {
      const builder = new ValueBuilder(field.name, ids);
      const variablesWith = (override?: { arg: string } & Override) => {
        const variables: Record<string, unknown> = {};
        for (const arg of field.args) {
          if (override?.arg === arg.name) variables[arg.name] = builder.build(arg.type, arg.name, override);
          else if (isRequired(arg)) variables[arg.name] = builder.build(arg.type, arg.name);
        }
        return variables;
      };
      const query = operation(kind, field, field.args);
      const add = (caseKind: string, arg: string, at: Key[], value: unknown, mustRefuse = false) =>
        cases.push({
          kind: caseKind,
          target: `${field.name}(${[arg, ...at].join('.')})`,
          query,
          variables: variablesWith({ arg, path: at, value }),
          mustRefuse,
        });
      for (const arg of field.args) {
        const found = positions(arg.type, []);
        for (const at of found.text) {
          const name = String(at.filter((k) => typeof k === 'string').pop() ?? arg.name);
          for (const [valueKind, value] of Object.entries(values)) {
            add(valueKind, arg.name, at, value, valueKind === 'blank' && kind === 'mutation' && NAME_FIELD.test(name));
          }
        }
        for (const at of found.nullable) add('explicit null', arg.name, at, null);
        if (!isNonNullType(arg.type)) add('explicit null', arg.name, [], null);
        if (arg.name !== 'after') continue;
        for (const [cursorKind, cursor] of Object.entries(cursors)) add(`cursor ${cursorKind}`, arg.name, [], cursor);
      }
    }
  }
  return cases;
}
