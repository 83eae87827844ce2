import type {ImageConfig} from '../../oci/types.js'
import {type BinaryInfo, describeBinary, type ElfInfo, elfRunsOn, identifyBinary, needsNewerArm} from './binary.js'
import type {FsNode, ImageFilesystem} from './filesystem.js'
import {isExecutableMode} from './tar-entries.js'

/** Docker's PATH when the image sets none (moby `oci.DefaultPathEnv` for Linux). */
export const DOCKER_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** What `docker run IMAGE` (no arguments) starts, from the image config. */
export interface ExecutionPlan {
  /** Entrypoint followed by Cmd. */
  argv: string[]
  workingDir: string
  /** The PATH the container sees. */
  path: string
  /** False when the config sets no PATH and Docker's default applies. */
  pathFromImage: boolean
  user: string
  /** Set for the shell form (`/bin/sh -c "…"`): the command line the shell runs. */
  shellScript?: string
}

export function executionPlan(config: ImageConfig): ExecutionPlan {
  const argv = [...(config.entrypoint ?? []), ...(config.cmd ?? [])]
  const pathVar = config.env?.find((entry) => entry.startsWith('PATH='))
  const plan: ExecutionPlan = {
    argv,
    workingDir: config.workingDir || '/',
    path: pathVar ? pathVar.slice(5) : DOCKER_DEFAULT_PATH,
    pathFromImage: pathVar !== undefined,
    user: config.user || 'root',
  }
  if (argv.length >= 3 && /^(\/usr)?\/bin\/(ba|da|a)?sh$/.test(argv[0]) && argv[1] === '-c') plan.shellScript = argv[2]
  return plan
}

/** What a file on the way to running is to the container. */
export type StepRole = 'entrypoint' | 'interpreter' | 'env-target' | 'loader' | 'shell-command'

export interface ExecStep {
  role: StepRole
  /** The name as asked for ("python3", "/usr/bin/env", "app"). */
  requested: string
  /** Where it was found after PATH and symlinks; absent when it was not found. */
  path?: string
  /** The symlinks followed, "from -> target". */
  symlinks: string[]
  /** 0-based index of the layer the file comes from. */
  layer?: number
  binary?: BinaryInfo
  /** describeBinary() of it, for people. */
  description?: string
}

/** The error the container would print, in the kernel's or runtime's words. */
export type ExecError =
  | 'exec format error'
  | 'no such file or directory'
  | 'executable file not found in $PATH'
  | 'not found'
  | 'permission denied'
  | 'too many levels of symbolic links'
  | 'accessing a corrupted shared library'
  | 'no command specified'
  | 'illegal instruction'

export interface ExecFailure {
  error: ExecError
  /** The exact file at fault (the binary, the missing loader or interpreter, the script). */
  file: string
  /** Plain words: what is wrong with that file. */
  reason: string
}

export interface ExecTrace {
  plan: ExecutionPlan
  steps: ExecStep[]
  /** Absent when everything needed to start is there and fits the host. */
  failure?: ExecFailure
  /** Things that may still go wrong (32-bit ARM on arm64, loader beyond the bytes read). */
  warnings: string[]
}

/** Linux follows at most this many nested interpreters (BINPRM_MAX_RECURSION + 1). */
const MAX_INTERPRETER_DEPTH = 5

const SHELL_WORDS = new Set([
  'exec',
  'set',
  'cd',
  'echo',
  'export',
  'if',
  'for',
  'while',
  'case',
  'test',
  '[',
  'true',
  'false',
  'eval',
  'trap',
  'ulimit',
  'umask',
  'read',
  ':',
  '.',
  'source',
  '{',
  '(',
])

class Failed extends Error {
  constructor(readonly failure: ExecFailure) {
    super(failure.reason)
  }
}

/**
 * Follows what `docker run` would execute on a Linux host of `hostArch` (and, for 32-bit ARM,
 * `hostVariant`): the entrypoint through PATH and symlinks, `#!` interpreters (and `env`'s
 * target through PATH), the ELF loader.
 */
export function traceExecution(fs: ImageFilesystem, config: ImageConfig, hostArch: string, hostVariant?: string): ExecTrace {
  const plan = executionPlan(config)
  const trace: ExecTrace = {plan, steps: [], warnings: []}
  if (plan.argv.length === 0) {
    trace.failure = {error: 'no command specified', file: '', reason: 'the image sets neither Entrypoint nor Cmd'}
    return trace
  }
  const tracer = new Tracer(fs, plan, hostArch, hostVariant, trace)
  try {
    tracer.run(plan.argv[0], 'entrypoint', 0)
    if (plan.shellScript) {
      const command = firstCommandWord(plan.shellScript)
      if (command) tracer.run(command, 'shell-command', 0)
    }
  } catch (error) {
    if (!(error instanceof Failed)) throw error
    trace.failure = error.failure
  }
  return trace
}

/** The program a simple shell command line starts, when it is plain enough to tell. */
function firstCommandWord(script: string): string | undefined {
  const words = script.trim().split(/\s+/)
  let index = 0
  while (words[index] === 'exec' || /^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(words[index] ?? '')) index++
  const word = words[index]
  if (!word || SHELL_WORDS.has(word) || !/^[\w./+-]+$/.test(word)) return undefined
  return word
}

class Tracer {
  constructor(
    private readonly fs: ImageFilesystem,
    private readonly plan: ExecutionPlan,
    private readonly hostArch: string,
    private readonly hostVariant: string | undefined,
    private readonly trace: ExecTrace,
  ) {}

  run(name: string, role: StepRole, depth: number): void {
    const step: ExecStep = {role, requested: name, symlinks: []}
    this.trace.steps.push(step)
    const {path, node} = this.locate(name, role, step)
    this.examine(path, node, step, depth)
  }

  private fail(error: ExecError, file: string, reason: string): never {
    throw new Failed({error, file, reason})
  }

  private missing(path: string, what: string, error: ExecError): never {
    this.fail(error, path, `${what} ${path} is ${this.removal(path) ?? 'not in the image'}`)
  }

  /** "removed by a whiteout in layer N" when a layer deleted `path` (or a directory above it). */
  private removal(path: string): string | undefined {
    const removed = this.fs.removedBy(path)
    if (!removed) return undefined
    return `removed by a whiteout in layer ${removed.layer + 1}${removed.path === path ? '' : ` (of ${removed.path})`}`
  }

  /** Finds `name` as runc (Go's exec.LookPath) and the kernel would: by path when it has a "/", else through PATH. */
  private locate(name: string, role: StepRole, step: ExecStep): {path: string; node: FsNode} {
    const what = role === 'shell-command' ? 'the command the shell runs,' : `the ${role}`
    if (name.includes('/')) {
      const found = this.fs.lookup(name, {cwd: this.plan.workingDir})
      step.symlinks = found.symlinks
      if (found.found) return {path: found.path, node: found.node}
      if (found.error === 'loop')
        this.fail(
          'too many levels of symbolic links',
          name,
          `${what} ${name} is a symlink loop (${found.symlinks.slice(0, 3).join(', ')}, …)`,
        )
      this.missing(found.symlinks.length ? found.path : name, what, role === 'shell-command' ? 'not found' : 'no such file or directory')
    }
    const tried: string[] = []
    for (const dir of this.plan.path.split(':')) {
      const candidate = `${dir || '.'}/${name}`
      const found = this.fs.lookup(candidate, {cwd: this.plan.workingDir})
      if (found.found && found.node.type === 'file' && isExecutableMode(found.node.mode)) {
        step.symlinks = found.symlinks
        return {path: found.path, node: found.node}
      }
      tried.push(candidate)
    }
    const removed = tried.map((path) => ({path, removal: this.removal(path)})).find((t) => t.removal)
    const error: ExecError =
      role === 'entrypoint' ? 'executable file not found in $PATH' : role === 'shell-command' ? 'not found' : 'no such file or directory'
    const why = removed ? `; ${removed.path} was ${removed.removal}` : ''
    this.fail(error, name, `${what} "${name}" is not in any PATH directory (${this.plan.path})${why}`)
  }

  private examine(path: string, node: FsNode, step: ExecStep, depth: number): void {
    step.path = path
    step.layer = node.layer
    if (node.type === 'directory') this.fail('permission denied', path, `${path} is a directory`)
    if (node.type !== 'file') this.fail('permission denied', path, `${path} is not a regular file`)
    if (!isExecutableMode(node.mode))
      this.fail('permission denied', path, `${path} has no exec permission (mode ${(node.mode & 0o7777).toString(8).padStart(4, '0')})`)
    const binary = identifyBinary(node.head ?? new Uint8Array(0), node.armAttributes)
    step.binary = binary
    step.description = describeBinary(binary)
    switch (binary.kind) {
      case 'elf': {
        const runs = elfRunsOn(binary, this.hostArch)
        if (runs === 'no') {
          const what =
            binary.type === 'executable' || binary.type === 'shared-object'
              ? `an ${step.description}`
              : `not a program (${step.description})`
          this.fail('exec format error', path, `${path} is ${what}, which a linux/${this.hostArch} host cannot run`)
        }
        if (runs === 'maybe')
          this.trace.warnings.push(
            `${path} is 32-bit ARM: it runs on linux/${this.hostArch} only where the CPU has AArch32 (many arm64 servers do not)`,
          )
        this.checkArmVersion(path, binary)
        if (binary.interpreter) this.checkLoader(path, binary.interpreter)
        else if (binary.truncated) this.trace.warnings.push(`${path}: its loader could not be read from the first bytes kept`)
        return
      }
      case 'script':
        return this.followShebang(path, binary, depth)
      case 'pe':
      case 'macho':
        return this.fail('exec format error', path, `${path} is a ${step.description}, which Linux cannot run`)
      case 'not-executable':
        return this.fail('exec format error', path, `${path} is not a program the kernel can start (${binary.reason})`)
    }
  }

  private checkLoader(binaryPath: string, loader: string): void {
    const step: ExecStep = {role: 'loader', requested: loader, symlinks: []}
    this.trace.steps.push(step)
    const found = this.fs.lookup(loader)
    step.symlinks = found.symlinks
    if (!found.found || found.node.type !== 'file') {
      const at = found.symlinks.length ? ` (through ${found.symlinks.join(', ')})` : ''
      this.fail(
        'no such file or directory',
        loader,
        `${binaryPath} needs the loader ${loader}${at}, which is ${this.removal(found.path) ?? 'not in the image'}`,
      )
    }
    step.path = found.path
    step.layer = found.node.layer
    if (!found.node.head) return
    const binary = identifyBinary(found.node.head, found.node.armAttributes)
    step.binary = binary
    step.description = describeBinary(binary)
    if (binary.kind !== 'elf') return
    if (elfRunsOn(binary, this.hostArch) === 'no') {
      this.fail(
        'accessing a corrupted shared library',
        found.path,
        `the loader ${found.path} is an ${step.description}, which a linux/${this.hostArch} host cannot load`,
      )
    }
    this.checkArmVersion(found.path, binary)
  }

  /** A 32-bit ARM binary built for a newer ARM than the host's variant: `exec` works, its first newer instruction does not. */
  private checkArmVersion(path: string, binary: ElfInfo): void {
    if (this.hostArch !== 'arm' || !needsNewerArm(binary, this.hostVariant)) return
    this.fail(
      'illegal instruction',
      path,
      `${path} is built for ARM${binary.arm!.variant}, newer than a linux/arm/${this.hostVariant} CPU: it starts and is killed by SIGILL`,
    )
  }

  private followShebang(path: string, script: Extract<BinaryInfo, {kind: 'script'}>, depth: number): void {
    if (script.crlf) {
      const seen = script.argument ? `"${script.argument}\\r"` : `"${script.interpreter}\\r"`
      this.fail(
        'no such file or directory',
        path,
        `${path} has Windows line endings: its #! line ends in CR, so ${seen} is looked for and not found`,
      )
    }
    if (depth + 1 >= MAX_INTERPRETER_DEPTH)
      this.fail('too many levels of symbolic links', path, `${path}: more than ${MAX_INTERPRETER_DEPTH - 1} nested #! interpreters`)
    // The kernel opens the interpreter by path, without PATH.
    const step: ExecStep = {role: 'interpreter', requested: script.interpreter, symlinks: []}
    this.trace.steps.push(step)
    const found = this.fs.lookup(script.interpreter, {cwd: this.plan.workingDir})
    step.symlinks = found.symlinks
    if (!found.found) {
      this.fail(
        'no such file or directory',
        script.interpreter,
        `${path} starts with #!${script.interpreter}, which is ${this.removal(found.path) ?? 'not in the image'}`,
      )
    }
    this.examine(found.path, found.node, step, depth + 1)
    // `#!/usr/bin/env python3`: env runs its first non-option argument through the container's PATH.
    if (script.interpreter === 'env' || script.interpreter.endsWith('/env')) {
      const target = script.argument?.split(/[ \t]+/).find((word) => !word.startsWith('-'))
      if (target) this.run(target, 'env-target', depth + 1)
    }
  }
}
