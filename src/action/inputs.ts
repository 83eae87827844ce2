import {clientModelName, UsageError, type ClientName} from '../index.js'

/** How GitHub hands a step's `with:` value to a JavaScript action: `INPUT_<NAME>`, upper-cased, spaces as `_`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

export interface ActionInputs {
  mode: 'verify' | 'audit'
  images: string[]
  /** Unset: the api's default (verify: linux/amd64, linux/arm64; audit: no checks). */
  require: string[] | undefined
  hosts: string[] | undefined
  clients: ClientName[] | 'all'
  deep: boolean
  allowFallback: boolean
  expectDigest: string | undefined
  metadataFile: string | undefined
  junit: string | undefined
  from: string[]
  hostsFrom: string | undefined
  tags: string | undefined
}

/** Inputs only one mode reads: naming one in the other mode is a mistake, not something to ignore. */
const VERIFY_ONLY = ['expect-digest', 'metadata-file', 'junit'] as const
const AUDIT_ONLY = ['hosts', 'from', 'hosts-from', 'tags'] as const

// The YAML 1.2 core schema's booleans, as GitHub's own toolkit accepts them.
const TRUE = new Set(['true', 'True', 'TRUE'])
const FALSE = new Set(['false', 'False', 'FALSE'])

/** The action's inputs, checked: a bad one throws a UsageError naming it. */
export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const text = (name: string): string | undefined => env[inputVariable(name)]?.trim() || undefined
  // Lists: one item a line (YAML `|` blocks) or comma-separated, blank lines skipped.
  const list = (name: string, separators = /[\n,]/): string[] =>
    (text(name) ?? '')
      .split(separators)
      .map((item) => item.trim())
      .filter(Boolean)
  const flag = (name: string): boolean => {
    const value = text(name)
    if (value === undefined || FALSE.has(value)) return false
    if (TRUE.has(value)) return true
    throw new UsageError(`input ${name}: expected true or false, got ${JSON.stringify(value)}`)
  }

  const mode = text('mode') ?? 'verify'
  if (mode !== 'verify' && mode !== 'audit') throw new UsageError(`input mode: expected verify or audit, got ${JSON.stringify(mode)}`)
  for (const name of mode === 'verify' ? AUDIT_ONLY : VERIFY_ONLY) {
    if (text(name) !== undefined) throw new UsageError(`input ${name} is read in mode ${mode === 'verify' ? 'audit' : 'verify'} only`)
  }

  const clientText = text('client') ?? 'docker'
  let clients: ActionInputs['clients']
  if (clientText === 'all' && mode === 'audit') clients = 'all'
  else {
    const client = clientModelName(clientText)
    if (!client) throw new UsageError(`input client: unknown client ${JSON.stringify(clientText)}`)
    clients = [client]
  }

  const inputs: ActionInputs = {
    mode,
    // References never hold commas or spaces: one a line, or several on a line.
    images: list('image', /[\n,\s]/),
    require: text('require') === undefined ? undefined : list('require'),
    hosts: text('hosts') === undefined ? undefined : list('hosts'),
    clients,
    deep: flag('deep'),
    allowFallback: flag('allow-fallback'),
    expectDigest: text('expect-digest'),
    metadataFile: text('metadata-file'),
    junit: text('junit'),
    from: list('from', /\n/),
    hostsFrom: text('hosts-from'),
    tags: text('tags'),
  }
  if (inputs.images.length === 0 && inputs.metadataFile === undefined && inputs.from.length === 0) {
    throw new UsageError(mode === 'verify' ? 'input image: name an image (or metadata-file)' : 'input image: name an image (or from)')
  }
  return inputs
}
