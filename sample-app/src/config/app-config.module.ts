import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';

/** Settings from the environment (and a `.env` file when present), typed by `AppConfig`. */
@Module({
  imports: [ConfigModule.forRoot({ cache: true })],
  providers: [AppConfig],
  exports: [AppConfig],
})
export class AppConfigModule {}
