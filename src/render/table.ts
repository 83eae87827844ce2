import type {Style} from './style.js'

/** cli-table3's Table, loaded on first use (it is not needed for --json or --help). */
type Table = InstanceType<typeof import('cli-table3')>

/**
 * Makes archcheck's tables: one line per row (no rule between rows), bold headers, and no colours
 * of cli-table3's own (colours are the Style's to decide).
 */
export async function tableMaker(style: Style): Promise<(head: string[]) => Table> {
  const {default: CliTable} = await import('cli-table3')
  return (head) =>
    new CliTable({
      head: head.map((h) => style.bold(h)),
      style: {head: [], border: []},
      chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
    })
}
