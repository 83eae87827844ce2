/**
 * A response's headers, read by name. undici's request API gives them as a plain object (names in
 * lower case, a repeated header as an array); WHATWG `Headers` would load Node's internal copy of
 * undici, which archcheck does not otherwise use.
 */
export class ResponseHeaders {
  constructor(private readonly fields: Readonly<Record<string, string | string[] | undefined>>) {}

  /** The header's value, a repeated one joined with ', ' as fetch's `Headers` does; null when absent. */
  get(name: string): string | null {
    const key = name.toLowerCase()
    // Own fields only: `constructor` or `__proto__` are not headers.
    const value = Object.hasOwn(this.fields, key) ? this.fields[key] : undefined
    if (value === undefined) return null
    return Array.isArray(value) ? value.join(', ') : value
  }
}
