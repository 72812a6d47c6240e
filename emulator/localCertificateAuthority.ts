import { X509Certificate, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { generate } from 'selfsigned';

export interface LocalCertificateAuthority {
  /** The CA certificate file: what NODE_EXTRA_CA_CERTS names. */
  readonly certPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Renew a little before expiry so that a long test run never straddles it. */
const renewBeforeMs = 30 * 24 * 3600 * 1000;

/**
 * The emulator's own certificate authority, created once per checkout and reused: Node trusts extra CAs only
 * through NODE_EXTRA_CA_CERTS, read when a process starts, so the CA must exist (and stay the same) before
 * the clients start, while each emulator start issues a fresh leaf certificate from it.
 */
export async function ensureLocalCertificateAuthority(): Promise<LocalCertificateAuthority> {
  const home = emulatorHome();
  const caDirectory = path.join(home, 'ca');
  const existing = readCertificateAuthority(caDirectory);
  if (existing) return existing;

  fs.mkdirSync(home, { recursive: true });
  if (fs.existsSync(caDirectory)) {
    // Expired or damaged: move it aside rather than delete it under a concurrent reader.
    fs.renameSync(caDirectory, path.join(home, `ca.retired-${Date.now()}-${randomBytes(4).toString('hex')}`));
  }
  const created = await generate([{ name: 'commonName', value: 'sas-rotator local Azure emulator CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3600 * 1000),
    notAfterDate: new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });

  // Written into a private directory that is renamed into place in one step, so that concurrent
  // jest workers see either no CA or a complete one, and never a key from one run with a certificate from another.
  const staging = path.join(home, `ca.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(staging);
  fs.writeFileSync(path.join(staging, 'key.pem'), created.private, { mode: 0o600 });
  fs.writeFileSync(path.join(staging, 'cert.pem'), created.cert);
  try {
    fs.renameSync(staging, caDirectory);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    const winner = readCertificateAuthority(caDirectory);
    if (winner) return winner;
    throw error;
  }
  const ours = readCertificateAuthority(caDirectory);
  if (!ours) throw new Error(`The emulator CA in ${caDirectory} could not be read back`);
  return ours;
}

/** `<repo root>/.emulator`, or SAS_ROTATOR_EMULATOR_HOME. */
export function emulatorHome(): string {
  const override = process.env['SAS_ROTATOR_EMULATOR_HOME'];
  return override ? path.resolve(override) : path.join(repositoryRoot(), '.emulator');
}

/** The nearest ancestor of this file holding package.json: works from emulator/ (ts-jest) and dist/emulator/ alike. */
function repositoryRoot(): string {
  let directory = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(directory, 'package.json'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return process.cwd();
    directory = parent;
  }
}

function readCertificateAuthority(caDirectory: string): LocalCertificateAuthority | undefined {
  const certPath = path.join(caDirectory, 'cert.pem');
  try {
    const certPem = fs.readFileSync(certPath, 'utf8');
    const keyPem = fs.readFileSync(path.join(caDirectory, 'key.pem'), 'utf8');
    const certificate = new X509Certificate(certPem);
    if (Date.parse(certificate.validTo) - renewBeforeMs < Date.now()) return undefined;
    return { certPath, certPem, keyPem };
  } catch {
    return undefined;
  }
}
