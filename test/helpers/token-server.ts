/**
 * A token server for distribution's `auth.token`: it answers `GET /token?service=…&scope=…` with
 * a JWT signed RS256 by a key whose self-signed certificate (made with openssl) is the registry's
 * `rootcertbundle`, the certificate in the token's `x5c` header as distribution expects. Anonymous
 * callers get pull only; the user and password given get every action they ask for. Tokens
 * live `lifetimeS` seconds (`expires_in` and the JWT's `exp`), so a test can let one expire.
 */
import {createPrivateKey, randomUUID, sign, X509Certificate} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {selfSignedCertificate} from './certificates.js'

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`: the registry's `realm`. */
  realm: string
  service: string
  issuer: string
  /** The PEM certificate the registry trusts (`rootcertbundle`). */
  certificatePath: string
  /** Each request: its scopes, whether it came with credentials, and the actions granted. */
  issued: Array<{scopes: string[]; user: string | null; granted: Array<{name: string; actions: string[]}>}>
  /** The `auth:` block for startRegistryServer's extraConfig. */
  registryConfig: string
  /** Lifetime of the tokens issued from now on, in seconds. */
  setLifetime(seconds: number): void
  close(): Promise<void>
}

/** distribution accepts a token up to this long past its `exp`: the JWT says less so that a token dies when `expires_in` says. */
const REGISTRY_LEEWAY_S = 60

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

export async function startTokenServer(dir: string, options: {user: string; password: string; lifetimeS?: number}): Promise<TokenServer> {
  const {certificate: certificatePath, key: keyPath} = selfSignedCertificate(dir, {name: 'token', commonName: 'archcheck-token-issuer'})
  const key = createPrivateKey(readFileSync(keyPath))
  const certificate = new X509Certificate(readFileSync(certificatePath))
  const service = 'archcheck-test-registry'
  const issuer = 'archcheck-test-issuer'
  let lifetime = options.lifetimeS ?? 300
  const issued: TokenServer['issued'] = []
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token')
    if (url.pathname !== '/token') return void response.writeHead(404).end()
    const authorization = request.headers.authorization
    if (authorization && authorization !== expected) return void response.writeHead(401).end('{"details":"bad credentials"}')
    const user = authorization ? options.user : null
    const scopes = url.searchParams.getAll('scope')
    const granted = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':')
      if (type !== 'repository' || !name || !actions) return []
      const allowed = actions.split(',').filter((action) => user !== null || action === 'pull')
      return allowed.length > 0 ? [{type, name, actions: allowed}] : []
    })
    issued.push({scopes, user, granted: granted.map(({name, actions}) => ({name, actions}))})
    const now = Math.floor(Date.now() / 1000)
    const header = {alg: 'RS256', typ: 'JWT', x5c: [certificate.raw.toString('base64')]}
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: url.searchParams.get('service') ?? '',
      exp: now + lifetime - REGISTRY_LEEWAY_S,
      nbf: now - 1,
      iat: now,
      jti: randomUUID(),
      access: granted,
    }
    const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
    const token = `${signed}.${base64url(sign('sha256', Buffer.from(signed), key))}`
    response
      .writeHead(200, {'content-type': 'application/json'})
      .end(JSON.stringify({token, access_token: token, expires_in: lifetime, issued_at: new Date(now * 1000).toISOString()}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
  return {
    realm,
    service,
    issuer,
    certificatePath,
    issued,
    setLifetime: (seconds) => {
      lifetime = seconds
    },
    registryConfig: `auth:\n  token:\n    realm: ${realm}\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${certificatePath}\n`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
