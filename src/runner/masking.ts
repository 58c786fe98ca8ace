/** The run's masker lives in the bottom `masking` layer, so input resolution (flow) can use it too. */
export { Masker, MASK } from '../masking/masker.js';
