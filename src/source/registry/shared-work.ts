import {AbortError, type AbortOptions, type AbortWatch} from '../../oci/abort.js'

/**
 * Work shared by the callers that ask for it at once (one token, one credential look-up, one GET
 * of a manifest), where each caller has a signal of its own. The work runs under the signal of
 * the caller that started it; every caller waits on its own. When the work is aborted by its
 * starter's signal, the others start it again under theirs: one caller giving up never fails
 * another.
 */
export class SharedWork<T> {
  private readonly pending = new Map<string, Promise<T>>()

  constructor(
    private readonly aborts: AbortWatch,
    /** Whether a result stays for later callers (else it is forgotten once settled); failures never do. */
    private readonly keep: (value: T) => boolean = () => false,
    /** Entries kept at most, the oldest dropped first. */
    private readonly maxEntries = 100_000,
  ) {}

  async run(key: string, start: (options: AbortOptions) => Promise<T>, {signal}: AbortOptions = {}): Promise<T> {
    for (;;) {
      let work = this.pending.get(key)
      if (!work) {
        const started = start({signal})
        work = started
        this.pending.set(key, started)
        const forget = (): void => {
          if (this.pending.get(key) === started) this.pending.delete(key)
        }
        started.then((value) => this.keep(value) || forget(), forget)
        if (this.pending.size > this.maxEntries) this.pending.delete(this.pending.keys().next().value!)
      }
      try {
        return await this.aborts.race(work, signal)
      } catch (error) {
        if (!(error instanceof AbortError) || signal?.aborted) throw error
        // Aborted by the caller that started it: start it again under this caller's signal.
        if (this.pending.get(key) === work) this.pending.delete(key)
      }
    }
  }

  clear(): void {
    this.pending.clear()
  }
}
