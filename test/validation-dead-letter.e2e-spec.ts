import { BadRequestException, Controller, UsePipes, ValidationPipe } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IsInt, IsString, Min } from 'class-validator';
import { ConsumeTopic, DEAD_LETTER_HEADERS, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

class OrderDto {
  @IsInt()
  @Min(1)
  id!: number;

  @IsString()
  customer!: string;
}

const H = DEAD_LETTER_HEADERS;

describe('dead-lettered validation failures', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it("keep ValidationPipe's messages in the exception-message header, not 'Bad Request Exception'", async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('billing');

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      @UsePipes(new ValidationPipe())
      bill(@Payload() order: OrderDto) {
        // A handler's own BadRequestException with a plain message keeps that message.
        if (order.customer === 'blocked') throw new BadRequestException('customer is blocked');
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({ client: { clientId: 'validation-dlt', brokers: brokers() }, deadLetter: {} }),
        ],
        controllers: [OrdersController],
      }),
    );
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [
      { value: JSON.stringify({ id: -5, customer: 'ada' }) },
      { value: JSON.stringify({ id: 'seven' }) },
      { value: JSON.stringify({ id: 2, customer: 'blocked' }) },
    ]);

    await waitFor('three dead letters', () => reader.of(dlt).length === 3);
    const [tooSmall, wrongTypes, blocked] = reader.of(dlt);
    expect(tooSmall.headers[H.exceptionFqcn]).toBe('BadRequestException');
    expect(tooSmall.headers[H.exceptionMessage]).toBe('id must not be less than 1');
    expect(wrongTypes.headers[H.exceptionMessage]).toBe(
      'id must not be less than 1; id must be an integer number; customer must be a string',
    );
    expect(blocked.headers[H.exceptionMessage]).toBe('customer is blocked');
  });
});
