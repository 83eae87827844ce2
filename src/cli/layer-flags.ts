import {Flags} from '@oclif/core'

import type {ReadLayersOptions} from '../api/diagnose.js'

/** The flags of every command that reads layers (diagnose, verify --deep). */
export const layerFlags = {
  'max-decompressed': Flags.integer({
    description: 'Largest total of decompressed layer bytes, in MiB (against decompression bombs).',
    helpValue: 'MIB',
    default: 16 * 1024,
    min: 1,
    helpGroup: 'LAYERS',
  }),
  'max-ratio': Flags.integer({
    description: 'Largest decompressed/compressed ratio of a layer, checked past 64 MiB of output.',
    helpValue: 'RATIO',
    default: 200,
    min: 1,
    helpGroup: 'LAYERS',
  }),
  'layer-concurrency': Flags.integer({
    description: 'Layers read at once.',
    helpValue: 'N',
    default: 3,
    min: 1,
    max: 32,
    helpGroup: 'LAYERS',
  }),
  'max-entries': Flags.integer({
    description: 'Most tar entries (files, directories, links) over all layers read; each is kept in memory.',
    helpValue: 'N',
    default: 2_000_000,
    min: 1,
    helpGroup: 'LAYERS',
  }),
}

export interface LayerFlagValues {
  'max-decompressed': number
  'max-ratio': number
  'layer-concurrency': number
  'max-entries': number
}

export function layerReadOptionsFromFlags(flags: LayerFlagValues): ReadLayersOptions {
  return {
    concurrency: flags['layer-concurrency'],
    limits: {maxTotalBytes: flags['max-decompressed'] * 1024 ** 2, maxRatio: flags['max-ratio'], maxEntries: flags['max-entries']},
  }
}
