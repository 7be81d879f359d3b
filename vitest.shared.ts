import { fileURLToPath } from 'node:url';

const lib = fileURLToPath(new URL('./libs/kafka-consumer/src/', import.meta.url));

/** Tests import the package by its published name, as users do. */
export const packageAlias = [
  { find: /^nestjs-kafka-consumer$/, replacement: `${lib}index.ts` },
  { find: /^nestjs-kafka-consumer\/testing$/, replacement: `${lib}testing/index.ts` },
];
