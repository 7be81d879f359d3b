import {
  Controller,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, DEAD_LETTER_HEADERS, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const H = DEAD_LETTER_HEADERS;
// Neither is a `token=`-like pair nor a URL: only the redactError hook can keep them out.
const TOKEN = 'sess-7Qv29xLm';
const EMAIL = 'alice.w@example.org';
const maskSessions = (error: unknown) =>
  (error instanceof Error ? error.message : String(error))
    .replace(/sess-\w+/g, '<session>')
    .replace(/\S+@\S+/g, '<email>');
const fail = (what: string): never => {
  throw new Error(`${what} refused for ${EMAIL}, session ${TOKEN}`);
};

/** Does nothing: its presence makes the handler run through Nest's full interceptor pipeline. */
@Injectable()
class PassThrough implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

describe('redactError', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('writes the hook text, never the token, in the dead-letter headers and every log line', async () => {
    const [billing, shipping, audit] = ['billing', 'shipping', 'audit'].map((name) => unique(name));
    await Promise.all([billing, `${billing}-dlt`, shipping, `${shipping}-dlt`, audit].map((t) => kit.createTopic(t)));
    const groupId = unique('redact');
    const calls = { billing: 0, shipping: 0, audit: 0 };

    @Controller()
    class FailingController {
      // The module's hook, through Nest's pipeline (a user interceptor), retried, then dead-lettered.
      @ConsumeTopic(billing, { groupId: `${groupId}-billing`, fromBeginning: true })
      @UseInterceptors(PassThrough)
      bill(@Payload() _order: unknown) {
        calls.billing++;
        fail('charge');
      }

      // Its own hook throws: "(redactError failed)" is written, one error line says so, both records dead-lettered.
      @ConsumeTopic(shipping, {
        groupId: `${groupId}-shipping`,
        fromBeginning: true,
        retry: false,
        redactError: () => {
          throw new Error(`hook broke on ${TOKEN}`);
        },
      })
      ship(@Payload() _order: unknown) {
        calls.shipping++;
        fail('label');
      }

      // No dead-letter topic: delivered again once (a warning), then skipped (a warning).
      @ConsumeTopic(audit, {
        groupId: `${groupId}-audit`,
        fromBeginning: true,
        retry: false,
        deadLetter: false,
        exhausted: { skipAfterRedeliveries: 1 },
      })
      record(@Payload() _entry: unknown) {
        calls.audit++;
        fail('audit write');
      }
    }

    const logger = new CapturingLogger();
    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'redact-error-test', brokers: brokers() },
              retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 50 } },
              deadLetter: { enabled: true, includeStackTrace: true },
              redelivery: { type: 'fixed', delayMs: 100 },
              redactError: maskSessions,
            }),
          ],
          controllers: [FailingController],
          providers: [PassThrough],
        },
        { logger },
      ),
    );
    const reader = await new TopicReader().start([`${billing}-dlt`, `${shipping}-dlt`]);
    readers.push(reader);
    await kit.produce(billing, [{ value: '{"id":1}' }]);
    await kit.produce(shipping, [{ value: '{"id":2}' }, { value: '{"id":3}' }]);
    await kit.produce(audit, [{ value: '{"id":4}' }]);

    await waitFor('the billing dead letter', () => reader.of(`${billing}-dlt`).length === 1);
    await waitFor('both shipping dead letters', () => reader.of(`${shipping}-dlt`).length === 2);
    await waitFor('the audit record skipped', () => logger.has('warn', 'is skipped'));

    expect(calls).toEqual({ billing: 2, shipping: 2, audit: 2 });
    const [billed] = reader.of(`${billing}-dlt`);
    expect(billed.headers[H.exceptionMessage]).toBe('charge refused for <email> session <session>');
    expect(billed.headers[H.exceptionStacktrace]).toMatch(
      /^Error: charge refused for <email> session <session>\n\s+at /,
    );
    for (const shipped of reader.of(`${shipping}-dlt`)) {
      expect(shipped.headers[H.exceptionMessage]).toBe('(redactError failed)');
      expect(shipped.headers[H.exceptionStacktrace]).toMatch(/^Error: \(redactError failed\)\n\s+at /);
    }
    for (const record of reader.records) {
      expect(JSON.stringify(record.headers)).not.toContain(TOKEN);
      expect(JSON.stringify(record.headers)).not.toContain(EMAIL);
    }

    const lines = logger.lines.map((l) => `[${l.level}] ${l.message}`);
    const leaking = lines.filter((line) => line.includes(TOKEN) || line.includes(EMAIL));
    expect(leaking).toEqual([]);
    // Each kind of line about a failed record was written, with the hook's text in place of the message.
    const redacted = 'Error: charge refused for <email> session <session>';
    expect(logger.has('warn', `was written to dead-letter topic "${billing}-dlt"`)).toBe(true);
    expect(lines.some((l) => l.startsWith('[warn]') && l.includes(billing) && l.includes(redacted))).toBe(true);
    expect(lines.filter((l) => l.includes('Error: (redactError failed)'))).toHaveLength(2);
    expect(logger.has('warn', 'Cause: Error: audit write refused for <email> session <session>')).toBe(true);
    expect(logger.has('warn', 'failed and has nowhere to go')).toBe(true);
    const hookFailures = lines.filter((l) => l.includes('the redactError option threw'));
    expect(hookFailures).toEqual([
      expect.stringMatching(/^\[error\] FailingController\.ship: the redactError option threw Error; /),
    ]);
  });
});
