/**
 * archcheck's library API: everything the CLI does, callable from code. Documented in README.md
 * ("Library API"). Keep this file a list of exports.
 */
export {ArchcheckError, ExitCode, RegistryError, UsageError} from './errors.js'
export {formatReference, parseReference, type Reference} from './registry/reference.js'
export type {Platform} from './platform/types.js'
export {MediaType} from './image/media-types.js'
export type {FetchedManifest, ImageSource} from './image/source.js'
export {formatPlatform, normalizePlatform} from './platform/normalize.js'
export type {Descriptor, ImageConfig, ImageNode, ImageTree, IndexNode, OtherNode, TreeNode} from './image/types.js'
