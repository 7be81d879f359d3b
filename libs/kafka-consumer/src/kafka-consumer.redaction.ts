/**
 * The one place that decides what of a user's configuration may be printed. Every message of
 * `kafka-consumer.messages.ts` and every log line goes through it: URLs are cut down to
 * `protocol//host:port/database`, `password=`/`token=`-like pairs lose their value, and values
 * shown in option errors are described by their kind, never dumped.
 */

/** Field names whose value is never printed. */
const SECRET_KEY =
  /pass(word|phrase)?|pwd|secret|token|sasl|^ssl$|^tls$|credential|^auth$|authorization|api[-_]?key|private[-_]?key|^cert$|^key$|^ca$/i;

const SCHEME = /^([a-z][a-z0-9+.-]*:)\/\/(.*)$/is;
const HOST_PORT = /^(?:[a-z0-9._~-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const DATABASE = /^\/([a-z0-9._~-]+)/i;

/** True when a field of this name holds credentials or key material (`password`, `sasl`, `ssl`, `token`, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * `protocol//host:port/database` of a connection URL, without user, password, query or fragment.
 * A URL whose host cannot be told apart from its credentials (a `?` or `#` before the last `@`)
 * prints as `protocol//(redacted)`; a string that is no URL prints as `(redacted)`.
 */
export function redactUrl(url: string): string {
  const match = SCHEME.exec(url.trim());
  if (!match) return '(redacted)';
  const [, protocol, rest] = match;
  // The user info ends at the *last* `@`: passwords may contain `@` and `/` unencoded.
  const at = rest.lastIndexOf('@');
  if (at >= 0 && /[?#]/.test(rest.slice(0, at))) return `${protocol}//(redacted)`;
  const afterUserInfo = rest.slice(at + 1);
  const hostPort = /^[^/?#]*/.exec(afterUserInfo)![0];
  if (hostPort !== '' && !HOST_PORT.test(hostPort)) return `${protocol}//(redacted)`;
  const database = DATABASE.exec(afterUserInfo.slice(hostPort.length))?.[1];
  return `${protocol}//${hostPort}${database ? `/${database}` : ''}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]*/gi;
const SECRET_PAIR =
  /\b((?:[a-z_]*pass(?:word|phrase)?|pwd|secret|[a-z_]*token|api[-_]?key|sasl|authorization)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)/gi;

/** `text` with every URL reduced by `redactUrl` and the value of every `password=`-like pair replaced. */
export function redactSecrets(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url)).replace(SECRET_PAIR, '$1(redacted)');
}

const isPrimitive = (value: unknown): value is string | number | boolean | bigint | null | undefined =>
  value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');

function showPrimitive(value: string | number | boolean | bigint | null | undefined): string {
  if (typeof value === 'string') return JSON.stringify(redactSecrets(value));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

const MAX_SHOWN_ITEMS = 10;

/**
 * How an option error shows the value it got: primitives as they are (strings redacted), a class
 * or function by its name, an array or plain object of primitives up to depth 1 (secret fields
 * redacted), anything else by its kind only (`<PostgresOffsetStore instance>`, `<object>`,
 * `<array of 3 items>`). `key` is the option's name: a secret option's value is never shown.
 */
export function describeValue(value: unknown, key = ''): string {
  if (key !== '' && isSecretKey(key) && value !== undefined && value !== null) return `<${kindOf(value)}, redacted>`;
  if (isPrimitive(value)) return showPrimitive(value);
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return value.name ? value.name : 'anonymous function';
  if (Array.isArray(value)) {
    if (value.length <= MAX_SHOWN_ITEMS && value.every(isPrimitive)) return `[${value.map(showPrimitive).join(',')}]`;
    return `<${kindOf(value)}>`;
  }
  const entries = isPlainObject(value) ? Object.entries(value) : undefined;
  if (entries && entries.length <= MAX_SHOWN_ITEMS && entries.every(([, v]) => isPrimitive(v))) {
    const shown = entries.map(
      ([k, v]) => `${JSON.stringify(k)}:${isSecretKey(k) ? '"(redacted)"' : showPrimitive(v as string)}`,
    );
    return `{${shown.join(',')}}`;
  }
  return `<${kindOf(value)}>`;
}

/** `string`, `array of 2 items`, `object`, `PostgresOffsetStore instance`, `function`: never the content. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'function')
    return /^class[\s{]/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
  if (typeof value !== 'object') return typeof value;
  if (isPlainObject(value)) return 'object';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `${name} instance` : 'object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * A copy of a driver's error fit to be a `cause`: name, code, errno, syscall, address and port are
 * kept, message and stack redacted, nested causes copied the same way. Drivers attach what they
 * were given (Node's `Invalid URL` error carries the whole URL as `input`); that is left out.
 */
export function redactCause(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return isPrimitive(error) ? error : `<${kindOf(error)}>`;
  const copy = new Error(redactSecrets(error.message));
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : redactSecrets(error.stack);
  const source = error as Error & Record<string, unknown>;
  const target = copy as Error & Record<string, unknown>;
  for (const field of ['code', 'errno', 'syscall', 'address', 'port']) {
    if (isPrimitive(source[field]) && source[field] !== undefined) target[field] = source[field];
  }
  if (error.cause !== undefined && depth < 5) copy.cause = redactCause(error.cause, depth + 1);
  if (error instanceof AggregateError && depth < 5) {
    target.errors = error.errors.map((inner: unknown) => redactCause(inner, depth + 1));
  }
  return copy;
}
