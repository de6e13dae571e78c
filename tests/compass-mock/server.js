#!/usr/bin/env node
'use strict';
// Test Connector for compass-agent: serves the Compass Connector GraphQL API
// on loopback, with a test PKI, an admin API and fault injection.
// Usage: node server.js --dir DIR [--validity SECONDS] [--parent-pid PID]

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');

const { createTestPki } = require('./lib/pki');
const { Connector } = require('./lib/connector');
const { FaultState } = require('./lib/faults');
const { createGraphqlHandler, CONNECTOR_PATH, DIRECTOR_PATH } = require('./lib/graphql-endpoint');
const { createAdminHandler } = require('./lib/admin');
const { RequestLog, logLine } = require('./lib/http-util');

const LISTEN_HOST = '127.0.0.1';
const DEFAULT_VALIDITY_SECONDS = 90 * 24 * 3600;
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const SERVER_CERT_KINDS = ['good', 'wrong-host', 'expired', 'other-ca'];
const USAGE = 'usage: node server.js --dir DIR [--validity SECONDS] [--parent-pid PID]';

function parseArguments(argv) {
  const options = { dir: null, validitySeconds: DEFAULT_VALIDITY_SECONDS, parentPid: null };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    const value = argv[i + 1];
    if (name === '--help' || name === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (!['--dir', '--validity', '--parent-pid'].includes(name)) throw new Error(`unknown option "${name}"`);
    if (value === undefined) throw new Error(`option ${name} needs a value`);
    i += 1;
    if (name === '--dir') {
      options.dir = path.resolve(value);
    } else {
      const number = Number(value);
      if (!Number.isInteger(number) || number <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
      if (name === '--validity') options.validitySeconds = number;
      else options.parentPid = number;
    }
  }
  if (!options.dir) throw new Error('missing --dir');
  return options;
}

// Server certificate and protocol versions of the two HTTPS ports, switchable
// at run time through tls.Server.setSecureContext.
class TlsSettings {
  constructor(pki) {
    this.pki = pki;
    this.servers = {};
    this.state = {
      token: { kind: 'good', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
      mtls: { kind: 'good', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
    };
  }

  contextOptions(endpoint) {
    const { kind, minVersion, maxVersion } = this.state[endpoint];
    const certificate = this.pki.serverCerts[kind];
    const options = {
      key: certificate.key,
      cert: certificate.cert,
      minVersion,
      maxVersion,
      ca: endpoint === 'mtls' ? this.pki.clientCa.certPem : undefined,
    };
    // OpenSSL 3 allows TLS 1.0 and 1.1 only at security level 0.
    if (TLS_VERSIONS.indexOf(minVersion) < TLS_VERSIONS.indexOf('TLSv1.2')) {
      options.ciphers = 'DEFAULT@SECLEVEL=0';
    }
    return options;
  }

  endpoints(selector) {
    if (selector === 'both') return ['token', 'mtls'];
    if (selector === 'token' || selector === 'mtls') return [selector];
    throw new Error(`invalid endpoint "${selector}"; expected token, mtls or both`);
  }

  apply(endpoint) {
    if (this.servers[endpoint]) this.servers[endpoint].setSecureContext(this.contextOptions(endpoint));
  }

  setServerCertificate(selector, kind) {
    if (!SERVER_CERT_KINDS.includes(kind)) {
      throw new Error(`invalid kind "${kind}"; expected one of ${SERVER_CERT_KINDS.join(', ')}`);
    }
    for (const endpoint of this.endpoints(selector)) {
      this.state[endpoint].kind = kind;
      this.apply(endpoint);
    }
  }

  // Sets the allowed TLS version range. An absent bound returns to its
  // default (TLSv1.2 minimum, TLSv1.3 maximum). A maximum below the default
  // minimum lowers the minimum with it.
  setVersions(selector, minVersion, maxVersion) {
    for (const version of [minVersion, maxVersion]) {
      if (version !== undefined && !TLS_VERSIONS.includes(version)) {
        throw new Error(`invalid TLS version "${version}"; expected one of ${TLS_VERSIONS.join(', ')}`);
      }
    }
    const max = maxVersion || 'TLSv1.3';
    let min = minVersion || 'TLSv1.2';
    if (TLS_VERSIONS.indexOf(max) < TLS_VERSIONS.indexOf(min)) {
      if (minVersion) throw new Error(`min_version ${minVersion} is above max_version ${max}`);
      min = max;
    }
    for (const endpoint of this.endpoints(selector)) {
      Object.assign(this.state[endpoint], { minVersion: min, maxVersion: max });
      this.apply(endpoint);
    }
  }

  describe() {
    return JSON.parse(JSON.stringify(this.state));
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LISTEN_HOST, () => resolve(server.address().port));
  });
}

function writeFileAtomically(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

// Stops the mock when the process that started it goes away: stdin closing
// (when stdin is a pipe or socket) or --parent-pid no longer existing.
function watchLifetime(options, stop) {
  let stdinStat = null;
  try {
    stdinStat = fs.fstatSync(0);
  } catch (err) {
    stdinStat = null; // No stdin at all: nothing to watch.
  }
  if (stdinStat && (stdinStat.isFIFO() || stdinStat.isSocket())) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin failed'));
    process.stdin.resume();
  }
  if (options.parentPid) {
    const timer = setInterval(() => {
      try {
        process.kill(options.parentPid, 0);
      } catch (err) {
        if (err.code === 'ESRCH') stop(`parent process ${options.parentPid} exited`);
      }
    }, 1000);
    timer.unref();
  }
}

async function main() {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`compass-mock: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  fs.mkdirSync(options.dir, { recursive: true });
  const portsFile = path.join(options.dir, 'ports.json');
  fs.rmSync(portsFile, { force: true });

  const pki = createTestPki(options.dir);
  const tls = new TlsSettings(pki);
  const mock = {
    connector: null,
    faults: new FaultState(),
    requestLog: new RequestLog(path.join(options.dir, 'requests.log')),
    timers: new Set(),
    ports: {},
    tls,
    stop: null,
  };

  const tokenServer = https.createServer(tls.contextOptions('token'), createGraphqlHandler('token', mock));
  const mtlsServer = https.createServer(
    { ...tls.contextOptions('mtls'), requestCert: true, rejectUnauthorized: false },
    createGraphqlHandler('mtls', mock),
  );
  const adminServer = http.createServer(createAdminHandler(mock));
  tls.servers = { token: tokenServer, mtls: mtlsServer };
  for (const [name, server] of Object.entries({ token: tokenServer, mtls: mtlsServer })) {
    server.on('tlsClientError', (err) => logLine(`TLS handshake on the ${name} port failed: ${err.message}`));
  }

  mock.ports.token = await listen(tokenServer);
  mock.ports.mtls = await listen(mtlsServer);
  mock.ports.admin = await listen(adminServer);
  mock.connector = new Connector({
    pki,
    validitySeconds: options.validitySeconds,
    urls: {
      tokenConnectorURL: `https://localhost:${mock.ports.token}${CONNECTOR_PATH}`,
      mtlsConnectorURL: `https://localhost:${mock.ports.mtls}${CONNECTOR_PATH}`,
      directorURL: `https://localhost:${mock.ports.mtls}${DIRECTOR_PATH}`,
    },
  });

  let stopping = false;
  mock.stop = (reason) => {
    if (stopping) return;
    stopping = true;
    logLine(`stopping: ${reason}`);
    for (const timer of mock.timers) clearInterval(timer);
    fs.rmSync(portsFile, { force: true });
    for (const server of [tokenServer, mtlsServer, adminServer]) {
      server.close();
      server.closeAllConnections();
    }
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', () => mock.stop('SIGTERM'));
  process.on('SIGINT', () => mock.stop('SIGINT'));
  watchLifetime(options, mock.stop);

  const ports = { ...mock.ports, pid: process.pid };
  writeFileAtomically(portsFile, `${JSON.stringify(ports)}\n`);
  logLine(`listening on ${LISTEN_HOST}: ${JSON.stringify(ports)}, directory ${options.dir}, `
    + `certificate validity ${options.validitySeconds} s`);
}

main().catch((err) => {
  process.stderr.write(`compass-mock: failed to start: ${err.stack || err}\n`);
  process.exit(1);
});
