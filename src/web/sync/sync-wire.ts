import { z } from 'zod';

/**
 * The sync API's JSON is camelCase like the rest of the REST API, while the sync service and its
 * stores speak the seed's snake_case (`tenant_id`, `is_public`), which the CLI's inputs and the
 * database columns share. The conversion happens here, at the wire, in one place: responses are
 * re-keyed with `camelKeys`, bodies are validated in camelCase by `camelInput` and handed to the
 * service's own (snake_case) schema unchanged otherwise.
 */

/** `tenant_id` → `tenantId`; a name without `_` is kept. */
export function camelName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** `tenantId` → `tenant_id`. */
export function snakeName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** A row with its keys camelCased (one level: the sync rows are flat). */
export function camelKeys(row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [camelName(key), value]));
}

function snakeKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [snakeName(key), field]));
}

/**
 * A request body schema in camelCase for a service input schema in snake_case: the same fields
 * (each with its own checks), unknown fields refused, then the service's schema (its cross-field
 * rules and defaults) over the re-keyed value. The OpenAPI document shows the camelCase side.
 */
export function camelInput<T extends z.ZodObject>(input: T) {
  const shape = Object.fromEntries(
    Object.entries(input.shape as Record<string, z.ZodType>).map(([key, field]) => [camelName(key), field]),
  );
  return z
    .object(shape)
    .strict()
    .transform((value) => snakeKeys(value))
    .pipe(input);
}
