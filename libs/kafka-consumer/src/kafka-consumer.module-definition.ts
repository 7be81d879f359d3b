import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { KafkaConsumerModuleOptions } from './kafka-consumer.options.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: KAFKA_CONSUMER_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<KafkaConsumerModuleOptions>({ moduleName: 'KafkaConsumer' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
