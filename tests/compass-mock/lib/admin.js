'use strict';
// The admin API on plain HTTP (loopback only), used by tests to issue tokens
// and to change the mock's behaviour while it runs.

const { readBody, logLine } = require('./http-util');
const { sendJson } = require('./faults');

const MAX_ADMIN_BODY_BYTES = 64 * 1024;

class AdminError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function readJson(req) {
  const body = await readBody(req, MAX_ADMIN_BODY_BYTES);
  if (body === null) throw new AdminError(413, 'request body too large');
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8'));
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value;
  } catch (err) {
    throw new AdminError(400, `invalid JSON body: ${err.message}`);
  }
}

function optionalString(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new AdminError(400, `"${name}" must be a non-empty string`);
  return value;
}

function positiveInteger(value, name) {
  if (!Number.isInteger(value) || value <= 0) throw new AdminError(400, `"${name}" must be a positive integer`);
  return value;
}

// Creates the admin request handler. `mock` gives connector, faults,
// requestLog, tls (setServerCertificate, setVersions, describe) and stop.
function createAdminHandler(mock) {
  const routes = {
    'POST /admin/token': async (req) => {
      const body = await readJson(req);
      const request = {
        clientId: optionalString(body.client_id, 'client_id'),
        subject: optionalString(body.subject, 'subject'),
        ttlSeconds: body.ttl_seconds === undefined ? undefined : positiveInteger(body.ttl_seconds, 'ttl_seconds'),
      };
      let issued;
      try {
        issued = mock.connector.issueToken(request);
      } catch (err) {
        throw new AdminError(400, err.message);
      }
      logLine(`issued a one-time token for client ${issued.clientId}`);
      return {
        token: issued.token,
        connectorURL: issued.connectorURL,
        raw: issued.raw,
        rawEncoded: issued.rawEncoded,
        client_id: issued.clientId,
        subject: issued.subject,
      };
    },
    'POST /admin/config': async (req) => {
      const body = await readJson(req);
      if (body.validity_seconds !== undefined) {
        mock.connector.validitySeconds = positiveInteger(body.validity_seconds, 'validity_seconds');
        logLine(`certificate validity set to ${mock.connector.validitySeconds} s`);
      }
      return { validity_seconds: mock.connector.validitySeconds };
    },
    'POST /admin/fault': async (req) => {
      const body = await readJson(req);
      let fault;
      try {
        fault = mock.faults.set(body);
      } catch (err) {
        throw new AdminError(400, err.message);
      }
      logLine(`fault set to ${JSON.stringify(mock.faults.describe())}`);
      return fault || { mode: 'none' };
    },
    'GET /admin/fault': async () => mock.faults.describe(),
    'POST /admin/server-cert': async (req) => {
      const body = await readJson(req);
      try {
        mock.tls.setServerCertificate(body.endpoint || 'both', body.kind);
      } catch (err) {
        throw new AdminError(400, err.message);
      }
      logLine(`server certificate changed: ${JSON.stringify(mock.tls.describe())}`);
      return mock.tls.describe();
    },
    'POST /admin/tls': async (req) => {
      const body = await readJson(req);
      try {
        mock.tls.setVersions(body.endpoint || 'both', body.min_version, body.max_version);
      } catch (err) {
        throw new AdminError(400, err.message);
      }
      logLine(`TLS versions changed: ${JSON.stringify(mock.tls.describe())}`);
      return mock.tls.describe();
    },
    'GET /admin/log': async () => mock.requestLog.readAll(),
    'GET /admin/state': async () => ({
      validity_seconds: mock.connector.validitySeconds,
      fault: mock.faults.describe(),
      tls: mock.tls.describe(),
      clients: [...mock.connector.clients.values()].map((c) => ({ client_id: c.id, subject: c.subject })),
      revoked_cert_sha256: [...mock.connector.revoked],
    }),
    'POST /admin/stop': async () => {
      setImmediate(() => mock.stop('POST /admin/stop'));
      return { stopping: true };
    },
  };

  return async (req, res) => {
    const route = routes[`${req.method} ${new URL(req.url, 'http://127.0.0.1').pathname}`];
    try {
      if (!route) throw new AdminError(404, `no admin route for ${req.method} ${req.url}`);
      sendJson(res, 200, JSON.stringify(await route(req)));
    } catch (err) {
      const status = err instanceof AdminError ? err.status : 500;
      if (status === 500) logLine(`admin request ${req.method} ${req.url} failed: ${err.stack || err}`);
      sendJson(res, status, JSON.stringify({ error: err.message }));
    }
  };
}

module.exports = { createAdminHandler };
