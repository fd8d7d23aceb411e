import type { ListKind } from './routes.js';

/** Bounds of one integer query parameter, as openapi.json states them. */
export interface IntegerRule {
  minimum: number;
  maximum: number;
  default: number;
}

/** The list query rules of the contract (openapi.json `components.parameters`). */
export interface ListRules {
  pageNumber: IntegerRule;
  pageSize: IntegerRule & { clampedTo: number };
  sorts: Record<ListKind, { values: readonly string[]; default: string }>;
  filterMaxLength: number;
}

type JsonObject = Record<string, unknown>;

/**
 * Reads the list rules from the contract once at start-up, so the parameters are defined
 * in one place. A page size above `x-eventflow-clamped-to` is clamped rather than refused,
 * which JSON Schema cannot say, hence the extension. Throws when openapi.json lacks one.
 */
export function listRulesOf(openapi: { components: JsonObject }): ListRules {
  const parameters = openapi.components['parameters'] as Record<string, JsonObject> | undefined;
  const schemaOf = (name: string): JsonObject => {
    const schema = parameters?.[name]?.['schema'];
    if (typeof schema !== 'object' || schema === null) {
      throw new Error(`openapi.json has no parameter ${name} with a schema`);
    }
    return schema as JsonObject;
  };
  const integer = (name: string, fallbackMaximum: number): IntegerRule => {
    const schema = schemaOf(name);
    return {
      minimum: numberOf(schema['minimum'], name),
      maximum:
        schema['maximum'] === undefined ? fallbackMaximum : numberOf(schema['maximum'], name),
      default: numberOf(schema['default'], name),
    };
  };
  const sort = (name: string) => {
    const schema = schemaOf(name);
    const values = schema['enum'];
    if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) {
      throw new Error(`openapi.json parameter ${name} has no string enum`);
    }
    return { values, default: String(schema['default']) };
  };

  return {
    pageNumber: integer('PageNumber', Number.MAX_SAFE_INTEGER),
    pageSize: {
      ...integer('PageSize', Number.MAX_SAFE_INTEGER),
      clampedTo: numberOf(parameters?.['PageSize']?.['x-eventflow-clamped-to'], 'PageSize'),
    },
    sorts: { event: sort('EventSortBy'), named: sort('NameSortBy') },
    filterMaxLength: numberOf(schemaOf('EventFilter')['maxLength'], 'EventFilter'),
  };
}

function numberOf(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new Error(`openapi.json parameter ${name} lacks a bound`);
  return value;
}
