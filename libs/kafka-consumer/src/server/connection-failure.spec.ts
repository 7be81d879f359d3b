import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyConnectionFailure, protocolErrorType } from './connection-failure.js';

const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message: type } as never);
// kafkajs' typings give this error no constructor arguments; at run time it takes a message.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const retriesExceeded = (cause: Error) => new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 0, retryTime: 0 });

describe('classifyConnectionFailure', () => {
  it('sees a refused or unknown host as unreachable, also behind KafkaJSNumberOfRetriesExceeded', () => {
    expect(
      classifyConnectionFailure(
        retriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9999')),
      ),
    ).toBe('unreachable');
    expect(classifyConnectionFailure(new Error('getaddrinfo ENOTFOUND kafka.invalid'))).toBe('unreachable');
    expect(classifyConnectionFailure(new KafkaJSConnectionError('Connection timeout'))).toBe('unreachable');
  });

  it('sees a failed TLS handshake as tls', () => {
    const handshake = new KafkaJSConnectionError(
      'Connection error: Client network socket disconnected before secure TLS connection was established',
    );
    expect(classifyConnectionFailure(retriesExceeded(handshake))).toBe('tls');
    expect(
      classifyConnectionFailure(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    ).toBe('tls');
  });

  it('sees rejected credentials and a listener without SASL as sasl', () => {
    expect(classifyConnectionFailure(new SaslError('SASL PLAIN authentication failed'))).toBe('sasl');
    expect(classifyConnectionFailure(protocolError('ILLEGAL_SASL_STATE', 34))).toBe('sasl');
    expect(classifyConnectionFailure(protocolError('SASL_AUTHENTICATION_FAILED', 58))).toBe('sasl');
  });

  it('sees a missing ACL as authorization and names its protocol type', () => {
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 29);
    expect(classifyConnectionFailure(denied)).toBe('authorization');
    expect(protocolErrorType(retriesExceeded(denied))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(classifyConnectionFailure(protocolError('GROUP_AUTHORIZATION_FAILED', 30))).toBe('authorization');
  });

  it('leaves anything else as other, without looping on a cyclic cause', () => {
    const cyclic: Error & { cause?: unknown } = new Error('boom');
    cyclic.cause = cyclic;
    expect(classifyConnectionFailure(cyclic)).toBe('other');
    expect(classifyConnectionFailure('a string')).toBe('other');
    expect(protocolErrorType(new Error('x'))).toBeUndefined();
  });
});
