import { spawnSync } from 'child_process';
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureLocalCertificateAuthority } from '../../emulator/localCertificateAuthority';
import { issueLoopbackServerCertificate } from '../../emulator/loopbackServerCertificate';

describe('the local certificate authority', () => {
  let home: string;
  let savedHome: string | undefined;

  beforeEach(() => {
    savedHome = process.env['SAS_ROTATOR_EMULATOR_HOME'];
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sas-rotator-ca-'));
    process.env['SAS_ROTATOR_EMULATOR_HOME'] = home;
  });

  afterEach(() => {
    if (savedHome === undefined) delete process.env['SAS_ROTATOR_EMULATOR_HOME'];
    else process.env['SAS_ROTATOR_EMULATOR_HOME'] = savedHome;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('is created once and reused, even when several workers race to create it', async () => {
    const racing = await Promise.all([
      ensureLocalCertificateAuthority(),
      ensureLocalCertificateAuthority(),
      ensureLocalCertificateAuthority(),
    ]);
    const again = await ensureLocalCertificateAuthority();
    for (const ca of [...racing, again]) {
      expect(ca.certPath).toBe(path.join(home, 'ca', 'cert.pem'));
      expect(ca.certPem).toBe(fs.readFileSync(again.certPath, 'utf8'));
      expect(ca.keyPem).toBe(again.keyPem);
    }
    expect(fs.readdirSync(home)).toEqual(['ca']);
    expect(new X509Certificate(again.certPem).ca).toBe(true);
  });

  it('issues loopback server certificates that chain to it', async () => {
    const ca = await ensureLocalCertificateAuthority();
    const leaf = new X509Certificate((await issueLoopbackServerCertificate(ca)).cert);
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.ca).toBe(false);
  });

  it('withEmulatorCa runs a command with NODE_EXTRA_CA_CERTS and passes its exit code on', () => {
    const wrapper = path.join(__dirname, '..', '..', 'dist', 'emulator', 'withEmulatorCa.js');
    const result = spawnSync(
      process.execPath,
      [wrapper, process.execPath, '-e', 'console.log(process.env.NODE_EXTRA_CA_CERTS); process.exit(7)'],
      {
        encoding: 'utf8',
        env: { ...process.env, SAS_ROTATOR_EMULATOR_HOME: home },
      },
    );
    expect(result.status).toBe(7);
    expect(result.stdout.trim()).toBe(path.join(home, 'ca', 'cert.pem'));
  });
});
