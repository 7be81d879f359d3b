import { ConfigurableModuleBuilder } from '@nestjs/common';

/**
 * `forRoot` / `forRootAsync` (global by default) for a store's options, so every store is
 * configured the way `KafkaConsumerModule` is: `PostgresOffsetStore.forRoot({ ... })`.
 */
export function offsetStoreModuleDefinition<Options>(storeName: string) {
  return new ConfigurableModuleBuilder<Options>({ moduleName: storeName })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
}
