'use strict';

const fs = require('node:fs');

// Reads the request body up to `maxBytes`. Resolves to a Buffer, or to null
// when the body is larger (the rest is discarded).
function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// An append-only JSON-lines log. Each entry is appended with its own write
// call, so a reader sees whole lines as soon as the response is decided.
class RequestLog {
  constructor(file) {
    this.file = file;
    fs.writeFileSync(file, '');
  }

  append(entry) {
    fs.appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  readAll() {
    return fs.readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line));
  }
}

// Prints one line to stdout (mock.log when started by start.sh).
function logLine(message) {
  process.stdout.write(`${new Date().toISOString()} compass-mock: ${message}\n`);
}

module.exports = { readBody, RequestLog, logLine };
