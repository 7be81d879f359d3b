/** Module format of this build: the sources and dist/esm are ES modules; scripts/build.mjs writes 'cjs' into dist/cjs. */
export const BUILD_FORMAT: 'esm' | 'cjs' = 'esm';
