import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {throwIfAborted, type AbortOptions, type AbortWatch} from '../../oci/abort.js'
import {RegistryError} from '../../oci/errors.js'
import {DOCKER_HUB} from '../../oci/reference.js'
import {SharedWork} from './shared-work.js'

/** Credentials for one registry. Never put them in messages; `source` says where they came from. */
export interface Credentials {
  username?: string
  password?: string
  /** An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user), exchanged at the token server. */
  identityToken?: string
  /** For messages: "from ~/.docker/config.json", "from docker-credential-pass". */
  source: string
}

/** Docker keeps Hub credentials under this legacy key. */
const DOCKER_HUB_CREDENTIALS_KEY = 'https://index.docker.io/v1/'
const HELPER_TIMEOUT_MS = 10_000
/** A helper answers with one small JSON object; more than this is not an answer. */
const HELPER_OUTPUT_LIMIT = 64 * 1024
/** Docker's config.json holds a few entries; a file past this is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024

interface DockerConfig {
  auths?: Record<string, {auth?: string; username?: string; password?: string; identitytoken?: string}>
  credsStore?: string
  credHelpers?: Record<string, string>
}

/** Where credentials for a registry come from; null when it has none (anonymous access). */
export interface Keychain {
  /** Credentials for `registry`, null when there are none; a program it runs is stopped when `signal` aborts. */
  get(registry: string, options?: AbortOptions): Promise<Credentials | null>
}

export interface DockerKeychainOptions {
  /** The folder holding config.json (Docker's default: $DOCKER_CONFIG, else ~/.docker). */
  configDir: string
  /** The user's home folder, shown as `~` in messages. */
  homeDir?: string
}

/**
 * Docker's keychain: `credHelpers` and `credsStore` helpers (docker-credential-NAME), then `auths`
 * entries of config.json in `configDir`. A missing config.json means no credentials.
 */
export function dockerKeychain(options: DockerKeychainOptions): Keychain {
  const configPath = join(options.configDir, 'config.json')
  const shownPath = displayPath(configPath, options.homeDir)
  return {get: async (registry, options) => (await lookUp(registry, configPath, shownPath, options?.signal)) ?? null}
}

/** The config path as shown in messages, with the home folder as `~`. */
function displayPath(path: string, home: string | undefined): string {
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path
}

/** How Docker normalises `auths` keys: scheme and path dropped (`https://index.docker.io/v1/` → `index.docker.io`). */
function keyHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase()
}

function matchesRegistry(key: string, registry: string): boolean {
  const host = keyHost(key)
  if (registry === DOCKER_HUB) return host === 'index.docker.io' || host === 'docker.io' || host === 'registry-1.docker.io'
  return host === registry.toLowerCase()
}

/** The name a credential helper is asked about: Hub's legacy URL, otherwise the host. */
function helperServer(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_CREDENTIALS_KEY : registry
}

/**
 * Credentials from Docker's config.json, as Docker looks them up: a per-registry `credHelpers`
 * entry, else the `credsStore`, else an `auths` entry (`auth` or `identitytoken`). Each (config
 * file, registry) is looked up once per store: verifying several tags of one registry runs a
 * credential helper (which may prompt) once, not once per tag.
 */
export class CredentialStore {
  private readonly lookups: SharedWork<Credentials | undefined>

  /** Without a keychain every registry is read anonymously. */
  constructor(
    aborts: AbortWatch,
    private readonly keychain?: Keychain,
  ) {
    // A look-up that succeeded is kept for the store's life, with or without credentials.
    this.lookups = new SharedWork(aborts, () => true)
  }

  /** Credentials for `registry`, asked of the keychain once; undefined when there are none. */
  find(registry: string, options: AbortOptions = {}): Promise<Credentials | undefined> {
    const keychain = this.keychain
    if (!keychain) return Promise.resolve(undefined)
    return this.lookups.run(registry, async (started) => (await keychain.get(registry, started)) ?? undefined, options)
  }

  clear(): void {
    this.lookups.clear()
  }
}

async function lookUp(
  registry: string,
  configPath: string,
  shownPath: string,
  signal: AbortSignal | undefined,
): Promise<Credentials | undefined> {
  throwIfAborted(signal)
  let text: string
  try {
    const {size} = await stat(configPath)
    if (size > MAX_CONFIG_BYTES)
      throw new RegistryError(`${shownPath} is ${size} bytes, more than a Docker config can be (limit ${MAX_CONFIG_BYTES})`, 'credentials')
    text = await readFile(configPath, 'utf8')
  } catch (error) {
    if (error instanceof RegistryError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new RegistryError(`cannot read ${shownPath}: ${(error as Error).message}`, 'credentials')
  }
  let config: DockerConfig
  try {
    config = JSON.parse(text) as DockerConfig
  } catch {
    // JSON.parse's message quotes the file, which may hold secrets.
    throw new RegistryError(`${shownPath} is not valid JSON`, 'credentials')
  }
  if (typeof config !== 'object' || config === null) throw new RegistryError(`${shownPath} is not a JSON object`, 'credentials')

  const helperEntry = Object.entries(config.credHelpers ?? {}).find(([key]) => matchesRegistry(key, registry))
  const helper = helperEntry?.[1] ?? config.credsStore
  if (helper) {
    const fromHelper = await runCredentialHelper(
      helper,
      helperServer(registry),
      helperEntry ? 'credHelpers' : 'credsStore',
      shownPath,
      signal,
    )
    if (fromHelper) return fromHelper
  }

  const entry = Object.entries(config.auths ?? {})
    .sort(([a], [b]) => Number(b === DOCKER_HUB_CREDENTIALS_KEY) - Number(a === DOCKER_HUB_CREDENTIALS_KEY))
    .find(([key]) => matchesRegistry(key, registry))?.[1]
  if (!entry) return undefined
  const source = `from ${shownPath}`
  if (entry.identitytoken) return {identityToken: entry.identitytoken, username: entry.username, source}
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1)
      throw new RegistryError(`the "auth" entry for ${registry} in ${shownPath} is not base64 of user:password`, 'credentials')
    return {username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source}
  }
  if (entry.username && entry.password) return {username: entry.username, password: entry.password, source}
  return undefined
}

/**
 * Runs `docker-credential-NAME get` with the server on stdin. Undefined when the helper has no
 * credentials for it; a RegistryError when the helper is missing, fails or hangs.
 */
async function runCredentialHelper(
  name: string,
  server: string,
  setting: string,
  configPath: string,
  signal: AbortSignal | undefined,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`
  const {code, stdout, stderr, spawnError, timedOut, overflowed} = await runWithInput(program, ['get'], server, HELPER_TIMEOUT_MS, signal)
  // Stopped by the signal: the helper has exited (runWithInput waited for it).
  throwIfAborted(signal)
  if (spawnError?.code === 'ENOENT') {
    throw new RegistryError(`credential helper ${program} (${setting} in ${configPath}) is not installed or not on PATH`, 'credentials')
  }
  if (spawnError) throw new RegistryError(`cannot run credential helper ${program}: ${spawnError.message}`, 'credentials')
  if (timedOut) throw new RegistryError(`credential helper ${program} did not answer within ${HELPER_TIMEOUT_MS / 1000} s`, 'credentials')
  if (overflowed)
    throw new RegistryError(`credential helper ${program} printed more than ${HELPER_OUTPUT_LIMIT} bytes; stopped it`, 'credentials')
  if (code !== 0) {
    if (/credentials not found/i.test(stdout + stderr)) return undefined
    // Only the helper's stderr is shown: its stdout could hold a secret.
    const reason = stderr.trim().split('\n')[0]?.slice(0, 200)
    throw new RegistryError(`credential helper ${program} failed (exit ${code})${reason ? `: ${reason}` : ''}`, 'credentials')
  }
  let answer: {Username?: unknown; Secret?: unknown}
  try {
    answer = JSON.parse(stdout) as typeof answer
  } catch {
    throw new RegistryError(`credential helper ${program} printed something that is not JSON`, 'credentials')
  }
  if (typeof answer.Secret !== 'string' || answer.Secret === '') return undefined
  const username = typeof answer.Username === 'string' ? answer.Username : ''
  const source = `from ${program}`
  // Docker's convention: the user `<token>` means the secret is an identity (refresh) token.
  return username === '<token>' ? {identityToken: answer.Secret, source} : {username, password: answer.Secret, source}
}

interface ProcessResult {
  code: number | null
  stdout: string
  stderr: string
  spawnError?: NodeJS.ErrnoException
  timedOut: boolean
  /** The program wrote more than HELPER_OUTPUT_LIMIT to stdout or stderr and was killed. */
  overflowed: boolean
}

/** Runs `program`; stopped (killed, and waited for) at the timeout, past the output limit, or when `signal` aborts. */
async function runWithInput(
  program: string,
  args: string[],
  input: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<ProcessResult> {
  // Loaded only when a helper runs: node's child_process (with net and dgram) was about 3 ms of
  // every registry command's start, and few registries ask for a helper's credentials.
  const {spawn} = await import('node:child_process')
  // Aborted while the config was read or the module loaded: start nothing (the listener below
  // would never fire for a signal already aborted).
  throwIfAborted(signal)
  return new Promise((resolve) => {
    const child = spawn(program, args, {stdio: ['pipe', 'pipe', 'pipe']})
    const output = {stdout: '', stderr: ''}
    let timedOut = false
    let overflowed = false
    let spawnError: NodeJS.ErrnoException | undefined
    // Closing our ends of the pipes too: a child the helper started may hold them open after the kill.
    const stop = (): void => {
      child.kill('SIGKILL')
      child.stdout.destroy()
      child.stderr.destroy()
    }
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, timeoutMs)
    signal?.addEventListener('abort', stop, {once: true})
    for (const name of ['stdout', 'stderr'] as const) {
      child[name].on('data', (chunk: Buffer) => {
        if (overflowed) return
        output[name] += chunk.toString('utf8')
        if (output[name].length > HELPER_OUTPUT_LIMIT) {
          overflowed = true
          stop()
        }
      })
    }
    child.stdin.on('error', () => {}) // the helper may exit without reading its input
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', stop)
      resolve({code, ...output, spawnError, timedOut, overflowed})
    })
    child.stdin.end(input)
  })
}
