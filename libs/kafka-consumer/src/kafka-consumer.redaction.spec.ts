import { describe, expect, it } from 'vitest';
import { describeError, invalidOption, offsetStoreUnreachable, storeTarget } from './kafka-consumer.messages.js';
import { describeValue, kindOf, redactCause, redactSecrets, redactUrl } from './kafka-consumer.redaction.js';

describe('redactUrl keeps protocol, host, port and database only', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/app', 'postgres://db:5432/app'],
    ['postgres://app:pa/ss@db/app', 'postgres://db/app'],
    ['postgres://app:p@ss@db/app', 'postgres://db/app'],
    ['postgres://db/app?user=app&password=s3cret', 'postgres://db/app'],
    ['postgresql://app@127.0.0.1:1/app?password=s3cret&sslmode=require', 'postgresql://127.0.0.1:1/app'],
    ['rediss://:pa/ss@cache:6380', 'rediss://cache:6380'],
    ['redis://default:p@ss@cache:6379/2', 'redis://cache:6379/2'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://[::1]:6379/0', 'redis://[::1]:6379/0'],
    ['postgres://app:s3cret@db/app/extra#frag', 'postgres://db/app'],
  ])('%s -> %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('prints no host when credentials and host cannot be told apart', () => {
    // A `?` before the last `@`: either a password with `?` or a query value with `@`.
    expect(redactUrl('postgres://db/app?password=se@cret')).toBe('postgres://(redacted)');
    expect(redactUrl('postgres://app:pw?x@db/app')).toBe('postgres://(redacted)');
    // WHATWG URL would read host "user", port 1234 here; the password would print as the port.
    expect(redactUrl('postgres://user:1234#x@db:5432/app')).toBe('postgres://(redacted)');
  });

  it('prints a string that is no URL as (redacted)', () => {
    expect(redactUrl('host=db password=s3cret')).toBe('(redacted)');
  });
});

describe('redactSecrets: URLs and password-like pairs in free text', () => {
  it('reduces every URL in a text', () => {
    expect(redactSecrets('cannot reach postgres://app:pa/ss@db/app or rediss://:x@cache:6380 now')).toBe(
      'cannot reach postgres://db/app or rediss://cache:6380 now',
    );
  });

  it('drops the value of password, token, secret and sasl pairs', () => {
    expect(redactSecrets('host=db password=s3cret user=app')).toBe('host=db password=(redacted) user=app');
    expect(redactSecrets('{"password":"s3cret","user":"app"}')).toBe('{"password":(redacted),"user":"app"}');
    expect(redactSecrets("accessToken: 'abc.def' sasl=plain:u:p apiKey=k1")).toBe(
      'accessToken: (redacted) sasl=(redacted) apiKey=(redacted)',
    );
  });

  it('leaves ordinary messages alone', () => {
    const text = 'password authentication failed for user "app"; connect ECONNREFUSED 127.0.0.1:5432';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('describeValue shows the kind of a value, never a dump', () => {
  class PostgresOffsetStore {
    options = { connection: { connectionString: 'postgres://u:s3cret@db/app' } };
  }

  it('shows primitives as they are', () => {
    expect(describeValue('sometimes')).toBe('"sometimes"');
    expect(describeValue(-1)).toBe('-1');
    expect(describeValue(Infinity)).toBe('Infinity');
    expect(describeValue(true)).toBe('true');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(10n)).toBe('10n');
  });

  it('redacts URLs inside strings', () => {
    expect(describeValue('postgres://u:s3cret@db/app')).toBe('"postgres://db/app"');
  });

  it('shows an instance by its class, a class or function by its name', () => {
    expect(describeValue(new PostgresOffsetStore())).toBe('<PostgresOffsetStore instance>');
    expect(describeValue(PostgresOffsetStore)).toBe('PostgresOffsetStore');
    expect(describeValue(() => undefined)).toBe('anonymous function');
    expect(describeValue(new Map([['password', 'x']]))).toBe('<Map instance>');
  });

  it('shows arrays and objects of primitives, with secret fields redacted', () => {
    expect(describeValue([])).toBe('[]');
    expect(describeValue(['a:1', 2])).toBe('["a:1",2]');
    expect(describeValue({ user: 'app', password: 's3cret' })).toBe('{"user":"app","password":"(redacted)"}');
  });

  it('shows nested or large values by their kind only', () => {
    const config = { client: { sasl: { password: 's3cret' } } };
    expect(describeValue([config])).toBe('<array of 1 item>');
    expect(describeValue(config)).toBe('<object>');
    expect(describeValue(Array.from({ length: 11 }, (_, i) => i))).toBe('<array of 11 items>');
  });

  it('never shows the value of a secret option', () => {
    expect(describeValue('s3cret', 'password')).toBe('<string, redacted>');
    expect(describeValue({ mechanism: 'plain' }, 'sasl')).toBe('<object, redacted>');
  });

  it('names kinds', () => {
    expect(kindOf(PostgresOffsetStore)).toBe('class');
    expect(kindOf(() => 1)).toBe('function');
    expect(kindOf(Object.create(null))).toBe('object');
    expect(kindOf('x')).toBe('string');
  });
});

describe('messages built on the redaction', () => {
  it('an option error names the option and the kind of value', () => {
    const instance = new (class PostgresOffsetStore {
      connectionString = 'postgres://u:s3cret@db/app';
    })();
    expect(invalidOption('offsetStore', instance, 'a class')).toBe(
      'KafkaConsumerModule: option "offsetStore" is <PostgresOffsetStore instance>; allowed: a class.',
    );
    expect(invalidOption('client.sasl.password', 's3cret', 'a string')).not.toContain('s3cret');
  });

  it('describeError redacts what an error message carries', () => {
    expect(describeError(new Error('no route to postgres://u:pa/ss@db/app'))).toBe(
      'Error: no route to postgres://db/app',
    );
  });

  it('a store target prints the URL without credentials', () => {
    expect(storeTarget('PostgreSQL', { url: 'postgres://app@127.0.0.1:1/app?password=s3cret' }, '')).toBe(
      'PostgreSQL at postgres://127.0.0.1:1/app',
    );
    expect(storeTarget('Redis', { host: '127.0.0.1', port: 1 }, '')).toBe('Redis at 127.0.0.1:1');
  });

  it('an unparseable URL gets advice, not the URL', () => {
    const error = Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' });
    expect(offsetStoreUnreachable('PostgresOffsetStore', 'PostgreSQL at postgres://db/app', error)).toContain(
      'percent-encode',
    );
  });
});

describe('redactCause', () => {
  it('keeps name, code and address, drops what the driver attached', () => {
    const input = 'postgres://u:pa/ss@db/app';
    const cause = Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL', input });
    const wrapped = Object.assign(new Error(`connect to ${input} failed`, { cause }), { address: '10.0.0.1' });
    const copy = redactCause(wrapped) as Error & { address?: string; cause?: Error & { code?: string } };
    expect(copy.message).toBe('connect to postgres://db/app failed');
    expect(copy.address).toBe('10.0.0.1');
    expect(copy.cause?.name).toBe('TypeError');
    expect(copy.cause?.code).toBe('ERR_INVALID_URL');
    expect(JSON.stringify(copy.cause)).not.toContain('pa/ss');
    expect(copy.stack).not.toContain('pa/ss');
    expect('input' in (copy.cause as object)).toBe(false);
  });
});
