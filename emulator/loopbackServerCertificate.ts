import { generate } from 'selfsigned';
import type { LocalCertificateAuthority } from './localCertificateAuthority';

export interface ServerCertificate {
  readonly key: string;
  readonly cert: string;
}

/** A short-lived TLS certificate for 127.0.0.1 and localhost, issued by the local CA at each emulator start. */
export async function issueLoopbackServerCertificate(ca: LocalCertificateAuthority): Promise<ServerCertificate> {
  const issued = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3600 * 1000),
    notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    ca: { key: ca.keyPem, cert: ca.certPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { key: issued.private, cert: issued.cert };
}
