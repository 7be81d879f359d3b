import {
  Controller,
  Injectable,
  ParseIntPipe,
  Scope,
  UseGuards,
  UseInterceptors,
  ValidationPipe,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { ConsumeTopic, DEFAULT_INTERCEPTORS } from '../decorators/consume-topic.decorator.js';
import { FailureSettlement } from '../retry/failure-settlement.js';
import { HandlerComposer } from './handler-composition.js';

@Injectable()
class AuditInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

@Injectable()
class AllowGuard implements CanActivate {
  canActivate() {
    return true;
  }
}

const ctx = { offset: '0' } as KafkaConsumerContext;

/** Composes `Class.handle` of a compiled testing module, as the server does at startup. */
async function compose(controller: Type, configure?: (config: ApplicationConfig) => void) {
  const moduleRef = await Test.createTestingModule({
    controllers: [controller],
    providers: [{ provide: FailureSettlement, useValue: {} }, AuditInterceptor, AllowGuard],
  }).compile();
  const config = moduleRef.get(ApplicationConfig);
  configure?.(config);
  const composer = new HandlerComposer(moduleRef.get(ModulesContainer), config, DEFAULT_INTERCEPTORS);
  const method = (controller.prototype as { handle: () => void }).handle;
  // What Nest hands addHandler: a wrapper carrying the handler's extras.
  const callback = Object.assign(() => undefined, { extras: Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) });
  const composed = composer.compose(callback);
  await moduleRef.close();
  return composed;
}

describe('HandlerComposer', () => {
  it('calls a default-stack handler directly, on its controller instance, with @Payload() and @Ctx()', async () => {
    @Controller()
    class Orders {
      readonly seen: unknown[] = [];
      @ConsumeTopic('orders', { groupId: 'g' })
      handle(@Payload() order: unknown, @Ctx() context: KafkaConsumerContext) {
        this.seen.push(order, context);
        return this.seen.length;
      }
    }
    const { call, blockers } = await compose(Orders);
    expect(blockers).toEqual([]);
    expect(call!({ id: 1 }, ctx)).toBe(2);
  });

  it('passes what Nest would: the payload alone when undecorated, a property with @Payload(key)', async () => {
    @Controller()
    class Undecorated {
      @ConsumeTopic('orders', { groupId: 'g' })
      handle(...args: unknown[]) {
        return args;
      }
    }
    @Controller()
    class Keyed {
      @ConsumeTopic('orders', { groupId: 'g' })
      handle(@Ctx() context: KafkaConsumerContext, @Payload('id') id: number) {
        return [context, id];
      }
    }
    expect((await compose(Undecorated)).call!({ id: 1 }, ctx)).toEqual([{ id: 1 }]);
    expect((await compose(Keyed)).call!({ id: 7 }, ctx)).toEqual([ctx, 7]);
  });

  it("leaves a handler with an interceptor, guard or parameter pipe of the user's to Nest's pipeline", async () => {
    @Controller()
    class Intercepted {
      @ConsumeTopic('orders', { groupId: 'g' })
      @UseInterceptors(AuditInterceptor)
      handle() {}
    }
    @Controller()
    @UseGuards(AllowGuard)
    class Guarded {
      @ConsumeTopic('orders', { groupId: 'g' })
      handle() {}
    }
    @Controller()
    class Parsed {
      @ConsumeTopic('orders', { groupId: 'g' })
      handle(@Payload('id', ParseIntPipe) id: number) {
        return id;
      }
    }
    expect(await compose(Intercepted)).toEqual({ blockers: ['interceptors of its own'] });
    expect(await compose(Guarded)).toEqual({ blockers: ['guards'] });
    expect(await compose(Parsed)).toEqual({ blockers: ['parameter pipes'] });
  });

  it('leaves every handler to it when the app has global enhancers, and a request-scoped controller', async () => {
    @Controller()
    class Orders {
      @ConsumeTopic('orders', { groupId: 'g' })
      handle() {}
    }
    @Controller({ scope: Scope.REQUEST })
    class Scoped {
      @ConsumeTopic('orders', { groupId: 'g' })
      handle() {}
    }
    const withPipe = await compose(Orders, (config) => config.useGlobalPipes(new ValidationPipe()));
    expect(withPipe).toEqual({ blockers: ['global enhancers'] });
    expect((await compose(Scoped)).blockers).toEqual(['its controller is request-scoped or not found once']);
  });
});
