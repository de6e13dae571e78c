'use strict';
// Test PKI for the mock Connector, built with the `openssl` command-line tool
// (OpenSSL 3). `openssl ca` is used for every issued certificate because it is
// the only 3.0 command that takes explicit notBefore/notAfter dates, which the
// expired, not-yet-valid and short-lived certificates need.

const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const CA_CONFIG = `
[ ca ]
default_ca = mock_ca

[ mock_ca ]
database = index.txt
new_certs_dir = issued
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no

[ policy_any ]
commonName = optional

[ client_cert ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_cert ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::MOCK_SAN

[ ca_cert ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

function runOpenssl(args, options = {}) {
  try {
    return execFileSync('openssl', args, {
      cwd: options.cwd,
      env: { ...process.env, MOCK_SAN: 'DNS:unused.invalid', ...(options.env || {}) },
      input: options.input,
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (err) {
    const stderr = err.stderr ? String(err.stderr).trim() : '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || err.message}`);
  }
}

// Formats a Date as the GeneralizedTime string `openssl ca -startdate` takes.
function opensslTime(date) {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

function generateKey(file, algorithm) {
  const args = algorithm === 'rsa2048'
    ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file]
    : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file];
  runOpenssl(args);
  fs.chmodSync(file, 0o600);
}

// Turns [["O","Org"],["CN","x"]] into the `-subj` form "/O=Org/CN=x".
function toSubjArgument(attributes) {
  const escape = (text) => text.replace(/[\\/+=]/g, (c) => `\\${c}`);
  return attributes.map(([key, value]) => `/${key}=${escape(value)}`).join('');
}

// A certificate authority with its own `openssl ca` database under `dir`.
class CertificateAuthority {
  constructor(dir, name, commonName, algorithm) {
    this.dir = path.join(dir, `${name}-db`);
    this.keyFile = path.join(dir, `${name}-key.pem`);
    this.certFile = path.join(dir, `${name}.pem`);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'issued'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(this.dir, 'index.txt'), '');
    fs.writeFileSync(path.join(this.dir, 'ca.cnf'), CA_CONFIG);

    generateKey(this.keyFile, algorithm);
    runOpenssl(['req', '-x509', '-new', '-key', this.keyFile, '-sha256', '-days', '3650',
      '-subj', `/O=compass-mock/CN=${commonName}`,
      '-config', path.join(this.dir, 'ca.cnf'), '-extensions', 'ca_cert',
      '-out', this.certFile]);
    this.certPem = fs.readFileSync(this.certFile, 'utf8');
  }

  // Issues a certificate for the PEM CSR `csrPem`, keeping the CSR's subject
  // as it is. `profile` is 'client_cert' or 'server_cert'.
  issue(csrPem, { notBefore, notAfter, profile, san }) {
    const csrFile = path.join(this.dir, `request-${crypto.randomUUID()}.csr`);
    const certFile = `${csrFile}.pem`;
    fs.writeFileSync(csrFile, csrPem);
    try {
      runOpenssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', this.certFile,
        '-keyfile', this.keyFile, '-in', csrFile, '-out', certFile, '-notext',
        '-preserveDN', '-utf8', '-rand_serial', '-md', 'sha256',
        '-startdate', opensslTime(notBefore), '-enddate', opensslTime(notAfter),
        '-extfile', 'ca.cnf', '-extensions', profile],
      { cwd: this.dir, env: san ? { MOCK_SAN: san } : {} });
      return fs.readFileSync(certFile, 'utf8');
    } finally {
      fs.rmSync(csrFile, { force: true });
      fs.rmSync(certFile, { force: true });
    }
  }
}

function createServerCertificate(ca, dir, name, { commonName, san, notBefore, notAfter }) {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}.pem`);
  generateKey(keyFile, 'ec');
  const csrPem = runOpenssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${commonName}`]);
  const certPem = ca.issue(csrPem, { notBefore, notAfter, profile: 'server_cert', san });
  fs.writeFileSync(certFile, certPem + ca.certPem);
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: certPem + ca.certPem, certFile, keyFile };
}

// Creates every CA, key and server certificate in `dir` and returns them.
function createTestPki(dir) {
  const now = Date.now();
  const day = 24 * 3600 * 1000;
  const serverCa = new CertificateAuthority(dir, 'server-ca', 'compass-mock server CA', 'ec');
  const clientCa = new CertificateAuthority(dir, 'client-ca', 'compass-mock client CA', 'rsa2048');
  const otherCa = new CertificateAuthority(dir, 'other-ca', 'compass-mock other CA', 'ec');

  const valid = { notBefore: new Date(now - 60 * 1000), notAfter: new Date(now + 365 * day) };
  const localhost = { commonName: 'localhost', san: 'DNS:localhost,IP:127.0.0.1' };
  const serverCerts = {
    good: createServerCertificate(serverCa, dir, 'server', { ...localhost, ...valid }),
    'wrong-host': createServerCertificate(serverCa, dir, 'server-wrong-host',
      { commonName: 'wrong.example', san: 'DNS:wrong.example', ...valid }),
    expired: createServerCertificate(serverCa, dir, 'server-expired', {
      ...localhost, notBefore: new Date(now - 30 * day), notAfter: new Date(now - day),
    }),
    'other-ca': createServerCertificate(otherCa, dir, 'server-other-ca', { ...localhost, ...valid }),
  };

  // A spare RSA key, so that the wrong-key-cert fault does not wait for key generation.
  const spareKeyFile = path.join(dir, 'spare-client-key.pem');
  generateKey(spareKeyFile, 'rsa2048');

  return { serverCa, clientCa, otherCa, serverCerts, spareKeyFile };
}

// Checks the self-signature of a PEM CSR and returns its subject as
// [[shortName, value], ...] in the CSR's order. Throws on an invalid CSR.
function inspectCsr(csrPem) {
  const result = spawnSync('openssl', ['req', '-noout', '-verify', '-subject',
    '-nameopt', 'sep_multiline,sname,esc_ctrl,utf8'],
  { input: csrPem, encoding: 'utf8' });
  if (result.error || result.status !== 0 && !/verify failure/.test(result.stderr)) {
    throw new Error('invalid certificate signing request: cannot parse the CSR');
  }
  // OpenSSL 3.0 exits 0 even when the self-signature is wrong, so the
  // message that -verify prints to stderr is the reliable signal.
  if (!/verify OK/.test(result.stderr) || /verify failure/.test(result.stderr)) {
    throw new Error('invalid certificate signing request: self-signature verification failed');
  }
  const output = result.stdout;
  const attributes = [];
  for (const line of output.split('\n')) {
    const match = /^ {4}([A-Za-z0-9.]+)=(.*)$/.exec(line);
    if (match) attributes.push([match[1], match[2]]);
  }
  return attributes;
}

// Builds a CSR with the given subject attributes, signed by `keyFile`.
function createCsr(keyFile, attributes) {
  return runOpenssl(['req', '-new', '-utf8', '-key', keyFile, '-sha256',
    '-subj', toSubjArgument(attributes)]);
}

module.exports = { createTestPki, inspectCsr, createCsr };
