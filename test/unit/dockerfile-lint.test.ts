import {describe, expect, it} from 'vitest'

import {parseDockerfile} from '../../src/engine/build/dockerfile.js'
import {lintDockerfile} from '../../src/engine/build/dockerfile-lint.js'

const TWO = ['linux/amd64', 'linux/arm64']
const lines = (...text: string[]): string => text.join('\n')

interface Case {
  name: string
  dockerfile: string
  platforms?: string[]
  target?: string
  /** Expected findings as `rule@line`. */
  expected: string[]
}

const cases: Case[] = [
  // platform-arg-undeclared
  {
    name: 'TARGETARCH used without ARG',
    dockerfile: lines('FROM alpine', 'RUN echo $TARGETARCH > /arch'),
    expected: ['platform-arg-undeclared@2'],
  },
  {
    name: 'TARGETARCH declared in the stage',
    dockerfile: lines('FROM alpine', 'ARG TARGETARCH', 'RUN echo $TARGETARCH > /arch'),
    expected: [],
  },
  {
    name: 'global ARG before FROM is not visible in the stage',
    dockerfile: lines('ARG TARGETPLATFORM', 'FROM alpine', 'RUN echo ${TARGETPLATFORM} > /p'),
    expected: ['platform-arg-undeclared@3'],
  },
  {
    name: 'global ARG re-declared inside the stage',
    dockerfile: lines('ARG TARGETPLATFORM', 'FROM alpine', 'ARG TARGETPLATFORM', 'RUN echo ${TARGETPLATFORM} > /p'),
    expected: [],
  },
  {
    name: 'ARG declared after its use',
    dockerfile: lines('FROM alpine', 'RUN echo $TARGETOS', 'ARG TARGETOS'),
    expected: ['platform-arg-undeclared@2'],
  },
  {
    name: 'ARG inherited from a parent stage',
    dockerfile: lines('FROM alpine AS base', 'ARG TARGETARCH', 'FROM base AS child', 'RUN echo $TARGETARCH'),
    expected: [],
  },
  {
    name: 'ARG of an unrelated earlier stage does not count',
    dockerfile: lines('FROM alpine AS one', 'ARG TARGETARCH', 'FROM alpine AS two', 'RUN echo $TARGETARCH'),
    expected: ['platform-arg-undeclared@4'],
  },
  {
    name: 'TARGETPLATFORM in FROM needs no ARG (global scope)',
    dockerfile: lines('FROM --platform=$TARGETPLATFORM alpine', 'RUN true'),
    expected: [],
  },
  {
    name: 'use inside a continuation line is reported on that line',
    dockerfile: lines('FROM alpine', 'RUN set -e; \\', '    # a comment inside', '    echo $TARGETVARIANT'),
    expected: ['platform-arg-undeclared@4'],
  },
  {
    name: 'use inside a heredoc body',
    dockerfile: lines(
      '# syntax=docker/dockerfile:1',
      'FROM alpine',
      'RUN <<EOF',
      'echo start',
      'echo $TARGETARCH',
      'EOF',
      'ARG TARGETARCH',
    ),
    expected: ['platform-arg-undeclared@5'],
  },
  {name: 'lower-case instructions', dockerfile: lines('from alpine', 'run echo $TARGETARCH'), expected: ['platform-arg-undeclared@2']},

  // hardcoded-architecture
  {
    name: 'download URL with amd64 in a stage built for two platforms',
    dockerfile: lines('FROM alpine', 'ADD https://example.com/tool-linux-amd64.tar.gz /tmp/'),
    expected: ['hardcoded-architecture@2'],
  },
  {
    name: 'the same for one platform only',
    dockerfile: lines('FROM alpine', 'ADD https://example.com/tool-linux-amd64.tar.gz /tmp/'),
    platforms: ['linux/amd64'],
    expected: [],
  },
  {
    name: 'x86_64 in a RUN continuation line',
    dockerfile: lines(
      'FROM debian',
      'RUN curl -fsSLo /usr/local/bin/jq \\',
      '      https://example.com/jq-linux-x86_64 && chmod +x /usr/local/bin/jq',
    ),
    expected: ['hardcoded-architecture@3'],
  },
  {
    name: 'ENV with aarch64',
    dockerfile: lines('FROM debian', 'ENV LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu'),
    expected: ['hardcoded-architecture@2'],
  },
  {
    name: 'architecture chosen from TARGETARCH',
    dockerfile: lines(
      'FROM alpine',
      'ARG TARGETARCH',
      'RUN case "$TARGETARCH" in amd64) A=x86_64;; arm64) A=aarch64;; esac; wget https://e.com/t-$A',
    ),
    expected: [],
  },
  {
    name: 'architecture detected with uname -m',
    dockerfile: lines('FROM alpine', 'RUN [ "$(uname -m)" = x86_64 ] && echo intel || echo other'),
    expected: [],
  },
  {
    name: 'stage pinned to the build platform',
    dockerfile: lines(
      'FROM --platform=$BUILDPLATFORM golang AS tools',
      'ARG TARGETARCH',
      'RUN wget https://e.com/protoc-linux-x86_64.zip',
      'RUN GOARCH=$TARGETARCH go build -o /x',
      'FROM alpine',
      'COPY --from=tools /x /x',
    ),
    expected: [],
  },
  {
    name: 'stage pinned to one platform',
    dockerfile: lines('FROM --platform=linux/amd64 debian AS tools', 'RUN dpkg --add-architecture arm64', 'FROM alpine'),
    expected: [],
  },
  {name: 'words that only contain an arch name', dockerfile: lines('FROM alpine', 'RUN echo xamd64y farm64'), expected: []},
  {name: 'comments are not instructions', dockerfile: lines('FROM alpine', '# download the amd64 build', 'RUN true'), expected: []},

  {
    name: 'architecture names in shell comments, also in a heredoc script',
    dockerfile: lines(
      'FROM alpine',
      'RUN apk add curl # works on amd64 and arm64',
      'RUN <<EOF',
      '# the x86_64 mirror is slow',
      'echo hi',
      'EOF',
    ),
    expected: [],
  },
  {
    name: 'a # inside quotes is not a comment',
    dockerfile: lines('FROM alpine', 'RUN echo "# build" && wget https://e.com/t-arm64'),
    expected: ['hardcoded-architecture@2'],
  },
  {
    name: 'a # inside a word is not a comment',
    dockerfile: lines('FROM alpine', 'RUN wget https://e.com/t.tgz#sha && wget https://e.com/t-arm64'),
    expected: ['hardcoded-architecture@2'],
  },
  {
    name: 'detection named in a comment does not excuse a hard-coded name',
    dockerfile: lines('FROM alpine', 'RUN wget https://e.com/t-amd64 # TODO: uname -m'),
    expected: ['hardcoded-architecture@2'],
  },
  {name: 'TARGETARCH in a comment needs no ARG', dockerfile: lines('FROM alpine', 'RUN true # set from $TARGETARCH later'), expected: []},

  // fixed-final-platform
  {
    name: 'final stage pinned to linux/amd64',
    dockerfile: lines('FROM --platform=linux/amd64 alpine', 'RUN true'),
    expected: ['fixed-final-platform@1'],
  },
  {
    name: 'final stage based on a pinned stage',
    dockerfile: lines('FROM --platform=linux/amd64 alpine AS base', 'RUN true', 'FROM base', 'RUN true'),
    expected: ['fixed-final-platform@1'],
  },
  {
    name: 'pinned to the only platform built (an alias of it)',
    dockerfile: lines('FROM --platform=linux/x86_64 alpine'),
    platforms: ['linux/amd64'],
    expected: [],
  },
  {
    name: 'pinned to another platform than the only one built',
    dockerfile: lines('FROM --platform=linux/amd64 alpine'),
    platforms: ['linux/arm64'],
    expected: ['fixed-final-platform@1'],
  },
  {
    name: 'final stage chosen per architecture from pinned stages',
    dockerfile: lines(
      'FROM --platform=linux/amd64 alpine AS build_amd64',
      'FROM --platform=linux/arm64 alpine AS build_arm64',
      'FROM build_${TARGETARCH}',
    ),
    expected: [],
  },
  {
    name: '--target selects a pinned stage',
    dockerfile: lines('FROM --platform=linux/amd64 debian AS tools', 'RUN true', 'FROM alpine'),
    target: 'tools',
    expected: ['fixed-final-platform@1'],
  },
  {name: 'final stage pinned to TARGETPLATFORM', dockerfile: lines('FROM --platform=$TARGETPLATFORM alpine', 'RUN true'), expected: []},

  // build-platform-output
  {
    name: 'BUILDPLATFORM stage copied into the final image without TARGET*',
    dockerfile: lines(
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
      'RUN go build -o /app .',
      'FROM alpine',
      'COPY --from=build /app /app',
    ),
    expected: ['build-platform-output@1'],
  },
  {
    name: 'BUILDPLATFORM stage that cross-compiles for TARGETARCH',
    dockerfile: lines(
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
      'ARG TARGETOS TARGETARCH',
      'RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .',
      'FROM alpine',
      'COPY --from=build /app /app',
    ),
    expected: [],
  },
  {
    name: 'BUILDPLATFORM stage reached through an intermediate stage',
    dockerfile: lines(
      'FROM --platform=${BUILDPLATFORM} node AS assets',
      'RUN npm run build-native',
      'FROM alpine AS middle',
      'COPY --from=assets /out /out',
      'FROM alpine',
      'COPY --from=middle /out /out',
    ),
    expected: ['build-platform-output@1'],
  },
  {
    name: 'BUILDPLATFORM stage referenced by index',
    dockerfile: lines('FROM --platform=$BUILDPLATFORM golang', 'RUN go build -o /app .', 'FROM alpine', 'COPY --from=0 /app /app'),
    expected: ['build-platform-output@1'],
  },
  {
    name: 'BUILDPLATFORM stage not reaching the final image',
    dockerfile: lines('FROM --platform=$BUILDPLATFORM golang AS lint', 'RUN go vet ./...', 'FROM alpine', 'RUN true'),
    expected: [],
  },
  {
    name: '--target selects a stage the BUILDPLATFORM stage does not reach',
    dockerfile: lines(
      'FROM --platform=$BUILDPLATFORM golang AS build',
      'RUN go build -o /app .',
      'FROM alpine AS slim',
      'RUN true',
      'FROM alpine',
      'COPY --from=build /app /app',
    ),
    target: 'slim',
    expected: [],
  },
  {
    name: 'stage pinned to linux/amd64 copied into the final image without TARGET*',
    dockerfile: lines(
      'FROM --platform=linux/amd64 golang AS build',
      'RUN go build -o /app .',
      'FROM alpine',
      'COPY --from=build /app /app',
    ),
    expected: ['build-platform-output@1'],
  },
  {
    name: 'stage pinned to linux/amd64 that cross-compiles for TARGETARCH',
    dockerfile: lines(
      'FROM --platform=linux/amd64 golang AS build',
      'ARG TARGETARCH',
      'RUN GOARCH=$TARGETARCH go build -o /app .',
      'FROM alpine',
      'COPY --from=build /app /app',
    ),
    expected: [],
  },
  {
    name: 'stage pinned to the only platform built',
    dockerfile: lines(
      'FROM --platform=linux/amd64 golang AS build',
      'RUN go build -o /app .',
      'FROM alpine',
      'COPY --from=build /app /app',
    ),
    platforms: ['linux/amd64'],
    expected: [],
  },
  {
    name: 'stage names compare case-insensitively',
    dockerfile: lines(
      'FROM --platform=$BUILDPLATFORM golang AS Build',
      'RUN go build -o /app .',
      'FROM alpine',
      'COPY --from=BUILD /app /app',
    ),
    expected: ['build-platform-output@1'],
  },

  // all three at once, with the escape directive
  {
    name: 'several pitfalls, backtick escape',
    dockerfile: lines(
      '# escape=`',
      'FROM --platform=$BUILDPLATFORM golang AS build',
      'RUN go build `',
      '    -o /app .',
      'FROM debian',
      'RUN wget https://e.com/tini-arm64 && echo $TARGETARCH',
      'COPY --from=build /app /app',
    ),
    expected: ['build-platform-output@2', 'platform-arg-undeclared@6'],
  },
]

describe('lintDockerfile', () => {
  it.each(cases)('$name', ({dockerfile, platforms, target, expected}) => {
    const warnings = lintDockerfile(dockerfile, {platforms: platforms ?? TWO, target})
    expect(warnings.map((warning) => `${warning.rule}@${warning.line}`)).toEqual(expected)
  })

  it('explains each finding with the stage and what to do', () => {
    const [undeclared] = lintDockerfile(lines('ARG TARGETARCH', 'FROM alpine AS app', 'RUN echo $TARGETARCH'), {platforms: TWO})
    expect(undeclared.stage).toBe('app')
    expect(undeclared.message).toContain('not visible inside a stage')
    expect(undeclared.message).toContain('add `ARG TARGETARCH`')
    const [hardcoded] = lintDockerfile(lines('FROM alpine', 'ADD https://e.com/x-linux-amd64 /x'), {platforms: TWO})
    expect(hardcoded.stage).toBe('stage 0')
    expect(hardcoded.message).toContain('"amd64"')
    const [fixed] = lintDockerfile(lines('FROM --platform=linux/amd64 alpine AS app'), {platforms: TWO})
    const [pinned] = lintDockerfile(lines('FROM --platform=linux/amd64 golang AS build', 'FROM alpine', 'COPY --from=build /app /app'), {
      platforms: TWO,
    })
    expect(pinned.message).toContain('build runs on linux/amd64 (FROM --platform=linux/amd64) and its files reach the final image')
    expect(pinned.message).toContain('every platform would get binaries for linux/amd64')
    expect(fixed.message).toBe(
      "the final image is built FROM --platform=linux/amd64 (app), so every platform's image gets linux/amd64 files and linux/arm64 hosts fail with `exec format error`; drop --platform from this FROM (or use $TARGETPLATFORM)",
    )
  })

  it('treats a RUN line after a heredoc as a new instruction', () => {
    const warnings = lintDockerfile(lines('FROM alpine', 'COPY <<-EOF /etc/motd', '\thello', '\tEOF', 'RUN wget https://e.com/x-amd64'), {
      platforms: TWO,
    })
    expect(warnings.map((warning) => `${warning.rule}@${warning.line}`)).toEqual(['hardcoded-architecture@5'])
  })
})

describe('parseDockerfile', () => {
  it('keeps directives, global ARGs, stages, flags and heredocs', () => {
    const parsed = parseDockerfile(
      lines(
        '# syntax=docker/dockerfile:1.7',
        '# escape=\\',
        'ARG VERSION=1',
        '',
        'FROM --platform=$BUILDPLATFORM golang:${VERSION} AS Build',
        'RUN <<A <<"B"',
        'one',
        'A',
        'two',
        'B',
        'FROM alpine',
        'COPY --from=build --chmod=755 /a /b',
      ),
    )
    expect(parsed.directives).toEqual({syntax: 'docker/dockerfile:1.7', escape: '\\'})
    expect(parsed.globalArgs.map((arg) => arg.args)).toEqual(['VERSION=1'])
    expect(parsed.stages.map((stage) => [stage.index, stage.name, stage.base, stage.from.line])).toEqual([
      [0, 'build', 'golang:${VERSION}', 5],
      [1, undefined, 'alpine', 11],
    ])
    expect(parsed.stages[0].from.flags).toEqual({platform: '$BUILDPLATFORM'})
    expect(parsed.stages[0].instructions[0].heredocs).toEqual(['one', 'two'])
    expect(parsed.stages[1].instructions[0]).toMatchObject({keyword: 'COPY', line: 12, flags: {from: 'build', chmod: '755'}, args: '/a /b'})
  })
})
