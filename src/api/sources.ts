/**
 * src/api: the library, one function per command (inspect.ts, resolve.ts, verify.ts, audit.ts …),
 * each returning the document its --json prints (schema.ts). Input is checked here and only here:
 * options.ts parses references and validates options in a library caller's words before anything
 * is read. This module opens the sources of one call and shares its registry client. It may
 * import src/oci, src/source and src/engine.
 */

import type {SourceSpec} from '../oci/reference.js'
import {throwIfAborted} from '../oci/abort.js'
import {openSource} from '../source/open.js'
import type {RegistryClient} from '../source/registry/client.js'
import type {ClientStats} from '../source/registry/stats.js'
export type {ProxySettings, RegistryOptions} from '../source/registry/options.js'
import type {RegistryOptions} from '../source/registry/options.js'
import type {ImageSource} from '../source/source.js'
import {withSignal} from '../source/with-signal.js'

/** How an api call reaches images. */
export interface ReadOptions {
  /** Settings for the call's own registry client (ignored when `registryClient` is given). */
  registry?: RegistryOptions
  /** A client shared with other calls (its pools, tokens, credentials): the caller closes it. */
  registryClient?: RegistryClient
  /** Wraps each read of an image tree, e.g. to show a progress line; `label` names the image. */
  progress?: <T>(label: string, work: () => Promise<T>) => Promise<T>
  /**
   * Cancels the call: its requests, retries' waits, open files and child processes are released,
   * and it rejects with an AbortError (`name` 'AbortError', `cause` the signal's reason).
   */
  signal?: AbortSignal
}

/**
 * The sources one api call opens. Registry sources share one client: the caller's, or one made
 * on the first registry reference (so a local image never loads the HTTP stack) and closed with
 * the scope.
 */
export class SourceScope {
  private own?: Promise<RegistryClient>

  constructor(private readonly options: ReadOptions) {}

  /** Opens `spec`; every read of the source is cancelled by the call's signal. */
  async open(spec: SourceSpec): Promise<ImageSource> {
    throwIfAborted(this.options.signal)
    const maxManifestBytes = this.options.registryClient?.maxManifestBytes ?? this.options.registry?.maxManifestBytes
    const source =
      spec.kind === 'registry' ? await openSource(spec, {client: await this.client()}) : await openSource(spec, {maxManifestBytes})
    return withSignal(source, this.options.signal)
  }

  /** Requests, cache use and rate limits of the registry client this scope read through; undefined when it read none. */
  async stats(): Promise<ClientStats | undefined> {
    const client = this.options.registryClient ?? (await this.own)
    return client?.stats()
  }

  /** Closes the client this scope made, if any; a caller's client stays open. */
  async close(): Promise<void> {
    const own = this.own
    this.own = undefined
    if (own) await (await own).close()
  }

  private client(): Promise<RegistryClient> {
    if (this.options.registryClient) return Promise.resolve(this.options.registryClient)
    this.own ??= import('../source/registry/client.js').then(({createRegistryClient}) => createRegistryClient(this.options.registry))
    return this.own
  }
}

/** Runs `use` with a scope of sources, closing what it opened whatever happens. */
export async function withSources<T>(options: ReadOptions, use: (scope: SourceScope) => Promise<T>): Promise<T> {
  const scope = new SourceScope(options)
  try {
    return await use(scope)
  } finally {
    await scope.close()
  }
}

/** Opens one source, hands it to `use`, and closes it (and its scope) whatever happens. */
export function withSource<T>(spec: SourceSpec, options: ReadOptions, use: (source: ImageSource) => Promise<T>): Promise<T> {
  return withSources(options, async (scope) => {
    const source = await scope.open(spec)
    try {
      return await use(source)
    } finally {
      await source.close()
    }
  })
}

/** The progress wrapper of `options`, or one that just runs the work. */
export function progressOf(options: ReadOptions): NonNullable<ReadOptions['progress']> {
  return options.progress ?? ((_label, work) => work())
}
