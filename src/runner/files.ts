/**
 * What an execution gets of the internal storage and the KV store: a storage view scoped to the
 * execution (task runs take theirs from it), the flow's KV store, and the upload of FILE inputs (`-i data=@./data.csv`) as `kestra:///…/inputs/<id>/<file>`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { FlowKV, KVStore, type FlowNamespaces } from '../kv/kv-store.js';
import { LocalStorage } from '../storage/local-storage.js';
import { RunStorage } from '../storage/run-storage.js';
import type { ExecutionIdentity } from '../storage/uri.js';

export interface ExecutionFilesOptions {
  /** The storage folder (the config's `storage`, or `--storage`). */
  readonly storageDir: string;
  /** The namespace files folder (`namespaceFiles` in the config), if any. */
  readonly namespaceFilesDir?: string;
  readonly tenant: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly executionId: string;
  /** Where relative FILE input paths start (default: the process's working directory). */
  readonly cwd?: string;
  /** The execution that started this one (a Subflow's parent): its files are readable too. */
  readonly parent?: ExecutionIdentity;
  /** The tenant's flow namespaces, when the flows are known (which other namespaces' KV stores exist). */
  readonly flowNamespaces?: FlowNamespaces;
}

export class ExecutionFiles {
  readonly storage: RunStorage;
  readonly kv: FlowKV;
  readonly #cwd: string;

  constructor(options: ExecutionFilesOptions) {
    const local = new LocalStorage(
      resolve(options.storageDir),
      options.namespaceFilesDir === undefined ? {} : { namespaceFilesDir: options.namespaceFilesDir },
    );
    this.storage = new RunStorage(local, {
      tenant: options.tenant,
      namespace: options.namespace,
      flowId: options.flowId,
      executionId: options.executionId,
      ...(options.parent === undefined ? {} : { parent: options.parent }),
    });
    this.kv = new FlowKV(new KVStore(local), options.tenant, options.namespace, options.flowNamespaces);
    this.#cwd = options.cwd ?? process.cwd();
  }

  /** Uploads a FILE input from a local path (`@` prefix allowed, relative to the working directory); returns its URI. */
  readonly storeInputFile = async (inputId: string, value: string): Promise<string> => {
    const path = resolve(this.#cwd, value.startsWith('@') ? value.slice(1) : value);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error(`\`${value}\` is not a file`);
      size = info.size;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `cannot read the file \`${value}\`: no such file`
          : `cannot read the file \`${value}\`: ${(e as Error).message}`,
      );
    }
    void size;
    return this.storage.putInput(inputId, basename(path), createReadStream(path));
  };
}
