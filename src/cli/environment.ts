import {homedir} from 'node:os'
import v8 from 'node:v8'

import type {Environment} from '../api/environment.js'

/**
 * The CLI is where the process environment is read (the library takes everything as options):
 * commands and renderers ask here.
 */
export function processEnvironment(): Environment {
  return process.env
}

export function homeDir(): string {
  return homedir()
}

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline
 * compiler, then recompiles the hot parser functions with TurboFan on a background thread once
 * they have run for a while; that happens during a registry command's last requests, and node
 * waits for the recompilation before it can exit: 110-200 ms of idle between the output and the
 * exit (bench/README.md). A run of archcheck parses a few kilobytes of headers per request (bodies
 * are skipped over, not parsed), so the baseline code is fast enough: a budget this large means the
 * recompilation never starts. Process-wide, so set by the CLI's entry (before undici compiles
 * llhttp on its first connection), never by the library in its caller's process.
 */
export function avoidWasmTierUp(): void {
  v8.setFlagsFromString('--wasm-tiering-budget=1000000000')
}
