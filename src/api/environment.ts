// What the library can derive from an environment the caller passes; it never reads the process's own.
export {dockerKeychain, type Credentials, type DockerKeychainOptions, type Keychain} from '../source/registry/credentials.js'
export {registryOptionsFromEnvironment, type Environment} from '../source/registry/environment.js'
export {defaultCacheDir} from '../source/cache.js'
