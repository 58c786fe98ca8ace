/**
 * MailSend's `attachments` and `embeddedImages`: a list of `{ name, uri, contentType }`, or a JSON
 * text of one (what `{{ inputs.attachments | toJson }}` renders), or a JSON text of such a text —
 * the shapes plugin-email's `getAttachments` accepts. Files are read from the internal storage.
 */
import { TaskError } from '../types.js';
import type { TaskRunContext } from '../definition.js';

export interface AttachmentRef {
  readonly name: string;
  readonly uri: string;
  readonly contentType: string;
}

export interface MailAttachment {
  readonly name: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** An attachment is read whole into the message: this bounds one file. */
const MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024;

function toRefs(items: readonly unknown[], property: string): AttachmentRef[] {
  return items.map((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new TaskError('INVALID_PROPERTY', `Invalid \`${property}[${index}]\`: expected { name, uri, contentType }`);
    const record = item as Record<string, unknown>;
    if (typeof record.uri !== 'string' || record.uri === '')
      throw new TaskError('INVALID_PROPERTY', `Invalid \`${property}[${index}]\`: \`uri\` is required`);
    if (typeof record.name !== 'string' || record.name === '')
      throw new TaskError('INVALID_PROPERTY', `Invalid \`${property}[${index}]\`: \`name\` is required`);
    return {
      name: record.name,
      uri: record.uri,
      contentType: typeof record.contentType === 'string' && record.contentType !== '' ? record.contentType : 'application/octet-stream',
    };
  });
}

function parseJson(text: string, property: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TaskError('INVALID_PROPERTY', `Invalid \`${property}\`: not JSON (${(e as Error).message})`);
  }
}

/** The attachment references of a rendered property value. */
export function attachmentsOf(value: unknown, property: string, depth = 0): AttachmentRef[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return toRefs(value, property);
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return [];
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      const parsed = parseJson(trimmed, property);
      return toRefs(Array.isArray(parsed) ? parsed : [parsed], property);
    }
    // A JSON string holding the JSON text (a double `toJson`).
    if (depth === 0) return attachmentsOf(parseJson(trimmed, property), property, 1);
  }
  if (typeof value === 'object' && !Array.isArray(value)) return toRefs([value], property);
  throw new TaskError('INVALID_PROPERTY', `The \`${property}\` attribute must be a String or a List`);
}

/** Reads each attachment's bytes from the internal storage (scope-checked as every read is). */
export async function readAttachments(ctx: TaskRunContext, refs: readonly AttachmentRef[]): Promise<MailAttachment[]> {
  const out: MailAttachment[] = [];
  for (const ref of refs) out.push({ name: ref.name, contentType: ref.contentType, content: await readStored(ctx, ref.uri) });
  return out;
}

async function readStored(ctx: TaskRunContext, uri: string): Promise<Buffer> {
  return ctx.storage.readFile(uri, MAX_ATTACHMENT_BYTES);
}
