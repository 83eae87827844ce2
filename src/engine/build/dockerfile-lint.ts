import {formatPlatform, normalizePlatform} from '../../oci/platform/normalize.js'
import {parsePlatform} from '../../oci/platform/parse.js'
import {declaredArgs, findStage, type Instruction, parseDockerfile, type SourceLine, type Stage} from './dockerfile.js'

/**
 * Multi-architecture pitfalls a Dockerfile can hide; each one builds fine and ships an image that
 * is wrong on some platform:
 * - `platform-arg-undeclared`: TARGETARCH & co. used in a stage that never declares them, so they
 *   expand to an empty string (a global ARG before the first FROM is not visible inside a stage);
 * - `hardcoded-architecture`: an architecture name written into a RUN/ADD/COPY/ENV of a stage
 *   built for several platforms, so every platform gets the same binary;
 * - `build-platform-output`: a `FROM --platform=$BUILDPLATFORM` stage (or one pinned to another
 *   platform) whose files reach the final image although it never looks at TARGET*: every
 *   platform gets the build machine's (that platform's) binaries;
 * - `fixed-final-platform`: the final stage (or a stage it is based on) pinned to one platform
 *   (`FROM --platform=linux/amd64`): every platform's image gets that platform's files.
 */
export type LintRule = 'platform-arg-undeclared' | 'hardcoded-architecture' | 'build-platform-output' | 'fixed-final-platform'

export interface LintWarning {
  rule: LintRule
  /** 1-based line in the Dockerfile. */
  line: number
  /** The stage's name, or its index as `stage 2`. */
  stage: string
  message: string
}

export interface LintOptions {
  /** The platforms being built; architecture names only matter when there are several. */
  platforms: string[]
  /** The stage built (`--target`); default the last one. */
  target?: string
}

const PLATFORM_ARGS = ['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT']
const TARGET_USE_RE = /\$\{?TARGET(PLATFORM|OS|ARCH|VARIANT)\b/
const ARCH_NAME_RE =
  /(?<![A-Za-z0-9])(amd64|x86_64|x86-64|aarch64|arm64|armv[5-8]l?|armhf|armel|i386|i686|ppc64le|s390x|riscv64)(?![A-Za-z0-9])/i
/** An instruction that works the architecture out itself is choosing, not hard-coding. */
const ARCH_DETECTION_RE =
  /\$\{?(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)\b|uname\s+-[a-z]*m|dpkg\s+--print-architecture|apk\s+--print-arch|\$\(arch\)|`arch`/
const ARCH_CHECKED_INSTRUCTIONS = new Set(['RUN', 'ADD', 'COPY', 'ENV'])

export function lintDockerfile(text: string, options: LintOptions): LintWarning[] {
  const dockerfile = parseDockerfile(text)
  const {stages} = dockerfile
  const globalNames = new Set(dockerfile.globalArgs.flatMap(declaredArgs))
  const warnings: LintWarning[] = []

  for (const stage of stages) {
    warnings.push(...undeclaredPlatformArgs(stage, stages, globalNames))
    if (options.platforms.length > 1 && buildsPerTargetPlatform(stage)) warnings.push(...hardcodedArchitectures(stage))
  }
  warnings.push(...buildPlatformOutputs(stages, options))
  warnings.push(...fixedFinalPlatform(stages, options))
  return warnings.sort((a, b) => a.line - b.line)
}

const stageLabel = (stage: Stage): string => stage.name ?? `stage ${stage.index}`

/** The ARG names in scope at the start of `stage`: a stage based on another stage inherits its ARGs. */
function inheritedArgs(stage: Stage, stages: Stage[]): Set<string> {
  const parent = findStage(stages, stage.base, stage.index)
  if (!parent) return new Set()
  const names = inheritedArgs(parent, stages)
  for (const instruction of parent.instructions)
    if (instruction.keyword === 'ARG') for (const name of declaredArgs(instruction)) names.add(name)
  return names
}

function undeclaredPlatformArgs(stage: Stage, stages: Stage[], globalNames: Set<string>): LintWarning[] {
  const declared = inheritedArgs(stage, stages)
  const warnings: LintWarning[] = []
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'ARG') {
      for (const name of declaredArgs(instruction)) declared.add(name)
      continue
    }
    for (const name of PLATFORM_ARGS) {
      if (declared.has(name)) continue
      const use = findLine(instruction, new RegExp(`\\$\\{?${name}\\b`))
      if (!use) continue
      const hint = globalNames.has(name) ? ` (the ARG ${name} before the first FROM is not visible inside a stage)` : ''
      warnings.push({
        rule: 'platform-arg-undeclared',
        line: use.line,
        stage: stageLabel(stage),
        message: `${name} is used in ${stageLabel(stage)} without \`ARG ${name}\` in that stage, so it expands to an empty string${hint}; add \`ARG ${name}\` after its FROM`,
      })
      declared.add(name) // one warning per name and stage
    }
  }
  return warnings
}

/** A stage runs once per target platform unless its FROM pins a platform (`$BUILDPLATFORM`, `linux/amd64`). */
function buildsPerTargetPlatform(stage: Stage): boolean {
  const platform = stage.from.flags.platform
  return platform === undefined || /^\$\{?TARGETPLATFORM\}?$/.test(platform)
}

function hardcodedArchitectures(stage: Stage): LintWarning[] {
  const warnings: LintWarning[] = []
  for (const instruction of stage.instructions) {
    if (!ARCH_CHECKED_INSTRUCTIONS.has(instruction.keyword)) continue
    if (findLine(instruction, ARCH_DETECTION_RE)) continue
    const use = findLine(instruction, ARCH_NAME_RE)
    if (!use) continue
    const arch = ARCH_NAME_RE.exec(use.text)![1]
    warnings.push({
      rule: 'hardcoded-architecture',
      line: use.line,
      stage: stageLabel(stage),
      message: `${instruction.keyword} in ${stageLabel(stage)} names the architecture "${arch}" although this stage is built for every platform; derive it from TARGETARCH (\`ARG TARGETARCH\`) instead`,
    })
  }
  return warnings
}

/** The stage that is built: `--target`, else the last one. */
function finalStage(stages: Stage[], target?: string): Stage | undefined {
  return target === undefined ? stages.at(-1) : findStage(stages, target, stages.length)
}

/** A stage and the stages it is based on (`FROM base`), nearest first. */
function baseChain(stages: Stage[], stage: Stage | undefined): Stage[] {
  const chain: Stage[] = []
  for (let member = stage; member; member = findStage(stages, member.base, member.index)) chain.push(member)
  return chain
}

/** Stages whose files end up in the final image: the final stage, its base stages and every COPY --from, transitively. */
function stagesReachingFinal(stages: Stage[], target?: string): Stage[] {
  const final = finalStage(stages, target)
  if (!final) return []
  const reached = new Set<Stage>()
  const visit = (stage: Stage): void => {
    if (reached.has(stage)) return
    reached.add(stage)
    const parent = findStage(stages, stage.base, stage.index)
    if (parent) visit(parent)
    for (const instruction of stage.instructions) {
      const from = instruction.keyword === 'COPY' || instruction.keyword === 'ADD' ? instruction.flags.from : undefined
      const source = from === undefined ? undefined : findStage(stages, from, stage.index)
      if (source) visit(source)
    }
  }
  visit(final)
  return [...reached]
}

function buildPlatformOutputs(stages: Stage[], options: LintOptions): LintWarning[] {
  const warnings: LintWarning[] = []
  const finalChain = new Set(baseChain(stages, finalStage(stages, options.target)))
  for (const stage of stagesReachingFinal(stages, options.target)) {
    const pinned = stage.from.flags.platform ?? ''
    const onBuildPlatform = /^\$\{?BUILDPLATFORM\}?$/.test(pinned)
    // A constant platform in the final stage's own chain is fixed-final-platform's.
    const onOtherPlatform =
      pinned !== '' &&
      !pinned.includes('$') &&
      !finalChain.has(stage) &&
      options.platforms.some((platform) => normalizedSpec(platform) !== normalizedSpec(pinned))
    if (!onBuildPlatform && !onOtherPlatform) continue
    const usesTarget = baseChain(stages, stage).some((member) =>
      member.instructions.some((instruction) => findLine(instruction, TARGET_USE_RE)),
    )
    if (usesTarget) continue
    const where = onBuildPlatform ? 'the build platform (FROM --platform=$BUILDPLATFORM)' : `${pinned} (FROM --platform=${pinned})`
    const whose = onBuildPlatform ? 'the build machine' : normalizedSpec(pinned)
    warnings.push({
      rule: 'build-platform-output',
      line: stage.from.line,
      stage: stageLabel(stage),
      message: `${stageLabel(stage)} runs on ${where} and its files reach the final image, but it never uses TARGETOS/TARGETARCH/TARGETPLATFORM: every platform would get binaries for ${whose}; cross-compile for $TARGETARCH (e.g. GOARCH=$TARGETARCH) or drop --platform`,
    })
  }
  return warnings
}

/**
 * A FROM chain (the final stage, the stage it is based on, …) whose first `--platform` is a
 * constant such as `linux/amd64`: the image is then that platform's whatever is built, so the
 * other platforms' hosts get `exec format error`. BuildKit's own check for this is
 * FromPlatformFlagConstDisallowed (docs.docker.com/reference/build-checks/from-platform-flag-const-disallowed).
 * A platform that is a variable (`$BUILDPLATFORM`, `$TARGETPLATFORM`) is left to the other rules.
 */
function fixedFinalPlatform(stages: Stage[], options: LintOptions): LintWarning[] {
  const stage = baseChain(stages, finalStage(stages, options.target)).find((member) => member.from.flags.platform !== undefined)
  const pinned = stage?.from.flags.platform
  if (!stage || pinned === undefined || pinned.includes('$')) return []
  const normalised = normalizedSpec(pinned)
  const others = options.platforms.filter((platform) => normalizedSpec(platform) !== normalised)
  if (others.length === 0) return []
  return [
    {
      rule: 'fixed-final-platform',
      line: stage.from.line,
      stage: stageLabel(stage),
      message: `the final image is built FROM --platform=${pinned} (${stageLabel(stage)}), so every platform's image gets ${normalised} files and ${others.join(', ')} hosts fail with \`exec format error\`; drop --platform from this FROM (or use $TARGETPLATFORM)`,
    },
  ]
}

/** `os/arch[/variant]` normalised as the platform rules do (`linux/aarch64` → `linux/arm64`); a spec that does not parse stays as written. */
function normalizedSpec(spec: string): string {
  try {
    return formatPlatform(normalizePlatform(parsePlatform(spec)))
  } catch {
    return spec
  }
}

/**
 * The instruction's lines as its command reads them: for RUN, shell comments (a `#` that starts a
 * word outside quotes, to the end of the line) are cut, so `# for amd64 hosts` or
 * `# see $TARGETARCH` in a comment is neither a finding nor a reason to skip one.
 */
function codeLines(instruction: Instruction): SourceLine[] {
  if (instruction.keyword !== 'RUN') return instruction.lines
  let quote: string | undefined
  return instruction.lines.map(({line, text}) => {
    for (let i = 0; i < text.length; i++) {
      const char = text[i]
      if (quote) {
        if (char === quote) quote = undefined
        else if (char === '\\' && quote === '"') i++
      } else if (char === '\\') {
        i++
      } else if (char === '"' || char === "'") {
        quote = char
      } else if (char === '#' && (i === 0 || /[\s;&|()]/.test(text[i - 1]))) {
        return {line, text: text.slice(0, i)}
      }
    }
    return {line, text}
  })
}

/** The first physical line of an instruction (keyword line, continuations, heredoc bodies) matching `pattern`, comments aside. */
function findLine(instruction: Instruction, pattern: RegExp): SourceLine | undefined {
  return codeLines(instruction).find((line) => pattern.test(line.text))
}
