import { Module } from '@nestjs/common';
import { KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { AppConfig, GROUPS } from './config/app-config.js';
import { AppConfigModule } from './config/app-config.module.js';
import { AnalyticsService } from './orders/analytics.service.js';
import { BillingService } from './orders/billing.service.js';
import { OrdersController } from './orders/orders.controller.js';
import { LedgerService } from './payments/ledger.service.js';

@Module({
  imports: [
    KafkaConsumerModule.forRootAsync({
      imports: [AppConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        client: { clientId: config.clientId, brokers: config.brokers },
        consumer: { groupId: GROUPS.service },
        fromBeginning: true,
        // A record that still fails after retries goes to `<topic>-dlt` (created at startup if missing).
        deadLetter: { createTopics: true },
      }),
    }),
  ],
  controllers: [OrdersController],
  providers: [BillingService, AnalyticsService, LedgerService],
})
export class AppModule {}
