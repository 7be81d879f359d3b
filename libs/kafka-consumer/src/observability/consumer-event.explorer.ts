import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ConsumerEventSubscription } from '../decorators/on-consumer-event.decorator.js';
import { ON_CONSUMER_EVENT_METADATA } from '../kafka-consumer.constants.js';
import { KafkaConsumerServer } from '../server/kafka-consumer.server.js';

type Listener = (payload: { groupId: string }) => unknown;

/**
 * Finds the `@OnConsumerEvent` methods of every provider and controller (Nest's
 * `DiscoveryService`) and subscribes them to the server's events before it listens.
 */
@Injectable()
export class ConsumerEventExplorer implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly server: KafkaConsumerServer,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | null | undefined;
      // Request-scoped providers have no instance to call outside a request.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) this.subscribe(instance, name);
    }
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private subscribe(instance: Record<string, unknown>, name: string): void {
    const method = instance[name];
    if (typeof method !== 'function') return;
    const subscriptions = Reflect.getMetadata(ON_CONSUMER_EVENT_METADATA, method) as
      ConsumerEventSubscription[] | undefined;
    for (const { event, groupId } of subscriptions ?? []) {
      const listener: Listener = (payload) => {
        if (groupId !== undefined && payload.groupId !== groupId) return;
        return (method as Listener).call(instance, payload);
      };
      this.unsubscribe.push(this.server.on(event, listener as never));
    }
  }
}
