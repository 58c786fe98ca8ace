/** ion-js, loaded on first use: importing it costs a CLI run about 30 ms, and most flows never touch Ion. */
import { createRequire } from 'node:module';
import type * as IonJs from 'ion-js';

let loaded: typeof IonJs | undefined;

export function ionJs(): typeof IonJs {
  return (loaded ??= createRequire(import.meta.url)('ion-js') as typeof IonJs);
}
