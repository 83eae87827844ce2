/**
 * The one place tests make X.509 certificates, with openssl (an independent implementation, so a
 * certificate archcheck accepts was not shaped by archcheck's own code). Files are written into a
 * directory the caller owns (a `tempDir`).
 */
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

export interface CertificateFiles {
  /** PEM certificate. */
  certificate: string
  /** PEM private key (RSA 2048, unencrypted). */
  key: string
}

const openssl = (args: string[]): void => void execFileSync('openssl', args, {stdio: 'ignore'})

/**
 * A self-signed certificate valid for a day: `name.crt` and `name.key` in `dir`. `subjectAltName`
 * (e.g. `DNS:registry.example`) is what TLS clients check the host against.
 */
export function selfSignedCertificate(dir: string, options: {name: string; commonName: string; subjectAltName?: string}): CertificateFiles {
  const files = {certificate: join(dir, `${options.name}.crt`), key: join(dir, `${options.name}.key`)}
  const extension = options.subjectAltName ? ['-addext', `subjectAltName=${options.subjectAltName}`] : []
  const subject = ['-subj', `/CN=${options.commonName}`, ...extension]
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', ...subject, '-keyout', files.key, '-out', files.certificate, '-days', '1'])
  return files
}

/** A private CA and a server certificate it signs for `ip` (the CA is what a client must trust). */
export function caSignedServerCertificate(dir: string, ip: string): CertificateFiles & {ca: string} {
  const ca = selfSignedCertificate(dir, {name: 'ca', commonName: 'archcheck test CA'})
  const file = (name: string): string => join(dir, name)
  const extensions = file('server-ext.cnf')
  writeFileSync(extensions, `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\n`)
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${ip}`])
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    ca.certificate,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '1',
    '-extfile',
    extensions,
  ])
  return {ca: ca.certificate, certificate: file('server.crt'), key: file('server.key')}
}
