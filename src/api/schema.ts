/**
 * Every api result is a JSON document with a `schemaVersion`, made here and nowhere else. The
 * version is bumped only when a field changes meaning or goes away; new fields come without a bump.
 */
export const SCHEMA_VERSION = 1

export type Versioned<T> = {schemaVersion: typeof SCHEMA_VERSION} & T

export function versioned<T extends object>(result: T): Versioned<T> {
  return {schemaVersion: SCHEMA_VERSION, ...result}
}
