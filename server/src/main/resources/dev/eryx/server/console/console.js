// The eryx console: a playground that runs code in a session through the server's public API
// (streamed as server-sent events), and an operator view of /v1/stats and /v1/sessions.
// No framework and no build step. Server data only ever reaches the page through textContent or
// attributes: the code and output shown are untrusted. The CSP forbids inline script and style,
// so every handler is attached here and every look comes from console.css classes.
'use strict';

const TOKEN_KEY = 'eryx.token';
const MIB = 1024 * 1024;
const OPERATOR_REFRESH_MS = 2000;
// Timings of a run, in ms (an object, so a test can shorten them):
// idle: with no byte from the server for this long (it sends a keep-alive every few seconds while
//   a run goes on), the page stops waiting: the connection is closed, which cancels the run;
// cancelRetry: how often Cancel asks again while the server has not started the run (queued);
// cancelGiveUp: how long it asks before closing the connection instead (the server then cancels).
const TIMING = { idle: 30000, cancelRetry: 300, cancelGiveUp: 10000 };
// The output pane holds at most this many characters; the rest is in the Response JSON.
const OUTPUT_CAP = 2 * 1024 * 1024;
const OUTPUT_TRUNCATED = '(output truncated in the page; the full text is in Response JSON)';
// Verdict wire names, in the order the chart stacks them (ok at the bottom).
const VERDICTS = ['ok', 'python_error', 'timeout', 'cancelled', 'fuel', 'memory', 'output', 'crashed'];
// The file name CPython gives code run from a string, which is how the server runs the editor's code.
const TRACEBACK_FRAME = /^(\s*File "<string>", )line (\d+)(.*)$/;

const $ = (id) => document.getElementById(id);

const state = {
  session: null, // the playground's session id, created on the first run
  running: false,
  cancelling: false, // a cancel call is in flight
  cancelRequested: false, // Cancel was pressed during this run
  run: null, // the run in flight: { controller, timer, abortReason, abortError }
  output: { pending: [], size: 0, truncated: false, noted: false, queued: false }, // see appendOutput
  tokenPrompt: null, // the pending token dialog's promise, shared by concurrent 401s
  operatorTimer: null,
  operatorBusy: false,
  highlightQueued: false,
  tabLeavesEditor: false,
};

// ---------------------------------------------------------------------------------------------
// Calls: the token, 401 → the dialog, errors with the server's message

class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (e) {
    return ''; // storage disabled: the dialog asks on each 401
  }
}

function storeToken(token) {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (e) {
    // Kept nowhere: the next 401 asks again.
  }
}

/** Shows the token dialog (once, however many calls got a 401) and resolves when a token is saved. */
function askToken(reason) {
  if (!state.tokenPrompt) {
    const dialog = $('token-dialog');
    $('token-reason').textContent = reason;
    $('token-input').value = '';
    state.tokenPrompt = new Promise((resolve) => {
      dialog.addEventListener('token-saved', () => resolve(), { once: true });
    }).finally(() => {
      state.tokenPrompt = null;
    });
    if (!dialog.open) dialog.showModal();
    $('token-input').focus();
  }
  return state.tokenPrompt;
}

function saveToken(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) {
    $('token-input').focus();
    return;
  }
  storeToken(token);
  const dialog = $('token-dialog');
  dialog.close();
  dialog.dispatchEvent(new Event('token-saved'));
}

/**
 * fetch() with the bearer token. A 401 opens the token dialog and repeats the call with the new
 * token, so callers never see it. Other statuses are the caller's.
 */
async function call(method, path, { body, accept, run } = {}) {
  for (;;) {
    const headers = { Accept: accept || 'application/json' };
    const token = storedToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (run) touchRun(run); // a run's call: the server has TIMING.idle to answer
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: run ? run.controller.signal : undefined,
    });
    if (response.status !== 401) return response;
    if (run) pauseRun(run); // the user, not the server, is awaited now
    await askToken(token
      ? 'The server refused the saved token. Enter the right one; it is kept in this tab only.'
      : 'This server needs a token. It is kept in this tab only (sessionStorage) and sent with every call.');
  }
}

/** The error a non-2xx answer carries ({"error": "..."}), as an ApiError. */
async function apiError(response) {
  let message = response.status + ' ' + response.statusText;
  try {
    const json = await response.json();
    if (json && typeof json.error === 'string') message = json.error;
  } catch (e) {
    // Not JSON: the status line says enough.
  }
  return new ApiError(response.status, message, response.headers.get('Retry-After'));
}

async function callJson(method, path, body, run) {
  const response = await call(method, path, { body, run });
  if (!response.ok) throw await apiError(response);
  return response.status === 204 ? null : response.json();
}

/** What the user reads for a failed call. */
function describeFailure(error) {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      const wait = error.retryAfter ? ' Retry after ' + error.retryAfter + ' s.' : '';
      return 'The server is busy (429: ' + error.message + ').' + wait;
    }
    return 'The server answered ' + error.status + ': ' + error.message;
  }
  if (error instanceof TypeError) {
    return 'Network failure: the server could not be reached (' + error.message + ').';
  }
  return error.message || String(error);
}

// ---------------------------------------------------------------------------------------------
// Small formatting helpers

/** JSON on one line when short, else indented. */
function formatJson(value) {
  const compact = JSON.stringify(value);
  return compact.length <= 80 ? compact : JSON.stringify(value, null, 2);
}

function formatMs(ms) {
  return ms == null ? '–' : Math.round(ms) + ' ms';
}

function formatCount(n) {
  return n == null ? '–' : Number(n).toLocaleString('en-US');
}

function formatBytes(n) {
  if (n == null) return '–';
  if (n < 1024) return n + ' B';
  if (n < MIB) return (n / 1024).toFixed(1) + ' KiB';
  if (n < 1024 * MIB) return (n / MIB).toFixed(1) + ' MiB';
  return (n / (1024 * MIB)).toFixed(2) + ' GiB';
}

function formatAge(ms) {
  if (ms == null) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + (s % 60) + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

function formatTime(value) {
  const date = new Date(value);
  return isNaN(date) ? String(value) : date.toLocaleTimeString('en-GB');
}

/** A new element with a class and text (never markup). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  return node;
}

function setBadge(node, verdict) {
  node.textContent = verdict || '';
  node.className = 'badge' + (verdict ? ' verdict-' + verdictClass(verdict) : '');
}

function verdictClass(verdict) {
  return VERDICTS.includes(verdict) ? verdict : 'other';
}

function showMessage(node, text, kind) {
  node.textContent = text || '';
  node.className = 'message' + (kind ? ' ' + kind : '');
  node.hidden = !text;
}

/** Replaces a table's body with rows, or with one tr.empty saying so. */
function fillTable(table, rows, emptyText) {
  const tbody = table.tBodies[0];
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = el('tr', 'empty');
    const td = el('td', null, emptyText);
    td.colSpan = table.tHead.rows[0].cells.length;
    tr.append(td);
    tbody.append(tr);
    return;
  }
  tbody.append(...rows);
}

function row(className, cells) {
  const tr = el('tr', className);
  for (const cell of cells) {
    tr.append(cell instanceof Node ? cell : el('td', null, cell));
  }
  return tr;
}

function numCell(text) {
  return el('td', 'num', text);
}

// ---------------------------------------------------------------------------------------------
// The editor: a textarea (the source of truth) over a highlighted <pre>

function highlightAvailable() {
  return typeof window.Prism === 'object' && window.Prism.languages && window.Prism.languages.python;
}

/** Prism's tokens as DOM nodes (no markup strings involved). */
function appendTokens(parent, tokens) {
  for (const token of tokens) {
    if (typeof token === 'string') {
      parent.append(document.createTextNode(token));
      continue;
    }
    const aliases = Array.isArray(token.alias) ? token.alias : token.alias ? [token.alias] : [];
    const span = el('span', ['token', token.type, ...aliases].join(' '));
    appendTokens(span, Array.isArray(token.content) ? token.content : [token.content]);
    parent.append(span);
  }
}

function renderHighlight() {
  state.highlightQueued = false;
  const text = $('editor').value;
  const code = $('editor-highlight').firstElementChild;
  code.replaceChildren();
  if (highlightAvailable()) {
    appendTokens(code, window.Prism.tokenize(text, window.Prism.languages.python));
  } else {
    code.textContent = text;
  }
  // A final newline needs something after it, or the <pre> is one line shorter than the textarea.
  if (text.endsWith('\n') || text === '') code.append(document.createTextNode(' '));
  renderGutter(text);
  syncScroll();
}

function renderGutter(text) {
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  const gutter = $('editor-gutter');
  if (gutter.dataset.lines === String(lines)) return;
  gutter.dataset.lines = String(lines);
  gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join('\n') + '\n ';
}

function queueHighlight() {
  if (state.highlightQueued) return;
  state.highlightQueued = true;
  requestAnimationFrame(renderHighlight);
}

function syncScroll() {
  const editor = $('editor');
  const highlight = $('editor-highlight');
  highlight.scrollTop = editor.scrollTop;
  highlight.scrollLeft = editor.scrollLeft;
  $('editor-gutter').scrollTop = editor.scrollTop;
}

function insertIndent(editor) {
  // execCommand keeps the browser's undo history; setRangeText is the fallback where it is gone.
  if (!document.execCommand || !document.execCommand('insertText', false, '    ')) {
    editor.setRangeText('    ', editor.selectionStart, editor.selectionEnd, 'end');
    queueHighlight();
  }
}

/** Ctrl+Enter (Cmd+Enter) runs from anywhere in the playground. */
function onDocumentKey(event) {
  if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
  if ($('view-playground').hidden || $('token-dialog').open) return;
  event.preventDefault();
  run();
}

function onEditorKey(event) {
  if (event.key === 'Escape') {
    state.tabLeavesEditor = true; // keyboard users can still leave the editor
    return;
  }
  if (event.key === 'Tab' && !event.shiftKey && !event.altKey && !state.tabLeavesEditor) {
    event.preventDefault();
    insertIndent(event.target);
    return;
  }
  state.tabLeavesEditor = false;
}

/** Selects line n (1-based) of the editor, focuses it and scrolls the line into view. */
function selectLine(n) {
  const editor = $('editor');
  const lines = editor.value.split('\n');
  const index = Math.min(Math.max(n, 1), lines.length) - 1;
  let start = 0;
  for (let i = 0; i < index; i++) start += lines[i].length + 1;
  const end = start + lines[index].length;
  editor.focus();
  editor.setSelectionRange(start, end);
  const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 20;
  const top = index * lineHeight;
  if (top < editor.scrollTop || top + lineHeight > editor.scrollTop + editor.clientHeight) {
    editor.scrollTop = Math.max(0, top - editor.clientHeight / 3);
  }
  syncScroll();
}

// ---------------------------------------------------------------------------------------------
// The playground: sessions, runs, streamed output, the result panes

function setRunning(running) {
  state.running = running;
  $('run').disabled = running;
  $('reset').disabled = running;
  $('cancel').disabled = !running;
  const status = $('status');
  status.textContent = running ? 'running' : 'idle';
  status.className = running ? 'status-running' : 'status-idle';
}

function showSession(id) {
  $('session-id').textContent = id || 'none';
}

/** A limit input's value: null when empty, else a positive integer (or an error saying which). */
function limitValue(id, name) {
  const input = $(id);
  const text = input.value.trim();
  if (text === '' && input.validity.valid) return null;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new Error(name + ' must be a positive whole number, or empty for the server\'s.');
  }
  return Number(text);
}

function executeBody(code) {
  const body = { code };
  const timeout = limitValue('limit-timeout', 'Timeout (ms)');
  const fuel = limitValue('limit-fuel', 'Fuel');
  if (timeout != null) body.timeout_ms = timeout;
  if (fuel != null) body.fuel = fuel;
  return body;
}

function onMemoryChange() {
  if (state.session) {
    showMessage($('message'), 'The memory limit applies to a new session: Reset to start one with it.', 'notice');
  }
}

async function createSession(run) {
  const mib = limitValue('limit-memory', 'Memory (MiB)');
  const body = mib == null ? {} : { max_memory_bytes: mib * MIB };
  const json = await callJson('POST', '/v1/sessions', body, run);
  state.session = json.id;
  showSession(json.id);
  return json.id;
}

// ---- A run in flight: its fetches share one AbortController, and a timer aborts them when the
// server has sent nothing for TIMING.idle (a stuck connection would otherwise leave "running").

function startRun() {
  return { controller: new AbortController(), timer: null, abortReason: null, abortError: null };
}

/** Stops the run's fetches; reason says why, for the message (see abortMessage). */
function abortRun(run, reason, error) {
  if (run.controller.signal.aborted) return;
  pauseRun(run);
  run.abortReason = reason;
  run.abortError = error || null;
  run.controller.abort();
}

/** Something came from the server (or a call starts): TIMING.idle from now without more aborts. */
function touchRun(run) {
  clearTimeout(run.timer);
  run.timer = setTimeout(() => abortRun(run, 'idle'), TIMING.idle);
}

function pauseRun(run) {
  clearTimeout(run.timer);
  run.timer = null;
}

function abortMessage(run) {
  const gone = ' The connection is closed, and the server cancels an execution whose client went away.';
  switch (run.abortReason) {
    case 'idle':
      return 'The server sent nothing for ' + Math.round(TIMING.idle / 1000) + ' s (not even a keep-alive): '
        + 'the page stopped waiting for the run.' + gone;
    case 'cancel':
      return 'Cancel: the server had not started the run after ' + Math.round(TIMING.cancelGiveUp / 1000)
        + ' s of asking, so the page stopped waiting for it.' + gone;
    case 'cancel-failed':
      return 'Cancel failed (' + describeFailure(run.abortError) + '), so the page stopped waiting for the run.' + gone;
    default:
      return 'The page stopped waiting for the run.' + gone;
  }
}

function clearPanes() {
  state.output = { pending: [], size: 0, truncated: false, noted: false, queued: false };
  $('output').replaceChildren();
  $('traceback').replaceChildren();
  $('result').textContent = '';
  $('raw').textContent = '';
  setBadge($('verdict'), null);
  for (const id of ['duration', 'fuel', 'memory']) $(id).textContent = '';
  fillTable($('effects'), [], 'no effects');
}

/**
 * Queues streamed text for #output; flushOutput writes it once per animation frame, so a chatty
 * run costs one DOM change (and one scroll) per frame, not one per event. The pane keeps at most
 * OUTPUT_CAP characters, then a note says the rest is in the Response JSON.
 */
function appendOutput(stream, text) {
  const out = state.output;
  if (!text || out.truncated) return;
  const room = OUTPUT_CAP - out.size;
  if (text.length > room) {
    let cut = room;
    // Not between the halves of a surrogate pair.
    if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut--;
    text = text.slice(0, cut);
    out.truncated = true;
  }
  out.size += text.length;
  if (text) {
    const last = out.pending[out.pending.length - 1];
    if (last && last.stream === stream) last.parts.push(text);
    else out.pending.push({ stream, parts: [text] });
  }
  if (!out.queued) {
    out.queued = true;
    requestAnimationFrame(flushOutput);
  }
}

/** Writes the queued output: one text node per switch between stdout and stderr. */
function flushOutput() {
  const out = state.output;
  out.queued = false;
  const note = out.truncated && !out.noted;
  if (out.pending.length === 0 && !note) return;
  const pane = $('output');
  const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
  for (const { stream, parts } of out.pending) {
    const text = parts.join('');
    const last = pane.lastElementChild;
    if (last && last.className === stream) {
      last.append(document.createTextNode(text));
    } else {
      pane.append(el('span', stream, text));
    }
  }
  out.pending = [];
  if (note) {
    out.noted = true;
    pane.append(el('span', 'truncated', '\n' + OUTPUT_TRUNCATED + '\n'));
  }
  if (atBottom) pane.scrollTop = pane.scrollHeight;
}

/** The traceback text, with "line N" of the editor's frames as links to that line. */
function renderTraceback(text) {
  const pane = $('traceback');
  pane.replaceChildren();
  if (!text) return;
  for (const line of text.split('\n')) {
    const match = TRACEBACK_FRAME.exec(line);
    if (match) {
      const link = el('a', 'tb-line', 'line ' + match[2]);
      link.dataset.line = match[2];
      link.tabIndex = 0;
      link.setAttribute('role', 'button');
      link.title = 'show line ' + match[2] + ' in the editor';
      pane.append(document.createTextNode(match[1]), link, document.createTextNode(match[3] + '\n'));
    } else {
      pane.append(document.createTextNode(line + '\n'));
    }
  }
}

function onTracebackClick(event) {
  const link = event.target.closest('a.tb-line');
  if (!link) return;
  event.preventDefault();
  selectLine(Number(link.dataset.line));
}

function onTracebackKey(event) {
  if (event.key === 'Enter' || event.key === ' ') onTracebackClick(event);
}

function effectDetail(effect) {
  const parts = [];
  if (effect.error) parts.push(effect.error);
  if (effect.destination) parts.push('→ ' + effect.destination);
  const c = effect.connection;
  if (c) {
    parts.push((c.address || c.host) + (c.tls ? ' (TLS)' : '') + ', sent ' + formatBytes(c.bytes_sent)
      + ', received ' + formatBytes(c.bytes_received));
  }
  return parts.join(' · ');
}

function renderEffects(effects) {
  const rows = (effects || []).map((effect) => {
    const outcome = el('td');
    outcome.append(el('span', 'badge outcome-' + (effect.outcome === 'ok' ? 'ok' : effect.outcome === 'error' ? 'error' : 'other'),
      effect.outcome));
    const target = el('td', 'target', effect.target);
    target.title = effect.target || '';
    return row('effect', [effect.kind, target, numCell(formatCount(effect.bytes)),
      numCell(formatMs(effect.duration_ms)), outcome, el('td', 'detail', effectDetail(effect))]);
  });
  fillTable($('effects'), rows, 'no effects');
}

function renderResult(json, streamed) {
  setBadge($('verdict'), json.verdict);
  $('duration').textContent = formatMs(json.duration_ms);
  const stats = json.stats || {};
  $('fuel').textContent = formatCount(stats.fuel);
  $('memory').textContent = formatBytes(stats.peak_memory_bytes);
  $('result').textContent = json.result == null ? '' : formatJson(json.result);
  $('raw').textContent = JSON.stringify(json, null, 2);
  renderTraceback(json.error);
  renderEffects(json.effects);
  if (!streamed) {
    // Nothing came as events (a server that answered with plain JSON): the body has it all.
    if (json.stdout) appendOutput('stdout', json.stdout);
    if (json.stderr) appendOutput('stderr', json.stderr);
  }
  flushOutput();
}

/**
 * Reads a text/event-stream body: "event:"/"data:" lines (ended by CRLF, LF or CR), a blank line
 * ends a frame, ":" lines are comments (the server's keep-alives). Calls onEvent(name, data) for
 * each frame, and onBytes() for each chunk read. A last frame the stream cut before its blank line
 * is dropped, as the SSE spec says. When onEvent throws, the body is cancelled, so the connection
 * closes (and the server cancels the run).
 */
async function readEvents(response, onEvent, onBytes) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let name = 'message';
  let data = [];
  const dispatchLine = (line) => {
    if (line === '') {
      if (data.length > 0) onEvent(name, data.join('\n'));
      name = 'message';
      data = [];
    } else if (!line.startsWith(':')) {
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
  };
  // Dispatches the buffer's complete lines and keeps the rest. A CR at the very end may be the
  // first half of a CRLF: it waits for the next chunk, unless there is none.
  const takeLines = (last) => {
    const ends = /\r\n|\r|\n/g;
    let start = 0;
    let match;
    while ((match = ends.exec(buffer)) !== null) {
      if (!last && match[0] === '\r' && match.index === buffer.length - 1) break;
      dispatchLine(buffer.slice(start, match.index));
      start = ends.lastIndex;
    }
    buffer = buffer.slice(start);
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (onBytes) onBytes();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      takeLines(done);
      if (done) break;
    }
    // What is left (a line without its end, a frame without its blank line) was cut off: dropped.
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function execute(id, body, run) {
  return call('POST', '/v1/sessions/' + encodeURIComponent(id) + '/execute', {
    body,
    accept: 'text/event-stream',
    run,
  });
}

/**
 * Streams one execution's answer into the panes; true once its result arrived. An "error" event
 * (the server refused the run after the stream began, e.g. its session ended) is thrown as an
 * ApiError, as the same refusal answered before the stream would be.
 */
async function consume(response, run) {
  const type = response.headers.get('Content-Type') || '';
  if (!type.startsWith('text/event-stream')) {
    renderResult(await response.json(), false);
    return true;
  }
  let streamed = false;
  let result = null;
  try {
    await readEvents(response, (name, data) => {
      const json = JSON.parse(data);
      if (name === 'stdout' || name === 'stderr') {
        streamed = true;
        appendOutput(name, json.text);
      } else if (name === 'result') {
        result = json;
      } else if (name === 'error') {
        const retryAfter = json.retry_after == null ? null : String(json.retry_after);
        throw new ApiError(json.status, json.error || 'error ' + json.status, retryAfter);
      }
    }, () => touchRun(run));
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new Error('The connection broke during the run (' + error.message + '); the server cancels an '
      + 'execution whose client went away.');
  }
  if (!result) return false;
  renderResult(result, streamed);
  return true;
}

async function run() {
  if (state.running) return;
  const message = $('message');
  let body;
  try {
    body = executeBody($('editor').value); // bad limits are reported before anything runs
  } catch (error) {
    showMessage(message, error.message, 'error');
    return;
  }
  showMessage(message, null);
  setRunning(true);
  clearPanes();
  state.cancelRequested = false;
  const current = startRun();
  state.run = current;
  try {
    let id = state.session || (await createSession(current));
    if (state.cancelRequested) {
      showMessage(message, 'Cancelled before it started.', 'notice');
      return;
    }
    for (let retried = false; ; retried = true) {
      try {
        const response = await execute(id, body, current);
        if (!response.ok) throw await apiError(response);
        if (!(await consume(response, current))) {
          showMessage(message, 'The connection ended before the result arrived (the server stopped, or the '
            + 'network failed); the server cancels an execution whose client went away.', 'error');
        }
        return;
      } catch (error) {
        // 404 (before the stream, or as its "error" event): the session expired (idle) or was
        // deleted elsewhere. Start another and run once more.
        if (retried || !(error instanceof ApiError) || error.status !== 404) throw error;
      }
      state.session = null;
      showSession(null);
      clearPanes();
      const fresh = await createSession(current);
      if (state.cancelRequested) {
        showMessage(message, 'Cancelled before it started (in the new session ' + fresh + ').', 'notice');
        return;
      }
      showMessage(message, 'Session ' + id + ' had ended (idle timeout, or deleted); this run uses a new session, '
        + fresh + ': earlier variables are gone.', 'notice');
      id = fresh;
    }
  } catch (error) {
    if (current.controller.signal.aborted) {
      showMessage(message, abortMessage(current), 'error');
    } else {
      showMessage(message, describeFailure(error), 'error');
    }
  } finally {
    pauseRun(current);
    flushOutput();
    if (state.run === current) state.run = null;
    setRunning(false);
  }
}

/**
 * Cancels the run in flight. Before its session exists the run just stops there; a run the
 * server has not started yet (queued for a sandbox) answers "nothing running", so Cancel asks
 * again every TIMING.cancelRetry while the run is in flight. After TIMING.cancelGiveUp of that,
 * or when a cancel call fails, the page closes the run's connection, which cancels it too.
 */
async function cancel() {
  const current = state.run;
  if (!state.running || !current || state.cancelling) return;
  state.cancelRequested = true;
  state.cancelling = true;
  $('cancel').disabled = true;
  const giveUp = Date.now() + TIMING.cancelGiveUp;
  const inFlight = () => state.run === current && !current.controller.signal.aborted;
  try {
    while (inFlight()) {
      if (state.session) {
        const path = '/v1/sessions/' + encodeURIComponent(state.session) + '/cancel';
        const json = await callJson('POST', path);
        if (json.cancelled) return;
      }
      if (!inFlight()) return;
      if (Date.now() >= giveUp) {
        abortRun(current, 'cancel');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, TIMING.cancelRetry));
    }
  } catch (error) {
    if (inFlight()) abortRun(current, 'cancel-failed', error);
  } finally {
    // Still running (the result is on its way): it may be asked again.
    state.cancelling = false;
    $('cancel').disabled = !state.running;
  }
}

async function reset() {
  if (state.running) return;
  const id = state.session;
  state.session = null;
  showSession(null);
  clearPanes();
  showMessage($('message'), null);
  if (!id) return;
  try {
    const response = await call('DELETE', '/v1/sessions/' + encodeURIComponent(id));
    // 404: it had already ended, which is what Reset wanted.
    if (!response.ok && response.status !== 404) throw await apiError(response);
    showMessage($('message'), 'Session ' + id + ' deleted; the next run starts a new one.', 'notice');
  } catch (error) {
    showMessage($('message'), 'Deleting session ' + id + ' failed: ' + describeFailure(error)
      + ' The next run starts a new session anyway.', 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// The operator view

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text != null) node.textContent = String(text);
  return node;
}

/** Stacked bars per bucket, by verdict, drawn with DOM calls into the inline <svg>. */
function renderChart(stats) {
  const chart = $('chart');
  const buckets = stats.buckets || [];
  // Drawn at the element's own size, so text is not stretched.
  const width = Math.max(300, Math.round(chart.getBoundingClientRect().width) || 1200);
  const height = 180;
  const top = 14;
  const bottom = 18;
  const left = 36;
  const plot = height - top - bottom;
  const max = Math.max(1, ...buckets.map((b) => b.total || 0));
  const slot = (width - left) / Math.max(1, buckets.length);
  const nodes = [
    svg('line', { class: 'axis', x1: left, y1: top + plot, x2: width, y2: top + plot }),
    svg('line', { class: 'grid', x1: left, y1: top, x2: width, y2: top }),
    svg('text', { class: 'axis-label', x: left - 6, y: top + 4, 'text-anchor': 'end' }, max),
    svg('text', { class: 'axis-label', x: left - 6, y: top + plot, 'text-anchor': 'end' }, 0),
  ];
  if (buckets.length > 0) {
    const span = Math.round((buckets.length * (stats.bucket_seconds || 10)) / 60);
    nodes.push(svg('text', { class: 'axis-label', x: left, y: height - 2 }, '−' + span + ' min'));
    nodes.push(svg('text', { class: 'axis-label', x: width, y: height - 2, 'text-anchor': 'end' }, 'now'));
  }
  buckets.forEach((bucket, i) => {
    const verdicts = bucket.verdicts || {};
    const names = [...VERDICTS, ...Object.keys(verdicts).filter((v) => !VERDICTS.includes(v))];
    let y = top + plot;
    const x = left + i * slot + slot * 0.1;
    const group = svg('g', { class: 'bucket' });
    const label = [formatTime(bucket.start) + ': ' + (bucket.total || 0) + ' executions'];
    for (const name of names) {
      const count = verdicts[name] || 0;
      if (count <= 0) continue;
      const h = (count / max) * plot;
      y -= h;
      group.append(svg('rect', { class: 'bar v-' + verdictClass(name), x, y, width: slot * 0.8, height: h }));
      label.push(name + ' ' + count);
    }
    if (group.childNodes.length > 0) {
      group.append(svg('title', {}, label.join('\n')));
      nodes.push(group);
    }
  });
  chart.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  chart.replaceChildren(...nodes);
}

function renderLegend() {
  const legend = $('chart-legend');
  legend.replaceChildren(...VERDICTS.map((v) => {
    const item = el('li');
    item.append(el('span', 'swatch v-' + v), document.createTextNode(v));
    return item;
  }));
}

function runRow(runInfo) {
  const verdict = el('td');
  const badge = el('span');
  setBadge(badge, runInfo.verdict);
  verdict.append(badge);
  const codeCell = el('td', 'code');
  // One line per row: the newlines show as ⏎; the whole code is in the tooltip.
  const code = el('code', null, (runInfo.code || '').trimEnd().replace(/\r?\n/g, ' ⏎ '));
  codeCell.title = runInfo.code || '';
  codeCell.append(code);
  // The exception type, else (a limit, a cancel) the first line of the message.
  const error = el('td', 'error', runInfo.error_type || (runInfo.error || '').split('\n')[0]);
  if (runInfo.error) error.title = runInfo.error;
  const time = el('td', null, formatTime(runInfo.at));
  time.title = runInfo.at;
  const session = el('td', 'id', runInfo.session || '–');
  if (runInfo.session) session.title = runInfo.session;
  return row('run', [time, session, verdict, numCell(formatMs(runInfo.duration_ms)),
    numCell(formatCount(runInfo.fuel)), codeCell, error]);
}

function sessionRow(s) {
  const created = el('td', 'num', formatAge(s.age_ms));
  created.title = 'created ' + s.created;
  // The cell holds the id alone; "(this page)" is the CSS's, for the playground's own session.
  const classes = ['session', s.running ? 'busy' : '', s.id === state.session ? 'mine' : ''];
  return row(classes.filter(Boolean).join(' '), [el('td', 'id', s.id), s.kind, created, numCell(formatAge(s.idle_ms)),
    numCell(formatCount(s.executions)), numCell(formatBytes(s.memory_bytes)), s.running ? 'yes' : 'no']);
}

function renderStats(stats) {
  const pool = stats.pool || {};
  $('pool-size').textContent = formatCount(pool.size);
  $('pool-idle').textContent = formatCount(pool.idle);
  $('pool-active').textContent = formatCount(pool.active);
  $('session-count').textContent = formatCount(stats.sessions);
  $('rate').textContent = stats.rate_per_second == null ? '–' : stats.rate_per_second.toFixed(2) + '/s';
  const duration = stats.duration_ms || {};
  const none = !duration.count;
  $('p50').textContent = none ? '–' : formatMs(duration.p50);
  $('p99').textContent = none ? '–' : formatMs(duration.p99);
  renderChart(stats);
  fillTable($('slowest'), (stats.slowest || []).map(runRow), 'no executions');
  fillTable($('failed'), (stats.failed || []).map(runRow), 'no failures');
}

async function refreshOperator() {
  if (state.operatorBusy) return;
  state.operatorBusy = true;
  try {
    const [stats, sessions] = await Promise.all([callJson('GET', '/v1/stats'), callJson('GET', '/v1/sessions')]);
    renderStats(stats);
    fillTable($('sessions'), (sessions.sessions || []).map(sessionRow), 'no sessions');
    $('operator-updated').textContent = new Date().toLocaleTimeString('en-GB');
    showMessage($('operator-message'), null);
  } catch (error) {
    showMessage($('operator-message'), 'Refresh failed: ' + describeFailure(error), 'error');
  } finally {
    state.operatorBusy = false;
  }
}

function operatorVisible() {
  return !$('view-operator').hidden && document.visibilityState === 'visible';
}

/** Refreshes now and then every 2 s while the operator view is open and the tab is visible. */
function scheduleOperator() {
  clearTimeout(state.operatorTimer);
  state.operatorTimer = null;
  if (!operatorVisible()) return;
  refreshOperator().finally(() => {
    if (operatorVisible() && state.operatorTimer === null) {
      state.operatorTimer = setTimeout(scheduleOperator, OPERATOR_REFRESH_MS);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Views and start-up

function showView() {
  const operator = location.hash === '#operator';
  $('view-operator').hidden = !operator;
  $('view-playground').hidden = operator;
  $('tab-operator').setAttribute('aria-selected', String(operator));
  $('tab-playground').setAttribute('aria-selected', String(!operator));
  scheduleOperator();
}

/** One cheap authenticated call, so a server with a token asks for it when the page opens. */
async function probeToken() {
  try {
    const response = await call('GET', '/v1/sessions');
    if (!response.ok) throw await apiError(response);
  } catch (error) {
    showMessage($('message'), describeFailure(error), 'error');
  }
}

function start() {
  const editor = $('editor');
  editor.addEventListener('input', queueHighlight);
  editor.addEventListener('scroll', syncScroll);
  editor.addEventListener('keydown', onEditorKey);
  $('run').addEventListener('click', run);
  $('cancel').addEventListener('click', cancel);
  $('reset').addEventListener('click', reset);
  $('traceback').addEventListener('click', onTracebackClick);
  $('traceback').addEventListener('keydown', onTracebackKey);
  $('token-form').addEventListener('submit', saveToken);
  // Escape would close the dialog with nothing saved and leave the calls waiting: keep it open.
  $('token-dialog').addEventListener('cancel', (event) => event.preventDefault());
  $('tab-playground').addEventListener('click', () => { location.hash = 'playground'; });
  $('tab-operator').addEventListener('click', () => { location.hash = 'operator'; });
  $('limit-memory').addEventListener('change', onMemoryChange);
  document.addEventListener('keydown', onDocumentKey);
  window.addEventListener('hashchange', showView);
  document.addEventListener('visibilitychange', scheduleOperator);
  renderLegend();
  renderHighlight();
  setRunning(false);
  showSession(null);
  showView();
  if (location.hash !== '#operator') probeToken();
}

start();
