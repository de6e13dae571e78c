'use strict';
// Request handling for the token-secured and certificate-secured ports:
// authentication, GraphQL parsing and validation, faults and the request log.

const { parse, validate, execute, getOperationAST, GraphQLError } = require('graphql');
const { CONNECTOR_SCHEMA, DIRECTOR_SCHEMA, sha256Hex } = require('./connector');
const {
  REPLACING_MODES, sendReplacingFault, replacingFaultStatus, sendResult, sendJson,
} = require('./faults');
const { readBody, logLine } = require('./http-util');

const MAX_REQUEST_BYTES = 1024 * 1024;
const CONNECTOR_PATH = '/connector/graphql';
const DIRECTOR_PATH = '/director/graphql';
// The Location of the redirect fault. A client that follows it reaches this
// path, which returns a GraphQL error and logs operation "redirect-target".
const REDIRECT_TARGET_PATH = '/connector/graphql-moved';
// Headers that the Compass gateway sets or strips itself. A client must not send them.
const GATEWAY_HEADERS = [
  'authorization', 'client-id-from-token', 'client-id-from-certificate',
  'client-certificate-hash', 'subject-from-certificate',
];

function errorBody(message) {
  return JSON.stringify({ errors: [{ message }], data: null });
}

// Returns the names of the root fields the operation selects, e.g.
// "configuration", joined with "," when there are several.
function rootFieldNames(operation) {
  return operation.selectionSet.selections
    .filter((selection) => selection.kind === 'Field')
    .map((selection) => selection.name.value)
    .join(',');
}

// Parses and validates the JSON body. Returns { document, operation, request }
// or { status, message } for a request the GraphQL server rejects.
function parseRequest(body, contentType, schema) {
  if (!/^application\/json\b/i.test(contentType || '')) {
    return { status: 415, message: `unsupported Content-Type "${contentType || ''}": expected application/json` };
  }
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { status: 400, message: `invalid JSON body: ${err.message}` };
  }
  if (!request || typeof request !== 'object' || typeof request.query !== 'string') {
    return { status: 400, message: 'invalid request: "query" must be a string' };
  }
  if (request.variables != null && (typeof request.variables !== 'object' || Array.isArray(request.variables))) {
    return { status: 400, message: 'invalid request: "variables" must be an object' };
  }
  let document;
  try {
    document = parse(request.query);
  } catch (err) {
    return { status: 422, message: err instanceof GraphQLError ? err.message : String(err) };
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return { status: 422, message: errors.map((e) => e.message).join('; ') };
  const operation = getOperationAST(document, request.operationName || null);
  if (!operation) return { status: 422, message: 'the operation to run is ambiguous or missing: set operationName' };
  return { document, operation, request };
}

// Creates the request handler for port `port` ('token' or 'mtls').
// `mock` gives connector, faults, requestLog, timers and ports.
function createGraphqlHandler(port, mock) {
  const handle = async (req, res) => {
    const url = new URL(req.url, 'https://localhost');
    const isDirector = port === 'mtls' && url.pathname === DIRECTOR_PATH;
    const isRedirectTarget = url.pathname === REDIRECT_TARGET_PATH;
    if (url.pathname !== CONNECTOR_PATH && !isDirector && !isRedirectTarget) {
      return sendJson(res, 404, errorBody(`not found: ${url.pathname}`));
    }

    const entry = {
      time: new Date().toISOString(),
      endpoint: isDirector ? 'director' : port,
      path: url.pathname,
      operation: 'invalid',
      client_id: null,
      token_sha256: null,
      cert_sha256: null,
      cert_serial: null,
      outcome: null,
      fault: null,
      http_status: null,
      request_id: req.headers['x-request-id'] || null,
      gateway_headers: GATEWAY_HEADERS.filter((name) => name in req.headers),
    };
    const finish = (status, outcome) => {
      entry.http_status = status;
      entry.outcome = outcome;
      mock.requestLog.append(entry);
    };

    // Authenticate first: the gateway burns a one-time token on arrival,
    // before it looks at the method or the body.
    const context = { endpoint: port, client: null, authError: null, certSha256: null, fault: null };
    if (port === 'token') {
      const token = req.headers['connector-token'];
      entry.token_sha256 = token ? sha256Hex(token) : null;
      const auth = mock.connector.consumeToken(token);
      context.client = auth.client || null;
      context.authError = auth.error || null;
      entry.client_id = auth.client ? auth.client.id : (auth.clientId || null);
    } else {
      const peer = req.socket.getPeerCertificate();
      if (peer && peer.raw) {
        entry.cert_sha256 = sha256Hex(peer.raw);
        entry.cert_serial = peer.serialNumber ? peer.serialNumber.toLowerCase() : null;
      }
      const auth = mock.connector.authenticateCertificate(req.socket, peer);
      context.client = auth.client || null;
      context.authError = auth.error || null;
      context.certSha256 = entry.cert_sha256;
      // A rejected certificate is still logged under the CN it presents.
      const cn = peer && peer.subject ? peer.subject.CN : null;
      entry.client_id = auth.client ? auth.client.id : (typeof cn === 'string' ? cn : null);
    }

    // Any method: curl and libcurl turn a followed 302 into GET.
    if (isRedirectTarget) {
      entry.operation = 'redirect-target';
      finish(200, 'error: redirect target reached');
      return sendJson(res, 200, errorBody('redirect target reached: clients must not follow redirects'));
    }
    if (req.method !== 'POST') {
      finish(405, `error: method ${req.method} not allowed`);
      return sendJson(res, 405, errorBody(`method ${req.method} not allowed: use POST`));
    }
    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (body === null) {
      finish(413, 'error: request body too large');
      return sendJson(res, 413, errorBody(`request body larger than ${MAX_REQUEST_BYTES} bytes`));
    }

    const schema = isDirector ? DIRECTOR_SCHEMA : CONNECTOR_SCHEMA;
    const parsed = parseRequest(body, req.headers['content-type'], schema);
    if (parsed.message) {
      finish(parsed.status, `error: ${parsed.message}`);
      return sendJson(res, parsed.status, errorBody(parsed.message));
    }
    entry.operation = rootFieldNames(parsed.operation);

    const fault = mock.faults.take(port, entry.operation);
    entry.fault = fault ? fault.mode : null;
    if (fault && REPLACING_MODES.has(fault.mode)) {
      finish(replacingFaultStatus(fault.mode), `error: not executed because of fault ${fault.mode}`);
      const redirectUrl = `https://localhost:${mock.ports[port]}${REDIRECT_TARGET_PATH}`;
      return sendReplacingFault(res, fault, { operation: entry.operation, redirectUrl, timers: mock.timers });
    }

    context.fault = fault;
    let result;
    try {
      result = await execute({
        schema,
        document: parsed.document,
        rootValue: isDirector ? mock.connector.directorRoot() : mock.connector.connectorRoot(),
        contextValue: context,
        variableValues: parsed.request.variables || {},
        operationName: parsed.request.operationName || null,
      });
    } catch (err) {
      logLine(`GraphQL execution failed: ${err.stack || err}`);
      finish(500, `error: ${err.message}`);
      return sendJson(res, 500, errorBody(`internal error: ${err.message}`));
    }
    if (context.issued) {
      entry.issued_serial = context.issued.serial;
      entry.issued_sha256 = context.issued.sha256;
    }
    // graphql-js returns no "data" when variables are invalid, and gqlgen
    // (the real server's GraphQL library) rejects those requests with 422.
    const status = result.data === undefined ? 422 : 200;
    const outcome = result.errors ? `error: ${result.errors.map((e) => e.message).join('; ')}` : 'ok';
    finish(status, outcome);
    return sendResult(res, status, { data: result.data ?? null, ...(result.errors ? { errors: result.errors } : {}) },
      fault, entry.operation, { document: parsed.document, operation: parsed.operation });
  };
  return (req, res) => {
    handle(req, res).catch((err) => {
      logLine(`request ${req.method} ${req.url} on the ${port} port failed: ${err.stack || err}`);
      if (!res.headersSent) sendJson(res, 500, errorBody(`internal error: ${err.message}`));
      else res.destroy();
    });
  };
}

module.exports = { createGraphqlHandler, CONNECTOR_PATH, DIRECTOR_PATH };
