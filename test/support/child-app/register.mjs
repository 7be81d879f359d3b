// `node --import <this file> app.ts`: installs the TypeScript hooks of ./ts-loader.mjs.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
