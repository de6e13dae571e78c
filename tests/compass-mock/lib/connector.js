'use strict';
// Connector state (clients, one-time tokens, revoked certificates) and the
// GraphQL schemas with their resolvers, executed by graphql-js.

const crypto = require('node:crypto');
const { buildSchema } = require('graphql');
const { inspectCsr, createCsr } = require('./pki');

const CONNECTOR_SCHEMA = buildSchema(`
  type Query {
    configuration: Configuration!
  }
  type Mutation {
    signCertificateSigningRequest(csr: String!): CertificationResult!
    revokeCertificate: Boolean!
  }
  type Configuration {
    token: Token
    certificateSigningRequestInfo: CertificateSigningRequestInfo
    managementPlaneInfo: ManagementPlaneInfo
  }
  type Token {
    token: String!
  }
  type CertificateSigningRequestInfo {
    subject: String!
    keyAlgorithm: String!
  }
  type ManagementPlaneInfo {
    directorURL: String
    certificateSecuredConnectorURL: String
  }
  type CertificationResult {
    certificateChain: String!
    caCertificate: String!
    clientCertificate: String!
  }
`);

// The part of the Director schema that the mock serves: only `viewer`,
// which a runtime reaches with its client certificate.
const DIRECTOR_SCHEMA = buildSchema(`
  type Query {
    viewer: Viewer!
  }
  type Viewer {
    id: ID!
    type: ViewerType!
  }
  enum ViewerType {
    RUNTIME
    APPLICATION
    INTEGRATION_SYSTEM
    USER
  }
`);

const DEFAULT_TOKEN_TTL_SECONDS = 3600;
const DAY_MS = 24 * 3600 * 1000;

function sha256Hex(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

// Parses a Compass subject string "O=Org,OU=Unit,...,CN=id" into
// [[key, value], ...]. Values may contain spaces but not commas.
function parseSubject(subject) {
  const attributes = [];
  for (const part of subject.split(',')) {
    const equals = part.indexOf('=');
    if (equals <= 0) throw new Error(`invalid subject "${subject}": segment "${part}" has no KEY=value form`);
    attributes.push([part.slice(0, equals).trim(), part.slice(equals + 1)]);
  }
  if (!attributes.some(([key]) => key === 'CN')) {
    throw new Error(`invalid subject "${subject}": CN is missing`);
  }
  return attributes;
}

function formatSubject(attributes) {
  return attributes.map(([key, value]) => `${key}=${value}`).join(',');
}

// Returns true when both lists contain the same KEY=value pairs, in any order.
function sameAttributes(left, right) {
  const normalize = (list) => list.map(([key, value]) => `${key}=${value}`).sort();
  const a = normalize(left);
  const b = normalize(right);
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function decodeCsr(csrBase64) {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(csrBase64) || csrBase64.length % 4 !== 0) {
    throw new Error('invalid CSR: expected standard padded base64 without line breaks');
  }
  const pem = Buffer.from(csrBase64, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    throw new Error('invalid CSR: the decoded value is not a PEM certificate request');
  }
  return pem;
}

function base64(text) {
  return Buffer.from(text, 'utf8').toString('base64');
}

class Connector {
  // `urls` has tokenConnectorURL, mtlsConnectorURL and directorURL.
  constructor({ pki, validitySeconds, urls }) {
    this.pki = pki;
    this.validitySeconds = validitySeconds;
    this.urls = urls;
    this.clients = new Map();        // client id -> { id, subject, attributes }
    this.tokens = new Map();         // SHA-256 of token -> { clientId, expiresAt }
    this.usedTokens = new Map();     // SHA-256 of token -> client id
    this.revoked = new Set();        // SHA-256 of certificate DER
  }

  // Stands in for the Director's requestOneTimeTokenForRuntime.
  // Without clientId, the client id is the subject's CN, or a new UUID when
  // no subject is given either.
  issueToken({ clientId, subject, ttlSeconds } = {}) {
    const attributes = subject ? parseSubject(subject) : null;
    const subjectCn = attributes ? attributes.find(([key]) => key === 'CN')[1] : null;
    const id = clientId || subjectCn || crypto.randomUUID();
    if (subjectCn !== null && subjectCn !== id) {
      throw new Error(`subject CN "${subjectCn}" must equal client_id "${id}", because the mTLS endpoint identifies clients by CN`);
    }
    let client = this.clients.get(id);
    if (!client || attributes) {
      const subjectText = subject || `O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=${id}`;
      client = { id, subject: subjectText, attributes: attributes || parseSubject(subjectText) };
      this.clients.set(id, client);
    }
    const token = this.mintToken(client, ttlSeconds);
    const raw = JSON.stringify({ token, connectorURL: this.urls.tokenConnectorURL });
    return {
      token,
      connectorURL: this.urls.tokenConnectorURL,
      raw,
      rawEncoded: base64(raw),
      clientId: id,
      subject: client.subject,
    };
  }

  mintToken(client, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS) {
    // 66 random bytes give 88 base64url characters, the length of real tokens.
    const token = crypto.randomBytes(66).toString('base64url');
    this.tokens.set(sha256Hex(token), { clientId: client.id, expiresAt: Date.now() + ttlSeconds * 1000 });
    return token;
  }

  // Burns the token and returns { client } or { error }. The token is gone
  // after this call whatever the outcome of the request that carried it.
  consumeToken(token) {
    if (!token) return { error: 'missing Connector-Token header' };
    const hash = sha256Hex(token);
    const entry = this.tokens.get(hash);
    if (!entry) {
      if (this.usedTokens.has(hash)) {
        return { error: 'invalid token: the one-time token was already used', clientId: this.usedTokens.get(hash) };
      }
      return { error: 'invalid token: the one-time token is unknown' };
    }
    this.tokens.delete(hash);
    this.usedTokens.set(hash, entry.clientId);
    if (Date.now() > entry.expiresAt) {
      return { error: 'invalid token: the one-time token has expired', clientId: entry.clientId };
    }
    return { client: this.clients.get(entry.clientId) };
  }

  // Checks a client certificate seen on the mTLS port and returns { client }
  // or { error }. `peer` comes from tlsSocket.getPeerCertificate().
  authenticateCertificate(socket, peer) {
    if (!peer || !peer.raw) return { error: 'client certificate required' };
    if (!socket.authorized) {
      const reason = socket.authorizationError;
      const code = reason && (reason.code || String(reason));
      if (code === 'CERT_HAS_EXPIRED') return { error: 'certificate expired' };
      if (code === 'CERT_NOT_YET_VALID') return { error: 'certificate not yet valid' };
      return { error: `client certificate not trusted: ${code || 'unknown reason'}` };
    }
    if (this.revoked.has(sha256Hex(peer.raw))) return { error: 'certificate revoked' };
    const cn = peer.subject && peer.subject.CN;
    const client = typeof cn === 'string' ? this.clients.get(cn) : undefined;
    if (!client) return { error: `unknown client: certificate CN "${cn}" was never issued a token` };
    return { client };
  }

  // Issues a client certificate for `csrPem`, applying a certificate fault
  // (wrong-key-cert, expired-cert, not-yet-valid-cert, wrong-chain-order).
  issueClientCertificate(csrPem, attributes, faultMode) {
    const now = Date.now();
    let notBefore = new Date(now);
    let notAfter = new Date(now + this.validitySeconds * 1000);
    if (faultMode === 'expired-cert') {
      notBefore = new Date(now - 2 * DAY_MS);
      notAfter = new Date(now - DAY_MS);
    } else if (faultMode === 'not-yet-valid-cert') {
      notBefore = new Date(now + DAY_MS);
      notAfter = new Date(now + DAY_MS + this.validitySeconds * 1000);
    }
    const requestPem = faultMode === 'wrong-key-cert'
      ? createCsr(this.pki.spareKeyFile, attributes)
      : csrPem;
    const leafPem = this.pki.clientCa.issue(requestPem, { notBefore, notAfter, profile: 'client_cert' });
    const caPem = this.pki.clientCa.certPem;
    const chainPem = faultMode === 'wrong-chain-order' ? caPem + leafPem : leafPem + caPem;
    const leaf = new crypto.X509Certificate(leafPem);
    return {
      result: {
        certificateChain: base64(chainPem),
        caCertificate: base64(caPem),
        clientCertificate: base64(leafPem),
      },
      serial: leaf.serialNumber.toLowerCase(),
      sha256: sha256Hex(leaf.raw),
    };
  }

  // Root resolvers for CONNECTOR_SCHEMA. The context carries endpoint,
  // client, authError, fault and receives the issued certificate's ids.
  connectorRoot() {
    const requireClient = (context) => {
      if (context.authError) throw new Error(context.authError);
      return context.client;
    };
    return {
      configuration: (args, context) => {
        const client = requireClient(context);
        return {
          token: { token: this.mintToken(client) },
          certificateSigningRequestInfo: { subject: client.subject, keyAlgorithm: 'rsa2048' },
          managementPlaneInfo: {
            directorURL: this.urls.directorURL,
            certificateSecuredConnectorURL: this.urls.mtlsConnectorURL,
          },
        };
      },
      signCertificateSigningRequest: ({ csr }, context) => {
        const client = requireClient(context);
        const attributes = inspectCsr(decodeCsr(csr));
        if (!sameAttributes(attributes, client.attributes)) {
          throw new Error(`invalid CSR subject "${formatSubject(attributes)}": expected "${client.subject}"`);
        }
        const issued = this.issueClientCertificate(decodeCsr(csr), attributes, context.fault && context.fault.mode);
        context.issued = { serial: issued.serial, sha256: issued.sha256 };
        return issued.result;
      },
      revokeCertificate: (args, context) => {
        requireClient(context);
        if (context.endpoint !== 'mtls') {
          throw new Error('revokeCertificate requires a client certificate on the certificate-secured endpoint');
        }
        this.revoked.add(context.certSha256);
        return true;
      },
    };
  }

  directorRoot() {
    return {
      viewer: (args, context) => {
        if (context.authError) throw new Error(context.authError);
        return { id: context.client.id, type: 'RUNTIME' };
      },
    };
  }
}

module.exports = { Connector, CONNECTOR_SCHEMA, DIRECTOR_SCHEMA, sha256Hex };
