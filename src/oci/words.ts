/** `1 tag`, `3 tags`; `many` for words whose plural is not `word + s` (`2 not versions`). */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`
}
