/**
 * Items of repeatable, comma-separated values (`--host a,b --host c`, `hosts: ['a,b', 'c']`),
 * trimmed, empty ones dropped, in the order given. The one splitter every list option goes through.
 */
export function splitList(values: string | readonly string[]): string[] {
  return (typeof values === 'string' ? [values] : values)
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter(Boolean)
}
