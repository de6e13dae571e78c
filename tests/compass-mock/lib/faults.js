'use strict';
// Fault injection for the GraphQL endpoints. One fault is active at a time,
// and it applies to the next `count` matching requests, or until cleared.

// Faults that replace the response: the operation is not executed, but a
// token call has already burned its token.
const REPLACING_MODES = new Set([
  'http-500', 'http-503', 'http-429', 'graphql-error', 'data-null',
  'malformed-json', 'slow-body', 'redirect',
]);
// Faults that execute the operation and then damage the response.
const DAMAGING_MODES = new Set(['missing-field', 'truncated-json', 'truncated-body', 'huge-body']);
// Faults that change the certificate issued by signCertificateSigningRequest.
const CERTIFICATE_MODES = new Set(['wrong-key-cert', 'expired-cert', 'not-yet-valid-cert', 'wrong-chain-order']);

const ALL_MODES = [...REPLACING_MODES, ...DAMAGING_MODES, ...CERTIFICATE_MODES];
const ENDPOINTS = new Set(['token', 'mtls', 'any']);
const DEFAULT_HUGE_BODY_BYTES = 5 * 1024 * 1024;
const DEFAULT_MISSING_FIELDS = {
  configuration: 'certificateSigningRequestInfo',
  signCertificateSigningRequest: 'certificateChain',
};

class FaultState {
  constructor() {
    this.active = null;
  }

  // Validates and activates a fault from the admin API body. {"mode":"none"} clears it.
  set(spec) {
    if (!spec || typeof spec.mode !== 'string') throw new Error('missing "mode"');
    if (spec.mode === 'none') {
      this.active = null;
      return null;
    }
    if (!ALL_MODES.includes(spec.mode)) {
      throw new Error(`unknown fault mode "${spec.mode}"; expected one of: none, ${ALL_MODES.join(', ')}`);
    }
    const endpoint = spec.endpoint || 'any';
    if (!ENDPOINTS.has(endpoint)) throw new Error(`invalid endpoint "${endpoint}"; expected token, mtls or any`);
    if (spec.count !== undefined && spec.count !== null
        && !(Number.isInteger(spec.count) && spec.count > 0)) {
      throw new Error('"count" must be a positive integer or absent');
    }
    this.active = {
      mode: spec.mode,
      endpoint,
      operation: spec.operation || null,
      remaining: spec.count ?? null,
      field: spec.field || null,
      message: spec.message || null,
      size: Number.isInteger(spec.size) && spec.size > 0 ? spec.size : DEFAULT_HUGE_BODY_BYTES,
    };
    return this.describe();
  }

  describe() {
    if (!this.active) return { mode: 'none' };
    const { remaining, ...rest } = this.active;
    return { ...rest, count: remaining };
  }

  // Returns the fault for this request, counting it down, or null.
  // `endpoint` is 'token' or 'mtls' (the Director is on the mtls port).
  take(endpoint, operation) {
    const fault = this.active;
    if (!fault) return null;
    if (fault.endpoint !== 'any' && fault.endpoint !== endpoint) return null;
    if (fault.operation && fault.operation !== operation) return null;
    if (CERTIFICATE_MODES.has(fault.mode) && operation !== 'signCertificateSigningRequest') return null;
    if (fault.mode === 'missing-field' && !fault.field && !DEFAULT_MISSING_FIELDS[operation]) return null;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.active = null;
    }
    return { ...fault };
  }
}

// Returns the HTTP status of a replacing fault's response.
function replacingFaultStatus(mode) {
  return { 'http-500': 500, 'http-503': 503, 'http-429': 429, redirect: 302 }[mode] || 200;
}

function sendText(res, status, text, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

// Writes a replacing fault's response. `redirectUrl` is the Location for
// 'redirect'; `timers` collects the slow-body interval so a stop can end it.
function sendReplacingFault(res, fault, { operation, redirectUrl, timers }) {
  switch (fault.mode) {
    case 'http-500':
      return sendText(res, 500, 'Internal Server Error\n');
    case 'http-503':
      return sendText(res, 503, 'Service Unavailable\n', { 'Retry-After': '1' });
    case 'http-429':
      return sendText(res, 429, 'Too Many Requests\n', { 'Retry-After': '1' });
    case 'redirect':
      return sendText(res, 302, 'Found\n', { Location: redirectUrl });
    case 'graphql-error': {
      const message = fault.message || 'internal server error (injected fault)';
      return sendJson(res, 200, JSON.stringify({ errors: [{ message, path: [operation] }], data: null }));
    }
    case 'data-null':
      return sendJson(res, 200, '{"data":null}');
    case 'malformed-json':
      return sendJson(res, 200, `{"data":{"${operation}":{'token': nul,}}`);
    case 'slow-body': {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const prefix = `{"data":{"${operation}":`;
      let index = 0;
      const timer = setInterval(() => {
        res.write(index < prefix.length ? prefix[index] : ' ');
        index += 1;
      }, 1000);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return undefined;
    }
    default:
      throw new Error(`not a replacing fault: ${fault.mode}`);
  }
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// Returns the field selections of `selectionSet`, with inline fragments and
// fragment spreads expanded from `document`.
function fieldSelections(selectionSet, document) {
  const fields = [];
  for (const selection of selectionSet ? selectionSet.selections : []) {
    if (selection.kind === 'Field') {
      fields.push(selection);
    } else if (selection.kind === 'InlineFragment') {
      fields.push(...fieldSelections(selection.selectionSet, document));
    } else if (selection.kind === 'FragmentSpread') {
      const fragment = document.definitions.find(
        (d) => d.kind === 'FragmentDefinition' && d.name.value === selection.name.value,
      );
      if (fragment) fields.push(...fieldSelections(fragment.selectionSet, document));
    }
  }
  return fields;
}

// Returns the response keys (alias, or the field name without one) of the
// schema field path `names`, starting at the operation's selection set, or
// null when the request did not select that path. A field selected twice
// under different aliases yields the first.
function responseKeyPath(query, names) {
  const keys = [];
  let selectionSet = query.operation.selectionSet;
  for (const name of names) {
    const field = fieldSelections(selectionSet, query.document).find((f) => f.name.value === name);
    if (!field) return null;
    keys.push(field.alias ? field.alias.value : field.name.value);
    selectionSet = field.selectionSet;
  }
  return keys;
}

// Deletes the field `fault.field` (a dotted path of schema field names below
// the root field, e.g. "managementPlaneInfo.directorURL") from the response,
// under the keys the client chose with aliases. Array values are entered
// element by element.
function deleteMissingField(result, fault, operation, query) {
  const field = fault.field || DEFAULT_MISSING_FIELDS[operation];
  const keys = query ? responseKeyPath(query, [operation, ...field.split('.')]) : null;
  if (!keys) return;
  let objects = [result.data];
  for (const key of keys.slice(0, -1)) {
    objects = objects
      .flatMap((o) => (o && typeof o === 'object' ? [o[key]] : []))
      .flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  const last = keys[keys.length - 1];
  for (const o of objects) {
    if (o && typeof o === 'object') delete o[last];
  }
}

// Writes an executed result, damaged by `fault` when it is a damaging mode.
// `query` is { document, operation } of the request, for the response keys
// that aliases give the fields.
function sendResult(res, status, result, fault, operation, query) {
  if (!fault || !DAMAGING_MODES.has(fault.mode)) return sendJson(res, status, JSON.stringify(result));

  if (fault.mode === 'missing-field') {
    deleteMissingField(result, fault, operation, query);
    return sendJson(res, status, JSON.stringify(result));
  }
  if (fault.mode === 'huge-body') {
    const padding = 'x'.repeat(fault.size);
    return sendJson(res, status, JSON.stringify({ ...result, extensions: { padding } }));
  }
  const body = JSON.stringify(result);
  const half = body.slice(0, Math.floor(body.length / 2));
  if (fault.mode === 'truncated-json') return sendJson(res, status, half);

  // truncated-body: announce the full length, send half, then drop the connection.
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.write(half, () => res.destroy());
  return undefined;
}

module.exports = {
  FaultState, sendReplacingFault, replacingFaultStatus, sendResult, sendJson, REPLACING_MODES, ALL_MODES,
};
