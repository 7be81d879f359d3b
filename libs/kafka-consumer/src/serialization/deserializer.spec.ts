import { describe, expect, it } from 'vitest';
import { DeserializationError } from '../errors/deserialization.error.js';
import { decodeHeaders, decodeKey, deserializerFor } from './deserializer.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('deserializerFor', () => {
  describe('json', () => {
    const json = deserializerFor('json');

    it('parses a JSON value', () => {
      expect(json(utf8('{"id":7,"items":["a"],"note":"é"}'), 'orders', 0, '1')).toEqual({
        id: 7,
        items: ['a'],
        note: 'é',
      });
    });

    it('parses JSON scalars', () => {
      expect(json(utf8('42'), 'orders', 0, '1')).toBe(42);
      expect(json(utf8('"text"'), 'orders', 0, '1')).toBe('text');
      expect(json(utf8('null'), 'orders', 0, '1')).toBeNull();
    });

    it('delivers a tombstone (null value) as null', () => {
      expect(json(null, 'orders', 0, '1')).toBeNull();
    });

    it('throws DeserializationError for invalid JSON, naming topic, partition and offset', () => {
      let thrown: unknown;
      try {
        json(utf8('{"id":'), 'orders', 3, '1234');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DeserializationError);
      const error = thrown as DeserializationError;
      expect(error.message).toContain('orders[3]@1234');
      expect(error.message).toContain('not valid JSON');
      expect(error.message).toContain('SyntaxError');
      expect(error).toMatchObject({
        code: 'KAFKA_CONSUMER_DESERIALIZATION',
        name: 'DeserializationError',
        topic: 'orders',
        partition: 3,
        offset: '1234',
      });
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it('throws DeserializationError for an empty value', () => {
      expect(() => json(Buffer.alloc(0), 'orders', 0, '5')).toThrow(DeserializationError);
    });
  });

  describe('string', () => {
    const string = deserializerFor('string');

    it('decodes the value as UTF-8 text without parsing it', () => {
      expect(string(utf8('{"id":1} ü'), 'orders', 0, '1')).toBe('{"id":1} ü');
      expect(string(utf8('{not json'), 'orders', 0, '1')).toBe('{not json');
    });

    it('delivers a tombstone as null', () => {
      expect(string(null, 'orders', 0, '1')).toBeNull();
    });
  });

  describe('buffer', () => {
    const buffer = deserializerFor('buffer');

    it('delivers the raw bytes unchanged', () => {
      const raw = Buffer.from([0, 255, 128]);
      expect(buffer(raw, 'orders', 0, '1')).toBe(raw);
    });

    it('delivers a tombstone as null', () => {
      expect(buffer(null, 'orders', 0, '1')).toBeNull();
    });
  });
});

describe('decodeHeaders', () => {
  it('returns an empty object for missing headers', () => {
    expect(decodeHeaders(undefined)).toEqual({});
    expect(decodeHeaders({})).toEqual({});
  });

  it('decodes buffer and string header values as UTF-8 strings', () => {
    expect(decodeHeaders({ 'trace-id': utf8('abc-ü'), source: 'billing' })).toEqual({
      'trace-id': 'abc-ü',
      source: 'billing',
    });
  });

  it('decodes a repeated header (array) into an array of strings, keeping order', () => {
    expect(decodeHeaders({ tag: [utf8('a'), 'b', utf8('c')] })).toEqual({ tag: ['a', 'b', 'c'] });
  });

  it('keeps a header with an undefined value as undefined', () => {
    const decoded = decodeHeaders({ empty: undefined, present: utf8('x') });
    expect(Object.keys(decoded)).toEqual(['empty', 'present']);
    expect(decoded.empty).toBeUndefined();
    expect(decoded.present).toBe('x');
  });

  it('decodes a null header value (as kafkajs reads one written by the Java client) as null, not "null"', () => {
    // kafkajs's types say Buffer | string, but its record decoder yields null for a null value.
    const raw = { traceparent: null, tag: [utf8('a'), null] } as unknown as Parameters<typeof decodeHeaders>[0];
    const decoded = decodeHeaders(raw);
    expect(decoded.traceparent).toBeNull();
    expect(decoded.tag).toEqual(['a', null]);
  });

  it('decodes an empty buffer as an empty string', () => {
    expect(decodeHeaders({ blank: Buffer.alloc(0) })).toEqual({ blank: '' });
  });
});

describe('decodeKey', () => {
  it('decodes the key as UTF-8', () => {
    expect(decodeKey(utf8('customer-ü'))).toBe('customer-ü');
  });

  it('returns null for a null or missing key', () => {
    expect(decodeKey(null)).toBeNull();
    expect(decodeKey(undefined)).toBeNull();
  });

  it('keeps an empty key as an empty string, distinct from no key', () => {
    expect(decodeKey(Buffer.alloc(0))).toBe('');
  });
});
