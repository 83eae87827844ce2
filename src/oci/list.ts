/**
 * Items of repeatable, comma-separated values (`--host a,b --host c`, `hosts: ['a,b', 'c']`),
 * trimmed, in the order given. The one splitter every list option goes through. Empty items are
 * dropped, or kept with `keepEmpty` for lists where `a,` is more likely a slip than a style.
 */
export function splitList(values: string | readonly string[], options: {keepEmpty?: boolean} = {}): string[] {
  const items = (typeof values === 'string' ? [values] : values).flatMap((value) => value.split(',')).map((item) => item.trim())
  return options.keepEmpty ? items : items.filter(Boolean)
}
