import {declaredArgs, findStage, type Instruction, parseDockerfile, type SourceLine, type Stage} from './dockerfile.js'

/**
 * Multi-architecture pitfalls a Dockerfile can hide; each one builds fine and ships an image that
 * is wrong on some platform:
 * - `platform-arg-undeclared`: TARGETARCH & co. used in a stage that never declares them, so they
 *   expand to an empty string (a global ARG before the first FROM is not visible inside a stage);
 * - `hardcoded-architecture`: an architecture name written into a RUN/ADD/COPY/ENV of a stage
 *   built for several platforms, so every platform gets the same binary;
 * - `build-platform-output`: a `FROM --platform=$BUILDPLATFORM` stage whose files reach the final
 *   image although it never looks at TARGET*: every platform gets the build machine's binaries.
 */
export type LintRule = 'platform-arg-undeclared' | 'hardcoded-architecture' | 'build-platform-output'

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
const ARCH_NAME_RE = /(?<![A-Za-z0-9])(amd64|x86_64|x86-64|aarch64|arm64|armv[5-8]l?|armhf|armel|i386|i686|ppc64le|s390x|riscv64)(?![A-Za-z0-9])/i
/** An instruction that works the architecture out itself is choosing, not hard-coding. */
const ARCH_DETECTION_RE = /\$\{?(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)\b|uname\s+-[a-z]*m|dpkg\s+--print-architecture|apk\s+--print-arch|\$\(arch\)|`arch`/
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
  warnings.push(...buildPlatformOutputs(stages, options.target))
  return warnings.sort((a, b) => a.line - b.line)
}

const stageLabel = (stage: Stage): string => stage.name ?? `stage ${stage.index}`

/** The ARG names in scope at the start of `stage`: a stage based on another stage inherits its ARGs. */
function inheritedArgs(stage: Stage, stages: Stage[]): Set<string> {
  const parent = findStage(stages, stage.base, stage.index)
  if (!parent) return new Set()
  const names = inheritedArgs(parent, stages)
  for (const instruction of parent.instructions) if (instruction.keyword === 'ARG') for (const name of declaredArgs(instruction)) names.add(name)
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
    if (instruction.lines.some((line) => ARCH_DETECTION_RE.test(line.text))) continue
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

/** Stages whose files end up in the final image: the final stage, its base stages and every COPY --from, transitively. */
function stagesReachingFinal(stages: Stage[], target?: string): Stage[] {
  const final = target === undefined ? stages.at(-1) : findStage(stages, target, stages.length)
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

function buildPlatformOutputs(stages: Stage[], target?: string): LintWarning[] {
  const warnings: LintWarning[] = []
  for (const stage of stagesReachingFinal(stages, target)) {
    if (!/^\$\{?BUILDPLATFORM\}?$/.test(stage.from.flags.platform ?? '')) continue
    const chain = [stage]
    for (let parent = findStage(stages, stage.base, stage.index); parent; parent = findStage(stages, parent.base, parent.index)) chain.push(parent)
    const usesTarget = chain.some((member) => member.instructions.some((instruction) => findLine(instruction, TARGET_USE_RE)))
    if (usesTarget) continue
    warnings.push({
      rule: 'build-platform-output',
      line: stage.from.line,
      stage: stageLabel(stage),
      message: `${stageLabel(stage)} runs on the build platform (FROM --platform=$BUILDPLATFORM) and its files reach the final image, but it never uses TARGETOS/TARGETARCH/TARGETPLATFORM: every platform would get binaries for the build machine; cross-compile for $TARGETARCH (e.g. GOARCH=$TARGETARCH) or drop --platform`,
    })
  }
  return warnings
}

/** The first physical line of an instruction (keyword line, continuations, heredoc bodies) matching `pattern`. */
function findLine(instruction: Instruction, pattern: RegExp): SourceLine | undefined {
  return instruction.lines.find((line) => pattern.test(line.text))
}
