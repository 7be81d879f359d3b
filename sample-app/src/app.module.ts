import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaConsumerModule, PostgresOffsetStore } from 'nestjs-kafka-consumer';
import { AccountingController } from './accounting/accounting.controller.js';
import { JournalRepository } from './accounting/journal.repository.js';
import { AppConfig, GROUPS } from './config/app-config.js';
import { AppConfigModule } from './config/app-config.module.js';
import { AnalyticsService } from './orders/analytics.service.js';
import { BillingService } from './orders/billing.service.js';
import { OrdersController } from './orders/orders.controller.js';
import { LedgerService } from './payments/ledger.service.js';
import { PaymentsController } from './payments/payments.controller.js';
import { CarrierService } from './shipping/carrier.service.js';
import { ShippingController } from './shipping/shipping.controller.js';
import { ConsumerLifecycleListener } from './operations/consumer-lifecycle.listener.js';
import { HealthController } from './operations/health.controller.js';
import { MetricsController } from './operations/metrics.controller.js';
import { metricsRegistry } from './operations/metrics.registry.js';

@Module({
  imports: [
    AppConfigModule,
    TerminusModule,
    // Offsets of the handlers that name `offsetStore: PostgresOffsetStore` (the accounting journal).
    PostgresOffsetStore.forRootAsync({
      imports: [AppConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ connection: { connectionString: config.databaseUrl } }),
    }),
    KafkaConsumerModule.forRootAsync({
      imports: [AppConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        client: { clientId: config.clientId, brokers: config.brokers },
        consumer: { groupId: GROUPS.service },
        fromBeginning: true,
        // A record that still fails after retries goes to `<topic>-dlt` (created at startup if missing).
        deadLetter: { createTopics: true },
        // prom-client metrics in the app's registry, served at GET /metrics.
        metrics: { registry: metricsRegistry },
      }),
    }),
  ],
  controllers: [
    OrdersController,
    PaymentsController,
    ShippingController,
    AccountingController,
    HealthController,
    MetricsController,
  ],
  providers: [
    BillingService,
    AnalyticsService,
    LedgerService,
    CarrierService,
    JournalRepository,
    ConsumerLifecycleListener,
  ],
})
export class AppModule {}
